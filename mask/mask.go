// Package mask makes damage masks: binary *image.Gray images in which 255
// marks a damaged pixel (one to restore) and 0 a pixel to keep.
//
// Generate draws synthetic damage from a seed, in four families: Lines (the
// black lines across aerial images that aerofill restores), Strokes (LaMa's
// irregular brush strokes), Boxes and Stripes (Landsat-7 SLC-off gaps). The
// same arguments give the same mask, bit for bit, on every run, Go version
// and platform: the random numbers are SplitMix64 and the geometry is
// integer fixed point. Each mask's coverage, the fraction of pixels masked,
// lands inside a range the caller chooses.
//
// FromBlack, FromNodata and Apply convert between masks and damaged images.
// The package does not read or write files, and does not restore anything.
package mask

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
)

// Family is a kind of synthetic damage.
type Family string

// The families, in the order Families returns them.
const (
	// Lines are 2 to 8 straight or gently bent bands, 3 to 16 px thick,
	// that mostly cross the image from edge to edge: the damage of the
	// competition aerofill is built for.
	Lines Family = "lines"
	// Strokes are random walks of a few vertices drawn with a round brush
	// 8 to 30 px wide, like LaMa's irregular training masks.
	Strokes Family = "strokes"
	// Boxes are 1 to 4 axis-aligned rectangles.
	Boxes Family = "boxes"
	// Stripes are periodic gaps a few degrees off the horizontal, zero wide
	// on the scene's centre line and widening toward its edges, as in
	// Landsat 7 images after its scan-line corrector failed (SLC-off).
	Stripes Family = "stripes"
)

// Families returns every family, in a fixed order.
func Families() []Family { return []Family{Lines, Strokes, Boxes, Stripes} }

// ParseFamily returns the family named s, ignoring case and surrounding space.
func ParseFamily(s string) (Family, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, f := range Families() {
		if string(f) == t {
			return f, nil
		}
	}
	return "", fmt.Errorf("mask: unknown family %q (want lines, strokes, boxes or stripes)", s)
}

// Coverage is a range of masked fractions, Min ≤ coverage ≤ Max, both in
// [0, 1].
type Coverage struct{ Min, Max float64 }

// DefaultCoverage returns the range Generate is usually called with for f,
// or the zero Coverage for an unknown family.
func DefaultCoverage(f Family) Coverage {
	switch f {
	case Lines:
		return Coverage{0.03, 0.25}
	case Strokes:
		return Coverage{0.05, 0.35}
	case Boxes:
		return Coverage{0.05, 0.30}
	case Stripes:
		return Coverage{0.05, 0.25}
	}
	return Coverage{}
}

// MaxSide is the largest width or height Generate accepts; it keeps the
// fixed-point geometry inside 64-bit integers.
const MaxSide = 1 << 20

// ErrCoverage reports that no mask of the family and size has a coverage in
// the range asked for (for example any range above 0 and below 1 on a 1×1
// image). Generate's errors wrap it when that is the cause.
var ErrCoverage = errors.New("coverage range not reachable")

// maxAttempts bounds the masks Generate draws before it gives up; each
// attempt draws a new target coverage and new shapes. Attempts from
// relaxAttempt on may use shapes smaller than the family's usual sizes
// (strokes thinner than 8 px, stripes closer than 10 px), which only images
// a few shapes wide need.
const (
	maxAttempts  = 32
	relaxAttempt = 16
)

