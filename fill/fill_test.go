package fill

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
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

var allFillers = []Filler{Telea{}, Telea{Radius: 2}, NavierStokes{}, NavierStokes{Radius: 1}, IDW{}, IDW{MaxDistance: 4, SmoothingIterations: 3}}

// TestEdgeCases runs every filler on degenerate rasters and masks and
// checks the contract: known pixels untouched, hole pixels filled with
// finite values whenever a known pixel exists (within reach, for IDW),
// unchanged otherwise.
func TestEdgeCases(t *testing.T) {
	type tc struct {
		name string
		w, h int
		mask func(w, h int) []uint8
	}
	set := func(idx ...int) func(w, h int) []uint8 {
		return func(w, h int) []uint8 {
			m := make([]uint8, w*h)
			for _, i := range idx {
				m[i] = 1
			}
			return m
		}
	}
	rows := func(ys ...int) func(w, h int) []uint8 {
		return func(w, h int) []uint8 {
			m := make([]uint8, w*h)
			for _, y := range ys {
				for x := range w {
					m[y*w+x] = 255
				}
			}
			return m
		}
	}
	cols := func(xs ...int) func(w, h int) []uint8 {
		return func(w, h int) []uint8 {
			m := make([]uint8, w*h)
			for y := range h {
				for _, x := range xs {
					m[y*w+x] = 7
				}
			}
			return m
		}
	}
	frame := func(w, h int) []uint8 {
		m := make([]uint8, w*h)
		for y := range h {
			for x := range w {
				if x == 0 || y == 0 || x == w-1 || y == h-1 {
					m[y*w+x] = 1
				}
			}
		}
		return m
	}
	cases := []tc{
		{"1x1 hole", 1, 1, set(0)},
		{"1x1 known", 1, 1, set()},
		{"1xN middle", 1, 9, set(4)},
		{"Nx1 ends", 9, 1, set(0, 8)},
		{"1xN all but one", 1, 6, set(0, 1, 2, 4, 5)},
		{"single hole", 7, 7, set(24)},
		{"corner holes", 7, 5, set(0, 6, 28, 34)},
		{"top and bottom rows", 16, 9, rows(0, 8)},
		{"left and right columns", 9, 16, cols(0, 8)},
		{"frame", 12, 10, frame},
		{"all but centre", 9, 9, func(w, h int) []uint8 { m := set()(w, h); fillBytes(m, 1); m[40] = 0; return m }},
		{"no holes", 8, 8, set()},
		{"all holes", 8, 8, func(w, h int) []uint8 { m := set()(w, h); fillBytes(m, 1); return m }},
		{"wide hole row", 300, 5, rows(1, 2, 3)},
	}
	for _, c := range cases {
		mask := c.mask(c.w, c.h)
		anyKnown := slices.Contains(mask, 0)
		for _, f := range allFillers {
			bands := randomBands(2, c.w, c.h, 3, 100, mask)
			for i, m := range mask {
				if m != 0 {
					bands[1][i] = float32(math.Inf(1)) // must not leak either
				}
			}
			before := cloneBands(bands)
			if err := f.Fill(bands, c.w, c.h, mask); err != nil {
				t.Fatalf("%s %s: %v", c.name, f.Name(), err)
			}
			for b := range bands {
				for i, m := range mask {
					got, was := bands[b][i], before[b][i]
					switch {
					case m == 0 && got != was:
						t.Fatalf("%s %s: known pixel %d changed from %v to %v", c.name, f.Name(), i, was, got)
					case m != 0 && !anyKnown && !same(got, was):
						t.Fatalf("%s %s: all-hole pixel %d changed from %v to %v", c.name, f.Name(), i, was, got)
					case m != 0 && anyKnown && !isFinite(got) && reachable(f, mask, c.w, c.h, i):
						t.Fatalf("%s %s: hole pixel %d is %v", c.name, f.Name(), i, got)
					}
				}
			}
		}
	}
}

