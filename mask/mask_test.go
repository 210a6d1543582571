package mask

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.json from the current generator")

// goldenCase is one mask whose SHA-256 is pinned in testdata/golden.json.
type goldenCase struct {
	Family Family   `json:"family"`
	W      int      `json:"w"`
	H      int      `json:"h"`
	Seed   uint64   `json:"seed"`
	Cov    Coverage `json:"coverage"`
	SHA256 string   `json:"sha256"`
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, f := range Families() {
		for _, s := range []struct {
			w, h int
			seed uint64
		}{{256, 256, 1}, {256, 256, 2}, {256, 256, 1 << 63}, {33, 7, 3}, {1000, 600, 4}, {1, 1, 5}} {
			cov := DefaultCoverage(f)
			if s.w == 1 {
				cov = Coverage{0, 1}
			}
			cs = append(cs, goldenCase{Family: f, W: s.w, H: s.h, Seed: s.seed, Cov: cov})
		}
	}
	return cs
}

func maskSHA(t *testing.T, c goldenCase) string {
	t.Helper()
	m, err := Generate(c.Family, c.W, c.H, c.Seed, c.Cov)
	if err != nil {
		t.Fatalf("Generate(%s, %d, %d, %d, %v): %v", c.Family, c.W, c.H, c.Seed, c.Cov, err)
	}
	sum := sha256.Sum256(m.Pix)
	return hex.EncodeToString(sum[:])
}

