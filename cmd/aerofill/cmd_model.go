package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/modelio"
	"github.com/aerofill/aerofill/tensor"
)

func init() {
	commands["model"] = command{"inspect, convert, average and run generator checkpoints (info, convert, average, run)", cmdModel}
}

const modelUsage = "aerofill model info FILE | model convert IN OUT.safetensors | model average OUT.safetensors IN IN... | model run --model FILE --input X.npy --output Y.npy"

func cmdModel(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usagef("missing subcommand (usage: %s)", modelUsage)
	}
	switch args[0] {
	case "info":
		return cmdModelInfo(args[1:], stdout)
	case "convert":
		return cmdModelConvert(args[1:], stdout)
	case "run":
		return cmdModelRun(args[1:], stdout)
	case "average":
		return cmdModelAverage(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprintf(stdout, "Usage: %s\n", modelUsage)
		return nil
	}
	return usagef("unknown subcommand %q (usage: %s)", args[0], modelUsage)
}

func cmdModelInfo(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usagef("usage: aerofill model info FILE")
	}
	f, err := modelio.Load(args[0])
	if err != nil {
		return err
	}
	w, err := lama.WeightsFromFile(f)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	c := w.Config
	fmt.Fprintf(stdout, "file:           %s\n", args[0])
	fmt.Fprintf(stdout, "format:         %s (%d tensors in the file)\n", f.Format, len(f.Tensors))
	fmt.Fprintf(stdout, "architecture:   LaMa FFC-ResNet generator\n")
	fmt.Fprintf(stdout, "ngf:            %d\n", c.NGF)
	fmt.Fprintf(stdout, "downsamplings:  %d (inputs padded to multiples of %d)\n", c.Downsamplings, max(lama.PadModulo, c.Multiple()))
	fmt.Fprintf(stdout, "blocks:         %d\n", c.Blocks)
	fmt.Fprintf(stdout, "global ratio:   %.3g\n", c.Ratio)
	fmt.Fprintf(stdout, "LFU:            %v\n", c.LFU)
	fmt.Fprintf(stdout, "channels:       %d in, %d out\n", c.InChannels, c.OutChannels)
	switch {
	case c.Residual && w.Prefill() != "":
		fmt.Fprintf(stdout, "output:         residual: a correction added to the %s pre-fill of the holes\n", w.Prefill())
	case c.Residual:
		fmt.Fprintf(stdout, "output:         residual: a correction added to the input\n")
	case w.Prefill() != "":
		fmt.Fprintf(stdout, "output:         sigmoid, holes pre-filled by %s\n", w.Prefill())
	default:
		fmt.Fprintf(stdout, "output:         sigmoid (LaMa's)\n")
	}
	fmt.Fprintf(stdout, "parameters:     %d (%.2f M)\n", w.NumParams(), float64(w.NumParams())/1e6)
	fmt.Fprintf(stdout, "GFLOP at 512²:  %.1f\n", c.FLOPs(512, 512)/1e9)
	for _, k := range []string{"epoch", "global_step", "pytorch-lightning_version"} {
		if v, ok := f.Meta[k]; ok {
			fmt.Fprintf(stdout, "%-15s %s\n", k+":", v)
		}
	}
	return nil
}

const modelConvertUsage = "aerofill model convert [--half] IN OUT.safetensors"

