package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

const (
	// l2Budget is the part of the 2 MB L2 given to a packed A block
	// (MC×KC); the packed B block (KC×NC) takes a smaller share.
	l2Budget = 1 << 20
	// ncPanels is the width of a packed B block, in NR panels.
	ncPanels = 8
	// minParallelFlops is the smallest product (2·m·n·k) split between
	// threads: below it, waking a second core costs more than it saves.
	minParallelFlops = 1 << 22
)

// MulPacked computes C = ep(A·B) for the packed m×k matrix a and the k×n
// matrix supplied by b: C[i, j] for 0 ≤ i < m, 0 ≤ j < n lives at
// c[i*ldc+j]. ep may be nil, meaning the zero Epilogue. It uses up to
// runtime.GOMAXPROCS(0) threads, splitting the columns of C.
//
// It panics if c, ep.Bias or ep.Residual is too short: a programming error.
func MulPacked(a *PackedA, n int, b BPacker, c []float32, ldc int, ep *Epilogue) {
	MulPackedThreads(a, n, b, c, ldc, ep, maxThreads())
}

// MulPackedThreads is MulPacked on at most threads threads (1: the
// calling goroutine only). Callers that already split their work between
// goroutines use it with threads = 1.
func MulPackedThreads(a *PackedA, n int, b BPacker, c []float32, ldc int, ep *Epilogue, threads int) {
	var zero Epilogue
	if ep == nil {
		ep = &zero
	}
	checkMatrix("MulPacked", "C", a.m, n, c, ldc)
	if ep.Bias != nil && len(ep.Bias) < a.m {
		panic(fmt.Sprintf("gemm: MulPacked: %d biases for %d rows", len(ep.Bias), a.m))
	}
	if ep.Residual != nil {
		checkMatrix("MulPacked", "Residual", a.m, n, ep.Residual, ep.ResidualStride)
	}
	if a.m == 0 || n == 0 {
		return
	}
	if a.k == 0 {
		// Empty sum: C = ep(0).
		zeros := make([]float32, n)
		for i := 0; i < a.m; i++ {
			d := tileDesc{c: c[i*ldc:], ldc: ldc, mr: 1, nr: n, load: ep.Accumulate, act: ep.Act}
			if ep.Bias != nil {
				d.bias = ep.Bias[i:]
			}
			if ep.Residual != nil {
				d.res, d.ldr = ep.Residual[i*ep.ResidualStride:], ep.ResidualStride
			}
			storeGo(zeros, n, &d)
		}
		return
	}
	mulPacked(a, n, b, c, ldc, ep, threads)
}

// maxThreads is the number of threads a GEMM may use.
func maxThreads() int { return runtime.GOMAXPROCS(0) }

// mulPacked splits the product between up to threads goroutines, by
// columns when there are enough, else by rows, and runs the blocked loops.
func mulPacked(a *PackedA, n int, b BPacker, c []float32, ldc int, ep *Epilogue, threads int) {
	kern := a.kern
	if flops := 2 * float64(a.m) * float64(n) * float64(a.k); flops < minParallelFlops {
		threads = 1
	}
	nPanels := (n + kern.nr - 1) / kern.nr
	mPanels := a.mPad / kern.mr
	switch {
	case threads <= 1:
		mulBlock(a, 0, a.m, 0, n, b, c, ldc, ep)
	case nPanels >= 2*threads || nPanels >= mPanels:
		parts := min(threads, nPanels)
		Parallel(parts, func(t int) {
			j0 := t * nPanels / parts * kern.nr
			j1 := min(n, (t+1)*nPanels/parts*kern.nr)
			mulBlock(a, 0, a.m, j0, j1, b, c, ldc, ep)
		})
	default:
		parts := min(threads, mPanels)
		Parallel(parts, func(t int) {
			i0 := t * mPanels / parts * kern.mr
			i1 := min(a.m, (t+1)*mPanels/parts*kern.mr)
			mulBlock(a, i0, i1, 0, n, b, c, ldc, ep)
		})
	}
}

// mulBlock computes rows [i0, i1) and columns [j0, j1) of C on the calling
// goroutine. i0 is a multiple of MR.
func mulBlock(a *PackedA, i0, i1, j0, j1 int, b BPacker, c []float32, ldc int, ep *Epilogue) {
	if i0 >= i1 || j0 >= j1 {
		return
	}
	kern := a.kern
	mr, nr := kern.mr, kern.nr
	ncMax := ncPanels * nr
	mc := max(mr, l2Budget/(4*a.kc)/mr*mr)
	bufp := getBuf(&packPool, a.kc*ncMax)
	buf := *bufp
	scratch := getBuf(&tilePool, mr*nr)
	for jc := j0; jc < j1; jc += ncMax {
		nc := min(ncMax, j1-jc)
		for pc := 0; pc < a.k; pc += a.kc {
			kc := min(a.kc, a.k-pc)
			b.PackB(buf, nr, pc, kc, jc, nc)
			first, last := pc == 0, pc+kc == a.k
			for ic := i0; ic < i1; ic += mc {
				iEnd := min(ic+mc, i1)
				for jr := 0; jr < nc; jr += nr {
					bp := buf[jr/nr*kc*nr:]
					col := jc + jr
					d := tileDesc{ldc: ldc, nr: min(nr, nc-jr), load: !first || ep.Accumulate}
					if last {
						d.act = ep.Act
					}
					for ir := ic; ir < iEnd; ir += mr {
						d.c = c[ir*ldc+col:]
						d.mr = min(mr, iEnd-ir)
						d.bias = nil
						if first && ep.Bias != nil {
							d.bias = ep.Bias[ir:]
						}
						d.res = nil
						if last && ep.Residual != nil {
							d.res, d.ldr = ep.Residual[ir*ep.ResidualStride+col:], ep.ResidualStride
						}
						kern.tile(kc, a.panel(pc, ir), bp, &d, *scratch)
					}
				}
			}
		}
	}
	tilePool.Put(scratch)
	packPool.Put(bufp)
}

// Scratch pools: packed B blocks (KC×NC) and raw tiles (MR×NR). Kept apart
// so that a small buffer never displaces a large one.
var packPool, tilePool sync.Pool

// getBuf returns a slice of n floats from pool (contents undefined).
func getBuf(pool *sync.Pool, n int) *[]float32 {
	if p, ok := pool.Get().(*[]float32); ok {
		if cap(*p) >= n {
			*p = (*p)[:n]
			return p
		}
	}
	s := make([]float32, n)
	return &s
}

// MaxThreads is the number of threads MulPacked uses: runtime.GOMAXPROCS(0).
func MaxThreads() int { return maxThreads() }
