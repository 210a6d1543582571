package nn

import (
	"fmt"

	"github.com/aerofill/aerofill/tensor"
)

// Conv2DRef is the plain reference for Conv2D.Forward with the zero
// Epilogue: the direct six-deep loop with float64 accumulation and padding
// by index arithmetic. src must have exactly c.InC channels. It is slow and
// obviously right; tests compare the fast path against it.
//
//	out[n, o, y, x] = bias[o] + Σ_{i, ky, kx} W[o, i, ky, kx] · src[n, i, y·s − p + ky·d, x·s − p + kx·d]
func Conv2DRef(c *Conv2D, src *tensor.Tensor) *tensor.Tensor {
	if src.C != c.InC {
		panic(fmt.Sprintf("nn: Conv2DRef: src has %d channels, conv takes %d", src.C, c.InC))
	}
	s, d := c.stride(), c.dilation()
	ho, wo := c.OutSize(src.H, src.W)
	out := tensor.New(src.N, c.OutC, ho, wo)
	for n := 0; n < src.N; n++ {
		for o := 0; o < c.OutC; o++ {
			for y := 0; y < ho; y++ {
				for x := 0; x < wo; x++ {
					var sum float64
					if c.Bias != nil {
						sum = float64(c.Bias[o])
					}
					for i := 0; i < c.InC; i++ {
						for ky := 0; ky < c.KH; ky++ {
							iy, okY := padIndex(y*s-c.Pad+ky*d, src.H, c.Padding)
							for kx := 0; kx < c.KW; kx++ {
								ix, okX := padIndex(x*s-c.Pad+kx*d, src.W, c.Padding)
								if !okY || !okX {
									continue // zero padding
								}
								w := c.Weight[((o*c.InC+i)*c.KH+ky)*c.KW+kx]
								sum += float64(w) * float64(src.At(n, i, iy, ix))
							}
						}
					}
					out.Set(n, o, y, x, float32(sum))
				}
			}
		}
	}
	return out
}

// ConvTranspose2DRef is the plain reference for ConvTranspose2D.Forward
// with the zero Epilogue: every input pixel scatters its kernel into the
// output, accumulated in float64. src must have exactly c.InC channels.
//
//	out[n, o, y·s − p + ky, x·s − p + kx] += src[n, i, y, x] · W[i, o, ky, kx]
func ConvTranspose2DRef(c *ConvTranspose2D, src *tensor.Tensor) *tensor.Tensor {
	if src.C != c.InC {
		panic(fmt.Sprintf("nn: ConvTranspose2DRef: src has %d channels, conv takes %d", src.C, c.InC))
	}
	s := c.stride()
	ho, wo := c.OutSize(src.H, src.W)
	out := tensor.New(src.N, c.OutC, ho, wo)
	acc := make([]float64, ho*wo)
	for n := 0; n < src.N; n++ {
		for o := 0; o < c.OutC; o++ {
			clear(acc)
			if c.Bias != nil {
				for i := range acc {
					acc[i] = float64(c.Bias[o])
				}
			}
			for i := 0; i < c.InC; i++ {
				for y := 0; y < src.H; y++ {
					for x := 0; x < src.W; x++ {
						v := float64(src.At(n, i, y, x))
						for ky := 0; ky < c.K; ky++ {
							oy := y*s - c.Pad + ky
							if oy < 0 || oy >= ho {
								continue
							}
							for kx := 0; kx < c.K; kx++ {
								ox := x*s - c.Pad + kx
								if ox < 0 || ox >= wo {
									continue
								}
								acc[oy*wo+ox] += v * float64(c.Weight[((i*c.OutC+o)*c.K+ky)*c.K+kx])
							}
						}
					}
				}
			}
			plane := out.Plane(n, o)
			for i, v := range acc {
				plane[i] = float32(v)
			}
		}
	}
	return out
}

// padIndex maps a possibly out-of-range index i of an axis of length n to
// the index it reads: itself when inside, its mirror image for PadReflect
// (−1 → 1, n → n−2: the edge is not repeated, as in PyTorch's "reflect"),
// and ok = false for PadZeros (the value is 0). PyTorch rejects reflect
// pads ≥ n; here the mirror is applied repeatedly, which agrees with it
// wherever PyTorch accepts the padding.
func padIndex(i, n int, mode Padding) (int, bool) {
	if i >= 0 && i < n {
		return i, true
	}
	if mode == PadZeros {
		return 0, false
	}
	if n == 1 {
		return 0, true
	}
	period := 2 * (n - 1)
	i %= period
	if i < 0 {
		i += period
	}
	if i >= n {
		i = period - i
	}
	return i, true
}
