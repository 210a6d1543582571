package train

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/modelio"
)

// InitWeights returns a new generator initialised as PyTorch initialises
// LaMa's layers when it trains from scratch, deterministic from seed:
// convolution weights and biases uniform in ±1/√fan_in (kaiming_uniform
// with a = √5; fan_in from the weight's second dimension times the kernel
// area, as PyTorch computes it for transposed convolutions too),
// BatchNorm γ = 1, β = 0, running mean 0 and variance 1.
func InitWeights(cfg lama.Config, seed uint64) (*lama.Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x696e6974))
	w := &lama.Weights{Config: cfg, Params: map[string]*lama.Param{}}
	// fanIn remembers each layer's weight fan-in for its bias.
	fanIn := map[string]int{}
	specs := cfg.Specs()
	for _, s := range specs {
		if len(s.Shape) == 4 {
			fanIn[strings.TrimSuffix(s.Name, ".weight")] = s.Shape[1] * s.Shape[2] * s.Shape[3]
		}
	}
	for _, s := range specs {
		p := &lama.Param{Shape: append([]int(nil), s.Shape...), Data: make([]float32, product(s.Shape))}
		prefix := s.Name[:strings.LastIndexByte(s.Name, '.')]
		switch {
		case len(s.Shape) == 4 || (strings.HasSuffix(s.Name, ".bias") && fanIn[prefix] > 0):
			bound := 1 / math.Sqrt(float64(fanIn[prefix]))
			for i := range p.Data {
				p.Data[i] = float32((2*rng.Float64() - 1) * bound)
			}
		case strings.HasSuffix(s.Name, ".weight"), strings.HasSuffix(s.Name, ".running_var"):
			for i := range p.Data {
				p.Data[i] = 1
			}
		}
		w.Params[s.Name] = p
	}
	if cfg.Residual {
		// The output layer starts at zero: an untrained residual model
		// returns its pre-fill unchanged, and training starts from the
		// classical filler's accuracy instead of far below it.
		for _, s := range specs[len(specs)-2:] {
			clear(w.Params[s.Name].Data)
		}
	}
	return w, nil
}

// Checkpoint metadata keys (safetensors __metadata__).
const (
	MetaFormat  = "format"         // "aerofill-lama"
	MetaPrefill = lama.MetaPrefill // the filler the holes were pre-filled with ("idw"), absent for zeroed holes
	MetaStep    = "step"           // training steps done
)

// ModelTensors returns the generator's state dict as PyTorch lays it
// out: parameters and BatchNorm running statistics (float32) and
// num_batches_tracked (int64 scalars), in state-dict order.
func (m *Model) ModelTensors() []*modelio.Tensor {
	var out []*modelio.Tensor
	counters := m.Counters()
	for _, s := range m.cfg.Specs() {
		if p := m.byName[s.Name]; p != nil {
			out = append(out, modelio.NewF32(s.Name, s.Shape, p.Data))
		} else {
			out = append(out, modelio.NewF32(s.Name, s.Shape, m.buffers[s.Name]))
		}
		if strings.HasSuffix(s.Name, ".running_var") {
			name := strings.TrimSuffix(s.Name, "running_var") + "num_batches_tracked"
			out = append(out, int64Scalar(name, counters[name]))
		}
	}
	return out
}

func int64Scalar(name string, v int64) *modelio.Tensor {
	t := &modelio.Tensor{Name: name, DType: modelio.I64, Shape: []int{}, Data: make([]byte, 8)}
	binary.LittleEndian.PutUint64(t.Data, uint64(v))
	return t
}

// SaveModel writes the generator as safetensors at path, atomically, with
// meta as its metadata (plus lama.MetaOutput for a residual model).
// lama.LoadWeights reads it back.
func (m *Model) SaveModel(path string, meta map[string]string) error {
	if err := modelio.WriteSafetensors(path, m.ModelTensors(), m.cfg.Metadata(meta)); err != nil {
		return fmt.Errorf("train: save model: %w", err)
	}
	return nil
}

// LoadModel reads a generator checkpoint (any format lama.LoadWeights
// reads) into a training model, with its num_batches_tracked counters when
// the file has them, and returns the file's metadata.
func LoadModel(path string) (*Model, map[string]string, error) {
	f, err := modelio.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	w, err := lama.WeightsFromFile(f)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %s: %w", path, err)
	}
	m, err := NewModel(w)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %s: %w", path, err)
	}
	counters := map[string]int64{}
	for name, t := range f.Tensors {
		if !strings.HasSuffix(name, ".num_batches_tracked") {
			continue
		}
		v, err := t.Int64()
		if err != nil || len(v) != 1 {
			return nil, nil, fmt.Errorf("train: %s: tensor %s is not an integer scalar", path, name)
		}
		counters[strings.TrimPrefix(name, "generator.")] = v[0]
	}
	m.SetCounters(counters)
	return m, f.Meta, nil
}

