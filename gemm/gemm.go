// Package gemm multiplies float32 matrices for aerofill's networks: a
// general SGEMM and the products convolutions are made of, on register-
// blocked micro-kernels (AVX-512 and AVX2+FMA assembly chosen at run time
// with golang.org/x/sys/cpu, and a pure-Go micro-kernel that is always
// compiled and is the only one under the noasm build tag).
//
// All matrices are row-major: element (i, j) of a matrix with leading
// dimension ld is at index i*ld+j. There are three ways in:
//
//   - Sgemm: C = alpha·op(A)·op(B) + beta·C, packing both operands per call
//     (Goto/BLIS: A in panels of MR rows, B in panels of NR columns, blocks
//     sized for L1 and L2), threads splitting the columns of C.
//   - MulPacked: A packed once (PackA, e.g. weights at model load) times a B
//     that a caller-supplied BPacker writes straight into the panel layout.
//   - MulIndirectBlock and MulIndirect: A packed once (PackABlocks) times a
//     B that is not packed at all but read in place, row p of B at a
//     caller-given offset: a convolution's taps are shifted rows of its
//     input, so its im2col matrix never exists. Package nn's convolutions
//     run on these.
//
// Every product takes an Epilogue (per-row bias, accumulation into C,
// ReLU or sigmoid, residual add) that the micro-kernel applies as it
// stores its tile, so C is written once. Parallel is the small persistent
// worker pool the products use, shared with callers that split work
// themselves.
//
// Package gemm is not a BLAS: it has only single-precision real products
// and no column-major entry points.
package gemm

import (
	"fmt"
)

// Act is an activation applied by an Epilogue.
type Act int

const (
	ActNone    Act = iota // identity
	ActReLU               // max(v, 0)
	ActSigmoid            // 1 / (1 + exp(-v))
)

// Epilogue says what happens to each value v = (A·B)[i, j] as it is stored
// into C[i, j], in this order:
//
//	if Bias != nil { v += Bias[i] }
//	if Accumulate  { v += C[i, j] }        // old value of C
//	v = act(v)
//	if Residual != nil { v += Residual[i*ResidualStride+j] }
//
// The zero Epilogue stores A·B.
type Epilogue struct {
	Bias           []float32 // per row of C, len ≥ m; nil for none
	Accumulate     bool
	Act            Act
	Residual       []float32 // m×n, row stride ResidualStride; nil for none
	ResidualStride int
}

// A BPacker supplies the right operand B (k×n) of MulPacked, one block at a
// time, already laid out for the micro-kernel.
//
// PackB writes the block B[k0:k0+kc, n0:n0+nc] into dst as column panels of
// width nr: element (p, j) of the block (0 ≤ p < kc, 0 ≤ j < nc) goes to
//
//	dst[(j/nr)*kc*nr + p*nr + j%nr]
//
// len(dst) ≥ ceil(nc/nr)*kc*nr. Slots of the last panel beyond column nc
// may be left holding anything: the driver never stores results computed
// from them. PackB may be called concurrently from several goroutines on
// different dst, so it must not modify shared state.
type BPacker interface {
	PackB(dst []float32, nr, k0, kc, n0, nc int)
}

// Sgemm computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ as
// transX says, op(A) is m×k, op(B) is k×n and C is m×n. With beta == 0, C
// is overwritten without being read (NaNs in C do not propagate), as in the
// reference BLAS.
//
// It panics if a dimension is negative or a slice is too short for its
// dimensions and leading dimension: those are programming errors.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("Sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(activeKernel, maxThreads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmThreads is Sgemm on at most threads threads (1: the calling
// goroutine only), for callers that already split their work between
// goroutines.
func SgemmThreads(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs("Sgemm", transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemm(activeKernel, max(1, threads), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm on micro-kernel kern and at most threads threads.
func sgemm(kern *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	accumulate := beta != 0
	if beta != 0 && beta != 1 {
		scaleC(m, n, beta, c, ldc)
	}
	pa := getPackedA()
	pa.packWith(kern, kern.kc, m, k, a, lda, transA, alpha, threads)
	mb := matrixB{b: b, ldb: ldb, trans: transB}
	ep := Epilogue{Accumulate: accumulate}
	mulPacked(pa, n, &mb, c, ldc, &ep, threads)
	putPackedA(pa)
}

// scaleC sets C = beta·C, writing exact zeros when beta == 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 1:
		case 0:
			clear(row)
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// checkArgs panics with a descriptive message when the arguments of a GEMM
// with these dimensions would index out of range.
func checkArgs(fn string, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: %s: negative dimension m=%d n=%d k=%d", fn, m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix(fn, "A", ar, ac, a, lda)
	checkMatrix(fn, "B", br, bc, b, ldb)
	checkMatrix(fn, "C", m, n, c, ldc)
}

func checkMatrix(fn, name string, rows, cols int, x []float32, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("gemm: %s: leading dimension of %s is %d, less than its %d columns", fn, name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("gemm: %s: %s has %d elements, %d×%d with stride %d needs %d", fn, name, len(x), rows, cols, ld, need))
	}
}
