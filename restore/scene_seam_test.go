package restore

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/tensor"
)

// seamScene writes a 1500×1200 crop of the drone orthophoto (below its
// black wedge) with line damage drawn in black, and its mask; it returns
// the paths, the clean bands and the holes.
func seamScene(t *testing.T, dir string) (damaged, maskPath string, clean [][]float32, holes []uint8) {
	t.Helper()
	src := scenePath("5b90f92da0d7280005fab355_4310.tif")
	needFile(t, src)
	info, clean := readWindow(t, src, image.Rect(548, 848, 548+1500, 848+1200))
	info.Geo, info.Photometric, info.Compression, info.TileWidth, info.TileHeight, info.RowsPerStrip = nil, raster.PhotometricRGB, 0, 0, 0, 0
	holes = lineHoles(t, info.Width, info.Height, 5)
	damaged = filepath.Join(dir, "damaged.tif")
	maskPath = filepath.Join(dir, "mask.tif")
	writeRaster(t, damaged, info, damage(clean, holes, -1, 0))
	writeMask(t, maskPath, info.Width, info.Height, holes)
	return damaged, maskPath, clean, holes
}

// wholeRestore runs m on the whole image at once, as RestoreScene would
// on one tile, and returns the result in 8-bit levels, rounded as the
// writer rounds.
func wholeRestore(t *testing.T, m Method, bands [][]float32, holes []uint8, w, h int) [][]float32 {
	t.Helper()
	x, mt := tensor.New(1, 3, h, w), tensor.New(1, 1, h, w)
	for i, v := range holes {
		if v != 0 {
			mt.Data[i] = 1
			continue
		}
		for c := 0; c < 3; c++ {
			x.Plane(0, c)[i] = bands[c][i] / 255
		}
	}
	y, err := m.Restore(x, mt)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, 3)
	for c := range out {
		out[c] = make([]float32, w*h)
		for i, v := range y.Plane(0, c) {
			out[c][i] = float32(min(max(math.Round(float64(v*255)), 0), 255))
		}
	}
	return out
}

// seamStats compares a tiled restoration with a whole-image one over the
// hole pixels, and measures jumps between neighbouring hole pixels (the
// largest difference over the colour bands, in levels) across tile edges
// and elsewhere.
type seamStats struct {
	Holes                         int
	MaxDiff, MeanDiff             float64 // tiled vs whole, all holes
	MaxDiffOverlap, MaxDiffSingle float64 // holes in overlaps of tiles / covered by one tile
	DiffPixels                    int     // holes where tiled ≠ whole
	EdgeJump, EdgeJumpMax         float64 // mean and max jump across tile edges
	OtherJump, OtherJumpP999      float64 // mean and 99.9th percentile elsewhere
}

func (s seamStats) String() string {
	return fmt.Sprintf("holes %d: |tiled−whole| max %.0f mean %.4f (in overlaps max %.0f, single-tile max %.0f; %d pixels differ); jumps across tile edges mean %.2f max %.0f, elsewhere mean %.2f p99.9 %.0f",
		s.Holes, s.MaxDiff, s.MeanDiff, s.MaxDiffOverlap, s.MaxDiffSingle, s.DiffPixels, s.EdgeJump, s.EdgeJumpMax, s.OtherJump, s.OtherJumpP999)
}

func measureSeams(tiled, whole [][]float32, holes []uint8, w, h, tile, overlap int) seamStats {
	var s seamStats
	cover := make([]uint8, w*h)
	for _, r := range TileGrid(h, w, tile, overlap) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cover[y*w+x]++
			}
		}
	}
	var sum float64
	for i, v := range holes {
		if v == 0 {
			continue
		}
		s.Holes++
		d := 0.0
		for c := 0; c < 3; c++ {
			d = math.Max(d, math.Abs(float64(tiled[c][i]-whole[c][i])))
		}
		sum += d
		if d > 0 {
			s.DiffPixels++
		}
		s.MaxDiff = math.Max(s.MaxDiff, d)
		if cover[i] > 1 {
			s.MaxDiffOverlap = math.Max(s.MaxDiffOverlap, d)
		} else {
			s.MaxDiffSingle = math.Max(s.MaxDiffSingle, d)
		}
	}
	s.MeanDiff = sum / float64(max(s.Holes, 1))
	s.EdgeJump, s.EdgeJumpMax, s.OtherJump, s.OtherJumpP999 = jumps(tiled, holes, w, h, tile, overlap)
	return s
}

