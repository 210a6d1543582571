package raster

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/internal/shared"
)

// TestHugeWrite writes a 20,000×20,000 3-band Byte GeoTIFF, Deflate and
// tiled 256×256, in 1000×100 windows (not aligned with the tiles, so that
// about two rows of tiles are always partly written) in row order, and
// checks that the process's peak resident memory stays far below the
// 1.2 GB the image takes. It runs only when AEROFILL_RASTER_HUGE is set (to a directory for
// the output, or to 1 for a temporary one): it writes about 0.5 GB and
// takes a minute or more.
//
//	go test -c -o /tmp/raster.test ./raster
//	AEROFILL_RASTER_HUGE=1 /usr/bin/time -v /tmp/raster.test -test.run TestHugeWrite -test.v
func TestHugeWrite(t *testing.T) {
	where := os.Getenv("AEROFILL_RASTER_HUGE")
	if where == "" {
		t.Skip("set AEROFILL_RASTER_HUGE to run")
	}
	dir := where
	if where == "1" {
		dir = t.TempDir()
	}
	const size, nb, winW, winH = 20000, 3, 1000, 100
	path := filepath.Join(dir, "huge.tif")
	defer os.Remove(path)

	// The pixels are a real scene repeated: rgb16.tif's 438×500 samples
	// scaled to bytes, shifted per repetition so that tiles differ.
	src := hugeSource(t)
	value := func(x, y, b int) uint8 {
		rx, ry := x/438, y/500
		return uint8(int(src[b][(y%500)*438+x%438]) + 17*rx + 29*ry)
	}

	info := Info{Width: size, Height: size, Bands: nb, Type: Uint8, Photometric: PhotometricRGB, NoDataText: "0"}
	start, cpu := time.Now(), cpuclock.Process()
	w, err := Create(path, info, WriteOptions{Compression: "deflate"})
	if err != nil {
		t.Fatal(err)
	}
	bands := makeBands[uint8](nb, winW*winH)
	for y0 := 0; y0 < size; y0 += winH {
		for x0 := 0; x0 < size; x0 += winW {
			ww, hh := min(winW, size-x0), min(winH, size-y0)
			for b := range bands {
				for y := 0; y < hh; y++ {
					for x := 0; x < ww; x++ {
						bands[b][y*ww+x] = value(x0+x, y0+y, b)
					}
				}
			}
			if err := w.WriteWindowNative(x0, y0, ww, hh, bands); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	elapsed, cpuUsed := time.Since(start), cpuclock.Process()-cpu
	st, _ := os.Stat(path)
	peak := peakRSS(t)
	raw := float64(size) * size * nb
	t.Logf("wrote %d×%d×%d in %v (CPU %v): %.1f MB/s of raw samples (%.1f MB per CPU second), file %.0f MB, peak RSS %d MB",
		size, size, nb, elapsed.Round(time.Millisecond), cpuUsed.Round(time.Millisecond),
		raw/1e6/elapsed.Seconds(), raw/1e6/cpuUsed.Seconds(), float64(st.Size())/1e6, peak>>20)
	if peak > 400<<20 {
		t.Errorf("peak RSS %d MB: writing is not bounded", peak>>20)
	}

	// Read back windows far apart, with our reader and with GDAL.
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, at := range [][2]int{{0, 0}, {12345, 6789}, {size - 100, size - 100}} {
		got := makeBands[uint8](nb, 100*100)
		if err := r.ReadWindowNative(at[0], at[1], 100, 100, got); err != nil {
			t.Fatal(err)
		}
		for b := range got {
			for i, v := range got[b] {
				if want := value(at[0]+i%100, at[1]+i/100, b); v != want {
					t.Fatalf("(%d,%d) band %d = %d, want %d", at[0]+i%100, at[1]+i/100, b, v, want)
				}
			}
		}
		if _, err := exec.LookPath("gdal_translate"); err == nil {
			raw := filepath.Join(t.TempDir(), "win.raw")
			cmd := exec.Command("gdal_translate", "-q", "-of", "ENVI", "-co", "INTERLEAVE=BSQ", "-srcwin",
				strconv.Itoa(at[0]), strconv.Itoa(at[1]), "100", "100", path, raw)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gdal_translate: %v\n%s", err, out)
			}
			b, _ := os.ReadFile(raw)
			if string(b) != string(nativeBytes(got)) {
				t.Errorf("GDAL reads the window at %v differently", at)
			}
		}
	}
}

func hugeSource(t *testing.T) [][]uint8 {
	dir := shared.Dir(t)
	in := readAllFloat(t, filepath.Join(dir, "data/aerial/scenes/rgb16.tif"), 0)
	out := makeBands[uint8](3, 438*500)
	for b := range out {
		for i, v := range in[b] {
			out[b][i] = uint8(v / 141)
		}
	}
	return out
}

// peakRSS is the process's peak resident set size (VmHWM), in bytes.
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
