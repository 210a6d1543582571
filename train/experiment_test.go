package train

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/restore"
)

func TestFold(t *testing.T) {
	files := []string{"d/a_0001.png", "d/a_0002.png", "d/a_0003.png", "d/a_0004.png", "d/a_0005.png",
		"d/b_0001.png", "d/b_0002.png", "d/c.png", "e/b_0003.png"}
	for _, tc := range []struct {
		k, i        int
		wantDropped []string
	}{
		{3, 0, []string{"d/a_0001.png", "d/a_0004.png", "d/b_0001.png", "d/c.png"}},
		{3, 1, []string{"d/a_0002.png", "d/a_0005.png", "d/b_0002.png"}},
		{3, 2, []string{"d/a_0003.png", "e/b_0003.png"}},
		{2, 1, []string{"d/a_0002.png", "d/a_0004.png", "d/b_0002.png"}},
		{1, 0, nil},
		{0, 0, nil},
	} {
		kept, dropped := Fold(files, tc.k, tc.i)
		if !reflect.DeepEqual(dropped, tc.wantDropped) {
			t.Errorf("k %d, i %d: dropped %v, want %v", tc.k, tc.i, dropped, tc.wantDropped)
		}
		all := append(append([]string(nil), kept...), dropped...)
		slices.Sort(all)
		want := append([]string(nil), files...)
		slices.Sort(want)
		if !reflect.DeepEqual(all, want) {
			t.Errorf("k %d, i %d: kept %v and dropped %v are not a partition", tc.k, tc.i, kept, dropped)
		}
		// The parts do not depend on the order the files come in.
		rev := slices.Clone(files)
		slices.Reverse(rev)
		if _, d := Fold(rev, tc.k, tc.i); !reflect.DeepEqual(d, tc.wantDropped) {
			t.Errorf("k %d, i %d, reversed input: dropped %v", tc.k, tc.i, d)
		}
	}
}

// TestRunFold trains a fold member: it sees the training images without
// its part, and validates on the same images as a run without folds.
func TestRunFold(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "a", 7, 32, 32)
	writeImages(t, data, "b", 5, 32, 32)
	files, _ := ListImages([]string{data})
	trainFiles, _ := Split(files, 3) // a: 5 training, 2 validation; b: 4 and 1
	for _, fold := range []int{0, 1, 2} {
		o := runOptions(data, filepath.Join(t.TempDir(), "run"))
		o.Steps, o.Folds, o.Fold = 1, 3, fold
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		kept, _ := Fold(trainFiles, 3, fold)
		if res.TrainImages != len(kept) || res.ValImages != 3 {
			t.Errorf("fold %d: %d training and %d validation images, want %d and 3", fold, res.TrainImages, res.ValImages, len(kept))
		}
	}
	for _, bad := range [][2]int{{1, 0}, {-1, 0}, {3, 3}, {3, -1}, {0, 1}} {
		o := runOptions(data, filepath.Join(t.TempDir(), "run"))
		o.Folds, o.Fold = bad[0], bad[1]
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("folds %d, fold %d accepted", bad[0], bad[1])
		}
	}
}

// tinyExperiment is an experiment of 2-step runs of the tiny model on
// dir's images.
func tinyExperiment(data, out string) Experiment {
	o := runOptions(data, "")
	o.Config.Residual = true
	o.Augment = Augment{Crop: 32, ScaleMin: 1, ScaleMax: 1, FlipH: true, FlipV: true}
	o.Steps, o.LRDropStep, o.CheckpointEvery, o.ValidateEvery = 2, 0, 1, 1
	return Experiment{Base: o, Out: out, LR: []float64{1e-3, 2e-3}, Augment: []string{"flips", "rotate"}, KFold: 2}
}

func writeExperimentImages(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	writeImages(t, data, "a", 7, 40, 40)
	writeImages(t, data, "b", 5, 48, 36)
	return data
}

