package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aerofill/aerofill/train"
)

func init() {
	commands["experiment"] = command{"train variants of a recipe (lr, augmentation, k-fold ensemble) and tabulate validation PSNR", cmdExperiment}
}

const experimentUsage = `aerofill experiment --out DIR [--config FILE | --small] [flags] [DATA...]

Trains one run per variant of a base recipe (train's defaults, the config
file's "base", or --small's) in DIR/<variant>, scores each run's final
model on the base's validation set (the held-out images and masks train
validates on; IDW on the same masks), and writes DIR/results.md,
results.csv and results.json. Running the same command again skips the
finished runs and resumes an interrupted one.

Variants (each a change of the base recipe):
  lr        one run per learning rate (lr_after keeps the base's ratio to lr)
  augment   flips   random flips (crops are always cut at random positions)
            crop    + crops rescaled by a random factor in [0.75, 1.33]
            resize  + that range widened to [0.375, 1.33]: each image as if first
                    resized by a random factor in [0.5, 1]; train's --resize is
                    not used (it is fixed, and shrinks the validation images too)
            rotate  + random rotations by multiples of 90°
  kfold k   k runs, each without one k-th of the training images (member i
            seeded seed+i), their final models averaged, against one run on
            all the training images of k× the steps

--small: ngf 16, 2 downsamplings, 2 blocks, 64×64 crops, batch 4, 300 steps
a run at a constant lr 1e-3; lr 1e-2,5e-3,1e-3,1e-4, every augmentation,
kfold 3 (about 7 minutes on one core).
Config file: {"base": {options as in a run's options.json}, "lr": [...],
"augment": [...], "kfold": k}; --print-config writes the effective one.`

func cmdExperiment(args []string, stdout io.Writer) error {
	fs := newFlags("experiment", experimentUsage)
	out := fs.String("out", "", "experiment directory: a run directory per variant and the results")
	config := fs.String("config", "", "experiment settings (JSON)")
	small := fs.Bool("small", false, "the small preset, sized for a 2-core machine")
	lrs := fs.String("lr", "", "learning rates to sweep, comma-separated, or none (default: the config's, else 1e-2,5e-3,1e-3,1e-4)")
	augs := fs.String("augment", "", "augmentation variants, comma-separated (flips, crop, resize, rotate), or none (default: the config's, else all)")
	kfold := fs.Int("kfold", 0, "folds of the ensemble, 0 for none (default: the config's, else 3)")
	steps := fs.Int("steps", 0, "steps of each run (the single run of the k-fold comparison does k times as many)")
	seed := fs.Uint64("seed", 0, "base seed")
	validateEvery := fs.Int("validate-every", 0, "steps between validations")
	printConfig := fs.Bool("print-config", false, "print the effective settings as a config file and exit")
	workers := fs.Int("workers", 1, "goroutines preparing batches")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	data, err := parseFlags(fs, experimentUsage, args, stdout)
	if err != nil {
		return err
	}
	trainingGC()
	if err := setThreads(*threads); err != nil {
		return err
	}
	set := explicitFlags(fs)

	var e train.Experiment
	switch {
	case *small && *config != "":
		return usagef("--small and --config are alternatives")
	case *small:
		e = train.SmallExperiment()
	case *config != "":
		if e, err = train.ReadExperiment(*config); err != nil {
			return err
		}
	default:
		e = train.DefaultExperiment()
	}
	if set["lr"] {
		if e.LR, err = parseFloats(*lrs); err != nil {
			return usagef("--lr: %v", err)
		}
	}
	if set["augment"] {
		e.Augment = nil
		if *augs != "none" {
			for _, a := range strings.Split(*augs, ",") {
				e.Augment = append(e.Augment, strings.TrimSpace(a))
			}
		}
	}
	if set["kfold"] {
		e.KFold = *kfold
	}
	if set["steps"] {
		e.Base.Steps = *steps
	}
	if set["seed"] {
		e.Base.Seed = *seed
	}
	if set["validate-every"] {
		e.Base.ValidateEvery = *validateEvery
	}
	if len(data) > 0 {
		e.Base.Data = data
	}
	// Absolute paths, so that the runs' recorded options match whichever
	// directory the command is run again from.
	for i, d := range e.Base.Data {
		if e.Base.Data[i], err = filepath.Abs(d); err != nil {
			return err
		}
	}
	if *printConfig {
		b, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	if *out == "" {
		return usagef("need --out DIR (usage: aerofill experiment --out DIR [--config FILE | --small] [DATA...])")
	}
	if len(e.Base.Data) == 0 {
		return usagef("no data: give folders of clean images, or \"data\" in the config's base")
	}
	e.Out = *out
	e.Base.Workers = max(1, *workers)

	var p *trainProgress
	e.Progress = func(s train.Status) {
		if !p.tty {
			s.Logged = s.Logged && s.Val != nil // plain output: a line per validation, not per log step
		}
		p.update(s)
	}
	e.Notify = func(ev train.Event) {
		prefix := ev.Variant.Name
		if ev.Index > 0 {
			prefix = fmt.Sprintf("[%d/%d] %s", ev.Index, ev.Total, ev.Variant.Name)
		}
		switch ev.Kind {
		case "start":
			p = newTrainProgress(os.Stderr)
			if ev.Index > 0 {
				fmt.Fprintf(os.Stderr, "%s: training in %s\n", prefix, ev.Variant.Options.Out)
			} else {
				fmt.Fprintf(os.Stderr, "%s: scoring\n", prefix)
			}
		case "done", "ensemble":
			p.finish()
			fmt.Fprintf(os.Stderr, "%s: %s\n", prefix, rowSummary(ev.Row))
		case "skip":
			fmt.Fprintf(os.Stderr, "%s: finished earlier: %s\n", prefix, rowSummary(ev.Row))
		case "same":
			fmt.Fprintf(os.Stderr, "%s: %s\n", prefix, ev.Row.Note)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	rep, err := e.Run(ctx)
	if p != nil {
		p.finish()
	}
	if errors.Is(err, train.ErrInterrupted) {
		return fmt.Errorf("%v; run the same command again to continue", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.Markdown())
	fmt.Fprintf(stdout, "\n%s/{%s,%s,%s} written in %s\n", e.Out, train.ResultsMarkdown, train.ResultsCSV, train.ResultsJSON,
		time.Since(start).Round(time.Second))
	return nil
}

// rowSummary is one result in words.
func rowSummary(r *train.Row) string {
	s := fmt.Sprintf("%.2f dB after %d steps (IDW %.2f dB, %+.2f dB)", r.PSNR, r.Steps, r.IDW, r.Delta)
	if r.WallSeconds > 0 {
		s += fmt.Sprintf(", %s", (time.Duration(r.WallSeconds) * time.Second).String())
	}
	return s
}

// parseFloats reads "1e-2,5e-3" ("none": an empty list).
func parseFloats(s string) ([]float64, error) {
	if s == "none" {
		return nil, nil
	}
	var out []float64
	for _, part := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", part)
		}
		out = append(out, v)
	}
	return out, nil
}
