package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/raster"
)

// chromiumPath returns Debian's chromium, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Skip("chromium not installed")
	return ""
}

// artifactDir is where screenshots go: $AEROFILL_ARTIFACTS, or a temporary
// directory that the test logs.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("AEROFILL_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// browser starts a headless chromium and returns its context.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // we run as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // start the browser and the tab
		t.Fatal(err)
	}
	// The page must run without errors or uncaught exceptions (including
	// Content-Security-Policy violations, which Chrome logs as errors).
	var (
		mu   sync.Mutex
		errs []string
	)
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line))
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			t.Errorf("browser console: %s", e)
		}
	})
	return ctx
}

// recordingFill is meanFill that keeps the last mask it was sent.
type recordingFill struct {
	meanFill
	masks chan *image.Gray
}

func (r recordingFill) Restore(ctx context.Context, job Job) (Output, error) {
	select {
	case r.masks <- job.Mask:
	default:
	}
	return r.meanFill.Restore(ctx, job)
}

// aerialChip returns a real 256×256 aerial chip from the shared data, or a
// synthetic texture when the shared data is not here.
func aerialChip(t *testing.T) image.Image {
	dir := os.Getenv("AEROFILL_SHARED")
	if dir == "" {
		dir = "../../shared"
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data/aerial/chips/neon_0007.png")); err == nil {
		if m, err := png.Decode(bytes.NewReader(b)); err == nil {
			rgba := image.NewRGBA(m.Bounds())
			for y := 0; y < m.Bounds().Dy(); y++ {
				for x := 0; x < m.Bounds().Dx(); x++ {
					rgba.Set(x, y, m.At(x, y))
				}
			}
			// The mean filler treats nothing but the mask as damage; make sure
			// no pixel is black so "differs only under the stroke" is exact.
			for i := 0; i < len(rgba.Pix); i += 4 {
				if rgba.Pix[i] == 0 && rgba.Pix[i+1] == 0 && rgba.Pix[i+2] == 0 {
					rgba.Pix[i] = 1
				}
			}
			return rgba
		}
	}
	return texture(256, 256)
}

func TestBrowserPaintAndRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rf := recordingFill{masks: make(chan *image.Gray, 1)}
	ts := httptest.NewServer(New(rf, Config{Logger: quiet, Version: "test"}))
	defer ts.Close()
	art := artifactDir(t)

	in := aerialChip(t)
	inPath := filepath.Join(t.TempDir(), "aerial-chip.png")
	if err := os.WriteFile(inPath, pngBytes(t, in), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			path := filepath.Join(art, name)
			t.Logf("screenshot: %s", path)
			return os.WriteFile(path, buf, 0o644)
		})
	}
	waitState := func(want string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](fmt.Sprintf(`document.body.dataset.state === %q`, want), chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			if err != nil {
				return fmt.Errorf("waiting for state %q: %w", want, err)
			}
			return nil
		})
	}
	maskCount := func() int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.aerofill.app.editor.maskCount`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}

	// The stroke, in image coordinates, and the brush diameter.
	a, b := image.Pt(40, 60), image.Pt(210, 190)
	const brush = 24
	type point struct{ X, Y float64 }
	clientPoint := func(p image.Point) point {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[point](fmt.Sprintf(`window.aerofill.imageToClient(%d, %d)`, p.X, p.Y)))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	do(
		chromedp.Navigate(ts.URL),
		chromedp.WaitVisible(chromedp.ID("open")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelector('#model').options.length > 0`, chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
			return err
		}),
		shot("01-empty.png"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{inPath}),
		waitState("ready"),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`{const s = document.getElementById('size'); s.value = %d; s.dispatchEvent(new Event('input'))}`, brush)),
	)
	modelCount, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('#model').options.length`))
	if err != nil {
		t.Fatal(err)
	}

	// Paint: press, move in steps, release, as a person would drag.
	pa, pb := clientPoint(a), clientPoint(b)
	left := chromedp.ButtonType(input.MouseButtonLeft)
	held := func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, pa.X, pa.Y, left, held, chromedp.ClickCount(1))}
	const n = 20
	for i := 1; i <= n; i++ {
		x := pa.X + (pb.X-pa.X)*float64(i)/n
		y := pa.Y + (pb.Y-pa.Y)*float64(i)/n
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x, y, left, held))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, pb.X, pb.Y, left, chromedp.ClickCount(1)), chromedp.Sleep(100*time.Millisecond))
	do(steps...)
	painted := maskCount()
	do(chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	afterUndo := maskCount()
	do(chromedp.KeyEvent("Z", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)))
	afterRedo := maskCount()

	// Zoom with the wheel about the pointer, pan with a middle-button drag,
	// fit again with F.
	type view struct{ Scale, Tx, Ty float64 }
	getView := func() view {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[view](`(() => { const e = window.aerofill.app.editor; return {scale: e.scale, tx: e.tx, ty: e.ty} })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	v0 := getView()
	do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById('view').dispatchEvent(new WheelEvent('wheel', {deltaY: -300, clientX: %v, clientY: %v, bubbles: true, cancelable: true}))`, pa.X, pa.Y)))
	v1 := getView()
	if ratio := v1.Scale / v0.Scale; math.Abs(ratio-math.Exp(0.45)) > 0.01 {
		t.Errorf("wheel zoom: scale %v → %v (×%.3f), want ×%.3f", v0.Scale, v1.Scale, ratio, math.Exp(0.45))
	}
	if got := clientPoint(a); math.Abs(got.X-pa.X) > 0.5 || math.Abs(got.Y-pa.Y) > 0.5 {
		t.Errorf("wheel zoom moved the point under the pointer from %v to %v", pa, got)
	}
	middle := chromedp.ButtonType(input.MouseButtonMiddle)
	midHeld := func(p *input.DispatchMouseEventParams) { p.Buttons = 4 }
	do(
		chromedp.MouseEvent(chromedp.MousePressed, 600, 300, middle, midHeld, chromedp.ClickCount(1)),
		chromedp.MouseEvent(chromedp.MouseMoved, 650, 320, middle, midHeld),
		chromedp.MouseEvent(chromedp.MouseMoved, 700, 340, middle, midHeld),
		chromedp.MouseEvent(chromedp.MouseReleased, 700, 340, middle, chromedp.ClickCount(1)),
	)
	if v2 := getView(); math.Abs(v2.Tx-v1.Tx-100) > 0.5 || math.Abs(v2.Ty-v1.Ty-40) > 0.5 || v2.Scale != v1.Scale {
		t.Errorf("middle drag by (100, 40): view %+v → %+v", v1, v2)
	}
	if painted2 := maskCount(); painted2 != painted {
		t.Errorf("panning changed the mask: %d → %d pixels", painted, painted2)
	}
	do(chromedp.KeyEvent("f"))
	if v3 := getView(); v3 != v0 {
		t.Errorf("F: view %+v, want the fitted %+v", v3, v0)
	}
	brushAfter := func(key string) int {
		t.Helper()
		do(chromedp.KeyEvent(key))
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.aerofill.app.editor.brush`))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if up, down := brushAfter("]"), brushAfter("["); up != 30 || down != brush {
		t.Errorf("] then [: brush %d then %d, want 30 then %d", up, down, brush)
	}

	do(
		shot("02-mask.png"),
		chromedp.Click(chromedp.ID("restore")),
		waitState("done"),
		chromedp.Sleep(100*time.Millisecond),
		shot("03-compare.png"),
	)
	resultB64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.aerofill.resultBase64()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	download, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("download"), "download"))
	if err != nil {
		t.Fatal(err)
	}

	if modelCount != 2 {
		t.Errorf("model list has %d entries, want 2", modelCount)
	}
	// The stroke covers about length×brush pixels.
	length := math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))
	if want := length * brush; float64(painted) < 0.7*want || float64(painted) > 1.3*want+brush*brush {
		t.Errorf("mask has %d pixels after the stroke, want about %.0f", painted, want)
	}
	if afterUndo != 0 || afterRedo != painted {
		t.Errorf("mask count after undo %d, after redo %d; want 0 and %d", afterUndo, afterRedo, painted)
	}
	if download.Value != "aerial-chip-restored.png" {
		t.Errorf("download name %q", download.Value)
	}

	var mask *image.Gray
	select {
	case mask = <-rf.masks:
	default:
		t.Fatal("the restorer got no job")
	}
	if mask == nil {
		t.Fatal("the page sent no mask")
	}
	// The mask the server got is the stroke: every pixel on the segment,
	// none farther than the brush radius (plus antialiasing).
	onStroke, stray := 0, 0
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			d := distToSegment(float64(x)+0.5, float64(y)+0.5, a, b)
			set := mask.GrayAt(x, y).Y == 255
			if d < brush/2-2 && !set {
				onStroke++
			}
			if d > brush/2+2 && set {
				stray++
			}
		}
	}
	if onStroke != 0 || stray != 0 {
		t.Errorf("mask: %d pixels under the stroke not set, %d set away from it", onStroke, stray)
	}

	raw, err := base64.StdEncoding.DecodeString(resultB64)
	if err != nil {
		t.Fatal(err)
	}
	out, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("result from the page: %v", err)
	}
	changedIn, changedOut, masked := 0, 0, 0
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			r1, g1, b1, _ := in.At(x, y).RGBA()
			r2, g2, b2, _ := out.At(x, y).RGBA()
			diff := r1 != r2 || g1 != g2 || b1 != b2
			if mask.GrayAt(x, y).Y == 255 {
				masked++
				if diff {
					changedIn++
				}
			} else if diff {
				changedOut++
			}
		}
	}
	if changedOut != 0 || changedIn < masked/2 {
		t.Errorf("result: %d pixels changed outside the mask; %d of %d inside", changedOut, changedIn, masked)
	}
}

