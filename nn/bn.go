package nn

import (
	"fmt"
	"math"

	"github.com/aerofill/aerofill/tensor"
)

// BatchNorm is PyTorch's BatchNorm2d in training mode, optionally followed
// by a ReLU. (At inference BatchNorm is an affine map that package lama
// folds into the convolutions; it never runs this layer.)
//
// ForwardTrain normalises each channel with the statistics of the batch:
// the mean and the biased variance over N·H·W values,
//
//	dst = act(γ·(src − μ)/√(σ² + ε) + β)
//
// and updates the running statistics as PyTorch does: with momentum m,
// running_mean = (1−m)·running_mean + m·μ and running_var = (1−m)·running_var
// + m·σ²·M/(M−1) (the unbiased variance), and NumBatchesTracked += 1.
// Statistics are summed in float64; the normalisation is a float32 affine
// map per channel.
type BatchNorm struct {
	Weight, Bias            []float32 // γ and β, one per channel
	RunningMean, RunningVar []float32 // updated by ForwardTrain
	NumBatchesTracked       int64
	Momentum                float64 // 0 means PyTorch's 0.1
	Eps                     float64 // 0 means PyTorch's 1e-5
	Act                     Act     // ActNone or ActReLU
}

// BatchStats is what ForwardTrain keeps for Backward: per channel, the
// batch mean and 1/√(σ²+ε). Backward sets GradSum.
type BatchStats struct {
	Mean, InvStd []float64
	// GradSum[c] is Σ_{n,y,x} dSrc[n, c, y, x] of the last Backward, summed
	// in float64 before dSrc is rounded to float32. It is the gradient of a
	// per-channel bias added just before the normalisation: mathematically
	// zero, since the normalisation removes any such bias, and computed
	// this way it stays at rounding level of float64 (about 1e-19 for
	// LaMa's layers) instead of float32 noise, which Adam would otherwise
	// turn into steps of the learning rate's size.
	GradSum []float64
}

func (b *BatchNorm) channels() int { return len(b.Weight) }

func (b *BatchNorm) momentum() float64 {
	if b.Momentum == 0 {
		return 0.1
	}
	return b.Momentum
}

func (b *BatchNorm) eps() float64 {
	if b.Eps == 0 {
		return 1e-5
	}
	return b.Eps
}

// check panics unless the tensors and parameters fit the layer.
func (b *BatchNorm) check(fn string, ts ...*tensor.Tensor) {
	c := b.channels()
	if len(b.Bias) != c || len(b.RunningMean) != c || len(b.RunningVar) != c {
		panic(fmt.Sprintf("nn: BatchNorm.%s: %d weights, %d biases, %d running means, %d running variances",
			fn, c, len(b.Bias), len(b.RunningMean), len(b.RunningVar)))
	}
	if b.Act != ActNone && b.Act != ActReLU {
		panic(fmt.Sprintf("nn: BatchNorm.%s: activation %v (want none or relu)", fn, b.Act))
	}
	for _, t := range ts {
		if t.C != c || !t.SameShape(ts[0]) {
			panic(fmt.Sprintf("nn: BatchNorm.%s: tensor %v for %d channels (others %v)", fn, t, c, ts[0]))
		}
	}
}

// ForwardTrain normalises src (N, C, H, W) into dst (same shape, another
// tensor: Backward needs src) with the batch statistics, records them in
// st for Backward and updates the running statistics. It panics if a
// channel has fewer than two values (N·H·W < 2), as PyTorch refuses to
// train then too.
func (b *BatchNorm) ForwardTrain(dst, src *tensor.Tensor, st *BatchStats) {
	b.check("ForwardTrain", src, dst)
	c := b.channels()
	m := src.N * src.H * src.W
	if m < 2 {
		panic(fmt.Sprintf("nn: BatchNorm.ForwardTrain: %v has %d value per channel; training needs at least 2", src, m))
	}
	st.Mean = resize(st.Mean, c)
	st.InvStd = resize(st.InvStd, c)
	mom, eps := b.momentum(), b.eps()
	relu := b.Act == ActReLU
	parallelChannels(c, func(ch int) {
		// One pass, shifted by the channel's first value.
		shiftBy := float64(src.Plane(0, ch)[0])
		var s, ss float64
		for n := 0; n < src.N; n++ {
			a, b := shiftedSums(src.Plane(n, ch), shiftBy)
			s, ss = s+a, ss+b
		}
		mean := shiftBy + s/float64(m)
		ss = max(0, ss-s*s/float64(m)) // Σ (x − μ)²
		variance := ss / float64(m)
		inv := 1 / math.Sqrt(variance+eps)
		st.Mean[ch], st.InvStd[ch] = mean, inv
		scale, shift := b.affine(ch, mean, inv)
		for n := 0; n < src.N; n++ {
			normalize(dst.Plane(n, ch), src.Plane(n, ch), scale, shift, relu)
		}
		b.RunningMean[ch] = float32((1-mom)*float64(b.RunningMean[ch]) + mom*mean)
		b.RunningVar[ch] = float32((1-mom)*float64(b.RunningVar[ch]) + mom*ss/float64(m-1))
	})
	b.NumBatchesTracked++
}

