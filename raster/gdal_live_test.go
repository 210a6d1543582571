package raster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
)

// These tests run GDAL itself (gdalinfo, gdal_translate) and skip when it
// is not installed; the golden-file tests cover the same ground offline.

func needGDAL(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"gdalinfo", "gdal_translate"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}

type gdalInfo struct {
	CoordinateSystem struct {
		WKT string `json:"wkt"`
	} `json:"coordinateSystem"`
	GeoTransform []float64 `json:"geoTransform"`
	Bands        []struct {
		Type                string `json:"type"`
		NoDataValue         any    `json:"noDataValue"`
		Checksum            int    `json:"checksum"`
		ColorInterpretation string `json:"colorInterpretation"`
	} `json:"bands"`
	Metadata map[string]map[string]string `json:"metadata"`
}

func runGDALInfo(t *testing.T, path string) gdalInfo {
	t.Helper()
	out, err := exec.Command("gdalinfo", "-json", "-checksum", path).Output()
	if err != nil {
		t.Fatalf("gdalinfo %s: %v", path, err)
	}
	var gi gdalInfo
	if err := json.Unmarshal(out, &gi); err != nil {
		t.Fatal(err)
	}
	return gi
}

// gdalSamples returns what GDAL reads from path: every band, one after
// the other, in the machine's (little-endian) byte order.
func gdalSamples(t *testing.T, path string) []byte {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "gdal.raw")
	if out, err := exec.Command("gdal_translate", "-q", "-of", "ENVI", "-co", "INTERLEAVE=BSQ", path, raw).CombinedOutput(); err != nil {
		t.Fatalf("gdal_translate %s: %v\n%s", path, err, out)
	}
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGDALScenesLive compares every pixel of every shared scene with what
// GDAL reads.
func TestGDALScenesLive(t *testing.T) {
	needGDAL(t)
	for _, path := range scenePaths(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, want := readNative(t, r), gdalSamples(t, path)
			if r.Info().Compression != CompressionJPEG {
				if !bytes.Equal(got, want) {
					t.Error("samples differ from GDAL's")
				}
				return
			}
			st := diffStats(got, want)
			t.Logf("JPEG vs GDAL over the whole image: max |diff| %d, mean %.4f, %.2f%% of samples differ", st.max, st.mean, 100*st.frac)
			if st.max > maxJPEGDiff || st.mean > maxJPEGMean {
				t.Errorf("too far from GDAL")
			}
		})
	}
}

func scenePaths(t *testing.T) []string {
	dir := shared.Dir(t)
	var paths []string
	for _, sub := range []string{"data/aerial/scenes", "data/aerial/naip"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.tif"))
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Skip("no scenes")
	}
	return paths
}

// TestGDALReadsOurOutput reads each scene (and small files of the other
// sample types), writes it with each compression and layout, and checks
// with gdalinfo that GDAL sees the same coordinate system, geotransform,
// nodata, bands, types, colour interpretation and checksums, and with
// gdal_translate that it reads exactly the samples we wrote.
func TestGDALReadsOurOutput(t *testing.T) {
	needGDAL(t)
	inputs := []string{
		"testdata/gdal/Float32_deflate3_t16sep_4b.tif",
		"testdata/gdal/Float64_lzw3_s7_1b_big.tif",
		"testdata/gdal/Int32_none_t16_3b.tif",
		"testdata/gdal/UInt32_deflate_t16_3b.tif",
		"testdata/gdal/Int16_lzw2_t16sep_4b.tif",
		"testdata/gdal/Int8_lzw2_t16_3b.tif",
		"testdata/gdal/sparse_t16.tif",
	}
	variants := []WriteOptions{
		{Compression: "deflate"},
		{Compression: "none", Strips: true},
		{Compression: "lzw"},
		{Compression: "lzw", Predictor: 2, Strips: true, RowsPerStrip: 37},
		{Compression: "deflate", Predictor: 2, TileWidth: 128, TileHeight: 64},
		{Compression: "none", BigTIFF: true},
		{Compression: "lzw", Predictor: 3},
		{Compression: "deflate", Predictor: 3, Strips: true},
	}
	checkInputs(t, inputs, variants, 0)
	t.Run("scenes", func(t *testing.T) { checkInputs(t, scenePaths(t), variants, len(inputs)) })
}

