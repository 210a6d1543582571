package gemm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time consumed by the calling OS thread.
func threadCPU() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// bestWallCPU runs fn trials times and returns its fastest wall time and
// its fastest CPU time on the calling thread (meaningful single-threaded:
// it excludes time spent descheduled on a shared machine), in seconds.
func bestWallCPU(trials int, fn func()) (wall, cpu float64) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	wall, cpu = 1e9, 1e9
	for range trials {
		t0, c0 := time.Now(), threadCPU()
		fn()
		wall, cpu = min(wall, time.Since(t0).Seconds()), min(cpu, threadCPU()-c0)
	}
	return wall, cpu
}

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
			pa.packWith(kern, kern.kc, s.m, s.k, a, s.k, false, 1, 1)
			mb := matrixB{b: bm, ldb: s.n}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%dx%dx%d/%s/t%d", s.m, s.k, s.n, kern.name, threads), func(b *testing.B) {
					var wall, cpu float64
					for b.Loop() {
						wall, cpu = bestWallCPU(5, func() { MulPackedThreads(pa, s.n, &mb, c, s.n, nil, threads) })
					}
					flops := 2 * float64(s.m*s.k*s.n)
					b.ReportMetric(flops/wall/1e9, "wall-GFLOP/s")
					if threads == 1 {
						b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
					}
				})
			}
		}
	}
}
