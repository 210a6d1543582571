package nn

import (
	"fmt"

	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// Act is an activation applied by an Epilogue.
type Act int

const (
	ActNone    Act = iota // identity
	ActReLU               // max(v, 0)
	ActSigmoid            // 1 / (1 + exp(-v))
)

// String returns the activation's name, for errors and logs.
func (a Act) String() string {
	switch a {
	case ActNone:
		return "none"
	case ActReLU:
		return "relu"
	case ActSigmoid:
		return "sigmoid"
	}
	return fmt.Sprintf("Act(%d)", int(a))
}

// gemmAct maps an Act onto gemm's identical enumeration.
func (a Act) gemmAct() gemm.Act {
	switch a {
	case ActNone:
		return gemm.ActNone
	case ActReLU:
		return gemm.ActReLU
	case ActSigmoid:
		return gemm.ActSigmoid
	}
	panic(fmt.Sprintf("nn: unknown activation %d", int(a)))
}

// apply returns act(v) for one value.
func (a Act) apply(v float32) float32 {
	switch a {
	case ActReLU:
		if !(v > 0) { // NaN → 0, as the assembly's max(v, 0) does
			return 0
		}
	case ActSigmoid:
		return gemm.Sigmoid(v)
	}
	return v
}

// Epilogue says what a layer's Forward does with each output value
// v = conv(src)[n, c, y, x] + bias[c] before storing it into
// dst[n, dstC0+c, y, x], in this order:
//
//	if Accumulate { v += dst[n, dstC0+c, y, x] }   // the old value
//	v = act(v)
//	if Residual != nil { v += Residual[n, ResidualC0+c, y, x] }
//
// Residual has dst's N, H and W and must not overlap the channels being
// written. The zero Epilogue stores conv(src) + bias.
type Epilogue struct {
	Accumulate bool
	Act        Act
	Residual   *tensor.Tensor
	ResidualC0 int
}

// ReLU sets x[i] = max(x[i], 0).
func ReLU(x []float32) {
	for i, v := range x {
		if !(v > 0) {
			x[i] = 0
		}
	}
}

// Sigmoid sets x[i] = 1/(1+exp(-x[i])), computed in float64 and rounded
// once.
func Sigmoid(x []float32) {
	for i, v := range x {
		x[i] = gemm.Sigmoid(v)
	}
}

// Add sets dst[i] += a[i]. It panics if the lengths differ.
func Add(dst, a []float32) {
	if len(dst) != len(a) {
		panic(fmt.Sprintf("nn: Add: lengths %d and %d differ", len(dst), len(a)))
	}
	for i, v := range a {
		dst[i] += v
	}
}