// checkInputs runs TestGDALReadsOurOutput's checks on inputs; k0 offsets
// the rotation of variants.
func checkInputs(t *testing.T, inputs []string, variants []WriteOptions, k0 int) {
	for k, in := range inputs {
		k += k0
		// Every input gets the default options and two others in turn, so
		// that all variants are covered without running GDAL 120 times.
		mine := []WriteOptions{variants[0], variants[1+(2*k)%(len(variants)-1)], variants[1+(2*k+1)%(len(variants)-1)]}
		if testing.Short() {
			mine = mine[:1]
		}
		if !strings.HasPrefix(in, "testdata") && len(mine) > 2 {
			mine = mine[:2] // the scenes are larger: two variants each
		}
		t.Run(filepath.Base(in), func(t *testing.T) {
			r, err := Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info := r.Info()
			samples := readNative(t, r)
			wantInfo := runGDALInfo(t, in)
			if info.Type.IsFloat() && !testing.Short() {
				mine = append(mine, variants[6], variants[7])
			}
			for i, opt := range mine {
				if opt.Predictor == 3 && !info.Type.IsFloat() {
					opt.Predictor = 2
				}
				out := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.tif", i))
				w, err := Create(out, info, opt)
				if err != nil {
					t.Fatal(err)
				}
				// Write in bands of 100 rows, as a tiled pipeline would.
				n := info.Width * info.Height
				all := makeNative(info.Type, info.Bands, n)
				if err := r.ReadWindowNative(0, 0, info.Width, info.Height, all); err != nil {
					t.Fatal(err)
				}
				for y := 0; y < info.Height; y += 100 {
					h := min(100, info.Height-y)
					if err := w.WriteWindowNative(0, y, info.Width, h, subWindow(all, info.Width, 0, y, info.Width, h)); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got := runGDALInfo(t, out)
				what := fmt.Sprintf("%+v", opt)
				if got.CoordinateSystem.WKT != wantInfo.CoordinateSystem.WKT {
					t.Errorf("%s: coordinate system differs:\n%s\nwant\n%s", what, got.CoordinateSystem.WKT, wantInfo.CoordinateSystem.WKT)
				}
				if !reflect.DeepEqual(got.GeoTransform, wantInfo.GeoTransform) {
					t.Errorf("%s: geotransform %v, want %v", what, got.GeoTransform, wantInfo.GeoTransform)
				}
				if len(got.Bands) != len(wantInfo.Bands) {
					t.Fatalf("%s: %d bands, want %d", what, len(got.Bands), len(wantInfo.Bands))
				}
				lossless := info.Compression != CompressionJPEG
				for b := range got.Bands {
					g, want := got.Bands[b], wantInfo.Bands[b]
					if g.Type != want.Type || fmt.Sprint(g.NoDataValue) != fmt.Sprint(want.NoDataValue) || g.ColorInterpretation != want.ColorInterpretation {
						t.Errorf("%s: band %d is %s nodata %v %s, want %s nodata %v %s", what, b+1,
							g.Type, g.NoDataValue, g.ColorInterpretation, want.Type, want.NoDataValue, want.ColorInterpretation)
					}
					if lossless && g.Checksum != want.Checksum {
						t.Errorf("%s: band %d checksum %d, want %d", what, b+1, g.Checksum, want.Checksum)
					}
				}
				if gm, wm := got.Metadata[""], wantInfo.Metadata[""]; !reflect.DeepEqual(gm, wm) {
					t.Errorf("%s: metadata %v, want %v", what, gm, wm)
				}
				// Equal checksums already say GDAL reads what was written;
				// compare every sample once per input, and always for JPEG
				// inputs, whose checksums differ from GDAL's decoding.
				if (i == 0 || !lossless) && !bytes.Equal(gdalSamples(t, out), samples) {
					t.Errorf("%s: GDAL reads other samples than were written", what)
				}
				if opt.BigTIFF {
					if b, _ := os.ReadFile(out); !strings.HasPrefix(string(b), "II+") {
						t.Errorf("%s: not a BigTIFF", what)
					}
				}
			}
		})
	}
}
