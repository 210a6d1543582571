package restore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/restore/internal/scenegen"
)

// gdalCase is one GeoTIFF for TestSceneGDALRoundTrip: a real scene, as it
// is or rewritten by gdal_translate, damaged by GDAL itself (gdal_rasterize
// burning lines of a value into the bands, or into a mask raster when the
// file is lossy).
type gdalCase struct {
	name      string
	src       string
	translate []string // gdal_translate options; nil copies the file
	burn      []int    // bands to burn the lines into (1-based); nil: a mask file
	value     string   // the value burnt
	want      MaskSource
	method    Method
}

func gdalCases() []gdalCase {
	idw := Filler{fill.IDW{}}
	rgb := scenePath("RGB.byte.tif")
	win := []string{"-srcwin", "0", "0", "480", "360"} // a corner with the nodata collar
	variant := func(name string, opts ...string) gdalCase {
		return gdalCase{name: name, src: rgb, translate: append(append([]string{}, win...), opts...),
			burn: []int{1, 2, 3}, value: "0", want: MaskNoData, method: constFill{}}
	}
	cases := []gdalCase{
		{name: "RGB.byte nodata 0", src: rgb, burn: []int{1, 2, 3}, value: "0", want: MaskNoData, method: idw},
		{name: "SJER nodata 255 LZW strips", src: scenePath("2018_SJER_3_252000_4107000_image_477.tif"), burn: []int{1, 2, 3}, value: "255", want: MaskNoData, method: idw},
		{name: "pix4d alpha", src: scenePath("pix4d_alpha_nodata.tif"), burn: []int{1, 2, 3, 4}, value: "0", want: MaskAlpha, method: idw},
		{name: "rgb16 black", src: scenePath("rgb16.tif"), burn: []int{1, 2, 3}, value: "0", want: MaskBlack, method: idw},
		{name: "NAIP 4 bands nodata 0", src: naipPath, burn: []int{1, 2, 3, 4}, value: "0", want: MaskNoData, method: idw},
		{name: "drone JPEG-in-TIFF mask file", src: scenePath("5b90f92da0d7280005fab355_4310.tif"), want: MaskFile, method: idw},
		{name: "Dutch JPEG tiles mask file", src: scenePath("test_tiled.tif"), want: MaskFile, method: idw},

		variant("none", "-co", "COMPRESS=NONE"),
		variant("lzw", "-co", "COMPRESS=LZW"),
		variant("lzw predictor 2", "-co", "COMPRESS=LZW", "-co", "PREDICTOR=2"),
		variant("deflate", "-co", "COMPRESS=DEFLATE"),
		variant("packbits", "-co", "COMPRESS=PACKBITS"),
		variant("tiled 128", "-co", "TILED=YES", "-co", "BLOCKXSIZE=128", "-co", "BLOCKYSIZE=128", "-co", "COMPRESS=DEFLATE"),
		variant("band interleaved", "-co", "INTERLEAVE=BAND", "-co", "COMPRESS=LZW"),
		variant("bigtiff", "-co", "BIGTIFF=YES"),
		variant("uint16", "-ot", "UInt16", "-co", "COMPRESS=DEFLATE"),
		variant("int16", "-ot", "Int16", "-co", "COMPRESS=DEFLATE"),
		variant("uint32", "-ot", "UInt32", "-co", "COMPRESS=LZW"),
		variant("int32", "-ot", "Int32", "-co", "COMPRESS=DEFLATE"),
		variant("float32", "-ot", "Float32", "-co", "COMPRESS=DEFLATE"),
		variant("float32 predictor 3", "-ot", "Float32", "-co", "COMPRESS=LZW", "-co", "PREDICTOR=3"),
		variant("float64", "-ot", "Float64", "-co", "COMPRESS=DEFLATE"),
	}
	nan := variant("float32 nodata NaN", "-ot", "Float32", "-a_nodata", "nan", "-co", "COMPRESS=DEFLATE")
	nan.value = "nan"
	jpeg := variant("jpeg ycbcr, mask file", "-co", "COMPRESS=JPEG", "-co", "PHOTOMETRIC=YCBCR")
	jpeg.burn, jpeg.want = nil, MaskFile
	grey := variant("grey 1 band", "-b", "1")
	grey.burn = []int{1}
	return append(cases, nan, jpeg, grey)
}

