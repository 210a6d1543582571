package fill

import (
	"math"
	"runtime"
	"sync"
)

// The fast-marching order shared by Telea and NavierStokes.
//
// As in OpenCV, the march runs on a grid padded by one pixel on each side,
// (w+2)×(h+2), so that the four neighbours of every image pixel exist. The
// holes are filled one pixel at a time in order of increasing arrival time
// T, the distance from the hole's boundary found by solving the eikonal
// equation |∇T| = 1 on the 4-neighbour lattice. A pixel's T is fixed when it
// is filled and never revised (OpenCV's single-pass variant of the method).
// The order depends only on the mask, so it is computed once (march) and
// then replayed for each band; a pixel counts as known while filling hole
// number n if its rank is below n.

// farTime is the arrival time of pixels no front has reached; like OpenCV's
// 1e6 it takes part in eikonal updates as a large finite number.
const farTime = 1e6

// Pixel states on the padded grid during a march.
const (
	stKnown   = 0 // known pixel, or hole already filled and popped
	stBand    = 1 // on the front: known or filled, waiting in the queue
	stInside  = 2 // hole not yet reached
	stOutside = 3 // the padding; behaves as an unreached hole that is never filled
)

// rankKnown and rankNever are the ranks of known pixels and of pixels that
// are never filled (the padding, and holes out of reach).
const (
	rankKnown = -1
	rankNever = math.MaxInt32
)

// A marchPlan is the fill order of a mask.
type marchPlan struct {
	w, h  int
	pw    int       // padded width, w+2
	t     []float32 // padded arrival times; ≤ 0 on known pixels near the holes if ring was set
	rank  []int32   // padded: rankKnown, the pixel's position in order, or rankNever
	order []int32   // padded indices of the hole pixels in fill order
}

// march computes the fill order of mask (w·h bytes, non-zero = hole).
//
// If ring is set, it also marches outwards from the holes through the known
// pixels within Chebyshev distance radius of a hole and stores their
// negated arrival times, as OpenCV does for INPAINT_TELEA, whose weights
// compare the arrival times of the pixel being filled and its neighbours.
func march(mask []uint8, w, h, radius int, ring bool) *marchPlan {
	pw, ph := w+2, h+2
	n := pw * ph
	p := &marchPlan{w: w, h: h, pw: pw, t: make([]float32, n), rank: make([]int32, n)}
	flag := make([]uint8, n)
	for i := range p.t {
		p.t[i] = farTime
	}
	holes := 0
	for y := range ph {
		for x := range pw {
			i := y*pw + x
			switch {
			case y == 0 || y == ph-1 || x == 0 || x == pw-1:
				flag[i], p.rank[i] = stOutside, rankNever
			case mask[(y-1)*w+x-1] != 0:
				flag[i], p.rank[i] = stInside, rankNever
				holes++
			default:
				flag[i], p.rank[i] = stKnown, rankKnown
			}
		}
	}
	if holes == 0 {
		return p
	}

	// The initial front: known pixels with a hole among their 4-neighbours,
	// queued at T = 0 in raster order.
	var band []int32
	for y := 1; y <= h; y++ {
		for i := y*pw + 1; i <= y*pw+w; i++ {
			if flag[i] == stKnown && (flag[i-pw] == stInside || flag[i-1] == stInside ||
				flag[i+1] == stInside || flag[i+pw] == stInside) {
				flag[i] = stBand
				p.t[i] = 0
				band = append(band, int32(i))
			}
		}
	}
	if len(band) == 0 {
		return p // every pixel is a hole
	}
	var q timeQueue
	if ring {
		p.marchOutwards(flag, band, radius, &q)
	}

	p.order = make([]int32, 0, holes)
	q.reset()
	for _, i := range band {
		q.push(i, 0)
	}
	for q.len() > 0 {
		i := int(q.pop())
		flag[i] = stKnown
		for _, j := range [4]int{i - pw, i - 1, i + pw, i + 1} {
			if flag[j] != stInside {
				continue
			}
			t := arrival(p.t, flag, j, pw, stInside)
			p.t[j] = t
			flag[j] = stBand
			p.rank[j] = int32(len(p.order))
			p.order = append(p.order, int32(j))
			q.push(int32(j), t)
		}
	}
	return p
}

