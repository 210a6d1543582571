package train

import (
	"flag"
	"sort"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/tensor"
)

var (
	benchNGF    = flag.Int("train.ngf", 64, "BenchmarkTrainStep: ngf")
	benchDown   = flag.Int("train.down", 3, "BenchmarkTrainStep: downsamplings")
	benchBlocks = flag.Int("train.blocks", 9, "BenchmarkTrainStep: blocks")
	benchSize   = flag.Int("train.size", 256, "BenchmarkTrainStep: image side")
	benchBatch  = flag.Int("train.batch", 4, "BenchmarkTrainStep: batch")
)

// BenchmarkTrainStep times one training step (forward, loss, backward,
// Adam) at the size of torch_lama.py bench --train: by default lama-fourier
// at 256×256, batch 4.
func BenchmarkTrainStep(b *testing.B) {
	cfg := lama.Config{InChannels: 4, OutChannels: 3, NGF: *benchNGF, Downsamplings: *benchDown, Blocks: *benchBlocks, Ratio: 0.75}
	w, err := lama.RandomWeights(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewModel(w)
	if err != nil {
		b.Fatal(err)
	}
	x, truth, mask := RandomBatch(*benchBatch, *benchSize, 1)
	opt := NewAdam(1e-4)
	grad := tensor.New(truth.N, truth.C, truth.H, truth.W)
	step := func() {
		if _, err := Step(m, opt, grad, x, truth, mask); err != nil {
			b.Fatal(err)
		}
	}
	step() // warm-up: allocations, FFT plans
	var times, cpus []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0, c0 := time.Now(), cpuclock.Process()
		step()
		times = append(times, time.Since(t0).Seconds()*1000)
		cpus = append(cpus, (cpuclock.Process()-c0).Seconds()*1000)
		b.Logf("step %d: %.0f ms, CPU %.0f ms", i, times[i], cpus[i])
	}
	sort.Float64s(times)
	sort.Float64s(cpus)
	b.ReportMetric(times[len(times)/2], "ms/step-median")
	b.ReportMetric(cpus[len(cpus)/2], "cpu-ms/step-median")
}
