package raster

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
)

// The golden data in testdata was made by testdata/gen.py with GDAL 3.6.2
// (libtiff 4.5.0, libjpeg-turbo 2.1.5): what GDAL's ReadAsArray returns for
// each file.

type golden struct {
	Width, Height, Bands int
	Type                 string
	NoData               any // float64, "nan" or nil
	GeoTransform         []float64
	SHA256               string
	Lossy                bool
	Values               string // lossy files: GDAL's samples, base64
	Options              map[string]string

	// Scenes only.
	WKT           string
	Overviews     int
	ColorInterp   []string
	Overview1SHA  string   `json:"overview1_sha256"`
	SampleWindows [][4]int `json:"sample_windows"`
	Samples       string
}

func loadGolden(t *testing.T, path string) map[string]golden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]golden
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

// readNative reads all of r in its own type and returns the samples band
// after band, little-endian: the layout of the golden hashes.
func readNative(t testing.TB, r Reader) []byte {
	t.Helper()
	in := r.Info()
	n := in.Width * in.Height
	bands := makeNative(in.Type, in.Bands, n)
	if err := r.ReadWindowNative(0, 0, in.Width, in.Height, bands); err != nil {
		t.Fatal(err)
	}
	return nativeBytes(bands)
}

func makeNative(t SampleType, nb, n int) any {
	switch t {
	case Uint8:
		return makeBands[uint8](nb, n)
	case Int8:
		return makeBands[int8](nb, n)
	case Uint16:
		return makeBands[uint16](nb, n)
	case Int16:
		return makeBands[int16](nb, n)
	case Uint32:
		return makeBands[uint32](nb, n)
	case Int32:
		return makeBands[int32](nb, n)
	case Float32:
		return makeBands[float32](nb, n)
	case Float64:
		return makeBands[float64](nb, n)
	}
	panic("bad type")
}

func makeBands[T any](nb, n int) [][]T {
	b := make([][]T, nb)
	for i := range b {
		b[i] = make([]T, n)
	}
	return b
}

func nativeBytes(bands any) []byte {
	var buf bytes.Buffer
	switch v := bands.(type) {
	case [][]uint8:
		for _, b := range v {
			buf.Write(b)
		}
	default:
		// encoding/binary writes slices of fixed-size numbers.
		for i := 0; ; i++ {
			var band any
			switch v := bands.(type) {
			case [][]int8:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]uint16:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]int16:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]uint32:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]int32:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]float32:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			case [][]float64:
				if i == len(v) {
					return buf.Bytes()
				}
				band = v[i]
			}
			if err := writeLE(&buf, band); err != nil {
				panic(err)
			}
		}
	}
	return buf.Bytes()
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// gdalTypeName is GDAL 3.6's name for t: it has no Int8 and reads signed
// bytes as Byte.
func gdalTypeName(t SampleType) string {
	if t == Int8 {
		return "Byte"
	}
	return t.String()
}

func checkInfo(t *testing.T, name string, in Info, g golden) {
	t.Helper()
	if in.Width != g.Width || in.Height != g.Height || in.Bands != g.Bands || gdalTypeName(in.Type) != g.Type {
		t.Errorf("%s: %d×%d×%d %v, GDAL says %d×%d×%d %s", name, in.Width, in.Height, in.Bands, in.Type, g.Width, g.Height, g.Bands, g.Type)
	}
	switch nd := g.NoData.(type) {
	case nil:
		if in.NoData != nil {
			t.Errorf("%s: nodata %v, GDAL has none", name, *in.NoData)
		}
	case string: // "nan"
		if in.NoData == nil || !math.IsNaN(*in.NoData) {
			t.Errorf("%s: nodata %v, want NaN", name, in.NoData)
		}
	case float64:
		if in.NoData == nil || *in.NoData != nd {
			t.Errorf("%s: nodata %v, want %v", name, in.NoData, nd)
		}
	}
	if len(g.GeoTransform) == 6 {
		gt, ok := in.Geo.GeoTransform()
		if !ok || [6]float64(g.GeoTransform) != gt {
			t.Errorf("%s: geotransform %v, GDAL says %v", name, gt, g.GeoTransform)
		}
	}
}

