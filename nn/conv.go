// Package nn holds the layers of aerofill's networks — convolutions,
// transposed convolutions, BatchNorm, activations, the Fourier unit — over
// float32 NCHW tensors: each forward pass beside its backward pass (files
// *_backward.go) and beside a plain reference implementation that tests
// compare it with.
//
// The convolutions have PyTorch's semantics (Conv2d, ConvTranspose2d with
// groups = 1) and run as implicit GEMMs on package gemm: weights are packed
// once by Prepare; the input is never expanded into an im2col matrix nor
// copied whole with padding — each worker copies only the few rows a band
// of output rows reads, for a group of input channels, into a small
// scratch (padding by index arithmetic, strided inputs split into phases),
// and the micro-kernels read every tap's row from there in place. Batch
// norm is folded into weights and bias, and bias, activation, accumulation
// and residual add happen in the GEMM's store. A stride-s transposed
// convolution is s² ordinary convolutions of its input, one per output
// phase (sub-pixel decomposition), interleaved as they are stored. Layers
// read from and write to channel ranges of larger tensors, so a network
// can concatenate channels without copying.
//
// Package nn is not an autograd framework and does not own memory: callers
// allocate the tensors, and layers keep only their packed weights and
// reusable scratch buffers.
package nn

import (
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// Padding is how a convolution reads outside its input.
type Padding int

const (
	// PadZeros reads zeros.
	PadZeros Padding = iota
	// PadReflect mirrors the input without repeating the edge, as PyTorch's
	// padding_mode="reflect": for pad 1, index −1 reads 1 and n reads n−2.
	PadReflect
)

// Conv2D is a 2-D convolution with PyTorch Conv2d semantics (groups = 1):
//
//	dst[n, o, y, x] = Bias[o] + Σ_{i, ky, kx} Weight[o, i, ky, kx] · src[n, i, y·Stride − Pad + ky·Dilation, x·Stride − Pad + kx·Dilation]
//
// Weight has shape (OutC, InC, KH, KW), row-major; Bias has OutC values or
// is nil. Set the fields, then call Prepare (or let the first Forward do
// it); after changing Weight or Bias, call Prepare again.
type Conv2D struct {
	InC, OutC, KH, KW     int
	Stride, Pad, Dilation int // Stride and Dilation 0 mean 1
	Padding               Padding
	Weight, Bias          []float32

	packed atomic.Pointer[packedConv]
}

// packedConv is what Prepare makes of a Conv2D's weights.
type packedConv struct {
	bias []float32 // OutC values, or nil
	// For the direct path (few output channels, stride 1): the weights as
	// [InC][KH][KW][OutC], the layout gemm.MulIndirect reads.
	direct []float32
	// For every other convolution: the implicit-GEMM lowering.
	implicit *implicitConv
}

func (c *Conv2D) stride() int {
	if c.Stride <= 0 {
		return 1
	}
	return c.Stride
}

func (c *Conv2D) dilation() int {
	if c.Dilation <= 0 {
		return 1
	}
	return c.Dilation
}

// OutSize returns the output height and width for an h×w input:
// ⌊(h + 2·Pad − Dilation·(KH−1) − 1) / Stride⌋ + 1, and likewise for w.
// A size that would be below 1 is returned as 0.
func (c *Conv2D) OutSize(h, w int) (ho, wo int) {
	s, d := c.stride(), c.dilation()
	out := func(n, k int) int {
		span := n + 2*c.Pad - d*(k-1) - 1
		if span < 0 {
			return 0
		}
		return span/s + 1
	}
	return out(h, c.KH), out(w, c.KW)
}

// FoldBatchNorm folds an inference-mode batch norm that follows the
// convolution into its weights and bias: with s = gamma/√(variance+eps),
// W'[o] = W[o]·s[o] and b'[o] = (b[o] − mean[o])·s[o] + beta[o]. It
// creates Bias if it is nil and drops any packed weights.
func (c *Conv2D) FoldBatchNorm(gamma, beta, mean, variance []float32, eps float32) {
	c.checkWeights("FoldBatchNorm")
	per := c.InC * c.KH * c.KW
	c.Bias = foldBatchNorm("Conv2D", c.OutC, c.Bias, gamma, beta, mean, variance, eps, func(o int, s float64) {
		w := c.Weight[o*per : (o+1)*per]
		for i := range w {
			w[i] = float32(float64(w[i]) * s)
		}
	})
	c.packed.Store(nil)
}

// foldBatchNorm computes the folded bias and calls scale(o, s[o]) so the
// caller can scale output channel o's weights.
func foldBatchNorm(layer string, outC int, bias, gamma, beta, mean, variance []float32, eps float32, scale func(o int, s float64)) []float32 {
	for _, p := range []struct {
		name string
		v    []float32
	}{{"gamma", gamma}, {"beta", beta}, {"mean", mean}, {"variance", variance}} {
		if len(p.v) != outC {
			panic(fmt.Sprintf("nn: %s.FoldBatchNorm: %s has %d values, want %d", layer, p.name, len(p.v), outC))
		}
	}
	if bias == nil {
		bias = make([]float32, outC)
	}
	for o := 0; o < outC; o++ {
		s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+float64(eps))
		scale(o, s)
		bias[o] = float32((float64(bias[o])-float64(mean[o]))*s + float64(beta[o]))
	}
	return bias
}

