package nn

import (
	"fmt"
	"sync/atomic"

	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// ConvTranspose2D is a 2-D transposed convolution with PyTorch
// ConvTranspose2d semantics (groups = 1, dilation 1, zero padding):
//
//	dst[n, o, y·Stride − Pad + ky, x·Stride − Pad + kx] += src[n, i, y, x] · Weight[i, o, ky, kx]
//
// plus Bias[o]. Weight has shape (InC, OutC, K, K) as PyTorch stores it;
// Bias has OutC values or is nil. Stride 0 means 1.
//
// Forward does not scatter: output phase (ry, rx) — the pixels with
// y ≡ ry, x ≡ rx (mod Stride) — is an ordinary convolution of the input
// with the taps ky ≡ ry + Pad, kx ≡ rx + Pad (mod Stride) (sub-pixel
// decomposition), so a stride-2 layer is four small GEMMs on the input,
// with no zero-stuffing and no col2im.
type ConvTranspose2D struct {
	InC, OutC, K, Stride, Pad, OutputPadding int
	Weight, Bias                             []float32

	packed atomic.Pointer[packedConvT]
}

// packedConvT holds the packed weights of every output phase.
type packedConvT struct {
	phases []convPhase // Stride² phases, row-major in (ry, rx)
	bias   []float32
}

// convPhase is output phase (ry, rx): a stride-1, zero-padded convolution
// of the input whose output pixel (qy, qx) is pixel (qy·s + ry, qx·s + rx)
// of the layer's output. conv is nil when no tap reaches the phase (K <
// Stride): its pixels are bias only.
type convPhase struct {
	ry, rx int
	conv   *implicitConv
}

func (c *ConvTranspose2D) stride() int {
	if c.Stride <= 0 {
		return 1
	}
	return c.Stride
}

// OutSize returns the output height and width for an h×w input:
// (h−1)·Stride − 2·Pad + K + OutputPadding, and likewise for w. A size that
// would be below 1 is returned as 0.
func (c *ConvTranspose2D) OutSize(h, w int) (ho, wo int) {
	out := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(0, (n-1)*c.stride()-2*c.Pad+c.K+c.OutputPadding)
	}
	return out(h), out(w)
}

// FoldBatchNorm folds an inference-mode batch norm that follows the layer
// into its weights and bias, as Conv2D.FoldBatchNorm does; output channel
// o is Weight[:, o, :, :].
func (c *ConvTranspose2D) FoldBatchNorm(gamma, beta, mean, variance []float32, eps float32) {
	c.checkWeights("FoldBatchNorm")
	kk := c.K * c.K
	c.Bias = foldBatchNorm("ConvTranspose2D", c.OutC, c.Bias, gamma, beta, mean, variance, eps, func(o int, s float64) {
		for i := 0; i < c.InC; i++ {
			w := c.Weight[(i*c.OutC+o)*kk : (i*c.OutC+o+1)*kk]
			for j := range w {
				w[j] = float32(float64(w[j]) * s)
			}
		}
	})
	c.packed.Store(nil)
}

func (c *ConvTranspose2D) checkWeights(fn string) {
	if c.InC < 0 || c.OutC < 0 || c.K < 1 || c.Pad < 0 || c.OutputPadding < 0 {
		panic(fmt.Sprintf("nn: ConvTranspose2D.%s: invalid shape InC=%d OutC=%d kernel %d pad %d output padding %d", fn, c.InC, c.OutC, c.K, c.Pad, c.OutputPadding))
	}
	if want := c.InC * c.OutC * c.K * c.K; len(c.Weight) != want {
		panic(fmt.Sprintf("nn: ConvTranspose2D.%s: weight has %d values, (%d,%d,%d,%d) needs %d", fn, len(c.Weight), c.InC, c.OutC, c.K, c.K, want))
	}
	if c.Bias != nil && len(c.Bias) != c.OutC {
		panic(fmt.Sprintf("nn: ConvTranspose2D.%s: bias has %d values, want %d", fn, len(c.Bias), c.OutC))
	}
}

// Prepare packs the weights of every output phase for Forward. Call it once
// Weight and Bias are final; Forward calls it if it has not been called.
func (c *ConvTranspose2D) Prepare() {
	c.prepare()
}

