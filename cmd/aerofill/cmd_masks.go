package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/aerofill/aerofill/internal/atomicfile"
	"github.com/aerofill/aerofill/mask"
)

func init() {
	commands["masks"] = command{"generate damage masks (lines, strokes, boxes, stripes)", cmdMasks}
}

const masksUsage = "aerofill masks generate --family F [--count N] [--size WxH] [--seed S] [--min C --max C] --out DIR"

func cmdMasks(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "generate" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(stdout, "Usage: %s\n", masksUsage)
			return nil
		}
		return usagef("usage: %s", masksUsage)
	}
	fs := newFlags("masks generate", masksUsage)
	family := fs.String("family", "lines", "mask family: lines, strokes, boxes, stripes")
	count := fs.Int("count", 10, "masks to write")
	size := fs.String("size", "256x256", "mask size WxH")
	seed := fs.Uint64("seed", 1, "first seed; mask i uses seed+i")
	minCov := fs.Float64("min", -1, "minimum coverage (fraction of pixels), default per family")
	maxCov := fs.Float64("max", -1, "maximum coverage, default per family")
	out := fs.String("out", "", "output folder")
	rest, err := parseFlags(fs, masksUsage, args[1:], stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *out == "" || *count < 1 {
		return usagef("usage: %s", masksUsage)
	}
	fam, err := mask.ParseFamily(*family)
	if err != nil {
		return usagef("%v", err)
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 1 || h < 1 {
		return usagef("--size %q: want WxH", *size)
	}
	cov := mask.DefaultCoverage(fam)
	if *minCov >= 0 {
		cov.Min = *minCov
	}
	if *maxCov >= 0 {
		cov.Max = *maxCov
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for i := 0; i < *count; i++ {
		m, err := mask.Generate(fam, w, h, *seed+uint64(i), cov)
		if err != nil {
			return err
		}
		p := filepath.Join(*out, fmt.Sprintf("%s_%06d.png", fam, *seed+uint64(i)))
		if err := atomicfile.Write(p, func(w io.Writer) error { return png.Encode(w, m) }); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	fmt.Fprintf(stdout, "%d %s masks (%dx%d, coverage %.2f–%.2f) in %s\n", *count, fam, w, h, cov.Min, cov.Max, *out)
	return nil
}
