package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/atomicfile"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/metrics"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/tensor"
)

// Options configures a training run. Start from DefaultOptions.
type Options struct {
	// Data are folders (searched recursively) or files of clean PNG, JPEG
	// or TIFF images.
	Data []string `json:"data"`
	// ValEvery puts every ValEvery-th image of each source in validation
	// (see Split); 0 trains on everything and skips validation.
	ValEvery int `json:"val_every"`
	// ValSize is the side of the validation crops, taken from the centre
	// of each validation image (smaller images: their short side).
	ValSize int `json:"val_size"`
	// Folds ≥ 2 leaves part Fold (0 ≤ Fold < Folds) of the training
	// images out (see the function Fold), for one member of a k-fold
	// ensemble; validation is unchanged. 0: train on every training image.
	Folds int `json:"folds,omitempty"`
	Fold  int `json:"fold,omitempty"`
	// Resize rescales every image once when it is loaded (1: not at all).
	Resize  float64 `json:"resize"`
	Augment Augment `json:"augment"`
	Batch   int     `json:"batch"`
	// Masks is the mix of damage families drawn for training and
	// validation, each at its mask.DefaultCoverage.
	Masks mask.Mix `json:"masks"`
	// Prefill names the classical filler (fill.ByName) that fills the
	// holes before the network sees them, as restore does at inference for
	// a checkpoint whose metadata records it; "" gives the network LaMa's
	// zeroed holes.
	Prefill string `json:"prefill"`

	// Config is the architecture of a new model; ignored with Init.
	Config lama.Config `json:"config"`
	// Init is a checkpoint (any format lama.LoadWeights reads) to start
	// from instead of a newly initialised model.
	Init string `json:"init,omitempty"`
	// Seed makes the run reproducible: initial weights, image order, crops,
	// augmentations and masks all derive from it and the step number.
	Seed uint64 `json:"seed"`

	Steps int     `json:"steps"`
	LR    float64 `json:"lr"`
	// From step LRDropStep on (1-based), the learning rate is LRAfter.
	LRDropStep int     `json:"lr_drop_step"`
	LRAfter    float64 `json:"lr_after"`

	// Out is the run directory: checkpoints, logs and options.
	Out             string `json:"-"`
	CheckpointEvery int    `json:"checkpoint_every"`
	ValidateEvery   int    `json:"validate_every"`
	LogEvery        int    `json:"log_every"`
	Keep            int    `json:"keep"` // checkpoints kept besides the best
	Workers         int    `json:"-"`    // goroutines preparing batches; 0: 1
	// Progress, when not nil, is called after every step (on the training
	// goroutine: it must return quickly).
	Progress func(Status) `json:"-"`
}

// DefaultOptions returns the recipe of aerofill's default model: a small
// LaMa (ngf 32, 3 downsamplings, 4 blocks, ratio 0.75, no LFU) trained on
// 256×256 crops, batch 4, with flips, IDW-pre-filled holes of every
// damage family (lines weighted most), Adam at 1e-3 dropping to 1e-4 after
// step 5000, 30000 steps.
func DefaultOptions() Options {
	return Options{
		ValEvery: 10,
		ValSize:  256,
		Resize:   1,
		Augment:  Augment{Crop: 256, ScaleMin: 1, ScaleMax: 1, FlipH: true, FlipV: true},
		Batch:    4,
		Masks:    mask.Mix{mask.Lines: 0.5, mask.Strokes: 0.2, mask.Boxes: 0.15, mask.Stripes: 0.15},
		Prefill:  "idw",
		Config:   lama.Config{InChannels: 4, OutChannels: 3, NGF: 32, Downsamplings: 3, Blocks: 4, Ratio: 0.75, Residual: true},
		Seed:     1,
		Steps:    30000, LR: 1e-3, LRDropStep: 5000, LRAfter: 1e-4,
		CheckpointEvery: 500, ValidateEvery: 1000, LogEvery: 10, Keep: 2, Workers: 1,
	}
}

// Status is the state of a run after a step, for progress displays.
type Status struct {
	Step, Steps  int
	Loss         float64 // mean training loss since the last log line
	LR           float64
	ImagesPerSec float64
	Elapsed, ETA time.Duration
	Logged       bool        // this step wrote a log line
	Val          *Validation // the validation run at this step, if any
	Checkpoint   string      // the checkpoint written at this step, if any
}