func (c *Conv2D) checkWeights(fn string) {
	if c.InC < 0 || c.OutC < 0 || c.KH < 1 || c.KW < 1 || c.Pad < 0 {
		panic(fmt.Sprintf("nn: Conv2D.%s: invalid shape InC=%d OutC=%d kernel %d×%d pad %d", fn, c.InC, c.OutC, c.KH, c.KW, c.Pad))
	}
	if want := c.OutC * c.InC * c.KH * c.KW; len(c.Weight) != want {
		panic(fmt.Sprintf("nn: Conv2D.%s: weight has %d values, (%d,%d,%d,%d) needs %d", fn, len(c.Weight), c.OutC, c.InC, c.KH, c.KW, want))
	}
	if c.Bias != nil && len(c.Bias) != c.OutC {
		panic(fmt.Sprintf("nn: Conv2D.%s: bias has %d values, want %d", fn, len(c.Bias), c.OutC))
	}
}

// Prepare packs the weights for Forward. Call it once Weight and Bias are
// final; Forward calls it if it has not been called.
func (c *Conv2D) Prepare() {
	c.prepare()
}

func (c *Conv2D) prepare() *packedConv {
	c.checkWeights("Prepare")
	k := c.InC * c.KH * c.KW
	p := new(packedConv)
	if c.Bias != nil {
		p.bias = append([]float32(nil), c.Bias...)
	}
	if c.useDirect() {
		p.direct = make([]float32, len(c.Weight))
		for o := 0; o < c.OutC; o++ {
			for r := 0; r < k; r++ {
				p.direct[r*c.OutC+o] = c.Weight[o*k+r]
			}
		}
	} else {
		d := c.dilation()
		p.implicit = newImplicitConv(c.Weight, p.bias, c.InC, c.OutC, c.stride(),
			tapOffsets(c.KH, d, -c.Pad), tapOffsets(c.KW, d, -c.Pad), c.Padding == PadZeros)
	}
	c.packed.Store(p)
	return p
}

// Forward computes the convolution of channels [srcC0, srcC0+InC) of src
// into channels [dstC0, dstC0+OutC) of dst, through ep (see Epilogue).
// dst must have src's N and the output size OutSize(src.H, src.W), and
// must not share memory with src. Forward may be called concurrently on
// different dst. It panics on mismatched shapes: a programming error.
func (c *Conv2D) Forward(dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep Epilogue) {
	p := c.packed.Load()
	if p == nil {
		p = c.prepare()
	}
	ho, wo := c.OutSize(src.H, src.W)
	checkForward("Conv2D", dst, dstC0, c.OutC, ho, wo, src, srcC0, c.InC, &ep)
	if ho == 0 || wo == 0 || c.OutC == 0 {
		return
	}
	if p.direct != nil {
		c.forwardDirect(p, dst, dstC0, src, srcC0, &ep)
		return
	}
	p.implicit.forward(dst, dstC0, src, srcC0, &ep)
}

