package lama

import (
	"fmt"
	"math"
	"sync"

	"github.com/aerofill/aerofill/fft"
	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/nn"
	"github.com/aerofill/aerofill/tensor"
)

// BatchNormEps is the ε of every BatchNorm2d in LaMa.
const BatchNormEps = 1e-5

// Generator is an inference-ready FFC-ResNet: BatchNorm folded into the
// convolutions, weights packed. It is immutable and safe for concurrent use.
//
// Activations keep an FFC layer's local and global channel groups in one
// tensor, local first, so LaMa's ConcatTupleLayer costs nothing and the
// local output's two convolutions (l2l on the local group, g2l on the global
// group) are one convolution over all input channels.
type Generator struct {
	cfg    Config
	stem   *ffcLayer
	downs  []*ffcLayer
	blocks [][2]*ffcLayer
	ups    []*nn.ConvTranspose2D
	head   *nn.Conv2D
	// arenas hold activation buffers between forward passes, so repeated
	// passes on one input size allocate nothing and leave no garbage.
	arenas sync.Pool
}

// ffcLayer is one FFC_BN_ACT: out_l = ReLU(BN_l(l2l(x_l) + g2l(x_g))),
// out_g = ReLU(BN_g(l2g(x_l) + spectral(x_g))).
type ffcLayer struct {
	inL, inG, outL, outG int
	local                *nn.Conv2D // [l2l | g2l] over all input channels
	l2g                  *nn.Conv2D // on the local group; nil when absent
	spec                 *spectral  // on the global group; nil when absent
}

// spectral is LaMa's SpectralTransform: conv1 (1×1, BN, ReLU), then
// x + FourierUnit(x) [+ LFU(x)], then conv2 (1×1).
type spectral struct {
	half  int
	conv1 *nn.Conv2D
	fu    *fourierUnit
	lfu   *fourierUnit
	conv2 *nn.Conv2D
}

// fourierUnit is rfft2 → 1×1 conv (BN, ReLU) on interleaved re/im channels → irfft2.
type fourierUnit struct {
	ch   int
	conv *nn.Conv2D
}

// New builds the inference generator from weights.
func New(w *Weights) (*Generator, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	c := w.Config
	b := builder{w: w}
	g := &Generator{cfg: c}
	g.stem = b.ffc("model.1", c.InChannels, 0, c.NGF, 0, 7, 1, 3)
	for i := 0; i < c.Downsamplings; i++ {
		cin, cout := c.NGF<<i, c.NGF<<(i+1)
		outG := 0
		if i == c.Downsamplings-1 {
			outG = c.globalChannels()
		}
		g.downs = append(g.downs, b.ffc(fmt.Sprintf("model.%d", 2+i), cin, 0, cout-outG, outG, 3, 2, 1))
	}
	gl := c.globalChannels()
	l := c.bottleneck() - gl
	for i := 0; i < c.Blocks; i++ {
		p := fmt.Sprintf("model.%d", 2+c.Downsamplings+i)
		g.blocks = append(g.blocks, [2]*ffcLayer{
			b.ffc(p+".conv1", l, gl, l, gl, 3, 1, 1),
			b.ffc(p+".conv2", l, gl, l, gl, 3, 1, 1),
		})
	}
	idx := 3 + c.Downsamplings + c.Blocks
	for i := 0; i < c.Downsamplings; i++ {
		ch := c.NGF << (c.Downsamplings - i)
		up := &nn.ConvTranspose2D{InC: ch, OutC: ch / 2, K: 3, Stride: 2, Pad: 1, OutputPadding: 1,
			Weight: b.data(fmt.Sprintf("model.%d.weight", idx)), Bias: b.data(fmt.Sprintf("model.%d.bias", idx))}
		s, t := b.bn(fmt.Sprintf("model.%d", idx+1))
		scaleAxis1(up.Weight, ch, ch/2, 9, s)
		for o := range up.Bias {
			up.Bias[o] = up.Bias[o]*s[o] + t[o]
		}
		up.Prepare()
		g.ups = append(g.ups, up)
		idx += 3
	}
	g.head = &nn.Conv2D{InC: c.NGF, OutC: c.OutChannels, KH: 7, KW: 7, Stride: 1, Pad: 3, Dilation: 1,
		Padding: nn.PadReflect, Weight: b.data(fmt.Sprintf("model.%d.weight", idx+1)), Bias: b.data(fmt.Sprintf("model.%d.bias", idx+1))}
	g.head.Prepare()
	return g, nil
}

// Config returns the generator's architecture.
func (g *Generator) Config() Config { return g.cfg }

// builder turns named parameters into folded layers. Parameters were
// checked against the configuration before, so lookups cannot fail.
type builder struct{ w *Weights }

