package gemm

import "fmt"

// MaxIndirectRows is the largest m MulIndirect takes.
const MaxIndirectRows = 4

// MulIndirect computes a product with few rows whose right operand is read
// in place through a table of row offsets, with no packing: for
// 0 ≤ i < m ≤ MaxIndirectRows and 0 ≤ j < n,
//
//	v = Σ_{p<kc} a[p*m+i] · b[off[p]+j]
//
// stored into c[i*ldc+j] through ep. It suits convolutions with few
// output channels, where im2col packing would cost more than the
// arithmetic: row p of B is then a shifted row of the (padded) input.
//
// It panics if an offset or slice is out of range: a programming error.
func MulIndirect(m, n, kc int, a, b []float32, off []int, c []float32, ldc int, ep *Epilogue) {
	var zero Epilogue
	if ep == nil {
		ep = &zero
	}
	if m < 0 || m > MaxIndirectRows || n < 0 || kc < 0 {
		panic(fmt.Sprintf("gemm: MulIndirect: m=%d (max %d), n=%d, kc=%d", m, MaxIndirectRows, n, kc))
	}
	if m == 0 || n == 0 {
		return
	}
	if len(a) < kc*m || len(off) < kc {
		panic(fmt.Sprintf("gemm: MulIndirect: %d values of A and %d offsets for kc=%d, m=%d", len(a), len(off), kc, m))
	}
	for p, o := range off[:kc] {
		if o < 0 || o+n > len(b) {
			panic(fmt.Sprintf("gemm: MulIndirect: row %d of B at offset %d, %d columns, B has %d values", p, o, n, len(b)))
		}
	}
	checkMatrix("MulIndirect", "C", m, n, c, ldc)
	if ep.Bias != nil && len(ep.Bias) < m {
		panic(fmt.Sprintf("gemm: MulIndirect: %d biases for %d rows", len(ep.Bias), m))
	}
	if ep.Residual != nil {
		checkMatrix("MulIndirect", "Residual", m, n, ep.Residual, ep.ResidualStride)
	}
	mulIndirect(activeIndirect, m, n, kc, a, b, off, c, ldc, ep)
}

// An indirectKernel is the micro-kernel of MulIndirect: it computes an
// m×NR tile (m ≤ MaxIndirectRows) reading B row p at b[off[p]:].
type indirectKernel struct {
	name   string
	nr     int
	masked bool                      // handles partial tiles, loads included
	ids    [MaxIndirectRows]kernelID // assembly kernel for m = 1..4; 0: pure Go
}

// run computes an m-row tile and stores it through d.
func (k *indirectKernel) run(m, kc int, a, b []float32, off []int, d *tileDesc) {
	if id := k.ids[m-1]; id != 0 && kc > 0 {
		runAsmIndirect(id, m, k.nr, k.masked, m, kc, a, b, off, d)
		return
	}
	indirectTileGo(m, kc, a, b, off, d)
}

func mulIndirect(k *indirectKernel, m, n, kc int, a, b []float32, off []int, c []float32, ldc int, ep *Epilogue) {
	d := tileDesc{ldc: ldc, mr: m, load: ep.Accumulate, bias: ep.Bias, act: ep.Act, ldr: ep.ResidualStride}
	for j := 0; j < n; j += k.nr {
		d.c = c[j:]
		d.nr = min(k.nr, n-j)
		if ep.Residual != nil {
			d.res = ep.Residual[j:]
		}
		switch {
		case d.nr < k.nr && !k.masked:
			// The unmasked kernels would read past B's end: use Go.
			indirectGo(m, kc, a, b[j:], off, &d)
		case d.act == ActSigmoid:
			sp := getBuf(&tilePool, MaxIndirectRows*k.nr)
			raw := tileDesc{c: *sp, ldc: k.nr, mr: m, nr: d.nr}
			k.run(m, kc, a, b[j:], off, &raw)
			storeGo(*sp, k.nr, &d)
			tilePool.Put(sp)
		default:
			k.run(m, kc, a, b[j:], off, &d)
		}
	}
}

// indirectGo is the pure-Go MulIndirect tile: any m ≤ MaxIndirectRows and
// d.nr columns.
func indirectGo(m, kc int, a, b []float32, off []int, d *tileDesc) {
	indirectTileGo(m, kc, a, b, off, d)
}

var goIndirect = &indirectKernel{name: "go-indirect", nr: 64, masked: true}

// IndirectB is the right operand of MulIndirectBlock: Rows blocks of a
// matrix with N columns, read in place. Row p of block r is
//
//	Data[r*RowStride+Off[p] : r*RowStride+Off[p]+N]
//
// For a convolution, block r is one output row, row p of B one (channel,
// tap) pair, and Off[p] where that tap's input row starts in a padded copy
// of the few input rows being worked on.
type IndirectB struct {
	Data      []float32
	Off       []int
	N         int
	Rows      int
	RowStride int
}