// Validation is the result of one validation pass: mean whole-image PSNRs
// (dB, each image capped at metrics.PSNRCap) of the model and of the IDW
// baseline on the same images and masks, overall and per source.
type Validation struct {
	Step      int                   `json:"step"`
	Images    int                   `json:"images"`
	PSNR      float64               `json:"val_psnr"`
	IDW       float64               `json:"val_psnr_idw"`
	PerSource map[string]SourcePSNR `json:"per_source"`
}

// SourcePSNR is one source's share of a Validation.
type SourcePSNR struct {
	Images int     `json:"images"`
	PSNR   float64 `json:"psnr"`
	IDW    float64 `json:"psnr_idw"`
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Step                   int         // steps done
	Checkpoint             string      // the last checkpoint written
	Best                   *Validation // the best validation, if any
	Params                 int         // trainable parameters
	Config                 lama.Config
	TrainImages, ValImages int
}

// ErrInterrupted is returned (wrapped) by Run when its context is
// cancelled: the run stopped after writing a checkpoint.
var ErrInterrupted = errors.New("interrupted")

// Files of a run directory.
const (
	optionsFile    = "options.json"
	latestFile     = "latest.json"
	logFile        = "log.jsonl"
	modelFile      = "model.safetensors" // the latest model, for users
	bestFile       = "best.safetensors"  // the best model by validation PSNR
	checkpointsDir = "checkpoints"
)

// latest is the content of latest.json: the newest complete checkpoint.
type latest struct {
	Step      int     `json:"step"`
	Model     string  `json:"model"`
	Optimizer string  `json:"optimizer"`
	BestPSNR  float64 `json:"best_psnr,omitempty"`
}

// Resume returns the options a run directory was started with, for
// continuing it with Run (which then picks up its latest checkpoint). The
// caller may change Steps, Progress, Workers and the intervals.
func Resume(dir string) (Options, error) {
	var opt Options
	b, err := os.ReadFile(filepath.Join(dir, optionsFile))
	if err != nil {
		return opt, fmt.Errorf("train: resume: %w", err)
	}
	if err := json.Unmarshal(b, &opt); err != nil {
		return opt, fmt.Errorf("train: resume: %s: %w", filepath.Join(dir, optionsFile), err)
	}
	opt.Out = dir
	opt.Workers = 1
	return opt, nil
}

// check validates the options.
func (o *Options) check() error {
	switch {
	case len(o.Data) == 0:
		return fmt.Errorf("train: no training data")
	case o.Out == "":
		return fmt.Errorf("train: no run directory")
	case o.Batch < 1:
		return fmt.Errorf("train: batch %d", o.Batch)
	case o.Steps < 1:
		return fmt.Errorf("train: %d steps", o.Steps)
	case !(o.LR > 0) || !(o.LRAfter > 0):
		return fmt.Errorf("train: learning rates %g and %g must be positive", o.LR, o.LRAfter)
	case o.Augment.Crop < 8:
		return fmt.Errorf("train: crop %d is too small", o.Augment.Crop)
	case o.Augment.ScaleMin < 0 || o.Augment.ScaleMax < o.Augment.ScaleMin:
		return fmt.Errorf("train: crop scale range [%g, %g]", o.Augment.ScaleMin, o.Augment.ScaleMax)
	case !(o.Resize > 0):
		return fmt.Errorf("train: resize factor %g", o.Resize)
	case o.ValEvery > 0 && o.ValSize < 8:
		return fmt.Errorf("train: validation size %d is too small", o.ValSize)
	case o.Folds < 0 || o.Folds == 1 || (o.Folds == 0 && o.Fold != 0) || (o.Folds > 1 && (o.Fold < 0 || o.Fold >= o.Folds)):
		return fmt.Errorf("train: fold %d of %d (want folds 0, or ≥ 2 with 0 ≤ fold < folds)", o.Fold, o.Folds)
	}
	if _, _, err := o.Masks.Generate(8, 8, 0); err != nil && !errors.Is(err, mask.ErrCoverage) {
		return fmt.Errorf("train: masks: %w", err)
	}
	return nil
}

// checkCrop reports whether the model o.Config describes can train on
// o's crops and batches.
func (o *Options) checkCrop() error {
	k := o.Config.Multiple()
	if o.Config.LFU {
		k *= 2
	}
	if o.Augment.Crop%k != 0 {
		return fmt.Errorf("train: crop %d is not a multiple of %d, as the model (%v) needs", o.Augment.Crop, k, o.Config)
	}
	if o.Batch*(o.Augment.Crop/o.Config.Multiple())*(o.Augment.Crop/o.Config.Multiple()) < 2 {
		return fmt.Errorf("train: batch %d of %d×%d crops leaves one value per channel at the bottleneck; BatchNorm needs two", o.Batch, o.Augment.Crop, o.Augment.Crop)
	}
	return nil
}

