package mask

// Lines: the sizes of the family.
const (
	lineMinShapes = 2
	lineMaxShapes = 8
	lineMinWidth  = 3  // px
	lineMaxWidth  = 16 // px
	lineMaxBends  = 4  // segments per line
	lineBendPct   = 6  // largest sideways offset of a bend, % of a segment's length
	linePartial   = 5  // one line in linePartial stops inside the image
)

// drawLines draws 2 to 8 lines. Each goes through a random point of the
// image in a uniformly random direction and runs to both edges (or, one time
// in five, stops partway at one end), bent at up to three inner vertices
// offset sideways by at most 6 % of a segment's length.
func drawLines(c *canvas, r *rng, target, hi int, _ bool) {
	greedy(c, target, hi, lineMinShapes, lineMaxShapes, func(_, shrink int) {
		pts, t := linePath(r, c.w, c.h, shrink)
		c.polyline(pts, t, false)
	})
}

// linePath returns the vertices and width of one line; each shrink narrows
// the widest allowed width by 4 px (never below 3 px) and, from shrink 2 on,
// shortens the line.
func linePath(r *rng, w, h, shrink int) ([]point, int64) {
	t := r.between(lineMinWidth, max(lineMinWidth, lineMaxWidth-4*int64(shrink))) * sub
	u := randomDir(r)
	p := point{r.between(0, int64(w)*sub-1), r.between(0, int64(h)*sub-1)}

	// The chord through p, as distances s along u, over the image grown by
	// a margin that puts the butt ends wholly outside it.
	margin := t + sub
	s0, s1 := chord(p, u, -margin, -margin, int64(w)*sub+margin, int64(h)*sub+margin)

	// Partial lines keep 40–90 % of the chord (20–60 % when shrinking),
	// from one end.
	if shrink >= 2 || r.chance(1, linePartial) {
		pct := r.between(40, 90)
		if shrink >= 2 {
			pct = r.between(20, 60)
		}
		keep := (s1 - s0) * pct / 100
		if r.chance(1, 2) {
			s1 = s0 + keep
		} else {
			s0 = s1 - keep
		}
	}

	k := r.between(1, lineMaxBends)
	step := (s1 - s0) / k
	bend := step * r.between(0, lineBendPct) / 100
	n := perp(u)
	pts := make([]point, 0, k+1)
	pts = append(pts, along(p, u, s0))
	for i := int64(1); i < k; i++ {
		jitter := r.between(-step/10, step/10)
		q := along(p, u, s0+i*step+jitter)
		pts = append(pts, along(q, n, r.between(-bend, bend)))
	}
	pts = append(pts, along(p, u, s1))
	return pts, t
}

// chord returns the distances s0 ≤ 0 ≤ s1 along direction u (length
// dirScale) at which the line through p, which lies inside the box
// [x0, x1] × [y0, y1], leaves the box.
func chord(p, u point, x0, y0, x1, y1 int64) (s0, s1 int64) {
	s0, s1 = -(1 << 40), 1<<40
	clip := func(pos, dir, lo, hi int64) {
		if dir == 0 {
			return
		}
		a, b := (lo-pos)*dirScale/dir, (hi-pos)*dirScale/dir
		if a > b {
			a, b = b, a
		}
		s0, s1 = max(s0, a), min(s1, b)
	}
	clip(p.x, u.x, x0, x1)
	clip(p.y, u.y, y0, y1)
	return s0, s1
}