// data returns a private copy of a parameter, so folding never changes w.
func (b builder) data(name string) []float32 {
	return append([]float32(nil), b.w.Params[name].Data...)
}

// bn returns a BatchNorm's inference affine map y = s·x + t.
func (b builder) bn(prefix string) (s, t []float32) {
	gamma := b.w.Params[prefix+".weight"].Data
	beta := b.w.Params[prefix+".bias"].Data
	mean := b.w.Params[prefix+".running_mean"].Data
	variance := b.w.Params[prefix+".running_var"].Data
	s = make([]float32, len(gamma))
	t = make([]float32, len(gamma))
	for i := range gamma {
		// float64 keeps folding from adding error beyond the final rounding.
		sc := float64(gamma[i]) / math.Sqrt(float64(variance[i])+BatchNormEps)
		s[i] = float32(sc)
		t[i] = float32(float64(beta[i]) - float64(mean[i])*sc)
	}
	return s, t
}

// conv returns a bias-free reflect-padded convolution of a checkpoint weight.
func (b builder) conv(name string, k, stride, pad int) *nn.Conv2D {
	p := b.w.Params[name]
	return &nn.Conv2D{InC: p.Shape[1], OutC: p.Shape[0], KH: k, KW: k, Stride: stride, Pad: pad, Dilation: 1,
		Padding: nn.PadReflect, Weight: b.data(name)}
}

// ffc builds one FFC_BN_ACT layer with BN_l and BN_g folded in.
func (b builder) ffc(p string, inL, inG, outL, outG, k, stride, pad int) *ffcLayer {
	f := &ffcLayer{inL: inL, inG: inG, outL: outL, outG: outG}
	if outL > 0 {
		s, t := b.bn(p + ".bn_l")
		var parts [][]float32
		inC := 0
		if inL > 0 {
			parts = append(parts, b.w.Params[p+".ffc.convl2l.weight"].Data)
			inC += inL
		}
		if inG > 0 {
			parts = append(parts, b.w.Params[p+".ffc.convg2l.weight"].Data)
			inC += inG
		}
		w := concatInputs(parts, outL, k*k)
		scaleAxis0(w, outL, s)
		f.local = &nn.Conv2D{InC: inC, OutC: outL, KH: k, KW: k, Stride: stride, Pad: pad, Dilation: 1,
			Padding: nn.PadReflect, Weight: w, Bias: t}
		f.local.Prepare()
	}
	if outG > 0 {
		s, t := b.bn(p + ".bn_g")
		if inG > 0 {
			f.spec = b.spectral(p+".ffc.convg2g", outG)
			// BN_g's scale and shift go into conv2; l2g, added before it, takes the scale only.
			scaleAxis0(f.spec.conv2.Weight, outG, s)
			f.spec.conv2.Bias = t
			f.spec.conv2.Prepare()
		}
		if inL > 0 {
			f.l2g = b.conv(p+".ffc.convl2g.weight", k, stride, pad)
			scaleAxis0(f.l2g.Weight, outG, s)
			if f.spec == nil {
				f.l2g.Bias = t
			}
			f.l2g.Prepare()
		}
	}
	return f
}

func (b builder) spectral(p string, outG int) *spectral {
	sp := &spectral{half: outG / 2}
	sp.conv1 = b.conv(p+".conv1.0.weight", 1, 1, 0)
	s, t := b.bn(p + ".conv1.1")
	scaleAxis0(sp.conv1.Weight, sp.half, s)
	sp.conv1.Bias = t
	sp.conv1.Prepare()
	sp.fu = b.fourier(p+".fu", sp.half)
	if b.w.Config.LFU {
		sp.lfu = b.fourier(p+".lfu", sp.half)
	}
	sp.conv2 = b.conv(p+".conv2.weight", 1, 1, 0)
	return sp
}

func (b builder) fourier(p string, ch int) *fourierUnit {
	conv := b.conv(p+".conv_layer.weight", 1, 1, 0)
	s, t := b.bn(p + ".bn")
	scaleAxis0(conv.Weight, 2*ch, s)
	conv.Bias = t
	conv.Prepare()
	return &fourierUnit{ch: ch, conv: conv}
}

// concatInputs joins conv weights (out, in_i, k·k) along the input axis.
func concatInputs(parts [][]float32, out, kk int) []float32 {
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	w := make([]float32, 0, total)
	for o := 0; o < out; o++ {
		for _, p := range parts {
			n := len(p) / out
			w = append(w, p[o*n:(o+1)*n]...)
		}
	}
	return w
}

