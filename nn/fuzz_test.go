package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// FuzzConv2D compares Conv2D.Forward with Conv2DRef on shapes and
// epilogues drawn from the fuzzer's bytes: every combination of small
// sizes, kernels, strides, dilations, pads (including pads that exceed the
// input, mirrored repeatedly) and both padding modes.
func FuzzConv2D(f *testing.F) {
	f.Add([]byte{1, 3, 4, 9, 8, 3, 3, 1, 1, 1, 1, 0}, uint64(1))
	f.Add([]byte{2, 2, 3, 7, 1, 7, 1, 2, 3, 2, 0, 5}, uint64(2))
	f.Add([]byte{1, 9, 2, 12, 70, 7, 7, 1, 3, 1, 1, 3}, uint64(3))
	f.Fuzz(func(t *testing.T, p []byte, seed uint64) {
		if len(p) < 12 {
			return
		}
		s := convShape{
			n: 1 + int(p[0])%2, inC: 1 + int(p[1])%12, outC: 1 + int(p[2])%14,
			h: 1 + int(p[3])%20, w: 1 + int(p[4])%80, kh: 1 + int(p[5])%7, kw: 1 + int(p[6])%7,
			stride: 1 + int(p[7])%3, pad: int(p[8]) % 5, dil: 1 + int(p[9])%3,
			padding: Padding(p[10] % 2), bias: p[11]&1 != 0,
		}
		c := &Conv2D{InC: s.inC, OutC: s.outC, KH: s.kh, KW: s.kw, Stride: s.stride, Pad: s.pad, Dilation: s.dil, Padding: s.padding}
		if ho, wo := c.OutSize(s.h, s.w); ho == 0 || wo == 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 7))
		c = newConv(r, s)
		src := randTensor(r, s.n, s.inC, s.h, s.w)
		ref := Conv2DRef(c, src)
		absRef := Conv2DRef(absConv(c), absTensor(src))
		ec := epilogueCases[int(p[11]>>1)%len(epilogueCases)]
		got, want, scale := runCase(t, r, ec, src, ref, absRef, c.Forward)
		compareTensors(t, fmt.Sprintf("%v/%+v", s, ec), got, want, scale, s.inC*s.kh*s.kw)
	})
}

// FuzzConvTranspose2D compares ConvTranspose2D.Forward with
// ConvTranspose2DRef on shapes and epilogues drawn from the fuzzer's bytes.
func FuzzConvTranspose2D(f *testing.F) {
	f.Add([]byte{2, 4, 3, 5, 6, 3, 2, 1, 1, 1}, uint64(1))
	f.Add([]byte{1, 3, 2, 3, 4, 5, 3, 2, 2, 0}, uint64(2))
	f.Fuzz(func(t *testing.T, p []byte, seed uint64) {
		if len(p) < 10 {
			return
		}
		s := convTShape{
			n: 1 + int(p[0])%2, inC: 1 + int(p[1])%10, outC: 1 + int(p[2])%14,
			h: 1 + int(p[3])%12, w: 1 + int(p[4])%40, k: 1 + int(p[5])%6,
			stride: 1 + int(p[6])%4, pad: int(p[7]) % 4, bias: p[9]&1 != 0,
		}
		s.outPad = int(p[8]) % s.stride // PyTorch requires output_padding < stride
		c := &ConvTranspose2D{InC: s.inC, OutC: s.outC, K: s.k, Stride: s.stride, Pad: s.pad, OutputPadding: s.outPad}
		if ho, wo := c.OutSize(s.h, s.w); ho == 0 || wo == 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 9))
		c = newConvT(r, s)
		src := randTensor(r, s.n, s.inC, s.h, s.w)
		ref := ConvTranspose2DRef(c, src)
		abs := &ConvTranspose2D{InC: c.InC, OutC: c.OutC, K: c.K, Stride: c.Stride, Pad: c.Pad, OutputPadding: c.OutputPadding,
			Weight: absSlice(c.Weight), Bias: absSlice(c.Bias)}
		absRef := ConvTranspose2DRef(abs, absTensor(src))
		ec := epilogueCases[int(p[9]>>1)%len(epilogueCases)]
		got, want, scale := runCase(t, r, ec, src, ref, absRef, c.Forward)
		compareTensors(t, fmt.Sprintf("%v/%+v", s, ec), got, want, scale, s.inC*s.k*s.k)
	})
}
