package fft

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stream is splitmix64 turned into float32 values in [-0.5, 0.5) that are
// exact in both float32 and float64; testdata/gen.py has the same generator.
type stream struct{ s uint64 }

func newStream(seed uint64) *stream { return &stream{seed} }

func (g *stream) next() float32 {
	g.s += 0x9E3779B97F4A7C15
	z := g.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return float32(z>>40)/(1<<24) - 0.5
}

func (g *stream) fill(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = g.next()
	}
	return v
}

// maxAbs returns max |a[i]−b[i]| and max |b[i]|.
func maxAbs(a, b []float32) (diff, scale float64) {
	for i := range a {
		diff = math.Max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = math.Max(scale, math.Abs(float64(b[i])))
	}
	return diff, scale
}

// relErr is max |got−want| relative to max |want| (or to 1 if want is tiny).
func relErr(got, want []float32) float64 {
	d, s := maxAbs(got, want)
	return d / math.Max(s, 1e-30)
}

// Tolerances, relative to the largest magnitude of the expected values. The
// transforms run in float64 and round once, so they are within about one
// float32 ulp (6e-8 relative) of the exact result; the reference rounds
// once too, hence two ulps plus a margin.
const (
	tolRef   = 3e-7
	tolNumpy = 3e-7
)

type numpyCase struct {
	h, w         int
	fre, fim, xi []float32
}

func readNumpy(t *testing.T) []numpyCase {
	t.Helper()
	data, err := os.ReadFile("testdata/numpy.bin")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("AFFTNP01")) || len(data) < 12 {
		t.Fatal("testdata/numpy.bin: bad header")
	}
	n := int(binary.LittleEndian.Uint32(data[8:]))
	data = data[12:]
	f32 := func(k int) []float32 {
		if len(data) < 4*k {
			t.Fatal("testdata/numpy.bin: truncated")
		}
		v := make([]float32, k)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
		data = data[4*k:]
		return v
	}
	var cases []numpyCase
	for range n {
		if len(data) < 8 {
			t.Fatal("testdata/numpy.bin: truncated")
		}
		h, w := int(binary.LittleEndian.Uint32(data)), int(binary.LittleEndian.Uint32(data[4:]))
		data = data[8:]
		b := w/2 + 1
		cases = append(cases, numpyCase{h: h, w: w, fre: f32(h * b), fim: f32(h * b), xi: f32(h * w)})
	}
	if len(data) != 0 {
		t.Fatalf("testdata/numpy.bin: %d trailing bytes", len(data))
	}
	return cases
}

// TestNumpy compares Forward, Inverse and the references with numpy's
// rfft2 and irfft2 (norm="ortho"), computed by testdata/gen.py. The inverse
// input has non-zero imaginary parts in bins 0 and W/2.
func TestNumpy(t *testing.T) {
	cases := readNumpy(t)
	if len(cases) < 14 {
		t.Fatalf("testdata/numpy.bin has %d sizes, want 14", len(cases))
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%d", c.h, c.w), func(t *testing.T) {
			b := c.w/2 + 1
			g := newStream(uint64(c.h*1000 + c.w))
			x := g.fill(c.h * c.w)
			gre, gim := g.fill(c.h*b), g.fill(c.h*b)
			p := NewPlan2D(c.h, c.w)
			re, im := make([]float32, c.h*b), make([]float32, c.h*b)
			xi := make([]float32, c.h*c.w)
			// Errors are relative to the largest magnitude of the expected
			// transform (re and im together: one part can be all zero).
			_, sr := maxAbs(c.fre, c.fre)
			_, si := maxAbs(c.fim, c.fim)
			fscale := math.Max(sr, si)
			_, xscale := maxAbs(c.xi, c.xi)
			check := func(what string, got, want []float32, scale float64) {
				t.Helper()
				d, _ := maxAbs(got, want)
				if e := d / scale; e > tolNumpy {
					t.Errorf("%s: max error %.3g relative to max magnitude, want ≤ %g", what, e, tolNumpy)
				}
			}
			p.Forward(re, im, x)
			check("Forward re", re, c.fre, fscale)
			check("Forward im", im, c.fim, fscale)
			p.Inverse(xi, gre, gim)
			check("Inverse", xi, c.xi, xscale)
			if c.h*c.w <= 1100 {
				ForwardRef(re, im, x, c.h, c.w)
				check("ForwardRef re", re, c.fre, fscale)
				check("ForwardRef im", im, c.fim, fscale)
				InverseRef(xi, gre, gim, c.h, c.w)
				check("InverseRef", xi, c.xi, xscale)
			}
		})
	}
}

