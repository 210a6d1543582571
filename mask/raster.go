package mask

import (
	"math"
	"math/bits"
)

// Geometry is integer fixed point so that a mask depends on nothing but its
// parameters: sub units per pixel, pixel (i, j) covering [sub·i, sub·(i+1))
// with its centre at (sub·i + sub/2, sub·j + sub/2). A pixel is masked when
// its centre is inside a shape, decided by an exact integer predicate.
// Floating point only narrows the pixels a shape has to test, with a margin
// far wider than its rounding, so it never changes a result.
const sub = 16

// dirScale is the length of the integer direction vectors (ux, uy) that
// shapes are built from: ux² + uy² ≈ dirScale².
const dirScale = 1 << 12

// point is a position in 1/sub pixel units.
type point struct{ x, y int64 }

// centre returns the centre of pixel (i, j).
func centre(i, j int) point {
	return point{int64(i)*sub + sub/2, int64(j)*sub + sub/2}
}

// canvas is a binary raster being drawn. It journals the pixels the current
// shape turned on, so that a shape that overshoots the coverage range can be
// taken back (undo) or kept (commit) without copying the raster.
type canvas struct {
	w, h    int
	pix     []uint8 // w·h, row-major, 0 or 255
	count   int     // non-zero pixels in pix
	journal []int   // indices set since the last commit or undo
}

func newCanvas(w, h int) *canvas {
	return &canvas{w: w, h: h, pix: make([]uint8, w*h)}
}

// set turns pixel index i on.
func (c *canvas) set(i int) {
	if c.pix[i] == 0 {
		c.pix[i] = 255
		c.count++
		c.journal = append(c.journal, i)
	}
}

// commit keeps everything drawn since the last commit or undo.
func (c *canvas) commit() { c.journal = c.journal[:0] }

// undo removes everything drawn since the last commit or undo.
func (c *canvas) undo() {
	for _, i := range c.journal {
		c.pix[i] = 0
	}
	c.count -= len(c.journal)
	c.journal = c.journal[:0]
}

// clear empties the canvas.
func (c *canvas) clear() {
	clear(c.pix)
	c.count = 0
	c.journal = c.journal[:0]
}

// rect masks the pixels [x0, x1) × [y0, y1), clipped to the canvas.
func (c *canvas) rect(x0, y0, x1, y1 int) {
	x0, x1 = max(x0, 0), min(x1, c.w)
	y0, y1 = max(y0, 0), min(y1, c.h)
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			c.set(y*c.w + x)
		}
	}
}

// band is a thick straight segment from a to a+d of width t (1/sub px units),
// with butt ends. A point q is inside when its projection falls on the
// segment, 0 ≤ d·(q−a) ≤ d·d, and its signed distance s from the centre line
// satisfies −t/2 < s ≤ t/2: half-open, so a band of integer width t px along
// a pixel axis covers exactly t pixels across wherever it sits.
type band struct {
	a, d     point
	t        int64
	dd       int64  // d·d
	t2ddHi   uint64 // t²·(d·d) as a 128-bit number,
	t2ddLo   uint64 // compared with (2·cross)² without overflow
	lenFloat float64
}

func newBand(a, b point, t int64) band {
	d := point{b.x - a.x, b.y - a.y}
	dd := d.x*d.x + d.y*d.y
	hi, lo := bits.Mul64(uint64(t*t), uint64(dd))
	return band{a: a, d: d, t: t, dd: dd, t2ddHi: hi, t2ddLo: lo, lenFloat: math.Sqrt(float64(dd))}
}

// contains is the exact predicate. Magnitudes: coordinates stay below 2^26
// units (see MaxSide), so d·v and the cross product stay below 2^54.
func (b *band) contains(q point) bool {
	vx, vy := q.x-b.a.x, q.y-b.a.y
	dot := b.d.x*vx + b.d.y*vy
	if dot < 0 || dot > b.dd {
		return false
	}
	cross := b.d.x*vy - b.d.y*vx // = s·|d|
	m := uint64(2 * cross)
	if cross < 0 {
		m = uint64(-2 * cross)
	}
	hi, lo := bits.Mul64(m, m) // (2s)²·(d·d)
	if cross > 0 {
		return hi < b.t2ddHi || hi == b.t2ddHi && lo <= b.t2ddLo
	}
	return hi < b.t2ddHi || hi == b.t2ddHi && lo < b.t2ddLo
}

