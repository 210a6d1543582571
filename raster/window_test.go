package raster

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
)

// refReader answers single samples by the plainest route: the sample's
// block index from its coordinates, the block decoded whole (no cache, no
// partial strips), the sample's offset in it, converted with
// encoding/binary-free arithmetic on float64.
type refReader struct {
	r      *tiffReader
	blocks map[int][]byte
}

func (ref *refReader) sample(t testing.TB, x, y, b int) float64 {
	r := ref.r
	plane, s := 0, b
	if r.planes > 1 {
		plane, s = b, 0
	}
	bx, by := x/r.bw, y/r.bh
	idx := (plane*r.down+by)*r.across + bx
	if r.counts[idx] == 0 {
		return r.fill
	}
	data, ok := ref.blocks[idx]
	if !ok {
		var err error
		data, err = r.decode(idx, r.blockRows(by, r.tiled))
		if err != nil {
			t.Fatal(err)
		}
		ref.blocks[idx] = data
	}
	off := (((y%r.bh)*r.bw+x%r.bw)*r.spp + s) * r.bps
	var u uint64
	for i := r.bps - 1; i >= 0; i-- {
		u = u<<8 | uint64(data[off+i])
	}
	switch r.typ {
	case Uint8, Uint16, Uint32:
		return float64(u)
	case Int8:
		return float64(int8(u))
	case Int16:
		return float64(int16(u))
	case Int32:
		return float64(int32(u))
	case Float32:
		return float64(math.Float32frombits(uint32(u)))
	}
	return math.Float64frombits(u)
}

// windowFiles are inputs covering each layout: tiles, strips, planar,
// sparse, JPEG, big-endian, BigTIFF.
var windowFiles = []string{
	"testdata/gdal/UInt16_lzw_t16_3b_big.tif",
	"testdata/gdal/Float32_deflate3_t16sep_4b.tif",
	"testdata/gdal/Int16_none_s5sep_5b.tif",
	"testdata/gdal/Float64_lzw3_s7_1b_big.tif",
	"testdata/gdal/sparse_t16.tif",
	"testdata/gdal/jpeg_ycbcr_t32.tif",
	"testdata/gdal/Int8_packbits_s7_1b_be_big.tif",
	"testdata/gdal/UInt32_packbits_t32x16_2b_be.tif",
}

// TestWindowsMatchReference reads windows of awkward sizes at awkward
// places and compares each sample with refReader.
func TestWindowsMatchReference(t *testing.T) {
	for _, path := range windowFiles {
		t.Run(filepath.Base(path), func(t *testing.T) { checkWindows(t, path) })
	}
	t.Run("scenes", func(t *testing.T) {
		dir := shared.Dir(t)
		for _, name := range []string{"rgb16.tif", "2018_SJER_3_252000_4107000_image_477.tif", "test_tiled.tif"} {
			t.Run(name, func(t *testing.T) { checkWindows(t, filepath.Join(dir, "data/aerial/scenes", name)) })
		}
	})
}

func checkWindows(t *testing.T, path string) {
	rd, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	r := rd.(*tiffReader)
	ref := &refReader{r: r, blocks: map[int][]byte{}}
	rng := rand.New(rand.NewPCG(3, uint64(len(path))))
	for _, size := range [][2]int{{1, 1}, {7, 7}, {33, 33}, {257, 1}, {1, 257}, {257, 33}, {r.width, r.height}} {
		w, h := min(size[0], r.width), min(size[1], r.height)
		for k := 0; k < 3; k++ {
			x0, y0 := rng.IntN(r.width-w+1), rng.IntN(r.height-h+1)
			bands := makeBands[float32](r.info.Bands, w*h)
			if err := rd.ReadWindow(x0, y0, w, h, bands); err != nil {
				t.Fatal(err)
			}
			for b := range bands {
				for i, v := range bands[b] {
					x, y := x0+i%w, y0+i/w
					want := float32(ref.sample(t, x, y, b))
					if v != want && !(v != v && want != want) {
						t.Fatalf("window %d×%d at (%d,%d): band %d (%d,%d) = %v, reference %v", w, h, x0, y0, b, x, y, v, want)
					}
				}
			}
		}
	}
}