// reachable reports whether hole pixel i should be filled: always for the
// fast-marching fillers (given some known pixel), and for IDW if a known
// pixel lies within MaxDistance.
func reachable(f Filler, mask []uint8, w, h, i int) bool {
	idw, ok := f.(IDW)
	if !ok {
		return true
	}
	md := idw.MaxDistance
	if md == 0 {
		md = 100
	}
	x0, y0 := i%w, i/w
	for j, m := range mask {
		dx, dy := float64(j%w-x0), float64(j/w-y0)
		if m == 0 && dx*dx+dy*dy <= md*md {
			return true
		}
	}
	return false
}

func fillBytes(m []uint8, v uint8) {
	for i := range m {
		m[i] = v
	}
}

func same(a, b float32) bool { return a == b || a != a && b != b }

func isFinite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

// TestFlatAndLinear checks that every filler reproduces a constant image
// exactly and fills a horizontal gap in a horizontal ramp with values
// between the ramp's neighbours.
func TestFlatAndLinear(t *testing.T) {
	w, h := 40, 30
	mask := lineMask(w, h, 5, 3)
	for _, f := range allFillers {
		flat := make([]float32, w*h)
		for i := range flat {
			flat[i] = 42.5
			if mask[i] != 0 {
				flat[i] = -1
			}
		}
		if err := f.Fill([][]float32{flat}, w, h, mask); err != nil {
			t.Fatal(err)
		}
		for i, v := range flat {
			if math.Abs(float64(v)-42.5) > 1e-4 {
				t.Fatalf("%s: constant image: pixel %d = %v", f.Name(), i, v)
			}
		}
		ramp := make([]float32, w*h)
		gap := make([]uint8, w*h)
		for y := range h {
			for x := range w {
				ramp[y*w+x] = float32(10 * x)
				if x >= 15 && x < 19 && y > 2 && y < h-3 {
					gap[y*w+x] = 1
					ramp[y*w+x] = 0
				}
			}
		}
		if err := f.Fill([][]float32{ramp}, w, h, gap); err != nil {
			t.Fatal(err)
		}
		// Within the range of the known values the filler can reach, and
		// increasing across the gap.
		for y := 3; y < h-3; y++ {
			for x := 15; x < 19; x++ {
				v := ramp[y*w+x]
				if v < 100 || v > 230 || x > 15 && v < ramp[y*w+x-1]-1e-3 {
					t.Fatalf("%s: ramp gap pixel (%d,%d) = %v after %v", f.Name(), x, y, v, ramp[y*w+x-1])
				}
			}
		}
	}
}

// TestScaleEquivariance checks that the fillers do not depend on the value
// range: filling a·v+b gives a·fill(v)+b. Scaling by powers of two is
// exact in floating point, so the results must be too. Shifts round, so
// they are checked approximately, and not for NavierStokes: its weight
// jumps between a nearly flat and an exactly flat neighbourhood (as
// OpenCV's does), and rounding v+b can turn one into the other.
func TestScaleEquivariance(t *testing.T) {
	w, h := 64, 48
	mask := strokeMask(w, h, 11, 2)
	base := randomBands(1, w, h, 9, 255, mask)[0]
	for _, f := range allFillers {
		ref := slices.Clone(base)
		if err := f.Fill([][]float32{ref}, w, h, mask); err != nil {
			t.Fatal(err)
		}
		for _, ab := range [][2]float32{{1.0 / 256, 0}, {1024, 0}, {-0.25, 0}, {1, 60000}, {-1, 1000}, {1, -255}} {
			if _, ns := f.(NavierStokes); ns && ab[1] != 0 {
				continue
			}
			v := make([]float32, len(base))
			for i, x := range base {
				v[i] = ab[0]*x + ab[1]
			}
			if err := f.Fill([][]float32{v}, w, h, mask); err != nil {
				t.Fatal(err)
			}
			for i, m := range mask {
				if m == 0 {
					continue
				}
				want := float64(ab[0])*float64(ref[i]) + float64(ab[1])
				tol := 0.0
				if ab[1] != 0 {
					tol = 1e-6 * (math.Abs(float64(ab[1])) + 255)
				}
				if d := math.Abs(float64(v[i]) - want); d > tol {
					t.Fatalf("%s, a=%v b=%v: pixel (%d,%d) = %v, want %v", f.Name(), ab[0], ab[1], i%w, i/w, v[i], want)
				}
			}
		}
	}
}

