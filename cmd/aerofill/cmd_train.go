package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/train"
)

func init() {
	commands["train"] = command{"train a LaMa generator on folders of clean images", cmdTrain}
}

const trainUsage = "aerofill train --out DIR [flags] DATA... | aerofill train --resume DIR [--steps N]"

func cmdTrain(args []string, stdout io.Writer) error {
	def := train.DefaultOptions()
	fs := newFlags("train", trainUsage)
	out := fs.String("out", "", "run directory: checkpoints, model.safetensors, best.safetensors, log.jsonl, options.json")
	resume := fs.String("resume", "", "continue the run in this directory from its latest checkpoint")
	initPath := fs.String("init", "", "start from this checkpoint (any format aerofill loads) instead of a new model")
	ngf := fs.Int("ngf", def.Config.NGF, "new model: channels after the stem")
	down := fs.Int("downsamplings", def.Config.Downsamplings, "new model: stride-2 layers")
	blocks := fs.Int("blocks", def.Config.Blocks, "new model: FFC ResNet blocks")
	ratio := fs.Float64("ratio", def.Config.Ratio, "new model: global share of the bottleneck channels")
	lfu := fs.Bool("lfu", def.Config.LFU, "new model: local Fourier units (square crops whose bottleneck side is even)")
	output := fs.String("output", "residual", "new model: residual (the network corrects the pre-filled hole; starts at the filler's accuracy) or sigmoid (LaMa's: it paints the hole itself)")
	steps := fs.Int("steps", def.Steps, "total training steps")
	batch := fs.Int("batch", def.Batch, "images per step")
	crop := fs.Int("crop", def.Augment.Crop, "side of the square training crops")
	scaleMin := fs.Float64("scale-min", def.Augment.ScaleMin, "smallest random rescale of a crop")
	scaleMax := fs.Float64("scale-max", def.Augment.ScaleMax, "largest random rescale of a crop")
	resize := fs.Float64("resize", def.Resize, "rescale every image by this factor when loading")
	noFlip := fs.Bool("no-flip", false, "no random horizontal and vertical flips")
	rotate := fs.Bool("rotate", def.Augment.Rotate, "random rotations by multiples of 90°")
	masks := fs.String("masks", formatMix(def.Masks), "damage families and weights, e.g. lines:0.5,strokes:0.2,boxes:0.15,stripes:0.15")
	prefill := fs.String("prefill", def.Prefill, "classical filler the holes are filled with before the network (idw, telea, ns, with options), or none")
	lr := fs.Float64("lr", def.LR, "learning rate")
	lrDrop := fs.Int("lr-drop-step", def.LRDropStep, "step after which the learning rate becomes --lr-after (0: never)")
	lrAfter := fs.Float64("lr-after", def.LRAfter, "learning rate after --lr-drop-step")
	seed := fs.Uint64("seed", def.Seed, "seed of the initial weights, image order, crops and masks")
	valEvery := fs.Int("val-every", def.ValEvery, "every k-th image of each source (by name) is for validation; 0: none")
	valSize := fs.Int("val-size", def.ValSize, "side of the centre crops validated on")
	ckptEvery := fs.Int("checkpoint-every", def.CheckpointEvery, "steps between checkpoints")
	validateEvery := fs.Int("validate-every", def.ValidateEvery, "steps between validations")
	logEvery := fs.Int("log-every", def.LogEvery, "steps between log lines")
	keep := fs.Int("keep", def.Keep, "checkpoints kept")
	workers := fs.Int("workers", 1, "goroutines preparing batches")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	data, err := parseFlags(fs, trainUsage, args, stdout)
	if err != nil {
		return err
	}
	trainingGC()
	if err := setThreads(*threads); err != nil {
		return err
	}
	set := explicitFlags(fs)

	var opt train.Options
	if *resume != "" {
		if len(data) > 0 || *out != "" || *initPath != "" {
			return usagef("--resume takes the run's own data and options; only --steps, intervals, --workers and --threads may change")
		}
		if opt, err = train.Resume(*resume); err != nil {
			return err
		}
		for name, v := range map[string]struct{ dst, src *int }{
			"steps": {&opt.Steps, steps}, "checkpoint-every": {&opt.CheckpointEvery, ckptEvery},
			"validate-every": {&opt.ValidateEvery, validateEvery}, "log-every": {&opt.LogEvery, logEvery}, "keep": {&opt.Keep, keep},
		} {
			if set[name] {
				*v.dst = *v.src
			}
		}
	} else {
		if *out == "" || len(data) == 0 {
			return usagef("need --out DIR and at least one data folder (usage: %s)", trainUsage)
		}
		if _, err := os.Stat(*out + "/latest.json"); err == nil {
			return usagef("%s already holds a run: continue it with --resume %s, or choose another --out", *out, *out)
		}
		mix, err := parseMix(*masks)
		if err != nil {
			return usagef("--masks: %v", err)
		}
		opt = def
		opt.Data, opt.Out, opt.Init = data, *out, *initPath
		opt.Config = lama.Config{InChannels: 4, OutChannels: 3, NGF: *ngf, Downsamplings: *down, Blocks: *blocks, Ratio: *ratio, LFU: *lfu}
		switch *output {
		case "residual":
			opt.Config.Residual = true
		case "sigmoid":
		default:
			return usagef("--output %q: want residual or sigmoid", *output)
		}
		if *initPath == "" {
			if err := opt.Config.Validate(); err != nil {
				return usagef("%v", err)
			}
		}
		opt.Steps, opt.Batch, opt.Resize, opt.Masks = *steps, *batch, *resize, mix
		opt.Augment = train.Augment{Crop: *crop, ScaleMin: *scaleMin, ScaleMax: *scaleMax, FlipH: !*noFlip, FlipV: !*noFlip, Rotate: *rotate}
		opt.Prefill = *prefill
		if strings.EqualFold(opt.Prefill, "none") {
			opt.Prefill = ""
		}
		opt.LR, opt.LRDropStep, opt.LRAfter, opt.Seed = *lr, *lrDrop, *lrAfter, *seed
		opt.ValEvery, opt.ValSize = *valEvery, *valSize
		opt.CheckpointEvery, opt.ValidateEvery, opt.LogEvery, opt.Keep = *ckptEvery, *validateEvery, *logEvery, *keep
	}
	opt.Workers = max(1, *workers)
	p := newTrainProgress(os.Stderr)
	opt.Progress = p.update

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	res, err := train.Run(ctx, opt)
	p.finish()
	if errors.Is(err, train.ErrInterrupted) && res != nil {
		return fmt.Errorf("interrupted at step %d; checkpoint %s (continue with: aerofill train --resume %s)", res.Step, res.Checkpoint, opt.Out)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %v (%d parameters) to step %d in %s on %d images (%d for validation)\n",
		res.Config, res.Params, res.Step, time.Since(start).Round(time.Second), res.TrainImages, res.ValImages)
	if res.Best != nil {
		fmt.Fprintf(stdout, "best validation: %.2f dB at step %d (IDW %.2f dB): %s/best.safetensors\n", res.Best.PSNR, res.Best.Step, res.Best.IDW, opt.Out)
	}
	fmt.Fprintf(stdout, "model: %s/model.safetensors (checkpoint %s)\n", opt.Out, res.Checkpoint)
	return nil
}

