package lama

import (
	"fmt"
	"strings"
)

// Config is a generator's architecture. Every field can be read off a state
// dict's tensor shapes (inferConfig), so users only ever pass a file.
type Config struct {
	InChannels    int     // 4: RGB·(1−mask) ⊕ mask
	OutChannels   int     // 3
	NGF           int     // channels after the stem (64 in LaMa's releases)
	Downsamplings int     // stride-2 layers (3)
	Blocks        int     // FFC ResNet blocks (9 for lama-fourier, 18 for big-lama)
	Ratio         float64 // global share of the bottleneck channels (0.75)
	LFU           bool    // local Fourier unit in the spectral transforms
	// Residual: the output layer's result is added to the input's first
	// OutChannels channels (the classical fill of a pre-filled hole)
	// instead of passing through a sigmoid, so the network learns a
	// correction of the fill. Tensors cannot show it: checkpoints record it
	// in their metadata (MetaOutput = "residual"). LaMa's releases: false.
	Residual bool `json:",omitempty"`
}

// LamaFourier is the configuration of LaMa's lama-fourier release.
var LamaFourier = Config{InChannels: 4, OutChannels: 3, NGF: 64, Downsamplings: 3, Blocks: 9, Ratio: 0.75}

// Validate reports whether c describes a buildable generator.
func (c Config) Validate() error {
	switch {
	case c.InChannels < 1 || c.OutChannels < 1:
		return fmt.Errorf("lama: config: %d input and %d output channels", c.InChannels, c.OutChannels)
	case c.NGF < 1 || c.NGF > 4096:
		return fmt.Errorf("lama: config: ngf %d", c.NGF)
	case c.Downsamplings < 1 || c.Downsamplings > 6:
		return fmt.Errorf("lama: config: %d downsamplings (1–6 supported)", c.Downsamplings)
	case c.Blocks < 0 || c.Blocks > 256:
		return fmt.Errorf("lama: config: %d blocks", c.Blocks)
	case c.Ratio <= 0 || c.Ratio >= 1:
		return fmt.Errorf("lama: config: global ratio %v (want 0 < ratio < 1)", c.Ratio)
	}
	if c.Residual && c.InChannels < c.OutChannels {
		return fmt.Errorf("lama: config: a residual output needs at least as many input channels (%d) as output channels (%d)", c.InChannels, c.OutChannels)
	}
	if g := c.globalChannels(); g < 2 || g%2 != 0 || (c.LFU && g%8 != 0) {
		return fmt.Errorf("lama: config: %d global channels at the bottleneck (must be even, and a multiple of 8 with LFU)", g)
	}
	return nil
}

// Multiple is the factor input sides must be divisible by: 2^Downsamplings.
func (c Config) Multiple() int { return 1 << c.Downsamplings }

// bottleneck is the channel count after the downsamplings.
func (c Config) bottleneck() int { return c.NGF << c.Downsamplings }

// globalChannels is int(dim·ratio), as LaMa's FFC computes it.
func (c Config) globalChannels() int { return int(float64(c.bottleneck())*c.Ratio + 1e-9) }

func (c Config) String() string {
	lfu := "no"
	if c.LFU {
		lfu = "yes"
	}
	out := "sigmoid"
	if c.Residual {
		out = "residual"
	}
	return fmt.Sprintf("ngf %d, %d downsamplings, %d blocks, ratio %.2f, LFU %s, %d→%d channels, %s output",
		c.NGF, c.Downsamplings, c.Blocks, c.Ratio, lfu, c.InChannels, c.OutChannels, out)
}

// ParamSpec names one tensor of the state dict and its shape.
type ParamSpec struct {
	Name  string
	Shape []int
}

