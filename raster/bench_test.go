package raster

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
	"github.com/aerofill/aerofill/internal/shared"
)

// Benchmarks over the shared scenes; testdata/bench_gdal.py times GDAL on
// the same work (see NOTES.md for figures).
var benchScenes = []string{
	"scenes/RGB.byte.tif",                             // uncompressed strips
	"scenes/2018_SJER_3_252000_4107000_image_477.tif", // LZW strips
	"scenes/rgb16.tif",                                // LZW 32×32 tiles, uint16
	"scenes/pix4d_alpha_nodata.tif",                   // LZW + predictor 2 strips
	"naip/m_4709963_se_14_1_20200831.tif",             // Deflate 512×512 tiles
	"scenes/test_tiled.tif",                           // JPEG YCbCr tiles
	"scenes/5b90f92da0d7280005fab355_4310.tif",        // JPEG YCbCr strips
}

// BenchmarkReadScene opens a scene and reads all of it in its own sample
// type (as GDAL's ReadAsArray does), cold.
func BenchmarkReadScene(b *testing.B) {
	dir := shared.Path(b, "data", "aerial")
	for _, rel := range benchScenes {
		path := filepath.Join(dir, rel)
		b.Run(filepath.Base(rel), func(b *testing.B) {
			r, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			in := r.Info()
			r.Close()
			bands := makeNative(in.Type, in.Bands, in.Width*in.Height)
			b.SetBytes(int64(in.Width * in.Height * in.Bands * in.Type.Size()))
			cpu := cpuclock.Process()
			for b.Loop() {
				r, err := Open(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := r.ReadWindowNative(0, 0, in.Width, in.Height, bands); err != nil {
					b.Fatal(err)
				}
				r.Close()
			}
			reportCPU(b, cpu)
		})
	}
}

// BenchmarkReadFloat32 reads a scene whole as float32 through one Reader,
// warm: the cost of conversion on top of decoding.
func BenchmarkReadFloat32(b *testing.B) {
	r, err := Open(shared.Path(b, "data", "aerial", "scenes", "rgb16.tif"))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	in := r.Info()
	bands := makeBands[float32](in.Bands, in.Width*in.Height)
	b.SetBytes(int64(in.Width * in.Height * in.Bands * 4))
	for b.Loop() {
		if err := r.ReadWindow(0, 0, in.Width, in.Height, bands); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds the CPU milliseconds per iteration since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuclock.Process()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkWrite writes a 2048×2048 RGB scene (the JPEG one, decoded) as a
// 256×256-tiled GeoTIFF with each compression.
func BenchmarkWrite(b *testing.B) {
	path := shared.Path(b, "data", "aerial", "scenes", "5b90f92da0d7280005fab355_4310.tif")
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	in := r.Info()
	bands := makeBands[uint8](in.Bands, in.Width*in.Height)
	if err := r.ReadWindowNative(0, 0, in.Width, in.Height, bands); err != nil {
		b.Fatal(err)
	}
	r.Close()
	out := filepath.Join(b.TempDir(), "out.tif")
	for _, opt := range []WriteOptions{
		{Compression: "none"}, {Compression: "deflate"}, {Compression: "deflate", Predictor: 2},
		{Compression: "lzw"}, {Compression: "lzw", Predictor: 2},
	} {
		name := opt.Compression
		if opt.Predictor == 2 {
			name += "+p2"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(bands) * len(bands[0])))
			cpu := cpuclock.Process()
			for b.Loop() {
				w, err := Create(out, in, opt)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.WriteWindowNative(0, 0, in.Width, in.Height, bands); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
			st, _ := os.Stat(out)
			b.ReportMetric(float64(st.Size())/1e6, "MB-file")
		})
	}
}
