package nn

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// Backward passes of the convolutions, as matrix products.
//
// For one image, a convolution is dst = W · cols(src), where W is the
// OutC×(InC·KH·KW) weight matrix and cols(src) the (InC·KH·KW)×(Ho·Wo)
// matrix of input patches (im2col). Its gradients are
//
//	dW   += ddst · cols(src)ᵀ
//	dsrc += fold(Wᵀ · ddst)
//
// where fold is the adjoint of cols: it adds every patch entry back onto
// the input pixel it was read from. With reflect padding a pixel read
// through the mirror gets the gradient of both reads, so the padding's
// gradient folds back onto the mirrored pixels; with zero padding the
// reads outside the image are constants and their gradient is dropped.
//
// A transposed convolution is the adjoint of a strided convolution, so its
// backward pass is that convolution's forward arithmetic: with
// cols(ddst) the patches of ddst read at the transposed convolution's
// stride and padding (one column per input pixel),
//
//	dsrc += W · cols(ddst)        W viewed as InC×(OutC·K·K)
//	dW   += src · cols(ddst)ᵀ
//
// The patch matrices are built a band of rows at a time, so their memory
// stays bounded (about patchBudget values) whatever the image size.

// patchBudget is the size, in float32 values, of the patch matrix built at
// once: 4 MiB, large enough for efficient products, small enough to stay
// in the last-level cache share of one core.
const patchBudget = 1 << 20

// Backward accumulates the gradients of dst = c.Forward(src) with the zero
// Epilogue (convolution plus bias), given ddst = ∂L/∂dst:
//
//	src   (N, InC, H, W)          the forward input
//	ddst  (N, OutC, Ho, Wo)       the output's gradient
//	dSrc  (N, InC, H, W)       += ∂L/∂src      (nil to skip)
//	dW    (OutC, InC, KH, KW)  += ∂L/∂Weight   (nil to skip)
//	dBias (OutC)               += ∂L/∂Bias     (nil to skip)
//
// Activations and residuals of an Epilogue are separate layers in
// training: apply their backward passes (ReLUBackward, SigmoidBackward)
// to ddst first. It panics if the shapes do not match c.
func (c *Conv2D) Backward(dSrc *tensor.Tensor, dW, dBias []float32, src, ddst *tensor.Tensor) {
	ho, wo := c.OutSize(src.H, src.W)
	g := patchGeom{
		c: c.InC, h: src.H, w: src.W, ho: ho, wo: wo,
		kh: c.KH, kw: c.KW, stride: c.stride(), pad: c.Pad, dil: c.dilation(),
		reflect: c.Padding == PadReflect,
	}
	checkBackward("Conv2D", src, c.InC, ddst, c.OutC, ho, wo, dSrc, dW, c.OutC*c.InC*c.KH*c.KW, dBias, c.OutC)
	if dBias != nil {
		addChannelSums(dBias, ddst)
	}
	if dSrc == nil && dW == nil {
		return
	}
	ck, p := g.rows(), ho*wo
	if g.identity() {
		// A 1×1 convolution with stride 1 and no padding: cols(src) is src.
		if dW != nil && useDotRows {
			g.patchProducts(dW, ck, ddst, src)
			dW = nil // done
		}
		for n := 0; n < src.N; n++ {
			x, dy := src.Channels(n, 0, c.InC), ddst.Channels(n, 0, c.OutC)
			if dW != nil {
				gemm.Sgemm(false, true, c.OutC, ck, p, 1, dy, p, x, p, 1, dW, ck)
			}
			if dSrc != nil {
				gemm.Sgemm(true, false, ck, p, c.OutC, 1, c.Weight, ck, dy, p, 1, dSrc.Channels(n, 0, c.InC), p)
			}
		}
		return
	}
	transposed := dSrc != nil && c.KH == c.KW && g.dil == 1
	if transposed {
		c.backwardDataTransposed(dSrc, ddst, &g)
	}
	if dW != nil {
		c.backwardWeights(dW, src, ddst, &g)
	}
	if dSrc == nil || transposed {
		return
	}
	band := max(1, min(ho, patchBudget/max(1, ck*wo)))
	colsBuf := getBackwardScratch(ck * band * wo)
	defer putBackwardScratch(colsBuf)
	cols := *colsBuf
	for n := 0; n < src.N; n++ {
		dy := ddst.Channels(n, 0, c.OutC)
		for y0 := 0; y0 < ho; y0 += band {
			rows := min(band, ho-y0)
			pc := rows * wo
			m := cols[:ck*pc]
			gemm.Sgemm(true, false, ck, pc, c.OutC, 1, c.Weight, ck, dy[y0*wo:], p, 0, m, pc)
			g.fold(dSrc.Channels(n, 0, c.InC), m, y0, rows)
		}
	}
}