// jumps measures the differences between horizontally and vertically
// adjacent hole pixels: across the edges of the tile grid, and elsewhere.
func jumps(img [][]float32, holes []uint8, w, h, tile, overlap int) (edgeMean, edgeMax, otherMean, otherP999 float64) {
	edges := func(n int) map[int]bool { // boundaries k: between k−1 and k
		m := map[int]bool{}
		for _, s := range tileStarts(n, tile, overlap) {
			if s > 0 {
				m[s] = true
			}
			if s+tile < n {
				m[s+tile] = true
			}
		}
		return m
	}
	ex, ey := edges(w), edges(h)
	var edge, other []float64
	jump := func(i, j int) float64 {
		d := 0.0
		for c := 0; c < 3; c++ {
			d = math.Max(d, math.Abs(float64(img[c][i]-img[c][j])))
		}
		return d
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			if holes[i] == 0 {
				continue
			}
			if x > 0 && holes[i-1] != 0 {
				if ex[x] {
					edge = append(edge, jump(i, i-1))
				} else {
					other = append(other, jump(i, i-1))
				}
			}
			if y > 0 && holes[i-w] != 0 {
				if ey[y] {
					edge = append(edge, jump(i, i-w))
				} else {
					other = append(other, jump(i, i-w))
				}
			}
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(max(len(v), 1))
	}
	slices.Sort(other)
	if len(edge) > 0 {
		edgeMax = slices.Max(edge)
	}
	if len(other) > 0 {
		otherP999 = other[len(other)*999/1000]
	}
	return mean(edge), edgeMax, mean(other), otherP999
}

// lastWins composes the tiles of a grid without blending, each tile
// overwriting its predecessors: the hard seams blending must avoid, at
// the tile edges measureSeams looks at.
func lastWins(t *testing.T, m Method, bands [][]float32, holes []uint8, w, h, tile, overlap int) [][]float32 {
	t.Helper()
	x, mt := tensor.New(1, 3, h, w), tensor.New(1, 1, h, w)
	for i, v := range holes {
		if v != 0 {
			mt.Data[i] = 1
			continue
		}
		for c := 0; c < 3; c++ {
			x.Plane(0, c)[i] = bands[c][i] / 255
		}
	}
	out := make([][]float32, 3)
	for c := range out {
		out[c] = slices.Clone(bands[c])
	}
	for _, r := range TileGrid(h, w, tile, overlap) {
		tm := Crop(mt, r)
		if !anyNonZero(tm.Data) {
			continue
		}
		y, err := m.Restore(Crop(x, r), tm)
		if err != nil {
			t.Fatal(err)
		}
		for yy := r.Min.Y; yy < r.Max.Y; yy++ {
			for xx := r.Min.X; xx < r.Max.X; xx++ {
				i, j := yy*w+xx, (yy-r.Min.Y)*r.Dx()+xx-r.Min.X
				if holes[i] != 0 {
					for c := 0; c < 3; c++ {
						out[c][i] = float32(math.Round(float64(y.Plane(0, c)[j] * 255)))
					}
				}
			}
		}
	}
	return out
}

// tileMean is a stand-in for a model's global context: it fills every
// hole with the mean colour of the known pixels of the tile it is given,
// so neighbouring tiles disagree and unblended tiles show a step at each
// tile edge. (A LaMa generator with random weights makes pixel noise, in
// which no seam measure can see anything.)
type tileMean struct{}

func (tileMean) Name() string { return "tilemean" }

func (tileMean) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	out := img.Clone()
	m := mask.Plane(0, 0)
	for c := 0; c < 3; c++ {
		p := out.Plane(0, c)
		var sum float64
		n := 0
		for i, v := range m {
			if v == 0 {
				sum += float64(p[i])
				n++
			}
		}
		mean := float32(sum / float64(max(n, 1)))
		for i, v := range m {
			if v != 0 {
				p[i] = mean
			}
		}
	}
	return out, nil
}