// TestPartialStrips reads strips as if they were too large to cache, so
// that they are decoded only down to the rows a window needs, and checks
// the result against whole-strip decoding.
func TestPartialStrips(t *testing.T) {
	for _, name := range []string{
		"Float32_none_s7_1b.tif", "UInt32_deflate2_s7_1b_be.tif", "Int16_lzw_s7_1b.tif",
		"Float32_lzw3_s5sep_5b_big.tif", "Int16_packbits_s5sep_5b_be_big.tif", "jpeg_ycbcr_s16.tif",
		"Int16_none_s5sep_5b.tif",
	} {
		path := "testdata/gdal/" + name
		want := readAllFloat(t, path, 0)
		t.Run(name, func(t *testing.T) {
			rd, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			r := rd.(*tiffReader)
			if r.tiled {
				t.Fatal("want a stripped file")
			}
			r.bigBlock = 1 // every strip is "big"
			in := r.info
			// Top to bottom (streams continue where the last read
			// stopped), then bottom to top (each read starts over).
			var ys []int
			for y := 0; y < in.Height; y += 3 {
				ys = append(ys, y)
			}
			for i := len(ys) - 1; i >= 0; i-- {
				ys = append(ys, ys[i])
			}
			for _, y := range ys {
				h := min(3, in.Height-y)
				bands := makeBands[float32](in.Bands, in.Width*h)
				if err := r.ReadWindow(0, y, in.Width, h, bands); err != nil {
					t.Fatal(err)
				}
				for b := range bands {
					for i, v := range bands[b] {
						if w := want[b][y*in.Width+i]; v != w && !(v != v && w != w) {
							t.Fatalf("row %d band %d: %v, want %v", y+i/in.Width, b, v, w)
						}
					}
				}
			}
		})
	}
}

func readAllFloat(t testing.TB, path string, cache int64) [][]float32 {
	t.Helper()
	r, err := OpenWith(path, OpenOptions{CacheBytes: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := r.Info()
	bands := makeBands[float32](in.Bands, in.Width*in.Height)
	if err := r.ReadWindow(0, 0, in.Width, in.Height, bands); err != nil {
		t.Fatal(err)
	}
	return bands
}

// TestConcurrentReads reads random windows from several goroutines (run
// with -race) through a cache too small for the file, and checks each
// against a single-threaded read.
func TestConcurrentReads(t *testing.T) {
	path := "testdata/gdal/UInt16_lzw_t16_3b_big.tif"
	want := readAllFloat(t, path, -1)
	r, err := OpenWith(path, OpenOptions{CacheBytes: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := r.Info()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 9))
			for k := 0; k < 200; k++ {
				w, h := 1+rng.IntN(in.Width), 1+rng.IntN(in.Height)
				x0, y0 := rng.IntN(in.Width-w+1), rng.IntN(in.Height-h+1)
				bands := makeBands[float32](in.Bands, w*h)
				if err := r.ReadWindow(x0, y0, w, h, bands); err != nil {
					errs <- err
					return
				}
				for b := range bands {
					for i, v := range bands[b] {
						if v != want[b][(y0+i/w)*in.Width+x0+i%w] {
							errs <- fmt.Errorf("window %d×%d at (%d,%d) differs", w, h, x0, y0)
							return
						}
					}
				}
			}
		}(uint64(g))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c := r.(*tiffReader).cache
	if c.used > c.budget {
		t.Errorf("cache holds %d bytes, budget %d", c.used, c.budget)
	}
}

func TestReadErrors(t *testing.T) {
	r, err := Open("testdata/gdal/UInt16_lzw_t16_3b_big.tif")
	if err != nil {
		t.Fatal(err)
	}
	in := r.Info()
	ok := makeBands[float32](3, 4)
	tests := []struct {
		name       string
		x, y, w, h int
		bands      [][]float32
	}{
		{"negative x", -1, 0, 2, 2, ok},
		{"past right", in.Width - 1, 0, 2, 2, ok},
		{"past bottom", 0, in.Height - 1, 2, 2, ok},
		{"negative size", 0, 0, -1, 2, ok},
		{"too few bands", 0, 0, 2, 2, ok[:2]},
		{"short band", 0, 0, 3, 2, ok},
	}
	for _, tt := range tests {
		if err := r.ReadWindow(tt.x, tt.y, tt.w, tt.h, tt.bands); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := r.ReadWindowNative(0, 0, 2, 2, makeBands[uint8](3, 4)); err == nil {
		t.Error("native read of uint16 into [][]uint8: no error")
	}
	if err := r.ReadWindow(0, 0, 1, 1, [][]float32{nil, nil, nil}); err != nil {
		t.Errorf("all bands skipped: %v", err)
	}
	r.Close()
	if err := r.ReadWindow(0, 0, 2, 2, ok); err == nil {
		t.Error("read after Close: no error")
	}
}
