package train

import (
	"math"
	"math/rand/v2"

	"github.com/aerofill/aerofill/tensor"
)

// Step is one training step: forward, masked MSE against truth on the
// holes of mask, backward and one Adam update of m's parameters. grad is
// scratch of the output's shape (N, 3, H, W). It returns the loss; a loss
// that is NaN or infinite is returned before the update, which is skipped.
func Step(m *Model, opt *Adam, grad, x, truth, mask *tensor.Tensor) (float64, error) {
	m.ZeroGrad()
	out, err := m.Forward(x)
	if err != nil {
		return 0, err
	}
	loss, err := MaskedMSE(grad, out, truth, mask)
	if err != nil || math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, err
	}
	if err := m.Backward(grad); err != nil {
		return 0, err
	}
	return loss, opt.Update(m.Params())
}

// RandomBatch returns a batch for timing steps, deterministic from seed:
// n inputs of 4 channels and size² pixels with values in [0, 1), truths
// likewise, and masks with about a fifth of the pixels in holes (the
// shape of torch_train_bench.py's batch).
func RandomBatch(n, size int, seed uint64) (x, truth, mask *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x, truth, mask = tensor.New(n, 4, size, size), tensor.New(n, 3, size, size), tensor.New(n, 1, size, size)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for i := range truth.Data {
		truth.Data[i] = rng.Float32()
	}
	for i := range mask.Data {
		if rng.Float32() > 0.8 {
			mask.Data[i] = 1
		}
	}
	return x, truth, mask
}