// LRAt returns the learning rate of a step (1-based).
func (o *Options) LRAt(step int) float64 {
	if o.LRDropStep > 0 && step > o.LRDropStep {
		return o.LRAfter
	}
	return o.LR
}

// Run trains a model as opt says, writing checkpoints, logs and the best
// model into opt.Out. If opt.Out holds a run (latest.json), Run continues
// it from its latest checkpoint, exactly as if it had not stopped; use
// Resume to get its options. When ctx is cancelled, Run writes a
// checkpoint and returns an error wrapping ErrInterrupted.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	var prefill fill.Filler
	if opt.Prefill != "" {
		f, err := fill.ByName(opt.Prefill)
		if err != nil {
			return nil, fmt.Errorf("train: prefill: %w", err)
		}
		prefill = f
	}
	if err := os.MkdirAll(filepath.Join(opt.Out, checkpointsDir), 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	r := &run{opt: opt, prefill: prefill}
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	defer r.log.Close()
	return r.loop(ctx)
}

// run is the state of a training run.
type run struct {
	opt     Options
	prefill fill.Filler
	model   *Model
	adam    *Adam
	step    int // steps done
	data    *Dataset
	val     []valItem
	log     *os.File
	best    *Validation
	last    string // last checkpoint
}

// setup loads the data and the model (new, initial or resumed).
func (r *run) setup(ctx context.Context) error {
	o := &r.opt
	var lt latest
	resuming := false
	if b, err := os.ReadFile(filepath.Join(o.Out, latestFile)); err == nil {
		if err := json.Unmarshal(b, &lt); err != nil {
			return fmt.Errorf("train: %s: %w", filepath.Join(o.Out, latestFile), err)
		}
		resuming = true
	}
	switch {
	case resuming:
		m, _, err := LoadModel(filepath.Join(o.Out, lt.Model))
		if err != nil {
			return err
		}
		a, _, err := LoadAdam(filepath.Join(o.Out, lt.Optimizer))
		if err != nil {
			return err
		}
		r.model, r.adam, r.step, r.last = m, a, lt.Step, filepath.Join(o.Out, lt.Model)
		if lt.BestPSNR != 0 {
			r.best = &Validation{PSNR: lt.BestPSNR}
		}
	case o.Init != "":
		m, _, err := LoadModel(o.Init)
		if err != nil {
			return err
		}
		r.model, r.adam = m, NewAdam(o.LR)
	default:
		w, err := InitWeights(o.Config, o.Seed)
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		m, err := NewModel(w)
		if err != nil {
			return err
		}
		r.model, r.adam = m, NewAdam(o.LR)
	}
	o.Config = r.model.Config()
	if err := o.checkCrop(); err != nil {
		return err
	}
	if !resuming {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return fmt.Errorf("train: %w", err)
		}
		if err := atomicfile.Write(filepath.Join(o.Out, optionsFile), func(w io.Writer) error {
			_, err := w.Write(append(b, '\n'))
			return err
		}); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	data, err := loadDataset(ctx, o.Data, o.ValEvery, o.Folds, o.Fold, o.Resize, max(1, o.Workers))
	if err != nil {
		return err
	}
	r.data = data
	if err := r.prepareValidation(); err != nil {
		return err
	}
	r.log, err = os.OpenFile(filepath.Join(o.Out, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}

// logLine appends one JSON object to the run's log.
func (r *run) logLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := r.log.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: log: %w", err)
	}
	return nil
}

