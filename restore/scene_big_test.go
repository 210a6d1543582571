//go:build linux

package restore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/restore/internal/scenegen"
)

// TestBigScene restores a 20,000 × 20,000 RGB GeoTIFF (1.2 GB of pixels)
// with lines of nodata across it and reports the peak resident memory of
// the restore and its throughput. It takes minutes and several GB of disk,
// so it runs only with AEROFILL_BIGSCENE=1 (AEROFILL_BIGSCENE_SIZE=N for
// another side, AEROFILL_BIGSCENE_MODEL=checkpoint for a model in place
// of IDW, AEROFILL_BIGSCENE_DIR=dir to keep the scene there).
//
//	AEROFILL_BIGSCENE=1 go test -run TestBigScene -v -timeout 2h ./restore/
func TestBigScene(t *testing.T) {
	if os.Getenv("AEROFILL_BIGSCENE") == "" {
		t.Skip("set AEROFILL_BIGSCENE=1 to restore a 20,000² scene")
	}
	side := 20000
	if s := os.Getenv("AEROFILL_BIGSCENE_SIZE"); s != "" {
		var err error
		if side, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := os.Getenv("AEROFILL_BIGSCENE_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	in := filepath.Join(dir, "big.tif")
	if _, err := os.Stat(in); err != nil {
		start := time.Now()
		holes, err := scenegen.Make(in, scenegen.Options{
			Width: side, Height: side, Sources: bigSources(t), Lines: scenegen.Lines(side, side, side/500, 20),
			Geo: naipGeo(t), Write: raster.WriteOptions{TileWidth: 512, TileHeight: 512},
		})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(in)
		t.Logf("made %s: %d×%d, %d damaged pixels (%.2f%%), %d MB, in %s", in, side, side, holes,
			100*float64(holes)/float64(side)/float64(side), st.Size()>>20, time.Since(start).Round(time.Second))
	}
	var method Method = Filler{fill.IDW{}}
	if p := os.Getenv("AEROFILL_BIGSCENE_MODEL"); p != "" {
		var err error
		if method, err = Open(p); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out.tif")
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(t)
	before := rssKB(t, "VmHWM")
	cpu0 := cpuclock.Process()
	st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	cpu := cpuclock.Process() - cpu0
	peak := rssKB(t, "VmHWM")
	mp := float64(st.Width) * float64(st.Height) / 1e6
	// The machine is shared: CPU time says more than wall time.
	t.Logf("%s: %d×%d, %d of %d tiles computed, %d pixels filled in %s (CPU %s): %.2f MP/s, %.2f MP per CPU second; peak RSS %d MB (%d MB before)",
		method.Name(), st.Width, st.Height, st.Computed, st.Tiles, st.Filled, st.Duration.Round(time.Millisecond),
		cpu.Round(time.Millisecond), mp/st.Duration.Seconds(), mp/cpu.Seconds(), peak>>10, before>>10)
	// One row of tiles is W·T pixels; the pipeline holds a few float32
	// copies of it (input bands, blend sums, weights): ~8 values a pixel
	// for RGB, plus the reader's 64 MiB cache and the writer's partial
	// blocks. Allow 2.5× that for the garbage collector.
	bound := int64(2.5*float64(st.Width)*DefaultTile*8*4) + 256<<20
	if peak<<10 > bound {
		t.Errorf("peak RSS %d MB exceeds %d MB for one row of tiles", peak>>10, bound>>20)
	}
}

// bigSources are real scenes to repeat: the NAIP scene's RGB, the Dutch
// orthophoto, the drone ortho below its black wedge, and NEON.
func bigSources(t *testing.T) []scenegen.Source {
	var srcs []scenegen.Source
	for _, s := range []struct {
		path         string
		bands        [3]int
		x0, y0, w, h int
	}{
		{naipPath, [3]int{0, 1, 2}, 0, 0, 0, 0},
		{scenePath("test_tiled.tif"), [3]int{0, 1, 2}, 0, 0, 0, 0},
		{scenePath("5b90f92da0d7280005fab355_4310.tif"), [3]int{0, 1, 2}, 0, 900, 0, 0},
		{scenePath("2018_SJER_3_252000_4107000_image_477.tif"), [3]int{0, 1, 2}, 0, 0, 0, 0},
	} {
		src, err := scenegen.ReadSource(s.path, s.bands, s.x0, s.y0, s.w, s.h)
		if err != nil {
			t.Skip(err)
		}
		srcs = append(srcs, src)
	}
	return srcs
}

func naipGeo(t *testing.T) *raster.Geo {
	r, err := raster.Open(naipPath)
	if err != nil {
		t.Skip(err)
	}
	defer r.Close()
	return r.Info().Geo
}

// resetPeakRSS resets the kernel's peak resident set size (VmHWM) of this
// process to its current value (Linux ≥ 4.0).
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset VmHWM: %v", err)
	}
}

// rssKB returns a field of /proc/self/status in kB.
func rssKB(t *testing.T, field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Skipf("no %s in /proc/self/status", field)
	return 0
}
