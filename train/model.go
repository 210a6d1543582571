package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/nn"
	"github.com/aerofill/aerofill/tensor"
)

// Param is one trainable tensor of a Model and its gradient.
type Param struct {
	Name  string    // LaMa state-dict name, e.g. "model.1.ffc.convl2l.weight"
	Shape []int     // PyTorch shape
	Data  []float32 // the values, shared with the layers that use them
	Grad  []float32 // ∂loss/∂Data, accumulated by Backward
}

// Model is a LaMa FFC-ResNet generator in training mode: BatchNorm
// normalises with batch statistics and updates its running statistics,
// Forward keeps what Backward needs, and Backward accumulates the
// gradient of every parameter. It holds float32 parameters under LaMa's
// state-dict names, so its weights load into lama.New for inference.
//
// A Model is not safe for concurrent use. Its layers use every core.
type Model struct {
	cfg     lama.Config
	params  []*Param          // trainable, in state-dict order
	byName  map[string]*Param // params by name
	buffers map[string][]float32
	norms   []*norm // every BatchNorm, in state-dict order
	convs   []interface{ Prepare() }

	stem   *ffcLayer
	downs  []*ffcLayer
	blocks []*resBlock
	ups    []*upLayer
	head   *headLayer

	arena arena
	// Forward's state for Backward.
	input, local, global, cat *tensor.Tensor
	pending                   bool
}

// NewModel returns a training model with a copy of w's parameters and
// running statistics. BatchNorm batch counters start at 0; SetCounters
// restores them from a checkpoint.
func NewModel(w *lama.Weights) (*Model, error) {
	cfg := w.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, byName: map[string]*Param{}, buffers: map[string][]float32{}}
	for _, s := range cfg.Specs() {
		p, ok := w.Params[s.Name]
		if !ok {
			return nil, fmt.Errorf("train: weights for %v: missing tensor %s", cfg, s.Name)
		}
		if !slices.Equal(p.Shape, s.Shape) || len(p.Data) != product(s.Shape) {
			return nil, fmt.Errorf("train: weights for %v: tensor %s has shape %v (%d values), want %v",
				cfg, s.Name, p.Shape, len(p.Data), s.Shape)
		}
		data := append([]float32(nil), p.Data...)
		if isBuffer(s.Name) {
			m.buffers[s.Name] = data
			continue
		}
		q := &Param{Name: s.Name, Shape: append([]int(nil), s.Shape...), Data: data, Grad: make([]float32, len(data))}
		m.params = append(m.params, q)
		m.byName[s.Name] = q
	}
	if len(w.Params) != len(m.params)+len(m.buffers) {
		for name := range w.Params {
			if _, ok := m.byName[name]; !ok && m.buffers[name] == nil {
				return nil, fmt.Errorf("train: weights for %v: unexpected tensor %s", cfg, name)
			}
		}
	}
	m.build()
	return m, nil
}

// isBuffer reports whether a state-dict entry is a BatchNorm statistic
// rather than a trainable parameter.
func isBuffer(name string) bool {
	return strings.HasSuffix(name, ".running_mean") || strings.HasSuffix(name, ".running_var") ||
		strings.HasSuffix(name, ".num_batches_tracked")
}

// Config returns the model's architecture.
func (m *Model) Config() lama.Config { return m.cfg }

// Params returns the trainable parameters in state-dict order. The
// slices are the model's own: an optimiser updates them in place.
func (m *Model) Params() []*Param { return m.params }

// Param returns the named parameter, or nil.
func (m *Model) Param(name string) *Param { return m.byName[name] }

// NumParams counts the trainable values.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p.Data)
	}
	return n
}

// ZeroGrad sets every gradient to zero.
func (m *Model) ZeroGrad() {
	for _, p := range m.params {
		clear(p.Grad)
	}
}

// Weights returns a copy of the parameters and running statistics, ready
// for lama.New (inference, BatchNorm in eval mode) or for saving.
func (m *Model) Weights() *lama.Weights {
	w := &lama.Weights{Config: m.cfg, Params: map[string]*lama.Param{}}
	for _, p := range m.params {
		w.Params[p.Name] = &lama.Param{Shape: append([]int(nil), p.Shape...), Data: append([]float32(nil), p.Data...)}
	}
	for name, b := range m.buffers {
		w.Params[name] = &lama.Param{Shape: []int{len(b)}, Data: append([]float32(nil), b...)}
	}
	return w
}

