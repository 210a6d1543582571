package gemm

// SgemmRef is the plain reference for Sgemm: the triple loop, accumulating
// each dot product in float64, then C = alpha·dot + beta·C rounded once to
// float32. It is slow and obviously right; tests compare the fast paths
// against it.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("SgemmRef", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var dot float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				dot += float64(av) * float64(bv)
			}
			v := float64(alpha) * dot
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			c[i*ldc+j] = float32(v)
		}
	}
}

// EpilogueRef applies ep to a raw product p (m×n, row stride ldp) and
// stores the result into C, exactly as the Epilogue documentation says.
// It is the reference for the fused stores of MulPacked.
func EpilogueRef(m, n int, p []float32, ldp int, c []float32, ldc int, ep *Epilogue) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			v := p[i*ldp+j]
			if ep.Bias != nil {
				v += ep.Bias[i]
			}
			if ep.Accumulate {
				v += c[i*ldc+j]
			}
			v = applyAct(ep.Act, v)
			if ep.Residual != nil {
				v += ep.Residual[i*ep.ResidualStride+j]
			}
			c[i*ldc+j] = v
		}
	}
}
