package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/restore"
)

func init() {
	commands["restore"] = command{"restore damaged images and scenes (PNG, JPEG, TIFF/GeoTIFF; folders and globs)", cmdRestore}
}

const restoreUsage = "aerofill restore [--model M] [--mask PATH] [--out PATH] [--tta N] INPUT..."

func cmdRestore(args []string, stdout io.Writer) error {
	fs := newFlags("restore", restoreUsage)
	model := fs.String("model", "", "checkpoint file (.ckpt, .pt, .pth, .safetensors) or built-in name: default, telea, ns, idw")
	maskPath := fs.String("mask", "", "mask image (white = damaged), or a folder of masks named like the inputs")
	maskSource := fs.String("mask-source", "auto", "where damage comes from: auto (mask file, else nodata, else alpha, else black), black, nodata, alpha")
	out := fs.String("out", "", "output file (one input) or folder; default: INPUT_restored.png/.tif beside the input")
	tta := fs.Int("tta", 0, "test-time augmentation: 1, 2 (flip), 4 (flips), 8 (rotations × flip); 0: 8 for models (+0.14 dB on held-out line damage for 7.4× the time; BENCHMARKS.md), 1 for classical fillers")
	tile := fs.Int("tile", restore.DefaultTile, "tile side for large images")
	overlap := fs.Int("overlap", restore.DefaultOverlap, "overlap between tiles, blended")
	filled := fs.Bool("filled-mask", false, "also write OUTPUT.filled.tif marking the filled pixels (255)")
	compression := fs.String("compress", "deflate", "TIFF output compression: deflate, lzw, none")
	overwrite := fs.Bool("overwrite", false, "redo outputs that already exist (default: skip them)")
	jobs := fs.Int("jobs", 1, "files restored at once")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	inputs, err := parseFlags(fs, restoreUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return usagef("no input images (usage: %s)", restoreUsage)
	}
	if *tta != 0 && !restore.ValidTTA(*tta) {
		return usagef("--tta %d: want 1, 2, 4 or 8 (or 0 for the default)", *tta)
	}
	if *tile < 16 || *overlap < 0 || *overlap >= *tile {
		return usagef("--tile %d --overlap %d: need tile ≥ 16 and 0 ≤ overlap < tile", *tile, *overlap)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	files, err := expandInputs(inputs)
	if err != nil {
		return err
	}
	outDir := ""
	if *out != "" {
		st, err := os.Stat(*out)
		switch {
		case err == nil && st.IsDir():
			outDir = *out
		case len(files) > 1 || strings.HasSuffix(*out, "/") || len(inputs) > 1 || isDir(inputs[0]):
			if err := os.MkdirAll(*out, 0o755); err != nil {
				return err
			}
			outDir = *out
		}
	}
	method, err := restore.Open(*model)
	if err != nil {
		return err
	}
	if _, filler := method.(restore.Filler); *tta == 0 && !filler {
		*tta = restore.DefaultTTA
	}
	if *tta > 1 {
		method = restore.TTA{M: method, N: *tta}
	}
	// A model already uses every core for one tile; a classical filler
	// uses one, so its tiles run side by side.
	tileWorkers := 1
	if _, ok := method.(restore.Filler); ok {
		tileWorkers = runtime.GOMAXPROCS(0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	type job struct{ in, out string }
	var (
		todo     []job
		skipped  int
		failures []string
		claimed  = map[string]string{} // output path → the input writing it
	)
	for _, in := range files {
		dst := *out
		switch {
		case outDir != "":
			dst = filepath.Join(outDir, stem(in)+outputExt(in))
		case dst == "":
			dst = strings.TrimSuffix(in, filepath.Ext(in)) + "_restored" + outputExt(in)
		}
		// Two inputs (a.jpg and a.png, say) must not overwrite each
		// other's output in an --out folder.
		if prev, ok := claimed[filepath.Clean(dst)]; ok {
			failures = append(failures, fmt.Sprintf("%s: output %s is also %s's output", in, dst, prev))
			continue
		}
		claimed[filepath.Clean(dst)] = in
		if _, err := os.Stat(dst); err == nil && !*overwrite {
			skipped++
			continue
		}
		todo = append(todo, job{in, dst})
	}
	bar := newProgress(os.Stderr, "restore")
	quiet := len(todo) > 1
	var (
		mu          sync.Mutex
		done        int
		pixels      int64
		clean       int
		interrupted int
		restored    int
	)
	start := time.Now()
	err = restore.ForEach(ctx, len(todo), *jobs, func(i int) error {
		j := todo[i]
		opt := restore.SceneOptions{Method: method, Tile: *tile, Overlap: *overlap, Workers: tileWorkers, Mask: restore.MaskSource(*maskSource),
			Write: raster.WriteOptions{Compression: *compression}}
		if *filled {
			opt.FilledPath = strings.TrimSuffix(j.out, filepath.Ext(j.out)) + ".filled.tif"
		}
		if !quiet {
			// One scene: report its rows of tiles instead of files.
			rows := newProgress(os.Stderr, "restore "+filepath.Base(j.in))
			opt.Progress = rows.update
			defer rows.finish()
		}
		var ferr error
		if *maskPath != "" {
			opt.MaskPath, ferr = maskFor(*maskPath, j.in)
			if opt.Mask == restore.MaskAuto {
				opt.Mask = restore.MaskFile
			}
		}
		var st restore.SceneStats
		if ferr == nil {
			st, ferr = restore.RestoreScene(ctx, j.in, j.out, opt)
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		switch {
		case errors.Is(ferr, restore.ErrNoDamage):
			clean++
			if !quiet {
				fmt.Fprintf(stdout, "%s: no damaged pixels (mask: %s); nothing written\n", j.in, st.Mask)
			}
		case ferr != nil && ctx.Err() != nil && errors.Is(ferr, ctx.Err()):
			interrupted++
		case ferr != nil:
			failures = append(failures, nameInput(j.in, ferr))
		default:
			restored++
			pixels += st.Filled
			if !quiet {
				left := ""
				if st.Unfilled > 0 {
					left = fmt.Sprintf(", %d left as they were (beyond the filler's reach)", st.Unfilled)
				}
				fmt.Fprintf(stdout, "%s → %s: %d pixels filled%s (mask: %s) by %s in %.2fs\n", j.in, j.out, st.Filled, left, st.Mask, method.Name(), st.Duration.Seconds())
			}
		}
		if quiet {
			bar.update(done, len(todo))
		}
		return nil // a file's failure is reported, not a reason to stop the batch
	})
	bar.finish()
	notStarted := len(todo) - done
	if err == nil && len(files) == 1 && len(failures) == 1 {
		return errors.New(failures[0])
	}
	if quiet || skipped > 0 || len(failures) > 0 || err != nil {
		fmt.Fprintf(stdout, "restored %d of %d files (%d skipped as existing, %d without damage, %d failed", restored,
			len(files), skipped, clean, len(failures))
		if err != nil {
			fmt.Fprintf(stdout, ", %d interrupted, %d not started", interrupted, notStarted)
		}
		fmt.Fprintf(stdout, "): %d pixels filled in %s\n", pixels, time.Since(start).Round(time.Millisecond))
		for _, f := range failures {
			fmt.Fprintf(stdout, "  failed: %s\n", f)
		}
	}
	if err != nil {
		return fmt.Errorf("interrupted (%v): %d of %d files not done, no partial outputs left", err, interrupted+notStarted, len(todo))
	}
	if len(failures) > 0 {
		return fmt.Errorf("%d of %d inputs failed", len(failures), len(files))
	}
	return nil
}

// nameInput makes a failure's line name the input as the user gave it
// (library errors name files by their base names).
func nameInput(in string, err error) string {
	msg := oneLine(err)
	if strings.Contains(msg, in) {
		return msg
	}
	return in + ": " + msg
}

// outputExt keeps TIFF inputs TIFF (georeferencing and bands survive) and
// writes everything else as lossless PNG.
func outputExt(in string) string {
	switch strings.ToLower(filepath.Ext(in)) {
	case ".tif", ".tiff":
		return ".tif"
	}
	return ".png"
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// expandInputs turns files, folders (their images, not recursive) and
// glob patterns into a sorted list of files. Folders and patterns leave
// out what restore itself writes beside inputs (NAME_restored.*,
// NAME.filled.tif), so that running a batch twice does not restore its
// own outputs; files named one by one are always taken.
func expandInputs(args []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, a := range args {
		if strings.ContainsAny(a, "*?[") {
			matches, err := filepath.Glob(a)
			if err != nil {
				return nil, usagef("bad pattern %q: %v", a, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: no files match", a)
			}
			sort.Strings(matches)
			for _, m := range matches {
				if !isDir(m) && !isOutput(m) {
					add(m)
				}
			}
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			add(a)
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range ents {
			switch strings.ToLower(filepath.Ext(e.Name())) {
			case ".png", ".jpg", ".jpeg", ".tif", ".tiff":
				if !e.IsDir() && !isOutput(e.Name()) {
					add(filepath.Join(a, e.Name()))
					n++
				}
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("%s: no PNG, JPEG or TIFF images", a)
		}
	}
	return files, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// maskFor resolves --mask for one input: a file is used for every input;
// in a folder, the mask is the file with the input's name, or its stem
// with any image extension (optionally suffixed _mask).
func maskFor(spec, input string) (string, error) {
	st, err := os.Stat(spec)
	if err != nil {
		return "", fmt.Errorf("mask %s: %w", spec, err)
	}
	if !st.IsDir() {
		return spec, nil
	}
	s := stem(input)
	cands := []string{filepath.Base(input)}
	for _, suffix := range []string{"", "_mask", ".mask"} {
		for _, ext := range []string{".png", ".tif", ".tiff", ".jpg", ".jpeg", ".PNG", ".TIF"} {
			cands = append(cands, s+suffix+ext)
		}
	}
	for _, c := range cands {
		p := filepath.Join(spec, c)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: no mask named like it in %s (tried %s, %s_mask.png, …)", input, spec, filepath.Base(input), s)
}

// isOutput reports whether a file name is one restore writes beside its
// input: NAME_restored.EXT or a --filled-mask sidecar NAME.filled.tif.
func isOutput(name string) bool {
	s := stem(name)
	return strings.HasSuffix(s, "_restored") || strings.HasSuffix(s, ".filled")
}

func stem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}