// Counters returns every BatchNorm's num_batches_tracked, by state-dict
// name ("model.1.bn_l.num_batches_tracked").
func (m *Model) Counters() map[string]int64 {
	c := make(map[string]int64, len(m.norms))
	for _, n := range m.norms {
		c[n.name+".num_batches_tracked"] = n.NumBatchesTracked
	}
	return c
}

// SetCounters sets the num_batches_tracked counters named in c.
func (m *Model) SetCounters(c map[string]int64) {
	for _, n := range m.norms {
		if v, ok := c[n.name+".num_batches_tracked"]; ok {
			n.NumBatchesTracked = v
		}
	}
}

// Forward runs the generator in training mode on x (N, InChannels, H, W),
// H and W multiples of 2^Downsamplings (with LFU: a square whose
// bottleneck side is even), and returns its output (N, OutChannels, H, W)
// after the sigmoid. It updates the BatchNorm running statistics and keeps
// the activations for Backward. The output is valid until the next Forward.
func (m *Model) Forward(x *tensor.Tensor) (*tensor.Tensor, error) {
	if err := m.checkInput(x); err != nil {
		return nil, err
	}
	m.arena.reset()
	m.input = x
	for _, c := range m.convs {
		c.Prepare() // the weights may have changed since the last step
	}
	l, _ := m.stem.forward(m, x, nil)
	var g *tensor.Tensor
	for _, d := range m.downs {
		l, g = d.forward(m, l, g)
	}
	for _, b := range m.blocks {
		l, g = b.forward(m, l, g)
	}
	m.local, m.global = l, g
	m.cat = m.arena.get(l.N, l.C+g.C, l.H, l.W)
	nn.ConcatChannels(m.cat, l, g)
	t := m.cat
	for _, u := range m.ups {
		t = u.forward(m, t)
	}
	out := m.head.forward(m, t)
	m.pending = true
	return out, nil
}

// checkInput reports whether x fits the generator.
func (m *Model) checkInput(x *tensor.Tensor) error {
	c := m.cfg
	k := c.Multiple()
	switch {
	case x.C != c.InChannels:
		return fmt.Errorf("train: input has %d channels, the generator takes %d", x.C, c.InChannels)
	case x.H == 0 || x.W == 0 || x.H%k != 0 || x.W%k != 0:
		return fmt.Errorf("train: input is %d×%d; sides must be positive multiples of %d", x.H, x.W, k)
	case x.N*(x.H/k)*(x.W/k) < 2:
		return fmt.Errorf("train: batch of %d %d×%d images leaves one value per channel at the bottleneck; BatchNorm needs two", x.N, x.H, x.W)
	case c.LFU && (x.H != x.W || (x.H/k)%2 != 0):
		return fmt.Errorf("train: this generator has a local Fourier unit, which needs a square input whose side is a multiple of %d (got %d×%d)", 2*k, x.H, x.W)
	}
	return nil
}

// Backward accumulates into every Param.Grad the gradient of the loss,
// given dout = ∂loss/∂out for the output of the last Forward.
func (m *Model) Backward(dout *tensor.Tensor) error {
	if !m.pending {
		return fmt.Errorf("train: Backward without a Forward")
	}
	if out := m.head.out; !dout.SameShape(out) {
		return fmt.Errorf("train: gradient %v for an output %v", dout, out)
	}
	m.pending = false
	d := m.head.backward(m, dout)
	for i := len(m.ups) - 1; i >= 0; i-- {
		d = m.ups[i].backward(m, d)
	}
	dl := m.arena.get(m.local.N, m.local.C, m.local.H, m.local.W)
	dg := m.arena.get(m.global.N, m.global.C, m.global.H, m.global.W)
	nn.ConcatChannelsBackward(dl, dg, d)
	m.arena.put(d)
	for i := len(m.blocks) - 1; i >= 0; i-- {
		dl, dg = m.blocks[i].backward(m, dl, dg)
	}
	for i := len(m.downs) - 1; i >= 0; i-- {
		f := m.downs[i]
		dx := m.arena.zeros(f.xl.N, f.xl.C, f.xl.H, f.xl.W)
		f.backward(m, dl, dg, dx, nil)
		m.arena.put(dl)
		if dg != nil {
			m.arena.put(dg)
		}
		dl, dg = dx, nil
	}
	m.stem.backward(m, dl, nil, nil, nil)
	m.arena.put(dl)
	return nil
}

