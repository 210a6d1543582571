package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

// rfft2Ref64 is the direct float64 rfft2 (norm "ortho") of every plane of
// x (planes of h×w), interleaved: re of plane p in plane 2p, im in 2p+1.
func rfft2Ref64(x []float64, planes, h, w int) []float64 {
	b := w/2 + 1
	s := 1 / math.Sqrt(float64(h*w))
	out := make([]float64, 2*planes*h*b)
	for p := 0; p < planes; p++ {
		re, im := out[2*p*h*b:(2*p+1)*h*b], out[(2*p+1)*h*b:(2*p+2)*h*b]
		for u := 0; u < h; u++ {
			for v := 0; v < b; v++ {
				for y := 0; y < h; y++ {
					for xx := 0; xx < w; xx++ {
						th := 2 * math.Pi * (float64(u*y)/float64(h) + float64(v*xx)/float64(w))
						val := x[(p*h+y)*w+xx]
						re[u*b+v] += s * val * math.Cos(th)
						im[u*b+v] -= s * val * math.Sin(th)
					}
				}
			}
		}
	}
	return out
}

// irfft2Ref64 is the direct float64 irfft2 (norm "ortho", size h×w) of
// interleaved spectra: the Hermitian sum, which counts bins 0 and W/2 once
// and reads only the real part of each term, so the imaginary parts that
// irfft2 ignores drop out.
func irfft2Ref64(spec []float64, planes, h, w int) []float64 {
	b := w/2 + 1
	s := 1 / math.Sqrt(float64(h*w))
	out := make([]float64, planes*h*w)
	for p := 0; p < planes; p++ {
		re, im := spec[2*p*h*b:(2*p+1)*h*b], spec[(2*p+1)*h*b:(2*p+2)*h*b]
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				var sum float64
				for u := 0; u < h; u++ {
					for v := 0; v < b; v++ {
						c := 2.0
						if v == 0 || 2*v == w {
							c = 1
						}
						th := 2 * math.Pi * (float64(u*y)/float64(h) + float64(v*xx)/float64(w))
						sum += c * (re[u*b+v]*math.Cos(th) - im[u*b+v]*math.Sin(th))
					}
				}
				out[(p*h+y)*w+xx] = s * sum
			}
		}
	}
	return out
}

// adjointErr returns |⟨g, F(x)⟩ − ⟨Fᵀ(g), x⟩| relative to the terms' size,
// for float32 results computed by a linear map and its backward pass.
func adjointErr(g, fx, gt, x []float32) float64 {
	var a, b, sa, sb float64
	for i := range g {
		a += float64(g[i]) * float64(fx[i])
		sa += math.Abs(float64(g[i]) * float64(fx[i]))
	}
	for i := range x {
		b += float64(gt[i]) * float64(x[i])
		sb += math.Abs(float64(gt[i]) * float64(x[i]))
	}
	return math.Abs(a-b) / math.Max(math.Max(sa, sb), 1e-300)
}

var spectrumSizes = [][2]int{{1, 1}, {1, 7}, {7, 1}, {4, 6}, {5, 5}, {8, 9}, {6, 4}, {33, 25}, {2, 2}}

func TestRFFT2(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, sz := range spectrumSizes {
		h, w := sz[0], sz[1]
		t.Run(fmt.Sprintf("%dx%d", h, w), func(t *testing.T) {
			b := w/2 + 1
			x := noiseTensor(rng, 2, 3, h, w)
			spec := tensor.New(2, 6, h, b)
			RFFT2(spec, x)
			if e := relErr(spec.Data, rfft2Ref64(f64(x.Data), 6, h, w)); e > 1e-6 {
				t.Errorf("RFFT2: relative error %.3g", e)
			}
			// The backward pass is the adjoint: ⟨g, RFFT2(x)⟩ = ⟨RFFT2ᵀ(g), x⟩.
			g := noiseTensor(rng, 2, 6, h, b)
			dx := noiseTensor(rng, 2, 3, h, w)
			dx0 := dx.Clone()
			RFFT2Backward(dx, g)
			for i := range dx.Data {
				dx.Data[i] -= dx0.Data[i]
			}
			if e := adjointErr(g.Data, spec.Data, dx.Data, x.Data); e > 1e-6 {
				t.Errorf("RFFT2Backward is not the adjoint: %.3g", e)
			}

			// IRFFT2 and its adjoint.
			y := tensor.New(2, 3, h, w)
			IRFFT2(y, g, false)
			if e := relErr(y.Data, irfft2Ref64(f64(g.Data), 6, h, w)); e > 1e-6 {
				t.Errorf("IRFFT2: relative error %.3g", e)
			}
			y2 := dx0.Clone()
			IRFFT2(y2, g, true)
			for i := range y2.Data {
				if d := y2.Data[i] - dx0.Data[i] - y.Data[i]; math.Abs(float64(d)) > 1e-5 {
					t.Fatalf("IRFFT2 accumulate: off by %v at %d", d, i)
				}
			}
			gy := noiseTensor(rng, 2, 3, h, w)
			ds := noiseTensor(rng, 2, 6, h, b)
			IRFFT2Backward(ds, gy)
			if e := adjointErr(gy.Data, y.Data, ds.Data, g.Data); e > 1e-6 {
				t.Errorf("IRFFT2Backward is not the adjoint: %.3g", e)
			}
		})
	}
}

