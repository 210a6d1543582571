package fill

import (
	"fmt"
	"math"
	"strconv"
)

// IDW fills holes by inverse-distance weighting, as GDAL's GDALFillNodata
// (gdal_fillnodata.py -md MaxDistance -si SmoothingIterations) does.
//
// For a hole pixel p, each column offers the known pixel nearest to p's row
// above it (or on the row itself) and the one nearest below it. Scanning
// outwards column by column, GDAL keeps the nearest candidate in each of
// four quadrants: top-left and bottom-left (including p's own column) and
// top-right and bottom-right. The candidates at most MaxDistance pixels from
// p are averaged with weights 1/distance (GDAL 3.6; not 1/distance²). Ties
// go to the candidate in the nearer column, subject to GDAL's float64
// distance arithmetic, which IDW reproduces; the result is bit-identical to
// GDAL on a Float32 band. Hole pixels with no candidate keep their values.
//
// Then SmoothingIterations passes of a 3×3 mean run over the filled pixels,
// each replacing every filled pixel at once by the mean of the known and
// filled pixels around it, itself included. As in GDAL, the first and last
// rows are not smoothed, and, as gdal_fillnodata.py does by re-reading the
// band's nodata mask, filled pixels count as valid neighbours.
type IDW struct {
	// MaxDistance is the search distance in pixels (gdal_fillnodata.py's
	// -md); 0 means 100.
	MaxDistance float64
	// SmoothingIterations is the number of 3×3 smoothing passes (-si).
	SmoothingIterations int
}

// Name returns "idw", or "idw:md=D,si=S" with the non-default options.
func (f IDW) Name() string {
	var md, si string
	if f.MaxDistance != 0 && f.MaxDistance != 100 {
		md = strconv.FormatFloat(f.MaxDistance, 'g', -1, 64)
	}
	if f.SmoothingIterations != 0 {
		si = strconv.Itoa(f.SmoothingIterations)
	}
	return formatName("idw", "md", md, "si", si)
}

// Pixel states of an IDW fill.
const (
	idwKnown    = 0
	idwFilled   = 1
	idwUnfilled = 2
)

// Fill implements Filler.
func (f IDW) Fill(bands [][]float32, w, h int, mask []uint8) error {
	if err := checkShape(f.Name(), bands, w, h, mask); err != nil {
		return err
	}
	md := f.MaxDistance
	if md == 0 {
		md = 100
	}
	if !(md > 0) || math.IsInf(md, 1) {
		return fmt.Errorf("fill: idw: max distance %v is not a positive number", f.MaxDistance)
	}
	if f.SmoothingIterations < 0 {
		return fmt.Errorf("fill: idw: smoothing iterations %d is negative", f.SmoothingIterations)
	}
	// A search longer than the image finds nothing more.
	md = min(md, float64(w+h))
	state := make([]uint8, w*h)

	// Rows are independent: each chunk of rows has its own column scanners.
	const chunkRows = 32
	chunks := (h + chunkRows - 1) / chunkRows
	parallel(chunks, func(k int) {
		s := newColumnScanner(mask, w, h, md)
		for y := k * chunkRows; y < min(h, (k+1)*chunkRows); y++ {
			row := mask[y*w:][:w]
			for x, m := range row {
				if m == 0 {
					continue
				}
				i := y*w + x
				src, wt, n := s.sources(x, y)
				if n == 0 {
					state[i] = idwUnfilled
					continue
				}
				state[i] = idwFilled
				for _, band := range bands {
					var sum float64
					for j := range n {
						sum += float64(band[src[j]]) * wt[j]
					}
					band[i] = float32(sum / s.wsum)
				}
			}
		}
	})
	if f.SmoothingIterations > 0 {
		smoothFilled(bands, state, w, h, f.SmoothingIterations)
	}
	return nil
}

// A columnScanner finds, for the hole pixels of rows taken in increasing
// order, the nearest known pixel above and below in any column, scanning
// each column lazily so that every pixel is read at most once per
// direction.
type columnScanner struct {
	mask []uint8
	w, h int
	md   float64
	lim  int // floor(md): the longest vertical reach

	// up[x]: nearest known row ≤ row within md, or -1; upTo[x]: the row
	// up[x] was last brought up to date for.
	up, upTo []int32
	// down[x]: nearest known row > row whose distance from row+1 is at most
	// md, or -1; downTo[x]: the last row examined below.
	down, downTo []int32

	wsum float64 // weight sum of the last sources call
}