// scaleAxis0 multiplies each output row of a (out, …) weight by s[o].
func scaleAxis0(w []float32, out int, s []float32) {
	n := len(w) / out
	for o := 0; o < out; o++ {
		row := w[o*n : (o+1)*n]
		for i := range row {
			row[i] *= s[o]
		}
	}
}

// scaleAxis1 multiplies a (in, out, kk) transposed-conv weight by s[o].
func scaleAxis1(w []float32, in, out, kk int, s []float32) {
	for i := 0; i < in; i++ {
		for o := 0; o < out; o++ {
			row := w[(i*out+o)*kk : (i*out+o+1)*kk]
			for j := range row {
				row[j] *= s[o]
			}
		}
	}
}

// HeadEpilogue is what the output layer does with its convolution, given
// the generator's input x: LaMa's sigmoid, or with Residual, adding x's
// first OutChannels channels. The inference and training passes share it.
func (c Config) HeadEpilogue(x *tensor.Tensor) nn.Epilogue {
	if c.Residual {
		return nn.Epilogue{Residual: x}
	}
	return nn.Epilogue{Act: nn.ActSigmoid}
}

// Forward runs the raw generator: x is (N, InChannels, H, W) with H and W
// multiples of 2^Downsamplings; the result is (N, OutChannels, H, W) after
// the sigmoid (with Config.Residual: x's first OutChannels channels plus
// the output layer's result, unclamped). No padding, masking or
// compositing happens here.
func (g *Generator) Forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	c := g.cfg
	m := c.Multiple()
	if x.C != c.InChannels {
		return nil, fmt.Errorf("lama: input has %d channels, the generator takes %d", x.C, c.InChannels)
	}
	if x.H%m != 0 || x.W%m != 0 || x.H == 0 || x.W == 0 {
		return nil, fmt.Errorf("lama: input is %d×%d; height and width must be positive multiples of %d", x.H, x.W, m)
	}
	if c.LFU {
		bh, bw := x.H>>c.Downsamplings, x.W>>c.Downsamplings
		if bh != bw || bh%2 != 0 {
			return nil, fmt.Errorf("lama: this generator has a local Fourier unit, which needs a square input whose side is a multiple of %d (got %d×%d)", 2*m, x.H, x.W)
		}
	}
	a, _ := g.arenas.Get().(*arena)
	if a == nil {
		a = &arena{}
	}
	defer g.arenas.Put(a)
	t := g.stem.forward(a, x, nil)
	for _, d := range g.downs {
		u := d.forward(a, t, nil)
		a.put(t)
		t = u
	}
	for _, blk := range g.blocks {
		y := blk[0].forward(a, t, nil)
		z := blk[1].forward(a, y, t)
		a.put(y)
		a.put(t)
		t = z
	}
	for _, up := range g.ups {
		ho, wo := up.OutSize(t.H, t.W)
		u := a.get(t.N, up.OutC, ho, wo)
		up.Forward(u, 0, t, 0, nn.Epilogue{Act: nn.ActReLU})
		a.put(t)
		t = u
	}
	out := tensor.New(t.N, c.OutChannels, t.H, t.W)
	g.head.Forward(out, 0, t, 0, c.HeadEpilogue(x))
	a.put(t)
	a.trim()
	return out, nil
}

// forward runs the layer on src (N, inL+inG, H, W); residual, when not nil,
// is added after the activations (an FFC ResNet block's skip connection).
func (f *ffcLayer) forward(a *arena, src, residual *tensor.Tensor) *tensor.Tensor {
	conv := f.local
	if conv == nil {
		conv = f.l2g
	}
	ho, wo := conv.OutSize(src.H, src.W)
	dst := a.get(src.N, f.outL+f.outG, ho, wo)
	if f.outL > 0 {
		f.local.Forward(dst, 0, src, 0, nn.Epilogue{Act: nn.ActReLU, Residual: residual})
	}
	if f.outG > 0 {
		final := nn.Epilogue{Act: nn.ActReLU, Residual: residual, ResidualC0: f.outL}
		if f.spec != nil {
			ep := nn.Epilogue{}
			if f.l2g == nil {
				ep = final
			}
			f.spec.forward(a, dst, f.outL, src, f.inL, ep)
			final.Accumulate = true
		}
		if f.l2g != nil {
			f.l2g.Forward(dst, f.outL, src, 0, final)
		}
	}
	return dst
}