// backwardWeights adds the weight gradient dW += ddst · cols(src)ᵀ,
// computed as dWᵀ = cols · ddstᵀ with the long patch matrix as the GEMM's
// A (packed row by row) and only the short ddst read transposed. The
// input channels are split between threads: each unfolds and multiplies
// the patch rows of its own channels, band by band, on its own goroutine,
// and writes its own rows of dWᵀ, so there is one fork and join per call
// and every value is summed in the same order whatever the thread count.
func (c *Conv2D) backwardWeights(dW []float32, src, ddst *tensor.Tensor, g *patchGeom) {
	if useDotRows {
		g.patchProducts(dW, g.rows(), ddst, src)
		return
	}
	kk, ck, wo, p := g.kh*g.kw, g.rows(), g.wo, g.ho*g.wo
	buf := getBackwardScratch(ck * c.OutC)
	defer putBackwardScratch(buf)
	dWT := *buf
	clear(dWT)
	// The bands depend on the whole patch matrix, not a thread's share:
	// they set the order of the sums.
	band := max(1, min(g.ho, patchBudget/max(1, ck*wo)))
	threads := min(gemm.MaxThreads(), g.c)
	gemm.Parallel(threads, func(t int) {
		c0, c1 := t*g.c/threads, (t+1)*g.c/threads
		rows := (c1 - c0) * kk
		colsBuf := getBackwardScratch(rows * band * wo)
		defer putBackwardScratch(colsBuf)
		out := dWT[c0*kk*c.OutC:]
		for n := 0; n < src.N; n++ {
			x, dy := src.Channels(n, 0, c.InC), ddst.Channels(n, 0, c.OutC)
			for y0 := 0; y0 < g.ho; y0 += band {
				pc := min(band, g.ho-y0) * wo
				m := (*colsBuf)[:rows*pc]
				g.unfoldChannels(m, x, y0, min(band, g.ho-y0), c0, c1)
				gemm.SgemmThreads(1, false, true, rows, c.OutC, pc, 1, m, pc, dy[y0*wo:], p, 1, out, c.OutC)
			}
		}
	})
	addTransposed(dW, dWT, ck, c.OutC)
}

// addTransposed adds the transpose of the r×c matrix t to the c×r matrix d.
func addTransposed(d, t []float32, r, c int) {
	for i := 0; i < r; i++ {
		for j, v := range t[i*c : (i+1)*c] {
			d[j*r+i] += v
		}
	}
}

// backwardDataTransposed adds the input gradient of a convolution with a
// square kernel and no dilation to dSrc: a convolution's input gradient is
// the transposed convolution of ddst with the same weights, here computed
// onto the padded input (stride, no padding), whose border is then folded
// back onto the pixels it mirrors (reflect) or dropped (zeros).
func (c *Conv2D) backwardDataTransposed(dSrc, ddst *tensor.Tensor, g *patchGeom) {
	ct := &ConvTranspose2D{InC: c.OutC, OutC: c.InC, K: c.KH, Stride: g.stride, Weight: c.Weight}
	hp, wp := ct.OutSize(ddst.H, ddst.W) // ≤ H + 2·Pad: rows past it get no gradient
	if c.Pad == 0 && hp == dSrc.H && wp == dSrc.W {
		ct.Forward(dSrc, 0, ddst, 0, Epilogue{Accumulate: true})
		return
	}
	buf := getBackwardScratch(ddst.N * c.InC * hp * wp)
	defer putBackwardScratch(buf)
	padded := tensor.FromData(ddst.N, c.InC, hp, wp, *buf)
	ct.Forward(padded, 0, ddst, 0, Epilogue{}) // writes every pixel: no clearing
	h, w := dSrc.H, dSrc.W
	mode := c.Padding
	parallelChannels(dSrc.N*c.InC, func(i int) {
		src, dst := padded.Data[i*hp*wp:(i+1)*hp*wp], dSrc.Data[i*h*w:(i+1)*h*w]
		for qy := 0; qy < hp; qy++ {
			y, ok := padIndex(qy-c.Pad, h, mode)
			if !ok {
				continue
			}
			row, drow := src[qy*wp:(qy+1)*wp], dst[y*w:(y+1)*w]
			// Columns [Pad, Pad+W) land in place; the rest are mirrored or dropped.
			lo, hi := min(c.Pad, wp), min(c.Pad+w, wp)
			Add(drow[:hi-lo], row[lo:hi])
			for qx := 0; qx < lo; qx++ {
				if x, ok := padIndex(qx-c.Pad, w, mode); ok {
					drow[x] += row[qx]
				}
			}
			for qx := hi; qx < wp; qx++ {
				if x, ok := padIndex(qx-c.Pad, w, mode); ok {
					drow[x] += row[qx]
				}
			}
		}
	})
}

