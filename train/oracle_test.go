package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/modelio"
	"github.com/aerofill/aerofill/tensor"
)

// The oracle (shared/oracle/train, train-lfu) is two Adam steps of LaMa's
// own generator in float64. The model computes in float32; these are the
// largest errors allowed.
const (
	tolOutput = 1e-5 // generator output at step 1, absolute (values in [0, 1])
	tolLoss   = 1e-6 // loss, relative
	// Every parameter's gradient at step 1, relative to the tensor's
	// largest magnitude. Gradients that are mathematically zero (biases
	// feeding a BatchNorm; the oracle has them at 1e-19) must stay below
	// tolZeroGrad in absolute value.
	tolGrad     = 1e-5
	tolZeroGrad = 1e-12
	// Parameters after steps 1 and 2, absolute. Adam's first step moves a
	// parameter by lr·g/(|g|+ε), ε = 1e-8, which is insensitive to g's
	// rounding where |g| ≫ ε (tolWeights) but not for gradients of
	// 1e-9…1e-8, where float32's rounding of g (≈1e-10 here) moves the
	// update by a few per cent of lr = 1e-3 (tolWeightsTiny).
	tolWeights     = 2e-6
	tolWeightsTiny = 1e-4
	tinyGrad       = 1e-6
	// Running statistics after steps 1 and 2, relative to the tensor's
	// largest magnitude.
	tolStats = 1e-5
)

type trainCase struct {
	Batch  int       `json:"batch"`
	HW     []int     `json:"hw"`
	Losses []float64 `json:"losses"`
	LFU    bool      `json:"enable_lfu"`
}

func loadNPY(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	a, err := modelio.ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return tensor.FromData(a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3], d)
}

func loadTensors(t *testing.T, path string) map[string]*modelio.Tensor {
	t.Helper()
	f, err := modelio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return f.Tensors
}

// counters reads every num_batches_tracked of a state dict.
func counters(t *testing.T, ts map[string]*modelio.Tensor) map[string]int64 {
	t.Helper()
	c := map[string]int64{}
	for name, x := range ts {
		if filepath.Ext(name) == ".num_batches_tracked" {
			v, err := x.Int64()
			if err != nil || len(v) != 1 {
				t.Fatalf("%s: %v", name, err)
			}
			c[name] = v[0]
		}
	}
	return c
}

// tensorErr returns max|got − want| / max|want| over one tensor, and
// max|want|.
func tensorErr(t *testing.T, name string, got []float32, want *modelio.Tensor) (rel, scale float64) {
	t.Helper()
	w, err := want.Float64()
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != len(got) {
		t.Fatalf("%s: %d values, oracle has %d", name, len(got), len(w))
	}
	var diff float64
	for i, v := range w {
		diff = math.Max(diff, math.Abs(float64(got[i])-v))
		scale = math.Max(scale, math.Abs(v))
	}
	if scale == 0 {
		return diff, 0
	}
	return diff / scale, scale
}

