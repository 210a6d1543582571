// Package lama is LaMa's FFC-ResNet inpainting generator (Suvorov et al.,
// WACV 2022): its configuration read off a state dict, its weights, and its
// inference forward pass on aerofill's engine (nn, fft). It reproduces the
// official PyTorch generator's output; it does not decode images or pick
// masks (see restore) and it does not train (see train).
package lama

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aerofill/aerofill/modelio"
)

// Param is one named float32 parameter or buffer of the generator.
type Param struct {
	Shape []int
	Data  []float32
}

// Weights is a generator's state dict with bare LaMa names
// ("model.1.ffc.convl2l.weight"), and the configuration they imply.
type Weights struct {
	Config Config
	Params map[string]*Param
	// Meta is the checkpoint's metadata (safetensors __metadata__), e.g.
	// "prefill": "idw" for models trained on IDW-pre-filled holes.
	Meta map[string]string
}

// Metadata keys aerofill's checkpoints carry beside the tensors.
const (
	MetaPrefill = "prefill" // the classical filler the holes were pre-filled with ("idw")
	MetaOutput  = "output"  // "residual" for Config.Residual; absent or "sigmoid" otherwise
)

// Prefill names the classical filler a model expects in its holes
// (Meta["prefill"]), or "" for LaMa's own zeroed holes.
func (w *Weights) Prefill() string { return w.Meta[MetaPrefill] }

// Metadata returns a copy of extra with MetaOutput set as c says (absent
// for LaMa's sigmoid output, whatever extra held): what tensors cannot
// tell a loader about c.
func (c Config) Metadata(extra map[string]string) map[string]string {
	m := make(map[string]string, len(extra)+2)
	for k, v := range extra {
		m[k] = v
	}
	delete(m, MetaOutput)
	if c.Residual {
		m[MetaOutput] = "residual"
	}
	return m
}

// Metadata returns extra plus what a saved copy of w needs to load as
// the same generator: MetaOutput (Config.Metadata) and w's MetaPrefill.
func (w *Weights) Metadata(extra map[string]string) map[string]string {
	m := w.Config.Metadata(extra)
	if p := w.Prefill(); p != "" {
		m[MetaPrefill] = p
	}
	return m
}

// applyMeta sets the configuration that only metadata records.
func (w *Weights) applyMeta() error {
	switch v := w.Meta[MetaOutput]; v {
	case "", "sigmoid":
		w.Config.Residual = false
	case "residual":
		w.Config.Residual = true
		if err := w.Config.Validate(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("lama: metadata %s = %q: unknown output kind (want residual or sigmoid)", MetaOutput, v)
	}
	return nil
}

// LoadWeights reads a generator from a checkpoint file of any format that
// modelio reads: a bare state dict (.pt/.pth), a LaMa/Lightning checkpoint
// whose tensors are named "generator.…", or safetensors.
func LoadWeights(path string) (*Weights, error) {
	f, err := modelio.Load(path)
	if err != nil {
		return nil, err
	}
	w, err := WeightsFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// WeightsFromFile is WeightsFromTensors over a loaded file, with the
// configuration its metadata records (MetaOutput) applied.
func WeightsFromFile(f *modelio.File) (*Weights, error) {
	w, err := WeightsFromTensors(f.Tensors)
	if err != nil {
		return nil, err
	}
	w.Meta = f.Meta
	if err := w.applyMeta(); err != nil {
		return nil, err
	}
	return w, nil
}

// WeightsFromTensors picks the generator's tensors out of a state dict
// (names "model.…", or "generator.model.…" when the dict holds a whole
// training module), converts them to float32 and infers the configuration.
func WeightsFromTensors(ts map[string]*modelio.Tensor) (*Weights, error) {
	prefix := ""
	if _, ok := ts["model.1.ffc.convl2l.weight"]; !ok {
		if _, ok := ts["generator.model.1.ffc.convl2l.weight"]; ok {
			prefix = "generator."
		} else {
			return nil, fmt.Errorf("not a LaMa generator: no tensor model.1.ffc.convl2l.weight (nor generator.model.1.ffc.convl2l.weight)")
		}
	}
	params := map[string]*Param{}
	for name, t := range ts {
		if !strings.HasPrefix(name, prefix+"model.") {
			continue
		}
		bare := strings.TrimPrefix(name, prefix)
		if strings.HasSuffix(bare, "num_batches_tracked") {
			continue
		}
		data, err := t.Float32()
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %w", name, err)
		}
		params[bare] = &Param{Shape: append([]int(nil), t.Shape...), Data: data}
	}
	cfg, err := inferConfig(params)
	if err != nil {
		return nil, err
	}
	w := &Weights{Config: cfg, Params: params}
	if err := w.check(); err != nil {
		return nil, err
	}
	return w, nil
}

// Names returns the parameter names in a stable order (by layer index,
// then name), for writing files.
func (w *Weights) Names() []string {
	names := make([]string, 0, len(w.Params))
	for n := range w.Params {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := layerIndex(names[i]), layerIndex(names[j])
		if a != b {
			return a < b
		}
		return names[i] < names[j]
	})
	return names
}