// tapOffsets returns the input offsets of a kernel's k taps along one
// axis: off + t·dilation for t = 0..k−1.
func tapOffsets(k, dilation, off int) []int {
	o := make([]int, k)
	for t := range o {
		o[t] = off + t*dilation
	}
	return o
}

// checkForward panics unless a layer reading inC channels from srcC0 of
// src can write outC channels of size ho×wo at dstC0 of dst through ep.
func checkForward(layer string, dst *tensor.Tensor, dstC0, outC, ho, wo int, src *tensor.Tensor, srcC0, inC int, ep *Epilogue) {
	fail := func(format string, args ...any) {
		panic(fmt.Sprintf("nn: %s.Forward: ", layer) + fmt.Sprintf(format, args...))
	}
	if srcC0 < 0 || srcC0+inC > src.C {
		fail("src %v has no channels [%d, %d)", src, srcC0, srcC0+inC)
	}
	if dstC0 < 0 || dstC0+outC > dst.C {
		fail("dst %v has no channels [%d, %d)", dst, dstC0, dstC0+outC)
	}
	if dst.N != src.N || dst.H != ho || dst.W != wo {
		fail("dst %v, want N=%d and %d×%d for src %v", dst, src.N, ho, wo, src)
	}
	if len(src.Data) != src.Len() || len(dst.Data) != dst.Len() {
		fail("tensor data does not match its shape")
	}
	if overlap(dst.Data, src.Data) {
		fail("dst and src share memory")
	}
	if r := ep.Residual; r != nil {
		if r.N != dst.N || r.H != ho || r.W != wo || ep.ResidualC0 < 0 || ep.ResidualC0+outC > r.C || len(r.Data) != r.Len() {
			fail("residual %v has no channels [%d, %d) of %d×%d×%d", r, ep.ResidualC0, ep.ResidualC0+outC, dst.N, ho, wo)
		}
		if overlap(r.Data, dst.Data) && (r != dst || ep.ResidualC0 < dstC0+outC && dstC0 < ep.ResidualC0+outC) {
			fail("residual overlaps the channels being written")
		}
	}
	if ep.Act < ActNone || ep.Act > ActSigmoid {
		fail("unknown activation %d", int(ep.Act))
	}
}

// overlap reports whether two slices share memory.
func overlap(a, b []float32) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, a1 := &a[0], &a[len(a)-1]
	b0, b1 := &b[0], &b[len(b)-1]
	return !(ptrLess(a1, b0) || ptrLess(b1, a0))
}

func ptrLess(a, b *float32) bool {
	return uintptr(unsafe.Pointer(a)) < uintptr(unsafe.Pointer(b))
}

func padMode(zero bool) Padding {
	if zero {
		return PadZeros
	}
	return PadReflect
}

// fillRow2 is fillRow with stride 2 for both column phases at once:
// even[t] = row[ix0 + 2t] and odd[t] = row[ix0 + 2t + 1], reading the row
// once.
func fillRow2(even, odd, row []float32, ix0 int, zero bool) {
	w, n := len(row), len(even)
	// Interior: 0 ≤ ix0+2t and ix0+2t+1 < w.
	t0 := min(max((-ix0+1)/2, 0), n)
	t1 := max(min((w-ix0)/2, n), t0)
	if t0 > 0 || t1 < n {
		fillRow(even[:t0], row, ix0, 2, zero)
		fillRow(odd[:t0], row, ix0+1, 2, zero)
		fillRow(even[t1:], row, ix0+2*t1, 2, zero)
		fillRow(odd[t1:], row, ix0+1+2*t1, 2, zero)
	}
	if t1 == t0 {
		return
	}
	src := row[ix0+2*t0 : ix0+2*t1]
	even, odd = even[t0:t1], odd[t0:t1]
	for t := range even {
		pair := src[2*t : 2*t+2]
		even[t], odd[t] = pair[0], pair[1]
	}
}