func TestOracleTraining(t *testing.T) {
	for _, name := range []string{"train", "train-lfu"} {
		t.Run(name, func(t *testing.T) {
			dir := shared.Path(t, "oracle", name)
			var tc trainCase
			b, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &tc); err != nil {
				t.Fatal(err)
			}
			w, err := lama.LoadWeights(filepath.Join(dir, "weights_before.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if w.Config.LFU != tc.LFU {
				t.Fatalf("LFU %v, case.json says %v", w.Config.LFU, tc.LFU)
			}
			m, err := NewModel(w)
			if err != nil {
				t.Fatal(err)
			}
			m.SetCounters(counters(t, loadTensors(t, filepath.Join(dir, "weights_before.safetensors"))))
			x := loadNPY(t, filepath.Join(dir, "input.npy"))
			truth := loadNPY(t, filepath.Join(dir, "truth.npy"))
			mask := loadNPY(t, filepath.Join(dir, "mask.npy"))
			opt := NewAdam(1e-3)
			grads1 := loadTensors(t, filepath.Join(dir, "grads_step1.safetensors"))

			for step := 1; step <= 2; step++ {
				m.ZeroGrad()
				out, err := m.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				grad := tensor.New(out.N, out.C, out.H, out.W)
				loss, err := MaskedMSE(grad, out, truth, mask)
				if err != nil {
					t.Fatal(err)
				}
				if e := math.Abs(loss-tc.Losses[step-1]) / tc.Losses[step-1]; e > tolLoss {
					t.Errorf("step %d: loss %.12g, oracle %.12g (relative error %.3g)", step, loss, tc.Losses[step-1], e)
				}
				if err := m.Backward(grad); err != nil {
					t.Fatal(err)
				}
				if step == 1 {
					wantOut := loadNPY(t, filepath.Join(dir, "output_step1.npy"))
					var diff float64
					for i, v := range wantOut.Data {
						diff = math.Max(diff, math.Abs(float64(out.Data[i])-float64(v)))
					}
					t.Logf("step 1 output: max abs error %.3g", diff)
					if diff > tolOutput {
						t.Errorf("step 1 output: max abs error %.3g > %g", diff, tolOutput)
					}
					grads := grads1
					if len(grads) != len(m.Params()) {
						t.Errorf("oracle has %d gradients, model %d parameters", len(grads), len(m.Params()))
					}
					worst, worstName := 0.0, ""
					for _, p := range m.Params() {
						g, ok := grads[p.Name]
						if !ok {
							t.Errorf("no oracle gradient for %s", p.Name)
							continue
						}
						e, scale := tensorErr(t, p.Name, p.Grad, g)
						if scale < tolZeroGrad {
							if e*scale > tolZeroGrad {
								t.Errorf("gradient of %s: %.3g, oracle ≤ %.3g", p.Name, e*scale, scale)
							}
							continue
						}
						if e > worst {
							worst, worstName = e, p.Name
						}
						if e > tolGrad {
							t.Errorf("gradient of %s: relative error %.3g", p.Name, e)
						}
					}
					t.Logf("step 1 gradients: worst relative error %.3g (%s)", worst, worstName)
				}
				if err := opt.Update(m.Params()); err != nil {
					t.Fatal(err)
				}
				after := loadTensors(t, filepath.Join(dir, "weights_after_step"+string(rune('0'+step))+".safetensors"))
				got := m.Weights()
				names := make([]string, 0, len(got.Params))
				for n := range got.Params {
					names = append(names, n)
				}
				sort.Strings(names)
				worstW, worstS := 0.0, 0.0
				for _, n := range names {
					want, ok := after[n]
					if !ok {
						t.Errorf("step %d: oracle has no %s", step, n)
						continue
					}
					e, scale := tensorErr(t, n, got.Params[n].Data, want)
					if isBuffer(n) {
						worstS = math.Max(worstS, e)
						if e > tolStats {
							t.Errorf("step %d: %s: relative error %.3g", step, n, e)
						}
						continue
					}
					worstW = math.Max(worstW, e*scale)
					if e*scale > tolWeights {
						checkWeightsTiny(t, step, n, got.Params[n].Data, want, grads1[n])
					}
				}
				t.Logf("step %d: parameters within %.3g (absolute; within %g where |gradient| ≥ %g), running statistics within %.3g (relative)",
					step, worstW, tolWeights, tinyGrad, worstS)
				wantC := counters(t, after)
				for n, v := range m.Counters() {
					if wantC[n] != v {
						t.Errorf("step %d: %s = %d, oracle %d", step, n, v, wantC[n])
					}
				}
				if len(wantC) != len(m.Counters()) {
					t.Errorf("step %d: %d counters, oracle %d", step, len(m.Counters()), len(wantC))
				}
			}
		})
	}
}

// checkWeightsTiny checks a parameter whose error exceeds tolWeights
// element by element: only elements with a tiny step-1 gradient may.
func checkWeightsTiny(t *testing.T, step int, name string, got []float32, want, grad *modelio.Tensor) {
	t.Helper()
	w, err := want.Float64()
	if err != nil {
		t.Fatal(err)
	}
	g, err := grad.Float64()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range w {
		d := math.Abs(float64(got[i]) - v)
		switch {
		case math.Abs(g[i]) >= tinyGrad && d > tolWeights:
			t.Errorf("step %d: %s[%d]: error %.3g with gradient %.3g", step, name, i, d, g[i])
		case d > tolWeightsTiny:
			t.Errorf("step %d: %s[%d]: error %.3g (gradient %.3g)", step, name, i, d, g[i])
		}
	}
}