// events records an experiment's notifications as "kind variant".
func events(e *Experiment) *[]string {
	var got []string
	e.Notify = func(ev Event) { got = append(got, ev.Kind+" "+ev.Variant.Name) }
	return &got
}

func TestExperiment(t *testing.T) {
	data := writeExperimentImages(t)
	out := filepath.Join(t.TempDir(), "exp")
	ctx := context.Background()
	e := tinyExperiment(data, out)
	got := events(&e)
	rep, err := e.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"start lr 0.001", "done lr 0.001", "start lr 0.002", "done lr 0.002",
		"same flips", "start rotate", "done rotate",
		"start fold 1/2", "done fold 1/2", "start fold 2/2", "done fold 2/2",
		"start single run, 2× steps", "done single run, 2× steps",
		"start ensemble(2)", "ensemble ensemble(2) of the folds"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("events\n%q\nwant\n%q", *got, want)
	}

	// The tables.
	var groups, variants []string
	for _, tb := range rep.Tables {
		groups = append(groups, tb.Group)
		for _, r := range tb.Rows {
			variants = append(variants, r.Variant)
		}
	}
	if !reflect.DeepEqual(groups, []string{GroupLR, GroupAugment, GroupKFold}) {
		t.Errorf("groups %v", groups)
	}
	wantRows := []string{"lr 0.001", "lr 0.002", "flips", "rotate", "fold 1/2", "fold 2/2", "mean of the folds",
		"ensemble(2) of the folds", "single run, 2× steps"}
	if !reflect.DeepEqual(variants, wantRows) {
		t.Fatalf("rows %q, want %q", variants, wantRows)
	}
	lr, aug, kf := rep.Tables[0].Rows, rep.Tables[1].Rows, rep.Tables[2].Rows
	// a: 7 images, b: 5; every 3rd of each source for validation: 9
	// training, 3 validation; fold 1/2 leaves out a 1, 3, 5 and b 1, 4.
	for _, r := range slices.Concat(lr, aug, kf) {
		if r.ValImages != 3 || r.PSNR <= 0 || r.IDW <= 0 || math.Abs(r.Delta-(r.PSNR-r.IDW)) > 1e-12 {
			t.Errorf("%s: %+v", r.Variant, r)
		}
		// Every variant is scored against the same baseline.
		if r.IDW != lr[0].IDW {
			t.Errorf("%s: IDW %v, another variant's %v", r.Variant, r.IDW, lr[0].IDW)
		}
	}
	if aug[0].Dir != lr[0].Dir || aug[0].PSNR != lr[0].PSNR || !strings.Contains(aug[0].Note, "lr 0.001") {
		t.Errorf("flips is not lr 0.001's run: %+v", aug[0])
	}
	if lr[0].Steps != 2 || lr[0].TrainImages != 9 || lr[0].WallSeconds <= 0 || lr[0].BestStep == 0 {
		t.Errorf("lr 0.001: %+v", lr[0])
	}
	if kf[0].TrainImages != 4 || kf[1].TrainImages != 5 || kf[4].TrainImages != 9 || kf[4].Steps != 4 {
		t.Errorf("folds %+v, %+v, single %+v", kf[0], kf[1], kf[4])
	}
	if ens := kf[3]; ens.Steps != 4 || ens.TrainImages != 9 || ens.IDW != kf[0].IDW {
		t.Errorf("ensemble %+v", ens)
	}
	if mean := kf[2]; math.Abs(mean.PSNR-(kf[0].PSNR+kf[1].PSNR)/2) > 1e-9 {
		t.Errorf("mean %+v of %v and %v", mean, kf[0].PSNR, kf[1].PSNR)
	}

	// The runs' recipes.
	for dir, check := range map[string]func(o Options) bool{
		"augment-rotate": func(o Options) bool {
			return o.Augment == Augment{Crop: 32, ScaleMin: 0.375, ScaleMax: 4.0 / 3, FlipH: true, FlipV: true, Rotate: true}
		},
		"lr-0.002":      func(o Options) bool { return o.LR == 2e-3 && o.Augment == e.Base.Augment && o.Folds == 0 },
		"fold-2-of-2":   func(o Options) bool { return o.Folds == 2 && o.Fold == 1 && o.Seed == e.Base.Seed+1 && o.Steps == 2 },
		"single-2x":     func(o Options) bool { return o.Folds == 0 && o.Seed == e.Base.Seed && o.Steps == 4 },
		"augment-flips": func(Options) bool { return false }, // shared with lr-0.001: never trained
	} {
		o, err := Resume(filepath.Join(out, dir))
		if dir == "augment-flips" {
			if err == nil {
				t.Errorf("%s was trained", dir)
			}
			continue
		}
		if err != nil || !check(o) {
			t.Errorf("%s: options %+v, %v", dir, o, err)
		}
	}

	// The files.
	md, err := os.ReadFile(filepath.Join(out, ResultsMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	if string(md) != rep.Markdown() || !strings.Contains(string(md), "| ensemble(2) of the folds | 4 | 9 |") {
		t.Errorf("results.md:\n%s", md)
	}
	f, err := os.Open(filepath.Join(out, ResultsCSV))
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(records) != 1+len(wantRows) || records[1][0] != "lr" || records[1][1] != "lr 0.001" {
		t.Errorf("results.csv: %v, %v", records, err)
	}
	if _, err := os.Stat(filepath.Join(out, ResultsJSON)); err != nil {
		t.Error(err)
	}

	// A second run trains nothing and finds the same results.
	logBefore, _ := os.ReadFile(filepath.Join(out, "lr-0.001", logFile))
	e2 := tinyExperiment(data, out)
	got = events(&e2)
	rep2, err := e2.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range *got {
		if strings.HasPrefix(ev, "start ") && ev != "start ensemble(2)" {
			t.Errorf("re-run: %s", ev)
		}
	}
	if logAfter, _ := os.ReadFile(filepath.Join(out, "lr-0.001", logFile)); !bytes.Equal(logBefore, logAfter) {
		t.Error("re-run changed a finished run's log")
	}
	if rep2.Markdown() != rep.Markdown() {
		t.Errorf("re-run's tables differ:\n%s\nfirst:\n%s", rep2.Markdown(), rep.Markdown())
	}

	// Validate scores a run's final model as the run did, and an ensemble
	// of that one model alike (to within the last bit of the known pixels,
	// which the ensemble copies from the input while the model's prefill
	// scales them to 0–255 and back).
	opt := e.Base
	model, err := restore.Open(filepath.Join(out, "lr-0.001", modelFile))
	if err != nil {
		t.Fatal(err)
	}
	v, err := Validate(ctx, opt, model)
	if err != nil {
		t.Fatal(err)
	}
	if v.PSNR != lr[0].PSNR || v.IDW != lr[0].IDW || v.Images != 3 {
		t.Errorf("Validate: %+v; the run's final validation: %+v", v, lr[0])
	}
	v1, err := Validate(ctx, opt, restore.Ensemble{Members: []restore.Method{model}})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(v1.PSNR-lr[0].PSNR) > 1e-4 {
		t.Errorf("ensemble of one: %.6f dB, the model: %.6f dB", v1.PSNR, lr[0].PSNR)
	}
	t.Logf("model %.9f dB, ensemble of it %.9f dB", lr[0].PSNR, v1.PSNR)
}

// TestExperimentResumes interrupts an experiment in its second run and
// requires the next Run to skip the first and continue the second.
func TestExperimentResumes(t *testing.T) {
	data := writeExperimentImages(t)
	out := filepath.Join(t.TempDir(), "exp")
	ctx, cancel := context.WithCancel(context.Background())
	e := tinyExperiment(data, out)
	e.Augment, e.KFold = nil, 0
	runs := 0
	e.Progress = func(s Status) {
		if s.Step == 1 {
			if runs++; runs == 2 {
				cancel()
			}
		}
	}
	if _, err := e.Run(ctx); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	e.Progress = nil
	got := events(&e)
	rep, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"skip lr 0.001", "start lr 0.002", "done lr 0.002"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("events %q, want %q", *got, want)
	}
	w, err := readWall(filepath.Join(out, "lr-0.002"))
	if err != nil || w.Sessions != 2 {
		t.Errorf("lr 0.002 ran in %d sessions (%v), want 2", w.Sessions, err)
	}
	if r := rep.Tables[0].Rows[1]; r.Steps != 2 || r.PSNR <= 0 {
		t.Errorf("lr 0.002: %+v", r)
	}

	// A run directory started with other options is not continued.
	e.LR = []float64{1e-3}
	e.Base.Masks = mask.Mix{mask.Boxes: 1}
	if _, err := e.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "other options") {
		t.Errorf("changed recipe: %v", err)
	}
}

