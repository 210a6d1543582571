package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/tensor"
	"github.com/aerofill/aerofill/train"
)

func init() {
	commands["bench"] = command{"time the generator's forward pass or (--train) a training step (medians, peak memory)", cmdBench}
}

const benchUsage = "aerofill bench [--train] (--model FILE | --config lama-fourier|big-lama) --size S [--batch B] [--threads T] [--runs R]"

func cmdBench(args []string, stdout io.Writer) error {
	fs := newFlags("bench", benchUsage)
	model := fs.String("model", "", "generator checkpoint to time")
	config := fs.String("config", "", "random-weight generator instead of a file: lama-fourier, big-lama, or ngf=64,down=3,blocks=9[,lfu]")
	size := fs.Int("size", 512, "input height and width")
	batch := fs.Int("batch", 1, "images per forward pass")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	runs := fs.Int("runs", 5, "timed runs")
	warmup := fs.Int("warmup", 1, "untimed runs first")
	trainStep := fs.Bool("train", false, "time a training step instead (forward in training mode, masked MSE, backward, Adam), on random inputs with a fifth of the pixels in holes")
	rest, err := parseFlags(fs, benchUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 || (*model == "") == (*config == "") {
		return usagef("give exactly one of --model and --config (usage: %s)", benchUsage)
	}
	if *size <= 0 || *batch <= 0 || *runs <= 0 || *warmup < 0 {
		return usagef("--size, --batch and --runs must be positive")
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	var w *lama.Weights
	if *model != "" {
		w, err = lama.LoadWeights(*model)
	} else {
		var cfg lama.Config
		if cfg, err = parseConfig(*config); err == nil {
			w, err = lama.RandomWeights(cfg, 0)
		}
	}
	if err != nil {
		return err
	}
	if *trainStep {
		return benchTrain(stdout, w, *size, *batch, *warmup, *runs)
	}
	g, err := lama.New(w)
	if err != nil {
		return err
	}
	c, params := w.Config, w.NumParams()
	w = nil // the generator keeps its own (folded, packed) weights
	if *size%c.Multiple() != 0 {
		return usagef("--size %d is not a multiple of %d", *size, c.Multiple())
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(*batch, c.InChannels, *size, *size)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	debug.FreeOSMemory()
	times := make([]float64, 0, *runs)
	for i := 0; i < *warmup+*runs; i++ {
		start := time.Now()
		if _, err := g.Forward(x); err != nil {
			return err
		}
		if i >= *warmup {
			times = append(times, float64(time.Since(start).Microseconds())/1000)
		}
	}
	med := median(times)
	gflop := c.FLOPs(*size, *size) * float64(*batch) / 1e9
	fmt.Fprintf(stdout, "aerofill %s %s threads=%d size=%d batch=%d: %v, %.2f M params\n",
		version, runtime.GOARCH, runtime.GOMAXPROCS(0), *size, *batch, c, float64(params)/1e6)
	fmt.Fprintf(stdout, "forward: median %.1f ms, min %.1f, max %.1f over %d runs; %.2f images/s; %.1f GFLOP → %.1f GFLOP/s\n",
		med, times[0], times[len(times)-1], len(times), float64(*batch)*1000/med, gflop, gflop/(med/1000))
	rss := peakRSSMB()
	fmt.Fprintf(stdout, "peak memory: %.0f MB (VmHWM)\n", rss)
	fmt.Fprintf(stdout, "forward_ms_median=%.1f peak_rss_mb=%.0f\n", med, rss)
	return nil
}

// benchTrain times training steps of w's architecture (train.Step) and
// ends with the line train_step_ms_median=<ms>.
func benchTrain(stdout io.Writer, w *lama.Weights, size, batch, warmup, runs int) error {
	trainingGC()
	c := w.Config
	if size%c.Multiple() != 0 {
		return usagef("--size %d is not a multiple of %d", size, c.Multiple())
	}
	m, err := train.NewModel(w)
	if err != nil {
		return err
	}
	x, truth, mask := train.RandomBatch(batch, size, 1)
	grad := tensor.New(truth.N, truth.C, truth.H, truth.W)
	opt := train.NewAdam(1e-4)
	debug.FreeOSMemory()
	var wall, cpu []float64
	for i := 0; i < warmup+runs; i++ {
		start, cpu0 := time.Now(), cpuclock.Process()
		if _, err := train.Step(m, opt, grad, x, truth, mask); err != nil {
			return err
		}
		if i >= warmup {
			wall = append(wall, float64(time.Since(start).Microseconds())/1000)
			cpu = append(cpu, float64((cpuclock.Process()-cpu0).Microseconds())/1000)
		}
	}
	med := median(wall)
	fmt.Fprintf(stdout, "aerofill %s %s threads=%d size=%d batch=%d: training step of %v, %.2f M params\n",
		version, runtime.GOARCH, runtime.GOMAXPROCS(0), size, batch, c, float64(m.NumParams())/1e6)
	fmt.Fprintf(stdout, "step (forward, masked MSE, backward, Adam): median %.0f ms, min %.0f, max %.0f over %d runs; CPU median %.0f ms; %.2f images/s\n",
		med, slices.Min(wall), slices.Max(wall), len(wall), median(cpu), float64(batch)*1000/med)
	fmt.Fprintf(stdout, "peak memory: %.0f MB (VmHWM)\n", peakRSSMB())
	fmt.Fprintf(stdout, "train_step_ms_median=%.1f\n", med)
	return nil
}

// median returns the median of v (v is sorted in place).
func median(v []float64) float64 {
	slices.Sort(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// parseConfig reads a --config value.
func parseConfig(s string) (lama.Config, error) {
	switch s {
	case "lama-fourier":
		return lama.LamaFourier, nil
	case "big-lama":
		c := lama.LamaFourier
		c.Blocks = 18
		return c, nil
	}
	c := lama.LamaFourier
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		switch {
		case k == "lfu":
			c.LFU = true
			continue
		case err != nil:
			return c, usagef("--config %s: bad value in %q", s, kv)
		case k == "ngf":
			c.NGF = n
		case k == "down":
			c.Downsamplings = n
		case k == "blocks":
			c.Blocks = n
		default:
			return c, usagef("--config %s: unknown key %q (ngf, down, blocks, lfu)", s, k)
		}
	}
	return c, c.Validate()
}

// peakRSSMB reads the process's peak resident set size from /proc.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
