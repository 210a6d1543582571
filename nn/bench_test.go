package nn

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/tensor"
	"golang.org/x/sys/unix"
)

// lamaLayer is one convolution of LaMa-Fourier (ngf 64, 3 downsamplings)
// at a 512² input; div scales the spatial size down (2: a 256² input).
type lamaLayer struct {
	name               string
	inC, outC, k, s, p int
	h                  int // input side at 512² model input
	transposed         bool
	padding            Padding
	act                Act
}

// lamaLayers must match testdata/peer_layers.py.
var lamaLayers = []lamaLayer{
	{name: "conv7x7_4to64", inC: 4, outC: 64, k: 7, s: 1, p: 3, h: 512, padding: PadReflect, act: ActReLU},
	{name: "down3x3s2_64to128", inC: 64, outC: 128, k: 3, s: 2, p: 1, h: 512, padding: PadReflect, act: ActReLU},
	{name: "down3x3s2_128to256", inC: 128, outC: 256, k: 3, s: 2, p: 1, h: 256, padding: PadReflect, act: ActReLU},
	{name: "down3x3s2_256to512", inC: 256, outC: 512, k: 3, s: 2, p: 1, h: 128, padding: PadReflect, act: ActReLU},
	{name: "conv3x3_512to128", inC: 512, outC: 128, k: 3, s: 1, p: 1, h: 64, padding: PadReflect, act: ActReLU},
	{name: "conv3x3_128to384", inC: 128, outC: 384, k: 3, s: 1, p: 1, h: 64, padding: PadReflect},
	{name: "conv3x3_128to128", inC: 128, outC: 128, k: 3, s: 1, p: 1, h: 64, padding: PadReflect},
	{name: "conv1x1_384to192", inC: 384, outC: 192, k: 1, s: 1, p: 0, h: 64, act: ActReLU},
	{name: "conv1x1_192to384", inC: 192, outC: 384, k: 1, s: 1, p: 0, h: 64},
	{name: "convT_512to256", inC: 512, outC: 256, k: 3, s: 2, p: 1, h: 64, transposed: true, act: ActReLU},
	{name: "convT_256to128", inC: 256, outC: 128, k: 3, s: 2, p: 1, h: 128, transposed: true, act: ActReLU},
	{name: "convT_128to64", inC: 128, outC: 64, k: 3, s: 2, p: 1, h: 256, transposed: true, act: ActReLU},
	{name: "conv7x7_64to3", inC: 64, outC: 3, k: 7, s: 1, p: 3, h: 512, padding: PadReflect, act: ActSigmoid},
}

// threadCPU returns the CPU time consumed by the calling OS thread.
func threadCPU() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)*1e-9
}

// bestOf runs fn trials times and returns the fastest wall time and the
// fastest CPU time (of the calling thread if thread, else of the whole
// process), in seconds. On a shared machine
// other load only adds time, so minima are the steadiest estimates; the
// thread's CPU time also excludes time spent descheduled, which makes it
// the better figure for single-threaded runs (where all work is on this
// thread). With BENCH_MEDIAN=1 both are medians instead.
func bestOf(trials int, thread bool, fn func()) (wall, cpu float64) {
	cpuTime := func() float64 { return cpuclock.Process().Seconds() }
	if thread {
		cpuTime = threadCPU
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ws := make([]float64, trials)
	cs := make([]float64, trials)
	for i := range ws {
		t0, c0 := time.Now(), cpuTime()
		fn()
		ws[i], cs[i] = time.Since(t0).Seconds(), cpuTime()-c0
	}
	pick := func(ts []float64) float64 {
		for i := range ts { // insertion sort: trials is small
			for j := i; j > 0 && ts[j] < ts[j-1]; j-- {
				ts[j], ts[j-1] = ts[j-1], ts[j]
			}
		}
		if os.Getenv("BENCH_MEDIAN") == "1" {
			return ts[len(ts)/2]
		}
		return ts[0]
	}
	return pick(ws), pick(cs)
}

// BenchmarkLamaLayers times each LaMa layer shape at 512² and 256² model
// input with 1 and 2 threads. Metrics: wall time (best of BENCH_TRIALS,
// default 5) and, single-threaded, the thread's CPU time, each also as
// GFLOP/s; with 2 threads, the process's total CPU time.
func BenchmarkLamaLayers(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 9))
	trials := 5
	if s := os.Getenv("BENCH_TRIALS"); s != "" {
		trials, _ = strconv.Atoi(s)
	}
	for _, size := range []int{512, 256} {
		for _, l := range lamaLayers {
			h := l.h * size / 512
			var flops float64
			var run func()
			src := randTensor(r, 1, l.inC, h, h)
			if l.transposed {
				c := &ConvTranspose2D{InC: l.inC, OutC: l.outC, K: l.k, Stride: l.s, Pad: l.p, OutputPadding: 1,
					Weight: randSlice(r, l.inC*l.outC*l.k*l.k, 0.05), Bias: randSlice(r, l.outC, 0.1)}
				c.Prepare()
				ho, wo := c.OutSize(h, h)
				dst := tensor.New(1, l.outC, ho, wo)
				flops = 2 * float64(l.inC*l.outC*l.k*l.k) * float64(h*h)
				run = func() { c.Forward(dst, 0, src, 0, Epilogue{Act: l.act}) }
			} else {
				c := &Conv2D{InC: l.inC, OutC: l.outC, KH: l.k, KW: l.k, Stride: l.s, Pad: l.p, Padding: l.padding,
					Weight: randSlice(r, l.inC*l.outC*l.k*l.k, 0.05), Bias: randSlice(r, l.outC, 0.1)}
				c.Prepare()
				ho, wo := c.OutSize(h, h)
				dst := tensor.New(1, l.outC, ho, wo)
				flops = 2 * float64(l.inC*l.outC*l.k*l.k) * float64(ho*wo)
				run = func() { c.Forward(dst, 0, src, 0, Epilogue{Act: l.act}) }
			}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%d/%s/t%d", size, l.name, threads), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
					run()
					var wall, cpu float64
					for b.Loop() {
						wall, cpu = bestOf(trials, threads == 1, run)
					}
					b.ReportMetric(wall*1e3, "wall-ms")
					b.ReportMetric(flops/wall/1e9, "wall-GFLOP/s")
					if threads == 1 {
						b.ReportMetric(cpu*1e3, "cpu-ms")
						b.ReportMetric(flops/cpu/1e9, "cpu-GFLOP/s")
					} else {
						// All threads' CPU time: equal to the single-threaded
						// figure when splitting the work adds none.
						b.ReportMetric(cpu*1e3, "total-cpu-ms")
					}
				})
			}
		}
	}
}
