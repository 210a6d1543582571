package fill

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomBands returns nb bands of w·h values in [0, scale) that vary
// smoothly with noise on top, so fills have structure to follow; hole
// pixels hold NaN, which no filler may read.
func randomBands(nb, w, h int, seed uint64, scale float64, mask []uint8) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0xba9d))
	bands := make([][]float32, nb)
	for b := range bands {
		fx, fy := rng.Float64()*0.3, rng.Float64()*0.3
		v := make([]float32, w*h)
		for y := range h {
			for x := range w {
				s := 0.5 + 0.3*math.Sin(fx*float64(x)+fy*float64(y)+float64(b)) + 0.2*rng.Float64()
				v[y*w+x] = float32(s * scale)
				if mask[y*w+x] != 0 {
					v[y*w+x] = float32(math.NaN())
				}
			}
		}
		bands[b] = v
	}
	return bands
}

func cloneBands(bands [][]float32) [][]float32 {
	out := make([][]float32, len(bands))
	for i, b := range bands {
		out[i] = slices.Clone(b)
	}
	return out
}

// testMasks returns masks of several kinds for a w×h image.
func testMasks(w, h int, seed uint64) map[string][]uint8 {
	all := make([]uint8, w*h)
	for i := range all {
		all[i] = 1
	}
	one := make([]uint8, w*h)
	one[(h/2)*w+w/2] = 1
	corner := make([]uint8, w*h)
	corner[0] = 1
	return map[string][]uint8{
		"lines":   lineMask(w, h, seed, 3+w/40),
		"strokes": strokeMask(w, h, seed, 2),
		"speckle": speckleMask(w, h, seed, 0.3),
		"dense":   speckleMask(w, h, seed, 0.9),
		"none":    make([]uint8, w*h),
		"all":     all,
		"one":     one,
		"corner":  corner,
	}
}

var awkwardSizes = [][2]int{{1, 1}, {1, 7}, {7, 1}, {7, 7}, {33, 7}, {33, 33}, {257, 33}, {64, 257}}

// TestFastMatchesReference checks the fast paths (march once, replay per
// band group, rank-based state, parallel row chunks) against the plain
// transcriptions of OpenCV and GDAL, bit for bit.
func TestFastMatchesReference(t *testing.T) {
	fillers := []struct {
		f   Filler
		ref func(v []float32, w, h int, m []uint8)
	}{
		{Telea{}, func(v []float32, w, h int, m []uint8) { refInpaint(v, w, h, m, 5, true, refMode{}) }},
		{Telea{Radius: 1}, func(v []float32, w, h int, m []uint8) { refInpaint(v, w, h, m, 1, true, refMode{}) }},
		{Telea{Radius: 3.4}, func(v []float32, w, h int, m []uint8) { refInpaint(v, w, h, m, 3, true, refMode{}) }},
		{NavierStokes{}, func(v []float32, w, h int, m []uint8) { refInpaint(v, w, h, m, 5, false, refMode{}) }},
		{NavierStokes{Radius: 2}, func(v []float32, w, h int, m []uint8) { refInpaint(v, w, h, m, 2, false, refMode{}) }},
		{IDW{}, func(v []float32, w, h int, m []uint8) { refIDW(v, w, h, m, 100, 0) }},
		{IDW{MaxDistance: 3}, func(v []float32, w, h int, m []uint8) { refIDW(v, w, h, m, 3, 0) }},
		{IDW{MaxDistance: 6.5, SmoothingIterations: 2}, func(v []float32, w, h int, m []uint8) { refIDW(v, w, h, m, 6.5, 2) }},
		{IDW{SmoothingIterations: 1}, func(v []float32, w, h int, m []uint8) { refIDW(v, w, h, m, 100, 1) }},
	}
	for _, sz := range awkwardSizes {
		w, h := sz[0], sz[1]
		for mname, mask := range testMasks(w, h, uint64(w*1000+h)) {
			for fi, fc := range fillers {
				if testing.Short() && w*h > 2000 && fi%2 == 1 {
					continue
				}
				name := fmt.Sprintf("%dx%d/%s/%s", w, h, mname, fc.f.Name())
				bands := randomBands(3, w, h, uint64(fi), 255, mask)
				want := cloneBands(bands)
				if err := fc.f.Fill(bands, w, h, mask); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				for b := range want {
					fc.ref(want[b], w, h, mask)
					if i := firstDiff(bands[b], want[b]); i >= 0 {
						t.Errorf("%s: band %d pixel (%d,%d): fast %v, reference %v", name, b, i%w, i/w, bands[b][i], want[b][i])
						break
					}
				}
			}
		}
	}
}

// firstDiff returns the first index where a and b differ (NaN equals NaN),
// or -1.
func firstDiff(a, b []float32) int {
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}