// TestSceneGDALRoundTrip restores GeoTIFFs that GDAL wrote and damaged,
// and checks with gdalinfo -json that the output has the input's size,
// coordinate system, geotransform, band count, types, nodata values,
// colour interpretation and dataset metadata, and with raster reads that
// every known pixel is bit-identical.
func TestSceneGDALRoundTrip(t *testing.T) {
	for _, tool := range []string{"gdalinfo", "gdal_translate", "gdal_rasterize", "gdal_create"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s: %v", tool, err)
		}
	}
	dir := t.TempDir()
	cases := gdalCases()
	if testing.Short() {
		cases = cases[:7] // the scenes as they are, not the gdal_translate variants
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			needFile(t, c.src)
			in := filepath.Join(dir, fmt.Sprintf("in%d.tif", i))
			if c.translate == nil {
				b, err := os.ReadFile(c.src)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(in, b, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				gdal(t, "gdal_translate", append(append([]string{"-q"}, c.translate...), c.src, in)...)
			}
			maskPath := burnLines(t, in, c.burn, c.value)
			before := gdalJSON(t, in)
			out := filepath.Join(dir, fmt.Sprintf("out%d.tif", i))
			st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: c.method, MaskPath: maskPath})
			if err != nil {
				t.Fatal(err)
			}
			if st.Mask != c.want {
				t.Errorf("mask source %q, want %q", st.Mask, c.want)
			}
			compareGDALInfo(t, before, gdalJSON(t, out))
			holes := expectedHoles(t, in, maskPath, st.Mask)
			if n := countHoles(holes); st.Filled+st.Unfilled != int64(n) || n < 100 {
				t.Errorf("filled %d and left %d pixels, want %d in all", st.Filled, st.Unfilled, n)
			}
			checkRestored(t, in, out, holes)
			os.Remove(out)
		})
	}
}

// TestSceneUnsupportedCompression checks that a valid GeoTIFF in a
// compression raster does not decode (ZSTD) fails with
// raster.UnsupportedError naming the file, and leaves no output.
func TestSceneUnsupportedCompression(t *testing.T) {
	if _, err := exec.LookPath("gdal_translate"); err != nil {
		t.Skip("no gdal_translate")
	}
	needFile(t, scenePath("RGB.byte.tif"))
	dir := t.TempDir()
	in := filepath.Join(dir, "zstd.tif")
	gdal(t, "gdal_translate", "-q", "-co", "COMPRESS=ZSTD", scenePath("RGB.byte.tif"), in)
	_, err := RestoreScene(context.Background(), in, filepath.Join(dir, "out.tif"), SceneOptions{Method: constFill{}})
	var ue *raster.UnsupportedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "zstd.tif") {
		t.Errorf("error %v, want a raster.UnsupportedError naming the file", err)
	}
	assertNoFiles(t, dir, "zstd.tif")
}