// Optimizer state file: the Adam moments of every parameter as
// "exp_avg.<name>" and "exp_avg_sq.<name>" (PyTorch's names), and the
// hyper-parameters and step count in the metadata.
const (
	metaAdamStep = "adam_step"
	metaAdamLR   = "adam_lr"
	metaBeta1    = "adam_beta1"
	metaBeta2    = "adam_beta2"
	metaEps      = "adam_eps"
)

// Save writes the optimizer state as safetensors at path, atomically;
// extra entries join the metadata.
func (a *Adam) Save(path string, extra map[string]string) error {
	names := make([]string, 0, len(a.M))
	for n := range a.M {
		names = append(names, n)
	}
	sort.Strings(names)
	var ts []*modelio.Tensor
	for _, n := range names {
		ts = append(ts, modelio.NewF32("exp_avg."+n, []int{len(a.M[n])}, a.M[n]),
			modelio.NewF32("exp_avg_sq."+n, []int{len(a.V[n])}, a.V[n]))
	}
	meta := map[string]string{
		metaAdamStep: strconv.FormatInt(a.Step, 10),
		metaAdamLR:   strconv.FormatFloat(a.LR, 'g', -1, 64),
		metaBeta1:    strconv.FormatFloat(a.Beta1, 'g', -1, 64),
		metaBeta2:    strconv.FormatFloat(a.Beta2, 'g', -1, 64),
		metaEps:      strconv.FormatFloat(a.Eps, 'g', -1, 64),
	}
	for k, v := range extra {
		meta[k] = v
	}
	if err := modelio.WriteSafetensors(path, ts, meta); err != nil {
		return fmt.Errorf("train: save optimizer: %w", err)
	}
	return nil
}

// LoadAdam reads an optimizer state written by Adam.Save and returns it
// with the file's metadata.
func LoadAdam(path string) (*Adam, map[string]string, error) {
	f, err := modelio.Load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("train: %w", err)
	}
	a := &Adam{M: map[string][]float32{}, V: map[string][]float32{}}
	num := func(key string) (float64, error) {
		v, err := strconv.ParseFloat(f.Meta[key], 64)
		if err != nil {
			return 0, fmt.Errorf("train: %s: optimizer metadata %s = %q: not a number", path, key, f.Meta[key])
		}
		return v, nil
	}
	step, err := strconv.ParseInt(f.Meta[metaAdamStep], 10, 64)
	if err != nil || step < 0 {
		return nil, nil, fmt.Errorf("train: %s: optimizer metadata %s = %q: not a step count", path, metaAdamStep, f.Meta[metaAdamStep])
	}
	a.Step = step
	for _, kv := range []struct {
		key string
		dst *float64
	}{{metaAdamLR, &a.LR}, {metaBeta1, &a.Beta1}, {metaBeta2, &a.Beta2}, {metaEps, &a.Eps}} {
		if *kv.dst, err = num(kv.key); err != nil {
			return nil, nil, err
		}
	}
	for name, t := range f.Tensors {
		var dst map[string][]float32
		var param string
		switch {
		case strings.HasPrefix(name, "exp_avg_sq."):
			dst, param = a.V, strings.TrimPrefix(name, "exp_avg_sq.")
		case strings.HasPrefix(name, "exp_avg."):
			dst, param = a.M, strings.TrimPrefix(name, "exp_avg.")
		default:
			return nil, nil, fmt.Errorf("train: %s: unexpected tensor %s in an optimizer state", path, name)
		}
		d, err := t.Float32()
		if err != nil {
			return nil, nil, fmt.Errorf("train: %s: %s: %w", path, name, err)
		}
		dst[param] = d
	}
	for n, m := range a.M {
		if v, ok := a.V[n]; !ok || len(v) != len(m) {
			return nil, nil, fmt.Errorf("train: %s: exp_avg.%s has no matching exp_avg_sq", path, n)
		}
	}
	if len(a.M) != len(a.V) {
		return nil, nil, fmt.Errorf("train: %s: %d first moments, %d second moments", path, len(a.M), len(a.V))
	}
	return a, f.Meta, nil
}