// distToSegment is the distance from (px, py) to the segment ab.
func distToSegment(px, py float64, a, b image.Point) float64 {
	ax, ay, bx, by := float64(a.X), float64(a.Y), float64(b.X), float64(b.Y)
	dx, dy := bx-ax, by-ay
	t := ((px-ax)*dx + (py-ay)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-(ax+t*dx), py-(ay+t*dy))
}

// Opening a GeoTIFF goes through /api/decode; the page shows it and says
// it is georeferenced.
func TestBrowserOpensGeoTIFF(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	path := shared.Path(t, "data/aerial/scenes/2018_SJER_3_252000_4107000_image_477.tif")
	ctx := browser(t)
	ts := httptest.NewServer(New(meanFill{}, Config{Logger: quiet}))
	defer ts.Close()
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL),
		chromedp.WaitVisible(chromedp.ID("open")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.body.dataset.state === "ready"`, chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			p := filepath.Join(artifactDir(t), "04-geotiff.png")
			t.Logf("screenshot: %s", p)
			return os.WriteFile(p, buf, 0o644)
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	info, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("info")))
	if err != nil {
		t.Fatal(err)
	}
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[2]int](`[window.aerofill.app.editor.width, window.aerofill.app.editor.height]`))
	if err != nil {
		t.Fatal(err)
	}
	w, h := size[0], size[1]
	r, err := raster.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg := r.Info()
	if w != cfg.Width || h != cfg.Height || !strings.Contains(info, "GeoTIFF") {
		t.Errorf("page shows %d×%d %q, want %d×%d and GeoTIFF", w, h, info, cfg.Width, cfg.Height)
	}
}

// "Find black" marks exactly the pure-black pixels; restoring then leaves
// none, and changes nothing else.
func TestBrowserFindBlack(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx := browser(t)
	rf := recordingFill{masks: make(chan *image.Gray, 1)}
	ts := httptest.NewServer(New(rf, Config{Logger: quiet}))
	defer ts.Close()
	art := artifactDir(t)

	// A chip with scan-line damage: black rows and a black column.
	in := aerialChip(t).(*image.RGBA)
	black := 0
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			if (y >= 90 && y < 94) || (y >= 170 && y < 172) || (x >= 60 && x < 63) {
				i := in.PixOffset(x, y)
				in.Pix[i], in.Pix[i+1], in.Pix[i+2] = 0, 0, 0
				black++
			}
		}
	}
	inPath := filepath.Join(t.TempDir(), "lines.png")
	if err := os.WriteFile(inPath, pngBytes(t, in), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			path := filepath.Join(art, name)
			t.Logf("screenshot: %s", path)
			return os.WriteFile(path, buf, 0o644)
		})
	}
	waitState := func(want string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](fmt.Sprintf(`document.body.dataset.state === %q`, want), chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			return err
		})
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL),
		chromedp.WaitVisible(chromedp.ID("open")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{inPath}),
		waitState("ready"),
		chromedp.Click(chromedp.ID("find-black")),
		shot("05-find-black.png"),
	); err != nil {
		t.Fatal(err)
	}
	marked, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.aerofill.app.editor.maskCount`))
	if err != nil {
		t.Fatal(err)
	}
	if marked != black {
		t.Errorf("Find black marked %d pixels, the image has %d black ones", marked, black)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("restore")),
		waitState("done"),
		// Move the comparison split left, to show mostly the result.
		chromedp.Evaluate[chromedp.Void](`window.aerofill.app.editor.split = 0.35; window.aerofill.app.editor.invalidate()`),
		chromedp.Sleep(100*time.Millisecond),
		shot("06-find-black-restored.png"),
	); err != nil {
		t.Fatal(err)
	}
	resultB64, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.aerofill.resultBase64()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(resultB64)
	out, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mask := <-rf.masks
	leftBlack, changedElsewhere := 0, 0
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			r, g, b, _ := out.At(x, y).RGBA()
			i := in.PixOffset(x, y)
			wasBlack := in.Pix[i]|in.Pix[i+1]|in.Pix[i+2] == 0
			if r|g|b == 0 {
				leftBlack++
			}
			if (mask.GrayAt(x, y).Y == 255) != wasBlack {
				t.Fatalf("mask at (%d,%d) is %d, pixel black: %v", x, y, mask.GrayAt(x, y).Y, wasBlack)
			}
			if !wasBlack && (uint8(r>>8) != in.Pix[i] || uint8(g>>8) != in.Pix[i+1] || uint8(b>>8) != in.Pix[i+2]) {
				changedElsewhere++
			}
		}
	}
	if leftBlack != 0 || changedElsewhere != 0 {
		t.Errorf("result: %d black pixels left, %d undamaged pixels changed", leftBlack, changedElsewhere)
	}
}