// parseMix reads "lines:0.5,strokes:0.2" (a bare family weighs 1).
func parseMix(s string) (mask.Mix, error) {
	mix := mask.Mix{}
	for _, part := range strings.Split(s, ",") {
		name, weight, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
		f, err := mask.ParseFamily(name)
		if err != nil {
			return nil, err
		}
		w := 1.0
		if hasWeight {
			if w, err = strconv.ParseFloat(weight, 64); err != nil || w < 0 {
				return nil, fmt.Errorf("weight %q of %s: want a number ≥ 0", weight, f)
			}
		}
		mix[f] = w
	}
	return mix, nil
}

// formatMix writes a mix the way parseMix reads it, in family order.
func formatMix(m mask.Mix) string {
	var parts []string
	for _, f := range mask.Families() {
		if w, ok := m[f]; ok {
			parts = append(parts, fmt.Sprintf("%s:%g", f, w))
		}
	}
	return strings.Join(parts, ",")
}

// trainProgress shows training progress: one line redrawn in place on a
// terminal, plain lines at every log step otherwise; validations and
// checkpoints always get their own line.
type trainProgress struct {
	w     io.Writer
	tty   bool
	drawn bool
}

func newTrainProgress(w io.Writer) *trainProgress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &trainProgress{w: w, tty: tty}
}

func (p *trainProgress) update(s train.Status) {
	line := fmt.Sprintf("step %d/%d  loss %.5f  lr %.0e  %.2f img/s  elapsed %s  ETA %s",
		s.Step, s.Steps, s.Loss, s.LR, s.ImagesPerSec, s.Elapsed.Round(time.Second), s.ETA.Round(time.Second))
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\033[K", line)
		p.drawn = true
	case s.Logged:
		fmt.Fprintln(p.w, line)
	}
	var notes []string
	if v := s.Val; v != nil {
		notes = append(notes, fmt.Sprintf("validation at step %d: %.2f dB (IDW %.2f dB, %+.2f dB) on %d images", v.Step, v.PSNR, v.IDW, v.PSNR-v.IDW, v.Images))
	}
	if s.Checkpoint != "" && (s.Val != nil || !p.tty) {
		notes = append(notes, "checkpoint "+s.Checkpoint)
	}
	for _, n := range notes {
		if p.drawn {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		fmt.Fprintln(p.w, n)
	}
}

func (p *trainProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