// forward writes conv2(x + FU(x) [+ LFU(x)]) with x = conv1(src channels
// [srcC0, …)) into dst channels [dstC0, …), through ep.
func (s *spectral) forward(a *arena, dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep nn.Epilogue) {
	x := a.get(src.N, s.half, src.H, src.W)
	s.conv1.Forward(x, 0, src, srcC0, nn.Epilogue{Act: nn.ActReLU})
	sum := a.get(x.N, x.C, x.H, x.W)
	copy(sum.Data, x.Data)
	s.fu.addTo(a, sum, x)
	if s.lfu != nil {
		s.addLFU(a, sum, x)
	}
	a.put(x)
	s.conv2.Forward(dst, dstC0, sum, 0, ep)
	a.put(sum)
}

// addLFU adds the local Fourier unit's output to sum: the first quarter of
// x's channels, cut into 2×2 quadrants stacked on channels (top-left,
// bottom-left, top-right, bottom-right), through a FourierUnit, tiled 2×2.
func (s *spectral) addLFU(a *arena, sum, x *tensor.Tensor) {
	q := x.C / 4
	hh, hw := x.H/2, x.W/2
	xs := a.get(x.N, x.C, hh, hw)
	for n := 0; n < x.N; n++ {
		for quad := 0; quad < 4; quad++ {
			y0, x0 := (quad%2)*hh, (quad/2)*hw
			for c := 0; c < q; c++ {
				src, dst := x.Plane(n, c), xs.Plane(n, quad*q+c)
				for y := 0; y < hh; y++ {
					copy(dst[y*hw:(y+1)*hw], src[(y0+y)*x.W+x0:(y0+y)*x.W+x0+hw])
				}
			}
		}
	}
	z := a.get(x.N, x.C, hh, hw)
	clear(z.Data)
	s.lfu.addTo(a, z, xs)
	a.put(xs)
	parallelFor(x.N*x.C, func(i int) {
		n, c := i/x.C, i%x.C
		src, dst := z.Plane(n, c), sum.Plane(n, c)
		for y := 0; y < x.H; y++ {
			row := dst[y*x.W : (y+1)*x.W]
			zr := src[(y%hh)*hw : (y%hh+1)*hw]
			for xx := range row {
				row[xx] += zr[xx%hw]
			}
		}
	})
	a.put(z)
}

// addTo adds FourierUnit(x) to sum; both are (N, ch, H, W).
func (f *fourierUnit) addTo(a *arena, sum, x *tensor.Tensor) {
	plan := fft.Plan(x.H, x.W)
	bins := plan.Bins()
	spec := a.get(x.N, 2*f.ch, x.H, bins)
	parallelFor(x.N*f.ch, func(i int) {
		n, c := i/f.ch, i%f.ch
		plan.Forward(spec.Plane(n, 2*c), spec.Plane(n, 2*c+1), x.Plane(n, c))
	})
	mixed := a.get(x.N, 2*f.ch, x.H, bins)
	f.conv.Forward(mixed, 0, spec, 0, nn.Epilogue{Act: nn.ActReLU})
	a.put(spec)
	scratch := a.get(1, x.N*f.ch, x.H, x.W)
	parallelFor(x.N*f.ch, func(i int) {
		n, c := i/f.ch, i%f.ch
		plane := scratch.Plane(0, i)
		plan.Inverse(plane, mixed.Plane(n, 2*c), mixed.Plane(n, 2*c+1))
		nn.Add(sum.Plane(n, c), plane)
	})
	a.put(scratch)
	a.put(mixed)
}

// arena recycles activation buffers within and across forward passes, so
// a pass allocates each size once. Not safe for concurrent use.
type arena struct{ free map[int][][]float32 }

// arenaKeep bounds the floats an idle arena holds (1 GiB): beyond it, the
// buffers are dropped so one huge input does not pin its memory forever.
const arenaKeep = 1 << 28

// trim drops the free buffers when they exceed arenaKeep.
func (a *arena) trim() {
	n := 0
	for size, l := range a.free {
		n += size * len(l)
	}
	if n > arenaKeep {
		a.free = nil
	}
}

func (a *arena) get(n, c, h, w int) *tensor.Tensor {
	size := n * c * h * w
	if l := a.free[size]; len(l) > 0 {
		buf := l[len(l)-1]
		a.free[size] = l[:len(l)-1]
		return tensor.FromData(n, c, h, w, buf)
	}
	return tensor.New(n, c, h, w)
}

func (a *arena) put(t *tensor.Tensor) {
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	a.free[len(t.Data)] = append(a.free[len(t.Data)], t.Data)
}

// parallelFor runs fn(0..n-1) on the engine's worker pool, one part per
// thread, each part taking every parts-th index.
func parallelFor(n int, fn func(i int)) {
	if n <= 0 {
		return
	}
	parts := min(gemm.MaxThreads(), n)
	gemm.Parallel(parts, func(p int) {
		for i := p; i < n; i += parts {
			fn(i)
		}
	})
}