// TestGolden pins masks bit for bit: a change to the generator that moves
// one pixel fails here. Regenerate with go test ./mask -run Golden -update,
// and only when changing the masks on purpose.
func TestGolden(t *testing.T) {
	path := filepath.Join("testdata", "golden.json")
	cases := goldenCases()
	if *update {
		for i := range cases {
			cases[i].SHA256 = maskSHA(t, cases[i])
		}
		b, err := json.MarshalIndent(cases, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenCase
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(cases) {
		t.Fatalf("%s has %d cases, the test makes %d: run with -update", path, len(want), len(cases))
	}
	for _, c := range want {
		if got := maskSHA(t, c); got != c.SHA256 {
			t.Errorf("%s %d×%d seed %d: SHA-256 %s, golden %s", c.Family, c.W, c.H, c.Seed, got, c.SHA256)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, f := range Families() {
		for seed := range uint64(20) {
			a, err := Generate(f, 97, 61, seed, DefaultCoverage(f))
			if err != nil {
				t.Fatal(err)
			}
			b, err := Generate(f, 97, 61, seed, DefaultCoverage(f))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Pix, b.Pix) {
				t.Fatalf("%s seed %d: two calls differ", f, seed)
			}
		}
		// Different seeds give different masks.
		a, _ := Generate(f, 97, 61, 1, DefaultCoverage(f))
		b, _ := Generate(f, 97, 61, 2, DefaultCoverage(f))
		if slices.Equal(a.Pix, b.Pix) {
			t.Errorf("%s: seeds 1 and 2 give the same mask", f)
		}
	}
}

func TestCoverageInRange(t *testing.T) {
	sizes := []struct{ w, h, seeds int }{
		{33, 7, 300}, {7, 33, 300}, {1, 64, 200}, {64, 1, 200}, {5, 5, 200}, {16, 16, 200},
		{256, 256, 100}, {1000, 600, 8},
	}
	if testing.Short() {
		sizes = sizes[:len(sizes)-1]
	}
	ranges := func(f Family) []Coverage {
		return []Coverage{DefaultCoverage(f), {0, 1}, {0, 0}, {0.10, 0.12}, {0.5, 0.6}}
	}
	for _, f := range Families() {
		for _, s := range sizes {
			for _, cov := range ranges(f) {
				fails := 0
				for seed := range uint64(s.seeds) {
					m, err := Generate(f, s.w, s.h, seed, cov)
					if err != nil {
						if !errors.Is(err, ErrCoverage) {
							t.Fatalf("%s %d×%d %v: %v", f, s.w, s.h, cov, err)
						}
						fails++
						continue
					}
					if m.Bounds() != image.Rect(0, 0, s.w, s.h) {
						t.Fatalf("%s %d×%d: bounds %v", f, s.w, s.h, m.Bounds())
					}
					if c := CoverageOf(m); c < cov.Min || c > cov.Max {
						t.Fatalf("%s %d×%d seed %d: coverage %g outside %v", f, s.w, s.h, seed, c, cov)
					}
					for _, v := range m.Pix {
						if v != 0 && v != 255 {
							t.Fatalf("%s: pixel value %d", f, v)
						}
					}
				}
				// The default range must always be met at these sizes, and
				// tight or unusual ranges nearly always where they can be.
				if cov == DefaultCoverage(f) && fails > 0 {
					t.Errorf("%s %d×%d default %v: %d of %d seeds failed", f, s.w, s.h, cov, fails, s.seeds)
				}
				// Lines (at most 8 of at most 16 px) and strokes (at most 10
				// per 65,536 px) cannot be relied on to mask half an image.
				reachable := cov.Max < 0.5 || f == Boxes || f == Stripes
				if s.w*s.h >= 1000 && reachable && fails > s.seeds/50 {
					t.Errorf("%s %d×%d %v: %d of %d seeds failed", f, s.w, s.h, cov, fails, s.seeds)
				}
			}
		}
	}
}

// TestCoverageSpread checks that targets are drawn across the range, not
// piled at one end: over many seeds the coverages of a family at 256×256
// reach both the lower and upper fifth of its default range.
func TestCoverageSpread(t *testing.T) {
	for _, f := range Families() {
		cov := DefaultCoverage(f)
		var cs []float64
		for seed := range uint64(200) {
			m, err := Generate(f, 256, 256, seed, cov)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, CoverageOf(m))
		}
		sort.Float64s(cs)
		fifth := (cov.Max - cov.Min) / 5
		if cs[0] > cov.Min+fifth || cs[len(cs)-1] < cov.Max-fifth {
			t.Errorf("%s: coverages span [%.3f, %.3f] of %v", f, cs[0], cs[len(cs)-1], cov)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name     string
		f        Family
		w, h     int
		cov      Coverage
		coverage bool // wraps ErrCoverage
	}{
		{"unknown family", "dots", 8, 8, Coverage{0, 1}, false},
		{"zero width", Lines, 0, 8, Coverage{0, 1}, false},
		{"negative height", Lines, 8, -1, Coverage{0, 1}, false},
		{"too wide", Boxes, MaxSide + 1, 1, Coverage{0, 1}, false},
		{"min above max", Boxes, 8, 8, Coverage{0.5, 0.4}, false},
		{"negative min", Boxes, 8, 8, Coverage{-0.1, 0.4}, false},
		{"max above one", Boxes, 8, 8, Coverage{0, 1.5}, false},
		{"NaN", Strokes, 8, 8, Coverage{math.NaN(), 0.4}, false},
		{"1×1 default", Lines, 1, 1, DefaultCoverage(Lines), true},
		{"no count in range", Stripes, 3, 3, Coverage{0.2, 0.21}, true},
		{"lines cannot fill", Lines, 256, 256, Coverage{0.99, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Generate(tt.f, tt.w, tt.h, 1, tt.cov)
			if err == nil {
				t.Fatalf("no error; coverage %g", CoverageOf(m))
			}
			if errors.Is(err, ErrCoverage) != tt.coverage {
				t.Errorf("errors.Is(%v, ErrCoverage) = %v", err, !tt.coverage)
			}
		})
	}
}

func TestCountRange(t *testing.T) {
	r := newRNG(7, "test")
	for range 20000 {
		n := int(r.between(1, 5000))
		a, b := r.unit53(), r.unit53()
		if r.chance(1, 4) { // exact fractions, the awkward case
			a, b = float64(r.between(0, int64(n)))/float64(n), float64(r.between(0, int64(n)))/float64(n)
		}
		cov := Coverage{min(a, b), max(a, b)}
		lo, hi := countRange(cov, n)
		ok := func(k int) bool { c := float64(k) / float64(n); return cov.Min <= c && c <= cov.Max }
		for k := max(lo-2, 0); k <= min(hi+2, n); k++ {
			if ok(k) != (lo <= k && k <= hi) {
				t.Fatalf("n=%d %v: countRange [%d, %d], but count %d in range: %v", n, cov, lo, hi, k, ok(k))
			}
		}
	}
}

// runThickness returns, for each masked pixel, the shortest of its runs of
// masked pixels horizontally, vertically and along both diagonals (those
// scaled by √2), in px, for the masked pixels inside region (runs may
// leave it). For a band of width t at any angle the shortest run
// lies between t and t/cos(22.5°) ≈ 1.08·t, give or take rasterisation.
func runThickness(pix []uint8, w, h int, region image.Rectangle) []float64 {
	at := func(x, y int) bool { return x >= 0 && y >= 0 && x < w && y < h && pix[y*w+x] != 0 }
	run := func(x, y, dx, dy int) int {
		n := 1
		for i := 1; at(x+i*dx, y+i*dy); i++ {
			n++
		}
		for i := 1; at(x-i*dx, y-i*dy); i++ {
			n++
		}
		return n
	}
	var out []float64
	for y := region.Min.Y; y < region.Max.Y; y++ {
		for x := region.Min.X; x < region.Max.X; x++ {
			if !at(x, y) {
				continue
			}
			m := min(float64(run(x, y, 1, 0)), float64(run(x, y, 0, 1)),
				math.Sqrt2*float64(run(x, y, 1, 1)), math.Sqrt2*float64(run(x, y, 1, -1)))
			out = append(out, m)
		}
	}
	return out
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestShapeWidth measures the drawn width of single lines and strokes, as
// Generate draws them, against the width they were drawn with and against
// the family's range.
func TestShapeWidth(t *testing.T) {
	const w, h = 256, 256
	r := newRNG(11, "width")
	for i := range 300 {
		var (
			pts    []point
			tw     int64
			lo, hi float64
			name   string
			shrink = i % shapeTries
		)
		if i%2 == 0 {
			pts, tw = linePath(r, w, h, shrink)
			lo, hi, name = lineMinWidth, lineMaxWidth, "line"
		} else {
			// One segment of the stroke, without its round ends, which
			// would measure as chords of a disc; the brush is the same.
			pts, tw = strokePath(r, w, h, shrink, false)
			pts = pts[:2]
			lo, hi, name = strokeMinWidth, strokeMaxWidth, "stroke"
		}
		// Draw on a canvas twice the size, shifted, so no run is cut short
		// by the image's edge.
		c := newCanvas(2*w, 2*h)
		for j := range pts {
			pts[j].x += w / 2 * sub
			pts[j].y += h / 2 * sub
		}
		c.polyline(pts, tw, false)
		if c.count < int(4*tw*tw/(sub*sub)) {
			continue // shorter than four widths: mostly ends
		}
		got := median(runThickness(c.pix, 2*w, 2*h, image.Rect(0, 0, 2*w, 2*h)))
		want := float64(tw) / sub
		if got < lo-1 || got > hi*1.08+1.5 {
			t.Errorf("%s %d: measured width %.1f px outside [%g, %g]", name, i, got, lo, hi)
		}
		if got < want-1 || got > want*1.08+1.5 {
			t.Errorf("%s %d: measured width %.1f px, drawn with %.1f", name, i, got, want)
		}
	}
}

// TestLineThicknessInMasks measures whole Lines masks: nearly every masked
// pixel lies across a run at least 3 px long, and the typical run is within
// the family's 3–16 px. Pixels within 16 px of the border are left out: a
// line leaving the image at a shallow angle is a thin sliver there.
func TestLineThicknessInMasks(t *testing.T) {
	const side, frame = 256, lineMaxWidth
	for seed := range uint64(40) {
		m, err := Generate(Lines, side, side, seed, DefaultCoverage(Lines))
		if err != nil {
			t.Fatal(err)
		}
		runs := runThickness(m.Pix, side, side, image.Rect(frame, frame, side-frame, side-frame))
		thin := 0
		for _, v := range runs {
			if v < lineMinWidth-0.5 {
				thin++
			}
		}
		if thin > len(runs)/100 {
			t.Errorf("seed %d: %d of %d masked pixels on runs thinner than %d px", seed, thin, len(runs), lineMinWidth)
		}
		if md := median(runs); md < lineMinWidth || md > lineMaxWidth*1.08+1.5 {
			t.Errorf("seed %d: median run %.1f px", seed, md)
		}
	}
}

// TestLinesCross checks the edge-to-edge shape of Lines: most masks touch
// the image border in several places, since lines run out of the image.
func TestLinesCross(t *testing.T) {
	touching := 0
	for seed := range uint64(100) {
		m, err := Generate(Lines, 256, 256, seed, DefaultCoverage(Lines))
		if err != nil {
			t.Fatal(err)
		}
		// Count separate masked runs along the border.
		var border []uint8
		for x := range 256 {
			border = append(border, m.Pix[x])
		}
		for y := range 256 {
			border = append(border, m.Pix[y*256+255])
		}
		for x := 255; x >= 0; x-- {
			border = append(border, m.Pix[255*256+x])
		}
		for y := 255; y >= 0; y-- {
			border = append(border, m.Pix[y*256])
		}
		runs := 0
		for i := range border {
			if border[i] != 0 && border[(i+len(border)-1)%len(border)] == 0 {
				runs++
			}
		}
		if runs >= 3 {
			touching++
		}
	}
	if touching < 90 {
		t.Errorf("only %d of 100 masks meet the border at 3 or more places", touching)
	}
}

func TestParseFamily(t *testing.T) {
	tests := []struct {
		in   string
		want Family
		err  bool
	}{
		{"lines", Lines, false},
		{" Strokes\n", Strokes, false},
		{"BOXES", Boxes, false},
		{"stripes", Stripes, false},
		{"line", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFamily(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("ParseFamily(%q) = %q, %v", tt.in, got, err)
		}
	}
	for _, f := range Families() {
		if DefaultCoverage(f) == (Coverage{}) {
			t.Errorf("no default coverage for %s", f)
		}
	}
}

func TestMix(t *testing.T) {
	m := Mix{Lines: 3, Stripes: 1}
	counts := map[Family]int{}
	for seed := range uint64(2000) {
		f, err := m.pick(seed)
		if err != nil {
			t.Fatal(err)
		}
		counts[f]++
	}
	// 1500 expected lines; 4 standard deviations is ±78.
	if counts[Lines] < 1420 || counts[Lines] > 1580 || counts[Lines]+counts[Stripes] != 2000 {
		t.Errorf("picks %v, want about 1500 lines and 500 stripes", counts)
	}
	g, f, err := m.Generate(64, 48, 9)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(f, 64, 48, 9, DefaultCoverage(f))
	if err != nil || !slices.Equal(g.Pix, want.Pix) {
		t.Errorf("Mix.Generate differs from Generate(%s, ...): %v", f, err)
	}
	for _, bad := range []Mix{{}, {Lines: 0}, {Lines: -1, Boxes: 2}, {Lines: math.NaN()}, {Lines: math.Inf(1)}, {"dots": 1}} {
		if _, _, err := bad.Generate(8, 8, 1); err == nil {
			t.Errorf("Mix %v: no error", bad)
		}
	}
}

func TestCoverageOf(t *testing.T) {
	m := image.NewGray(image.Rect(0, 0, 4, 4))
	m.Pix[0], m.Pix[5], m.Pix[15] = 255, 1, 255
	if got := CoverageOf(m); got != 3.0/16 {
		t.Errorf("CoverageOf = %g, want 3/16", got)
	}
	// A sub-image counts only its own pixels.
	sub := m.SubImage(image.Rect(1, 1, 3, 3)).(*image.Gray)
	if got := CoverageOf(sub); got != 1.0/4 {
		t.Errorf("CoverageOf(sub-image) = %g, want 1/4", got)
	}
	if got := CoverageOf(image.NewGray(image.Rectangle{})); got != 0 {
		t.Errorf("CoverageOf(empty) = %g", got)
	}
}

func TestFromBlack(t *testing.T) {
	b := image.Rect(2, 3, 7, 6) // origin not at zero
	black := map[image.Point]bool{{2, 3}: true, {6, 5}: true, {4, 4}: true}
	paint := func(set func(x, y int, c color.Color)) {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.Color(color.RGBA{uint8(x), 1, 0, 255}) // near black: kept
				if x == 5 {
					c = color.RGBA{0, 0, 1, 255}
				}
				if black[image.Point{x, y}] {
					c = color.RGBA{0, 0, 0, 255}
				}
				set(x, y, c)
			}
		}
	}
	rgba, nrgba, gray, rgba64 := image.NewRGBA(b), image.NewNRGBA(b), image.NewGray(b), image.NewRGBA64(b)
	paint(rgba.Set)
	paint(nrgba.Set)
	paint(rgba64.Set)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			gray.SetGray(x, y, color.Gray{40})
			if black[image.Point{x, y}] {
				gray.SetGray(x, y, color.Gray{0})
			}
		}
	}
	for name, img := range map[string]image.Image{"RGBA": rgba, "NRGBA": nrgba, "Gray": gray, "RGBA64": rgba64} {
		m := FromBlack(img)
		if m.Bounds() != b {
			t.Fatalf("%s: bounds %v, want %v", name, m.Bounds(), b)
		}
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if got := m.GrayAt(x, y).Y == 255; got != black[image.Point{x, y}] {
					t.Errorf("%s: (%d,%d) masked %v", name, x, y, got)
				}
			}
		}
	}
}

