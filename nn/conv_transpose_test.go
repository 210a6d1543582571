package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

type convTShape struct {
	n, inC, outC, h, w, k, stride, pad, outPad int
	bias                                       bool
}

var convTShapes = []convTShape{
	{1, 1, 1, 1, 1, 1, 1, 0, 0, false},
	{2, 8, 4, 9, 7, 3, 2, 1, 1, true}, // LaMa's upsampling layer
	{1, 5, 7, 33, 25, 3, 2, 1, 1, true},
	{1, 3, 6, 7, 1, 3, 2, 1, 0, true},
	{1, 4, 5, 6, 5, 3, 1, 1, 0, false},
	{1, 3, 4, 5, 4, 4, 2, 1, 0, true},
	{1, 2, 3, 4, 6, 5, 3, 2, 2, true},
	{2, 6, 33, 5, 5, 2, 2, 0, 0, true},
	{1, 4, 3, 3, 4, 1, 3, 0, 2, true}, // phases without taps: bias only
	{1, 257, 9, 3, 2, 3, 2, 1, 1, true},
	{1, 3, 2, 6, 7, 7, 2, 3, 1, false},
}

func (s convTShape) String() string {
	return fmt.Sprintf("n%d-%dto%d-%dx%d-k%d-s%d-p%d-op%d-bias%v", s.n, s.inC, s.outC, s.h, s.w, s.k, s.stride, s.pad, s.outPad, s.bias)
}

func newConvT(r *rand.Rand, s convTShape) *ConvTranspose2D {
	c := &ConvTranspose2D{InC: s.inC, OutC: s.outC, K: s.k, Stride: s.stride, Pad: s.pad, OutputPadding: s.outPad}
	c.Weight = randSlice(r, s.inC*s.outC*s.k*s.k, 1/math.Sqrt(float64(s.inC)))
	if s.bias {
		c.Bias = randSlice(r, s.outC, 1)
	}
	return c
}

func TestConvTranspose2DForward(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range convTShapes {
		c := newConvT(r, s)
		src := randTensor(r, s.n, s.inC, s.h, s.w)
		ref := ConvTranspose2DRef(c, src)
		abs := &ConvTranspose2D{InC: c.InC, OutC: c.OutC, K: c.K, Stride: c.Stride, Pad: c.Pad, OutputPadding: c.OutputPadding,
			Weight: absSlice(c.Weight), Bias: absSlice(c.Bias)}
		absRef := ConvTranspose2DRef(abs, absTensor(src))
		for _, ec := range epilogueCases {
			name := fmt.Sprintf("%v/%+v", s, ec)
			got, want, scale := runCase(t, r, ec, src, ref, absRef, c.Forward)
			compareTensors(t, name, got, want, scale, s.inC*s.k*s.k)
		}
	}
}