// loop runs the steps.
func (r *run) loop(ctx context.Context) (*Result, error) {
	o := &r.opt
	res := &Result{Config: o.Config, Params: r.model.NumParams(), TrainImages: len(r.data.Train), ValImages: len(r.data.Val)}
	if r.step >= o.Steps {
		res.Step, res.Checkpoint, res.Best = r.step, r.last, r.best
		return res, nil
	}
	smp := &sampler{images: r.data.Train, batch: o.Batch, aug: o.Augment, masks: o.Masks, prefill: r.prefill, seed: o.Seed}
	loadCtx, stopLoading := context.WithCancel(ctx)
	defer stopLoading()
	batches := stream(loadCtx, smp, r.step+1, max(1, o.Workers), 2)
	start := time.Now()
	if r.step == 0 {
		if err := r.logLine(map[string]any{"event": "start", "params": res.Params, "config": o.Config.String(),
			"train_images": res.TrainImages, "val_images": res.ValImages, "time": start.UTC().Format(time.RFC3339)}); err != nil {
			return nil, err
		}
	}
	var (
		lossSum   float64
		lossN     int
		windowT   = time.Now()
		windowN   int
		stepTimes []float64 // recent step durations, for the ETA
	)
	var grad *tensor.Tensor
	for r.step < o.Steps {
		if ctx.Err() != nil {
			return r.interrupted(res)
		}
		var b *Batch
		select {
		case <-ctx.Done():
			return r.interrupted(res)
		case br, ok := <-batches:
			if !ok {
				return r.interrupted(res)
			}
			if br.err != nil {
				return nil, br.err
			}
			b = br.b
		}
		t0 := time.Now()
		step := r.step + 1
		r.adam.LR = o.LRAt(step)
		grad = reuseTensor(grad, b.Truth)
		loss, err := Step(r.model, r.adam, grad, b.Input, b.Truth, b.Mask)
		if err != nil {
			return nil, err
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return nil, fmt.Errorf("train: step %d: loss is %v; the last checkpoint is %s", step, loss, r.last)
		}
		r.step = step
		lossSum += loss
		lossN++
		windowN++
		stepTimes = append(stepTimes, time.Since(t0).Seconds())
		if len(stepTimes) > 50 {
			stepTimes = stepTimes[1:]
		}
		st := Status{Step: step, Steps: o.Steps, LR: r.adam.LR, Elapsed: time.Since(start), Loss: lossSum / float64(lossN)}
		st.ETA = time.Duration(median(stepTimes) * float64(o.Steps-step) * float64(time.Second))
		if dt := time.Since(windowT).Seconds(); dt > 0 {
			st.ImagesPerSec = float64(windowN*o.Batch) / dt
		}
		if step%max(1, o.LogEvery) == 0 || step == o.Steps {
			st.Logged = true
			if err := r.logLine(map[string]any{"step": step, "loss": st.Loss, "lr": st.LR, "images_per_s": round3(st.ImagesPerSec),
				"elapsed_s": round3(st.Elapsed.Seconds())}); err != nil {
				return nil, err
			}
			lossSum, lossN, windowT, windowN = 0, 0, time.Now(), 0
		}
		if len(r.val) > 0 && o.ValidateEvery > 0 && (step%o.ValidateEvery == 0 || step == o.Steps) {
			v, err := r.validate()
			if err != nil {
				return nil, err
			}
			st.Val = v
			if err := r.logLine(v); err != nil {
				return nil, err
			}
			if r.best == nil || v.PSNR > r.best.PSNR {
				r.best = v
				meta := r.meta()
				meta["val_psnr"] = strconv.FormatFloat(v.PSNR, 'f', 4, 64)
				if err := r.model.SaveModel(filepath.Join(o.Out, bestFile), meta); err != nil {
					return nil, err
				}
			}
		}
		if (o.CheckpointEvery > 0 && step%o.CheckpointEvery == 0) || step == o.Steps {
			if err := r.checkpoint(); err != nil {
				return nil, err
			}
			st.Checkpoint = r.last
		}
		if o.Progress != nil {
			o.Progress(st)
		}
	}
	res.Step, res.Checkpoint, res.Best = r.step, r.last, r.best
	return res, nil
}

// interrupted saves a checkpoint and reports the interruption.
func (r *run) interrupted(res *Result) (*Result, error) {
	if r.step > 0 && !r.saved() {
		if err := r.checkpoint(); err != nil {
			return nil, err
		}
	}
	res.Step, res.Checkpoint, res.Best = r.step, r.last, r.best
	return res, fmt.Errorf("train: %w at step %d; checkpoint %s", ErrInterrupted, r.step, r.last)
}

// saved reports whether the latest checkpoint is of the current step.
func (r *run) saved() bool {
	return r.last == filepath.Join(r.opt.Out, checkpointsDir, checkpointName(r.step))
}

func checkpointName(step int) string { return fmt.Sprintf("step-%08d.safetensors", step) }

func optimizerName(step int) string { return fmt.Sprintf("step-%08d.optimizer.safetensors", step) }

// meta is the metadata of the run's model files.
func (r *run) meta() map[string]string {
	meta := map[string]string{MetaFormat: "aerofill-lama", MetaStep: strconv.Itoa(r.step), "config": r.model.Config().String()}
	if r.prefill != nil {
		meta[MetaPrefill] = r.prefill.Name()
	}
	return meta
}

