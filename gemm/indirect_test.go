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

func TestMulIndirectBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	type size struct{ m, k, kc, n, rows int }
	sizes := []size{{1, 1, 1, 1, 1}, {7, 33, 16, 7, 2}, {33, 70, 32, 33, 3}, {13, 9, 9, 64, 1}, {64, 300, 128, 65, 2}, {12, 40, 40, 100, 1}, {20, 30, 30, 40, 2}}
	for _, kern := range kernels {
		if kern.asm != 0 && kern.ind == 0 {
			continue
		}
		for _, s := range sizes {
			a := randSlice(r, s.m*s.k)
			pa := new(PackedA)
			pa.packWith(kern, s.kc, s.m, s.k, a, s.k, false, 1, 1)
			rowStride := s.n + 5
			data := randSlice(r, (s.rows-1)*rowStride+s.n+200)
			off := make([]int, s.k)
			for p := range off {
				off[p] = r.IntN(len(data) - (s.rows-1)*rowStride - s.n + 1)
			}
			ldc := s.n + 2
			cRowStride := s.m*ldc + 3
			csize := (s.rows-1)*cRowStride + s.m*ldc
			for e := 0; e < 8; e++ {
				var ep Epilogue
				if e&1 != 0 {
					ep.Bias = randSlice(r, s.m)
				}
				ep.Act = Act(e / 2 % 3)
				if e >= 6 {
					ep.Residual, ep.ResidualStride = randSlice(r, csize), ldc
				}
				c0 := randSlice(r, csize)
				got := append([]float32(nil), c0...)
				want := append([]float32(nil), c0...)
				// Block by block: the first stores (bias), the rest
				// accumulate; the last applies act and residual.
				for k0 := 0; k0 < s.k; k0 += s.kc {
					bep := Epilogue{Accumulate: k0 > 0}
					if k0 == 0 {
						bep.Bias = ep.Bias
					}
					if k0+s.kc >= s.k {
						bep.Act, bep.Residual, bep.ResidualStride = ep.Act, ep.Residual, ep.ResidualStride
					}
					ib := IndirectB{Data: data, Off: off[k0:], N: s.n, Rows: s.rows, RowStride: rowStride}
					MulIndirectBlock(pa, k0, &ib, got, ldc, cRowStride, &bep)
				}
				for row := 0; row < s.rows; row++ {
					prod := make([]float32, s.m*s.n)
					mag := make([]float64, s.m*s.n)
					for i := 0; i < s.m; i++ {
						for j := 0; j < s.n; j++ {
							var sum, sa float64
							for p := 0; p < s.k; p++ {
								v := float64(a[i*s.k+p]) * float64(data[row*rowStride+off[p]+j])
								sum += v
								sa += math.Abs(v)
							}
							prod[i*s.n+j] = float32(sum)
							mag[i*s.n+j] = sa
							if ep.Bias != nil {
								mag[i*s.n+j] += math.Abs(float64(ep.Bias[i]))
							}
							if ep.Residual != nil {
								mag[i*s.n+j] += math.Abs(float64(ep.Residual[row*cRowStride+i*ldc+j]))
							}
						}
					}
					rep := ep
					if rep.Residual != nil {
						rep.Residual = rep.Residual[row*cRowStride:]
					}
					EpilogueRef(s.m, s.n, prod, s.n, want[row*cRowStride:], ldc, &rep)
					name := fmt.Sprintf("%s/%+v/row%d/bias%v-act%d-res%v", kern.name, s, row, ep.Bias != nil, ep.Act, ep.Residual != nil)
					compareC(t, name, s.m, s.n, got[row*cRowStride:], want[row*cRowStride:], ldc, s.k, mag)
				}
				for i := range got {
					// Everything outside the written tiles is untouched.
					row, rem := i/cRowStride, i%cRowStride
					if row < s.rows && rem < s.m*ldc && rem%ldc < s.n {
						continue
					}
					if got[i] != c0[i] {
						t.Fatalf("%s %+v: wrote outside C at %d", kern.name, s, i)
					}
				}
			}
		}
	}
}