// TestDeterministic checks that results do not depend on the number of
// threads or bands filled together.
func TestDeterministic(t *testing.T) {
	w, h := 150, 97
	mask := lineMask(w, h, 3, 6)
	src := randomBands(5, w, h, 4, 255, mask)
	for _, f := range allFillers {
		all := cloneBands(src)
		if err := f.Fill(all, w, h, mask); err != nil {
			t.Fatal(err)
		}
		for b := range src {
			one := [][]float32{slices.Clone(src[b])}
			prev := runtime.GOMAXPROCS(1)
			err := f.Fill(one, w, h, mask)
			runtime.GOMAXPROCS(prev)
			if err != nil {
				t.Fatal(err)
			}
			if i := firstDiff(one[0], all[b]); i >= 0 {
				t.Fatalf("%s band %d: pixel %d is %v alone on one thread, %v with 5 bands", f.Name(), b, i, one[0][i], all[b][i])
			}
		}
	}
}

func TestErrors(t *testing.T) {
	ok := make([]float32, 12)
	mask := make([]uint8, 12)
	tests := []struct {
		name  string
		f     Filler
		bands [][]float32
		w, h  int
		mask  []uint8
		shape bool
		want  string
	}{
		{"zero width", Telea{}, nil, 0, 3, nil, true, "fill: telea: invalid size 0×3"},
		{"negative height", IDW{}, nil, 4, -1, nil, true, "fill: idw: invalid size 4×-1"},
		{"huge", NavierStokes{}, nil, 1 << 20, 1 << 20, nil, true, "fill: ns: size 1048576×1048576 is too large"},
		{"short mask", Telea{}, [][]float32{ok}, 4, 3, mask[:11], true, "fill: telea: mask has 11 bytes, want 12 (4×3)"},
		{"long band", NavierStokes{Radius: 2}, [][]float32{ok, make([]float32, 13)}, 4, 3, mask, true, "fill: ns:r=2: band 1 has 13 values, want 12 (4×3)"},
		{"nil band", IDW{SmoothingIterations: 1}, [][]float32{nil}, 4, 3, mask, true, "fill: idw:si=1: band 0 has 0 values, want 12 (4×3)"},
		{"negative radius", Telea{Radius: -1}, [][]float32{ok}, 4, 3, mask, false, "fill: telea: radius -1 is not a non-negative number"},
		{"NaN radius", NavierStokes{Radius: math.NaN()}, [][]float32{ok}, 4, 3, mask, false, "fill: ns: radius NaN is not a non-negative number"},
		{"negative md", IDW{MaxDistance: -2}, [][]float32{ok}, 4, 3, mask, false, "fill: idw: max distance -2 is not a positive number"},
		{"infinite md", IDW{MaxDistance: math.Inf(1)}, [][]float32{ok}, 4, 3, mask, false, "fill: idw: max distance +Inf is not a positive number"},
		{"negative si", IDW{SmoothingIterations: -1}, [][]float32{ok}, 4, 3, mask, false, "fill: idw: smoothing iterations -1 is negative"},
	}
	for _, tt := range tests {
		err := tt.f.Fill(tt.bands, tt.w, tt.h, tt.mask)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
		var se *ShapeError
		if errors.As(err, &se) != tt.shape {
			t.Errorf("%s: errors.As(*ShapeError) = %v, want %v", tt.name, !tt.shape, tt.shape)
		}
	}
	// No bands is fine.
	for _, f := range allFillers {
		if err := f.Fill(nil, 4, 3, mask); err != nil {
			t.Errorf("%s with no bands: %v", f.Name(), err)
		}
	}
}