// checkpoint writes the model and optimizer state of the current step,
// then points latest.json at them (so a crash mid-write leaves the
// previous checkpoint in charge), refreshes model.safetensors and removes
// old checkpoints beyond Keep.
func (r *run) checkpoint() error {
	o := &r.opt
	dir := filepath.Join(o.Out, checkpointsDir)
	mname, oname := checkpointName(r.step), optimizerName(r.step)
	meta := r.meta()
	if err := r.model.SaveModel(filepath.Join(dir, mname), meta); err != nil {
		return err
	}
	if err := r.adam.Save(filepath.Join(dir, oname), map[string]string{MetaStep: strconv.Itoa(r.step)}); err != nil {
		return err
	}
	lt := latest{Step: r.step, Model: filepath.Join(checkpointsDir, mname), Optimizer: filepath.Join(checkpointsDir, oname)}
	if r.best != nil {
		lt.BestPSNR = r.best.PSNR
	}
	b, err := json.Marshal(lt)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(o.Out, latestFile), func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	r.last = filepath.Join(dir, mname)
	if err := r.model.SaveModel(filepath.Join(o.Out, modelFile), meta); err != nil {
		return err
	}
	return r.prune()
}

// prune removes all but the newest Keep checkpoints.
func (r *run) prune() error {
	dir := filepath.Join(r.opt.Out, checkpointsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	var steps []int
	for _, e := range entries {
		var s int
		if n, _ := fmt.Sscanf(e.Name(), "step-%08d.safetensors", &s); n == 1 && e.Name() == checkpointName(s) {
			steps = append(steps, s)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(steps)))
	for _, s := range steps[min(len(steps), max(1, r.opt.Keep)):] {
		for _, name := range []string{checkpointName(s), optimizerName(s)} {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("train: %w", err)
			}
		}
	}
	return nil
}

// prepareValidation cuts the validation crops, draws their masks and
// scores the IDW baseline once.
func (r *run) prepareValidation() error {
	if r.opt.ValEvery < 1 {
		return nil
	}
	val, err := validationSet(&r.opt, r.data.Val)
	r.val = val
	return err
}

// validationSet cuts the validation crops of images as o says (ValSize,
// rounded down to what o.Config's generator accepts), draws their masks
// (from o.Masks, fixed by file name) and scores the IDW baseline on them.
func validationSet(o *Options, images []*Image) ([]valItem, error) {
	k := max(8, o.Config.Multiple())
	if o.Config.LFU {
		k = max(8, 2*o.Config.Multiple())
	}
	idw := restore.Filler{F: fill.IDW{}}
	var items []valItem
	for _, img := range images {
		side := min(o.ValSize, img.W, img.H) / k * k
		if side < k {
			continue
		}
		truth := tensor.New(1, 3, side, side)
		x0, y0 := (img.W-side)/2, (img.H-side)/2
		for c := 0; c < 3; c++ {
			p := truth.Plane(0, c)
			for y := 0; y < side; y++ {
				row := img.Pix[c][(y0+y)*img.W+x0:]
				for x := 0; x < side; x++ {
					p[y*side+x] = float32(row[x]) / 255
				}
			}
		}
		// The masks depend on the file name only, so runs with different
		// seeds validate on the same damage.
		g, _, err := o.Masks.Generate(side, side, mix(0x76616c, hashName(filepath.Base(img.Path))))
		if err != nil {
			return nil, fmt.Errorf("train: validation mask for %s: %w", img.Path, err)
		}
		m := tensor.New(1, 1, side, side)
		maskPlane(m.Plane(0, 0), g.Pix)
		it := valItem{source: img.Source, truth: truth, mask: m}
		out, err := idw.Restore(damage(truth, m), m)
		if err != nil {
			return nil, fmt.Errorf("train: validation baseline: %w", err)
		}
		it.baseline = psnr(out, truth)
		items = append(items, it)
	}
	return items, nil
}

