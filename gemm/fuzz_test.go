package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// FuzzSgemm compares sgemm on every micro-kernel with SgemmRef for
// dimensions, transposes, scalars, leading dimensions and thread counts
// drawn from the fuzzer's bytes.
func FuzzSgemm(f *testing.F) {
	f.Add([]byte{7, 33, 5, 0, 1, 2, 0, 1}, uint64(1))
	f.Add([]byte{40, 3, 90, 3, 0, 0, 3, 2}, uint64(2))
	f.Fuzz(func(t *testing.T, p []byte, seed uint64) {
		if len(p) < 8 {
			return
		}
		m, n, k := int(p[0])%70, int(p[1])%130, int(p[2])%300
		transA, transB := p[3]&1 != 0, p[3]&2 != 0
		alphas := []float32{1, 0, -1.5, 0.25}
		betas := []float32{0, 1, -0.5, 2}
		alpha, beta := alphas[p[4]%4], betas[p[5]%4]
		pad := int(p[6]) % 4
		threads := 1 + int(p[7])%3
		lda, ldb, ldc := k+pad, n+pad, max(n+pad, 1)
		if transA {
			lda = m + pad
		}
		if transB {
			ldb = k + pad
		}
		lda, ldb = max(lda, 1), max(ldb, 1)
		r := rand.New(rand.NewPCG(seed, 3))
		a := randSlice(r, max(m, k)*lda)
		b := randSlice(r, max(k, n)*ldb)
		c0 := randSlice(r, m*ldc)
		want := append([]float32(nil), c0...)
		SgemmRef(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
		mag := magnitude(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, ldc)
		got := make([]float32, len(c0))
		for _, kern := range kernels {
			copy(got, c0)
			sgemm(kern, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, got, ldc)
			compareC(t, fmt.Sprintf("%s m%d n%d k%d tA%v tB%v a%v b%v t%d", kern.name, m, n, k, transA, transB, alpha, beta, threads), m, n, got, want, ldc, k, mag)
		}
	})
}
