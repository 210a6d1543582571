package restore

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/raster"
)

// The real scenes of the shared data set (see its README for their traps).
var (
	sceneDir   = "/work/shared/data/aerial/scenes"
	naipPath   = "/work/shared/data/aerial/naip/m_4709963_se_14_1_20200831.tif"
	oracleLaMa = "/work/shared/oracle/fourier-small/model.safetensors"
)

func scenePath(name string) string { return filepath.Join(sceneDir, name) }

// needFile skips the test when a shared input is missing.
func needFile(t testing.TB, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared data missing: %v", err)
	}
}

// readAll reads a whole raster as float32 bands.
func readAll(t testing.TB, path string) (raster.Info, [][]float32) {
	t.Helper()
	return readWindow(t, path, image.Rectangle{})
}

// readWindow reads rectangle r of a raster (all of it when r is empty).
func readWindow(t testing.TB, path string, r image.Rectangle) (raster.Info, [][]float32) {
	t.Helper()
	in, err := raster.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	info := in.Info()
	if r.Empty() {
		r = image.Rect(0, 0, info.Width, info.Height)
	}
	bands := make([][]float32, info.Bands)
	for i := range bands {
		bands[i] = make([]float32, r.Dx()*r.Dy())
	}
	if err := in.ReadWindow(r.Min.X, r.Min.Y, r.Dx(), r.Dy(), bands); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	info.Width, info.Height = r.Dx(), r.Dy()
	return info, bands
}

// writeRaster writes bands as a raster described by info.
func writeRaster(t testing.TB, path string, info raster.Info, bands [][]float32) {
	t.Helper()
	w, err := raster.Create(path, info, raster.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteWindow(0, 0, info.Width, info.Height, bands); err != nil {
		w.Abort()
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// lineHoles returns a w×h line-damage mask (1 = damaged) from seed.
func lineHoles(t testing.TB, w, h int, seed uint64) []uint8 {
	t.Helper()
	m, err := mask.Generate(mask.Lines, w, h, seed, mask.DefaultCoverage(mask.Lines))
	if err != nil {
		t.Fatal(err)
	}
	holes := make([]uint8, w*h)
	for i, v := range m.Pix {
		if v != 0 {
			holes[i] = 1
		}
	}
	return holes
}

// damage sets the damaged pixels of every non-alpha band to v.
func damage(bands [][]float32, holes []uint8, alpha int, v float32) [][]float32 {
	out := make([][]float32, len(bands))
	for b := range bands {
		out[b] = append([]float32(nil), bands[b]...)
		if b == alpha {
			continue
		}
		for i, h := range holes {
			if h != 0 {
				out[b][i] = v
			}
		}
	}
	return out
}

// writeMask writes holes as an 8-bit mask raster (255 = damaged).
func writeMask(t testing.TB, path string, w, h int, holes []uint8) {
	t.Helper()
	m := make([]float32, w*h)
	for i, v := range holes {
		if v != 0 {
			m[i] = 255
		}
	}
	writeRaster(t, path, raster.Info{Width: w, Height: h, Bands: 1, Type: raster.Uint8, Alpha: -1}, [][]float32{m})
}

// psnr is the peak signal-to-noise ratio, in dB, of got against want over
// the pixels where holes is non-zero, for values of range peak.
func psnr(got, want [][]float32, holes []uint8, peak float64) float64 {
	var se float64
	n := 0
	for b := range got {
		for i, h := range holes {
			if h != 0 {
				d := float64(got[b][i]) - float64(want[b][i])
				se += d * d
				n++
			}
		}
	}
	if n == 0 || se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(peak*peak/(se/float64(n)))
}