// fillRow sets out[t] = row[ix0 + t·stride], mirrored or zero outside the
// row.
func fillRow(out, row []float32, ix0, stride int, zero bool) {
	w, n := len(row), len(out)
	mode := padMode(zero)
	edge := func(ix int) float32 {
		if i, ok := padIndex(ix, w, mode); ok {
			return row[i]
		}
		return 0
	}
	if stride == 1 {
		t0 := min(max(-ix0, 0), n)
		t1 := min(max(w-ix0, t0), n)
		for t := 0; t < t0; t++ {
			out[t] = edge(ix0 + t)
		}
		if t1 > t0 {
			copy(out[t0:t1], row[ix0+t0:])
		}
		for t := t1; t < n; t++ {
			out[t] = edge(ix0 + t)
		}
		return
	}
	for t := range out {
		ix := ix0 + t*stride
		if ix >= 0 && ix < w {
			out[t] = row[ix]
		} else {
			out[t] = edge(ix)
		}
	}
}

// useDirect reports whether Forward takes the direct path: with at most
// gemm.MaxIndirectRows output channels, each value of an im2col matrix
// would feed so few multiply-adds that packing it would cost more than the
// arithmetic, so the input rows are read in place instead.
func (c *Conv2D) useDirect() bool {
	return c.OutC <= gemm.MaxIndirectRows && c.stride() == 1
}

const (
	// directRows is the number of output rows a direct-path task computes
	// from one padded band of input rows.
	directRows = 16
	// directDepth is the target reduction depth (channels × taps) of one
	// gemm.MulIndirect call: deep enough to amortise loading and storing
	// the output tile, small enough for the padded band to stay in cache.
	directDepth = 160
)

// forwardDirect computes the convolution without im2col: for each band of
// output rows and group of input channels it copies the input rows the
// band needs, padded, into a small scratch, and gemm.MulIndirect reads
// every tap's shifted row from there through an offset table.
func (c *Conv2D) forwardDirect(p *packedConv, dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep *Epilogue) {
	d := c.dilation()
	ho, wo := dst.H, dst.W
	taps := c.KH * c.KW
	wp := src.W + 2*c.Pad             // padded row width; wo = wp − d·(KW−1)
	rowsIn := directRows + d*(c.KH-1) // input rows per band
	group := max(1, min(c.InC, directDepth/taps))
	// off[(g·KH + ky)·KW + kx]: where tap (ky, kx) of channel g of a group
	// starts, relative to the band row of the output row.
	off := make([]int, group*taps)
	for g := 0; g < group; g++ {
		for ky := 0; ky < c.KH; ky++ {
			for kx := 0; kx < c.KW; kx++ {
				off[(g*c.KH+ky)*c.KW+kx] = (g*rowsIn+ky*d)*wp + kx*d
			}
		}
	}
	bands := (ho + directRows - 1) / directRows
	tasks := src.N * bands
	m := c.OutC
	var next atomic.Int64
	threads := min(tasks, gemmThreads(2*float64(m*c.InC*taps)*float64(ho*wo*src.N)))
	gemm.Parallel(threads, func(int) {
		bufp := getScratch(group * rowsIn * wp)
		band := *bufp
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			n, y0 := t/bands, t%bands*directRows
			y1 := min(y0+directRows, ho)
			for ci0 := 0; ci0 < c.InC; ci0 += group {
				gn := min(group, c.InC-ci0)
				// Pad rows y0−Pad … of channels ci0 … ci0+gn−1 into band.
				for g := 0; g < gn; g++ {
					plane := src.Plane(n, srcC0+ci0+g)
					for r := 0; r < rowsIn; r++ {
						out := band[(g*rowsIn+r)*wp : (g*rowsIn+r+1)*wp]
						iy, ok := padIndex(y0-c.Pad+r, src.H, c.Padding)
						if !ok || r > y1-y0-1+d*(c.KH-1) {
							clear(out)
							continue
						}
						fillRow(out, plane[iy*src.W:(iy+1)*src.W], -c.Pad, 1, c.Padding == PadZeros)
					}
				}
				first, last := ci0 == 0, ci0+gn == c.InC
				gep := gemm.Epilogue{Accumulate: !first || ep.Accumulate}
				if first {
					gep.Bias = p.bias
				}
				if last {
					gep.Act = ep.Act.gemmAct()
				}
				a := p.direct[ci0*taps*m : (ci0+gn)*taps*m]
				for y := y0; y < y1; y++ {
					hw := ho * wo
					out := dst.Data[(n*dst.C+dstC0)*hw+y*wo:]
					if last && ep.Residual != nil {
						r := ep.Residual
						gep.Residual, gep.ResidualStride = r.Data[(n*r.C+ep.ResidualC0)*hw+y*wo:], hw
					}
					gemm.MulIndirect(m, wo, gn*taps, a, band[(y-y0)*wp:], off, out, hw, &gep)
				}
			}
		}
		putScratch(bufp)
	})
}