// refSizes are compared with the direct DFT: every size up to 9×9, the
// awkward sizes 33 and 257, radices 2–5 and the generic ones, primes on
// both sides of the Bluestein threshold, and the bottleneck sizes.
func refSizes() [][2]int {
	var s [][2]int
	for h := 1; h <= 9; h++ {
		for w := 1; w <= 9; w++ {
			s = append(s, [2]int{h, w})
		}
	}
	return append(s,
		[2]int{1, 257}, [2]int{257, 1}, [2]int{7, 257}, [2]int{257, 2},
		[2]int{33, 33}, [2]int{33, 25}, [2]int{25, 33}, [2]int{16, 48},
		[2]int{11, 13}, [2]int{41, 43}, [2]int{43, 41}, [2]int{47, 6},
		[2]int{6, 47}, [2]int{49, 22}, [2]int{3, 121}, [2]int{3, 169},
		[2]int{30, 30}, [2]int{32, 32}, [2]int{2, 194}, [2]int{5, 200},
		[2]int{4, 1024}, [2]int{2, 1021}, [2]int{27, 8}, [2]int{64, 12},
	)
}

func TestForwardAgainstRef(t *testing.T) {
	for _, sz := range refSizes() {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		x := newStream(uint64(7*h + w)).fill(h * w)
		re, im := make([]float32, h*b), make([]float32, h*b)
		rre, rim := make([]float32, h*b), make([]float32, h*b)
		NewPlan2D(h, w).Forward(re, im, x)
		ForwardRef(rre, rim, x, h, w)
		// One scale for both parts: a part can be all zero (e.g. im for 1×2).
		_, sr := maxAbs(re, rre)
		_, si := maxAbs(im, rim)
		dr, _ := maxAbs(re, rre)
		di, _ := maxAbs(im, rim)
		if e := math.Max(dr, di) / math.Max(sr, si); e > tolRef {
			t.Errorf("%d×%d: Forward differs from ForwardRef by %.3g relative, want ≤ %g", h, w, e, tolRef)
		}
	}
}

func TestInverseAgainstRef(t *testing.T) {
	for _, sz := range refSizes() {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		g := newStream(uint64(11*h + w))
		re, im := g.fill(h*b), g.fill(h*b)
		x, rx := make([]float32, h*w), make([]float32, h*w)
		NewPlan2D(h, w).Inverse(x, re, im)
		InverseRef(rx, re, im, h, w)
		if e := relErr(x, rx); e > tolRef {
			t.Errorf("%d×%d: Inverse differs from InverseRef by %.3g relative, want ≤ %g", h, w, e, tolRef)
		}
	}
}

