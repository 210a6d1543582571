package nn

import "fmt"

// Backward passes of the activations and of the residual add. Each takes
// the activation's output y (what the forward pass stored), not its input.
//
// A residual add dst = a + b passes its gradient unchanged to both inputs:
// its backward pass is Add(da, ddst) and Add(db, ddst).

// ReLUBackward sets dx[i] = dy[i] where y[i] > 0 and 0 elsewhere, for
// y = max(x, 0). dx may be dy itself. It panics if the lengths differ.
func ReLUBackward(dx, y, dy []float32) {
	checkLens("ReLUBackward", len(dx), len(y), len(dy))
	for i, v := range y {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// SigmoidBackward sets dx[i] = dy[i]·y[i]·(1 − y[i]) for y = 1/(1+e^(−x)).
// dx may be dy itself. It panics if the lengths differ.
func SigmoidBackward(dx, y, dy []float32) {
	checkLens("SigmoidBackward", len(dx), len(y), len(dy))
	for i, v := range y {
		dx[i] = float32(float64(dy[i]) * float64(v) * (1 - float64(v)))
	}
}

func checkLens(fn string, n ...int) {
	for _, v := range n[1:] {
		if v != n[0] {
			panic(fmt.Sprintf("nn: %s: lengths %v differ", fn, n))
		}
	}
}