// fourierUnitRef64 is the float64 reference FourierUnit: x (n, c, h, w),
// conv (2c, 2c), BatchNorm γ, β (2c) in training mode, ReLU.
func fourierUnitRef64(x []float64, n, c, h, w int, conv, gamma, beta []float64) []float64 {
	b := w/2 + 1
	spec := rfft2Ref64(x, n*c, h, w)
	pre := make([]float64, len(spec))
	hb := h * b
	for i := 0; i < n; i++ {
		for o := 0; o < 2*c; o++ {
			for k := 0; k < 2*c; k++ {
				wt := conv[o*2*c+k]
				src, dst := spec[(i*2*c+k)*hb:(i*2*c+k+1)*hb], pre[(i*2*c+o)*hb:(i*2*c+o+1)*hb]
				for j, v := range src {
					dst[j] += wt * v
				}
			}
		}
	}
	r, _, _ := bnRef64(pre, n, 2*c, hb, gamma, beta, true)
	return irfft2Ref64(r, n*c, h, w)
}

func TestFourierUnit(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, tc := range []struct{ n, c, h, w int }{{2, 2, 4, 6}, {2, 1, 3, 5}, {1, 3, 5, 4}, {3, 2, 2, 2}} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			c2 := 2 * tc.c
			fu := &FourierUnit{
				Conv: &Conv2D{InC: c2, OutC: c2, KH: 1, KW: 1, Weight: noiseSlice(rng, c2*c2, 0.7)},
				BN: &BatchNorm{Weight: noiseSlice(rng, c2, 1), Bias: noiseSlice(rng, c2, 0.5),
					RunningMean: make([]float32, c2), RunningVar: make([]float32, c2), Act: ActReLU},
			}
			x := noiseTensor(rng, tc.n, tc.c, tc.h, tc.w)
			base := noiseTensor(rng, tc.n, tc.c, tc.h, tc.w)
			out := base.Clone()
			var st FourierState
			fu.ForwardTrain(out, x, &st)
			xs, conv, gamma, beta := f64(x.Data), f64(fu.Conv.Weight), f64(fu.BN.Weight), f64(fu.BN.Bias)
			want := fourierUnitRef64(xs, tc.n, tc.c, tc.h, tc.w, conv, gamma, beta)
			for i := range want {
				want[i] += float64(base.Data[i])
			}
			if e := relErr(out.Data, want); e > 1e-5 {
				t.Errorf("forward: relative error %.3g", e)
			}
			g := noiseTensor(rng, tc.n, tc.c, tc.h, tc.w)
			gs := f64(g.Data)
			loss := func() float64 { return dot(fourierUnitRef64(xs, tc.n, tc.c, tc.h, tc.w, conv, gamma, beta), gs) }
			dx := tensor.New(tc.n, tc.c, tc.h, tc.w)
			dConv, dGamma, dBeta := make([]float32, c2*c2), make([]float32, c2), make([]float32, c2)
			fu.Backward(dx, dConv, dGamma, dBeta, g, &st)
			for _, p := range []struct {
				name string
				got  []float32
				x    []float64
			}{{"dx", dx.Data, xs}, {"dConv", dConv, conv}, {"dGamma", dGamma, gamma}, {"dBeta", dBeta, beta}} {
				if e := relErr(p.got, numGrad(p.x, nil, loss)); e > gradTol {
					t.Errorf("%s: relative error %.3g against finite differences", p.name, e)
				}
			}
		})
	}
}
