package main

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/raster"
)

// aerofillBin is the command built once for the tests that need a real
// process: standard error that is not a terminal, and signals.
var aerofillBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aerofill-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aerofillBin = filepath.Join(dir, "aerofill")
	if out, err := exec.Command("go", "build", "-o", aerofillBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building aerofill: %v\n%s", err, out)
		aerofillBin = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	chipDir  = "/work/shared/data/aerial/chips"
	sceneDir = "/work/shared/data/aerial/scenes"
)

func need(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
}

// runCLI runs the command in-process, as main does.
func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// runBin runs the built command; standard error is a pipe, not a terminal.
func runBin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if aerofillBin == "" {
		t.Skip("aerofill did not build")
	}
	cmd := exec.Command(aerofillBin, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), o.String(), e.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, o.String(), e.String()
}

// damagedChip writes a real chip with black lines drawn over it as PNG.
func damagedChip(t *testing.T, name, path string, seed uint64) {
	t.Helper()
	src := filepath.Join(chipDir, name)
	need(t, src)
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	rgba := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	if seed != 0 {
		m, err := mask.Generate(mask.Lines, b.Dx(), b.Dy(), seed, mask.DefaultCoverage(mask.Lines))
		if err != nil {
			t.Fatal(err)
		}
		if err := mask.Apply(rgba, m); err != nil {
			t.Fatal(err)
		}
	}
	writePNG(t, path, rgba)
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// damagedScene writes a w×h window of a real GeoTIFF with horizontal and
// vertical lines of its nodata value (or 0) every 97 pixels.
func damagedScene(t *testing.T, name, path string, w, h int) raster.Info {
	t.Helper()
	src := filepath.Join(sceneDir, name)
	need(t, src)
	r, err := raster.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	w, h = min(w, info.Width), min(h, info.Height)
	bands := make([][]float32, info.Bands)
	for i := range bands {
		bands[i] = make([]float32, w*h)
	}
	if err := r.ReadWindow(0, 0, w, h, bands); err != nil {
		t.Fatal(err)
	}
	nd := float32(0)
	if info.NoData != nil {
		nd = float32(*info.NoData)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (y%97 >= 40 && y%97 < 44) || (x%97 >= 60 && x%97 < 63) {
				for b := range bands {
					bands[b][y*w+x] = nd
				}
			}
		}
	}
	info.Width, info.Height = w, h
	info.Compression, info.Photometric = 0, raster.PhotometricRGB
	wr, err := raster.Create(path, info, raster.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := wr.WriteWindow(0, 0, w, h, bands); err != nil {
		t.Fatal(err)
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	return info
}

// batchDir makes a folder of inputs: three damaged images, one without
// damage and three bad files.
func batchDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "in")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	damagedChip(t, "neon_0001.png", filepath.Join(dir, "a.png"), 1)
	damagedChip(t, "oam_0001.png", filepath.Join(dir, "b.png"), 2)
	damagedChip(t, "caliterra_0001.png", filepath.Join(dir, "clean.png"), 0)
	damagedScene(t, "2018_SJER_3_252000_4107000_image_477.tif", filepath.Join(dir, "scene.tif"), 400, 400)
	// Bad inputs: text named .tif, a truncated PNG, and a GeoTIFF whose
	// header is whole but whose tiles are cut off, so that it fails only
	// after its output has been started.
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("text.tif", []byte("this is not a TIFF\n"))
	pngBytes, _ := os.ReadFile(filepath.Join(dir, "b.png"))
	write("trunc.png", pngBytes[:len(pngBytes)/2])
	naip, err := os.ReadFile("/work/shared/data/aerial/naip/m_4709963_se_14_1_20200831.tif")
	if err != nil {
		t.Skip(err)
	}
	write("cut.tif", naip[:1500000])
	return dir
}

// listDir returns the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

var summaryRE = regexp.MustCompile(`(?m)^restored (\d+) of (\d+) files \((\d+) skipped as existing, (\d+) without damage, (\d+) failed\): (\d+) pixels filled in \S+$`)

// summary parses the summary line into its six counts.
func summary(t *testing.T, stdout string) [6]int {
	t.Helper()
	m := summaryRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no summary line in:\n%s", stdout)
	}
	var n [6]int
	for i := range n {
		fmt.Sscan(m[i+1], &n[i])
	}
	return n
}