// Backward accumulates the gradients of dst = c.Forward(src) with the zero
// Epilogue (transposed convolution plus bias), given ddst = ∂L/∂dst:
//
//	src   (N, InC, H, W)         the forward input
//	ddst  (N, OutC, Ho, Wo)      the output's gradient
//	dSrc  (N, InC, H, W)      += ∂L/∂src      (nil to skip)
//	dW    (InC, OutC, K, K)   += ∂L/∂Weight   (nil to skip)
//	dBias (OutC)              += ∂L/∂Bias     (nil to skip)
//
// It panics if the shapes do not match c.
func (c *ConvTranspose2D) Backward(dSrc *tensor.Tensor, dW, dBias []float32, src, ddst *tensor.Tensor) {
	ho, wo := c.OutSize(src.H, src.W)
	checkBackward("ConvTranspose2D", src, c.InC, ddst, c.OutC, ho, wo, dSrc, dW, c.InC*c.OutC*c.K*c.K, dBias, c.OutC)
	if dBias != nil {
		addChannelSums(dBias, ddst)
	}
	if dSrc == nil && dW == nil {
		return
	}
	// The patches of ddst, one column per input pixel (y, x): entry
	// (o, ky, kx) is ddst[o, y·s − p + ky, x·s − p + kx], zero outside.
	g := patchGeom{
		c: c.OutC, h: ho, w: wo, ho: src.H, wo: src.W,
		kh: c.K, kw: c.K, stride: c.stride(), pad: c.Pad, dil: 1,
	}
	ck, p := g.rows(), src.H*src.W
	if dSrc != nil {
		// The input gradient is the strided convolution of ddst with the
		// same weights, read as (InC, OutC, K, K) = a convolution's
		// (out, in, kh, kw).
		conv := &Conv2D{InC: c.OutC, OutC: c.InC, KH: c.K, KW: c.K, Stride: c.stride(), Pad: c.Pad, Weight: c.Weight}
		if h, w := conv.OutSize(ho, wo); h == src.H && w == src.W {
			conv.Forward(dSrc, 0, ddst, 0, Epilogue{Accumulate: true})
			dSrc = nil // done; with OutputPadding ≥ Stride the patch path below does it
		}
	}
	if dW == nil && dSrc == nil {
		return
	}
	if dW != nil {
		c.backwardWeights(dW, src, ddst, &g)
	}
	if dSrc == nil {
		return
	}
	band := max(1, min(src.H, patchBudget/max(1, ck*src.W)))
	colsBuf := getBackwardScratch(ck * band * src.W)
	defer putBackwardScratch(colsBuf)
	cols := *colsBuf
	for n := 0; n < src.N; n++ {
		dy, dx := ddst.Channels(n, 0, c.OutC), dSrc.Channels(n, 0, c.InC)
		for y0 := 0; y0 < src.H; y0 += band {
			rows := min(band, src.H-y0)
			pc := rows * src.W
			m := cols[:ck*pc]
			g.unfold(m, dy, y0, rows)
			gemm.Sgemm(false, false, c.InC, pc, ck, 1, c.Weight, ck, m, pc, 1, dx[y0*src.W:], p)
		}
	}
}