// affine returns channel ch's normalisation as the float32 map
// dst = src·scale + shift, scale = γ/√(σ²+ε), shift = β − μ·scale.
// Backward recomputes it to know where the ReLU was active, so both use
// this one function.
func (b *BatchNorm) affine(ch int, mean, inv float64) (scale, shift float32) {
	sc := float64(b.Weight[ch]) * inv
	return float32(sc), float32(float64(b.Bias[ch]) - mean*sc)
}

// positive returns all ones if y > 0 and 0 otherwise (for ±0, negative
// numbers and NaN): y > 0 exactly when its bits x satisfy
// 1 ≤ x ≤ 0x7F800000 (+Inf), i.e. when x−1, wrapped to 32 bits, is below
// 0x7F800000, which the sign of a 64-bit difference tells.
func positive(y float32) uint32 {
	d := int64(math.Float32bits(y) - 1)
	return uint32((d - 0x7F800000) >> 63)
}

// Backward computes the gradients of ForwardTrain given ddst = ∂L/∂dst:
//
//	src     (N, C, H, W)    the forward input
//	ddst    (N, C, H, W)    the output's gradient
//	dSrc    (N, C, H, W)  = ∂L/∂src (overwritten; may be ddst itself)
//	dWeight (C)          += ∂L/∂γ   (nil to skip)
//	dBias   (C)          += ∂L/∂β   (nil to skip)
//
// st must be the statistics ForwardTrain recorded for this src and these
// parameters. With ĝ the gradient after the ReLU's mask, x̂ the normalised
// input and M = N·H·W:
//
//	dβ = Σ ĝ,  dγ = Σ ĝ·x̂,  dSrc = γ/√(σ²+ε) · (ĝ − dβ/M − x̂·dγ/M)
//
// The sums are taken in float64; dSrc is then the float32 map
// k·ĝ + a·(src − μ) + b per channel.
func (b *BatchNorm) Backward(dSrc *tensor.Tensor, dWeight, dBias []float32, src, ddst *tensor.Tensor, st *BatchStats) {
	b.check("Backward", src, ddst, dSrc)
	c := b.channels()
	if len(st.Mean) != c || len(st.InvStd) != c {
		panic(fmt.Sprintf("nn: BatchNorm.Backward: statistics for %d channels, layer has %d", len(st.Mean), c))
	}
	st.GradSum = resize(st.GradSum, c)
	m := float64(src.N * src.H * src.W)
	relu := b.Act == ActReLU
	parallelChannels(c, func(ch int) {
		mean, inv := st.Mean[ch], st.InvStd[ch]
		scale, shift := b.affine(ch, mean, inv)
		// Σĝ, Σĝ·(x − μ) and Σ(x − μ), so that Σĝ·x̂ = inv·Σĝ·(x − μ).
		var sg, sgx, sx float64
		for n := 0; n < src.N; n++ {
			a, b, c := gradSums(src.Plane(n, ch), ddst.Plane(n, ch), scale, shift, mean, relu)
			sg, sgx, sx = sg+a, sgx+b, sx+c
		}
		sgxhat := inv * sgx
		if dBias != nil {
			dBias[ch] += float32(sg)
		}
		if dWeight != nil {
			dWeight[ch] += float32(sgxhat)
		}
		// dSrc = k·(ĝ − Σĝ/M − x̂·Σĝx̂/M) = k·ĝ + a·(x − μ) + b0.
		k := float64(b.Weight[ch]) * inv
		a := -k * inv * sgxhat / m
		b0 := -k * sg / m
		// Σ dSrc = k·Σĝ + a·Σ(x − μ) + M·b0: zero but for rounding, kept
		// in float64 (see BatchStats.GradSum).
		st.GradSum[ch] = (k*sg + m*b0) + a*sx
		k32, a32, b32, mean32 := float32(k), float32(a), float32(b0), float32(mean)
		for n := 0; n < src.N; n++ {
			gradMap(dSrc.Plane(n, ch), src.Plane(n, ch), ddst.Plane(n, ch), scale, shift, k32, a32, b32, mean32, relu)
		}
	})
}

// resize returns s with length n, reusing its storage when large enough.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