// Generate returns a w×h mask of family f whose coverage lies in cov, drawn
// from seed. Its bounds are (0, 0)–(w, h).
//
// Generate draws a target pixel count uniformly from the counts inside cov,
// then adds shapes until the mask reaches the target or the family's shape
// limit, taking back and redrawing smaller any shape that would overshoot
// cov.Max. Coverage is compared as CoverageOf computes it. When an attempt
// ends outside cov it starts again, at most 32 times; then, or at once when
// no pixel count of a w×h image lies in cov, it returns an error wrapping
// ErrCoverage. Shapes have the sizes their Family describes, except that
// the last 16 attempts may draw strokes thinner than 8 px and stripes closer
// than 10 px, so that images a few pixels across can still meet cov; line
// thickness stays within 3–16 px always. The mask takes w·h bytes; sides
// above MaxSide are refused.
func Generate(f Family, w, h int, seed uint64, cov Coverage) (*image.Gray, error) {
	drawAttempt, err := drawerFor(f)
	if err != nil {
		return nil, err
	}
	if w < 1 || h < 1 || w > MaxSide || h > MaxSide || int64(w)*int64(h) > math.MaxInt {
		return nil, fmt.Errorf("mask: %s %d×%d: size out of range (1 to %d per side)", f, w, h, MaxSide)
	}
	if !(0 <= cov.Min && cov.Min <= cov.Max && cov.Max <= 1) {
		return nil, fmt.Errorf("mask: %s: invalid coverage [%g, %g]: want 0 ≤ Min ≤ Max ≤ 1", f, cov.Min, cov.Max)
	}
	lo, hi := countRange(cov, w*h)
	if lo > hi {
		return nil, fmt.Errorf("mask: %s %d×%d: coverage [%g, %g]: no pixel count in range: %w", f, w, h, cov.Min, cov.Max, ErrCoverage)
	}
	r := newRNG(seed, string(f))
	c := newCanvas(w, h)
	for attempt := range maxAttempts {
		c.clear()
		target := int(r.between(int64(lo), int64(hi)))
		drawAttempt(c, r, target, hi, attempt >= relaxAttempt)
		if lo <= c.count && c.count <= hi {
			return &image.Gray{Pix: c.pix, Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
		}
	}
	return nil, fmt.Errorf("mask: %s %d×%d seed %d: coverage [%g, %g] after %d attempts: %w", f, w, h, seed, cov.Min, cov.Max, maxAttempts, ErrCoverage)
}

// A drawer draws one attempt of a family onto an empty canvas: aiming at
// target pixels, never leaving more than hi. relaxed allows shapes smaller
// than the family's usual sizes.
type drawer func(c *canvas, r *rng, target, hi int, relaxed bool)

func drawerFor(f Family) (drawer, error) {
	switch f {
	case Lines:
		return drawLines, nil
	case Strokes:
		return drawStrokes, nil
	case Boxes:
		return drawBoxes, nil
	case Stripes:
		return drawStripes, nil
	}
	return nil, fmt.Errorf("mask: unknown family %q", string(f))
}

// countRange returns the pixel counts k of an n-pixel image with
// cov.Min ≤ k/n ≤ cov.Max, computed in float64 exactly as CoverageOf divides,
// so a count inside [lo, hi] always passes a check made with CoverageOf.
func countRange(cov Coverage, n int) (lo, hi int) {
	fn := float64(n)
	lo = int(math.Ceil(cov.Min * fn))
	for lo > 0 && float64(lo-1)/fn >= cov.Min {
		lo--
	}
	for lo <= n && float64(lo)/fn < cov.Min {
		lo++
	}
	hi = int(math.Floor(cov.Max * fn))
	for hi < n && float64(hi+1)/fn <= cov.Max {
		hi++
	}
	for hi >= 0 && float64(hi)/fn > cov.Max {
		hi--
	}
	return lo, hi
}

// shapeTries bounds how often greedy redraws one shape, smaller each time,
// after it overshot the range.
const shapeTries = 6

// greedy draws shapes with shape(n, shrink), n counting from 0, until the canvas holds target
// pixels, drawing at least minShapes and at most maxShapes of them. A shape
// that takes the count above hi is taken back and drawn again with a larger
// shrink; after shapeTries overshoots greedy stops where it is.
func greedy(c *canvas, target, hi, minShapes, maxShapes int, shape func(n, shrink int)) {
	for n := 0; n < maxShapes && (n < minShapes || c.count < target); n++ {
		placed := false
		for shrink := range shapeTries {
			shape(n, shrink)
			if c.count <= hi {
				c.commit()
				placed = true
				break
			}
			c.undo()
		}
		if !placed {
			return
		}
	}
}

// Mix is a weighted choice of families, for training and evaluation sets
// with several kinds of damage. Weights are relative and need not sum to 1.
type Mix map[Family]float64

// Generate picks a family for seed with probability proportional to its
// weight, and returns Generate(family, w, h, seed, DefaultCoverage(family))
// and the family. The pick is deterministic like the mask. It fails if the
// mix names an unknown family, a weight is negative or not finite, or no
// weight is positive.
func (m Mix) Generate(w, h int, seed uint64) (*image.Gray, Family, error) {
	f, err := m.pick(seed)
	if err != nil {
		return nil, "", err
	}
	g, err := Generate(f, w, h, seed, DefaultCoverage(f))
	return g, f, err
}

// pick chooses the family for seed. It walks the families in Families
// order, never the map's, so the choice does not depend on map iteration.
func (m Mix) pick(seed uint64) (Family, error) {
	for f := range m {
		if _, err := drawerFor(f); err != nil {
			return "", err
		}
	}
	total := 0.0
	for _, f := range Families() {
		v := m[f]
		if !(v >= 0) || math.IsInf(v, 0) {
			return "", fmt.Errorf("mask: mix weight of %s is %g: want a finite weight ≥ 0", f, v)
		}
		total += v
	}
	if !(total > 0) || math.IsInf(total, 0) {
		return "", fmt.Errorf("mask: mix has no positive weight")
	}
	u := newRNG(seed, "mix").unit53() * total
	var last Family
	acc := 0.0
	for _, f := range Families() {
		if m[f] == 0 {
			continue
		}
		acc += m[f]
		last = f
		if u < acc {
			return f, nil
		}
	}
	return last, nil // u rounded up to total
}

// CoverageOf returns the fraction of m's pixels that are non-zero, or 0 for
// an empty image.
func CoverageOf(m *image.Gray) float64 {
	b := m.Bounds()
	n := b.Dx() * b.Dy()
	if n == 0 {
		return 0
	}
	k := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := m.PixOffset(b.Min.X, y)
		for _, v := range m.Pix[off : off+b.Dx()] {
			if v != 0 {
				k++
			}
		}
	}
	return float64(k) / float64(n)
}