func cmdModelConvert(args []string, stdout io.Writer) error {
	fs := newFlags("model convert", modelConvertUsage)
	half := fs.Bool("half", false, "store the tensors as float16 (half the size; the engine computes in float32 either way)")
	args, err := parseFlags(fs, modelConvertUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(args) != 2 {
		return usagef("usage: %s", modelConvertUsage)
	}
	w, err := lama.LoadWeights(args[0])
	if err != nil {
		return err
	}
	if err := saveWeights(args[1], w, *half); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s → %s: %v, %d parameters\n", args[0], args[1], w.Config, w.NumParams())
	return nil
}

const modelAverageUsage = "aerofill model average [--half] OUT.safetensors IN IN..."

// cmdModelAverage writes the element-wise mean of checkpoints of one
// architecture (lama.Average), e.g. runs fine-tuned from one start.
func cmdModelAverage(args []string, stdout io.Writer) error {
	fs := newFlags("model average", modelAverageUsage)
	half := fs.Bool("half", false, "store the tensors as float16")
	args, err := parseFlags(fs, modelAverageUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(args) < 3 {
		return usagef("usage: %s", modelAverageUsage)
	}
	var ws []*lama.Weights
	for _, in := range args[1:] {
		w, err := lama.LoadWeights(in)
		if err != nil {
			return err
		}
		ws = append(ws, w)
	}
	avg, err := lama.Average(ws...)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if err := saveWeights(args[0], avg, *half); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: mean of %d models, %v\n", args[0], len(ws), avg.Config)
	return nil
}

// saveWeights writes a generator as safetensors with LaMa's bare names,
// including num_batches_tracked so PyTorch's strict load_state_dict takes it.
// With half, the floating-point tensors are stored as float16.
func saveWeights(path string, w *lama.Weights, half bool) error {
	newTensor := modelio.NewF32
	if half {
		newTensor = modelio.NewF16
	}
	var ts []*modelio.Tensor
	for _, name := range w.Names() {
		p := w.Params[name]
		ts = append(ts, newTensor(name, p.Shape, p.Data))
		if len(name) > len(".running_var") && name[len(name)-len(".running_var"):] == ".running_var" {
			bn := name[:len(name)-len(".running_var")]
			ts = append(ts, &modelio.Tensor{Name: bn + ".num_batches_tracked", DType: "I64", Shape: []int{}, Data: make([]byte, 8)})
		}
	}
	c := w.Config
	meta := w.Metadata(map[string]string{
		"format": "pt", "architecture": "lama-ffc-resnet",
		"ngf": strconv.Itoa(c.NGF), "n_downsampling": strconv.Itoa(c.Downsamplings),
		"n_blocks": strconv.Itoa(c.Blocks), "ratio": strconv.FormatFloat(c.Ratio, 'g', -1, 64),
		"enable_lfu": strconv.FormatBool(c.LFU),
	})
	if err := modelio.WriteSafetensors(path, ts, meta); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

const modelRunUsage = "aerofill model run --model FILE --input X.npy --output Y.npy"

func cmdModelRun(args []string, stdout io.Writer) error {
	fs := newFlags("model run", modelRunUsage)
	model := fs.String("model", "", "generator checkpoint")
	in := fs.String("input", "", "float32 NumPy array (N, 4, H, W)")
	out := fs.String("output", "", "where to write the (N, 3, H, W) output")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	rest, err := parseFlags(fs, modelRunUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *model == "" || *in == "" || *out == "" {
		return usagef("usage: %s", modelRunUsage)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	w, err := lama.LoadWeights(*model)
	if err != nil {
		return err
	}
	g, err := lama.New(w)
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	a, err := modelio.ReadNPY(*in)
	if err != nil {
		return err
	}
	if a.DType != "F32" {
		return fmt.Errorf("%s: dtype %s, want float32", *in, a.DType)
	}
	c := w.Config
	if len(a.Shape) != 4 || a.Shape[1] != c.InChannels {
		return fmt.Errorf("%s: shape %v, want (N, %d, H, W)", *in, a.Shape, c.InChannels)
	}
	m := c.Multiple()
	if a.Shape[2]%m != 0 || a.Shape[3]%m != 0 || a.Shape[2] == 0 || a.Shape[3] == 0 {
		return fmt.Errorf("%s: H×W = %d×%d, must be positive multiples of %d (2^%d downsamplings); pad the input",
			*in, a.Shape[2], a.Shape[3], m, c.Downsamplings)
	}
	data, err := a.Float32()
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	y, err := g.Forward(tensor.FromData(a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3], data))
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if err := modelio.WriteNPY(*out, modelio.NewF32("output", []int{y.N, y.C, y.H, y.W}, y.Data)); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "%s → %s: (%d, %d, %d, %d)\n", *in, *out, y.N, y.C, y.H, y.W)
	return nil
}
