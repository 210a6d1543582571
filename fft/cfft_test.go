package fft

import (
	"math"
	"testing"
)

// dft1 is the direct 1-D forward DFT of each lane, in float64.
func dft1(xr, xi []float64, n, L int) (yr, yi []float64) {
	yr, yi = make([]float64, n*L), make([]float64, n*L)
	c, s := unitCircle(n)
	for l := range L {
		for k := range n {
			var sr, si float64
			for j := range n {
				wr, wi := c[j*k%n], -s[j*k%n]
				sr += xr[j*L+l]*wr - xi[j*L+l]*wi
				si += xr[j*L+l]*wi + xi[j*L+l]*wr
			}
			yr[k*L+l], yi[k*L+l] = sr, si
		}
	}
	return yr, yi
}

// TestComplexTransform checks the 1-D batched transform against the direct
// DFT, through the mixed-radix path and through Bluestein (forced by a
// maximum radix of 1), for every length up to 80 and some beyond.
func TestComplexTransform(t *testing.T) {
	lengths := []int{81, 96, 97, 100, 121, 125, 128, 169, 194, 210, 243, 256, 257, 343, 1000, 1021}
	for n := 1; n <= 80; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for _, maxRadix := range []int{maxGenericRadix, 1} {
			for _, L := range []int{1, 3} {
				c := newCPlan(n, maxRadix)
				g := newStream(uint64(n*10 + L))
				xr, xi := make([]float64, n*L), make([]float64, n*L)
				for i := range xr {
					xr[i], xi[i] = float64(g.next()), float64(g.next())
				}
				wr, wi := dft1(xr, xi, n, L)
				yr, yi := make([]float64, n*L), make([]float64, n*L)
				ar, ai := append([]float64(nil), xr...), append([]float64(nil), xi...)
				rr, ri := c.transform(ar, ai, yr, yi, L, make([]float64, c.workLen(L)))
				var d, s float64
				for i := range wr {
					d = math.Max(d, math.Hypot(rr[i]-wr[i], ri[i]-wi[i]))
					s = math.Max(s, math.Hypot(wr[i], wi[i]))
				}
				// float64 throughout: errors are ~1e-16·log n relative.
				if d > 1e-13*s {
					t.Errorf("n=%d maxRadix=%d L=%d (bluestein %v): error %.3g relative", n, maxRadix, L, c.blue != nil, d/s)
				}
			}
		}
	}
}

// TestCosSin2Pi compares with math.Sincos of the reduced argument
// 2π·(k mod n)/n, which is itself good to about 1e-15.
func TestCosSin2Pi(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 12, 97, 128, 1000, 4096} {
		for k := -n; k <= 2*n; k++ {
			c, s := cossin2pi(k, n)
			ws, wc := math.Sincos(2 * math.Pi * float64((k%n+n)%n) / float64(n))
			if math.Abs(c-wc) > 1e-15 || math.Abs(s-ws) > 1e-15 || math.Abs(c*c+s*s-1) > 3e-16 {
				t.Errorf("cossin2pi(%d, %d) = %g, %g; want %g, %g", k, n, c, s, wc, ws)
			}
		}
	}
	// Exact values where the circle has them.
	for _, c := range []struct {
		k, n     int
		cos, sin float64
	}{
		{0, 1, 1, 0}, {1, 2, -1, 0}, {1, 4, 0, 1}, {3, 4, 0, -1}, {2, 12, 0.5, math.Sqrt(3) / 2}, {1, 8, math.Sqrt2 / 2, math.Sqrt2 / 2},
	} {
		cs, sn := cossin2pi(c.k, c.n)
		if math.Abs(cs-c.cos) > 1.2e-16 || math.Abs(sn-c.sin) > 1.2e-16 {
			t.Errorf("cossin2pi(%d, %d) = %g, %g; want %g, %g", c.k, c.n, cs, sn, c.cos, c.sin)
		}
	}
}

// TestSIMDButterflies compares each assembly stage kernel with its Go twin
// over awkward block lengths (masked tails of every width) and butterfly
// counts, with and without twiddles.
func TestSIMDButterflies(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no assembly kernels on this CPU or build")
	}
	for _, p := range []int{2, 3, 4, 5, 7, 11, 13, 41, 127} {
		for _, m := range []int{1, 2, 3, 7} {
			for _, bl := range []int{1, 2, 7, 8, 9, 15, 16, 17, 33, 257} {
				n := p * m * bl
				// The first stage of a length-p·m transform, on bl lanes.
				st := newStage(p, m, 1, rootsOfUnity(p*m))
				g := newStream(uint64(n))
				xr, xi := make([]float64, n), make([]float64, n)
				for i := range xr {
					xr[i], xi[i] = float64(g.next()), float64(g.next())
				}
				nan := func() []float64 {
					v := make([]float64, n)
					for i := range v {
						v[i] = math.NaN()
					}
					return v
				}
				ar, ai, br, bi := nan(), nan(), nan(), nan()
				if !st.simd(xr, xi, ar, ai, bl) {
					t.Fatalf("radix %d: no assembly kernel", p)
				}
				switch p {
				case 2:
					st.radix2(xr, xi, br, bi, bl)
				case 3:
					st.radix3(xr, xi, br, bi, bl)
				case 4:
					st.radix4(xr, xi, br, bi, bl)
				case 5:
					st.radix5(xr, xi, br, bi, bl)
				default:
					st.radixGeneric(xr, xi, br, bi, bl)
				}
				for i := range ar {
					if !(math.Abs(ar[i]-br[i]) <= 1e-14 && math.Abs(ai[i]-bi[i]) <= 1e-14) {
						t.Errorf("radix %d m=%d bl=%d: value %d = %g%+gi, Go says %g%+gi", p, m, bl, i, ar[i], ai[i], br[i], bi[i])
						break
					}
				}
			}
		}
	}
}