// Validate scores a restoration method on the validation set of opt: the
// crops and masks Run validates a run with these options on (opt's Data,
// ValEvery, ValSize, Resize, Masks and Config), with the IDW baseline on
// the same masks. It lets models Run did not train, such as ensembles of
// its models, be compared with its validations. The result's Step is 0.
func Validate(ctx context.Context, opt Options, m restore.Method) (*Validation, error) {
	if opt.ValEvery < 1 {
		return nil, fmt.Errorf("train: validate: no validation split (val_every %d)", opt.ValEvery)
	}
	if opt.ValSize < 8 {
		return nil, fmt.Errorf("train: validate: validation size %d is too small", opt.ValSize)
	}
	files, err := ListImages(opt.Data)
	if err != nil {
		return nil, err
	}
	_, valFiles := Split(files, opt.ValEvery)
	images, err := loadImages(ctx, valFiles, opt.Resize, max(1, opt.Workers))
	if err != nil {
		return nil, err
	}
	items, err := validationSet(&opt, images)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("train: validate: no validation images in %v", opt.Data)
	}
	return scoreValidation(m, items)
}

// damage returns img with the masked pixels zeroed, as a damaged input.
func damage(img, m *tensor.Tensor) *tensor.Tensor {
	d := img.Clone()
	for n := 0; n < img.N; n++ {
		mp := m.Plane(n, 0)
		for c := 0; c < img.C; c++ {
			p := d.Plane(n, c)
			for i := range p {
				if mp[i] != 0 {
					p[i] = 0
				}
			}
		}
	}
	return d
}

// psnr is the whole-image PSNR of two tensors with values in [0, 1],
// capped at metrics.PSNRCap.
func psnr(a, b *tensor.Tensor) float64 {
	v, err := metrics.PSNRFloat(a.Data, b.Data, 1)
	if err != nil || v > metrics.PSNRCap {
		return metrics.PSNRCap
	}
	return v
}

// validate restores the validation crops with the current weights as the
// inference pipeline would (BatchNorm in eval mode, restore's prefill)
// and scores them.
func (r *run) validate() (*Validation, error) {
	w := r.model.Weights()
	g, err := lama.New(w)
	if err != nil {
		return nil, err
	}
	prefill := ""
	if r.prefill != nil {
		prefill = r.prefill.Name()
	}
	method, err := restore.NewModel("training", g, prefill)
	if err != nil {
		return nil, err
	}
	v, err := scoreValidation(method, r.val)
	if err != nil {
		return nil, err
	}
	v.Step = r.step
	return v, nil
}

// scoreValidation restores the validation items with method and averages
// the PSNRs, overall and per source.
func scoreValidation(method restore.Method, items []valItem) (*Validation, error) {
	v := &Validation{PerSource: map[string]SourcePSNR{}}
	for _, it := range items {
		out, err := method.Restore(damage(it.truth, it.mask), it.mask)
		if err != nil {
			return nil, fmt.Errorf("train: validation: %w", err)
		}
		p := psnr(out, it.truth)
		v.Images++
		v.PSNR += p
		v.IDW += it.baseline
		s := v.PerSource[it.source]
		s.Images++
		s.PSNR += p
		s.IDW += it.baseline
		v.PerSource[it.source] = s
	}
	if v.Images > 0 {
		v.PSNR /= float64(v.Images)
		v.IDW /= float64(v.Images)
	}
	for k, s := range v.PerSource {
		s.PSNR /= float64(s.Images)
		s.IDW /= float64(s.Images)
		v.PerSource[k] = s
	}
	return v, nil
}

// batchOrErr is one item of the batch stream.
type batchOrErr struct {
	b   *Batch
	err error
}

// stream prepares the batches of steps first, first+1, … on up to workers
// goroutines, at most ahead steps in advance, and delivers them in order.
// The channel is closed when ctx is cancelled.
func stream(ctx context.Context, s *sampler, first, workers, ahead int) <-chan batchOrErr {
	out := make(chan batchOrErr)
	pending := make(chan chan batchOrErr, ahead)
	sem := make(chan struct{}, workers)
	go func() {
		defer close(pending)
		for step := first; ; step++ {
			ch := make(chan batchOrErr, 1)
			select {
			case pending <- ch:
			case <-ctx.Done():
				return
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(step int) {
				b, err := s.batchAt(step)
				<-sem
				ch <- batchOrErr{b, err}
			}(step)
		}
	}()
	go func() {
		defer close(out)
		for ch := range pending {
			var item batchOrErr
			select {
			case item = <-ch:
			case <-ctx.Done():
				return
			}
			select {
			case out <- item:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// reuseTensor returns t if it has like's shape, else a new tensor.
func reuseTensor(t, like *tensor.Tensor) *tensor.Tensor {
	if t != nil && t.SameShape(like) {
		return t
	}
	return tensor.New(like.N, like.C, like.H, like.W)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
