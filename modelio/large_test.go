package modelio

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/shared"
)

// TestLargeExport has the PyTorch peer export a random big-lama generator
// (18 blocks, 51 M parameters, 204 MB) as .ckpt and .safetensors and
// requires the two to load with the same tensors, bit for bit. (The oracle
// tests cover bare .pt files.)
func TestLargeExport(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 400 MB with PyTorch")
	}
	script := shared.Path(t, "tools", "torch_lama.py")
	if err := exec.Command(peerPython, "-c", "import torch").Run(); err != nil {
		t.Skipf("%s with torch is not available: %v", peerPython, err)
	}
	dir := t.TempDir()
	load := func(ext string) *File {
		t.Helper()
		path := filepath.Join(dir, "big"+ext)
		out, err := exec.Command(peerPython, script, "export", "--out", path, "--blocks", "18", "--seed", "3").CombinedOutput()
		if err != nil {
			t.Fatalf("export: %v\n%s", err, out)
		}
		start := time.Now()
		f, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		t.Logf("%s: %d tensors, %.0f MB, loaded in %v", ext, len(f.Names), float64(fi.Size())/1e6, time.Since(start))
		os.Remove(path)
		return f
	}
	ref := load(".safetensors")
	var params int
	for _, x := range ref.Tensors {
		if x.DType == F32 {
			params += x.NumElements()
		}
	}
	if params < 50e6 {
		t.Fatalf("only %d float parameters", params)
	}
	for _, ext := range []string{".ckpt"} {
		f := load(ext)
		got := f.Tensors
		if ext == ".ckpt" {
			if f.Format != FormatLightning {
				t.Errorf("%s: format %s", ext, f.Format)
			}
			got = StripPrefix(f, "generator.")
		}
		if len(got) != len(ref.Tensors) {
			t.Errorf("%s: %d tensors, safetensors has %d", ext, len(got), len(ref.Tensors))
		}
		for name, want := range ref.Tensors {
			g := got[name]
			if g == nil || g.DType != want.DType || !slices.Equal(g.Shape, want.Shape) || !bytes.Equal(g.Data, want.Data) {
				t.Errorf("%s: tensor %s differs from the safetensors export", ext, name)
			}
		}
	}
}

// BenchmarkLoad loads the model file named by $MODELIO_BENCH_FILE, e.g. one
// written by torch_lama.py export (see NOTES.md for the PyTorch side).
func BenchmarkLoad(b *testing.B) {
	path := os.Getenv("MODELIO_BENCH_FILE")
	if path == "" {
		b.Skip("set MODELIO_BENCH_FILE to a model file")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