func TestByName(t *testing.T) {
	tests := []struct {
		in   string
		want Filler
	}{
		{"telea", Telea{}},
		{"TELEA", Telea{}},
		{" Telea : r = 3 ", Telea{Radius: 3}},
		{"telea:radius=2.5", Telea{Radius: 2.5}},
		{"ns", NavierStokes{}},
		{"NS:R=7", NavierStokes{Radius: 7}},
		{"idw", IDW{}},
		{"idw:md=50,si=1", IDW{MaxDistance: 50, SmoothingIterations: 1}},
		{"IDW:SI=2", IDW{SmoothingIterations: 2}},
		{"idw:maxdistance=10,smoothing=0", IDW{MaxDistance: 10}},
		{"idw:", IDW{}},
	}
	for _, tt := range tests {
		got, err := ByName(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ByName(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
	bad := map[string]string{
		"":                       `fill: unknown filler "" (want one of telea, ns, idw)`,
		"lama":                   `fill: unknown filler "lama" (want one of telea, ns, idw)`,
		"telea:r=-1":             `fill: filler "telea:r=-1": radius -1 is not a non-negative number`,
		"telea:r=x":              `fill: filler "telea:r=x": option r: strconv.ParseFloat: parsing "x": invalid syntax`,
		"telea:r=NaN":            `fill: filler "telea:r=NaN": option r: NaN`,
		"ns:r=inf":               `fill: filler "ns:r=inf": radius +Inf is not a non-negative number`,
		"telea:md=3":             `fill: filler "telea:md=3": unknown option "md"`,
		"idw:md=1,md=2":          `fill: filler "idw:md=1,md=2": option "md" given twice`,
		"idw:md=1,maxdistance=2": `fill: filler "idw:md=1,maxdistance=2": options md and maxdistance both given`,
		"idw:si=1.5":             `fill: filler "idw:si=1.5": option si: strconv.Atoi: parsing "1.5": invalid syntax`,
		"idw:si=-1":              `fill: filler "idw:si=-1": si -1 is negative`,
		"idw:md":                 `fill: filler "idw:md": option "md" is not key=value`,
		"idw:md=":                `fill: filler "idw:md=": option "md=" is not key=value`,
		"idw:md=1,":              `fill: filler "idw:md=1,": option "" is not key=value`,
	}
	for in, want := range bad {
		if f, err := ByName(in); err == nil || err.Error() != want {
			t.Errorf("ByName(%q) = %v, %v; want error %q", in, f, err, want)
		}
	}
}

// TestNameRoundTrip checks that ByName(f.Name()) rebuilds an equivalent f.
func TestNameRoundTrip(t *testing.T) {
	fillers := append(slices.Clone(allFillers), Telea{Radius: 5}, IDW{MaxDistance: 100}, IDW{MaxDistance: 0.5, SmoothingIterations: 12}, NavierStokes{Radius: 1e-3})
	for _, f := range fillers {
		g, err := ByName(f.Name())
		if err != nil {
			t.Fatalf("ByName(%q): %v", f.Name(), err)
		}
		if g.Name() != f.Name() {
			t.Errorf("ByName(%q).Name() = %q", f.Name(), g.Name())
		}
	}
	if got := strings.Join(Names(), ","); got != "telea,ns,idw" {
		t.Errorf("Names() = %s", got)
	}
	for _, n := range Names() {
		if f, err := ByName(n); err != nil || f.Name() != n {
			t.Errorf("ByName(%q) = %v, %v", n, f, err)
		}
	}
}

func TestFillImage(t *testing.T) {
	// A paletted image at a non-zero origin with a mask at another origin.
	pal := color.Palette{color.NRGBA{0, 0, 0, 255}, color.NRGBA{200, 100, 50, 255}, color.NRGBA{10, 20, 30, 128}}
	img := image.NewPaletted(image.Rect(5, 7, 25, 19), pal)
	for i := range img.Pix {
		img.Pix[i] = 1
	}
	img.SetColorIndex(24, 18, 2) // a half-transparent known pixel, out of reach
	mask := image.NewGray(image.Rect(-3, 0, 17, 12))
	for y := 3; y < 6; y++ {
		for x := 0; x < 20; x++ {
			mask.SetGray(x-3, y, color.Gray{255})
			img.SetColorIndex(5+x, 7+y, 0) // black line under the mask
		}
	}
	for _, f := range allFillers {
		out, err := FillImage(f, img, mask)
		if err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		if out.Bounds() != img.Bounds() {
			t.Fatalf("%s: bounds %v, want %v", f.Name(), out.Bounds(), img.Bounds())
		}
		for y := 7; y < 19; y++ {
			for x := 5; x < 25; x++ {
				got := out.NRGBAAt(x, y)
				want := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				if y-7 >= 3 && y-7 < 6 {
					// Filled from the uniform surroundings.
					if got.R != 200 || got.G != 100 || got.B != 50 || got.A != 255 {
						t.Fatalf("%s: filled (%d,%d) = %v", f.Name(), x, y, got)
					}
				} else if got != want {
					t.Fatalf("%s: known (%d,%d) = %v, want %v", f.Name(), x, y, got, want)
				}
			}
		}
	}
	if _, err := FillImage(Telea{}, img, image.NewGray(image.Rect(0, 0, 20, 11))); err == nil ||
		err.Error() != "fill: telea: mask is 20×11, image is 20×12" {
		t.Errorf("size mismatch: %v", err)
	}
	if _, err := FillImage(nil, img, mask); err == nil {
		t.Error("nil filler: no error")
	}
	if _, err := FillImage(Telea{}, image.NewRGBA(image.Rect(0, 0, 0, 0)), image.NewGray(image.Rect(0, 0, 0, 0))); err == nil {
		t.Error("empty image: no error")
	}
}

func TestTo8(t *testing.T) {
	for _, tt := range []struct {
		in   float32
		want uint8
	}{{-3, 0}, {0, 0}, {0.49, 0}, {0.5, 1}, {127.4, 127}, {254.5, 255}, {300, 255}, {float32(math.NaN()), 0}, {float32(math.Inf(-1)), 0}} {
		if got := to8(tt.in); got != tt.want {
			t.Errorf("to8(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// FuzzByName checks that option parsing never panics and that whatever it
// accepts round-trips through Name.
func FuzzByName(f *testing.F) {
	for _, s := range []string{"telea", "ns:r=3", "idw:md=50,si=1", "IDW:SI=2", "x:y=z", "idw:md=1e308", "telea:r=0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ByName(s)
		if err != nil {
			return
		}
		g, err := ByName(fl.Name())
		if err != nil || g.Name() != fl.Name() {
			t.Fatalf("ByName(%q).Name() = %q does not round-trip: %v, %v", s, fl.Name(), g, err)
		}
	})
}

// FuzzFill fills small rasters built from the fuzzer's bytes with every
// filler and checks the Filler contract.
func FuzzFill(f *testing.F) {
	f.Add(uint8(5), uint8(4), uint8(0), []byte{1, 0, 0, 3, 0, 9, 9, 0, 0, 1, 1, 1, 200, 0, 0, 0, 1, 0, 0, 7})
	f.Add(uint8(1), uint8(1), uint8(3), []byte{1})
	f.Add(uint8(9), uint8(2), uint8(1), []byte{0, 0, 1, 1, 1, 1, 1, 0, 0, 5})
	f.Fuzz(func(t *testing.T, w8, h8, which uint8, data []byte) {
		w, h := int(w8%24)+1, int(h8%24)+1
		n := w * h
		mask := make([]uint8, n)
		band := make([]float32, n)
		for i := range n {
			var b byte
			if len(data) > 0 {
				b = data[i%len(data)] ^ byte(i/len(data))
			}
			mask[i] = b & 1
			band[i] = float32(b)
			if mask[i] != 0 {
				band[i] = float32(math.NaN())
			}
		}
		fl := allFillers[int(which)%len(allFillers)]
		before := slices.Clone(band)
		if err := fl.Fill([][]float32{band}, w, h, mask); err != nil {
			t.Fatal(err)
		}
		anyKnown := slices.Contains(mask, 0)
		for i, m := range mask {
			switch {
			case m == 0 && band[i] != before[i]:
				t.Fatalf("known pixel %d changed", i)
			case m != 0 && anyKnown && reachable(fl, mask, w, h, i) && !isFinite(band[i]):
				t.Fatalf("%s: hole pixel %d is %v", fl.Name(), i, band[i])
			case m != 0 && isFinite(band[i]) && (band[i] < -1e-3 || band[i] > 255.001):
				t.Fatalf("%s: hole pixel %d = %v, outside the known values' range", fl.Name(), i, band[i])
			}
		}
	})
}
