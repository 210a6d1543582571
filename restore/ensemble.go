package restore

import (
	"errors"
	"fmt"

	"github.com/aerofill/aerofill/tensor"
)

// Ensemble is a Method that restores with each of its members and
// averages their results: in the holes, the mean of the members' pixels
// (summed in float64); outside them, the input unchanged. Averaging the
// models of a k-fold split is the ensemble the experiment command scores.
// The members run one after another, each with all the threads it uses
// on its own.
type Ensemble struct {
	Members []Method
}

// Name returns "ensemble(k)", k the number of members.
func (e Ensemble) Name() string { return fmt.Sprintf("ensemble(%d)", len(e.Members)) }

// Restore implements Method.
func (e Ensemble) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if len(e.Members) == 0 {
		return nil, errors.New("restore: ensemble has no members")
	}
	if img.C != 3 || mask.C != 1 || img.N != mask.N || img.H != mask.H || img.W != mask.W {
		return nil, fmt.Errorf("restore: image %v and mask %v do not match", img, mask)
	}
	sum := make([]float64, len(img.Data))
	for _, m := range e.Members {
		out, err := m.Restore(img, mask)
		if err != nil {
			return nil, fmt.Errorf("restore: %s: member %s: %w", e.Name(), m.Name(), err)
		}
		if !out.SameShape(img) {
			return nil, fmt.Errorf("restore: %s: member %s returned %v for an image %v", e.Name(), m.Name(), out, img)
		}
		for i, v := range out.Data {
			sum[i] += float64(v)
		}
	}
	res := img.Clone()
	k := float64(len(e.Members))
	hw := img.H * img.W
	for n := 0; n < img.N; n++ {
		holes := mask.Plane(n, 0)
		for c := 0; c < img.C; c++ {
			dst := res.Plane(n, c)
			off := (n*img.C + c) * hw
			for i, h := range holes {
				if h != 0 {
					dst[i] = float32(sum[off+i] / k)
				}
			}
		}
	}
	return res, nil
}
