package train

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aerofill/aerofill/internal/atomicfile"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/restore"
)

// Experiment is a set of training runs that differ from one recipe (Base)
// in one respect each, all scored on Base's validation set:
//
//   - LR: one run per learning rate (LRAfter keeps Base's LRAfter/LR ratio);
//   - Augment: one run per augmentation variant (AugmentVariants);
//   - KFold k ≥ 2: k runs each without one k-th of the training images
//     (Options.Folds, Options.Fold; member i is seeded Base.Seed+i), their
//     final models averaged (restore.Ensemble), against one run on all the
//     training images of k×Base.Steps steps (LRDropStep scaled alike).
//
// Each run has its own run directory under Out; Run skips the runs that
// reached their steps and resumes the others, so an interrupted
// experiment continues where it stopped.
type Experiment struct {
	Base    Options   `json:"base"`
	LR      []float64 `json:"lr,omitempty"`
	Augment []string  `json:"augment,omitempty"`
	KFold   int       `json:"kfold,omitempty"`

	// Out is the experiment directory: a run directory per variant, the
	// experiment's settings (experiment.json) and the results.
	Out string `json:"-"`
	// Progress, when not nil, gets every training step's Status.
	Progress func(Status) `json:"-"`
	// Notify, when not nil, is told when a variant starts, is skipped,
	// finishes, and when the ensemble is scored.
	Notify func(Event) `json:"-"`
}

// AugmentVariants are the augmentation variants an Experiment knows, each
// adding to the one before. Crops are always cut at random positions
// (Augment.Crop is the training resolution).
//
//	flips   random horizontal and vertical flips, crops at the native scale
//	crop    + crops rescaled by a random factor in [0.75, 4/3] (log-uniform):
//	        the source square is Crop/scale pixels, resampled to Crop
//	resize  + the scale range widened to [0.375, 4/3], which is what resizing
//	        each image by a random factor in [0.5, 1] before such a crop does
//	        (a crop of a resized image is a resampled window of the original).
//	        Options.Resize is not used: it is fixed, and it would resize the
//	        validation images too, changing what every variant is scored on.
//	rotate  + random rotations by multiples of 90°
var AugmentVariants = []string{"flips", "crop", "resize", "rotate"}

// augmentFor returns the augmentation of a variant on top of crop.
func augmentFor(name string, crop int) (Augment, bool) {
	a := Augment{Crop: crop, ScaleMin: 1, ScaleMax: 1, FlipH: true, FlipV: true}
	switch name {
	case "flips":
	case "crop":
		a.ScaleMin, a.ScaleMax = 0.75, 4.0/3
	case "resize":
		a.ScaleMin, a.ScaleMax = 0.5*0.75, 4.0/3
	case "rotate":
		a.ScaleMin, a.ScaleMax, a.Rotate = 0.5*0.75, 4.0/3, true
	default:
		return a, false
	}
	return a, true
}

// DefaultExperiment returns the experiments of issue 4 on DefaultOptions:
// learning rates 1e-2, 5e-3, 1e-3 and 1e-4, every augmentation variant,
// and a 3-fold ensemble. At 30000 steps a run, it is weeks of CPU time;
// see SmallExperiment.
func DefaultExperiment() Experiment {
	return Experiment{Base: DefaultOptions(), LR: []float64{1e-2, 5e-3, 1e-3, 1e-4},
		Augment: append([]string(nil), AugmentVariants...), KFold: 3}
}

// SmallExperiment returns DefaultExperiment shrunk to run in minutes on
// two cores: a small model (ngf 16, 2 downsamplings, 2 blocks, 136 k
// parameters), 64×64 crops, batch 4, 300 steps a run at a constant
// learning rate, validated every 100 steps on the default validation set
// (256×256 centre crops). That is 4 + 4 + 3 runs of 300 steps and one of
// 900, one of them shared (lr 1e-3 is the flips variant): 6 min 50 s on
// one thread of a shared 2-core machine, 30 s a 300-step run.
func SmallExperiment() Experiment {
	e := DefaultExperiment()
	o := &e.Base
	o.Config = lama.Config{InChannels: 4, OutChannels: 3, NGF: 16, Downsamplings: 2, Blocks: 2, Ratio: 0.75, Residual: true}
	o.Augment.Crop, o.Batch = 64, 4
	o.Steps, o.LRDropStep = 300, 0
	o.CheckpointEvery, o.ValidateEvery, o.LogEvery, o.Keep = 100, 100, 10, 1
	return e
}

