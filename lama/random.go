package lama

import (
	"math"
	"math/rand/v2"
	"strings"
)

// RandomWeights returns a generator with random weights, deterministic
// from seed: He-normal convolutions, BatchNorm γ in [0.75, 1.25), small β,
// and non-trivial running statistics (the same recipe as the PyTorch
// peer's randomize, so benchmarks exercise the same arithmetic; not the
// same numbers, which come from another generator).
func RandomWeights(cfg Config, seed uint64) (*Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c616d61))
	w := &Weights{Config: cfg, Params: map[string]*Param{}}
	for _, s := range cfg.Specs() {
		p := &Param{Shape: s.Shape, Data: make([]float32, product(s.Shape))}
		switch {
		case strings.HasSuffix(s.Name, "running_var"):
			for i := range p.Data {
				p.Data[i] = float32(rng.Float64()*0.5 + 0.75)
			}
		case strings.HasSuffix(s.Name, "running_mean"):
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * 0.1)
			}
		case strings.HasSuffix(s.Name, ".weight") && len(s.Shape) == 1:
			for i := range p.Data {
				p.Data[i] = float32(rng.Float64()*0.5 + 0.75)
			}
		case strings.HasSuffix(s.Name, ".bias"):
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * 0.05)
			}
		default:
			fanIn := product(s.Shape[1:])
			std := math.Sqrt(2 / float64(fanIn))
			for i := range p.Data {
				p.Data[i] = float32(rng.NormFloat64() * std)
			}
		}
		w.Params[s.Name] = p
	}
	return w, nil
}

// FLOPs counts the forward pass's arithmetic on an h×w input, batch 1,
// with a multiply-add as 2: every convolution (FFC, 1×1 spectral,
// transposed, output), as docs/engine-measurements.md counts it. FFTs,
// BatchNorm and activations are not counted.
func (c Config) FLOPs(h, w int) float64 {
	total := 0.0
	conv := func(cin, cout, k, oh, ow int) { total += 2 * float64(cin*cout*k*k) * float64(oh*ow) }
	conv(c.InChannels, c.NGF, 7, h, w)
	for i := 0; i < c.Downsamplings; i++ {
		conv(c.NGF<<i, c.NGF<<(i+1), 3, h>>(i+1), w>>(i+1))
	}
	bh, bw := h>>c.Downsamplings, w>>c.Downsamplings
	g := c.globalChannels()
	l := c.bottleneck() - g
	half := g / 2
	for b := 0; b < 2*c.Blocks; b++ {
		conv(l+g, l, 3, bh, bw) // l2l + g2l
		conv(l, g, 3, bh, bw)   // l2g
		conv(g, half, 1, bh, bw)
		conv(2*half, 2*half, 1, bh, bw/2+1)
		if c.LFU {
			conv(2*half, 2*half, 1, bh/2, bw/4+1)
		}
		conv(half, g, 1, bh, bw)
	}
	for i := 0; i < c.Downsamplings; i++ {
		ch := c.NGF << (c.Downsamplings - i)
		oh, ow := bh<<(i+1), bw<<(i+1)
		// A stride-2 transposed conv touches each input pixel with all 9 taps.
		total += 2 * float64(ch*(ch/2)*9) * float64((oh/2)*(ow/2))
	}
	conv(c.NGF, c.OutChannels, 7, h, w)
	return total
}
