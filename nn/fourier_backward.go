package nn

import (
	"fmt"
	"runtime"

	"github.com/aerofill/aerofill/fft"
	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// LaMa's FourierUnit for training, and its pieces:
//
//	x    (N, C, H, W)
//	spec (N, 2C, H, B) = RFFT2(x)            B = W/2+1, re/im interleaved
//	pre  (N, 2C, H, B) = Conv(spec)          1×1, 2C → 2C, no bias
//	r    (N, 2C, H, B) = ReLU(BN(pre))       batch statistics
//	out  (N, C, H, W)  = IRFFT2(r)
//
// and backward: dr = IRFFT2Backward(dout), dpre = BN.Backward(dr),
// dspec = Conv.Backward(dpre), dx += RFFT2Backward(dspec).

// RFFT2 writes the rfft2 (norm "ortho") of every channel of src
// (N, C, H, W) into dst (N, 2C, H, W/2+1), the real and imaginary parts
// of channel c interleaved as channels 2c and 2c+1, as LaMa lays them out.
func RFFT2(dst, src *tensor.Tensor) {
	plan := spectrumPlan("RFFT2", src, dst)
	parallelChannels(src.N*src.C, func(i int) {
		n, c := i/src.C, i%src.C
		plan.Forward(dst.Plane(n, 2*c), dst.Plane(n, 2*c+1), src.Plane(n, c))
	})
}

// RFFT2Backward adds the gradient through RFFT2 to dSrc (N, C, H, W),
// given ddst (N, 2C, H, W/2+1) = ∂L/∂dst: the adjoint of the transform.
func RFFT2Backward(dSrc, ddst *tensor.Tensor) {
	plan := spectrumPlan("RFFT2Backward", dSrc, ddst)
	parallelPlanes(dSrc.N*dSrc.C, dSrc.H*dSrc.W, func(i int, tmp []float32) {
		n, c := i/dSrc.C, i%dSrc.C
		plan.ForwardAdjoint(tmp, ddst.Plane(n, 2*c), ddst.Plane(n, 2*c+1))
		Add(dSrc.Plane(n, c), tmp)
	})
}

// IRFFT2 writes (or, with accumulate, adds) the irfft2 (norm "ortho",
// output size H×W) of the interleaved spectra src (N, 2C, H, W/2+1) into
// dst (N, C, H, W). The imaginary parts of bin 0 and, for even W, bin W/2
// of each row are ignored, as numpy and PyTorch ignore them.
func IRFFT2(dst, src *tensor.Tensor, accumulate bool) {
	plan := spectrumPlan("IRFFT2", dst, src)
	parallelPlanes(dst.N*dst.C, dst.H*dst.W, func(i int, tmp []float32) {
		n, c := i/dst.C, i%dst.C
		if !accumulate {
			plan.Inverse(dst.Plane(n, c), src.Plane(n, 2*c), src.Plane(n, 2*c+1))
			return
		}
		plan.Inverse(tmp, src.Plane(n, 2*c), src.Plane(n, 2*c+1))
		Add(dst.Plane(n, c), tmp)
	})
}

// IRFFT2Backward sets dSrc (N, 2C, H, W/2+1) to the gradient through
// IRFFT2, given ddst (N, C, H, W) = ∂L/∂dst: the adjoint of the inverse
// transform. Ignored imaginary parts get a zero gradient.
func IRFFT2Backward(dSrc, ddst *tensor.Tensor) {
	plan := spectrumPlan("IRFFT2Backward", ddst, dSrc)
	parallelChannels(ddst.N*ddst.C, func(i int) {
		n, c := i/ddst.C, i%ddst.C
		plan.InverseAdjoint(dSrc.Plane(n, 2*c), dSrc.Plane(n, 2*c+1), ddst.Plane(n, c))
	})
}

// spectrumPlan checks that spec is the interleaved spectrum shape of
// planes and returns the FFT plan.
func spectrumPlan(fn string, planes, spec *tensor.Tensor) *fft.Plan2D {
	if spec.N != planes.N || spec.C != 2*planes.C || spec.H != planes.H || spec.W != planes.W/2+1 {
		panic(fmt.Sprintf("nn: %s: spectra %v do not fit planes %v (want (%d,%d,%d,%d))",
			fn, spec, planes, planes.N, 2*planes.C, planes.H, planes.W/2+1))
	}
	return fft.Plan(planes.H, planes.W)
}

// parallelPlanes is parallelChannels with a scratch plane of size values
// per goroutine.
func parallelPlanes(n, size int, fn func(i int, tmp []float32)) {
	parts := max(1, min(runtime.GOMAXPROCS(0), n))
	bufs := make([][]float32, parts)
	gemm.Parallel(parts, func(part int) {
		bufs[part] = make([]float32, size)
		for i := part * n / parts; i < (part+1)*n/parts; i++ {
			fn(i, bufs[part])
		}
	})
}

// FourierUnit is LaMa's FourierUnit(C → C) with BatchNorm in training
// mode (see RFFT2 above for the steps). The caller owns the parameters:
// Conv is the 1×1 convolution (2C → 2C, no bias, stride 1, no padding)
// and BN its BatchNorm with Act = ActReLU. Call Conv.Prepare after every
// change of its weights.
type FourierUnit struct {
	Conv *Conv2D
	BN   *BatchNorm
}

// FourierState is what ForwardTrain keeps for Backward. Its buffers are
// reused from one step to the next.
type FourierState struct {
	spec, pre, r *tensor.Tensor
	// Stats are the BatchNorm's statistics of the last ForwardTrain.
	Stats BatchStats
}

// ForwardTrain adds FourierUnit(x) to dst; x and dst are (N, C, H, W).
func (f *FourierUnit) ForwardTrain(dst, x *tensor.Tensor, s *FourierState) {
	if !dst.SameShape(x) || f.Conv.InC != 2*x.C || f.Conv.OutC != 2*x.C {
		panic(fmt.Sprintf("nn: FourierUnit.ForwardTrain: x %v, dst %v, conv %d→%d", x, dst, f.Conv.InC, f.Conv.OutC))
	}
	b := x.W/2 + 1
	s.spec = ensureShape(s.spec, x.N, 2*x.C, x.H, b)
	s.pre = ensureShape(s.pre, x.N, 2*x.C, x.H, b)
	s.r = ensureShape(s.r, x.N, 2*x.C, x.H, b)
	RFFT2(s.spec, x)
	f.Conv.Forward(s.pre, 0, s.spec, 0, Epilogue{})
	f.BN.ForwardTrain(s.r, s.pre, &s.Stats)
	IRFFT2(dst, s.r, true)
}

// Backward adds the gradients of ForwardTrain, given ddst = ∂L/∂FU(x)
// (N, C, H, W): dx += ∂L/∂x, dConv += ∂L/∂Conv.Weight, dGamma and dBeta
// += the BatchNorm's (each nil to skip). It uses up the state: a second
// Backward needs a new ForwardTrain.
func (f *FourierUnit) Backward(dx *tensor.Tensor, dConv, dGamma, dBeta []float32, ddst *tensor.Tensor, s *FourierState) {
	if s.spec == nil {
		panic("nn: FourierUnit.Backward before ForwardTrain")
	}
	d := s.r // r is not needed any more: its buffer takes the gradients
	IRFFT2Backward(d, ddst)
	f.BN.Backward(d, dGamma, dBeta, s.pre, d, &s.Stats)
	dspec := s.pre // nor is pre, once BN's backward is done
	clear(dspec.Data)
	f.Conv.Backward(dspec, dConv, nil, s.spec, d)
	if dx != nil {
		RFFT2Backward(dx, dspec)
	}
}

// ensureShape returns t if it has shape (n, c, h, w), else a tensor of that
// shape on t's storage when it is large enough, else a new zeroed tensor.
// The contents of a reused tensor are left as they were.
func ensureShape(t *tensor.Tensor, n, c, h, w int) *tensor.Tensor {
	size := n * c * h * w
	if t != nil && t.N == n && t.C == c && t.H == h && t.W == w {
		return t
	}
	if t != nil && cap(t.Data) >= size {
		return tensor.FromData(n, c, h, w, t.Data[:size])
	}
	return tensor.New(n, c, h, w)
}