// --- layers ---

// convP is a convolution and its parameters.
type convP struct {
	*nn.Conv2D
	w, b *Param
}

func (c *convP) backward(dx, x, dy *tensor.Tensor) {
	var db []float32
	if c.b != nil {
		db = c.b.Grad
	}
	c.Conv2D.Backward(dx, c.w.Grad, db, x, dy)
}

// norm is a BatchNorm (followed by a ReLU: every BatchNorm in LaMa is),
// its parameters and the statistics of the last batch (a Fourier unit's
// are in its nn.FourierState).
type norm struct {
	*nn.BatchNorm
	name string
	w, b *Param
	st   *nn.BatchStats
}

func (n *norm) forward(dst, src *tensor.Tensor) { n.ForwardTrain(dst, src, n.st) }

// backward turns d = ∂L/∂dst into ∂L/∂src in place.
func (n *norm) backward(d, src *tensor.Tensor) {
	n.Backward(d, n.w.Grad, n.b.Grad, src, d, n.st)
}

// ffcLayer is one FFC_BN_ACT layer over separate local and global groups:
// out_l = ReLU(BN_l(l2l(x_l) + g2l(x_g))), out_g = ReLU(BN_g(l2g(x_l) + spectral(x_g))).
type ffcLayer struct {
	outL, outG    int
	l2l, g2l, l2g *convP
	spec          *spectral
	bnL, bnG      *norm

	xl, xg, aL, aG *tensor.Tensor // inputs and pre-BatchNorm sums
}

func (f *ffcLayer) forward(m *Model, xl, xg *tensor.Tensor) (yl, yg *tensor.Tensor) {
	f.xl, f.xg = xl, xg
	conv := f.l2l
	if conv == nil {
		conv = f.l2g
	}
	ho, wo := conv.OutSize(xl.H, xl.W)
	if f.outL > 0 {
		f.aL = m.arena.get(xl.N, f.outL, ho, wo)
		f.l2l.Forward(f.aL, 0, xl, 0, nn.Epilogue{})
		if f.g2l != nil {
			f.g2l.Forward(f.aL, 0, xg, 0, nn.Epilogue{Accumulate: true})
		}
		yl = m.arena.get(xl.N, f.outL, ho, wo)
		f.bnL.forward(yl, f.aL)
	}
	if f.outG > 0 {
		f.aG = m.arena.get(xl.N, f.outG, ho, wo)
		f.l2g.Forward(f.aG, 0, xl, 0, nn.Epilogue{})
		if f.spec != nil {
			f.spec.forward(m, f.aG, xg)
		}
		yg = m.arena.get(xl.N, f.outG, ho, wo)
		f.bnG.forward(yg, f.aG)
	}
	return yl, yg
}

// backward uses up dyl and dyg (the gradients of the outputs) and adds
// the gradients of the inputs to dxl and dxg (nil to skip).
func (f *ffcLayer) backward(m *Model, dyl, dyg, dxl, dxg *tensor.Tensor) {
	if f.outL > 0 {
		f.bnL.backward(dyl, f.aL)
		f.l2l.backward(dxl, f.xl, dyl)
		if f.g2l != nil {
			f.g2l.backward(dxg, f.xg, dyl)
		}
		m.arena.put(f.aL)
	}
	if f.outG > 0 {
		f.bnG.backward(dyg, f.aG)
		f.l2g.backward(dxl, f.xl, dyg)
		if f.spec != nil {
			f.spec.backward(m, dxg, dyg)
		}
		m.arena.put(f.aG)
	}
}

// spectral is LaMa's SpectralTransform: conv1 (1×1) → BN → ReLU, then
// x + FourierUnit(x) [+ LFU(x)], then conv2 (1×1), added to the global sum.
type spectral struct {
	conv1   *convP
	bn1     *norm
	fu, lfu *fourier
	conv2   *convP

	x, s1pre, s1, sum *tensor.Tensor
}

// fourier is an nn.FourierUnit with its parameters and saved state.
type fourier struct {
	nn.FourierUnit
	conv *convP
	bn   *norm
	st   nn.FourierState
}