func TestParseExperiment(t *testing.T) {
	e, err := ParseExperiment([]byte(`{"base": {"steps": 7, "masks": {"boxes": 1}, "config": {"NGF": 16}}, "lr": [0.01], "kfold": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultOptions()
	if e.Base.Steps != 7 || !reflect.DeepEqual(e.Base.Masks, mask.Mix{mask.Boxes: 1}) || e.Base.Config.NGF != 16 ||
		e.Base.Config.Blocks != def.Config.Blocks || e.Base.Batch != def.Batch || e.KFold != 2 || len(e.Augment) != 0 {
		t.Errorf("parsed %+v", e)
	}
	// The settings an experiment writes read back the same.
	small := SmallExperiment()
	b, err := json.MarshalIndent(small, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseExperiment(b)
	if err != nil || !reflect.DeepEqual(back, small) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

// TestExperimentRejects checks that bad settings fail before anything
// runs, with one line naming the problem.
func TestExperimentRejects(t *testing.T) {
	data := writeExperimentImages(t)
	for _, tc := range []struct {
		name, json, want string
	}{
		{"unknown field", `{"lrs": [0.1]}`, `unknown field "lrs"`},
		{"unknown base field", `{"base": {"stepz": 1}, "lr": [0.1]}`, `unknown field "stepz"`},
		{"not JSON", `{"lr": [0.1]`, "unexpected end"},
		{"trailing data", `{"lr": [0.1]} {}`, "after top-level value"},
		{"kfold 1", `{"kfold": 1}`, "kfold 1"},
		{"bad augment", `{"augment": ["blur"]}`, `augmentation "blur"`},
		{"bad lr", `{"lr": [-1]}`, "learning rate -1"},
		{"lr twice", `{"lr": [0.1, 0.1]}`, "listed twice"},
		{"nothing", `{}`, "nothing to run"},
		{"no validation", `{"base": {"val_every": 0}, "lr": [0.1]}`, "val_every 0"},
		{"bad crop", `{"base": {"augment": {"Crop": 60}}, "lr": [0.1]}`, "crop 60 is not a multiple of 8"},
		{"bad config", `{"base": {"config": {"Ratio": 0.7}}, "lr": [0.1]}`, "179 global channels"},
		{"no data", `{"base": {"data": []}, "lr": [0.1]}`, "no training data"},
	} {
		e, err := ParseExperiment([]byte(tc.json))
		if err == nil {
			if len(e.Base.Data) == 0 && !strings.Contains(tc.json, `"data"`) {
				e.Base.Data = []string{data}
			}
			e.Out = filepath.Join(t.TempDir(), "exp")
			_, err = e.Run(context.Background())
			if _, serr := os.Stat(e.Out); serr == nil {
				t.Errorf("%s: created %s", tc.name, e.Out)
			}
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line containing %q", tc.name, err, tc.want)
		}
	}
}