// backwardWeights adds the weight gradient dW += src · cols(ddst)ᵀ of a
// transposed convolution whose patch geometry (over ddst) is g. The output
// channels are split between threads: each unfolds the patch rows of its
// own channels band by band and writes its own columns of dW, one fork and
// join per call, every value summed in the same order whatever the thread
// count.
func (c *ConvTranspose2D) backwardWeights(dW []float32, src, ddst *tensor.Tensor, g *patchGeom) {
	if useDotRows {
		g.patchProducts(dW, g.rows(), src, ddst)
		return
	}
	kk, ck, w, p := c.K*c.K, g.rows(), src.W, src.H*src.W
	band := max(1, min(src.H, patchBudget/max(1, ck*w))) // as in Conv2D.backwardWeights
	threads := min(gemm.MaxThreads(), g.c)
	gemm.Parallel(threads, func(t int) {
		o0, o1 := t*g.c/threads, (t+1)*g.c/threads
		rows := (o1 - o0) * kk
		colsBuf := getBackwardScratch(rows * band * w)
		defer putBackwardScratch(colsBuf)
		for n := 0; n < src.N; n++ {
			x, dy := src.Channels(n, 0, c.InC), ddst.Channels(n, 0, c.OutC)
			for y0 := 0; y0 < src.H; y0 += band {
				pc := min(band, src.H-y0) * w
				m := (*colsBuf)[:rows*pc]
				g.unfoldChannels(m, dy, y0, min(band, src.H-y0), o0, o1)
				gemm.SgemmThreads(1, false, true, c.InC, rows, pc, 1, x[y0*w:], p, m, pc, 1, dW[o0*kk:], ck)
			}
		}
	})
}

// checkBackward panics unless the tensors of a backward pass have the
// shapes the layer implies.
func checkBackward(layer string, src *tensor.Tensor, inC int, ddst *tensor.Tensor, outC, ho, wo int, dSrc *tensor.Tensor, dW []float32, nW int, dBias []float32, nB int) {
	switch {
	case src.C != inC:
		panic(fmt.Sprintf("nn: %s.Backward: src %v has %d channels, the layer takes %d", layer, src, src.C, inC))
	case ddst.N != src.N || ddst.C != outC || ddst.H != ho || ddst.W != wo:
		panic(fmt.Sprintf("nn: %s.Backward: ddst is %v, want (%d,%d,%d,%d)", layer, ddst, src.N, outC, ho, wo))
	case dSrc != nil && !dSrc.SameShape(src):
		panic(fmt.Sprintf("nn: %s.Backward: dSrc is %v, src is %v", layer, dSrc, src))
	case dW != nil && len(dW) != nW:
		panic(fmt.Sprintf("nn: %s.Backward: dW has %d values, want %d", layer, len(dW), nW))
	case dBias != nil && len(dBias) != nB:
		panic(fmt.Sprintf("nn: %s.Backward: dBias has %d values, want %d", layer, len(dBias), nB))
	}
}

// addChannelSums adds Σ_{n,y,x} t[n, c, y, x] to sums[c], summing in float64.
func addChannelSums(sums []float32, t *tensor.Tensor) {
	for c := range sums {
		var s float64
		for n := 0; n < t.N; n++ {
			for _, v := range t.Plane(n, c) {
				s += float64(v)
			}
		}
		sums[c] += float32(s)
	}
}

// patchGeom describes the patch matrix (im2col) of a convolution over
// c-channel h×w planes giving ho×wo outputs: row (ch·kh + ky)·kw + kx,
// column y·wo + x holds plane ch at (y·stride − pad + ky·dil,
// x·stride − pad + kx·dil), mirrored with reflect, else zero outside.
type patchGeom struct {
	c, h, w, ho, wo int
	kh, kw          int
	stride, pad     int
	dil             int
	reflect         bool
}

// rows is the patch matrix's height, c·kh·kw.
func (g *patchGeom) rows() int { return g.c * g.kh * g.kw }

// identity reports whether the patch matrix is the input itself.
func (g *patchGeom) identity() bool {
	return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 && g.ho == g.h && g.wo == g.w
}

// source maps an output coordinate o and tap k of an axis of length n to
// the input index it reads, or −1 for a zero.
func (g *patchGeom) source(o, k, n int) int {
	i := o*g.stride - g.pad + k*g.dil
	if i >= 0 && i < n {
		return i
	}
	mode := PadZeros
	if g.reflect {
		mode = PadReflect
	}
	j, ok := padIndex(i, n, mode)
	if !ok {
		return -1
	}
	return j
}

// inside returns the range [lo, hi) of output columns whose tap kx reads
// inside the row, so that x·stride − pad + kx·dil is in [0, w).
func (g *patchGeom) inside(kx int) (lo, hi int) {
	off := kx*g.dil - g.pad
	lo = 0
	if off < 0 {
		lo = (-off + g.stride - 1) / g.stride
	}
	hi = 0
	if g.w-off > 0 {
		hi = (g.w - off + g.stride - 1) / g.stride
	}
	hi = min(hi, g.wo)
	lo = min(lo, hi)
	return lo, hi
}

