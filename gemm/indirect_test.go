package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMulIndirect(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, kern := range indirectKernels {
		for m := 1; m <= MaxIndirectRows; m++ {
			for _, n := range []int{1, 7, 33, 64, 65, 257} {
				for _, kc := range []int{0, 1, 7, 49, 130} {
					e := (m + n + kc) % 16
					ldc, ldr := n+3, n+1
					b := randSlice(r, 3*n+50)
					off := make([]int, kc)
					for p := range off {
						off[p] = r.IntN(len(b) - n + 1)
					}
					a := randSlice(r, kc*m)
					var ep Epilogue
					if e&1 != 0 {
						ep.Bias = randSlice(r, m)
					}
					ep.Accumulate = e&2 != 0
					ep.Act = Act(e / 4 % 3)
					if e&4 != 0 {
						ep.Residual, ep.ResidualStride = randSlice(r, m*ldr), ldr
					}
					c0 := randSlice(r, m*ldc)
					prod := make([]float32, m*n)
					mag := make([]float64, m*n)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var s, sa float64
							for p := 0; p < kc; p++ {
								v := float64(a[p*m+i]) * float64(b[off[p]+j])
								s += v
								sa += math.Abs(v)
							}
							prod[i*n+j] = float32(s)
							mag[i*n+j] = sa + math.Abs(float64(c0[i*ldc+j]))
							if ep.Bias != nil {
								mag[i*n+j] += math.Abs(float64(ep.Bias[i]))
							}
							if ep.Residual != nil {
								mag[i*n+j] += math.Abs(float64(ep.Residual[i*ldr+j]))
							}
						}
					}
					want := append([]float32(nil), c0...)
					EpilogueRef(m, n, prod, n, want, ldc, &ep)
					got := append([]float32(nil), c0...)
					mulIndirect(kern, m, n, kc, a, b, off, got, ldc, &ep)
					name := fmt.Sprintf("%s/m%d-n%d-kc%d-bias%v-acc%v-act%d-res%v", kern.name, m, n, kc, ep.Bias != nil, ep.Accumulate, ep.Act, ep.Residual != nil)
					compareC(t, name, m, n, got, want, ldc, kc, mag)
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

func TestMulIndirectPanics(t *testing.T) {
	b := make([]float32, 10)
	c := make([]float32, 10)
	tests := []struct {
		name string
		f    func()
	}{
		{"m too big", func() { MulIndirect(5, 1, 1, make([]float32, 5), b, []int{0}, c, 1, nil) }},
		{"offset past B", func() { MulIndirect(1, 4, 1, []float32{1}, b, []int{7}, c, 4, nil) }},
		{"negative offset", func() { MulIndirect(1, 4, 1, []float32{1}, b, []int{-1}, c, 4, nil) }},
		{"short offsets", func() { MulIndirect(1, 4, 2, []float32{1, 1}, b, []int{0}, c, 4, nil) }},
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
