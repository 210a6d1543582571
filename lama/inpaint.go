package lama

import (
	"fmt"

	"github.com/aerofill/aerofill/tensor"
)

// PadModulo is the multiple LaMa's predict pipeline pads inputs to.
const PadModulo = 8

// Inpaint runs LaMa's prediction pipeline (bin/predict.py) on a batch:
// img is (N, 3, H, W) RGB in [0, 1], mask (N, 1, H, W) with 1 = damaged.
// Both are padded at the bottom and right to a multiple of 8 (and of
// 2^Downsamplings) by symmetric mirroring (a b c | c b a), the generator
// sees img·(1−mask) ⊕ mask, and its output replaces the damaged pixels
// only. The result is (N, 3, H, W); known pixels come back unchanged.
func (g *Generator) Inpaint(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	return g.inpaint(img, mask, true)
}

// InpaintPrefilled is Inpaint for generators trained on pre-filled holes
// (aerofill's own models: a classical filler fills the hole first and the
// network learns a correction): img's damaged pixels hold the classical
// fill and go into the network as they are instead of being zeroed.
func (g *Generator) InpaintPrefilled(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	return g.inpaint(img, mask, false)
}

func (g *Generator) inpaint(img, mask *tensor.Tensor, zeroHoles bool) (*tensor.Tensor, error) {
	if img.C != 3 || mask.C != 1 || img.N != mask.N || img.H != mask.H || img.W != mask.W {
		return nil, fmt.Errorf("lama: inpaint: image %v and mask %v do not match (want (N,3,H,W) and (N,1,H,W))", img, mask)
	}
	if g.cfg.InChannels != 4 || g.cfg.OutChannels != 3 {
		return nil, fmt.Errorf("lama: inpaint needs a 4→3 channel generator, this one is %d→%d", g.cfg.InChannels, g.cfg.OutChannels)
	}
	mod := max(PadModulo, g.cfg.Multiple())
	ph, pw := ceilTo(img.H, mod), ceilTo(img.W, mod)
	x := tensor.New(img.N, 4, ph, pw)
	for n := 0; n < img.N; n++ {
		m := mask.Plane(n, 0)
		for c := 0; c < 3; c++ {
			src, dst := img.Plane(n, c), x.Plane(n, c)
			for i, v := range src {
				if zeroHoles && m[i] != 0 {
					v = 0
				}
				dst[(i/img.W)*pw+i%img.W] = v
			}
			padSymmetric(dst, img.H, img.W, ph, pw)
		}
		dst := x.Plane(n, 3)
		for i, v := range m {
			if v != 0 {
				v = 1
			}
			dst[(i/img.W)*pw+i%img.W] = v
		}
		padSymmetric(dst, img.H, img.W, ph, pw)
	}
	y, err := g.Forward(x)
	if err != nil {
		return nil, err
	}
	out := tensor.New(img.N, 3, img.H, img.W)
	for n := 0; n < img.N; n++ {
		m := mask.Plane(n, 0)
		for c := 0; c < 3; c++ {
			src, gen, dst := img.Plane(n, c), y.Plane(n, c), out.Plane(n, c)
			for i := range dst {
				if m[i] != 0 {
					dst[i] = min(max(gen[(i/img.W)*pw+i%img.W], 0), 1) // a residual output can leave [0, 1]
				} else {
					dst[i] = src[i]
				}
			}
		}
	}
	return out, nil
}

// padSymmetric fills the bottom and right of a ph×pw plane whose top-left
// h×w holds data, mirroring including the edge pixel (numpy "symmetric").
func padSymmetric(p []float32, h, w, ph, pw int) {
	for y := 0; y < h; y++ {
		row := p[y*pw : (y+1)*pw]
		for x := w; x < pw; x++ {
			row[x] = row[symmetricIndex(x, w)]
		}
	}
	for y := h; y < ph; y++ {
		copy(p[y*pw:(y+1)*pw], p[symmetricIndex(y, h)*pw:(symmetricIndex(y, h)+1)*pw])
	}
}

// symmetricIndex maps i ≥ n into [0, n) by mirroring with the edge repeated.
func symmetricIndex(i, n int) int {
	period := 2 * n
	i %= period
	if i >= n {
		i = period - 1 - i
	}
	return i
}

func ceilTo(v, m int) int { return (v + m - 1) / m * m }