// MulIndirectBlock multiplies one K block of a by an IndirectB: for every
// block r < b.Rows, row 0 ≤ i < a.Rows() and column 0 ≤ j < b.N,
//
//	v = Σ_{p<kc} A[i, k0+p] · b.Data[r*b.RowStride + b.Off[p] + j]
//
// where kc is the depth of the block of a that starts at k0 (see
// PackABlocks), stored into c[r*cRowStride + i*ldc + j] through ep; the
// residual, if any, is indexed the same way with ep.ResidualStride for ldc.
// It runs on the calling goroutine: callers split their work in blocks.
//
// It panics if k0 is not a block start or an index is out of range: a
// programming error.
func MulIndirectBlock(a *PackedA, k0 int, b *IndirectB, c []float32, ldc, cRowStride int, ep *Epilogue) {
	var zero Epilogue
	if ep == nil {
		ep = &zero
	}
	if k0 < 0 || k0 >= max(a.k, 1) || k0%a.kc != 0 {
		panic(fmt.Sprintf("gemm: MulIndirectBlock: k0=%d is not the start of a block of depth %d in k=%d", k0, a.kc, a.k))
	}
	kc := min(a.kc, a.k-k0)
	if a.m == 0 || b.N == 0 || b.Rows == 0 {
		return
	}
	if len(b.Off) < kc || b.Rows < 0 || b.N < 0 {
		panic(fmt.Sprintf("gemm: MulIndirectBlock: %d offsets for a block of depth %d", len(b.Off), kc))
	}
	last := (b.Rows - 1) * b.RowStride
	for p, o := range b.Off[:kc] {
		if o < 0 || last < 0 || o+last+b.N > len(b.Data) {
			panic(fmt.Sprintf("gemm: MulIndirectBlock: row %d of B at offset %d (+%d) with %d columns, data has %d", p, o, last, b.N, len(b.Data)))
		}
	}
	if need := (b.Rows-1)*cRowStride + (a.m-1)*ldc + b.N; len(c) < need {
		panic(fmt.Sprintf("gemm: MulIndirectBlock: C has %d values, needs %d", len(c), need))
	}
	if ep.Bias != nil && len(ep.Bias) < a.m {
		panic(fmt.Sprintf("gemm: MulIndirectBlock: %d biases for %d rows", len(ep.Bias), a.m))
	}
	if ep.Residual != nil {
		if need := (b.Rows-1)*cRowStride + (a.m-1)*ep.ResidualStride + b.N; len(ep.Residual) < need {
			panic(fmt.Sprintf("gemm: MulIndirectBlock: residual has %d values, needs %d", len(ep.Residual), need))
		}
	}
	mulIndirectBlock(a, k0, kc, b, c, ldc, cRowStride, ep)
}

func mulIndirectBlock(a *PackedA, k0, kc int, b *IndirectB, c []float32, ldc, cRowStride int, ep *Epilogue) {
	kern := a.kern
	mr, nr := kern.mr, kern.nr
	// A raw tile for the stores the kernels do not fuse, from the pool on
	// first need.
	var sp *[]float32
	scratch := func() []float32 {
		if sp == nil {
			sp = getBuf(&tilePool, mr*nr)
		}
		return *sp
	}
	defer func() {
		if sp != nil {
			tilePool.Put(sp)
		}
	}()
	for ir := 0; ir < a.m; ir += mr {
		ap := a.panel(k0, ir)
		d := tileDesc{ldc: ldc, mr: min(mr, a.m-ir), load: ep.Accumulate, act: ep.Act}
		ind, rows := kern.indFor(d.mr)
		if ep.Bias != nil {
			d.bias = ep.Bias[ir:]
		}
		for r := 0; r < b.Rows; r++ {
			row := b.Data[r*b.RowStride:]
			for jr := 0; jr < b.N; jr += nr {
				d.nr = min(nr, b.N-jr)
				d.c = c[r*cRowStride+ir*ldc+jr:]
				if ep.Residual != nil {
					d.res, d.ldr = ep.Residual[r*cRowStride+ir*ep.ResidualStride+jr:], ep.ResidualStride
				}
				switch {
				case kc == 0:
					raw := scratch()
					clear(raw)
					storeGo(raw, nr, &d)
				case kern.ind == 0 || (d.nr < nr && !kern.masked):
					// No indirect assembly, or a partial tile that an
					// unmasked kernel would read past: use Go.
					indirectTileGo(mr, kc, ap, row[jr:], b.Off, &d)
				case d.act == ActSigmoid:
					raw := scratch()
					kern.runInd(ind, rows, kc, ap, row[jr:], b.Off, &tileDesc{c: raw, ldc: nr, mr: d.mr, nr: d.nr})
					storeGo(raw, nr, &d)
				default:
					kern.runInd(ind, rows, kc, ap, row[jr:], b.Off, &d)
				}
			}
		}
	}
}
