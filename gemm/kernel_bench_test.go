package gemm

import (
	"math/rand/v2"
	"testing"
	"time"
)

// bestSeconds runs fn trials times and returns the fastest run's duration
// in seconds: on a shared, noisy machine other load only ever adds time,
// so the minimum is the steadiest estimate of what the code itself costs.
func bestSeconds(trials int, fn func()) float64 {
	best := time.Duration(1 << 62)
	for range trials {
		t0 := time.Now()
		fn()
		best = min(best, time.Since(t0))
	}
	return best.Seconds()
}

// BenchmarkKernel times each micro-kernel alone on L1-resident panels:
// the ceiling the driver can approach. best-GFLOP/s is from the fastest of
// many short trials.
func BenchmarkKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, kern := range kernels {
		kc := kern.kc
		a := randSlice(r, kc*kern.mr)
		bp := randSlice(r, kc*kern.nr)
		c := make([]float32, kern.mr*kern.nr)
		d := tileDesc{c: c, ldc: kern.nr, mr: kern.mr, nr: kern.nr}
		const calls = 50
		flops := 2 * float64(kc*kern.mr*kern.nr) * calls
		b.Run(kern.name, func(b *testing.B) {
			var best float64
			for b.Loop() {
				best = bestSeconds(20, func() {
					for range calls {
						kern.run(kc, a, bp, &d)
					}
				})
			}
			b.ReportMetric(flops/best/1e9, "best-GFLOP/s")
		})
	}
}

// BenchmarkKernelIndirect times each indirect micro-kernel alone, with B
// rows laid out as a 3×3 convolution reads them from a padded band
// (row stride 66, taps shifted by 0..2), everything L1- or L2-resident.
func BenchmarkKernelIndirect(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, kern := range kernels {
		if kern.asm != 0 && kern.ind == 0 {
			continue
		}
		kc := 252 // 28 channels × 9 taps
		a := randSlice(r, kc*kern.mr)
		const pq, pr = 66, 10
		data := randSlice(r, 28*pr*pq+kern.nr)
		off := make([]int, kc)
		for p := range off {
			ch, t := p/9, p%9
			off[p] = ch*pr*pq + t/3*pq + t%3
		}
		c := make([]float32, kern.mr*kern.nr)
		d := tileDesc{c: c, ldc: kern.nr, mr: kern.mr, nr: kern.nr}
		const calls = 50
		flops := 2 * float64(kc*kern.mr*kern.nr) * calls
		b.Run(kern.name, func(b *testing.B) {
			var best float64
			for b.Loop() {
				best = bestSeconds(20, func() {
					for range calls {
						kern.runInd(kern.ind, kern.mr, kc, a, data, off, &d)
					}
				})
			}
			b.ReportMetric(flops/best/1e9, "best-GFLOP/s")
		})
	}
}