// scratchPools hold reusable scratch buffers by size class: pool i holds
// buffers of capacity 2^i floats, so layers of different sizes do not
// keep displacing each other's buffers.
var scratchPools [48]sync.Pool

// getScratch returns a reusable scratch slice of n floats (contents
// undefined).
func getScratch(n int) *[]float32 {
	class := bits.Len(uint(max(n, 1) - 1))
	if p, ok := scratchPools[class].Get().(*[]float32); ok {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n, 1<<class)
	return &s
}

// putScratch returns a buffer from getScratch to its pool.
func putScratch(p *[]float32) {
	scratchPools[bits.Len(uint(cap(*p)-1))].Put(p)
}

// implicitConv is a convolution lowered onto gemm.MulIndirectBlock, with
// no im2col matrix: output pixel (oy, ox) of output channel o is
//
//	Σ_{i, ty, tx} W[o, i, ty, tx] · src[i, oy·stride + offY[ty], ox·stride + offX[tx]]
//
// with out-of-range input read as zero or mirrored. Work goes in tasks of
// a band of output rows; for each group of input channels the rows the
// band reads are copied once, padded and split into stride² phases, into a
// small scratch, where every tap's input row is contiguous: the GEMM reads
// it in place through a table of offsets.
type implicitConv struct {
	a          *gemm.PackedA // OutC × (InC·taps), in K blocks of group·taps
	bias       []float32
	inC, outC  int
	stride     int
	offY, offX []int
	zero       bool
	group      int // input channels per K block
}

// implicitDepth is the target depth of a K block (input channels × taps):
// the packed A panels of a block (depth × MR) stay in L1 while the GEMM
// runs over a band.
const implicitDepth = 256

// implicitWidth is the output width the micro-kernel is chosen for: LaMa's
// feature maps are multiples of 64 wide.
const implicitWidth = 64

// newImplicitConv packs w (outC × inC·len(offY)·len(offX), row-major, K
// ordered as (channel, ty, tx)).
func newImplicitConv(w, bias []float32, inC, outC, stride int, offY, offX []int, zero bool) *implicitConv {
	taps := len(offY) * len(offX)
	group := max(1, min(inC, implicitDepth/max(taps, 1)))
	k := inC * taps
	return &implicitConv{
		a:    gemm.PackABlocks(outC, k, max(1, group*taps), w, k, implicitWidth),
		bias: bias, inC: inC, outC: outC, stride: stride,
		offY: offY, offX: offX, zero: zero, group: group,
	}
}

// implicitGeom is an implicitConv's scratch layout for one output size.
type implicitGeom struct {
	rows       int // output rows per band
	oy0, ox0   int // smallest tap offsets
	pr, pq     int // rows and columns of one phase of a channel's band
	phaseSize  int // pr·pq
	chStride   int // floats per channel: stride² phases, padded
	off        []int
	scratchLen int
	// inPlace: a 1×1, stride-1 convolution without offsets whose output
	// rows are input rows: the GEMM reads the input planes themselves,
	// off[c] = c·h·w, and no scratch is filled.
	inPlace bool
}

