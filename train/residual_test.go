package train

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/modelio"
	"github.com/aerofill/aerofill/tensor"
)

var residualConfig = lama.Config{InChannels: 4, OutChannels: 3, NGF: 8, Downsamplings: 2, Blocks: 1, Ratio: 0.75, Residual: true}

func randomInput(seed uint64, n, c, h, w int) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := tensor.New(n, c, h, w)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	return x
}

// TestResidualStartsAtPrefill: a new residual model's output is its
// input's RGB, bit for bit, in training and in inference, so training
// starts from the classical fill.
func TestResidualStartsAtPrefill(t *testing.T) {
	w, err := InitWeights(residualConfig, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	x := randomInput(1, 2, 4, 16, 16)
	out, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	g, err := lama.New(m.Weights())
	if err != nil {
		t.Fatal(err)
	}
	inf, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 2; n++ {
		for c := 0; c < 3; c++ {
			want := x.Plane(n, c)
			for i, v := range out.Plane(n, c) {
				if v != want[i] || inf.Plane(n, c)[i] != want[i] {
					t.Fatalf("n %d c %d pixel %d: training %v, inference %v, want the input %v", n, c, i, v, inf.Plane(n, c)[i], want[i])
				}
			}
		}
	}
}

// TestResidualGradients checks Backward of a residual model (random
// weights, so every layer contributes) against central finite
// differences of the masked MSE, for parameters at both ends of the
// network.
func TestResidualGradients(t *testing.T) {
	w, err := lama.RandomWeights(residualConfig, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range w.Params {
		if len(p.Shape) == 4 {
			for i := range p.Data {
				p.Data[i] *= 0.5 // keep activations moderate
			}
		}
	}
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	x, truth := randomInput(2, 2, 4, 16, 16), randomInput(3, 2, 3, 16, 16)
	mask := tensor.New(2, 1, 16, 16)
	for i := range mask.Data {
		if i%3 != 0 {
			mask.Data[i] = 1
		}
	}
	loss := func() float64 {
		out, err := m.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		l, err := MaskedMSE(nil, out, truth, mask)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	m.ZeroGrad()
	out, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	grad := tensor.New(out.N, out.C, out.H, out.W)
	if _, err := MaskedMSE(grad, out, truth, mask); err != nil {
		t.Fatal(err)
	}
	if err := m.Backward(grad); err != nil {
		t.Fatal(err)
	}
	specs := residualConfig.Specs()
	names := []string{specs[0].Name, specs[len(specs)-2].Name, specs[len(specs)-1].Name}
	for _, name := range names {
		p := m.Param(name)
		scale := 0.0
		for _, g := range p.Grad {
			scale = math.Max(scale, math.Abs(float64(g)))
		}
		for _, i := range []int{0, len(p.Data) / 3, len(p.Data) - 1} {
			old := p.Data[i]
			const eps = 1e-4
			p.Data[i] = old + eps
			up := loss()
			p.Data[i] = old - eps
			down := loss()
			p.Data[i] = old
			fd := (up - down) / (2 * eps)
			if d := math.Abs(fd - float64(p.Grad[i])); d > 2e-2*scale+1e-6 {
				t.Errorf("%s[%d]: backward %.6g, finite differences %.6g (largest gradient %.3g)", name, i, p.Grad[i], fd, scale)
			}
		}
	}
}

// TestResidualSurvivesSaving: the residual output is recorded in the
// checkpoint's metadata and read back by lama and by train; an unknown
// output kind is refused.
func TestResidualSurvivesSaving(t *testing.T) {
	w, _ := InitWeights(residualConfig, 1)
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.safetensors")
	if err := m.SaveModel(path, map[string]string{MetaPrefill: "idw"}); err != nil {
		t.Fatal(err)
	}
	lw, err := lama.LoadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if !lw.Config.Residual || lw.Prefill() != "idw" {
		t.Errorf("loaded %v with prefill %q, want a residual model with prefill idw", lw.Config, lw.Prefill())
	}
	m2, _, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if !m2.Config().Residual {
		t.Error("train.LoadModel lost the residual output")
	}
	if err := m.SaveModel(path, map[string]string{lama.MetaOutput: "tanh"}); err != nil {
		t.Fatal(err)
	}
	// SaveModel writes what the model is, whatever meta says.
	if lw, err := lama.LoadWeights(path); err != nil || !lw.Config.Residual {
		t.Errorf("after saving with a wrong output key: %v, %v", lw, err)
	}
	sig, _ := InitWeights(tinyConfig, 1)
	ms, _ := NewModel(sig)
	bad := filepath.Join(dir, "bad.safetensors")
	if err := modelioWrite(bad, ms, map[string]string{lama.MetaOutput: "tanh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := lama.LoadWeights(bad); err == nil {
		t.Error("an unknown output kind loaded")
	}
}

// modelioWrite saves m's tensors with meta exactly as given.
func modelioWrite(path string, m *Model, meta map[string]string) error {
	return modelio.WriteSafetensors(path, m.ModelTensors(), meta)
}

// TestResidualLearnsOneBatch: trained on one fixed batch, a residual
// model's masked MSE must fall far below the pre-fill's (where it starts):
// the whole training path (forward, backward through the zero-initialised
// head, Adam) can learn a correction.
func TestResidualLearnsOneBatch(t *testing.T) {
	cfg := lama.Config{InChannels: 4, OutChannels: 3, NGF: 16, Downsamplings: 2, Blocks: 1, Ratio: 0.75, Residual: true}
	w, err := InitWeights(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	x, truth := randomInput(4, 2, 4, 32, 32), randomInput(5, 2, 3, 32, 32)
	mask := tensor.New(2, 1, 32, 32)
	for n := 0; n < 2; n++ {
		for y := 0; y < 32; y++ {
			for xx := 14; xx < 18; xx++ {
				mask.Plane(n, 0)[y*32+xx] = 1
			}
		}
		for c := 0; c < 3; c++ {
			copy(x.Plane(n, c), truth.Plane(n, c))
			for i, v := range mask.Plane(n, 0) {
				if v != 0 {
					x.Plane(n, c)[i] = 0.5 // a flat "fill"
				}
			}
		}
		copy(x.Plane(n, 3), mask.Plane(n, 0))
	}
	opt := NewAdam(1e-3)
	grad := tensor.New(2, 3, 32, 32)
	var first, last float64
	for step := 0; step < 150; step++ {
		loss, err := Step(m, opt, grad, x, truth, mask)
		if err != nil {
			t.Fatal(err)
		}
		if step == 0 {
			first = loss
		}
		last = loss
	}
	t.Logf("masked MSE %.4g → %.4g", first, last)
	if last > first/4 {
		t.Errorf("masked MSE %.4g → %.4g after 150 steps on one batch: not learning", first, last)
	}
}