// unfold writes the patch-matrix columns of output rows [y0, y0+rows) of
// the planes x (c·h·w values) into m, a (c·kh·kw)×(rows·wo) matrix,
// spreading the channels over the cores.
func (g *patchGeom) unfold(m, x []float32, y0, rows int) {
	kk := g.kh * g.kw
	pc := rows * g.wo
	parallelChannels(g.c, func(ch int) {
		g.unfoldChannels(m[ch*kk*pc:(ch+1)*kk*pc], x, y0, rows, ch, ch+1)
	})
}

// unfoldChannels is unfold restricted to the channels [c0, c1), on the
// calling goroutine: m is their (c1−c0)·kh·kw patch rows.
func (g *patchGeom) unfoldChannels(m, x []float32, y0, rows, c0, c1 int) {
	pc := rows * g.wo
	for ch := c0; ch < c1; ch++ {
		plane := x[ch*g.h*g.w : (ch+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				r := ((ch-c0)*g.kh+ky)*g.kw + kx
				lo, hi := g.inside(kx)
				off := kx*g.dil - g.pad
				for y := 0; y < rows; y++ {
					dst := m[r*pc+y*g.wo : r*pc+(y+1)*g.wo]
					iy := g.source(y0+y, ky, g.h)
					if iy < 0 {
						clear(dst)
						continue
					}
					src := plane[iy*g.w : (iy+1)*g.w]
					if g.stride == 1 {
						if lo < hi {
							copy(dst[lo:hi], src[lo+off:hi+off])
						}
					} else {
						for x := lo; x < hi; x++ {
							dst[x] = src[x*g.stride+off]
						}
					}
					for x := 0; x < lo; x++ {
						dst[x] = g.read(src, x, kx)
					}
					for x := hi; x < g.wo; x++ {
						dst[x] = g.read(src, x, kx)
					}
				}
			}
		}
	}
}

// read returns the value of tap kx for output column x of the row src,
// for columns that read outside the row.
func (g *patchGeom) read(src []float32, x, kx int) float32 {
	if ix := g.source(x, kx, g.w); ix >= 0 {
		return src[ix]
	}
	return 0
}

// fold adds the patch matrix m of output rows [y0, y0+rows) back onto
// the planes dx (c·h·w values): the adjoint of unfold.
func (g *patchGeom) fold(dx, m []float32, y0, rows int) {
	pc := rows * g.wo
	parallelChannels(g.c, func(ch int) {
		plane := dx[ch*g.h*g.w : (ch+1)*g.h*g.w]
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				r := (ch*g.kh+ky)*g.kw + kx
				lo, hi := g.inside(kx)
				off := kx*g.dil - g.pad
				for y := 0; y < rows; y++ {
					src := m[r*pc+y*g.wo : r*pc+(y+1)*g.wo]
					iy := g.source(y0+y, ky, g.h)
					if iy < 0 {
						continue
					}
					dst := plane[iy*g.w : (iy+1)*g.w]
					if g.stride == 1 {
						if lo < hi {
							Add(dst[lo+off:hi+off], src[lo:hi])
						}
					} else {
						for x := lo; x < hi; x++ {
							dst[x*g.stride+off] += src[x]
						}
					}
					for x := 0; x < lo; x++ {
						if ix := g.source(x, kx, g.w); ix >= 0 {
							dst[ix] += src[x]
						}
					}
					for x := hi; x < g.wo; x++ {
						if ix := g.source(x, kx, g.w); ix >= 0 {
							dst[ix] += src[x]
						}
					}
				}
			}
		}
	})
}

// backwardPool recycles the backward passes' large scratch buffers (patch
// matrices, padded gradients) from one call to the next.
var backwardPool sync.Pool

// getBackwardScratch returns a scratch slice of n floats (contents
// undefined).
func getBackwardScratch(n int) *[]float32 {
	if p, ok := backwardPool.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	s := make([]float32, n)
	return &s
}

func putBackwardScratch(p *[]float32) { backwardPool.Put(p) }

// parallelChannels calls fn(0), …, fn(n−1), spread over up to GOMAXPROCS
// goroutines in contiguous runs. The calls must be independent.
func parallelChannels(n int, fn func(i int)) {
	parts := min(runtime.GOMAXPROCS(0), n)
	if parts <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	gemm.Parallel(parts, func(part int) {
		for i := part * n / parts; i < (part+1)*n/parts; i++ {
			fn(i)
		}
	})
}
