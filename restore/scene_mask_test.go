package restore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/tensor"
)

// holesWhere marks the pixels for which damaged(i) holds.
func holesWhere(n int, damaged func(i int) bool) []uint8 {
	h := make([]uint8, n)
	for i := range h {
		if damaged(i) {
			h[i] = 1
		}
	}
	return h
}

// checkRestored checks an output against its input: the same size,
// bands, type, nodata, georeferencing and colour interpretation; known
// pixels bit-identical (compared as float32, which holds every sample of
// up to 24 bits exactly). It returns the output.
func checkRestored(t *testing.T, inPath, outPath string, holes []uint8) (raster.Info, [][]float32) {
	t.Helper()
	ii, in := readAll(t, inPath)
	oi, out := readAll(t, outPath)
	if oi.Width != ii.Width || oi.Height != ii.Height || oi.Bands != ii.Bands || oi.Type != ii.Type {
		t.Fatalf("output %d×%d×%d %v, input %d×%d×%d %v", oi.Width, oi.Height, oi.Bands, oi.Type, ii.Width, ii.Height, ii.Bands, ii.Type)
	}
	if oi.NoDataText != ii.NoDataText || oi.Alpha != ii.Alpha {
		t.Errorf("nodata %q alpha %d, input %q %d", oi.NoDataText, oi.Alpha, ii.NoDataText, ii.Alpha)
	}
	if !reflect.DeepEqual(oi.Geo, ii.Geo) {
		t.Errorf("georeferencing changed:\n in  %+v\n out %+v", ii.Geo, oi.Geo)
	}
	if !reflect.DeepEqual(oi.ColorInterp, ii.ColorInterp) {
		t.Errorf("colour interpretation %v, input %v", oi.ColorInterp, ii.ColorInterp)
	}
	for b := range in {
		for i, h := range holes {
			if h == 0 && out[b][i] != in[b][i] && !(in[b][i] != in[b][i] && out[b][i] != out[b][i]) {
				t.Fatalf("known pixel (%d,%d) band %d: %v → %v", i%ii.Width, i/ii.Width, b, in[b][i], out[b][i])
			}
		}
	}
	return oi, out
}

// constFill fills every hole with 0.4: what a mask test needs to see
// which pixels were filled, at no cost.
type constFill struct{}

func (constFill) Name() string { return "const" }

func (constFill) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	out := img.Clone()
	m := mask.Plane(0, 0)
	for c := 0; c < 3; c++ {
		p := out.Plane(0, c)
		for i, v := range m {
			if v != 0 {
				p[i] = 0.4
			}
		}
	}
	return out, nil
}