func (s *spectral) forward(m *Model, aG, x *tensor.Tensor) {
	s.x = x
	half := s.conv1.OutC
	s.s1pre = m.arena.get(x.N, half, x.H, x.W)
	s.conv1.Forward(s.s1pre, 0, x, 0, nn.Epilogue{})
	s.s1 = m.arena.get(x.N, half, x.H, x.W)
	s.bn1.forward(s.s1, s.s1pre)
	s.sum = m.arena.get(x.N, half, x.H, x.W)
	copy(s.sum.Data, s.s1.Data)
	s.fu.ForwardTrain(s.sum, s.s1, &s.fu.st)
	if s.lfu != nil {
		xs := m.arena.get(x.N, half, x.H/2, x.W/2)
		nn.StackQuadrants(xs, s.s1)
		z := m.arena.zeros(x.N, half, x.H/2, x.W/2)
		s.lfu.ForwardTrain(z, xs, &s.lfu.st)
		nn.AddTiled(s.sum, z)
		m.arena.put(xs, z)
	}
	s.conv2.Forward(aG, 0, s.sum, 0, nn.Epilogue{Accumulate: true})
}

// backward adds to dx the gradient through the transform, given dout,
// the gradient of conv2's output.
func (s *spectral) backward(m *Model, dx, dout *tensor.Tensor) {
	x := s.sum
	dsum := m.arena.zeros(x.N, x.C, x.H, x.W)
	s.conv2.backward(dsum, s.sum, dout)
	ds1 := m.arena.get(x.N, x.C, x.H, x.W)
	copy(ds1.Data, dsum.Data)
	s.fu.Backward(ds1, s.fu.conv.w.Grad, s.fu.bn.w.Grad, s.fu.bn.b.Grad, dsum, &s.fu.st)
	if s.lfu != nil {
		dz := m.arena.get(x.N, x.C, x.H/2, x.W/2)
		nn.AddTiledBackward(dz, dsum)
		dxs := m.arena.zeros(x.N, x.C, x.H/2, x.W/2)
		s.lfu.Backward(dxs, s.lfu.conv.w.Grad, s.lfu.bn.w.Grad, s.lfu.bn.b.Grad, dz, &s.lfu.st)
		nn.StackQuadrantsBackward(ds1, dxs)
		m.arena.put(dz, dxs)
	}
	s.bn1.backward(ds1, s.s1pre)
	s.conv1.backward(dx, s.x, ds1)
	m.arena.put(dsum, ds1, s.s1pre, s.s1, s.sum)
}

// resBlock is an FFCResnetBlock: two FFC layers and a skip connection on
// each group.
type resBlock struct{ conv1, conv2 *ffcLayer }

func (b *resBlock) forward(m *Model, xl, xg *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	y1l, y1g := b.conv1.forward(m, xl, xg)
	yl, yg := b.conv2.forward(m, y1l, y1g)
	// conv2 keeps its inputs, not its outputs: add the skip in place.
	nn.Add(yl.Data, xl.Data)
	nn.Add(yg.Data, xg.Data)
	return yl, yg
}

// backward turns the output gradients into the input gradients in place:
// the skip passes them through, and the branch adds its own.
func (b *resBlock) backward(m *Model, dl, dg *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor) {
	cl, cg := m.arena.get(dl.N, dl.C, dl.H, dl.W), m.arena.get(dg.N, dg.C, dg.H, dg.W)
	copy(cl.Data, dl.Data)
	copy(cg.Data, dg.Data)
	d1l, d1g := m.arena.zeros(dl.N, dl.C, dl.H, dl.W), m.arena.zeros(dg.N, dg.C, dg.H, dg.W)
	b.conv2.backward(m, cl, cg, d1l, d1g)
	b.conv1.backward(m, d1l, d1g, dl, dg)
	m.arena.put(cl, cg, d1l, d1g)
	return dl, dg
}

// upLayer is ConvTranspose2d (3×3, stride 2, bias) → BatchNorm → ReLU.
type upLayer struct {
	ct   *nn.ConvTranspose2D
	w, b *Param
	bn   *norm
	x, a *tensor.Tensor
}

