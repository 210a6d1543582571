package train

import (
	"flag"
	"math/rand/v2"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/tensor"
)

var (
	benchNGF    = flag.Int("train.ngf", 64, "BenchmarkTrainStep: ngf")
	benchBlocks = flag.Int("train.blocks", 9, "BenchmarkTrainStep: blocks")
	benchSize   = flag.Int("train.size", 256, "BenchmarkTrainStep: image side")
	benchBatch  = flag.Int("train.batch", 4, "BenchmarkTrainStep: batch")
)

// BenchmarkTrainStep times one training step (forward, loss, backward,
// Adam) at the size of torch_lama.py bench --train: by default lama-fourier
// at 256×256, batch 4.
func BenchmarkTrainStep(b *testing.B) {
	cfg := lama.Config{InChannels: 4, OutChannels: 3, NGF: *benchNGF, Downsamplings: 3, Blocks: *benchBlocks, Ratio: 0.75}
	w, err := lama.RandomWeights(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewModel(w)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	n, s := *benchBatch, *benchSize
	x, truth, mask := tensor.New(n, 4, s, s), tensor.New(n, 3, s, s), tensor.New(n, 1, s, s)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	for i := range truth.Data {
		truth.Data[i] = rng.Float32()
	}
	for i := range mask.Data {
		if rng.Float32() > 0.8 {
			mask.Data[i] = 1
		}
	}
	opt := NewAdam(1e-4)
	grad := tensor.New(n, 3, s, s)
	step := func() (fwd, bwd time.Duration) {
		t0 := time.Now()
		m.ZeroGrad()
		out, err := m.Forward(x)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := MaskedMSE(grad, out, truth, mask); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := m.Backward(grad); err != nil {
			b.Fatal(err)
		}
		if err := opt.Update(m.Params()); err != nil {
			b.Fatal(err)
		}
		return t1.Sub(t0), time.Since(t1)
	}
	step() // warm-up: allocations, FFT plans
	var times, cpus []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuTime()
		f, bw := step()
		times = append(times, time.Since(t0).Seconds()*1000)
		cpus = append(cpus, (cpuTime()-c0).Seconds()*1000)
		b.Logf("step %d: forward %v, backward+adam %v, CPU %.0f ms", i, f.Round(time.Millisecond), bw.Round(time.Millisecond), cpus[i])
	}
	sort.Float64s(times)
	sort.Float64s(cpus)
	b.ReportMetric(times[len(times)/2], "ms/step-median")
	b.ReportMetric(cpus[len(cpus)/2], "cpu-ms/step-median")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
