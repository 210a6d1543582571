package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// dotRowsRef64 is DotRows in float64 plain loops.
func dotRowsRef64(c []float64, ldc int, a []float32, aoff []int, b []float32, boff []int, k int) {
	for i, ao := range aoff {
		for j, bo := range boff {
			var s float64
			for q := 0; q < k; q++ {
				s += float64(a[ao+q]) * float64(b[bo+q])
			}
			c[i*ldc+j] += s
		}
	}
}

func TestDotRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	kernels := map[string]dotKernel{"go": dotGo}
	if FastDot() {
		kernels["asm"] = activeDot
	}
	defer func(k dotKernel) { activeDot = k }(activeDot)
	for name, kern := range kernels {
		activeDot = kern
		for _, sz := range []struct{ m, n, k int }{
			{1, 1, 1}, {3, 1, 15}, {4, 6, 16}, {5, 7, 17}, {8, 12, 1024}, {9, 13, 2049}, {32, 288, 3000}, {3, 1568, 100},
		} {
			t.Run(fmt.Sprintf("%s/%dx%dx%d", name, sz.m, sz.n, sz.k), func(t *testing.T) {
				// Rows start anywhere (unaligned, overlapping), as a
				// convolution's shifted taps do.
				a := make([]float32, sz.m*sz.k+37)
				b := make([]float32, sz.k+sz.n*3+5)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64())
				}
				aoff, boff := make([]int, sz.m), make([]int, sz.n)
				for i := range aoff {
					aoff[i] = rng.IntN(len(a) - sz.k + 1)
				}
				for j := range boff {
					boff[j] = rng.IntN(len(b) - sz.k + 1)
				}
				ldc := sz.n + 3
				c := make([]float32, sz.m*ldc)
				want := make([]float64, len(c))
				for i := range c {
					c[i] = float32(rng.NormFloat64())
					want[i] = float64(c[i])
				}
				DotRows(c, ldc, a, aoff, b, boff, sz.k)
				dotRowsRef64(want, ldc, a, aoff, b, boff, sz.k)
				scale := math.Sqrt(float64(sz.k)) + 1
				for i := range c {
					if d := math.Abs(float64(c[i]) - want[i]); d > 1e-5*scale {
						t.Fatalf("c[%d] = %v, want %v (|Δ| %.3g)", i, c[i], want[i], d)
					}
				}
			})
		}
	}
}

// TestDotRowsIndependentOfNeighbours checks that a sum does not depend on
// the other rows of the call, bit for bit: callers split rows between
// threads and rely on it.
func TestDotRowsIndependentOfNeighbours(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const m, n, k = 11, 40, 5000
	a, b := make([]float32, m*k), make([]float32, n*k)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	for i := range b {
		b[i] = float32(rng.NormFloat64())
	}
	aoff, boff := strided(m, k), strided(n, k)
	all := make([]float32, m*n)
	DotRows(all, n, a, aoff, b, boff, k)
	for _, cut := range [][2]int{{0, 1}, {5, 6}, {7, 17}, {3, 40}} {
		part := make([]float32, m*n)
		DotRows(part[cut[0]:], n, a, aoff[2:], b, boff[cut[0]:cut[1]], k)
		for i := 2; i < m; i++ {
			for j := cut[0]; j < cut[1]; j++ {
				if part[(i-2)*n+j] != all[i*n+j] {
					t.Fatalf("rows %v: c[%d, %d] = %v alone, %v with all rows", cut, i, j, part[(i-2)*n+j], all[i*n+j])
				}
			}
		}
	}
}

func TestDotRowsPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a row past the end of B")
		}
	}()
	DotRows(make([]float32, 1), 1, make([]float32, 10), []int{0}, make([]float32, 10), []int{1}, 10)
}

// benchDotConv times DotRows on the shape of a 3×3 convolution's weight
// gradient: m rows of the output gradient, k long, against the 9 shifted
// runs of each of ch input planes of width w, planes apart.
func benchDotConv(b *testing.B, m, ch, w, k, plane int) {
	a := make([]float32, m*k)
	x := make([]float32, ch*plane+k)
	for i := range a {
		a[i] = 1
	}
	aoff := make([]int, m)
	for i := range aoff {
		aoff[i] = i * k
	}
	var boff []int
	for c := 0; c < ch; c++ {
		for ky := 0; ky < 3; ky++ {
			for kx := 0; kx < 3; kx++ {
				boff = append(boff, c*plane+ky*w+kx)
			}
		}
	}
	c := make([]float32, m*len(boff))
	b.ResetTimer()
	for b.Loop() {
		DotRows(c, len(boff), a, aoff, x, boff, k)
	}
	b.ReportMetric(2*float64(m*len(boff)*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkDotRows: a 3×3 convolution, 32 → 32 channels, one 64×64 image
// (planes padded to 66×66).
func BenchmarkDotRows(b *testing.B) { benchDotConv(b, 32, 32, 66, 64*66, 66*66) }

// BenchmarkDotRowsLaMa: LaMa-Fourier's global-to-local 3×3 convolution
// (384 → 128 channels at 32×32, batch 4: four 34×34 planes end to end),
// one thread's half of the input channels.
func BenchmarkDotRowsLaMa(b *testing.B) { benchDotConv(b, 128, 192, 34, 4*34*34, 4*34*34) }

// TestDotRowsSegments checks that DotRowsSegments sums exactly the
// segments: values outside them are NaN and must not reach C.
func TestDotRowsSegments(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	const m, n, k = 9, 14, 3000
	segs := []Segment{{0, 700}, {1024, 1000}, {2100, 5}, {2500, 0}, {2600, 400}}
	a, b := make([]float32, m*k), make([]float32, n*k)
	for i := range a {
		a[i] = float32(math.NaN())
	}
	for i := range b {
		b[i] = float32(math.NaN())
	}
	for _, sg := range segs {
		for q := sg.Start; q < sg.Start+sg.Len; q++ {
			for i := 0; i < m; i++ {
				a[i*k+q] = float32(rng.NormFloat64())
			}
			for j := 0; j < n; j++ {
				b[j*k+q] = float32(rng.NormFloat64())
			}
		}
	}
	aoff, boff := strided(m, k), strided(n, k)
	c := make([]float32, m*n)
	DotRowsSegments(c, n, a, aoff, b, boff, segs)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want float64
			for _, sg := range segs {
				for q := sg.Start; q < sg.Start+sg.Len; q++ {
					want += float64(a[i*k+q]) * float64(b[j*k+q])
				}
			}
			if d := math.Abs(float64(c[i*n+j]) - want); !(d < 1e-4) {
				t.Fatalf("c[%d, %d] = %v, want %v", i, j, c[i*n+j], want)
			}
		}
	}
}

// strided returns the offsets 0, stride, 2·stride, … of n rows.
func strided(n, stride int) []int {
	offs := make([]int, n)
	for i := range offs {
		offs[i] = i * stride
	}
	return offs
}