func (u *upLayer) forward(m *Model, x *tensor.Tensor) *tensor.Tensor {
	u.x = x
	ho, wo := u.ct.OutSize(x.H, x.W)
	u.a = m.arena.get(x.N, u.ct.OutC, ho, wo)
	u.ct.Forward(u.a, 0, x, 0, nn.Epilogue{})
	y := m.arena.get(x.N, u.ct.OutC, ho, wo)
	u.bn.forward(y, u.a)
	return y
}

func (u *upLayer) backward(m *Model, dy *tensor.Tensor) *tensor.Tensor {
	u.bn.backward(dy, u.a)
	// The bias feeds the BatchNorm directly, so its gradient is the
	// per-channel sum of dy, which BatchNorm computed before rounding.
	for c, v := range u.bn.st.GradSum {
		u.b.Grad[c] += float32(v)
	}
	dx := m.arena.zeros(u.x.N, u.x.C, u.x.H, u.x.W)
	u.ct.Backward(dx, u.w.Grad, nil, u.x, dy)
	m.arena.put(dy, u.a)
	return dx
}

// headLayer is ReflectionPad2d(3) → Conv2d(ngf → out, 7×7, bias) →
// Sigmoid, or with Config.Residual, the convolution plus the model input's
// first out channels.
type headLayer struct {
	conv   *convP
	x, out *tensor.Tensor
}

func (h *headLayer) forward(m *Model, x *tensor.Tensor) *tensor.Tensor {
	h.x = x
	h.out = m.arena.get(x.N, h.conv.OutC, x.H, x.W)
	h.conv.Forward(h.out, 0, x, 0, m.cfg.HeadEpilogue(m.input))
	return h.out
}

// backward returns the gradient for the head's input x. The model input's
// share of a residual output gets none: the input is data, not a parameter.
func (h *headLayer) backward(m *Model, dout *tensor.Tensor) *tensor.Tensor {
	dz := dout
	if !m.cfg.Residual {
		dz = m.arena.get(dout.N, dout.C, dout.H, dout.W)
		nn.SigmoidBackward(dz.Data, h.out.Data, dout.Data)
	}
	dx := m.arena.zeros(h.x.N, h.x.C, h.x.H, h.x.W)
	h.conv.backward(dx, h.x, dz)
	if dz != dout {
		m.arena.put(dz)
	}
	return dx
}

// --- building ---

// build makes the layers over the parameters, in LaMa's model.N order.
func (m *Model) build() {
	c := m.cfg
	m.stem = m.ffc("model.1", 7, 1, 3)
	for i := 0; i < c.Downsamplings; i++ {
		m.downs = append(m.downs, m.ffc(fmt.Sprintf("model.%d", 2+i), 3, 2, 1))
	}
	for i := 0; i < c.Blocks; i++ {
		p := fmt.Sprintf("model.%d", 2+c.Downsamplings+i)
		m.blocks = append(m.blocks, &resBlock{m.ffc(p+".conv1", 3, 1, 1), m.ffc(p+".conv2", 3, 1, 1)})
	}
	idx := 3 + c.Downsamplings + c.Blocks
	for i := 0; i < c.Downsamplings; i++ {
		w, b := m.byName[fmt.Sprintf("model.%d.weight", idx)], m.byName[fmt.Sprintf("model.%d.bias", idx)]
		ct := &nn.ConvTranspose2D{InC: w.Shape[0], OutC: w.Shape[1], K: 3, Stride: 2, Pad: 1, OutputPadding: 1,
			Weight: w.Data, Bias: b.Data}
		m.convs = append(m.convs, ct)
		m.ups = append(m.ups, &upLayer{ct: ct, w: w, b: b, bn: m.norm(fmt.Sprintf("model.%d", idx+1))})
		idx += 3
	}
	m.head = &headLayer{conv: m.conv(fmt.Sprintf("model.%d", idx+1), 7, 1, 3, true)}
}

// conv returns the convolution prefix.weight (and prefix.bias) with
// reflect padding, or nil when the checkpoint has no such tensor.
func (m *Model) conv(prefix string, k, stride, pad int, bias bool) *convP {
	w := m.byName[prefix+".weight"]
	if w == nil {
		return nil
	}
	c := &convP{w: w, Conv2D: &nn.Conv2D{InC: w.Shape[1], OutC: w.Shape[0], KH: k, KW: k, Stride: stride, Pad: pad,
		Padding: nn.PadReflect, Weight: w.Data}}
	if bias {
		c.b = m.byName[prefix+".bias"]
		c.Bias = c.b.Data
	}
	m.convs = append(m.convs, c.Conv2D)
	return c
}

