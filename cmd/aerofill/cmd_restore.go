package main

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aerofill/aerofill/internal/atomicfile"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/tensor"
)

func init() {
	commands["restore"] = command{"restore damaged images (PNG, JPEG, TIFF in; PNG out)", cmdRestore}
}

const restoreUsage = "aerofill restore [--model M] [--mask PATH] [--out PATH] [--threads T] INPUT..."

func cmdRestore(args []string, stdout io.Writer) error {
	fs := newFlags("restore", restoreUsage)
	model := fs.String("model", "", "checkpoint file (.ckpt, .pt, .pth, .safetensors) or built-in name: default, telea, ns, idw")
	maskPath := fs.String("mask", "", "mask image (white = damaged) or a folder of masks named like the inputs; default: pure-black pixels are damaged")
	out := fs.String("out", "", "output PNG (one input) or folder (several inputs); default: INPUT_restored.png beside the input")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	inputs, err := parseFlags(fs, restoreUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(inputs) == 0 {
		return usagef("no input images (usage: %s)", restoreUsage)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	outDir := ""
	if *out != "" {
		st, err := os.Stat(*out)
		switch {
		case err == nil && st.IsDir():
			outDir = *out
		case len(inputs) > 1 || strings.HasSuffix(*out, "/"):
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
	failed := 0
	for _, in := range inputs {
		dst := *out
		switch {
		case outDir != "":
			dst = filepath.Join(outDir, stem(in)+".png")
		case dst == "":
			dst = strings.TrimSuffix(in, filepath.Ext(in)) + "_restored.png"
		}
		start := time.Now()
		holes, err := restoreFile(method, in, *maskPath, dst)
		if err != nil {
			if len(inputs) == 1 {
				return err
			}
			fmt.Fprintf(os.Stderr, "aerofill: restore: %v\n", err)
			failed++
			continue
		}
		fmt.Fprintf(stdout, "%s → %s: %d pixels filled by %s in %.2fs\n", in, dst, holes, method.Name(), time.Since(start).Seconds())
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs failed", failed, len(inputs))
	}
	return nil
}

// restoreFile restores one image file into dst and returns the number of
// damaged pixels it filled.
func restoreFile(method restore.Method, in, maskSpec, dst string) (int, error) {
	img, err := decodeImage(in)
	if err != nil {
		return 0, err
	}
	x := restore.ImageTensor(img)
	var mask *tensor.Tensor
	holes := 0
	if maskSpec == "" {
		mask, holes = restore.BlackMask(x)
	} else {
		mp, err := maskFor(maskSpec, in)
		if err != nil {
			return 0, err
		}
		mimg, err := decodeImage(mp)
		if err != nil {
			return 0, err
		}
		mask, holes = restore.MaskTensor(mimg)
		if err := restore.CheckSizes(x, mask); err != nil {
			return 0, fmt.Errorf("%s: %w (mask %s)", in, err, mp)
		}
	}
	y := x
	if holes > 0 {
		if y, err = method.Restore(x, mask); err != nil {
			return 0, fmt.Errorf("%s: %w", in, err)
		}
	}
	res := restore.TensorImage(y, 0)
	err = atomicfile.Write(dst, func(w io.Writer) error {
		return (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(w, res)
	})
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", dst, err)
	}
	return holes, nil
}

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

func stem(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}