// TestGDALFiles reads every file GDAL made in testdata/gdal and compares
// with what GDAL reads from it: exactly for lossless files, within
// maxJPEGDiff for JPEG.
func TestGDALFiles(t *testing.T) {
	m := loadGolden(t, "testdata/gdal/manifest.json")
	for _, name := range sortedKeys(m) {
		g := m[name]
		t.Run(name, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata/gdal", name))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			in := r.Info()
			checkInfo(t, name, in, g)
			got := readNative(t, r)
			if !g.Lossy {
				if s := sha(got); s != g.SHA256 {
					t.Errorf("samples differ from GDAL's (sha256 %s, want %s)", s, g.SHA256)
				}
				return
			}
			want, _ := base64.StdEncoding.DecodeString(g.Values)
			st := diffStats(got, want)
			t.Logf("vs GDAL: max |diff| %d, mean %.4f, %.2f%% of samples differ", st.max, st.mean, 100*st.frac)
			if st.max > maxJPEGDiff || st.mean > maxJPEGMean {
				t.Errorf("JPEG samples too far from GDAL's: max %d mean %.4f", st.max, st.mean)
			}
		})
	}
}

// JPEG decoded by image/jpeg differs from libjpeg-turbo's islow IDCT by a
// rounding here and there; upsampling and colour conversion follow libjpeg
// exactly, so the differences stay at a few levels.
const (
	maxJPEGDiff = 4
	maxJPEGMean = 0.05
)

type stats struct {
	max  int
	mean float64
	frac float64
}

func diffStats(a, b []byte) stats {
	if len(a) != len(b) {
		return stats{max: 1 << 30}
	}
	var s stats
	var sum, n int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
		if d > 0 {
			n++
		}
		s.max = max(s.max, d)
	}
	s.mean = float64(sum) / float64(len(a))
	s.frac = float64(n) / float64(len(a))
	return s
}

// TestScenes opens every shared scene and checks the metadata and pixels
// against GDAL's.
func TestScenes(t *testing.T) {
	dir := shared.Dir(t)
	m := loadGolden(t, "testdata/scenes.json")
	for _, rel := range sortedKeys(m) {
		g := m[rel]
		t.Run(filepath.Base(rel), func(t *testing.T) {
			r, err := Open(filepath.Join(dir, rel))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			in := r.Info()
			checkInfo(t, rel, in, g)
			if in.Overviews != g.Overviews {
				t.Errorf("%d overviews, GDAL says %d", in.Overviews, g.Overviews)
			}
			if fmt.Sprint(in.ColorInterp) != fmt.Sprint(g.ColorInterp) {
				t.Errorf("colour interpretation %v, GDAL says %v", in.ColorInterp, g.ColorInterp)
			}
			if !g.Lossy {
				if s := sha(readNative(t, r)); s != g.SHA256 {
					t.Errorf("samples differ from GDAL's")
				}
			} else {
				checkSceneSamples(t, r, g)
			}
			if g.Overview1SHA != "" {
				ov, err := OpenWith(filepath.Join(dir, rel), OpenOptions{Overview: 1})
				if err != nil {
					t.Fatal(err)
				}
				defer ov.Close()
				if s := sha(readNative(t, ov)); s != g.Overview1SHA {
					t.Errorf("overview 1 differs from GDAL's")
				}
			}
		})
	}
}

// checkSceneSamples compares a JPEG scene with GDAL's values in the sample
// windows and on the sparse grid that gen.py stored.
func checkSceneSamples(t *testing.T, r Reader, g golden) {
	f, err := os.Open(filepath.Join("testdata", g.Samples))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	in := r.Info()
	var got []byte
	for _, w := range g.SampleWindows {
		bands := makeBands[uint8](in.Bands, w[2]*w[3])
		if err := r.ReadWindowNative(w[0], w[1], w[2], w[3], bands); err != nil {
			t.Fatal(err)
		}
		got = append(got, nativeBytes(bands)...)
	}
	all := makeBands[uint8](in.Bands, in.Width*in.Height)
	if err := r.ReadWindowNative(0, 0, in.Width, in.Height, all); err != nil {
		t.Fatal(err)
	}
	for _, band := range all {
		for y := 0; y < in.Height; y++ {
			for x := 0; x < in.Width; x++ {
				if (7*x+13*y)%61 == 0 {
					got = append(got, band[y*in.Width+x])
				}
			}
		}
	}
	st := diffStats(got, want)
	t.Logf("vs GDAL on %d samples: max |diff| %d, mean %.4f, %.2f%% differ", len(want), st.max, st.mean, 100*st.frac)
	if st.max > maxJPEGDiff || st.mean > maxJPEGMean {
		t.Errorf("JPEG samples too far from GDAL's: max %d mean %.4f", st.max, st.mean)
	}
}