// norm returns the BatchNorm prefix (followed by a ReLU).
func (m *Model) norm(prefix string) *norm {
	n := &norm{name: prefix, w: m.byName[prefix+".weight"], b: m.byName[prefix+".bias"], st: new(nn.BatchStats)}
	n.BatchNorm = &nn.BatchNorm{Weight: n.w.Data, Bias: n.b.Data,
		RunningMean: m.buffers[prefix+".running_mean"], RunningVar: m.buffers[prefix+".running_var"],
		Momentum: 0.1, Eps: lama.BatchNormEps, Act: nn.ActReLU}
	m.norms = append(m.norms, n)
	return n
}

// ffc builds FFC_BN_ACT layer p; absent convolutions stay nil.
func (m *Model) ffc(p string, k, stride, pad int) *ffcLayer {
	f := &ffcLayer{
		l2l: m.conv(p+".ffc.convl2l", k, stride, pad, false),
		g2l: m.conv(p+".ffc.convg2l", k, stride, pad, false),
		l2g: m.conv(p+".ffc.convl2g", k, stride, pad, false),
	}
	if f.l2l != nil {
		f.outL = f.l2l.OutC
		f.bnL = m.norm(p + ".bn_l")
	}
	if f.l2g != nil {
		f.outG = f.l2g.OutC
	}
	if s := p + ".ffc.convg2g"; m.byName[s+".conv1.0.weight"] != nil {
		f.spec = &spectral{
			conv1: m.conv(s+".conv1.0", 1, 1, 0, false),
			bn1:   m.norm(s + ".conv1.1"),
			fu:    m.fourier(s + ".fu"),
			conv2: m.conv(s+".conv2", 1, 1, 0, false),
		}
		if m.cfg.LFU {
			f.spec.lfu = m.fourier(s + ".lfu")
		}
		f.outG = f.spec.conv2.OutC
	}
	if f.outG > 0 {
		f.bnG = m.norm(p + ".bn_g")
	}
	return f
}

func (m *Model) fourier(p string) *fourier {
	f := &fourier{conv: m.conv(p+".conv_layer", 1, 1, 0, false), bn: m.norm(p + ".bn")}
	f.FourierUnit = nn.FourierUnit{Conv: f.conv.Conv2D, BN: f.bn.BatchNorm}
	f.bn.st = &f.st.Stats
	return f
}

// --- memory ---

// arena recycles activation buffers: a training step allocates the same
// sizes every time, so after the first step it allocates nothing. get
// returns a tensor with undefined contents; reset takes every tensor back.
type arena struct {
	free map[int][][]float32
	out  [][]float32 // handed out since the last reset
}

func (a *arena) get(n, c, h, w int) *tensor.Tensor {
	size := n * c * h * w
	var buf []float32
	if l := a.free[size]; len(l) > 0 {
		buf = l[len(l)-1]
		a.free[size] = l[:len(l)-1]
	} else {
		buf = make([]float32, size)
	}
	a.out = append(a.out, buf)
	return tensor.FromData(n, c, h, w, buf)
}

// zeros is get, cleared (on all cores: gradients of whole activations).
func (a *arena) zeros(n, c, h, w int) *tensor.Tensor {
	t := a.get(n, c, h, w)
	parallelRange(len(t.Data), func(lo, hi int) { clear(t.Data[lo:hi]) })
	return t
}

// put gives tensors back before the reset, so that later gets in the same
// step can reuse them.
func (a *arena) put(ts ...*tensor.Tensor) {
	for _, t := range ts {
		for i, b := range a.out {
			if len(b) > 0 && len(t.Data) > 0 && &b[0] == &t.Data[0] {
				a.out[i] = a.out[len(a.out)-1]
				a.out = a.out[:len(a.out)-1]
				a.release(b)
				break
			}
		}
	}
}

func (a *arena) release(b []float32) {
	if a.free == nil {
		a.free = map[int][][]float32{}
	}
	a.free[len(b)] = append(a.free[len(b)], b)
}

func (a *arena) reset() {
	for _, b := range a.out {
		a.release(b)
	}
	a.out = a.out[:0]
}

func product(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
