package models_test

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/eval"
	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/models"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/train"
)

func TestDefaultLoads(t *testing.T) {
	w, err := models.Default()
	if err != nil {
		t.Fatal(err)
	}
	if !w.Config.Residual || w.Prefill() != "idw" {
		t.Errorf("default model is %v with prefill %q; it should correct an IDW fill", w.Config, w.Prefill())
	}
	if n := models.DefaultSize(); n > 16<<20 {
		t.Errorf("embedded model is %d bytes; keep the binary small", n)
	}
	if w2, _ := models.Default(); w2 != w {
		t.Error("Default parses the embedded file again on every call")
	}
}

// minMargin is the least whole-image PSNR lead (dB) over the best
// classical filler the shipped model must keep on the held-out chips with
// line and stroke damage (measured: +0.40 dB over IDW, the best of them;
// MODEL_CARD.md).
const minMargin = 0.30

// TestDefaultBeatsFillers restores the chips that training held out
// (every 10th of each source, as train --val-every 10 splits them) with
// line and stroke damage, and requires the default model to lead every
// classical filler by minMargin.
func TestDefaultBeatsFillers(t *testing.T) {
	if testing.Short() {
		t.Skip("restores 74 chips with the model")
	}
	files, err := eval.ListImages(shared.Path(t, "data", "aerial", "chips"))
	if err != nil {
		t.Fatal(err)
	}
	_, val := train.Split(files, 10)
	if len(val) < 30 {
		t.Fatalf("%d held-out chips", len(val))
	}
	def, err := restore.Open(models.DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	methods := []restore.Method{def}
	for _, name := range fill.Names() {
		f, err := fill.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		methods = append(methods, restore.Filler{F: f})
	}
	cases := eval.CleanCases(val, []mask.Family{mask.Lines, mask.Strokes}, 1, 1)
	rows, err := eval.Run(context.Background(), cases, methods, eval.Options{Decode: decodePNG})
	if err != nil {
		t.Fatal(err)
	}
	psnr := map[string]float64{}
	for _, e := range eval.Leaderboard(rows) {
		if e.Group == "all" {
			psnr[e.Method] = e.PSNR
		}
	}
	model := psnr[models.DefaultName]
	for _, name := range fill.Names() {
		lead := model - psnr[name]
		t.Logf("default %.2f dB, %s %.2f dB: lead %+.2f dB", model, name, psnr[name], lead)
		if lead < minMargin {
			t.Errorf("default model leads %s by %.2f dB on held-out chips, want at least %.2f", name, lead, minMargin)
		}
	}
}

func decodePNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, &os.PathError{Op: "decode", Path: filepath.Base(path), Err: err}
	}
	return img, nil
}
