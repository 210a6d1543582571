package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/models"
)

func TestModelAverage(t *testing.T) {
	dir := t.TempDir()
	def, err := models.Default()
	if err != nil {
		t.Fatal(err)
	}
	// A second model: the default with every weight doubled.
	twice := &lama.Weights{Config: def.Config, Params: map[string]*lama.Param{}, Meta: def.Meta}
	for name, p := range def.Params {
		d := make([]float32, len(p.Data))
		for i, v := range p.Data {
			d[i] = 2 * v
		}
		twice.Params[name] = &lama.Param{Shape: p.Shape, Data: d}
	}
	a, b := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.safetensors")
	if err := saveWeights(a, def, false); err != nil {
		t.Fatal(err)
	}
	if err := saveWeights(b, twice, false); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "avg.safetensors")
	if code, _, stderr := runCLI("model", "average", out, a, b); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	avg, err := lama.LoadWeights(out)
	if err != nil {
		t.Fatal(err)
	}
	if avg.Config != def.Config || avg.Prefill() != def.Prefill() {
		t.Fatalf("average is %v pre-filled by %q, want %v by %q", avg.Config, avg.Prefill(), def.Config, def.Prefill())
	}
	for name, p := range avg.Params {
		for i, v := range p.Data {
			if want := 1.5 * def.Params[name].Data[i]; v != want {
				t.Fatalf("%s[%d] = %v, want %v", name, i, v, want)
			}
		}
	}

	// Bad inputs: one line naming the file, exit 1 (2 for usage), no output.
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "none.safetensors")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"model", "average", out2, a}, 2, "usage"},
		{[]string{"model", "average", out2, a, bad}, 1, bad},
		{[]string{"model", "average", out2, a, filepath.Join(dir, "missing")}, 1, "missing"},
	} {
		code, _, stderr := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line containing %q", tc.args[1:], code, stderr, tc.code, tc.want)
		}
		if _, err := os.Stat(out2); err == nil {
			t.Errorf("%v: wrote %s", tc.args[1:], out2)
		}
	}
}