func TestApplyThenFromBlack(t *testing.T) {
	m, err := Generate(Strokes, 40, 30, 3, DefaultCoverage(Strokes))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewNRGBA(image.Rect(10, 10, 50, 40))
	for i := range img.Pix {
		img.Pix[i] = uint8(10 + i%200)
	}
	if err := Apply(img, m); err != nil {
		t.Fatal(err)
	}
	got := FromBlack(img)
	if !slices.Equal(got.Pix, m.Pix) {
		t.Error("FromBlack(Apply(img, m)) != m")
	}
	if err := Apply(img, image.NewGray(image.Rect(0, 0, 40, 31))); err == nil {
		t.Error("Apply with a mask of another size: no error")
	}
}

func TestFromNodata(t *testing.T) {
	nan := float32(math.NaN())
	r := []float32{0, 1, 0, nan, 0, 0}
	g := []float32{0, 0, 5, nan, nan, 0}
	tests := []struct {
		nodata float32
		want   []uint8
	}{
		{0, []uint8{255, 0, 0, 0, 0, 255}},
		{nan, []uint8{0, 0, 0, 255, 0, 0}},
	}
	for _, tt := range tests {
		m, err := FromNodata(3, 2, [][]float32{r, g}, tt.nodata)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Pix, tt.want) {
			t.Errorf("nodata %v: %v, want %v", tt.nodata, m.Pix, tt.want)
		}
	}
	for _, bad := range [][][]float32{nil, {r, g[:5]}} {
		if _, err := FromNodata(3, 2, bad, 0); err == nil {
			t.Errorf("FromNodata(%d planes): no error", len(bad))
		}
	}
}

func Example() {
	m, err := Generate(Lines, 256, 256, 42, DefaultCoverage(Lines))
	if err != nil {
		fmt.Println(err)
		return
	}
	c := CoverageOf(m)
	fmt.Println(m.Bounds(), c >= 0.03 && c <= 0.25)
	// Output: (0,0)-(256,256) true
}

func BenchmarkGenerate(b *testing.B) {
	for _, s := range []image.Point{{256, 256}, {1000, 600}} {
		for _, f := range Families() {
			b.Run(fmt.Sprintf("%s/%dx%d", f, s.X, s.Y), func(b *testing.B) {
				seed := uint64(0)
				for b.Loop() {
					if _, err := Generate(f, s.X, s.Y, seed, DefaultCoverage(f)); err != nil {
						b.Fatal(err)
					}
					seed++
				}
			})
		}
	}
}
