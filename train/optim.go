package train

import (
	"fmt"
	"math"

	"github.com/aerofill/aerofill/tensor"
)

// MaskedMSE returns LaMa's masked reconstruction loss
//
//	loss = Σ mask·(out − truth)² / (C · Σ mask)
//
// for out and truth (N, C, H, W) and mask (N, 1, H, W) (1 = damaged, the
// pixels the loss looks at; C is 3 for RGB), and, when grad is not nil,
// sets grad (out's shape) to ∂loss/∂out. An all-zero mask gives a loss and
// gradient of 0 (PyTorch would give NaN). Sums are taken in float64.
func MaskedMSE(grad, out, truth, mask *tensor.Tensor) (float64, error) {
	if !out.SameShape(truth) || mask.N != out.N || mask.C != 1 || mask.H != out.H || mask.W != out.W ||
		(grad != nil && !grad.SameShape(out)) {
		return 0, fmt.Errorf("train: loss: output %v, truth %v and mask %v do not fit", out, truth, mask)
	}
	var msum float64
	for _, v := range mask.Data {
		msum += float64(v)
	}
	if msum == 0 {
		if grad != nil {
			clear(grad.Data)
		}
		return 0, nil
	}
	denom := float64(out.C) * msum
	var sum float64
	for n := 0; n < out.N; n++ {
		m := mask.Plane(n, 0)
		for c := 0; c < out.C; c++ {
			o, t := out.Plane(n, c), truth.Plane(n, c)
			var g []float32
			if grad != nil {
				g = grad.Plane(n, c)
			}
			for i, mv := range m {
				d := float64(o[i]) - float64(t[i])
				sum += float64(mv) * d * d
				if g != nil {
					g[i] = float32(2 * float64(mv) * d / denom)
				}
			}
		}
	}
	return sum / denom, nil
}

// Adam is PyTorch's Adam optimiser (torch.optim.Adam without weight decay,
// AMSGrad or maximize): for every parameter p with gradient g, at step t,
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	p = p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + ε)
//
// The moments are kept in float32, as PyTorch keeps them for float32
// parameters; each update is computed in float64 and rounded once.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	// Step counts the updates made so far (PyTorch's state "step").
	Step int64
	// M and V are the first and second moments, by parameter name.
	M, V map[string][]float32
}

// NewAdam returns an Adam optimiser with PyTorch's defaults: betas
// (0.9, 0.999), eps 1e-8, and the given learning rate.
func NewAdam(lr float64) *Adam {
	return &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, M: map[string][]float32{}, V: map[string][]float32{}}
}

// Update applies one step to the parameters, using their Grad.
func (a *Adam) Update(params []*Param) error {
	for _, p := range params {
		if len(p.Grad) != len(p.Data) {
			return fmt.Errorf("train: adam: parameter %s has %d values and %d gradients", p.Name, len(p.Data), len(p.Grad))
		}
		if m, ok := a.M[p.Name]; ok && (len(m) != len(p.Data) || len(a.V[p.Name]) != len(p.Data)) {
			return fmt.Errorf("train: adam: state for %s has %d values, the parameter %d", p.Name, len(m), len(p.Data))
		}
	}
	a.Step++
	t := float64(a.Step)
	bc1 := 1 - math.Pow(a.Beta1, t)
	bc2 := math.Sqrt(1 - math.Pow(a.Beta2, t))
	stepSize := a.LR / bc1
	for _, p := range params {
		m, v := a.M[p.Name], a.V[p.Name]
		if m == nil {
			m, v = make([]float32, len(p.Data)), make([]float32, len(p.Data))
			a.M[p.Name], a.V[p.Name] = m, v
		}
		b1, b2 := a.Beta1, a.Beta2
		parallelRange(len(p.Data), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				g := float64(p.Grad[i])
				mi := b1*float64(m[i]) + (1-b1)*g
				vi := b2*float64(v[i]) + (1-b2)*g*g
				m[i], v[i] = float32(mi), float32(vi)
				// PyTorch divides by the rounded moments.
				denom := math.Sqrt(float64(v[i]))/bc2 + a.Eps
				p.Data[i] = float32(float64(p.Data[i]) - stepSize*float64(m[i])/denom)
			}
		})
	}
	return nil
}