// geom lays out the scratch for an ho×wo output of an h×w input, in bands
// of the given number of rows, or of a height chosen here if rows is 0.
func (p *implicitConv) geom(ho, wo, rows, h, w int) *implicitGeom {
	s := p.stride
	g := &implicitGeom{oy0: slicesMin(p.offY), ox0: slicesMin(p.offX)}
	maxEy, maxEx := slicesMax(p.offY)-g.oy0, slicesMax(p.offX)-g.ox0
	// Band height: tall enough that consecutive bands re-read few input
	// rows (at most a quarter more than once) and the output block
	// (OutC × rows × wo) amortises the GEMM's loop overhead, short enough
	// that a channel group's padded input stays near 512 KB, in L2.
	perRowIn := p.group * s * s * (wo + maxEx/s)
	g.rows = max(4*maxEy/s, (48<<10)/max(1, p.outC*wo))
	g.rows = max(1, min(ho, g.rows, (128<<10)/max(1, perRowIn)-maxEy/s))
	if rows > 0 {
		g.rows = rows
	}
	g.pr = g.rows + maxEy/s
	g.pq = wo + maxEx/s
	g.phaseSize = g.pr * g.pq
	// An odd number of 64-byte lines per channel keeps the channels' rows
	// from all falling into the same L1 sets.
	g.chStride = (s*s*g.phaseSize+31)/32*32 + 16
	g.scratchLen = p.group * g.chStride
	if s == 1 && len(p.offY) == 1 && len(p.offX) == 1 && p.offY[0] == 0 && p.offX[0] == 0 && wo == w && ho <= h {
		g.inPlace, g.scratchLen = true, 0
		g.off = make([]int, p.group)
		for c := range g.off {
			g.off[c] = c * h * w
		}
		return g
	}
	nx := len(p.offX)
	g.off = make([]int, p.group*len(p.offY)*nx)
	for c := 0; c < p.group; c++ {
		for ty, dy := range p.offY {
			ey := dy - g.oy0
			for tx, dx := range p.offX {
				ex := dx - g.ox0
				g.off[(c*len(p.offY)+ty)*nx+tx] = c*g.chStride + ((ey%s)*s+ex%s)*g.phaseSize + ey/s*g.pq + ex/s
			}
		}
	}
	return g
}

func slicesMin(s []int) int {
	m := s[0]
	for _, v := range s[1:] {
		m = min(m, v)
	}
	return m
}

func slicesMax(s []int) int {
	m := s[0]
	for _, v := range s[1:] {
		m = max(m, v)
	}
	return m
}

// band computes output rows [y0, y0+rows) of one image into c (output row
// y0 of channel 0; channel stride ldc, row stride wo). in holds the InC
// input planes (h×w) of the image; res, if not nil, is the residual laid
// out like c. ep's Residual is ignored (res replaces it).
func (p *implicitConv) band(g *implicitGeom, scratch []float32, in []float32, h, w int, y0, rows, wo int, c []float32, ldc int, ep *Epilogue, res []float32) {
	s := p.stride
	taps := len(p.offY) * len(p.offX)
	mode := padMode(p.zero)
	pr := rows + (g.pr - g.rows) // phase rows this band reads
	// Flat: the band as one long row of (rows−1)·pq + wo columns, read
	// across the scratch's row ends, into a scratch C of rows·pq columns
	// per channel whose first wo of every pq are the output; for widths
	// that fill the micro-kernel's tiles badly (a 34-wide row takes two
	// 32-wide tiles).
	flat := !g.inPlace && flatBetter(wo, rows, g.pq, p.a.TileWidth())
	// With a flat C, accumulating onto c and the residual happen as it is
	// copied out, after the activation they must follow.
	post := flat && (ep.Accumulate || res != nil)
	var csp *[]float32
	ldcs := rows * g.pq
	if flat {
		csp = getScratch(p.outC * ldcs)
		defer putScratch(csp)
	}
	for ci0 := 0; ci0 < p.inC; ci0 += p.group {
		gn := min(p.group, p.inC-ci0)
		for ci := 0; ci < gn && !g.inPlace; ci++ {
			plane := in[(ci0+ci)*h*w : (ci0+ci+1)*h*w]
			for a := 0; a < s; a++ {
				for r := 0; r < pr; r++ {
					iy, ok := padIndex((y0+r)*s+g.oy0+a, h, mode)
					o := ci*g.chStride + a*s*g.phaseSize + r*g.pq
					switch {
					case !ok:
						for b := 0; b < s; b++ {
							clear(scratch[o+b*g.phaseSize : o+b*g.phaseSize+g.pq])
						}
					case s == 2:
						fillRow2(scratch[o:o+g.pq], scratch[o+g.phaseSize:o+g.phaseSize+g.pq], plane[iy*w:(iy+1)*w], g.ox0, p.zero)
					default:
						for b := 0; b < s; b++ {
							fillRow(scratch[o+b*g.phaseSize:o+b*g.phaseSize+g.pq], plane[iy*w:(iy+1)*w], g.ox0+b, s, p.zero)
						}
					}
				}
			}
		}
		first, last := ci0 == 0, ci0+gn == p.inC
		gep := gemm.Epilogue{Accumulate: !first || (ep.Accumulate && !flat)}
		if first {
			gep.Bias = p.bias
		}
		if last && !post {
			gep.Act = ep.Act.gemmAct()
			if res != nil {
				gep.Residual, gep.ResidualStride = res, ldc
			}
		}
		if flat {
			ib := gemm.IndirectB{Data: scratch, Off: g.off, N: (rows-1)*g.pq + wo, Rows: 1}
			gemm.MulIndirectBlock(p.a, ci0*taps, &ib, *csp, ldcs, 0, &gep)
			continue
		}
		ib := gemm.IndirectB{Data: scratch, Off: g.off, N: wo, Rows: rows, RowStride: g.pq}
		if g.inPlace {
			ib.Data, ib.RowStride = in[ci0*h*w+y0*w:], w
		}
		gemm.MulIndirectBlock(p.a, ci0*taps, &ib, c, ldc, wo, &gep)
	}
	if flat {
		copyOutFlat(c, ldc, *csp, ldcs, g.pq, p.outC, rows, wo, ep, post, res)
	}
}

