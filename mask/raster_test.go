package mask

import (
	"slices"
	"testing"
)

// The reference rasterisers test every pixel of the canvas with the exact
// predicate; the fast ones must agree pixel for pixel.

func segmentRef(c *canvas, a, b point, t int64) {
	bd := newBand(a, b, t)
	if bd.dd == 0 {
		return
	}
	for y := range c.h {
		for x := range c.w {
			if bd.contains(centre(x, y)) {
				c.set(y*c.w + x)
			}
		}
	}
}

func discRef(c *canvas, p point, r int64) {
	for y := range c.h {
		for x := range c.w {
			q := centre(x, y)
			if dx, dy := q.x-p.x, q.y-p.y; dx*dx+dy*dy < r*r {
				c.set(y*c.w + x)
			}
		}
	}
}

// stripesRef evaluates the stripe pattern's definition at every pixel.
func stripesRef(c *canvas, s *stripes) {
	half := s.period / 2
	for x := range c.w {
		qx := int64(x)*sub + sub/2
		dist := max(qx-s.centreLine, s.centreLine-qx)
		hw := min(half, s.rate*dist/slopeScale) // small rates only: no overflow
		for y := range c.h {
			Y := int64(y)*fine + fine/2
			// Gaps are at most a period wide: only the centres around
			// Y can reach it.
			k := floorDiv(Y-s.phase-s.slope*qx, s.period)
			for _, kk := range []int64{k - 1, k, k + 1} {
				ctr := s.phase + s.slope*qx + kk*s.period
				if ctr-hw < Y && Y <= ctr+hw {
					c.set(y*c.w + x)
				}
			}
		}
	}
}

var awkward = [][2]int{{1, 1}, {7, 7}, {33, 7}, {7, 33}, {33, 33}, {257, 33}, {1, 257}}

func randomPoint(r *rng, w, h int) point {
	// Up to a canvas size outside the canvas on every side.
	return point{r.between(-int64(w)*sub, 2*int64(w)*sub), r.between(-int64(h)*sub, 2*int64(h)*sub)}
}

func TestSegmentMatchesReference(t *testing.T) {
	r := newRNG(1, "segment")
	for _, s := range awkward {
		w, h := s[0], s[1]
		for i := range 200 {
			a, b := randomPoint(r, w, h), randomPoint(r, w, h)
			switch i % 4 { // axis-aligned and degenerate cases
			case 1:
				b.y = a.y
			case 2:
				b.x = a.x
			case 3:
				if i%8 == 3 {
					b = a
				}
			}
			tw := r.between(1, 40*sub)
			fast, ref := newCanvas(w, h), newCanvas(w, h)
			fast.segment(a, b, tw)
			segmentRef(ref, a, b, tw)
			if !slices.Equal(fast.pix, ref.pix) {
				t.Fatalf("%d×%d segment %v→%v width %d: fast and reference differ", w, h, a, b, tw)
			}
		}
	}
}

func TestDiscMatchesReference(t *testing.T) {
	r := newRNG(2, "disc")
	for _, s := range awkward {
		w, h := s[0], s[1]
		for range 200 {
			p := randomPoint(r, w, h)
			rad := r.between(0, 30*sub)
			fast, ref := newCanvas(w, h), newCanvas(w, h)
			fast.disc(p, rad)
			discRef(ref, p, rad)
			if !slices.Equal(fast.pix, ref.pix) {
				t.Fatalf("%d×%d disc %v radius %d: fast and reference differ", w, h, p, rad)
			}
		}
	}
}

func TestStripesMatchReference(t *testing.T) {
	r := newRNG(3, "stripes")
	for _, s := range awkward {
		w, h := s[0], s[1]
		for range 100 {
			st := stripes{period: r.between(2*fine, 40*fine)}
			st.phase = r.between(-st.period, st.period)
			st.slope = r.between(-stripeMaxSlope, stripeMaxSlope)
			st.centreLine = r.between(-2*int64(w)*sub, 3*int64(w)*sub)
			st.rate = r.between(0, 1<<22)
			fast, ref := newCanvas(w, h), newCanvas(w, h)
			st.each(w, h, func(x, y0, y1 int) {
				for y := y0; y <= y1; y++ {
					fast.set(y*w + x)
				}
			})
			stripesRef(ref, &st)
			if !slices.Equal(fast.pix, ref.pix) {
				t.Fatalf("%d×%d stripes %+v: fast and reference differ", w, h, st)
			}
			if n := st.count(w, h); n != ref.count {
				t.Fatalf("%d×%d stripes %+v: count %d, reference %d", w, h, st, n, ref.count)
			}
		}
	}
}

// TestBandWidth checks the half-open rule: an axis-aligned band of integer
// width t px covers exactly t pixels across, wherever it sits.
func TestBandWidth(t *testing.T) {
	for tw := int64(1); tw <= 16; tw++ {
		for off := int64(0); off < sub; off++ {
			c := newCanvas(40, 40)
			y := 20*sub + off
			c.segment(point{-sub, y}, point{41 * sub, y}, tw*sub)
			if c.count != int(40*tw) {
				t.Fatalf("width %d px at offset %d/%d: %d pixels per column, want %d", tw, off, sub, c.count/40, tw)
			}
		}
	}
}

func TestUndo(t *testing.T) {
	c := newCanvas(20, 20)
	c.rect(0, 0, 5, 5)
	c.commit()
	before := slices.Clone(c.pix)
	c.rect(3, 3, 10, 10)
	if c.count != 25+49-4 {
		t.Fatalf("count %d", c.count)
	}
	c.undo()
	if c.count != 25 || !slices.Equal(c.pix, before) {
		t.Fatal("undo did not restore the canvas")
	}
}

func TestIsqrt(t *testing.T) {
	r := newRNG(4, "isqrt")
	for i := range 100000 {
		n := r.next() >> r.below(64)
		if i < 1000 {
			n = uint64(i)
		}
		s := isqrt(n)
		if s*s > n || (s+1)*(s+1) <= n && s+1 < 1<<32 {
			t.Fatalf("isqrt(%d) = %d", n, s)
		}
	}
}

// TestRNGStream pins SplitMix64's published output for seed 0 (the first
// values of the reference implementation), the ground the masks stand on.
func TestRNGStream(t *testing.T) {
	r := &rng{s: 0}
	want := []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}
	for i, w := range want {
		if got := r.next(); got != w {
			t.Fatalf("value %d: %#x, want %#x", i, got, w)
		}
	}
	// below stays in range and reaches both ends.
	seen := map[uint64]bool{}
	for range 1000 {
		v := r.below(5)
		if v >= 5 {
			t.Fatalf("below(5) = %d", v)
		}
		seen[v] = true
	}
	if len(seen) != 5 {
		t.Errorf("below(5) reached %d values", len(seen))
	}
}