// NumParams counts the trainable parameters (BatchNorm running statistics
// excluded), as PyTorch's sum(p.numel() for p in parameters()) does.
func (w *Weights) NumParams() int {
	n := 0
	for name, p := range w.Params {
		if strings.HasSuffix(name, "running_mean") || strings.HasSuffix(name, "running_var") {
			continue
		}
		n += len(p.Data)
	}
	return n
}

// layerIndex returns N of "model.N.…", or a large number.
func layerIndex(name string) int {
	rest := strings.TrimPrefix(name, "model.")
	if i := strings.IndexByte(rest, '.'); i > 0 {
		if n, err := strconv.Atoi(rest[:i]); err == nil {
			return n
		}
	}
	return 1 << 30
}

// get returns the named parameter after checking its shape; a nil want
// accepts any shape.
func (w *Weights) get(name string, want ...int) (*Param, error) {
	p, ok := w.Params[name]
	if !ok {
		return nil, fmt.Errorf("missing tensor %s", name)
	}
	if want != nil && !slices.Equal(p.Shape, want) {
		return nil, fmt.Errorf("tensor %s has shape %v, want %v", name, p.Shape, want)
	}
	if n := product(p.Shape); n != len(p.Data) {
		return nil, fmt.Errorf("tensor %s: shape %v holds %d values, not %d", name, p.Shape, n, len(p.Data))
	}
	return p, nil
}

func product(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// Average returns the element-wise mean of generators of one architecture
// and one pre-fill (a "model soup": runs fine-tuned from a shared start
// usually average into a model at least as good as each, at one model's
// cost). BatchNorm running statistics are averaged like the weights. The
// result's metadata is the first input's.
func Average(ws ...*Weights) (*Weights, error) {
	if len(ws) == 0 {
		return nil, fmt.Errorf("average: no models")
	}
	first := ws[0]
	for i, w := range ws[1:] {
		if w.Config != first.Config {
			return nil, fmt.Errorf("average: model %d is %v, model 1 is %v", i+2, w.Config, first.Config)
		}
		if w.Prefill() != first.Prefill() {
			return nil, fmt.Errorf("average: model %d pre-fills with %q, model 1 with %q", i+2, w.Prefill(), first.Prefill())
		}
		if len(w.Params) != len(first.Params) {
			return nil, fmt.Errorf("average: model %d has %d tensors, model 1 has %d", i+2, len(w.Params), len(first.Params))
		}
	}
	out := &Weights{Config: first.Config, Params: make(map[string]*Param, len(first.Params)), Meta: maps.Clone(first.Meta)}
	sum := []float64{}
	for name, p := range first.Params {
		sum = slices.Grow(sum[:0], len(p.Data))[:len(p.Data)]
		clear(sum)
		for i, w := range ws {
			q, ok := w.Params[name]
			if !ok || !slices.Equal(q.Shape, p.Shape) || len(q.Data) != len(p.Data) {
				return nil, fmt.Errorf("average: model %d has no tensor %s of shape %v", i+1, name, p.Shape)
			}
			for j, v := range q.Data {
				sum[j] += float64(v)
			}
		}
		data := make([]float32, len(sum))
		for j, s := range sum {
			data[j] = float32(s / float64(len(ws)))
		}
		out.Params[name] = &Param{Shape: slices.Clone(p.Shape), Data: data}
	}
	return out, nil
}
