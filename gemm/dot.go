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

// A Segment is a run [Start, Start+Len) of K.
type Segment struct{ Start, Len int }

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
	DotRowsSegments(c, ldc, a, aoff, b, boff, []Segment{{0, k}})
}

// DotRowsSegments is DotRows over the union of segs instead of [0, k):
// q runs over each segment in turn (the lane sums go on across them), so
// stretches of K known to hold zeros cost nothing.
func DotRowsSegments(c []float32, ldc int, a []float32, aoff []int, b []float32, boff []int, segs []Segment) {
	m, n := len(aoff), len(boff)
	end := 0
	for _, sg := range segs {
		if sg.Start < 0 || sg.Len < 0 {
			panic(fmt.Sprintf("gemm: DotRows: segment %+v", sg))
		}
		end = max(end, sg.Start+sg.Len)
	}
	checkRows("A", a, aoff, end)
	checkRows("B", b, boff, end)
	checkMatrix("DotRows", "C", m, n, c, ldc)
	if m == 0 || n == 0 || end == 0 {
		return
	}
	type block struct{ k0, kb int }
	var blocks []block
	for _, sg := range segs {
		for k0 := sg.Start; k0 < sg.Start+sg.Len; k0 += dotKB {
			blocks = append(blocks, block{k0, min(dotKB, sg.Start+sg.Len-k0)})
		}
	}
	if len(blocks) == 0 {
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
		for bi, bl := range blocks {
			for jt := 0; jt < nt; jt++ {
				for jj := range bo {
					// Rows past the end repeat the last one; their sums are dropped.
					bo[jj] = boff[j0+min(jt*dotNR+jj, nc-1)] + bl.k0
				}
				fullJ := (jt+1)*dotNR <= nc
				for it := 0; it < mt; it++ {
					for ii := range ao {
						ao[ii] = aoff[min(it*dotMR+ii, m-1)] + bl.k0
					}
					var flags int
					if bi > 0 {
						flags |= dotLoad
					}
					var ct []float32
					if bi == len(blocks)-1 && fullJ && (it+1)*dotMR <= m {
						// A whole tile's last block: its sums go straight to C.
						flags |= dotFinal
						ct = c[it*dotMR*ldc+j0+jt*dotNR:]
					}
					kern(bl.kb, a, &ao, b, &bo, acc[(jt*mt+it)*tileFloats:][:tileFloats], flags, ct, ldc)
				}
			}
		}
		// The partial tiles at the edges.
		for i := 0; i < m; i++ {
			it, ii := i/dotMR, i%dotMR
			for j := 0; j < nc; j++ {
				jt, jj := j/dotNR, j%dotNR
				if (jt+1)*dotNR <= nc && (it+1)*dotMR <= m {
					continue
				}
				lanes := acc[(jt*mt+it)*tileFloats+(ii*dotNR+jj)*dotVL:][:dotVL]
				c[i*ldc+j0+j] += sumLanes(lanes)
			}
		}
	}
}

// Flags of a dot kernel call.
const (
	dotLoad  = 1 // start from the lane sums in acc (else from zero)
	dotFinal = 2 // add the sums to C (c, ldc) instead of storing the lanes
)

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

// A dotKernel computes, for i < dotMR and j < dotNR, the lane sums of
// row i of A times row j of B over kb floats, added to acc's if
// flags&dotLoad,
//
//	L[i][j][l] = Σ_{q<kb, q%16 == l} a[ao[i]+q] · b[bo[j]+q]
//
// and stores them to acc[(i*dotNR+j)*16 + l], or, if flags&dotFinal, adds
// sumLanes(L[i][j]) to c[i*ldc+j].
type dotKernel func(kb int, a []float32, ao *[dotMR]int, b []float32, bo *[dotNR]int, acc []float32, flags int, c []float32, ldc int)

// dotGo is the pure-Go dot kernel: the reference for the assembly one and
// the kernel of machines without it.
func dotGo(kb int, a []float32, ao *[dotMR]int, b []float32, bo *[dotNR]int, acc []float32, flags int, c []float32, ldc int) {
	var lanes [dotVL]float32
	for i := 0; i < dotMR; i++ {
		ra := a[ao[i] : ao[i]+kb]
		for j := 0; j < dotNR; j++ {
			rb := b[bo[j] : bo[j]+kb]
			clear(lanes[:])
			for q, v := range ra {
				lanes[q%dotVL] += v * rb[q]
			}
			stored := acc[(i*dotNR+j)*dotVL:][:dotVL]
			if flags&dotLoad != 0 {
				for l := range lanes {
					lanes[l] += stored[l]
				}
			}
			if flags&dotFinal != 0 {
				c[i*ldc+j] += sumLanes(lanes[:])
			} else {
				copy(stored, lanes[:])
			}
		}
	}
}