// ParseExperiment reads an experiment from JSON: {"base": options as in a
// run's options.json, "lr": [...], "augment": [...], "kfold": k}. Options
// missing from "base" keep DefaultOptions' values; unknown fields are
// errors.
func ParseExperiment(b []byte) (Experiment, error) {
	e := Experiment{Base: DefaultOptions()}
	var raw struct {
		Base map[string]json.RawMessage `json:"base"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return e, fmt.Errorf("train: experiment: %w", err)
	}
	if _, ok := raw.Base["masks"]; ok {
		e.Base.Masks = nil // a mix replaces the default one instead of merging into it
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("train: experiment: %w", err)
	}
	return e, nil
}

// ReadExperiment reads an experiment file (ParseExperiment).
func ReadExperiment(path string) (Experiment, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Experiment{}, fmt.Errorf("train: experiment: %w", err)
	}
	e, err := ParseExperiment(b)
	if err != nil {
		return e, fmt.Errorf("%w (in %s)", err, path)
	}
	return e, nil
}

// Variant is one training run of an experiment.
type Variant struct {
	Group   string  // "lr", "augment" or "kfold"
	Name    string  // as the tables show it: "lr 0.01", "crop", "fold 1/3", "single run"
	Dir     string  // run directory, relative to Experiment.Out
	Options Options // the run's options (Out is Experiment.Out/Dir)
}

// Experiment groups, in the order they run.
const (
	GroupLR      = "lr"
	GroupAugment = "augment"
	GroupKFold   = "kfold"
)

// Variants returns the runs of the experiment, in the order Run trains
// them, after checking the settings.
func (e *Experiment) Variants() ([]Variant, error) {
	if e.Out == "" {
		return nil, errors.New("train: experiment: no output directory")
	}
	b := e.Base
	b.Out = e.Out
	if err := b.check(); err != nil {
		return nil, baseError(err)
	}
	if b.Init == "" {
		if err := b.Config.Validate(); err != nil {
			return nil, baseError(err)
		}
		if err := b.checkCrop(); err != nil {
			return nil, baseError(err)
		}
	}
	if b.ValEvery < 1 {
		return nil, fmt.Errorf("train: experiment: base: val_every %d: the runs need a validation set to be compared on", b.ValEvery)
	}
	if e.KFold < 0 || e.KFold == 1 {
		return nil, fmt.Errorf("train: experiment: kfold %d: want 0 (none) or at least 2", e.KFold)
	}
	var vs []Variant
	add := func(group, name, dir string, o Options) {
		o.Out = filepath.Join(e.Out, dir)
		o.Progress = e.Progress
		vs = append(vs, Variant{Group: group, Name: name, Dir: dir, Options: o})
	}
	seen := map[string]bool{}
	for _, lr := range e.LR {
		if !(lr > 0) || math.IsInf(lr, 0) {
			return nil, fmt.Errorf("train: experiment: learning rate %g: want a positive number", lr)
		}
		v := strconv.FormatFloat(lr, 'g', -1, 64)
		if seen["lr"+v] {
			return nil, fmt.Errorf("train: experiment: learning rate %s is listed twice", v)
		}
		seen["lr"+v] = true
		o := b
		o.LR, o.LRAfter = lr, lr*b.LRAfter/b.LR
		add(GroupLR, "lr "+v, "lr-"+v, o)
	}
	for _, name := range e.Augment {
		a, ok := augmentFor(name, b.Augment.Crop)
		if !ok {
			return nil, fmt.Errorf("train: experiment: augmentation %q: want one of %s", name, strings.Join(AugmentVariants, ", "))
		}
		if seen["aug"+name] {
			return nil, fmt.Errorf("train: experiment: augmentation %q is listed twice", name)
		}
		seen["aug"+name] = true
		o := b
		o.Augment = a
		add(GroupAugment, name, "augment-"+name, o)
	}
	if k := e.KFold; k >= 2 {
		for i := 0; i < k; i++ {
			o := b
			o.Folds, o.Fold, o.Seed = k, i, b.Seed+uint64(i)
			add(GroupKFold, fmt.Sprintf("fold %d/%d", i+1, k), fmt.Sprintf("fold-%d-of-%d", i+1, k), o)
		}
		o := b
		o.Steps, o.LRDropStep = k*b.Steps, k*b.LRDropStep
		add(GroupKFold, fmt.Sprintf("single run, %d× steps", k), fmt.Sprintf("single-%dx", k), o)
	}
	if len(vs) == 0 {
		return nil, errors.New("train: experiment: nothing to run (no lr, augment or kfold)")
	}
	return vs, nil
}

// baseError words an error of the base options as the experiment's.
func baseError(err error) error {
	return fmt.Errorf("train: experiment: base: %s", strings.TrimPrefix(err.Error(), "train: "))
}

// Event tells Experiment.Notify what is happening.
type Event struct {
	Kind         string // "start", "skip" (finished earlier), "same" (another variant's run), "done", "ensemble"
	Index, Total int    // 1-based position of the variant among all
	Variant      *Variant
	Row          *Row // the result, for "skip", "same", "done" and "ensemble"
}

// Report is an experiment's results: a table per group.
type Report struct {
	Base   string   `json:"base"` // the base recipe, in words
	Tables []*Table `json:"tables"`
}

// Table is one group of an experiment.
type Table struct {
	Group string `json:"group"`
	Title string `json:"title"`
	Rows  []*Row `json:"rows"`
}

// Row is one variant's result. PSNRs are the mean whole-image PSNRs of the
// validation set (Validation), of the run's final model and of IDW on the
// same masks.
type Row struct {
	Variant     string  `json:"variant"`
	Dir         string  `json:"dir,omitempty"`
	Steps       int     `json:"steps"`
	TrainImages int     `json:"train_images"`
	ValImages   int     `json:"val_images"`
	PSNR        float64 `json:"val_psnr"`
	IDW         float64 `json:"val_psnr_idw"`
	Delta       float64 `json:"delta_vs_idw"`
	BestPSNR    float64 `json:"best_val_psnr,omitempty"` // the best validation during the run
	BestStep    int     `json:"best_step,omitempty"`
	WallSeconds float64 `json:"wall_s"` // time spent training (and validating) it, over all sessions; 0: unknown
	Note        string  `json:"note,omitempty"`
}

// Files of an experiment directory.
const (
	experimentFile  = "experiment.json"
	wallFile        = "experiment-wall.json" // in each run directory: the time spent on it
	ResultsMarkdown = "results.md"
	ResultsCSV      = "results.csv"
	ResultsJSON     = "results.json"
)

// Run trains the variants that have not reached their steps (resuming
// those that started), scores the k-fold ensemble, and writes the tables
// (results.md, results.csv, results.json) into Out. When ctx is cancelled
// it returns an error wrapping ErrInterrupted; running it again continues.
func (e *Experiment) Run(ctx context.Context) (*Report, error) {
	vs, err := e.Variants()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: experiment: %w", err)
	}
	if err := writeJSON(filepath.Join(e.Out, experimentFile), e); err != nil {
		return nil, err
	}
	rep := &Report{Base: describe(&e.Base)}
	tables := map[string]*Table{}
	for _, g := range []struct{ group, title string }{
		{GroupLR, "Learning rate"}, {GroupAugment, "Augmentation"},
		{GroupKFold, fmt.Sprintf("%d-fold ensemble against one run of the same total steps", e.KFold)},
	} {
		tables[g.group] = &Table{Group: g.group, Title: g.title}
	}
	byRecipe := map[string]*Row{}
	var members []*Row
	for i := range vs {
		v := &vs[i]
		ev := Event{Index: i + 1, Total: len(vs), Variant: v}
		key, err := recipe(v.Options, true)
		if err != nil {
			return nil, err
		}
		var row *Row
		if same, ok := byRecipe[key]; ok {
			r := *same
			r.Variant, r.Note = v.Name, "the same run as "+same.Variant
			row = &r
			ev.Kind = "same"
		} else {
			if row, ev.Kind, err = e.runVariant(ctx, v, ev); err != nil {
				return nil, err
			}
			byRecipe[key] = row
		}
		ev.Row = row
		e.notify(ev)
		tables[v.Group].Rows = append(tables[v.Group].Rows, row)
		if v.Options.Folds >= 2 {
			members = append(members, row)
		}
	}
	if len(members) > 0 {
		rows, err := e.ensemble(ctx, vs, members)
		if err != nil {
			return nil, err
		}
		t := tables[GroupKFold]
		// After the members, before the single run.
		t.Rows = append(t.Rows[:len(members)], append(rows, t.Rows[len(members):]...)...)
	}
	for _, g := range []string{GroupLR, GroupAugment, GroupKFold} {
		if len(tables[g].Rows) > 0 {
			rep.Tables = append(rep.Tables, tables[g])
		}
	}
	if err := rep.Write(e.Out); err != nil {
		return nil, err
	}
	return rep, nil
}

func (e *Experiment) notify(ev Event) {
	if e.Notify != nil {
		e.Notify(ev)
	}
}

// runVariant trains (or skips, when finished) one variant and returns its
// row and whether it was trained ("done") or skipped ("skip").
func (e *Experiment) runVariant(ctx context.Context, v *Variant, ev Event) (*Row, string, error) {
	o := v.Options
	done, err := finished(o)
	if err != nil {
		return nil, "", err
	}
	kind := "skip"
	if !done {
		kind = "done"
		ev.Kind = "start"
		e.notify(ev)
		start := time.Now()
		_, err := Run(ctx, o)
		if werr := addWall(o.Out, time.Since(start)); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return nil, "", fmt.Errorf("%w (experiment variant %s, %s)", err, v.Name, o.Out)
		}
	}
	row, err := summarize(ctx, v)
	return row, kind, err
}

// finished reports whether o's run directory holds a run that reached
// o.Steps; a run started with another recipe is an error, not something
// to continue.
func finished(o Options) (bool, error) {
	b, err := os.ReadFile(filepath.Join(o.Out, optionsFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("train: experiment: %w", err)
	}
	var old Options
	if err := json.Unmarshal(b, &old); err != nil {
		return false, fmt.Errorf("train: experiment: %s: %w", filepath.Join(o.Out, optionsFile), err)
	}
	a, err := recipe(old, false)
	if err != nil {
		return false, err
	}
	if c, err := recipe(o, false); err != nil || a != c {
		return false, fmt.Errorf("train: experiment: %s holds a run with other options; remove it or choose another output directory", o.Out)
	}
	lt, err := readLatest(o.Out)
	if err != nil || lt == nil {
		return false, err
	}
	return lt.Step >= o.Steps, nil
}

// recipe returns o as JSON without what may change between sessions of a
// run (intervals, Keep and, unless withSteps, Steps).
func recipe(o Options, withSteps bool) (string, error) {
	if !withSteps {
		o.Steps = 0
	}
	if o.Init != "" {
		o.Config = lama.Config{} // the run records the initial model's
	}
	o.CheckpointEvery, o.ValidateEvery, o.LogEvery, o.Keep = 0, 0, 0, 0
	b, err := json.Marshal(o)
	if err != nil {
		return "", fmt.Errorf("train: experiment: %w", err)
	}
	return string(b), nil
}

// readLatest reads a run directory's latest.json; nil if there is none.
func readLatest(dir string) (*latest, error) {
	b, err := os.ReadFile(filepath.Join(dir, latestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: experiment: %w", err)
	}
	var lt latest
	if err := json.Unmarshal(b, &lt); err != nil {
		return nil, fmt.Errorf("train: experiment: %s: %w", filepath.Join(dir, latestFile), err)
	}
	return &lt, nil
}

// wall is the content of experiment-wall.json.
type wall struct {
	Seconds  float64 `json:"wall_s"`
	Sessions int     `json:"sessions"`
}

// addWall adds d to the time recorded in a run directory.
func addWall(dir string, d time.Duration) error {
	w, _ := readWall(dir)
	w.Seconds += d.Seconds()
	w.Sessions++
	return writeJSON(filepath.Join(dir, wallFile), w)
}

func readWall(dir string) (wall, error) {
	var w wall
	b, err := os.ReadFile(filepath.Join(dir, wallFile))
	if err != nil {
		return w, err
	}
	err = json.Unmarshal(b, &w)
	return w, err
}

// summarize reads a finished run directory into a row: the validation of
// its final step from log.jsonl (or, if the log has none, a validation of
// model.safetensors), its best validation and its time.
func summarize(ctx context.Context, v *Variant) (*Row, error) {
	o := v.Options
	lt, err := readLatest(o.Out)
	if err != nil {
		return nil, err
	}
	if lt == nil {
		return nil, fmt.Errorf("train: experiment: %s: no checkpoint in %s", v.Name, o.Out)
	}
	trainImages, vals, err := readLog(filepath.Join(o.Out, logFile))
	if err != nil {
		return nil, err
	}
	row := &Row{Variant: v.Name, Dir: v.Dir, Steps: lt.Step, TrainImages: trainImages}
	var final *Validation
	for i := range vals {
		if vals[i].Step == lt.Step {
			final = &vals[i]
		}
		if vals[i].PSNR > row.BestPSNR {
			row.BestPSNR, row.BestStep = vals[i].PSNR, vals[i].Step
		}
	}
	if final == nil {
		m, err := restore.Open(filepath.Join(o.Out, modelFile))
		if err != nil {
			return nil, fmt.Errorf("train: experiment: %s: %w", v.Name, err)
		}
		if final, err = Validate(ctx, o, m); err != nil {
			return nil, fmt.Errorf("train: experiment: %s: %w", v.Name, err)
		}
	}
	row.PSNR, row.IDW, row.Delta, row.ValImages = final.PSNR, final.IDW, final.PSNR-final.IDW, final.Images
	if w, err := readWall(o.Out); err == nil {
		row.WallSeconds = w.Seconds
	}
	return row, nil
}

// readLog returns the training-image count of a run's start line and its
// validations, in order; a step validated twice (a resumed run repeating
// steps after its last checkpoint) keeps the later one.
func readLog(path string) (trainImages int, vals []Validation, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("train: experiment: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	at := map[int]int{} // step → index in vals
	for n := 1; sc.Scan(); n++ {
		var line struct {
			Event       string `json:"event"`
			TrainImages int    `json:"train_images"`
			Validation
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return 0, nil, fmt.Errorf("train: experiment: %s:%d: %w", path, n, err)
		}
		switch {
		case line.Event == "start":
			trainImages = line.TrainImages
		case line.Images > 0:
			if i, ok := at[line.Step]; ok {
				vals[i] = line.Validation
			} else {
				at[line.Step] = len(vals)
				vals = append(vals, line.Validation)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return 0, nil, fmt.Errorf("train: experiment: %s: %w", path, err)
	}
	return trainImages, vals, nil
}

// ensemble scores the members' final models averaged, and returns that
// row and the members' mean.
func (e *Experiment) ensemble(ctx context.Context, vs []Variant, members []*Row) ([]*Row, error) {
	var (
		methods []restore.Method
		opt     Options
		steps   int
		wallSum float64
		images  int
		mean    = &Row{Variant: "mean of the folds", Note: "members' mean"}
	)
	for _, v := range vs {
		if v.Options.Folds < 2 {
			continue
		}
		opt = v.Options
		m, err := restore.Open(filepath.Join(v.Options.Out, modelFile))
		if err != nil {
			return nil, fmt.Errorf("train: experiment: ensemble: %w", err)
		}
		methods = append(methods, m)
	}
	for _, r := range members {
		steps += r.Steps
		wallSum += r.WallSeconds
		images += r.TrainImages
		mean.PSNR += r.PSNR / float64(len(members))
		mean.IDW += r.IDW / float64(len(members))
		mean.TrainImages += r.TrainImages
		mean.ValImages = r.ValImages
	}
	mean.TrainImages /= len(members)
	mean.Steps = members[0].Steps
	mean.Delta = mean.PSNR - mean.IDW
	ens := restore.Ensemble{Members: methods}
	e.notify(Event{Kind: "start", Variant: &Variant{Group: GroupKFold, Name: ens.Name()}})
	start := time.Now()
	val, err := Validate(ctx, opt, ens)
	if err != nil {
		return nil, fmt.Errorf("train: experiment: %s: %w", ens.Name(), err)
	}
	row := &Row{Variant: ens.Name() + " of the folds", Steps: steps, ValImages: val.Images,
		PSNR: val.PSNR, IDW: val.IDW, Delta: val.PSNR - val.IDW,
		WallSeconds: wallSum + time.Since(start).Seconds(),
		Note:        "final models averaged; steps and time are the members' sum"}
	// Every training image is left out of exactly one of the k members.
	if k := len(members); k >= 2 {
		row.TrainImages = images / (k - 1)
	}
	e.notify(Event{Kind: "ensemble", Variant: &Variant{Group: GroupKFold, Name: row.Variant}, Row: row})
	return []*Row{mean, row}, nil
}

// describe says what a base recipe is, for the report's heading.
func describe(o *Options) string {
	aug := []string{fmt.Sprintf("%d×%d crops", o.Augment.Crop, o.Augment.Crop)}
	if o.Augment.FlipH || o.Augment.FlipV {
		aug = append(aug, "flips")
	}
	if o.Augment.ScaleMin != 1 || o.Augment.ScaleMax != 1 {
		aug = append(aug, fmt.Sprintf("scale %.3g–%.3g", o.Augment.ScaleMin, o.Augment.ScaleMax))
	}
	if o.Augment.Rotate {
		aug = append(aug, "rotations")
	}
	lr := fmt.Sprintf("lr %g", o.LR)
	if o.LRDropStep > 0 {
		lr += fmt.Sprintf(" → %g after step %d", o.LRAfter, o.LRDropStep)
	}
	model := o.Config.String()
	if o.Init != "" {
		model = "from " + o.Init
	}
	prefill := o.Prefill
	if prefill == "" {
		prefill = "none"
	}
	return fmt.Sprintf("%s; %s, batch %d, %d steps, %s, seed %d, prefill %s; data %s; validation: 1 in %d images of each source, %d×%d centre crops, whole-image PSNR, IDW on the same masks",
		model, strings.Join(aug, ", "), o.Batch, o.Steps, lr, o.Seed, prefill, strings.Join(o.Data, ", "), o.ValEvery, o.ValSize, o.ValSize)
}

// Markdown returns the report as Markdown: a heading, the base recipe and
// a table per group.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Experiment\n\nBase: %s.\n", r.Base)
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "\n## %s\n\n", t.Title)
		b.WriteString("| variant | steps | train images | val PSNR (dB) | IDW (dB) | Δ vs IDW (dB) | best (step) | wall time | note |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, row := range t.Rows {
			best := "—"
			if row.BestStep > 0 {
				best = fmt.Sprintf("%.3f (%d)", row.BestPSNR, row.BestStep)
			}
			wt := "—"
			if row.WallSeconds > 0 {
				wt = (time.Duration(row.WallSeconds) * time.Second).String()
			}
			fmt.Fprintf(&b, "| %s | %d | %d | %.3f | %.3f | %+.3f | %s | %s | %s |\n",
				row.Variant, row.Steps, row.TrainImages, row.PSNR, row.IDW, row.Delta, best, wt, row.Note)
		}
	}
	return b.String()
}

// WriteCSV writes every row with its group, one header line first.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "variant", "dir", "steps", "train_images", "val_images", "val_psnr", "val_psnr_idw",
		"delta_vs_idw", "best_val_psnr", "best_step", "wall_s", "note"})
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	opt := func(s string, v float64) string { // empty for "none"
		if v == 0 {
			return ""
		}
		return s
	}
	for _, t := range r.Tables {
		for _, row := range t.Rows {
			cw.Write([]string{t.Group, row.Variant, row.Dir, strconv.Itoa(row.Steps), strconv.Itoa(row.TrainImages),
				strconv.Itoa(row.ValImages), f(row.PSNR), f(row.IDW), f(row.Delta),
				opt(f(row.BestPSNR), row.BestPSNR), opt(strconv.Itoa(row.BestStep), float64(row.BestStep)),
				opt(strconv.FormatFloat(row.WallSeconds, 'f', 1, 64), row.WallSeconds), row.Note})
		}
	}
	cw.Flush()
	return cw.Error()
}

// Write writes results.md, results.csv and results.json into dir,
// each atomically.
func (r *Report) Write(dir string) error {
	md := r.Markdown()
	for name, fill := range map[string]func(io.Writer) error{
		ResultsMarkdown: func(w io.Writer) error { _, err := io.WriteString(w, md); return err },
		ResultsCSV:      r.WriteCSV,
	} {
		if err := atomicfile.Write(filepath.Join(dir, name), fill); err != nil {
			return fmt.Errorf("train: experiment: %w", err)
		}
	}
	return writeJSON(filepath.Join(dir, ResultsJSON), r)
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	}); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return nil
}
