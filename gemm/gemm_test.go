package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// u is the unit roundoff of float32.
const u = 1.0 / (1 << 24)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// magnitude returns |alpha|·Σ_p |op(A)[i,p]|·|op(B)[p,j]| + |beta|·|C[i,j]|
// for every (i, j): the scale of the rounding error a float32 evaluation
// of that element may make.
func magnitude(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	mag := make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				av, bv := a[i*lda+p], b[p*ldb+j]
				if transA {
					av = a[p*lda+i]
				}
				if transB {
					bv = b[j*ldb+p]
				}
				s += math.Abs(float64(av) * float64(bv))
			}
			mag[i*n+j] = math.Abs(float64(alpha))*s + math.Abs(float64(beta)*float64(c[i*ldc+j]))
		}
	}
	return mag
}

// errorBound is the tolerance for an element computed with k float32
// multiply-adds plus a few roundings (alpha in packing, beta, the store):
// |fast - exact| ≤ (k+4)·u·magnitude, the classical bound for recursive
// summation, doubled for margin; the reference itself is exact to u.
func errorBound(k int, mag float64) float64 {
	return 2*float64(k+4)*u*mag + 1e-30
}

var awkward = []int{1, 7, 33, 257}

func TestSgemm(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	scalars := []struct{ alpha, beta float32 }{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}, {1.5, 0}}
	for _, m := range awkward {
		for _, n := range awkward {
			for _, k := range awkward {
				if testing.Short() && m*n*k > 33*33*257 {
					continue
				}
				for ti := 0; ti < 4; ti++ {
					transA, transB := ti&1 != 0, ti&2 != 0
					sc := scalars[(m+n+k+ti)%len(scalars)]
					lda, ldb, ldc := k+3, n+1, n+2
					if transA {
						lda = m + 3
					}
					if transB {
						ldb = k + 1
					}
					a := randSlice(r, max(m, k)*lda)
					b := randSlice(r, max(k, n)*ldb)
					c0 := randSlice(r, m*ldc)
					want := append([]float32(nil), c0...)
					SgemmRef(transA, transB, m, n, k, sc.alpha, a, lda, b, ldb, sc.beta, want, ldc)
					mag := magnitude(transA, transB, m, n, k, sc.alpha, a, lda, b, ldb, sc.beta, c0, ldc)
					got := make([]float32, len(c0))
					for _, kern := range kernels {
						for _, threads := range []int{1, 2} {
							copy(got, c0)
							sgemm(kern, threads, transA, transB, m, n, k, sc.alpha, a, lda, b, ldb, sc.beta, got, ldc)
							name := fmt.Sprintf("%s/m%d-n%d-k%d-tA%v-tB%v-a%v-b%v-t%d", kern.name, m, n, k, transA, transB, sc.alpha, sc.beta, threads)
							compareC(t, name, m, n, got, want, ldc, k, mag)
							// Padding between rows of C must be untouched.
							for i := 0; i < m; i++ {
								for j := n; j < ldc && i*ldc+j < len(got); j++ {
									if got[i*ldc+j] != c0[i*ldc+j] {
										t.Fatalf("%s: wrote C[%d,%d] outside the matrix", name, i, j)
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

func compareC(t *testing.T, name string, m, n int, got, want []float32, ldc, k int, mag []float64) {
	t.Helper()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			g, w := float64(got[i*ldc+j]), float64(want[i*ldc+j])
			if tol := errorBound(k, mag[i*n+j]); !(math.Abs(g-w) <= tol) {
				t.Fatalf("%s: C[%d,%d] = %g, want %g (|diff| %g > bound %g)", name, i, j, g, w, math.Abs(g-w), tol)
			}
		}
	}
}

// TestSgemmBetaZeroIgnoresNaN checks the BLAS rule that beta = 0 means C
// is not read.
func TestSgemmBetaZeroIgnoresNaN(t *testing.T) {
	for _, kern := range kernels {
		m, n, k := 9, 35, 5
		a, b := make([]float32, m*k), make([]float32, k*n)
		for i := range a {
			a[i] = 1
		}
		for i := range b {
			b[i] = 2
		}
		c := make([]float32, m*n)
		for i := range c {
			c[i] = float32(math.NaN())
		}
		sgemm(kern, 1, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		for i, v := range c {
			if v != 10 {
				t.Fatalf("%s: c[%d] = %v, want 10", kern.name, i, v)
			}
		}
		for i := range c {
			c[i] = float32(math.NaN())
		}
		sgemm(kern, 1, false, false, m, n, k, 0, a, k, b, n, 0, c, n)
		for i, v := range c {
			if v != 0 {
				t.Fatalf("%s: alpha=0 beta=0: c[%d] = %v, want 0", kern.name, i, v)
			}
		}
	}
}

// TestMulPackedEpilogue compares every fused store (bias, accumulate, each
// activation, residual) with EpilogueRef applied to the reference product.
func TestMulPackedEpilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	sizes := [][3]int{{1, 1, 1}, {7, 33, 7}, {33, 7, 257}, {13, 257, 33}, {64, 100, 600}, {3, 1000, 20}}
	for _, sz := range sizes {
		m, n, k := sz[0], sz[1], sz[2]
		// e enumerates bias × accumulate × 3 activations × residual.
		for e := 0; e < 24; e++ {
			ldc, ldr := n+5, n+3
			a := randSlice(r, m*k)
			b := randSlice(r, k*n)
			var ep Epilogue
			if e&1 != 0 {
				ep.Bias = randSlice(r, m)
			}
			ep.Accumulate = e&2 != 0
			ep.Act = Act(e / 4 % 3)
			if e >= 12 {
				ep.Residual, ep.ResidualStride = randSlice(r, m*ldr), ldr
			}
			c0 := randSlice(r, m*ldc)
			prod := make([]float32, m*n)
			SgemmRef(false, false, m, n, k, 1, a, k, b, n, 0, prod, n)
			want := append([]float32(nil), c0...)
			EpilogueRef(m, n, prod, n, want, ldc, &ep)
			mag := magnitude(false, false, m, n, k, 1, a, k, b, n, 0, c0, ldc)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					if ep.Bias != nil {
						mag[i*n+j] += math.Abs(float64(ep.Bias[i]))
					}
					if ep.Accumulate {
						mag[i*n+j] += math.Abs(float64(c0[i*ldc+j]))
					}
					if ep.Residual != nil {
						mag[i*n+j] += math.Abs(float64(ep.Residual[i*ldr+j]))
					}
				}
			}
			for _, kern := range kernels {
				pa := new(PackedA)
				pa.packWith(kern, kern.kc, m, k, a, k, false, 1, 2)
				for _, threads := range []int{1, 2} {
					got := append([]float32(nil), c0...)
					mb := matrixB{b: b, ldb: n}
					MulPackedThreads(pa, n, &mb, got, ldc, &ep, threads)
					name := fmt.Sprintf("%s/m%d-n%d-k%d-bias%v-acc%v-act%d-res%v-t%d", kern.name, m, n, k, ep.Bias != nil, ep.Accumulate, ep.Act, ep.Residual != nil, threads)
					compareC(t, name, m, n, got, want, ldc, k, mag)
					for i := 0; i < m; i++ {
						for j := n; j < ldc && i*ldc+j < len(got); j++ {
							if got[i*ldc+j] != c0[i*ldc+j] {
								t.Fatalf("%s: wrote outside C at (%d,%d)", name, i, j)
							}
						}
					}
				}
			}
		}
	}
}

func TestMulPackedEmptyK(t *testing.T) {
	pa := PackA(2, 0, nil, 0)
	c := []float32{5, 5, 5, 5}
	ep := Epilogue{Bias: []float32{1, -1}, Accumulate: true, Act: ActReLU}
	MulPacked(pa, 2, &matrixB{}, c, 2, &ep)
	want := []float32{6, 6, 4, 4}
	for i := range c {
		if c[i] != want[i] {
			t.Fatalf("c = %v, want %v", c, want)
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"negative", func() { Sgemm(false, false, -1, 1, 1, 1, nil, 1, nil, 1, 0, nil, 1) }},
		{"short A", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"small lda", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}},
		{"short C", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		}},
		{"short bias", func() {
			MulPacked(PackA(2, 1, []float32{1, 1}, 1), 1, &matrixB{b: []float32{1}, ldb: 1}, make([]float32, 2), 1, &Epilogue{Bias: []float32{1}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestParallel(t *testing.T) {
	for _, parts := range []int{0, 1, 2, 7, 100, 300} {
		hits := make([]int, parts)
		Parallel(parts, func(p int) { hits[p]++ })
		for p, h := range hits {
			if h != 1 {
				t.Fatalf("parts=%d: part %d ran %d times", parts, p, h)
			}
		}
	}
	// Nested calls must not deadlock.
	var sum [4][4]int
	Parallel(4, func(i int) {
		Parallel(4, func(j int) { sum[i][j] = i*4 + j })
	})
	for i := range sum {
		for j := range sum[i] {
			if sum[i][j] != i*4+j {
				t.Fatalf("nested Parallel missed (%d,%d)", i, j)
			}
		}
	}
}

// TestParallelHandoff runs many short Parallel calls back to back from
// several goroutines at once, so parts go through spinning workers' slots,
// the channel, new goroutines and the callers' take-backs: every part must
// run exactly once.
func TestParallelHandoff(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for call := 0; call < 2000; call++ {
				parts := 2 + call%3
				var hits [4]atomic.Int32
				Parallel(parts, func(p int) { hits[p].Add(1) })
				for p := 0; p < parts; p++ {
					if h := hits[p].Load(); h != 1 {
						errs <- fmt.Sprintf("call %d: part %d of %d ran %d times", call, p, parts, h)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSigmoid checks Sigmoid against the float64 formula with math.Exp,
// rounded to float32, over every 256th float32 in [−120, 120] and the
// special values: at most one unit in the last place apart.
func TestSigmoid(t *testing.T) {
	want := func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }
	check := func(v float32) {
		got, w := Sigmoid(v), want(v)
		if got == w {
			return
		}
		if d := int64(math.Float32bits(got)) - int64(math.Float32bits(w)); d < -1 || d > 1 || math.Signbit(float64(got)) != math.Signbit(float64(w)) {
			t.Fatalf("Sigmoid(%g) = %g, want %g", v, got, w)
		}
	}
	for _, lim := range []float32{120, -120} {
		for b := uint32(0); ; b += 256 {
			v := math.Float32frombits(b)
			if v > 120 || v != v {
				break
			}
			if lim < 0 {
				v = -v
			}
			check(v)
		}
	}
	for _, v := range []float32{0, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1e-45, -1e-45} {
		check(v)
	}
	if v := Sigmoid(float32(math.NaN())); v == v {
		t.Errorf("Sigmoid(NaN) = %v", v)
	}
}

// TestPackParallel checks that packing A on several goroutines writes the
// same panels as one, for a matrix large enough to be split, with a last
// panel of padding rows, plain and transposed.
func TestPackParallel(t *testing.T) {
	const m, k = 301, 517
	a := make([]float32, m*k)
	for i := range a {
		a[i] = float32(i%97) - 48
	}
	for _, kern := range kernels {
		for _, trans := range []bool{false, true} {
			lda := k
			if trans {
				lda = m // a read as k×m, transposed
			}
			one, many := new(PackedA), new(PackedA)
			one.packWith(kern, kern.kc, m, k, a, lda, trans, 0.5, 1)
			many.packWith(kern, kern.kc, m, k, a, lda, trans, 0.5, 3)
			if len(one.data) < 2*packPerThread {
				t.Fatalf("%s: %d packed values do not reach the split size", kern.name, len(one.data))
			}
			if !slices.Equal(one.data, many.data) {
				t.Errorf("%s trans=%v: packing on 3 goroutines differs from 1", kern.name, trans)
			}
		}
	}
}