func gdal(t *testing.T, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func gdalJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(gdal(t, "gdalinfo", "-json", path)), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// burnLines draws six lines 2–8 pixels wide across the raster at path,
// with gdal_rasterize: into bands with value, or, when bands is nil, into
// a new mask raster on the same grid (255 = damaged), whose path it
// returns.
func burnLines(t *testing.T, path string, bands []int, value string) (maskPath string) {
	t.Helper()
	info := gdalJSON(t, path)
	size := info["size"].([]any)
	w, h := int(size[0].(float64)), int(size[1].(float64))
	gt := [6]float64{0, 1, 0, 0, 0, 1}
	if g, ok := info["geoTransform"].([]any); ok {
		for i := range gt {
			gt[i] = g[i].(float64)
		}
	}
	// A CSV layer has no coordinate system, so GDAL takes the raster's
	// (a GeoJSON one would be WGS 84 and reprojected).
	rows := []string{"id,WKT"}
	for k, l := range scenegen.Lines(w, h, 6, uint64(w*h)) {
		// The line's band as a quadrilateral in pixel coordinates,
		// mapped to the raster's coordinates.
		dx, dy := l.X1-l.X0, l.Y1-l.Y0
		n := math.Hypot(dx, dy)
		ox, oy := -dy/n*l.Width/2, dx/n*l.Width/2
		var pts []string
		for _, p := range [][2]float64{{l.X0 + ox, l.Y0 + oy}, {l.X1 + ox, l.Y1 + oy}, {l.X1 - ox, l.Y1 - oy}, {l.X0 - ox, l.Y0 - oy}, {l.X0 + ox, l.Y0 + oy}} {
			pts = append(pts, fmt.Sprintf("%.12g %.12g", gt[0]+p[0]*gt[1]+p[1]*gt[2], gt[3]+p[0]*gt[4]+p[1]*gt[5]))
		}
		rows = append(rows, fmt.Sprintf(`%d,"POLYGON((%s))"`, k, strings.Join(pts, ",")))
	}
	csv := path + ".lines.csv"
	if err := os.WriteFile(csv, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(csv)
	if bands == nil {
		maskPath = strings.TrimSuffix(path, ".tif") + ".mask.tif"
		gdal(t, "gdal_create", "-q", "-of", "GTiff", "-ot", "Byte", "-bands", "1", "-burn", "0", "-co", "COMPRESS=DEFLATE", "-if", path, maskPath)
		bands, value, path = []int{1}, "255", maskPath
	}
	args := []string{"-q"}
	for _, b := range bands {
		args = append(args, "-b", fmt.Sprint(b), "-burn", value)
	}
	gdal(t, "gdal_rasterize", append(args, csv, path)...)
	return maskPath
}

// expectedHoles derives the damaged pixels of the raster at path as the
// mask source src defines them, independently of RestoreScene.
func expectedHoles(t *testing.T, path, maskPath string, src MaskSource) []uint8 {
	t.Helper()
	info, b := readAll(t, path)
	n := info.Width * info.Height
	switch src {
	case MaskFile:
		_, m := readAll(t, maskPath)
		return holesWhere(n, func(i int) bool { return m[0][i] >= 128 })
	case MaskAlpha:
		return holesWhere(n, func(i int) bool { return b[info.Alpha][i] == 0 })
	case MaskBlack: // every colour band 0: R, G, B, or the one grey band
		colour := planBands(info).color
		return holesWhere(n, func(i int) bool {
			for _, k := range colour {
				if b[k][i] != 0 {
					return false
				}
			}
			return true
		})
	case MaskNoData:
		nd := float32(*info.NoData)
		return holesWhere(n, func(i int) bool {
			for k := range b {
				if v := b[k][i]; k != info.Alpha && v != nd && !(nd != nd && v != v) {
					return false
				}
			}
			return true
		})
	}
	t.Fatalf("mask source %q", src)
	return nil
}

// compareGDALInfo checks what must survive a restore: everything GDAL
// says about the georeferencing, bands and dataset metadata. Storage
// (compression, interleaving, block size) may differ.
func compareGDALInfo(t *testing.T, in, out map[string]any) {
	t.Helper()
	for _, k := range []string{"size", "coordinateSystem", "geoTransform", "cornerCoordinates"} {
		if !reflect.DeepEqual(in[k], out[k]) {
			t.Errorf("gdalinfo %s: input %v, output %v", k, in[k], out[k])
		}
	}
	if !reflect.DeepEqual(in["metadata"].(map[string]any)[""], out["metadata"].(map[string]any)[""]) {
		t.Errorf("gdalinfo metadata: input %v, output %v", in["metadata"].(map[string]any)[""], out["metadata"].(map[string]any)[""])
	}
	ib, ob := in["bands"].([]any), out["bands"].([]any)
	if len(ib) != len(ob) {
		t.Fatalf("%d bands, input %d", len(ob), len(ib))
	}
	for i := range ib {
		bi, bo := ib[i].(map[string]any), ob[i].(map[string]any)
		for _, k := range []string{"type", "noDataValue", "colorInterpretation", "mask"} {
			if !reflect.DeepEqual(bi[k], bo[k]) {
				t.Errorf("band %d %s: input %v, output %v", i+1, k, bi[k], bo[k])
			}
		}
	}
}