// phaseTaps returns, for output residue r along one axis, the kernel taps
// k with (r + Pad − k) divisible by the stride, and for each the input
// offset (r + Pad − k)/stride relative to the phase index q.
func (c *ConvTranspose2D) phaseTaps(r int) (taps, offs []int) {
	s := c.stride()
	for k := 0; k < c.K; k++ {
		if d := r + c.Pad - k; ((d%s)+s)%s == 0 {
			taps = append(taps, k)
			offs = append(offs, floorDiv(d, s))
		}
	}
	return taps, offs
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (c *ConvTranspose2D) prepare() *packedConvT {
	c.checkWeights("Prepare")
	s := c.stride()
	p := &packedConvT{}
	if c.Bias != nil {
		p.bias = append([]float32(nil), c.Bias...)
	}
	for ry := 0; ry < s; ry++ {
		tapsY, offY := c.phaseTaps(ry)
		for rx := 0; rx < s; rx++ {
			tapsX, offX := c.phaseTaps(rx)
			k := c.InC * len(tapsY) * len(tapsX)
			w := make([]float32, c.OutC*k)
			// A strided gather (it transposes in and out channels): on
			// all cores, as the weights are repacked every training step.
			parallelChannels(c.OutC, func(o int) {
				r := w[o*k : (o+1)*k]
				j := 0
				for i := 0; i < c.InC; i++ {
					for _, ky := range tapsY {
						for _, kx := range tapsX {
							r[j] = c.Weight[((i*c.OutC+o)*c.K+ky)*c.K+kx]
							j++
						}
					}
				}
			})
			ph := convPhase{ry: ry, rx: rx}
			if k > 0 {
				ph.conv = newImplicitConv(w, p.bias, c.InC, c.OutC, 1, offY, offX, true)
			}
			p.phases = append(p.phases, ph)
		}
	}
	c.packed.Store(p)
	return p
}

// bandFloats is the size, in floats, of the per-thread scratch that the
// phase GEMMs of one band write before it is interleaved into dst: small
// enough to stay in L2 between the two.
const bandFloats = 1 << 17

// Forward computes the transposed convolution of channels
// [srcC0, srcC0+InC) of src into channels [dstC0, dstC0+OutC) of dst,
// through ep (see Epilogue). dst must have src's N and the output size
// OutSize(src.H, src.W), and must not share memory with src. Forward may be
// called concurrently on different dst. It panics on mismatched shapes: a
// programming error.
func (c *ConvTranspose2D) Forward(dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep Epilogue) {
	p := c.packed.Load()
	if p == nil {
		p = c.prepare()
	}
	ho, wo := c.OutSize(src.H, src.W)
	checkForward("ConvTranspose2D", dst, dstC0, c.OutC, ho, wo, src, srcC0, c.InC, &ep)
	if ho == 0 || wo == 0 || c.OutC == 0 {
		return
	}
	s := c.stride()
	// Phase grids are at most hq×wq. Every image is cut into bands of
	// phase rows; a task computes all phases of one band into scratch with
	// single-threaded GEMMs, then interleaves them into dst.
	hq, wq := (ho+s-1)/s, (wo+s-1)/s
	bandRows := max(1, min(hq, bandFloats/max(1, s*s*c.OutC*wq)))
	bands := (hq + bandRows - 1) / bandRows
	tasks := src.N * bands
	var next atomic.Int64
	threads := min(tasks, gemmThreads(2*float64(c.OutC)*float64(c.InC)*float64(c.K*c.K)*float64(src.H*src.W*src.N)))
	phaseSize := c.OutC * bandRows * wq
	// Each phase's implicit GEMM lays out its own input scratch.
	geoms := make([]*implicitGeom, len(p.phases))
	scratchLen := s * s * phaseSize
	for i, ph := range p.phases {
		if ph.conv != nil {
			phq, pwq := phaseGrid(ho, wo, s, ph.ry, ph.rx)
			geoms[i] = ph.conv.geom(phq, pwq, bandRows, src.H, src.W)
			scratchLen = max(scratchLen, s*s*phaseSize+geoms[i].scratchLen)
		}
	}
	gemm.Parallel(threads, func(int) {
		bufp := getScratch(scratchLen)
		buf := *bufp
		for {
			t := int(next.Add(1) - 1)
			if t >= tasks {
				break
			}
			n, qy0 := t/bands, t%bands*bandRows
			c.forwardBand(dst, dstC0, src, srcC0, &ep, p, geoms, n, qy0, bandRows, buf, phaseSize)
		}
		putScratch(bufp)
	})
}

// gemmThreads is the number of threads worth using for a layer of this
// many flops.
func gemmThreads(flops float64) int {
	if flops < 1<<22 {
		return 1
	}
	return gemm.MaxThreads()
}

// phaseGrid returns the number of rows and columns of phase (ry, rx) of an
// ho×wo output: the pixels (qy·s + ry, qx·s + rx) inside it.
func phaseGrid(ho, wo, s, ry, rx int) (hq, wq int) {
	return max(0, (ho-ry+s-1)/s), max(0, (wo-rx+s-1)/s)
}

// forwardBand computes phase rows [qy0, qy0+rows) of every phase of image
// n into buf (phase i at buf[i·phaseSize:], OutC planes of rows×wq_i; the
// phases' input scratch after them) and interleaves them into the output
// rows qy·s + ry of dst through ep.
func (c *ConvTranspose2D) forwardBand(dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep *Epilogue, p *packedConvT, geoms []*implicitGeom, n, qy0, rows int, buf []float32, phaseSize int) {
	s := c.stride()
	ho, wo := dst.H, dst.W
	// Bias and, when nothing is read back from dst, the activation go into
	// the GEMMs' stores; the rest happens while interleaving.
	pep := Epilogue{}
	act := ep.Act
	if !ep.Accumulate {
		pep.Act, act = ep.Act, ActNone
	}
	scratch := buf[s*s*phaseSize:]
	plain := !ep.Accumulate && ep.Residual == nil
	phaseRows := make([][]float32, s) // one output row's phases, rx = 0..s−1
	for i := range p.phases {
		ph := &p.phases[i]
		hq, wq := phaseGrid(ho, wo, s, ph.ry, ph.rx)
		r := min(rows, hq-qy0)
		if r <= 0 || wq == 0 {
			continue
		}
		cols := r * wq
		out := buf[i*phaseSize : i*phaseSize+c.OutC*cols]
		if ph.conv == nil {
			for o := 0; o < c.OutC; o++ {
				var v float32
				if p.bias != nil {
					v = p.bias[o]
				}
				v = pep.Act.apply(v)
				plane := out[o*cols : (o+1)*cols]
				for j := range plane {
					plane[j] = v
				}
			}
			continue
		}
		ph.conv.band(geoms[i], scratch, src.Channels(n, srcC0, c.InC), src.H, src.W, qy0, r, wq, out, cols, &pep, nil)
	}
	for o := 0; o < c.OutC; o++ {
		plane := dst.Plane(n, dstC0+o)
		var res []float32
		if ep.Residual != nil {
			res = ep.Residual.Plane(n, ep.ResidualC0+o)
		}
		for ry := 0; ry < s; ry++ {
			hq, _ := phaseGrid(ho, wo, s, ry, 0)
			r := min(rows, hq-qy0)
			for qy := 0; qy < r; qy++ {
				oy := (qy0+qy)*s + ry
				drow := plane[oy*wo : oy*wo+wo]
				for rx := 0; rx < s; rx++ {
					_, wq := phaseGrid(ho, wo, s, ry, rx)
					cols := r * wq
					base := (ry*s+rx)*phaseSize + o*cols + qy*wq
					phaseRows[rx] = buf[base : base+wq]
				}
				if plain {
					interleave(drow, phaseRows)
					continue
				}
				var rrow []float32
				if res != nil {
					rrow = res[oy*wo : oy*wo+wo]
				}
				for rx, row := range phaseRows {
					scatterRow(drow, row, rx, s, ep.Accumulate, act, rrow)
				}
			}
		}
	}
}

// interleave sets dst[q·s + r] = rows[r][q], s = len(rows): the output
// row of a stride-s transposed convolution from its phase rows.
func interleave(dst []float32, rows [][]float32) {
	if len(rows) == 2 {
		a, b := rows[0], rows[1]
		b = b[:min(len(b), len(a))]
		for q, v := range b {
			d := dst[2*q : 2*q+2]
			d[0], d[1] = a[q], v
		}
		if len(a) > len(b) {
			dst[2*len(b)] = a[len(b)]
		}
		return
	}
	s := len(rows)
	for r, row := range rows {
		for q, v := range row {
			dst[q*s+r] = v
		}
	}
}

// scatterRow stores src[q] into dst[q·s + r] through the rest of an
// epilogue: accumulate, act, residual.
func scatterRow(dst, src []float32, r, s int, accumulate bool, act Act, res []float32) {
	for q, v := range src {
		x := q*s + r
		if accumulate {
			v += dst[x]
		}
		v = act.apply(v)
		if res != nil {
			v += res[x]
		}
		dst[x] = v
	}
}
