package eval

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/restore"
)

// TestReportInChromium renders a real report in headless Chromium and
// checks that every picture and plot loaded; a screenshot is kept in
// $AEROFILL_ARTIFACTS when set.
func TestReportInChromium(t *testing.T) {
	exe, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium not installed")
		}
		t.Skip("chromium not installed")
	}
	chips := shared.Path(t, "data", "aerial", "chips")
	files, err := ListImages(chips)
	if err != nil {
		t.Fatal(err)
	}
	// Every 40th chip: a spread over the sources.
	var pick []string
	for i := 0; i < len(files); i += 40 {
		pick = append(pick, files[i])
	}
	cases := CleanCases(pick, []mask.Family{mask.Lines, mask.Strokes}, 1, 1)
	methods := []restore.Method{restore.Filler{F: fill.Telea{}}, restore.Filler{F: fill.NavierStokes{}}, restore.Filler{F: fill.IDW{}}}
	var examples []Example
	rows, err := Run(context.Background(), cases, methods, Options{Decode: decodePNG, Samples: 3,
		Keep: func(_ Case, ex Example) { examples = append(examples, ex) }})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names := []string{methods[0].Name(), methods[1].Name(), methods[2].Name()}
	if err := WriteReport(dir, Meta{Title: "browser check", Source: chips, Cases: len(cases), Methods: names}, rows, examples); err != nil {
		t.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1600))
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	var total, loaded int
	var title string
	var shot []byte
	err = chromedp.Do(ctx,
		chromedp.Navigate("file://"+filepath.Join(dir, "report.html")),
		chromedp.WaitReady("body"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			var err error
			if _, err = chromedp.Poll[bool](`Array.from(document.images).every(i => i.complete)`, chromedp.WithPollingTimeout(30*time.Second))(ctx, tg); err != nil {
				return err
			}
			if title, err = chromedp.Title()(ctx, tg); err != nil {
				return err
			}
			if total, err = chromedp.Evaluate[int](`document.images.length`)(ctx, tg); err != nil {
				return err
			}
			if loaded, err = chromedp.Evaluate[int](`Array.from(document.images).filter(i => i.naturalWidth > 0).length`)(ctx, tg); err != nil {
				return err
			}
			shot, err = chromedp.FullScreenshot(80)(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	// 2 plots + per example: damaged, truth, and restored + error per method.
	want := 2 + len(examples)*(2+2*len(methods))
	t.Logf("%q: %d of %d images loaded", title, loaded, total)
	if total != want || loaded != total {
		t.Errorf("%d images, %d loaded; want %d, all loaded", total, loaded, want)
	}
	if d := os.Getenv("AEROFILL_ARTIFACTS"); d != "" {
		p := filepath.Join(d, "eval-report.jpg")
		if err := os.WriteFile(p, shot, 0o644); err == nil {
			t.Logf("screenshot: %s", p)
		}
	}
}