func TestRestoreBatch(t *testing.T) {
	dir := batchDir(t)
	out := filepath.Join(filepath.Dir(dir), "out")
	code, stdout, stderr := runBin(t, "restore", "--model", "idw", "--out", out, dir)
	if code != 1 {
		t.Errorf("exit code %d, want 1 (some inputs failed)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	n := summary(t, stdout)
	if n[0] != 3 || n[1] != 7 || n[2] != 0 || n[3] != 1 || n[4] != 3 || n[5] == 0 {
		t.Errorf("summary %v, want 3 of 7 restored, 0 skipped, 1 clean, 3 failed\n%s", n, stdout)
	}
	for _, bad := range []string{"text.tif", "trunc.png", "cut.tif"} {
		if !regexp.MustCompile(`(?m)^  failed: .*` + regexp.QuoteMeta(bad) + `: `).MatchString(stdout) {
			t.Errorf("no failure line naming %s in:\n%s", bad, stdout)
		}
	}
	// Progress goes to standard error as plain lines, not a redrawn bar.
	if strings.Contains(stderr, "\r") || !strings.Contains(stderr, "restore: 7/7 (100%)") {
		t.Errorf("progress lines on a pipe:\n%q", stderr)
	}
	if !strings.Contains(stderr, "aerofill: restore: 3 of 7 inputs failed") {
		t.Errorf("stderr %q: want the one-line error", stderr)
	}
	// Only the restored outputs, complete, and no temporary files.
	want := []string{"a.png", "b.png", "scene.tif"}
	if got := listDir(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	for _, name := range want {
		checkOutput(t, filepath.Join(dir, name), filepath.Join(out, name))
	}

	// Again: existing outputs are skipped.
	mtime := modTime(t, filepath.Join(out, "a.png"))
	code, stdout, _ = runBin(t, "restore", "--model", "idw", "--out", out, dir)
	if n := summary(t, stdout); code != 1 || n != [6]int{0, 7, 3, 1, 3, 0} {
		t.Errorf("second run: exit %d, summary %v, want [0 7 3 1 3 0]\n%s", code, n, stdout)
	}
	if !modTime(t, filepath.Join(out, "a.png")).Equal(mtime) {
		t.Error("an existing output was rewritten without --overwrite")
	}

	// --overwrite redoes them: a spoiled output is replaced.
	if err := os.WriteFile(filepath.Join(out, "b.png"), []byte("spoiled"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = runBin(t, "restore", "--model", "idw", "--overwrite", "--out", out, dir)
	if n := summary(t, stdout); code != 1 || n[0] != 3 || n[2] != 0 {
		t.Errorf("--overwrite: exit %d, summary %v\n%s", code, n, stdout)
	}
	checkOutput(t, filepath.Join(dir, "b.png"), filepath.Join(out, "b.png"))
	if got := listDir(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("outputs after --overwrite %v, want %v", got, want)
	}
}

func modTime(t *testing.T, path string) time.Time {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.ModTime()
}

// checkOutput checks that an output is a complete raster of its input's
// size whose known pixels (not black, not nodata) are the input's and
// whose damaged pixels were filled.
func checkOutput(t *testing.T, inPath, outPath string) {
	t.Helper()
	read := func(p string) (raster.Info, [][]float32) {
		r, err := raster.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		defer r.Close()
		info := r.Info()
		b := make([][]float32, info.Bands)
		for i := range b {
			b[i] = make([]float32, info.Width*info.Height)
		}
		if err := r.ReadWindow(0, 0, info.Width, info.Height, b); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return info, b
	}
	ii, in := read(inPath)
	oi, out := read(outPath)
	if oi.Width != ii.Width || oi.Height != ii.Height {
		t.Fatalf("%s is %d×%d, input %d×%d", outPath, oi.Width, oi.Height, ii.Width, ii.Height)
	}
	nd := float32(0)
	if ii.NoData != nil {
		nd = float32(*ii.NoData)
	}
	filled := 0
	for i := range in[0] {
		damaged := in[0][i] == nd && in[1][i] == nd && in[2][i] == nd
		for c := 0; c < 3; c++ {
			if !damaged && out[c][i] != in[c][i] {
				t.Fatalf("%s: known pixel %d band %d changed: %v → %v", outPath, i, c, in[c][i], out[c][i])
			}
		}
		if damaged && (out[0][i] != nd || out[1][i] != nd || out[2][i] != nd) {
			filled++
		}
	}
	if filled == 0 {
		t.Errorf("%s: nothing filled", outPath)
	}
}

func TestRestoreGlobSkipsOwnOutputs(t *testing.T) {
	dir := t.TempDir()
	damagedChip(t, "neon_0002.png", filepath.Join(dir, "x.png"), 3)
	damagedChip(t, "neon_0003.png", filepath.Join(dir, "y.png"), 4)
	damagedScene(t, "RGB.byte.tif", filepath.Join(dir, "z.tif"), 300, 200)
	// Outputs beside the inputs (no --out), then a second run over the
	// same pattern and folder must not restore them again.
	code, stdout, stderr := runCLI("restore", "--model", "idw", filepath.Join(dir, "*.png"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if n := summary(t, stdout); n[0] != 2 || n[1] != 2 {
		t.Errorf("glob *.png: summary %v, want 2 of 2\n%s", n, stdout)
	}
	for _, args := range [][]string{{filepath.Join(dir, "*.png")}, {dir}} {
		code, stdout, stderr = runCLI(append([]string{"restore", "--model", "idw"}, args...)...)
		want := [6]int{0, 2, 2, 0, 0, 0} // x, y skipped as existing
		if args[0] == dir {
			want = [6]int{1, 3, 2, 0, 0, want[5]} // z.tif is new
		}
		n := summary(t, stdout)
		want[5] = n[5]
		if code != 0 || n != want {
			t.Errorf("restore %v: exit %d, summary %v, want %v\n%s%s", args, code, n, want, stdout, stderr)
		}
	}
	want := []string{"x.png", "x_restored.png", "y.png", "y_restored.png", "z.tif", "z_restored.tif"}
	if got := listDir(t, dir); !reflect.DeepEqual(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestRestoreOneFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "scene.tif")
	info := damagedScene(t, "RGB.byte.tif", in, 791, 718)
	out := filepath.Join(dir, "restored.tif")
	code, stdout, stderr := runBin(t, "restore", "--model", "idw", "--tile", "256", "--overlap", "32", "--filled-mask", "--out", out, in)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(in+" → "+out) + `: \d+ pixels filled, \d+ left as they were \(beyond the filler's reach\) \(mask: nodata\) by idw in [0-9.]+s\n$`).MatchString(stdout) {
		t.Errorf("stdout %q", stdout)
	}
	// One scene reports its rows of tiles.
	if !strings.Contains(stderr, "restore scene.tif: 718/718 (100%)") {
		t.Errorf("no per-scene progress in %q", stderr)
	}
	checkOutput(t, in, out)
	// The sidecar is georeferenced like the input.
	r, err := raster.Open(filepath.Join(dir, "restored.filled.tif"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fi := r.Info()
	if fi.Width != info.Width || fi.Height != info.Height || fi.Bands != 1 || !reflect.DeepEqual(fi.Geo, info.Geo) || fi.Geo == nil {
		t.Errorf("sidecar %d×%d×%d geo %+v; input geo %+v", fi.Width, fi.Height, fi.Bands, fi.Geo, info.Geo)
	}
}

func TestRestoreErrors(t *testing.T) {
	dir := t.TempDir()
	chip := filepath.Join(dir, "c.png")
	damagedChip(t, "neon_0004.png", chip, 5)
	small := filepath.Join(dir, "small.png")
	writePNG(t, small, image.NewGray(image.Rect(0, 0, 10, 10)))
	damagedChip(t, "neon_0005.png", filepath.Join(dir, "d.jpg.png"), 6)
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"mask of another size", []string{"--mask", small, chip}, 1, "mask " + small + " is 10×10, image is 256×256"},
		{"no inputs", nil, 2, "no input images"},
		{"bad tta", []string{"--tta", "3", chip}, 2, "--tta 3"},
		{"overlap ≥ tile", []string{"--tile", "64", "--overlap", "64", chip}, 2, "need tile ≥ 16 and 0 ≤ overlap < tile"},
		{"unknown flag", []string{"--fast", chip}, 2, "flag provided but not defined: -fast"},
		{"missing input", []string{filepath.Join(dir, "none.png")}, 1, "none.png: no such file"},
		{"glob without matches", []string{filepath.Join(dir, "*.webp")}, 1, "no files match"},
		{"unknown model", []string{"--model", "bogus", chip}, 1, `unknown model "bogus"`},
		{"unknown mask source", []string{"--mask-source", "clouds", chip}, 1, `unknown mask source "clouds"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"restore", "--out", filepath.Join(dir, "out.png")}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.stderr) || !strings.HasPrefix(stderr, "aerofill: restore: ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want %d and one line saying %q (stdout %q)", code, stderr, c.code, c.stderr, stdout)
			}
			if _, err := os.Stat(filepath.Join(dir, "out.png")); err == nil {
				t.Error("an output was written")
			}
		})
	}
}

// TestRestoreDuplicateOutputs checks that two inputs with one output name
// in an --out folder (a.png, a.jpg) do not overwrite each other.
func TestRestoreDuplicateOutputs(t *testing.T) {
	dir := t.TempDir()
	damagedChip(t, "neon_0006.png", filepath.Join(dir, "a.png"), 7)
	damagedChip(t, "neon_0007.png", filepath.Join(dir, "a.tmp"), 8)
	if err := os.Rename(filepath.Join(dir, "a.tmp"), filepath.Join(dir, "a.jpg")); err != nil { // PNG bytes, .jpg name: raster sniffs
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, _ := runCLI("restore", "--model", "idw", "--out", out, dir)
	if n := summary(t, stdout); code != 1 || n[0] != 1 || n[4] != 1 || !strings.Contains(stdout, "a.png: output "+filepath.Join(out, "a.png")+" is also ") {
		t.Errorf("exit %d, summary %v\n%s", code, n, stdout)
	}
}

// TestRestoreInterrupt sends SIGINT to a running batch and checks that
// it stops with a non-zero exit, says so, and leaves only complete
// outputs and no temporary files.
func TestRestoreInterrupt(t *testing.T) {
	if aerofillBin == "" {
		t.Skip("aerofill did not build")
	}
	dir := filepath.Join(t.TempDir(), "in")
	os.Mkdir(dir, 0o755)
	first := filepath.Join(dir, "s00.tif")
	damagedScene(t, "5b90f92da0d7280005fab355_4310.tif", first, 1200, 1200)
	b, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	for i := 1; i < n; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("s%02d.tif", i)), b, 0o644)
	}
	out := filepath.Join(filepath.Dir(dir), "out")
	cmd := exec.Command(aerofillBin, "restore", "--model", "idw", "--tile", "256", "--out", out, dir)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the first file is done, while the second is being
	// written.
	lines := bufio.NewScanner(stderr)
	var errText strings.Builder
	for lines.Scan() {
		errText.WriteString(lines.Text() + "\n")
		if strings.HasPrefix(lines.Text(), "restore: 1/") {
			break
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	errText.Write(rest)
	err = cmd.Wait()
	code := cmd.ProcessState.ExitCode()
	if code == 0 {
		t.Fatalf("exit code 0 after SIGINT (err %v)\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), errText.String())
	}
	if !strings.Contains(stdout.String(), "interrupted") || !strings.Contains(errText.String(), "aerofill: restore: interrupted") {
		t.Errorf("no interruption in summary or error:\nstdout:\n%s\nstderr:\n%s", stdout.String(), errText.String())
	}
	names := listDir(t, out)
	if len(names) == 0 || len(names) >= n {
		t.Errorf("%d outputs after an interrupt at file 2 of %d: %v", len(names), n, names)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, "s") || strings.Contains(name, ".tmp") {
			t.Errorf("left behind: %s", name)
			continue
		}
		checkOutput(t, filepath.Join(dir, name), filepath.Join(out, name))
	}
	t.Logf("%d of %d outputs written before the interrupt; summary: %s", len(names), n, strings.TrimSpace(stdout.String()))
}

// TestRestoreMaskFolder gives masks from a folder, named like the inputs;
// one has the wrong size, and that input alone fails.
func TestRestoreMaskFolder(t *testing.T) {
	dir, masks := t.TempDir(), t.TempDir()
	damagedChip(t, "neon_0008.png", filepath.Join(dir, "x.png"), 0)
	damagedChip(t, "neon_0009.png", filepath.Join(dir, "y.png"), 0)
	m, err := mask.Generate(mask.Lines, 256, 256, 9, mask.DefaultCoverage(mask.Lines))
	if err != nil {
		t.Fatal(err)
	}
	writePNG(t, filepath.Join(masks, "x_mask.png"), m)
	writePNG(t, filepath.Join(masks, "y.png"), image.NewGray(image.Rect(0, 0, 100, 50)))
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, _ := runCLI("restore", "--model", "idw", "--mask", masks, "--out", out, dir)
	n := summary(t, stdout)
	if code != 1 || n[0] != 1 || n[4] != 1 || !strings.Contains(stdout, "is 100×50, image is 256×256") {
		t.Errorf("exit %d, summary %v\n%s", code, n, stdout)
	}
	if got := listDir(t, out); !reflect.DeepEqual(got, []string{"x.png"}) {
		t.Errorf("outputs %v, want [x.png]", got)
	}
}

// TestErrorPrefixOnce: a library error that starts with the command's own
// name ("train: …") is not prefixed twice.
func TestErrorPrefixOnce(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none")
	code, _, stderr := runCLI("train", "--resume", missing)
	if code != 1 || !strings.HasPrefix(stderr, "aerofill: train: ") || strings.Contains(stderr, "train: train:") || !strings.Contains(stderr, missing) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
