package gemm

import (
	"fmt"
	"sync"
)

// PackedA is the left operand of MulPacked, an m×k matrix packed once into
// the micro-kernel's layout: for each block of kc columns, the rows in
// panels of MR (the last panel padded with zeros), each panel kc×MR with
// element (p, i) at p*MR+i. A PackedA is immutable and may be used by many
// goroutines at once.
type PackedA struct {
	m, k int
	kern *microKernel
	kc   int // depth of the K blocks
	mPad int // m rounded up to a multiple of MR
	data []float32
}

// PackA packs the m×k row-major matrix a (row stride lda) for MulPacked.
func PackA(m, k int, a []float32, lda int) *PackedA {
	checkMatrix("PackA", "A", m, k, a, lda)
	p := new(PackedA)
	kern := kernelFor(m)
	p.packWith(kern, kern.kc, m, k, a, lda, false, 1, maxThreads())
	return p
}

// PackABlocks is PackA for MulIndirectBlock, which takes one K block at a
// time: the blocks are kc deep (the last one shorter if kc does not divide
// k), and the micro-kernel is chosen for B blocks about n columns wide.
func PackABlocks(m, k, kc int, a []float32, lda int, n int) *PackedA {
	checkMatrix("PackABlocks", "A", m, k, a, lda)
	if kc < 1 {
		panic(fmt.Sprintf("gemm: PackABlocks: block depth %d", kc))
	}
	p := new(PackedA)
	p.packWith(indirectKernelFor(m, n), kc, m, k, a, lda, false, 1, maxThreads())
	return p
}

// indirectKernelFor picks, among the micro-kernels of the active
// instruction set that have an indirect twin (in assembly, or Go for
// the Go kernel), the one that computes the
// fewest padded values on an m×n product, tiles being MR×NR (the first
// listed on ties).
func indirectKernelFor(m, n int) *microKernel {
	var best *microKernel
	bestWork := 0
	for _, k := range kernels {
		if k.family != activeKernel.family || (k.asm != 0 && k.ind == 0) {
			continue
		}
		work := (m + k.mr - 1) / k.mr * k.mr * ((max(n, 1) + k.nr - 1) / k.nr * k.nr)
		if best == nil || work < bestWork {
			best, bestWork = k, work
		}
	}
	if best == nil {
		return goKernel
	}
	return best
}

// kernelFor picks, among the micro-kernels of the active instruction set,
// the one that wastes the fewest padded rows on an m-row A (the first
// listed on ties): 64 rows fit 8×48 exactly but waste 8 of 72 on 12×32.
func kernelFor(m int) *microKernel {
	best := activeKernel
	pad := func(k *microKernel) int { return (m+k.mr-1)/k.mr*k.mr - m }
	for _, k := range kernels {
		if k.family == activeKernel.family && pad(k) < pad(best) {
			best = k
		}
	}
	return best
}

// Rows returns m.
func (p *PackedA) Rows() int { return p.m }

// Cols returns k.
func (p *PackedA) Cols() int { return p.k }

// TileWidth is the number of columns of C its micro-kernel computes at
// once (NR): products whose rows of C are not a multiple of it waste the
// rest of their last tile.
func (p *PackedA) TileWidth() int { return p.kern.nr }

// packWith packs alpha·op(A) for kernel kern in K blocks of depth kc,
// reusing p.data when it is large enough. Large matrices are packed by up
// to threads goroutines, each taking a run of row panels.
func (p *PackedA) packWith(kern *microKernel, kc int, m, k int, a []float32, lda int, trans bool, alpha float32, threads int) {
	mr := kern.mr
	p.m, p.k, p.kern, p.kc = m, k, kern, kc
	p.mPad = (m + mr - 1) / mr * mr
	n := p.mPad * k
	if cap(p.data) < n {
		p.data = make([]float32, n)
	}
	p.data = p.data[:n]
	panels := p.mPad / mr
	parts := max(1, min(threads, panels, n/packPerThread))
	Parallel(parts, func(part int) {
		p.packPanels(part*panels/parts*mr, (part+1)*panels/parts*mr, a, lda, trans, alpha)
	})
}

// packPerThread is the least number of packed values worth a goroutine.
const packPerThread = 1 << 16

// packPanels packs the row panels that start in [ir0, ir1), every K block.
func (p *PackedA) packPanels(ir0, ir1 int, a []float32, lda int, trans bool, alpha float32) {
	mr, m, k := p.kern.mr, p.m, p.k
	for pc := 0; pc < k; pc += p.kc {
		kc := min(p.kc, k-pc)
		for ir := ir0; ir < ir1; ir += mr {
			dst := p.panel(pc, ir)[:kc*mr]
			for i := 0; i < mr; i++ {
				row := ir + i
				if row >= m {
					for q := 0; q < kc; q++ {
						dst[q*mr+i] = 0
					}
					continue
				}
				if trans {
					for q := 0; q < kc; q++ {
						dst[q*mr+i] = alpha * a[(pc+q)*lda+row]
					}
				} else {
					src := a[row*lda+pc : row*lda+pc+kc]
					for q, v := range src {
						dst[q*mr+i] = alpha * v
					}
				}
			}
		}
	}
}

// panel returns the packed panel of rows [ir, ir+MR) in the K block that
// starts at column pc.
func (p *PackedA) panel(pc, ir int) []float32 {
	kc := min(p.kc, p.k-pc)
	return p.data[pc*p.mPad+ir*kc:]
}

var packedAPool = sync.Pool{New: func() any { return new(PackedA) }}

func getPackedA() *PackedA  { return packedAPool.Get().(*PackedA) }
func putPackedA(p *PackedA) { packedAPool.Put(p) }

// matrixB packs an ordinary row-major matrix, or its transpose, as the B
// operand of Sgemm.
type matrixB struct {
	b     []float32
	ldb   int
	trans bool
}

func (m *matrixB) PackB(dst []float32, nr, k0, kc, n0, nc int) {
	if m.trans {
		// B[p, j] = b[j*ldb + p]: gather columns.
		for j := 0; j < nc; j++ {
			src := m.b[(n0+j)*m.ldb+k0 : (n0+j)*m.ldb+k0+kc]
			d := dst[(j/nr)*kc*nr+j%nr:]
			for p, v := range src {
				d[p*nr] = v
			}
		}
		return
	}
	for p := 0; p < kc; p++ {
		off := (k0+p)*m.ldb + n0
		PackRow(dst, nr, kc, p, 0, m.b[off:off+nc])
	}
}

// PackRow writes src as the columns [j0, j0+len(src)) of row p of a block
// of depth kc packed in nr-wide panels: the building block of a BPacker
// whose rows are (pieces of) plain slices.
func PackRow(dst []float32, nr, kc, p, j0 int, src []float32) {
	for len(src) > 0 {
		q, r := j0/nr, j0%nr
		n := min(nr-r, len(src))
		off := q*kc*nr + p*nr + r
		copy(dst[off:off+n], src[:n])
		src = src[n:]
		j0 += n
	}
}
