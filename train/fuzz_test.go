package train

import (
	"os"
	"path/filepath"
	"testing"
)

// The checkpoint readers take files from disk, possibly damaged or not
// aerofill's: they must return errors, never panic.

func fuzzSeed(f *testing.F, write func(path string) error) {
	f.Helper()
	path := filepath.Join(f.TempDir(), "seed.safetensors")
	if err := write(path); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte{})
}

func FuzzLoadAdam(f *testing.F) {
	fuzzSeed(f, func(path string) error {
		a := NewAdam(1e-3)
		p := &Param{Name: "model.1.w", Data: []float32{1, 2}, Grad: []float32{0.5, -1}}
		if err := a.Update([]*Param{p}); err != nil {
			return err
		}
		return a.Save(path, map[string]string{MetaStep: "1"})
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		a, _, err := LoadAdam(path)
		if err != nil {
			return
		}
		for n, m := range a.M {
			if len(a.V[n]) != len(m) {
				t.Fatalf("%s: %d first and %d second moments accepted", n, len(m), len(a.V[n]))
			}
		}
	})
}

func FuzzLoadModel(f *testing.F) {
	fuzzSeed(f, func(path string) error {
		w, err := InitWeights(tinyConfig, 1)
		if err != nil {
			return err
		}
		m, err := NewModel(w)
		if err != nil {
			return err
		}
		return m.SaveModel(path, map[string]string{MetaPrefill: "idw"})
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "f.safetensors")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, _, err := LoadModel(path)
		if err != nil {
			return
		}
		if m.NumParams() == 0 {
			t.Fatal("a model without parameters loaded")
		}
	})
}
