package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// convShapes are M×K×N products of LaMa's convolutions at 512² input
// (M = output channels, K = input channels × taps, N = pixels).
var benchShapes = []struct{ m, k, n int }{
	{128, 4608, 4096}, // 3×3 conv 512→128 at 64×64
	{384, 1152, 4096}, // 3×3 conv 128→384 at 64×64
	{512, 512, 4096},  // 1×1
	{192, 384, 2112},  // 1×1 on a 64×33 frequency plane
	{64, 196, 16384},  // 7×7 4→64, a 128-row band of a 512² image
	{3, 3136, 16384},  // 7×7 64→3
}

func BenchmarkMulPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		a := randSlice(r, s.m*s.k)
		bm := randSlice(r, s.k*s.n)
		c := make([]float32, s.m*s.n)
		for _, kern := range kernels {
			if kern == goKernel && s.m*s.k > 1<<18 {
				continue
			}
			pa := new(PackedA)
			pa.packWith(kern, kern.kc, s.m, s.k, a, s.k, false, 1)
			mb := matrixB{b: bm, ldb: s.n}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%dx%dx%d/%s/t%d", s.m, s.k, s.n, kern.name, threads), func(b *testing.B) {
					var best float64
					for b.Loop() {
						best = bestSeconds(5, func() { MulPackedThreads(pa, s.n, &mb, c, s.n, nil, threads) })
					}
					b.ReportMetric(2*float64(s.m*s.k*s.n)/best/1e9, "best-GFLOP/s")
				})
			}
		}
	}
}
