package eval

import (
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/tensor"
)

func decodePNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return png.Decode(f)
}

// identity "restores" by leaving the damage: the worst possible method.
type identity struct{}

func (identity) Name() string { return "identity" }
func (identity) Restore(img, _ *tensor.Tensor) (*tensor.Tensor, error) {
	return img.Clone(), nil
}

func TestRunAndReport(t *testing.T) {
	chips := shared.Path(t, "data", "aerial", "chips")
	files := []string{filepath.Join(chips, "neon_0001.png"), filepath.Join(chips, "oam_0001.png"), filepath.Join(chips, "nlortho_0001.png")}
	cases := CleanCases(files, []mask.Family{mask.Lines, mask.Strokes}, 7, 1)
	if len(cases) != 6 {
		t.Fatalf("%d cases, want 6", len(cases))
	}
	methods := []restore.Method{restore.Filler{F: fill.IDW{}}, identity{}}
	var examples []Example
	rows, err := Run(context.Background(), cases, methods, Options{Workers: 2, Decode: decodePNG, Samples: 2,
		Keep: func(_ Case, ex Example) { examples = append(examples, ex) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12 || len(examples) != 2 {
		t.Fatalf("%d rows and %d examples, want 12 and 2", len(rows), len(examples))
	}
	board := Leaderboard(rows)
	if board[0].Group != "all" || board[0].Method != "idw" {
		t.Errorf("leaderboard starts with %s/%s, want all/idw", board[0].Group, board[0].Method)
	}
	for _, e := range board {
		if e.Method == "identity" && e.PSNR > 20 {
			t.Errorf("unrestored black damage scores %.1f dB", e.PSNR)
		}
	}
	// Same seed, same masks: a second run gives identical scores.
	again, err := Run(context.Background(), cases, methods, Options{Workers: 1, Decode: decodePNG})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if rows[i].PSNR != again[i].PSNR {
			t.Fatalf("row %d: %v then %v", i, rows[i].PSNR, again[i].PSNR)
		}
	}
	dir := t.TempDir()
	if err := WriteReport(dir, Meta{Title: "test", Source: chips, Cases: len(cases), Methods: []string{"idw", "identity"}}, rows, examples); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"leaderboard.md", "leaderboard.csv", "results.csv", "results.json", "report.html", "psnr_by_family.png", "psnr_by_hole.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{"psnr_by_family.png", "_damaged.png", "_truth.png", "_m0.png", "_m0_err.png"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html does not reference %s", want)
		}
	}
	var js struct{ Results []map[string]any }
	b, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	if err := json.Unmarshal(b, &js); err != nil || len(js.Results) != 12 {
		t.Errorf("results.json: %v, %d results", err, len(js.Results))
	}
}
