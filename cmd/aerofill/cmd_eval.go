package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aerofill/aerofill/eval"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/train"
)

func init() {
	commands["eval"] = command{"rank methods by PSNR/SSIM on a set of images; writes a leaderboard and an HTML report", cmdEval}
}

const evalUsage = "aerofill eval --methods M1,M2,... (--images DIR | --damaged DIR --truth DIR [--masks DIR]) [--families lines,strokes,...] [--tta 1,8] [--masks-per-image N] [--holdout K] [--limit N] [--out DIR]"

func cmdEval(args []string, stdout io.Writer) error {
	fs := newFlags("eval", evalUsage)
	methodsFlag := fs.String("methods", "telea,ns,idw", "comma-separated methods: fillers (telea, ns, idw), checkpoints, default")
	images := fs.String("images", "", "folder of clean images to damage with generated masks")
	damaged := fs.String("damaged", "", "folder of damaged images (with --truth)")
	truth := fs.String("truth", "", "folder of undamaged images named like the damaged ones")
	masks := fs.String("masks", "", "folder of masks named like the damaged images (default: black pixels)")
	families := fs.String("families", "lines,strokes,boxes,stripes", "mask families to generate, each applied to every image")
	ttaFlag := fs.String("tta", "1", "TTA sizes to evaluate models with, e.g. 1,8 (fillers run once)")
	limit := fs.Int("limit", 0, "use only the first N images (0: all)")
	holdout := fs.Int("holdout", 0, "use only the images 'aerofill train --val-every K' holds out for validation (every K-th of each source); 0: all")
	seed := fs.Uint64("seed", 1, "mask seed")
	perImage := fs.Int("masks-per-image", 1, "masks of each family per image (more cases for paired comparisons)")
	workers := fs.Int("workers", 0, "images in flight (0: one per core)")
	samples := fs.Int("samples", 6, "cases shown as pictures in the report")
	out := fs.String("out", "eval-report", "report folder")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	rest, err := parseFlags(fs, evalUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 || (*images == "") == (*damaged == "") || (*damaged != "" && *truth == "") {
		return usagef("give --images, or --damaged with --truth (usage: %s)", evalUsage)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	var ttas []int
	for _, s := range strings.Split(*ttaFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || !restore.ValidTTA(n) {
			return usagef("--tta %q: sizes must be 1, 2, 4 or 8", *ttaFlag)
		}
		ttas = append(ttas, n)
	}
	var methods []restore.Method
	var names []string
	for _, spec := range strings.Split(*methodsFlag, ",") {
		m, err := restore.Open(strings.TrimSpace(spec))
		if err != nil {
			return err
		}
		variants := []restore.Method{m}
		if _, isModel := m.(*restore.Model); isModel {
			variants = variants[:0]
			for _, n := range ttas {
				variants = append(variants, restore.TTA{M: m, N: n})
			}
		}
		for _, v := range variants {
			methods = append(methods, v)
			names = append(names, v.Name())
		}
	}
	var cases []eval.Case
	source := *images
	if *images != "" {
		files, err := eval.ListImages(*images)
		if err != nil {
			return err
		}
		if *holdout > 0 {
			if _, files = train.Split(files, *holdout); len(files) == 0 {
				return fmt.Errorf("%s: no source has %d images, so none is held out", *images, *holdout)
			}
		}
		if *limit > 0 && len(files) > *limit {
			files = files[:*limit]
		}
		var fams []mask.Family
		for _, s := range strings.Split(*families, ",") {
			f, err := mask.ParseFamily(strings.TrimSpace(s))
			if err != nil {
				return usagef("%v", err)
			}
			fams = append(fams, f)
		}
		cases = eval.CleanCases(files, fams, *seed, *perImage)
	} else {
		source = *damaged
		if cases, err = eval.GivenCases(*damaged, *masks, *truth); err != nil {
			return err
		}
		if *limit > 0 && len(cases) > *limit {
			cases = cases[:*limit]
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	bar := newProgress(os.Stderr, "eval")
	var mu sync.Mutex
	var examples []eval.Example
	start := time.Now()
	rows, err := eval.Run(ctx, cases, methods, eval.Options{
		Workers:  *workers,
		Decode:   decodeImage,
		Samples:  *samples,
		Progress: bar.update,
		Keep: func(_ eval.Case, ex eval.Example) {
			mu.Lock()
			examples = append(examples, ex)
			mu.Unlock()
		},
	})
	bar.finish()
	if err != nil {
		return err
	}
	meta := eval.Meta{Title: "aerofill evaluation", Source: source, Cases: len(cases), Methods: names,
		Duration: time.Since(start).Round(time.Millisecond), Command: "aerofill eval " + strings.Join(args, " ")}
	if err := eval.WriteReport(*out, meta, rows, examples); err != nil {
		return err
	}
	board := eval.Leaderboard(rows)
	if err := eval.Markdown(stdout, meta, board, eval.Paired(board, rows)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nreport: %s/report.html (and leaderboard.md, leaderboard.csv, results.csv, results.json)\n", *out)
	return nil
}