// segment masks the pixels whose centres are inside the band a→b of width t.
func (c *canvas) segment(a, b point, t int64) {
	bd := newBand(a, b, t)
	if bd.dd == 0 {
		return
	}
	reach := t/2 + 2*sub
	y0 := max(floorDiv(min(a.y, b.y)-reach, sub), 0)
	y1 := min(floorDiv(max(a.y, b.y)+reach, sub), int64(c.h-1))
	dx, dy := float64(bd.d.x), float64(bd.d.y)
	half := float64(t) * bd.lenFloat / 2
	slack := 2 * sub * bd.lenFloat // two pixels, in cross and dot units
	dd := float64(bd.dd)
	for y := y0; y <= y1; y++ {
		// Candidate columns: where both linear constraints, solved for
		// vx = qx − a.x in floating point, can hold. Widened by slack.
		vy := float64(y*sub + sub/2 - bd.a.y)
		lo, hi := math.Inf(-1), math.Inf(1)
		if bd.d.y != 0 {
			lo, hi = narrow(lo, hi, (dx*vy-half-slack)/dy, (dx*vy+half+slack)/dy)
		} else if math.Abs(dx*vy) > half+slack {
			continue
		}
		if bd.d.x != 0 {
			lo, hi = narrow(lo, hi, (-dy*vy-slack)/dx, (dd-dy*vy+slack)/dx)
		} else if dy*vy < -slack || dy*vy > dd+slack {
			continue
		}
		x0, x1, ok := c.columns(lo+float64(bd.a.x), hi+float64(bd.a.x))
		if !ok {
			continue
		}
		row := int(y) * c.w
		for x := x0; x <= x1; x++ {
			if bd.contains(centre(x, int(y))) {
				c.set(row + x)
			}
		}
	}
}

// narrow intersects [lo, hi] with the interval between p and q.
func narrow(lo, hi, p, q float64) (float64, float64) {
	if p > q {
		p, q = q, p
	}
	return max(lo, p), min(hi, q)
}

// columns converts a candidate range of centre x positions (units) to pixel
// columns, one pixel wider on each side, clipped to the canvas.
func (c *canvas) columns(lo, hi float64) (x0, x1 int, ok bool) {
	if !(lo <= hi) {
		return 0, 0, false
	}
	lo = math.Floor((lo-sub/2)/sub) - 1
	hi = math.Ceil((hi-sub/2)/sub) + 1
	if hi < 0 || lo > float64(c.w-1) {
		return 0, 0, false
	}
	return int(max(lo, 0)), int(min(hi, float64(c.w-1))), true
}

// disc masks the pixels whose centres are strictly closer than r units to p.
func (c *canvas) disc(p point, r int64) {
	if r <= 0 {
		return
	}
	y0 := max(floorDiv(p.y-r, sub)-1, 0)
	y1 := min(floorDiv(p.y+r, sub)+1, int64(c.h-1))
	r2 := r * r
	for y := y0; y <= y1; y++ {
		vy := y*sub + sub/2 - p.y
		if vy*vy >= r2 {
			continue
		}
		hx := math.Sqrt(float64(r2 - vy*vy))
		x0, x1, ok := c.columns(float64(p.x)-hx, float64(p.x)+hx)
		if !ok {
			continue
		}
		row := int(y) * c.w
		for x := x0; x <= x1; x++ {
			vx := int64(x)*sub + sub/2 - p.x
			if vx*vx+vy*vy < r2 {
				c.set(row + x)
			}
		}
	}
}

// polyline masks a path of bands of width t through pts, with round joints
// (a disc of diameter t at each inner vertex) and, if roundEnds, round ends.
func (c *canvas) polyline(pts []point, t int64, roundEnds bool) {
	for i := 1; i < len(pts); i++ {
		c.segment(pts[i-1], pts[i], t)
	}
	for i, p := range pts {
		if roundEnds || (i > 0 && i < len(pts)-1) {
			c.disc(p, t/2)
		}
	}
}

// floorDiv is ⌊a/b⌋ for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// isqrt is ⌊√n⌋, by integer Newton iteration from above.
func isqrt(n uint64) uint64 {
	if n < 2 {
		return n
	}
	x := uint64(1) << ((bits.Len64(n) + 1) / 2) // > √n
	for {
		y := (x + n/x) / 2
		if y >= x {
			return x
		}
		x = y
	}
}

// randomDir returns a uniformly distributed direction (ux, uy) of length
// ≈ dirScale, by rejection sampling integer points in an annulus.
func randomDir(r *rng) point {
	const R = 1 << 10
	for {
		x, y := r.between(-R, R), r.between(-R, R)
		n := x*x + y*y
		if n >= R*R/4 && n <= R*R {
			return normalize(point{x, y})
		}
	}
}

// normalize scales v (non-zero, |v| < 2^40) to length ≈ dirScale.
func normalize(v point) point {
	n := int64(isqrt(uint64(v.x*v.x + v.y*v.y)))
	return point{v.x * dirScale / n, v.y * dirScale / n}
}

// along returns p + u·s/dirScale: s units along direction u.
func along(p, u point, s int64) point {
	return point{p.x + u.x*s/dirScale, p.y + u.y*s/dirScale}
}

// perp is u turned a quarter turn.
func perp(u point) point { return point{-u.y, u.x} }