func newColumnScanner(mask []uint8, w, h int, md float64) *columnScanner {
	s := &columnScanner{mask: mask, w: w, h: h, md: md, lim: int(math.Floor(md)),
		up: make([]int32, w), upTo: make([]int32, w), down: make([]int32, w), downTo: make([]int32, w)}
	for x := range w {
		s.up[x], s.upTo[x] = -1, math.MinInt32
		s.down[x], s.downTo[x] = -1, math.MinInt32
	}
	return s
}

// above returns the nearest known row ≤ y in column x, at most md rows
// up, or -1 (GDAL's top-down "last value" pass). Calls must not decrease y.
func (s *columnScanner) above(x, y int) int {
	if int(s.upTo[x]) == y {
		return int(s.up[x])
	}
	// Rows (upTo, y] are new; the newest known one among them is nearest.
	stop := max(int(s.upTo[x]), y-s.lim-1, -1)
	u := -1
	for r := y; r > stop; r-- {
		if s.mask[r*s.w+x] == 0 {
			u = r
			break
		}
	}
	if u < 0 && s.up[x] >= 0 && float64(y) <= s.md+float64(s.up[x]) {
		u = int(s.up[x])
	}
	s.up[x], s.upTo[x] = int32(u), int32(y)
	return u
}

// below returns the nearest known row > y in column x no more than md
// rows below y+1, or -1 (GDAL's bottom-up pass, as seen from the row
// above). Calls must not decrease y.
func (s *columnScanner) below(x, y int) int {
	if d := int(s.down[x]); d > y {
		return d
	}
	last := min(s.h-1, y+1+s.lim)
	from := max(y+1, int(s.downTo[x])+1)
	d := -1
	for r := from; r <= last; r++ {
		if s.mask[r*s.w+x] == 0 {
			d = r
			break
		}
	}
	if d >= 0 {
		s.downTo[x] = int32(d)
	} else {
		s.downTo[x] = int32(last)
	}
	s.down[x] = int32(d)
	return d
}

// sources returns the up to four source pixel indices of hole (x, y), in
// GDAL's quadrant order, and their weights 1/distance; s.wsum is set to
// the weights' sum.
func (s *columnScanner) sources(x, y int) (src [4]int, wt [4]float64, n int) {
	var dist [4]float64 // GDAL's adfQuadDist
	var at [4]int       // pixel index per quadrant
	for q := range dist {
		dist[q] = s.md + 1
		at[q] = -1
	}
	check := func(q, cx, cy int) {
		if cy < 0 {
			return
		}
		dx, dy := float64(cx-x), float64(cy-y)
		if d2 := dx*dx + dy*dy; d2 < dist[q]*dist[q] {
			dist[q] = math.Sqrt(d2)
			at[q] = cy*s.w + cx
		}
	}
	lim := s.lim
	for step := 0; step <= lim; step++ {
		l := max(0, x-step)
		r := min(s.w-1, x+step)
		check(0, l, s.above(l, y))
		check(1, l, s.below(l, y))
		if step == 0 {
			continue
		}
		check(2, r, s.above(r, y))
		check(3, r, s.below(r, y))
		// As GDAL: once every quadrant has a candidate, columns farther
		// than the farthest of them cannot improve any.
		if step&3 == 0 {
			lim = int(math.Floor(max(dist[0], dist[1], dist[2], dist[3])))
		}
	}
	s.wsum = 0
	for q := range dist {
		if at[q] >= 0 && dist[q] <= s.md {
			src[n] = at[q]
			wt[n] = 1 / dist[q]
			s.wsum += wt[n]
			n++
		}
	}
	return src, wt, n
}

// smoothFilled runs iters Jacobi passes of a 3×3 mean over the filled
// pixels of rows 1..h-2, averaging known and filled neighbours, in float64
// with float32 results, as GDAL's GDALMultiFilter.
func smoothFilled(bands [][]float32, state []uint8, w, h, iters int) {
	var idx []int32
	for y := 1; y < h-1; y++ {
		for x := range w {
			if state[y*w+x] == idwFilled {
				idx = append(idx, int32(y*w+x))
			}
		}
	}
	if len(idx) == 0 {
		return
	}
	parallel(len(bands), func(b int) {
		v := bands[b]
		next := make([]float32, len(idx))
		for range iters {
			for k, i := range idx {
				i := int(i)
				x := i % w
				var sum, cnt float64
				for _, r := range [3]int{i - w, i, i + w} {
					if x > 0 && state[r-1] != idwUnfilled {
						sum += float64(v[r-1])
						cnt++
					}
					if state[r] != idwUnfilled {
						sum += float64(v[r])
						cnt++
					}
					if x < w-1 && state[r+1] != idwUnfilled {
						sum += float64(v[r+1])
						cnt++
					}
				}
				next[k] = float32(sum / cnt)
			}
			for k, i := range idx {
				v[i] = next[k]
			}
		}
	})
}