// TestInverseIgnoresSelfConjugateImag checks that the imaginary parts of
// the bins that must be real in the spectrum of a real plane, (0,0),
// (H/2,0), (0,W/2), (H/2,W/2) for even sizes, do not reach the output, and
// that the others (e.g. (1,0) for H = 3) do.
func TestInverseIgnoresSelfConjugateImag(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 2}, {4, 6}, {3, 5}, {6, 7}, {5, 4}} {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		p := NewPlan2D(h, w)
		g := newStream(uint64(h*100 + w))
		re, im := g.fill(h*b), g.fill(h*b)
		base := make([]float32, h*w)
		p.Inverse(base, re, im)
		got := make([]float32, h*w)
		for u := 0; u < h; u++ {
			for v := 0; v < b; v++ {
				ignored := (u == 0 || 2*u == h) && (v == 0 || 2*v == w)
				im2 := append([]float32(nil), im...)
				im2[u*b+v] += 1
				p.Inverse(got, re, im2)
				d, _ := maxAbs(got, base)
				if ignored && d != 0 {
					t.Errorf("%d×%d: imaginary part of bin (%d,%d) changed the output by %g", h, w, u, v, d)
				}
				if !ignored && d < 1e-3 {
					t.Errorf("%d×%d: imaginary part of bin (%d,%d) has no effect", h, w, u, v)
				}
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 2}, {33, 25}, {17, 13}, {64, 64}, {97, 89}, {125, 128}, {1, 257}, {257, 33}} {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		p := NewPlan2D(h, w)
		x := newStream(uint64(h*w + 5)).fill(h * w)
		re, im := make([]float32, h*b), make([]float32, h*b)
		y := make([]float32, h*w)
		p.Forward(re, im, x)
		p.Inverse(y, re, im)
		if e := relErr(y, x); e > tolRef {
			t.Errorf("%d×%d: Inverse(Forward(x)) differs from x by %.3g relative, want ≤ %g", h, w, e, tolRef)
		}
	}
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// TestAdjoints checks ⟨Forward x, g⟩ = ⟨x, ForwardAdjoint g⟩ and
// ⟨Inverse F, g⟩ = ⟨F, InverseAdjoint g⟩ for random vectors, where the
// inner product of spectra is Σ re·gre + im·gim.
func TestAdjoints(t *testing.T) {
	const tol = 1e-5
	for _, sz := range [][2]int{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 3}, {4, 6}, {5, 7}, {6, 5}, {17, 13}, {32, 32}, {33, 25}, {25, 33}, {64, 64}, {97, 89}, {1, 257}} {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		p := NewPlan2D(h, w)
		for trial := range 3 {
			g := newStream(uint64(1000*h + 10*w + trial))
			x, gx := g.fill(h*w), g.fill(h*w)
			fre, fim := g.fill(h*b), g.fill(h*b)
			gre, gim := g.fill(h*b), g.fill(h*b)

			yre, yim := make([]float32, h*b), make([]float32, h*b)
			p.Forward(yre, yim, x)
			ax := make([]float32, h*w)
			p.ForwardAdjoint(ax, gre, gim)
			lhs, rhs := dot(yre, gre)+dot(yim, gim), dot(x, ax)
			if d := math.Abs(lhs - rhs); d > tol*math.Max(1, math.Abs(lhs)) {
				t.Errorf("%d×%d: ⟨Forward x, g⟩ = %.9g, ⟨x, ForwardAdjoint g⟩ = %.9g", h, w, lhs, rhs)
			}

			y := make([]float32, h*w)
			p.Inverse(y, fre, fim)
			are, aim := make([]float32, h*b), make([]float32, h*b)
			p.InverseAdjoint(are, aim, gx)
			lhs, rhs = dot(y, gx), dot(fre, are)+dot(fim, aim)
			if d := math.Abs(lhs - rhs); d > tol*math.Max(1, math.Abs(lhs)) {
				t.Errorf("%d×%d: ⟨Inverse F, g⟩ = %.9g, ⟨F, InverseAdjoint g⟩ = %.9g", h, w, lhs, rhs)
			}
		}
	}
}

// TestAdjointsExact builds the matrices of Forward and Inverse column by
// column on small sizes and checks that the adjoints are their transposes
// entry by entry (the inner-product test above could miss an error that is
// orthogonal to its random vectors only by bad luck; this one cannot).
func TestAdjointsExact(t *testing.T) {
	for _, sz := range [][2]int{{1, 1}, {2, 2}, {3, 4}, {4, 3}, {5, 5}, {2, 6}} {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		n, m := h*w, 2*h*b // plane and spectrum dimensions
		p := NewPlan2D(h, w)
		// fwd[i][j] = ∂(spectrum j)/∂(x i), inv[j][i] = ∂(x i)/∂(spectrum j).
		fwd := make([][]float32, n)
		for i := range n {
			x := make([]float32, n)
			x[i] = 1
			re, im := make([]float32, h*b), make([]float32, h*b)
			p.Forward(re, im, x)
			fwd[i] = append(re, im...)
		}
		inv := make([][]float32, m)
		for j := range m {
			re, im := make([]float32, h*b), make([]float32, h*b)
			if j < h*b {
				re[j] = 1
			} else {
				im[j-h*b] = 1
			}
			x := make([]float32, n)
			p.Inverse(x, re, im)
			inv[j] = x
		}
		for j := range m {
			gre, gim := make([]float32, h*b), make([]float32, h*b)
			if j < h*b {
				gre[j] = 1
			} else {
				gim[j-h*b] = 1
			}
			gx := make([]float32, n)
			p.ForwardAdjoint(gx, gre, gim)
			for i := range n {
				if d := math.Abs(float64(gx[i] - fwd[i][j])); d > 1e-6 {
					t.Errorf("%d×%d: ForwardAdjoint[%d][%d] = %g, Forward[%d][%d] = %g", h, w, i, j, gx[i], j, i, fwd[i][j])
				}
			}
		}
		for i := range n {
			gx := make([]float32, n)
			gx[i] = 1
			are, aim := make([]float32, h*b), make([]float32, h*b)
			p.InverseAdjoint(are, aim, gx)
			a := append(are, aim...)
			for j := range m {
				if d := math.Abs(float64(a[j] - inv[j][i])); d > 1e-6 {
					t.Errorf("%d×%d: InverseAdjoint[%d][%d] = %g, Inverse[%d][%d] = %g", h, w, j, i, a[j], i, j, inv[j][i])
				}
			}
		}
	}
}

