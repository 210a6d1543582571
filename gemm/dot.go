package gemm

import (
	"fmt"
	"sync"
)

// Dot products of rows: the shape of a convolution's weight gradient,
// where both operands run along the long dimension (pixels) and the
// result is small. An ordinary GEMM would have to pack one of them
// transposed, touching every value once more than the arithmetic does;
// DotRows reads both in place.

const (
	dotMR = 4    // rows of A per micro-kernel call
	dotNR = 6    // rows of B per micro-kernel call
	dotKB = 1024 // floats of K per call: the dotNR rows of B stay in L1
	dotVL = 16   // lanes of an accumulator
	// dotAccFloats bounds the lane sums held at once (in floats, 1 MiB):
	// a call with more rows of B processes them in chunks.
	dotAccFloats = 1 << 18
)

// DotRows adds to C the dot products of rows of A with rows of B:
//
//	c[i*ldc+j] += Σ_{q<k} a[aoff[i]+q] · b[boff[j]+q]   for i < len(aoff), j < len(boff)
//
// on the calling goroutine (callers split the rows between goroutines).
// Each sum is accumulated in 16 lane sums over K, in blocks, and the lanes
// are then added in a fixed order, so a value does not depend on which
// other rows share the call. It panics if a row runs past the end of its
// slice or c is too short: programming errors.
func DotRows(c []float32, ldc int, a []float32, aoff []int, b []float32, boff []int, k int) {
	m, n := len(aoff), len(boff)
	checkRows("A", a, aoff, k)
	checkRows("B", b, boff, k)
	checkMatrix("DotRows", "C", m, n, c, ldc)
	if m == 0 || n == 0 || k == 0 {
		return
	}
	kern := activeDot
	mt := (m + dotMR - 1) / dotMR
	tileFloats := dotMR * dotNR * dotVL
	chunk := max(dotNR, dotAccFloats/(mt*tileFloats)*dotNR)
	accp := getBuf(&dotPool, mt*((min(chunk, n)+dotNR-1)/dotNR)*tileFloats)
	defer dotPool.Put(accp)
	var ao [dotMR]int
	var bo [dotNR]int
	for j0 := 0; j0 < n; j0 += chunk {
		nc := min(chunk, n-j0)
		nt := (nc + dotNR - 1) / dotNR
		acc := (*accp)[:mt*nt*tileFloats]
		clear(acc)
		for k0 := 0; k0 < k; k0 += dotKB {
			kb := min(dotKB, k-k0)
			for jt := 0; jt < nt; jt++ {
				for jj := range bo {
					// Rows past the end repeat the last one; their sums are dropped.
					bo[jj] = boff[j0+min(jt*dotNR+jj, nc-1)] + k0
				}
				for it := 0; it < mt; it++ {
					for ii := range ao {
						ao[ii] = aoff[min(it*dotMR+ii, m-1)] + k0
					}
					kern(kb, a, &ao, b, &bo, acc[(jt*mt+it)*tileFloats:][:tileFloats])
				}
			}
		}
		for i := 0; i < m; i++ {
			it, ii := i/dotMR, i%dotMR
			for j := 0; j < nc; j++ {
				jt, jj := j/dotNR, j%dotNR
				lanes := acc[(jt*mt+it)*tileFloats+(ii*dotNR+jj)*dotVL:][:dotVL]
				c[i*ldc+j0+j] += sumLanes(lanes)
			}
		}
	}
}

// sumLanes adds 16 lane sums pairwise, in a fixed order.
func sumLanes(l []float32) float32 {
	var h [8]float32
	for i := range h {
		h[i] = l[i] + l[i+8]
	}
	for w := 4; w >= 1; w /= 2 {
		for i := 0; i < w; i++ {
			h[i] += h[i+w]
		}
	}
	return h[0]
}

// checkRows panics unless every row [off, off+k) lies inside x.
func checkRows(name string, x []float32, offs []int, k int) {
	for i, o := range offs {
		if o < 0 || o+k > len(x) {
			panic(fmt.Sprintf("gemm: DotRows: row %d of %s spans [%d, %d), outside its %d elements", i, name, o, o+k, len(x)))
		}
	}
}

var dotPool sync.Pool

// A dotKernel adds to acc, for i < dotMR and j < dotNR, the lane sums of
// row i of A times row j of B over kb floats:
//
//	acc[(i*dotNR+j)*16 + l] += Σ_{q<kb, q%16 == l} a[ao[i]+q] · b[bo[j]+q]
type dotKernel func(kb int, a []float32, ao *[dotMR]int, b []float32, bo *[dotNR]int, acc []float32)

// dotGo is the pure-Go dot kernel: the reference for the assembly one and
// the kernel of machines without it.
func dotGo(kb int, a []float32, ao *[dotMR]int, b []float32, bo *[dotNR]int, acc []float32) {
	for i := 0; i < dotMR; i++ {
		ra := a[ao[i] : ao[i]+kb]
		for j := 0; j < dotNR; j++ {
			rb := b[bo[j] : bo[j]+kb]
			lanes := acc[(i*dotNR+j)*dotVL:][:dotVL]
			for q, v := range ra {
				lanes[q%dotVL] += v * rb[q]
			}
		}
	}
}