// TestSceneMaskSources restores the real scenes whose damage comes from
// each mask source, with auto-detection, and checks the source chosen,
// the pixels filled, that known pixels are untouched, and the sidecar
// raster of filled pixels.
func TestSceneMaskSources(t *testing.T) {
	dir := t.TempDir()
	// A line mask file over the Dutch orthophoto.
	tiled := scenePath("test_tiled.tif")
	needFile(t, tiled)
	lineMask := lineHoles(t, 1000, 1000, 3)
	maskPath := filepath.Join(dir, "lines.png")
	writeMask(t, maskPath, 1000, 1000, lineMask)

	cases := []struct {
		name, in string
		maskPath string
		want     MaskSource
		holes    func(info raster.Info, b [][]float32) []uint8
	}{
		{"nodata", scenePath("RGB.byte.tif"), "", MaskNoData, func(info raster.Info, b [][]float32) []uint8 {
			return holesWhere(len(b[0]), func(i int) bool { return b[0][i] == 0 && b[1][i] == 0 && b[2][i] == 0 })
		}},
		{"alpha, nodata −1e4 ignored", scenePath("pix4d_alpha_nodata.tif"), "", MaskAlpha, func(info raster.Info, b [][]float32) []uint8 {
			return holesWhere(len(b[0]), func(i int) bool { return b[3][i] == 0 })
		}},
		{"black wedge, no nodata tag", scenePath("5b90f92da0d7280005fab355_4310.tif"), "", MaskBlack, func(info raster.Info, b [][]float32) []uint8 {
			return holesWhere(len(b[0]), func(i int) bool { return b[0][i] == 0 && b[1][i] == 0 && b[2][i] == 0 })
		}},
		{"mask file", tiled, maskPath, MaskFile, func(raster.Info, [][]float32) []uint8 { return lineMask }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			needFile(t, c.in)
			info, bands := readAll(t, c.in)
			holes := c.holes(info, bands)
			out := filepath.Join(dir, "out.tif")
			filled := filepath.Join(dir, "out.filled.tif")
			st, err := RestoreScene(context.Background(), c.in, out, SceneOptions{Method: constFill{}, MaskPath: c.maskPath, FilledPath: filled})
			if err != nil {
				t.Fatal(err)
			}
			if st.Mask != c.want {
				t.Errorf("mask source %q, want %q", st.Mask, c.want)
			}
			if n := countHoles(holes); st.Filled != int64(n) || n == 0 {
				t.Errorf("filled %d pixels, want %d", st.Filled, n)
			}
			oi, res := checkRestored(t, c.in, out, holes)
			for b := range res {
				want := float32(102) // constFill's 0.4, scaled and rounded
				if b == oi.Alpha {
					want = 255 // filled pixels become opaque
				}
				for i, h := range holes {
					if h != 0 && res[b][i] != want {
						t.Fatalf("filled pixel (%d,%d) band %d = %v, want %v", i%oi.Width, i/oi.Width, b, res[b][i], want)
					}
				}
			}
			// The sidecar marks exactly the filled pixels and is
			// georeferenced like the input.
			fi, fb := readAll(t, filled)
			if fi.Bands != 1 || fi.Type != raster.Uint8 || fi.Width != info.Width || fi.Height != info.Height {
				t.Fatalf("sidecar %d×%d×%d %v", fi.Width, fi.Height, fi.Bands, fi.Type)
			}
			if !reflect.DeepEqual(fi.Geo, info.Geo) {
				t.Errorf("sidecar georeferencing %+v, input %+v", fi.Geo, info.Geo)
			}
			for i, h := range holes {
				if want := float32(255 * int(h)); fb[0][i] != want {
					t.Fatalf("sidecar pixel %d = %v, want %v", i, fb[0][i], want)
				}
			}
		})
	}
}

func TestSceneMaskErrors(t *testing.T) {
	dir := t.TempDir()
	rgb, pix4d := scenePath("RGB.byte.tif"), scenePath("pix4d_alpha_nodata.tif")
	needFile(t, rgb)
	small := filepath.Join(dir, "small.png")
	writeMask(t, small, 10, 10, make([]uint8, 100))
	for _, c := range []struct {
		name, in string
		src      MaskSource
		mask     string
		want     string
	}{
		{"alpha without alpha band", rgb, MaskAlpha, "", "no alpha band"},
		{"nodata −1e4 on bytes", pix4d, MaskNoData, "", `no usable nodata value (tag "-10000")`},
		{"file without path", rgb, MaskFile, "", "needs a mask file"},
		{"unknown source", rgb, "clouds", "", `unknown mask source "clouds"`},
		{"mask of another size", rgb, MaskAuto, small, "is 10×10, image is 791×718"},
		{"missing mask", rgb, MaskFile, filepath.Join(dir, "none.png"), "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out.tif")
			_, err := RestoreScene(context.Background(), c.in, out, SceneOptions{Method: Filler{fill.IDW{}}, Mask: c.src, MaskPath: c.mask})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), filepath.Base(c.in)) && c.name != "missing mask" {
				t.Errorf("error %v, want one naming the file and saying %q", err, c.want)
			}
			assertNoFiles(t, dir, "small.png")
		})
	}
}

