// Package restore is aerofill's restoration pipeline: it turns images and
// masks into model inputs, runs a method (a LaMa generator or a classical
// filler, optionally with test-time augmentation), composites the result,
// and restores whole scenes tile by tile through package raster. It does
// not decode formats itself (raster does) and knows nothing of layer
// arithmetic (lama, fill).
package restore

import (
	"fmt"
	"os"
	"strings"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/models"
	"github.com/aerofill/aerofill/tensor"
)

// Method restores the damaged pixels of a batch: img is (N, 3, H, W) RGB
// in [0, 1], mask (N, 1, H, W) with 1 where damaged. The result has img's
// shape, with known pixels unchanged.
type Method interface {
	Name() string
	Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error)
}

// Model is a LaMa generator as a Method.
type Model struct {
	name string
	G    *lama.Generator
	// Prefill is the classical filler the generator expects in the holes
	// (aerofill's own models are trained on IDW-filled holes), or nil for
	// LaMa's zeroed holes.
	Prefill fill.Filler
}

// NewModel wraps a generator; name is what reports and logs call it.
// prefill is the weights' Prefill() ("" or a fill.ByName name).
func NewModel(name string, g *lama.Generator, prefill string) (*Model, error) {
	m := &Model{name: name, G: g}
	if prefill != "" {
		f, err := fill.ByName(prefill)
		if err != nil {
			return nil, fmt.Errorf("model %s: prefill: %w", name, err)
		}
		m.Prefill = f
	}
	return m, nil
}

func (m *Model) Name() string { return m.name }

func (m *Model) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if m.Prefill == nil {
		return m.G.Inpaint(img, mask)
	}
	filled, err := Filler{m.Prefill}.Restore(img, mask)
	if err != nil {
		return nil, err
	}
	return m.G.InpaintPrefilled(filled, mask)
}

// Filler is a classical filler as a Method. It fills on the 0–255 scale
// the fillers' reference tools work on.
type Filler struct{ F fill.Filler }

func (f Filler) Name() string { return f.F.Name() }

func (f Filler) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if img.C != 3 || mask.C != 1 || img.N != mask.N || img.H != mask.H || img.W != mask.W {
		return nil, fmt.Errorf("restore: image %v and mask %v do not match", img, mask)
	}
	out := img.Clone()
	hw := img.H * img.W
	holes := make([]uint8, hw)
	for n := 0; n < img.N; n++ {
		bands := make([][]float32, 3)
		for c := range bands {
			bands[c] = out.Plane(n, c)
			for i := range bands[c] {
				bands[c][i] *= 255
			}
		}
		for i, v := range mask.Plane(n, 0) {
			holes[i] = 0
			if v != 0 {
				holes[i] = 1
			}
		}
		if err := f.F.Fill(bands, img.W, img.H, holes); err != nil {
			return nil, err
		}
		for c, b := range bands {
			src := img.Plane(n, c)
			for i := range b {
				if holes[i] != 0 {
					b[i] /= 255
				} else {
					b[i] = src[i] // exactly as given: v·255/255 can differ in the last bit
				}
			}
		}
	}
	return out, nil
}

// DefaultName is the method used when none is named: the embedded
// default model (package models).
const DefaultName = models.DefaultName

// Open returns the method a user named: a classical filler ("telea",
// "ns", "idw", with options as fill.ByName takes them), "default" (or "":
// the embedded aerial model), or the path of a checkpoint file in any
// format lama.LoadWeights reads.
func Open(spec string) (Method, error) {
	if spec == "" || spec == DefaultName {
		w, err := models.Default()
		if err != nil {
			return nil, err
		}
		g, err := lama.New(w)
		if err != nil {
			return nil, fmt.Errorf("default model: %w", err)
		}
		return NewModel(DefaultName, g, w.Prefill())
	}
	if f, err := fill.ByName(spec); err == nil {
		return Filler{f}, nil
	}
	if _, err := os.Stat(spec); err != nil {
		if os.IsNotExist(err) && !strings.ContainsAny(spec, `/\.`) {
			return nil, fmt.Errorf("unknown model %q (not a file; built-in methods: %s)", spec, strings.Join(append(fill.Names(), "default"), ", "))
		}
		return nil, fmt.Errorf("model %s: %w", spec, err)
	}
	w, err := lama.LoadWeights(spec)
	if err != nil {
		return nil, err
	}
	g, err := lama.New(w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	return NewModel(spec, g, w.Prefill())
}
