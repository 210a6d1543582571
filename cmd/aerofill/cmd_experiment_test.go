package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/train"
)

// tinyExperimentConfig is an experiment of 2-step runs of a tiny model.
const tinyExperimentConfig = `{
  "base": {"config": {"InChannels": 4, "OutChannels": 3, "NGF": 8, "Downsamplings": 2, "Blocks": 1, "Ratio": 0.75, "Residual": true},
           "augment": {"Crop": 32, "ScaleMin": 1, "ScaleMax": 1, "FlipH": true, "FlipV": true},
           "batch": 2, "steps": 2, "val_every": 3, "val_size": 32, "checkpoint_every": 1, "validate_every": 1},
  "lr": [0.001, 0.002], "augment": ["crop"], "kfold": 2
}`

func TestExperimentCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 8; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
		for y := 0; y < 40; y++ {
			for x := 0; x < 40; x++ {
				img.Set(x, y, color.NRGBA{uint8(x * 6), uint8(y * 6), uint8((x + y + i*9) % 256), 255})
			}
		}
		writePNG(t, filepath.Join(data, fmt.Sprintf("s_%04d.png", i)), img)
	}
	cfg := filepath.Join(dir, "exp.json")
	if err := os.WriteFile(cfg, []byte(tinyExperimentConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI("experiment", "--config", cfg, "--out", out, "--threads", "1", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"## Learning rate", "| lr 0.002 | 2 |", "## Augmentation", "| crop | 2 |",
		"| ensemble(2) of the folds | 4 |", "| single run, 2× steps | 4 |", "results.md"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, train.ResultsMarkdown))
	if err != nil || !strings.HasPrefix(stdout, string(md)) {
		t.Errorf("results.md (%v) is not what was printed:\n%s", err, md)
	}
	// Again, with the data given by another path to the same folder: every
	// run is finished, and the tables are the same.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	code, stdout2, stderr := runCLI("experiment", "--config", cfg, "--out", out, "data")
	if code != 0 || stdout2[:strings.LastIndex(stdout2, "\n\n")] != stdout[:strings.LastIndex(stdout, "\n\n")] {
		t.Errorf("second run: exit %d, %s\n%s", code, stderr, stdout2)
	}
}

func TestExperimentCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"lr": [0.01], "kfold": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--config", bad, "--out", dir, dir}, 1, "kfold 1"},
		{[]string{"--config", filepath.Join(dir, "missing.json"), "--out", dir, dir}, 1, "missing.json"},
		{[]string{"--small", "--config", bad, "--out", dir}, 2, "alternatives"},
		{[]string{"--small", dir}, 2, "need --out"},
		{[]string{"--small", "--lr", "fast", "--out", dir}, 2, `"fast" is not a number`},
		{[]string{"--small", "--augment", "blur", "--out", filepath.Join(dir, "x"), dir}, 1, `augmentation "blur"`},
		{[]string{"--small", "--out", dir}, 2, "no data"},
	} {
		code, _, stderr := runCLI(append([]string{"experiment"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit %d and one line containing %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	// --print-config writes settings that read back.
	code, stdout, _ := runCLI("experiment", "--small", "--kfold", "0", "--print-config", dir)
	e, err := train.ParseExperiment([]byte(stdout))
	if code != 0 || err != nil || e.KFold != 0 || e.Base.Steps != train.SmallExperiment().Base.Steps || len(e.Base.Data) != 1 {
		t.Errorf("--print-config: exit %d, %v, %+v", code, err, e)
	}
}