// marchOutwards computes arrival times on the known pixels within
// Chebyshev distance radius of a hole, marching from the initial front band
// away from the holes, and stores them negated: the farther from the holes,
// the more negative.
func (p *marchPlan) marchOutwards(flag []uint8, band []int32, radius int, q *timeQueue) {
	pw := p.pw
	rflag := p.ringFlags(flag, radius) // stInside on the ring, stKnown elsewhere
	q.reset()
	for _, i := range band {
		q.push(i, 0)
	}
	reached := append([]int32(nil), band...)
	for q.len() > 0 {
		i := int(q.pop())
		for _, j := range [4]int{i - pw, i - 1, i + pw, i + 1} {
			if rflag[j] != stInside {
				continue
			}
			t := arrival(p.t, rflag, j, pw, stInside)
			p.t[j] = t
			rflag[j] = stBand
			reached = append(reached, int32(j))
			q.push(int32(j), t)
		}
	}
	for _, i := range reached {
		p.t[i] = -p.t[i]
	}
}

// ringFlags returns a padded grid holding stInside on the known, non-front
// image pixels within Chebyshev distance r of a hole and stKnown elsewhere.
func (p *marchPlan) ringFlags(flag []uint8, r int) []uint8 {
	w, h, pw := p.w, p.h, p.pw
	// near[y*w+x]: a hole lies within r columns on the same row.
	near := make([]bool, w*h)
	for y := range h {
		row := flag[(y+1)*pw+1:][:w]
		last := -r - 1
		for x := range w {
			if row[x] == stInside {
				last = x
			}
			near[y*w+x] = x-last <= r
		}
		last = w + r
		for x := w - 1; x >= 0; x-- {
			if row[x] == stInside {
				last = x
			}
			if last-x <= r {
				near[y*w+x] = true
			}
		}
	}
	// count[x]: rows within r of y whose near is set.
	out := make([]uint8, len(flag))
	count := make([]int32, w)
	for y := range min(r, h) {
		for x := range w {
			if near[y*w+x] {
				count[x]++
			}
		}
	}
	for y := range h {
		if a := y + r; a < h {
			for x := range w {
				if near[a*w+x] {
					count[x]++
				}
			}
		}
		if d := y - r - 1; d >= 0 {
			for x := range w {
				if near[d*w+x] {
					count[x]--
				}
			}
		}
		for x := range w {
			i := (y+1)*pw + x + 1
			if count[x] > 0 && flag[i] == stKnown {
				out[i] = stInside
			}
		}
	}
	return out
}

// arrival returns the arrival time at padded index i from its four
// neighbours, a pixel j counting as reached if flag[j] < inside.
// It is OpenCV's min4 of FastMarching_solve over the four quadrants.
func arrival(t []float32, flag []uint8, i, pw int, inside uint8) float32 {
	up, down, left, right := i-pw, i+pw, i-1, i+1
	okU, okD := flag[up] < inside, flag[down] < inside
	okL, okR := flag[left] < inside, flag[right] < inside
	a := solve(t[up], t[left], okU, okL)
	b := solve(t[down], t[left], okD, okL)
	c := solve(t[up], t[right], okU, okR)
	d := solve(t[down], t[right], okD, okR)
	return min(min(a, b), min(c, d))
}

// solve returns the arrival time at a pixel from one neighbour on each
// axis, with times t1 and t2 and reached flags ok1 and ok2: the upwind
// solution of (T−t1)² + (T−t2)² = 1 when both are reached and close, else
// one more than the nearer reached one. Arithmetic is in float64 as in
// OpenCV, the result float32.
func solve(t1, t2 float32, ok1, ok2 bool) float32 {
	a, b := float64(t1), float64(t2)
	var s float64
	switch {
	case ok1 && ok2:
		if d := a - b; math.Abs(d) >= 1 {
			s = 1 + min(a, b)
		} else {
			s = (a + b + math.Sqrt(2-d*d)) * 0.5
		}
	case ok1:
		s = 1 + a
	case ok2:
		s = 1 + b
	default:
		s = 1 + min(a, b)
	}
	return float32(s)
}

