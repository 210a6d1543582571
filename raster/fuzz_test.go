package raster

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets are seeded with the small GDAL-made files in
// testdata/gdal (every compression, predictor, layout, byte order and
// BigTIFF) and with files this package writes; interesting inputs found
// while fuzzing are kept in testdata/fuzz.

func addSeeds(f *testing.F) {
	paths, _ := filepath.Glob("testdata/gdal/*")
	for _, p := range paths {
		if filepath.Ext(p) == ".json" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("MM\x00+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x10"))
}

// FuzzOpen checks that opening never panics, and that what opens
// describes itself consistently.
func FuzzOpen(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), OpenOptions{Name: "fuzz"})
		if err != nil {
			return
		}
		defer r.Close()
		in := r.Info()
		if in.Width <= 0 || in.Height <= 0 || in.Bands <= 0 || in.Type.Size() == 0 || len(in.ColorInterp) != in.Bands {
			t.Fatalf("inconsistent info %+v", in)
		}
		if in.Alpha >= in.Bands {
			t.Fatalf("alpha band %d of %d", in.Alpha, in.Bands)
		}
		in.Geo.GeoTransform()
		in.Geo.EPSG()
	})
}

// FuzzDecode opens and reads windows at the corners and the middle, in
// float32 and in the native type; it must never panic, and the two reads
// must agree.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), OpenOptions{Name: "fuzz", CacheBytes: 1 << 20})
		if err != nil {
			return
		}
		defer r.Close()
		in := r.Info()
		if in.Bands > 64 {
			return // valid but slow to fuzz through
		}
		const s = 40
		w, h := min(s, in.Width), min(s, in.Height)
		for _, at := range [][2]int{{0, 0}, {in.Width - w, in.Height - h}, {(in.Width - w) / 2, (in.Height - h) / 2}} {
			f32 := makeBands[float32](in.Bands, w*h)
			if err := r.ReadWindow(at[0], at[1], w, h, f32); err != nil {
				continue
			}
			native := makeNative(in.Type, in.Bands, w*h)
			if err := r.ReadWindowNative(at[0], at[1], w, h, native); err != nil {
				t.Fatalf("float32 read worked, native read failed: %v", err)
			}
			back := nativeToFloat32(native)
			for b := range back {
				for i := range back[b] {
					if x, y := back[b][i], f32[b][i]; x != y && !(x != x && y != y) {
						t.Fatalf("band %d sample %d: native %v, float32 %v", b, i, x, y)
					}
				}
			}
		}
	})
}