// Specs lists every tensor of a generator with this configuration, in
// PyTorch's state-dict order (num_batches_tracked excluded).
func (c Config) Specs() []ParamSpec {
	var s []ParamSpec
	add := func(name string, shape ...int) { s = append(s, ParamSpec{name, shape}) }
	bn := func(prefix string, n int) {
		for _, k := range []string{"weight", "bias", "running_mean", "running_var"} {
			add(prefix+"."+k, n)
		}
	}
	// ffc adds the tensors of one FFC_BN_ACT layer.
	ffc := func(p string, inL, inG, outL, outG, k int) {
		if inL > 0 && outL > 0 {
			add(p+".ffc.convl2l.weight", outL, inL, k, k)
		}
		if inL > 0 && outG > 0 {
			add(p+".ffc.convl2g.weight", outG, inL, k, k)
		}
		if inG > 0 && outL > 0 {
			add(p+".ffc.convg2l.weight", outL, inG, k, k)
		}
		if inG > 0 && outG > 0 {
			h := outG / 2
			add(p+".ffc.convg2g.conv1.0.weight", h, inG, 1, 1)
			bn(p+".ffc.convg2g.conv1.1", h)
			add(p+".ffc.convg2g.fu.conv_layer.weight", 2*h, 2*h, 1, 1)
			bn(p+".ffc.convg2g.fu.bn", 2*h)
			if c.LFU {
				add(p+".ffc.convg2g.lfu.conv_layer.weight", 2*h, 2*h, 1, 1)
				bn(p+".ffc.convg2g.lfu.bn", 2*h)
			}
			add(p+".ffc.convg2g.conv2.weight", outG, h, 1, 1)
		}
		if outL > 0 {
			bn(p+".bn_l", outL)
		}
		if outG > 0 {
			bn(p+".bn_g", outG)
		}
	}
	ffc("model.1", c.InChannels, 0, c.NGF, 0, 7)
	for i := 0; i < c.Downsamplings; i++ {
		cin, cout := c.NGF<<i, c.NGF<<(i+1)
		outG := 0
		if i == c.Downsamplings-1 {
			outG = c.globalChannels()
		}
		ffc(fmt.Sprintf("model.%d", 2+i), cin, 0, cout-outG, outG, 3)
	}
	g := c.globalChannels()
	l := c.bottleneck() - g
	for b := 0; b < c.Blocks; b++ {
		p := fmt.Sprintf("model.%d", 2+c.Downsamplings+b)
		ffc(p+".conv1", l, g, l, g, 3)
		ffc(p+".conv2", l, g, l, g, 3)
	}
	idx := 3 + c.Downsamplings + c.Blocks
	for i := 0; i < c.Downsamplings; i++ {
		ch := c.NGF << (c.Downsamplings - i)
		add(fmt.Sprintf("model.%d.weight", idx), ch, ch/2, 3, 3)
		add(fmt.Sprintf("model.%d.bias", idx), ch/2)
		bn(fmt.Sprintf("model.%d", idx+1), ch/2)
		idx += 3
	}
	add(fmt.Sprintf("model.%d.weight", idx+1), c.OutChannels, c.NGF, 7, 7)
	add(fmt.Sprintf("model.%d.bias", idx+1), c.OutChannels)
	return s
}

// inferConfig reads the configuration off the tensor shapes.
func inferConfig(p map[string]*Param) (Config, error) {
	var c Config
	stem, ok := p["model.1.ffc.convl2l.weight"]
	if !ok || len(stem.Shape) != 4 || stem.Shape[2] != 7 || stem.Shape[3] != 7 {
		return c, fmt.Errorf("not a LaMa generator: model.1.ffc.convl2l.weight is missing or not a 7×7 convolution")
	}
	c.NGF, c.InChannels = stem.Shape[0], stem.Shape[1]
	// Downsampling layers are FFC layers without conv1/conv2 sub-layers.
	for i := 2; ; i++ {
		if _, ok := p[fmt.Sprintf("model.%d.ffc.convl2l.weight", i)]; !ok {
			break
		}
		c.Downsamplings++
	}
	for i := 2 + c.Downsamplings; ; i++ {
		if _, ok := p[fmt.Sprintf("model.%d.conv1.ffc.convl2l.weight", i)]; !ok {
			break
		}
		c.Blocks++
	}
	if c.Downsamplings == 0 {
		return c, fmt.Errorf("not a LaMa generator: no downsampling layers (model.2.ffc.convl2l.weight)")
	}
	last := fmt.Sprintf("model.%d.ffc.convl2g.weight", 1+c.Downsamplings)
	lg, ok := p[last]
	if !ok || len(lg.Shape) != 4 {
		return c, fmt.Errorf("not a LaMa generator: missing tensor %s (the last downsampling's global output)", last)
	}
	c.Ratio = float64(lg.Shape[0]) / float64(c.bottleneck())
	for name := range p {
		if strings.Contains(name, ".convg2g.lfu.") {
			c.LFU = true
			break
		}
	}
	head := fmt.Sprintf("model.%d.weight", 4+4*c.Downsamplings+c.Blocks)
	hw, ok := p[head]
	if !ok || len(hw.Shape) != 4 {
		return c, fmt.Errorf("not a LaMa generator: missing tensor %s (the output convolution)", head)
	}
	c.OutChannels = hw.Shape[0]
	// Round the ratio to what produced the channel count: int(dim·r) = g.
	g := lg.Shape[0]
	for _, r := range []float64{0.75, 0.5, 0.25, 0.875, 0.625, 0.375, 0.125} {
		if int(float64(c.bottleneck())*r) == g {
			c.Ratio = r
			break
		}
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// check verifies that the parameters are exactly the configuration's:
// every tensor present with its shape, and none left over.
func (w *Weights) check() error {
	specs := w.Config.Specs()
	seen := make(map[string]bool, len(specs))
	for _, s := range specs {
		if _, err := w.get(s.Name, s.Shape...); err != nil {
			return fmt.Errorf("not a LaMa generator with %v: %w", w.Config, err)
		}
		seen[s.Name] = true
	}
	for name := range w.Params {
		if !seen[name] {
			return fmt.Errorf("not a LaMa generator with %v: unexpected tensor %s", w.Config, name)
		}
	}
	return nil
}
