package mask

// Strokes: the sizes of the family.
const (
	strokeMinWidth   = 8  // px
	strokeMaxWidth   = 30 // px
	strokeMinSegs    = 2
	strokeMaxSegs    = 6
	strokeMinLen     = 10   // px, one segment
	strokeMaxLen     = 200  // px, one segment, on large images
	strokeTurn       = 7094 // largest turn between segments: atan(7094/4096) = 60°
	strokesPer65536  = 10   // at most this many strokes per 256×256 pixels
	strokeRelaxWidth = 1    // px, smallest width of a relaxed attempt
)

// drawStrokes draws brush strokes in the manner of LaMa's irregular masks:
// each a random walk from a random point, of 2 to 6 segments 10 px to
// min(w, h)/3 (at most 200 px) long, turning by up to 60° at each vertex and
// bouncing off the image's edges, painted with a round brush 8 to 30 px
// wide. There are at most 10 strokes per 65,536 pixels (at least 10).
func drawStrokes(c *canvas, r *rng, target, hi int, relaxed bool) {
	limit := max(1, c.w*c.h/65536) * strokesPer65536
	greedy(c, target, hi, 1, limit, func(_, shrink int) {
		pts, t := strokePath(r, c.w, c.h, shrink, relaxed)
		c.polyline(pts, t, true)
	})
}

// strokePath returns the vertices and width of one stroke; each shrink
// narrows the widest allowed width by 8 px and halves the longest segment
// and removes one segment. A relaxed stroke may be as thin and its segments
// as short as 1 px, for images smaller than a usual stroke.
func strokePath(r *rng, w, h, shrink int, relaxed bool) ([]point, int64) {
	minW, minLen := int64(strokeMinWidth), int64(strokeMinLen)
	if relaxed {
		minW, minLen = strokeRelaxWidth, 1
	}
	t := r.between(minW, max(minW, strokeMaxWidth-8*int64(shrink))) * sub
	maxLen := min(max(int64(min(w, h))/3, 2*strokeMinLen), strokeMaxLen) >> shrink
	maxLen = max(maxLen, minLen)
	segs := r.between(strokeMinSegs, max(strokeMinSegs, strokeMaxSegs-int64(shrink)))

	W, H := int64(w)*sub, int64(h)*sub
	p := point{r.between(0, W-1), r.between(0, H-1)}
	u := randomDir(r)
	pts := []point{p}
	for i := range segs {
		if i > 0 {
			k := r.between(-strokeTurn, strokeTurn)
			n := perp(u)
			u = normalize(point{u.x*dirScale + k*n.x, u.y*dirScale + k*n.y})
		}
		s := r.between(minLen, maxLen) * sub
		q := along(p, u, s)
		// Bounce off the edges, then clamp what still sticks out.
		if q.x < 0 || q.x >= W {
			u.x = -u.x
		}
		if q.y < 0 || q.y >= H {
			u.y = -u.y
		}
		q = along(p, u, s)
		q = point{min(max(q.x, 0), W-1), min(max(q.y, 0), H-1)}
		pts = append(pts, q)
		p = q
	}
	return pts, t
}