// assertNoFiles fails when dir holds anything but the named files: no
// output and no temporary file may be left behind by a failed restore.
func assertNoFiles(t *testing.T, dir string, keep ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		ok := false
		for _, k := range keep {
			ok = ok || e.Name() == k
		}
		if !ok {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// failing is a method that fails, or cancels a context, on its n-th call.
type failing struct {
	n      int32
	calls  *atomic.Int32
	cancel context.CancelFunc
}

func (f failing) Name() string { return "failing" }

func (f failing) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if f.calls.Add(1) == f.n {
		if f.cancel != nil {
			f.cancel()
		} else {
			return nil, errors.New("model exploded")
		}
	}
	return img.Clone(), nil
}

// TestSceneFailureLeavesNothing checks that a method error, a cancelled
// context and a scene without damage leave neither output nor sidecar
// nor temporary files.
func TestSceneFailureLeavesNothing(t *testing.T) {
	in := scenePath("RGB.byte.tif")
	needFile(t, in)
	t.Run("method error", func(t *testing.T) {
		dir := t.TempDir()
		_, err := RestoreScene(context.Background(), in, filepath.Join(dir, "out.tif"), SceneOptions{
			Method: failing{n: 3, calls: new(atomic.Int32)}, Tile: 128, FilledPath: filepath.Join(dir, "out.filled.tif")})
		if err == nil || !strings.Contains(err.Error(), "model exploded") || !strings.HasPrefix(err.Error(), in+": failing: tile (") {
			t.Errorf("error %v", err)
		}
		assertNoFiles(t, dir)
	})
	t.Run("cancelled", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := RestoreScene(ctx, in, filepath.Join(dir, "out.tif"), SceneOptions{
			Method: failing{n: 3, calls: new(atomic.Int32), cancel: cancel}, Tile: 128, Workers: 2, FilledPath: filepath.Join(dir, "out.filled.tif")})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
		assertNoFiles(t, dir)
	})
	t.Run("no damage", func(t *testing.T) {
		dir := t.TempDir()
		needFile(t, naipPath)
		st, err := RestoreScene(context.Background(), naipPath, filepath.Join(dir, "out.tif"), SceneOptions{
			Method: Filler{fill.IDW{}}, FilledPath: filepath.Join(dir, "out.filled.tif")})
		if !errors.Is(err, ErrNoDamage) || st.Mask != MaskNoData || st.Filled != 0 || st.Computed != 0 {
			t.Errorf("err %v, stats %+v; want ErrNoDamage with nodata mask and nothing computed", err, st)
		}
		assertNoFiles(t, dir)
	})
}

// TestSceneUnfilledStayDamaged restores scenes with a nodata or
// transparent collar, parts of which lie beyond IDW's reach (100 px): the pixels
// IDW leaves must stay exactly as they were (nodata, transparent; not the
// black or, for 16-bit data, the dark grey that scaling a zero makes),
// be counted as unfilled, and be left out of the sidecar.
func TestSceneUnfilledStayDamaged(t *testing.T) {
	dir := t.TempDir()
	rgb := scenePath("RGB.byte.tif")
	needFile(t, rgb)
	// RGB.byte as 16-bit, ×100, keeping nodata 0.
	info, b := readAll(t, rgb)
	for k := range b {
		for i := range b[k] {
			b[k][i] *= 100
		}
	}
	info.Type, info.Compression = raster.Uint16, 0
	rgb16 := filepath.Join(dir, "rgb16.tif")
	writeRaster(t, rgb16, info, b)
	for _, in := range []string{rgb, rgb16, scenePath("pix4d_alpha_nodata.tif")} {
		t.Run(filepath.Base(in), func(t *testing.T) {
			needFile(t, in)
			out, filled := filepath.Join(dir, "out.tif"), filepath.Join(dir, "out.filled.tif")
			st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: Filler{fill.IDW{}}, FilledPath: filled})
			if err != nil {
				t.Fatal(err)
			}
			holes := expectedHoles(t, in, "", st.Mask)
			// pix4d's transparent border is narrow enough for IDW to
			// reach all of it; RGB.byte's nodata collar is not.
			wantUnfilled := st.Mask == MaskNoData
			if n := int64(countHoles(holes)); st.Filled+st.Unfilled != n || (st.Unfilled > 0) != wantUnfilled || st.Filled == 0 {
				t.Fatalf("filled %d, unfilled %d, damaged %d (want unfilled: %v)", st.Filled, st.Unfilled, n, wantUnfilled)
			}
			oi, res := checkRestored(t, in, out, holes)
			_, src := readAll(t, in)
			_, side := readAll(t, filled)
			var marked int64
			for i, h := range holes {
				if h == 0 {
					continue
				}
				if side[0][i] != 0 {
					marked++
					if oi.Alpha >= 0 && res[oi.Alpha][i] != 255 {
						t.Fatalf("filled pixel %d has alpha %v", i, res[oi.Alpha][i])
					}
					continue
				}
				for k := range res {
					if res[k][i] != src[k][i] {
						t.Fatalf("unfilled pixel (%d,%d) band %d: %v → %v; want it left as it was", i%oi.Width, i/oi.Width, k, src[k][i], res[k][i])
					}
				}
			}
			if marked != st.Filled {
				t.Errorf("sidecar marks %d pixels, %d filled", marked, st.Filled)
			}
			t.Logf("%s: %d filled, %d beyond IDW's reach left as they were", st.Mask, st.Filled, st.Unfilled)
		})
	}
}