// A timeQueue is a binary min-heap of pixels keyed by arrival time, ties
// going to the pixel pushed first: the order of OpenCV's sorted-list queue.
type timeQueue struct {
	items []queueItem
	seq   uint64
}

type queueItem struct {
	t   float32
	i   int32
	seq uint64
}

func (a queueItem) less(b queueItem) bool {
	return a.t < b.t || a.t == b.t && a.seq < b.seq
}

func (q *timeQueue) len() int { return len(q.items) }

func (q *timeQueue) reset() { q.items, q.seq = q.items[:0], 0 }

func (q *timeQueue) push(i int32, t float32) {
	it := queueItem{t: t, i: i, seq: q.seq}
	q.seq++
	h := append(q.items, it)
	k := len(h) - 1
	for k > 0 {
		parent := (k - 1) / 2
		if !it.less(h[parent]) {
			break
		}
		h[k] = h[parent]
		k = parent
	}
	h[k] = it
	q.items = h
}

func (q *timeQueue) pop() int32 {
	h := q.items
	top := h[0].i
	last := h[len(h)-1]
	h = h[:len(h)-1]
	k, n := 0, len(h)
	for {
		c := 2*k + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1].less(h[c]) {
			c++
		}
		if !h[c].less(last) {
			break
		}
		h[k] = h[c]
		k = c
	}
	if n > 0 {
		h[k] = last
	}
	q.items = h
	return top
}

// An offset is a neighbour position relative to the pixel being filled,
// within the disc of the filler's radius.
type offset struct {
	dx, dy int     // image offset of the neighbour
	dp     int     // padded-grid index offset
	dv     int     // band index offset
	l2     float32 // dx² + dy²
	dst    float32 // distance weight: Telea 1/|r|³, NavierStokes 1/(|r|⁴+1)
}

// discOffsets lists the offsets (dx, dy) ≠ 0 with dx²+dy² ≤ r², row by
// row, in OpenCV's scan order.
func discOffsets(r, w, pw int, dst func(l2 float32) float32) []offset {
	var offs []offset
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy > r*r || dx == 0 && dy == 0 {
				continue
			}
			l2 := float32(dx*dx + dy*dy)
			offs = append(offs, offset{dx: dx, dy: dy, dp: dy*pw + dx, dv: dy*w + dx, l2: l2, dst: dst(l2)})
		}
	}
	return offs
}

// effectiveRadius turns a filler radius into OpenCV's integer range:
// rounded half to even, default 5, clamped to [1, 100].
func effectiveRadius(r float64) int {
	if r == 0 {
		return 5
	}
	return int(min(max(math.RoundToEven(r), 1), 100))
}

// inDisc reports whether all of the disc of radius r around image pixel
// (x, y) lies inside the w×h image.
func inDisc(x, y, r, w, h int) bool {
	return x >= r && y >= r && x+r < w && y+r < h
}

// bandGroups splits band indices 0..n-1 into groups to be filled in
// parallel, at most maxPer bands each and at least as many groups as
// workers allow.
func bandGroups(n, maxPer int) [][]int {
	g := max(min(runtime.GOMAXPROCS(0), n), (n+maxPer-1)/maxPer)
	groups := make([][]int, 0, g)
	for k := range g {
		lo, hi := k*n/g, (k+1)*n/g
		if lo == hi {
			continue
		}
		grp := make([]int, 0, hi-lo)
		for b := lo; b < hi; b++ {
			grp = append(grp, b)
		}
		groups = append(groups, grp)
	}
	return groups
}

// parallel runs f(0) … f(n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(k int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for k := range n {
			f(k)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, n)
	for k := range n {
		next <- k
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				f(k)
			}
		}()
	}
	wg.Wait()
}