// flatBetter reports whether a band of rows output rows of width wo is
// computed with fewer wasted columns as one flat row of (rows−1)·pq + wo
// (pq − wo of every pq are discarded) than row by row, with tiles nr
// wide.
func flatBetter(wo, rows, pq, nr int) bool {
	tiles := func(n int) int { return (n + nr - 1) / nr }
	byRow := rows * tiles(wo)
	flat := tiles((rows-1)*pq + wo)
	return 10*flat < 9*byRow // at least 10 % fewer tiles
}

// copyOutFlat copies a flat band (channel stride ldcs, row stride pq) into
// c (channel stride ldc, row stride wo); with post, it also does the parts
// of ep the GEMM left out (accumulation onto c, the activation, the
// residual laid out like c) through scatterRow, as a transposed
// convolution's phases do.
func copyOutFlat(c []float32, ldc int, cs []float32, ldcs, pq, outC, rows, wo int, ep *Epilogue, post bool, res []float32) {
	for o := 0; o < outC; o++ {
		for r := 0; r < rows; r++ {
			src := cs[o*ldcs+r*pq:][:wo]
			dst := c[o*ldc+r*wo:][:wo]
			if !post {
				copy(dst, src)
				continue
			}
			var rrow []float32
			if res != nil {
				rrow = res[o*ldc+r*wo:][:wo]
			}
			scatterRow(dst, src, 0, 1, ep.Accumulate, ep.Act, rrow)
		}
	}
}

// forward runs the convolution over every image of src into dst, bands in
// parallel.
func (p *implicitConv) forward(dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep *Epilogue) {
	ho, wo := dst.H, dst.W
	g := p.geom(ho, wo, 0, src.H, src.W)
	bands := (ho + g.rows - 1) / g.rows
	tasks := src.N * bands
	taps := len(p.offY) * len(p.offX)
	var next atomic.Int64
	threads := min(tasks, gemmThreads(2*float64(p.outC*p.inC*taps)*float64(ho*wo*src.N)))
	hw := ho * wo
	gemm.Parallel(threads, func(int) {
		bufp := getScratch(g.scratchLen)
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			n, y0 := t/bands, t%bands*g.rows
			rows := min(g.rows, ho-y0)
			c := dst.Data[(n*dst.C+dstC0)*hw+y0*wo:]
			var res []float32
			if r := ep.Residual; r != nil {
				res = r.Data[(n*r.C+ep.ResidualC0)*hw+y0*wo:]
			}
			p.band(g, *bufp, src.Channels(n, srcC0, p.inC), src.H, src.W, y0, rows, wo, c, hw, ep, res)
		}
		putScratch(bufp)
	})
}