// TestSceneTiledMatchesWhole restores a 1500×1200 scene in 256-pixel
// tiles overlapping by 64 and compares it with the same method run on the
// whole image at once.
//
// IDW is local (100 px search), so the two agree exactly inside tiles and
// nearly in the overlaps, where a tile's edge cuts a hole pixel's search
// but blending weights that tile down. A method with global context
// (tileMean, a LaMa model) differs by construction; for it the test asks
// that blending leaves no seam: jumps between neighbouring filled pixels
// across tile edges are no larger than elsewhere, while composing the
// same tiles without blending does show them. The random-weight LaMa
// model is only measured: its output is pixel noise.
func TestSceneTiledMatchesWhole(t *testing.T) {
	dir := t.TempDir()
	damaged, maskPath, _, holes := seamScene(t, dir)
	info, bands := readAll(t, damaged)
	w, h := info.Width, info.Height
	const tile, overlap = 256, 64
	methods := []Method{Filler{fill.IDW{}}, tileMean{}}
	if testing.Short() {
		t.Log("-short: no LaMa model")
	} else if m, err := Open(oracleLaMa); err == nil {
		methods = append(methods, m)
	} else {
		t.Logf("no LaMa model: %v", err)
	}
	for _, m := range methods {
		t.Run(filepath.Base(m.Name()), func(t *testing.T) {
			out := filepath.Join(dir, "out.tif")
			st, err := RestoreScene(context.Background(), damaged, out, SceneOptions{Method: m, Tile: tile, Overlap: overlap, Mask: MaskFile, MaskPath: maskPath})
			if err != nil {
				t.Fatal(err)
			}
			if st.Filled != int64(countHoles(holes)) {
				t.Errorf("filled %d pixels, mask has %d", st.Filled, countHoles(holes))
			}
			_, tiled := readAll(t, out)
			for c := range 3 { // known pixels are copied
				for i, v := range holes {
					if v == 0 && tiled[c][i] != bands[c][i] {
						t.Fatalf("known pixel %d band %d changed: %v → %v", i, c, bands[c][i], tiled[c][i])
					}
				}
			}
			whole := wholeRestore(t, m, bands, holes, w, h)
			s := measureSeams(tiled, whole, holes, w, h, tile, overlap)
			wj, wjMax, wo, _ := jumps(whole, holes, w, h, tile, overlap)
			t.Logf("tiled %d/%d vs whole: %v", tile, overlap, s)
			t.Logf("whole image: jumps at the same edges mean %.2f max %.0f, elsewhere mean %.2f", wj, wjMax, wo)
			switch m.(type) {
			case Filler:
				if s.MaxDiffSingle != 0 {
					t.Errorf("IDW differs from the whole image inside a tile (max %.0f levels)", s.MaxDiffSingle)
				}
				if s.MaxDiff > 2 || s.MeanDiff > 0.05 {
					t.Errorf("IDW tiled vs whole: max %.0f, mean %.4f levels; want ≤ 2, mean ≤ 0.05", s.MaxDiff, s.MeanDiff)
				}
			case tileMean:
				hard := lastWins(t, m, bands, holes, w, h, tile, overlap)
				hs := measureSeams(hard, whole, holes, w, h, tile, overlap)
				t.Logf("unblended tiles (last wins): %v", hs)
				if s.EdgeJumpMax > max(s.OtherJumpP999, 1) {
					t.Errorf("seam: largest jump across tile edges %.0f levels, 99.9th percentile elsewhere %.0f", s.EdgeJumpMax, s.OtherJumpP999)
				}
				if s.EdgeJump > 1.25*s.OtherJump+0.25 {
					t.Errorf("seam: mean jump across tile edges %.2f levels, elsewhere %.2f", s.EdgeJump, s.OtherJump)
				}
				if hs.EdgeJump < 4*s.EdgeJump || hs.EdgeJump < 1 {
					t.Errorf("the seam measure does not see unblended tiles (edge jump %.2f unblended, %.2f blended)", hs.EdgeJump, s.EdgeJump)
				}
			}
		})
	}
}

func countHoles(holes []uint8) int {
	n := 0
	for _, v := range holes {
		if v != 0 {
			n++
		}
	}
	return n
}