// TestConcurrent shares plans between goroutines; run it with -race.
func TestConcurrent(t *testing.T) {
	sizes := [][2]int{{32, 32}, {33, 25}, {97, 89}}
	type want struct{ x, re, im, y []float32 }
	wants := make([]want, len(sizes))
	for k, sz := range sizes {
		h, w := sz[0], sz[1]
		b := w/2 + 1
		p := Plan(h, w)
		x := newStream(uint64(k)).fill(h * w)
		re, im := make([]float32, h*b), make([]float32, h*b)
		y := make([]float32, h*w)
		p.Forward(re, im, x)
		p.Inverse(y, re, im)
		wants[k] = want{x, re, im, y}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for gor := range 6 {
		wg.Go(func() {
			for it := range 20 {
				k := (gor + it) % len(sizes)
				h, w := sizes[k][0], sizes[k][1]
				b := w/2 + 1
				p := Plan(h, w)
				re, im := make([]float32, h*b), make([]float32, h*b)
				y := make([]float32, h*w)
				p.Forward(re, im, wants[k].x)
				p.Inverse(y, re, im)
				for i := range re {
					if re[i] != wants[k].re[i] || im[i] != wants[k].im[i] {
						errs <- fmt.Errorf("%d×%d: goroutine %d: Forward differs at %d", h, w, gor, i)
						return
					}
				}
				for i := range y {
					if y[i] != wants[k].y[i] {
						errs <- fmt.Errorf("%d×%d: goroutine %d: Inverse differs at %d", h, w, gor, i)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestNoAllocs checks that the transforms reuse their scratch memory.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	for _, sz := range [][2]int{{32, 32}, {33, 25}, {131, 12}} {
		h, w := sz[0], sz[1]
		p := NewPlan2D(h, w)
		x := newStream(1).fill(h * w)
		re, im := make([]float32, h*p.Bins()), make([]float32, h*p.Bins())
		allocs := testing.AllocsPerRun(20, func() {
			p.Forward(re, im, x)
			p.Inverse(x, re, im)
			p.InverseAdjoint(re, im, x)
			p.ForwardAdjoint(x, re, im)
		})
		if allocs > 0 {
			t.Errorf("%d×%d: %g allocations per run, want 0", h, w, allocs)
		}
	}
}

func TestPlanCache(t *testing.T) {
	p := Plan(33, 25)
	if Plan(33, 25) != p {
		t.Error("Plan(33, 25) returned two different plans")
	}
	if Plan(25, 33) == p {
		t.Error("Plan(25, 33) returned the 33×25 plan")
	}
	if h, w := p.Size(); h != 33 || w != 25 {
		t.Errorf("Size() = %d, %d, want 33, 25", h, w)
	}
	for _, c := range []struct{ w, bins int }{{1, 1}, {2, 2}, {25, 13}, {64, 33}} {
		if got := NewPlan2D(3, c.w).Bins(); got != c.bins {
			t.Errorf("NewPlan2D(3, %d).Bins() = %d, want %d", c.w, got, c.bins)
		}
	}
}

func TestPanics(t *testing.T) {
	p := NewPlan2D(4, 6) // 24 plane values, 16 spectrum values per part
	ok := make([]float32, 24)
	s := make([]float32, 16)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"NewPlan2D(0, 5)", func() { NewPlan2D(0, 5) }},
		{"NewPlan2D(5, -1)", func() { NewPlan2D(5, -1) }},
		{"Forward short x", func() { p.Forward(s, s, ok[:23]) }},
		{"Forward long re", func() { p.Forward(make([]float32, 17), s, ok) }},
		{"Inverse short im", func() { p.Inverse(ok, s, s[:15]) }},
		{"ForwardAdjoint long gx", func() { p.ForwardAdjoint(make([]float32, 25), s, s) }},
		{"InverseAdjoint short gre", func() { p.InverseAdjoint(s[:1], s, ok) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", c.name)
				}
			}()
			c.f()
		}()
	}
}

// TestAccuracy checks that Forward and Inverse are as accurate as float32
// output allows: computed in float64 and rounded once, every value is within
// half an ulp, 2⁻²⁴ ≈ 5.96e-8 of its magnitude, of the exact transform (the
// float64 reference). With -v it prints the figures.
func TestAccuracy(t *testing.T) {
	const bound = 6.0e-8 // relative to the largest magnitude
	for _, sz := range [][2]int{{32, 32}, {64, 64}, {33, 25}, {17, 13}, {97, 89}, {125, 128}, {131, 12}, {10, 257}, {1, 1}, {2, 2}} {
		h, w := sz[0], sz[1]
		if (testing.Short() || raceEnabled) && h*w > 5000 {
			continue
		}
		b := w/2 + 1
		p := NewPlan2D(h, w)
		g := newStream(uint64(h*w + 99))
		x, gre, gim := g.fill(h*w), g.fill(h*b), g.fill(h*b)

		re, im := make([]float32, h*b), make([]float32, h*b)
		p.Forward(re, im, x)
		wr, wi := forwardRef64(x, h, w)
		var fd, fs, frms float64
		for k := range wr {
			fd = math.Max(fd, math.Max(math.Abs(float64(re[k])-wr[k]), math.Abs(float64(im[k])-wi[k])))
			fs = math.Max(fs, math.Max(math.Abs(wr[k]), math.Abs(wi[k])))
			frms += math.Pow(float64(re[k])-wr[k], 2) + math.Pow(float64(im[k])-wi[k], 2)
		}
		frms = math.Sqrt(frms / float64(2*len(wr)))

		xi := make([]float32, h*w)
		p.Inverse(xi, gre, gim)
		wx := inverseRef64(gre, gim, h, w)
		var id, is float64
		for k := range wx {
			id = math.Max(id, math.Abs(float64(xi[k])-wx[k]))
			is = math.Max(is, math.Abs(wx[k]))
		}
		// Each value is its exact one rounded to float32, give or take the
		// float64 arithmetic here and in the reference (see FuzzPlan).
		slop := 1e-12 * sumAbs(x)
		for k := range wr {
			if !roundedOnce(re[k], wr[k], slop) || !roundedOnce(im[k], wi[k], slop) {
				t.Errorf("%d×%d: Forward bin %d = %g%+gi, exact %g%+gi: not rounded once", h, w, k, re[k], im[k], wr[k], wi[k])
				break
			}
		}
		slop = 1e-12 * (sumAbs(gre) + sumAbs(gim))
		for k := range wx {
			if !roundedOnce(xi[k], wx[k], slop) {
				t.Errorf("%d×%d: Inverse value %d = %g, exact %g: not rounded once", h, w, k, xi[k], wx[k])
				break
			}
		}
		t.Logf("%4d×%-4d Forward max err %.2e (%.3g of max |F| = %.3g, rms %.2e); Inverse max err %.2e (%.3g of max |x| = %.3g)",
			h, w, fd, fd/fs, fs, frms, id, id/is, is)
		if fd > bound*fs || id > bound*is {
			t.Errorf("%d×%d: errors %.3g, %.3g relative to the largest magnitude, want ≤ %g", h, w, fd/fs, id/is, bound)
		}
	}
}

func sumAbs(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += math.Abs(float64(x))
	}
	return s
}

// roundedOnce reports whether got is within half a float32 ulp of exact,
// plus slop.
func roundedOnce(got float32, exact, slop float64) bool {
	ulp := float64(math.Nextafter32(float32(math.Abs(exact)), float32(math.Inf(1))) - float32(math.Abs(exact)))
	return math.Abs(float64(got)-exact) <= ulp/2+slop
}

// FuzzPlan checks Forward and Inverse against the references, the round
// trip and the adjoint identities, for sizes up to 40×40 and values from the
// fuzzer's bytes (or, with no bytes, from the seed).
func FuzzPlan(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint64(0), []byte{})
	f.Add(uint8(33), uint8(25), uint64(1), []byte{})
	f.Add(uint8(16), uint8(16), uint64(2), []byte{0, 255, 128, 7})
	f.Add(uint8(7), uint8(38), uint64(3), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, hb, wb uint8, seed uint64, data []byte) {
		h, w := int(hb)%40+1, int(wb)%40+1
		b := w/2 + 1
		g := newStream(seed)
		val := func(i int) float32 {
			if len(data) == 0 {
				return g.next()
			}
			// Signed bytes with a per-position exponent: magnitudes 2⁻⁸ … 2⁸.
			v := float32(int8(data[i%len(data)])) / 64
			return float32(math.Ldexp(float64(v), (i/len(data))%17-8))
		}
		x := make([]float32, h*w)
		for i := range x {
			x[i] = val(i)
		}
		gre, gim := make([]float32, h*b), make([]float32, h*b)
		for i := range gre {
			gre[i], gim[i] = val(h*w+2*i), val(h*w+2*i+1)
		}
		p := Plan(h, w)

		re, im := make([]float32, h*b), make([]float32, h*b)
		p.Forward(re, im, x)
		wr, wi := forwardRef64(x, h, w)
		// The reference's own error is below 1e-12 of the inputs' sum of
		// magnitudes, even where the exact value is 0 (as its sines of
		// multiples of π are not).
		slop := 1e-12 * sumAbs(x)
		for k := range wr {
			if !roundedOnce(re[k], wr[k], slop) || !roundedOnce(im[k], wi[k], slop) {
				t.Fatalf("%d×%d: Forward bin %d = %g%+gi, exact %g%+gi", h, w, k, re[k], im[k], wr[k], wi[k])
			}
		}

		xi := make([]float32, h*w)
		p.Inverse(xi, gre, gim)
		wx := inverseRef64(gre, gim, h, w)
		slop = 1e-12 * (sumAbs(gre) + sumAbs(gim))
		for k := range wx {
			if !roundedOnce(xi[k], wx[k], slop) {
				t.Fatalf("%d×%d: Inverse value %d = %g, exact %g", h, w, k, xi[k], wx[k])
			}
		}

		y := make([]float32, h*w)
		p.Inverse(y, re, im)
		if d, s := maxAbs(y, x); d > 3e-7*s {
			t.Fatalf("%d×%d: round trip error %g of max %g", h, w, d, s)
		}

		ax := make([]float32, h*w)
		p.ForwardAdjoint(ax, gre, gim)
		lhs, rhs := dot(re, gre)+dot(im, gim), dot(x, ax)
		if math.Abs(lhs-rhs) > 1e-5*(math.Sqrt(dot(x, x)*(dot(gre, gre)+dot(gim, gim)))+1e-30) {
			t.Fatalf("%d×%d: ⟨Forward x, g⟩ = %g, ⟨x, ForwardAdjoint g⟩ = %g", h, w, lhs, rhs)
		}
		are, aim := make([]float32, h*b), make([]float32, h*b)
		p.InverseAdjoint(are, aim, x)
		lhs, rhs = dot(xi, x), dot(gre, are)+dot(gim, aim)
		if math.Abs(lhs-rhs) > 1e-5*(math.Sqrt(dot(x, x)*(dot(gre, gre)+dot(gim, gim)))+1e-30) {
			t.Fatalf("%d×%d: ⟨Inverse F, g⟩ = %g, ⟨F, InverseAdjoint g⟩ = %g", h, w, lhs, rhs)
		}
	})
}

var benchSizes = [][2]int{{32, 32}, {64, 64}, {33, 25}, {128, 128}, {17, 13}, {96, 96}, {125, 125}, {97, 89}}

// threadCPU returns the CPU time used by the calling OS thread. The machine
// is shared, so benchmarks report it next to wall time: it leaves out the
// time spent waiting for a core.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

// BenchmarkForwardInverse times Forward followed by Inverse on one plane.
// cpu-ns/op is the thread CPU time per operation.
func BenchmarkForwardInverse(b *testing.B) {
	for _, sz := range benchSizes {
		h, w := sz[0], sz[1]
		b.Run(fmt.Sprintf("%dx%d", h, w), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			p := Plan(h, w)
			x := newStream(1).fill(h * w)
			re, im := make([]float32, h*p.Bins()), make([]float32, h*p.Bins())
			c0 := threadCPU()
			for b.Loop() {
				p.Forward(re, im, x)
				p.Inverse(x, re, im)
			}
			b.ReportMetric(float64(threadCPU()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