// FromBlack returns the mask of img's pure black pixels, those whose red,
// green and blue are all 0, with img's bounds. Alpha is ignored, so a fully
// transparent pixel (which image/color reports as black) counts as damaged.
// Near-black pixels, such as JPEG leaves around black lines, do not count.
func FromBlack(img image.Image) *image.Gray {
	b := img.Bounds()
	m := image.NewGray(b)
	mark := func(x, y int, black bool) {
		if black {
			m.Pix[m.PixOffset(x, y)] = 255
		}
	}
	switch src := img.(type) {
	case *image.RGBA:
		markBlack4(m, src.Pix, src.Stride)
	case *image.NRGBA:
		markBlack4(m, src.Pix, src.Stride)
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				mark(x, y, src.Pix[src.PixOffset(x, y)] == 0)
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				// Straight (not premultiplied) colour, so a dark but
				// translucent pixel is not mistaken for black.
				c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
				mark(x, y, c.R|c.G|c.B == 0)
			}
		}
	}
	return m
}

// markBlack4 marks in m the black pixels of a 4-byte-per-pixel image (RGBA
// or NRGBA) with m's bounds, whose pixels are pix with the given stride.
func markBlack4(m *image.Gray, pix []uint8, stride int) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	for y := range h {
		row := pix[y*stride : y*stride+4*w]
		out := m.Pix[y*m.Stride : y*m.Stride+w]
		for x := range out {
			if row[4*x]|row[4*x+1]|row[4*x+2] == 0 {
				out[x] = 255
			}
		}
	}
}

// FromNodata returns the w×h mask of the pixels where every plane equals
// nodata: the way a multi-band raster marks missing data. Each plane holds
// w·h values row by row (a tensor.Tensor's Plane). A NaN nodata matches NaN
// values.
func FromNodata(w, h int, planes [][]float32, nodata float32) (*image.Gray, error) {
	if w < 0 || h < 0 || len(planes) == 0 {
		return nil, fmt.Errorf("mask: nodata: %d planes of %d×%d: want at least one plane", len(planes), w, h)
	}
	for i, p := range planes {
		if len(p) != w*h {
			return nil, fmt.Errorf("mask: nodata: plane %d has %d values, want %d×%d", i, len(p), w, h)
		}
	}
	isNodata := func(v float32) bool { return v == nodata }
	if nodata != nodata {
		isNodata = func(v float32) bool { return v != v }
	}
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		all := true
		for _, p := range planes {
			if !isNodata(p[i]) {
				all = false
				break
			}
		}
		if all {
			m.Pix[i] = 255
		}
	}
	return m, nil
}

// Apply paints opaque black over the pixels of img that m marks, making a
// damaged input from a clean image: FromBlack(img) then contains m. The two
// must be the same size; their origins may differ.
func Apply(img draw.Image, m *image.Gray) error {
	b, mb := img.Bounds(), m.Bounds()
	if b.Size() != mb.Size() {
		return fmt.Errorf("mask: apply: mask is %d×%d, image is %d×%d", mb.Dx(), mb.Dy(), b.Dx(), b.Dy())
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if m.Pix[m.PixOffset(mb.Min.X+x, mb.Min.Y+y)] != 0 {
				img.Set(b.Min.X+x, b.Min.Y+y, color.Black)
			}
		}
	}
	return nil
}
