//go:build linux

package restore

import (
	"context"
	"image"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/raster"
)

// TestTileSweep measures how the tile size and overlap of RestoreScene
// change quality (PSNR over the damaged pixels) and cost (CPU time, wall
// time, peak RSS) on a 2048 × 1148 drone orthophoto with line damage.
// It runs only with AEROFILL_TILESWEEP=1. AEROFILL_TILESWEEP_MODEL names
// the method: idw (the default), a checkpoint, or "random" for LaMa-Fourier
// (27 M parameters) with random weights, whose cost is a trained model's
// but whose PSNR means nothing. AEROFILL_TILESWEEP_TILES and _OVERLAPS
// take comma-separated lists.
//
//	AEROFILL_TILESWEEP=1 go test -run TestTileSweep -v -timeout 3h ./restore/
func TestTileSweep(t *testing.T) {
	if os.Getenv("AEROFILL_TILESWEEP") == "" {
		t.Skip("set AEROFILL_TILESWEEP=1 to sweep tile sizes")
	}
	src := scenePath("5b90f92da0d7280005fab355_4310.tif")
	needFile(t, src)
	dir := t.TempDir()
	info, clean := readWindow(t, src, image.Rect(0, 900, 2048, 2048))
	info.Photometric, info.Compression, info.TileWidth, info.TileHeight, info.RowsPerStrip = raster.PhotometricRGB, 0, 0, 0, 0
	holes := lineHoles(t, info.Width, info.Height, 2048)
	in, maskPath := filepath.Join(dir, "in.tif"), filepath.Join(dir, "mask.tif")
	writeRaster(t, in, info, damage(clean, holes, -1, 0))
	writeMask(t, maskPath, info.Width, info.Height, holes)

	var method Method = Filler{fill.IDW{}}
	switch spec := os.Getenv("AEROFILL_TILESWEEP_MODEL"); spec {
	case "", "idw":
	case "random":
		w, err := lama.RandomWeights(lama.LamaFourier, 1)
		if err != nil {
			t.Fatal(err)
		}
		g, err := lama.New(w)
		if err != nil {
			t.Fatal(err)
		}
		if method, err = NewModel("lama-fourier-random", g, ""); err != nil {
			t.Fatal(err)
		}
	default:
		var err error
		if method, err = Open(spec); err != nil {
			t.Fatal(err)
		}
	}
	tiles := intList(t, "AEROFILL_TILESWEEP_TILES", "256,384,512,768,1024")
	overlaps := intList(t, "AEROFILL_TILESWEEP_OVERLAPS", "32,64,128")
	t.Logf("%s on %d×%d, %d damaged pixels (%.1f%%)", method.Name(), info.Width, info.Height, countHoles(holes),
		100*float64(countHoles(holes))/float64(len(holes)))
	t.Logf("| tile | overlap | tiles computed | area computed / scene | PSNR dB | CPU s | wall s | peak RSS MB |")
	for _, tile := range tiles {
		for _, overlap := range overlaps {
			if overlap >= tile {
				continue
			}
			out := filepath.Join(dir, "out.tif")
			runtime.GC()
			debug.FreeOSMemory()
			resetPeakRSS(t)
			cpu0 := cpuclock.Process()
			st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: method, Tile: tile, Overlap: overlap, Mask: MaskFile, MaskPath: maskPath})
			if err != nil {
				t.Fatal(err)
			}
			cpu := cpuclock.Process() - cpu0
			peak := rssKB(t, "VmHWM")
			_, res := readAll(t, out)
			area := 0
			for _, r := range TileGrid(info.Height, info.Width, tile, overlap) {
				area += r.Dx() * r.Dy()
			}
			t.Logf("| %d | %d | %d of %d | %.2f | %.2f | %.1f | %.1f | %d |", tile, overlap, st.Computed, st.Tiles,
				float64(area)/float64(info.Width*info.Height), psnr(res[:3], clean[:3], holes, 255),
				cpu.Seconds(), st.Duration.Seconds(), peak>>10)
		}
	}
}

func intList(t *testing.T, env, def string) []int {
	s := os.Getenv(env)
	if s == "" {
		s = def
	}
	var v []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		v = append(v, n)
	}
	return v
}
