package fill

import (
	"math"
	"slices"
)

// Plain reference implementations, written as direct transcriptions of
// OpenCV's icvInpaint (modules/photo/src/inpaint.cpp) and GDAL's
// GDALFillNodata (alg/rasterfill.cpp): one band at a time, live pixel
// flags, OpenCV's sorted-list queue, GDAL's full-image top-down pass and a
// whole-image Jacobi smoothing loop. The fast paths must agree with them
// bit for bit; with quirks set they also reproduce OpenCV's float32 output
// for holes away from the image border.

// refQueue is OpenCV's CvPriorityQueueFloat: a list sorted by T in which a
// new element goes after every element with T ≤ its own.
type refQueue struct {
	i []int
	t []float32
}

func (q *refQueue) push(i int, t float32) {
	k := len(q.t)
	for k > 0 && q.t[k-1] > t {
		k--
	}
	q.i = slices.Insert(q.i, k, i)
	q.t = slices.Insert(q.t, k, t)
}

func (q *refQueue) pop() (int, bool) {
	if len(q.i) == 0 {
		return 0, false
	}
	i := q.i[0]
	q.i, q.t = q.i[1:], q.t[1:]
	return i, true
}

const (
	refKnown   = 0
	refBand    = 1
	refInside  = 2
	refOutside = 3 // the padding: known to OpenCV, unknown to this package
)

// refSolve is FastMarching_solve; f[i] counts as reached unless inside
// reports it.
func refSolve(i1, i2 int, inside func(int) bool, t []float32) float32 {
	a11, a22 := float64(t[i1]), float64(t[i2])
	m12 := math.Min(a11, a22)
	var sol float64
	if !inside(i1) {
		if !inside(i2) {
			if math.Abs(a11-a22) >= 1.0 {
				sol = 1 + m12
			} else {
				sol = (a11 + a22 + math.Sqrt(2-(a11-a22)*(a11-a22))) * 0.5
			}
		} else {
			sol = 1 + a11
		}
	} else if !inside(i2) {
		sol = 1 + a22
	} else {
		sol = 1 + m12
	}
	return float32(sol)
}

func refMin4(a, b, c, d float32) float32 {
	return float32(math.Min(math.Min(float64(a), float64(b)), math.Min(float64(c), float64(d))))
}

func refArrival(i, pw int, inside func(int) bool, t []float32) float32 {
	return refMin4(refSolve(i-pw, i-1, inside, t), refSolve(i+pw, i-1, inside, t),
		refSolve(i-pw, i+1, inside, t), refSolve(i+pw, i+1, inside, t))
}

// refMode selects what refInpaint reproduces.
type refMode struct {
	// opencv reproduces cv::inpaint itself: Telea's normalised gradient
	// term and +0.5, NS's |r·g| ≤ 0.01 flatness test, and the image
	// border: the padding counts as known with T = 1e6, and samples on the
	// first row or column read the second (OpenCV's km, lm indices).
	opencv bool
	// round8 rounds each filled value to 8 bits as cv::inpaint does on
	// CV_8U images (cvRound, then clamping).
	round8 bool
	// rgb follows OpenCV's code for 3-channel images, whose Telea distance
	// weight takes the square root in float64 rather than float32.
	rgb bool
}

// refInpaint fills one band like cv::inpaint. telea selects INPAINT_TELEA,
// else INPAINT_NS. With the zero mode it follows this package's documented
// choices; see refMode for the others.
func refInpaint(v []float32, w, h int, mask []uint8, radius int, telea bool, mode refMode) {
	pw, ph := w+2, h+2
	f := make([]uint8, pw*ph)
	t := make([]float32, pw*ph)
	for i := range t {
		t[i] = 1e6
	}
	for y := range ph {
		for x := range pw {
			i := y*pw + x
			if y == 0 || x == 0 || y == ph-1 || x == pw-1 {
				f[i] = refOutside
			} else if mask[(y-1)*w+x-1] != 0 {
				f[i] = refInside
			}
		}
	}
	var heap refQueue
	var band []int
	for i := range f {
		if f[i] != refKnown {
			continue
		}
		if f[i-pw] == refInside || f[i+pw] == refInside || f[i-1] == refInside || f[i+1] == refInside {
			band = append(band, i)
		}
	}
	for _, i := range band {
		f[i] = refBand
		t[i] = 0
		heap.push(i, 0)
	}
	// inside reports OpenCV's f == INSIDE, the padding included or not.
	inside := func(i int) bool { return f[i] == refInside || f[i] == refOutside && !mode.opencv }

	if telea {
		// The ring: known, non-band pixels within Chebyshev distance radius
		// of a hole. March outwards through it from the band.
		of := make([]uint8, pw*ph)
		for y := 1; y <= h; y++ {
			for x := 1; x <= w; x++ {
				i := y*pw + x
				if f[i] != refKnown {
					continue
				}
				for yy := max(1, y-radius); yy <= min(h, y+radius) && of[i] == 0; yy++ {
					for xx := max(1, x-radius); xx <= min(w, x+radius); xx++ {
						if f[yy*pw+xx] == refInside {
							of[i] = refInside
							break
						}
					}
				}
			}
		}
		var out refQueue
		for _, i := range band {
			out.push(i, 0)
		}
		var changed []int
		ringInside := func(i int) bool { return of[i] == refInside }
		for {
			i, ok := out.pop()
			if !ok {
				break
			}
			changed = append(changed, i)
			for _, j := range []int{i - pw, i - 1, i + pw, i + 1} {
				if of[j] == refInside {
					d := refArrival(j, pw, ringInside, t)
					t[j] = d
					of[j] = refBand
					out.push(j, d)
				}
			}
		}
		for _, i := range changed {
			t[i] = -t[i]
		}
	}

	c := refCtx{v: v, w: w, h: h, pw: pw, r: radius, t: t, inside: inside, mode: mode}
	for {
		ii, ok := heap.pop()
		if !ok {
			break
		}
		f[ii] = refKnown
		for _, p := range []int{ii - pw, ii - 1, ii + pw, ii + 1} {
			if f[p] != refInside {
				continue
			}
			i, j := p/pw, p%pw
			dist := refArrival(p, pw, inside, t)
			t[p] = dist
			var res float32
			if telea {
				res = c.teleaPixel(i, j)
			} else {
				res = c.nsPixel(i, j)
			}
			if mode.round8 {
				res = float32(min(max(math.RoundToEven(float64(res)), 0), 255))
			}
			v[(i-1)*w+j-1] = res
			f[p] = refBand
			heap.push(p, dist)
		}
	}
}

// refCtx holds the state the per-pixel reference functions read.
type refCtx struct {
	v        []float32
	w, h, pw int
	r        int
	t        []float32
	inside   func(int) bool
	mode     refMode
}

// idx returns OpenCV's km, kp, lm, lp for padded (k, l): the image indices
// the difference stencils and samples use.
func (c *refCtx) idx(k, l int) (km, kp, lm, lp int) {
	km, kp, lm, lp = k-1, k-1, l-1, l-1
	if c.mode.opencv {
		if k == 1 {
			km++
		}
		if k == c.h {
			kp--
		}
		if l == 1 {
			lm++
		}
		if l == c.w {
			lp--
		}
	}
	return
}

func (c *refCtx) img(y, x int) float32 { return c.v[y*c.w+x] }

func (c *refCtx) teleaPixel(i, j int) float32 {
	pw, t := c.pw, c.t
	known := func(i int) bool { return !c.inside(i) }
	p := i*pw + j
	var gtx, gty float32
	switch {
	case known(p+1) && known(p-1):
		gtx = (t[p+1] - t[p-1]) * 0.5
	case known(p + 1):
		gtx = t[p+1] - t[p]
	case known(p - 1):
		gtx = t[p] - t[p-1]
	}
	switch {
	case known(p+pw) && known(p-pw):
		gty = (t[p+pw] - t[p-pw]) * 0.5
	case known(p + pw):
		gty = t[p+pw] - t[p]
	case known(p - pw):
		gty = t[p] - t[p-pw]
	}
	var ia, jx, jy float32
	s := float32(1e-20)
	r := c.r
	for k := i - r; k <= i+r; k++ {
		for l := j - r; l <= j+r; l++ {
			if k < 1 || l < 1 || k > c.h || l > c.w {
				continue
			}
			q := k*pw + l
			if !known(q) || (l-j)*(l-j)+(k-i)*(k-i) > r*r {
				continue
			}
			km, kp, lm, lp := c.idx(k, l)
			ry, rx := float32(i-k), float32(j-l)
			vl := rx*rx + ry*ry
			dst := float32(1. / float64(vl*float32(math.Sqrt(float64(vl)))))
			if c.mode.rgb {
				dst = float32(1. / (float64(vl) * math.Sqrt(float64(vl))))
			}
			lev := float32(1. / float64(1+abs32(t[q]-t[p])))
			dir := rx*gtx + ry*gty
			if math.Abs(float64(dir)) <= 0.01 {
				dir = 0.000001
			}
			wt := float32(math.Abs(float64(dst * lev * dir)))
			if c.mode.opencv {
				var gix, giy float32
				switch {
				case known(q+1) && known(q-1):
					gix = (c.img(km, lp+1) - c.img(km, lm-1)) * 2.0
				case known(q + 1):
					gix = c.img(km, lp+1) - c.img(km, lm)
				case known(q - 1):
					gix = c.img(km, lp) - c.img(km, lm-1)
				}
				switch {
				case known(q+pw) && known(q-pw):
					giy = (c.img(kp+1, lm) - c.img(km-1, lm)) * 2.0
				case known(q + pw):
					giy = c.img(kp+1, lm) - c.img(km, lm)
				case known(q - pw):
					giy = c.img(kp, lm) - c.img(km-1, lm)
				}
				jx -= wt * (gix * rx)
				jy -= wt * (giy * ry)
			}
			ia += wt * c.img(km, lm)
			s += wt
		}
	}
	if !c.mode.opencv {
		return ia / s
	}
	// OpenCV's fabs and sqrt resolve to the float overloads.
	norm := float32(math.Sqrt(float64(jx*jx+jy*jy))) + 1.0e-20
	return ia/s + (jx+jy)/norm + 0.5
}

func (c *refCtx) nsPixel(i, j int) float32 {
	pw := c.pw
	known := func(i int) bool { return !c.inside(i) }
	abs := func(a float32) float32 { return float32(math.Abs(float64(a))) }
	var ia float32
	s := float32(1e-20)
	r := c.r
	for k := i - r; k <= i+r; k++ {
		for l := j - r; l <= j+r; l++ {
			if k < 1 || l < 1 || k > c.h || l > c.w {
				continue
			}
			q := k*pw + l
			if !known(q) || (l-j)*(l-j)+(k-i)*(k-i) > r*r {
				continue
			}
			km, kp, lm, lp := c.idx(k, l)
			ry, rx := float32(k-i), float32(l-j)
			vl := rx*rx + ry*ry
			dst := 1 / (vl*vl + 1)
			var gix, giy float32 // OpenCV's gradI.x (across rows), gradI.y (across columns)
			switch {
			case known(q+pw) && known(q-pw):
				gix = abs(c.img(kp+1, lm)-c.img(kp, lm)) + abs(c.img(kp, lm)-c.img(km-1, lm))
			case known(q + pw):
				gix = abs(c.img(kp+1, lm)-c.img(kp, lm)) * 2.0
			case known(q - pw):
				gix = abs(c.img(kp, lm)-c.img(km-1, lm)) * 2.0
			}
			switch {
			case known(q+1) && known(q-1):
				giy = abs(c.img(km, lp+1)-c.img(km, lm)) + abs(c.img(km, lm)-c.img(km, lm-1))
			case known(q + 1):
				giy = abs(c.img(km, lp+1)-c.img(km, lm)) * 2.0
			case known(q - 1):
				giy = abs(c.img(km, lm)-c.img(km, lm-1)) * 2.0
			}
			gix = -gix
			dir := rx*gix + ry*giy
			if c.mode.opencv {
				if abs(dir) <= 0.01 {
					dir = 0.000001
				} else {
					dir = abs((rx*gix + ry*giy) / float32(math.Sqrt(float64(vl*(gix*gix+giy*giy)))))
				}
			} else if g2 := gix*gix + giy*giy; g2 == 0 {
				dir = 0.000001
			} else {
				dir = max(0.000001, abs(dir/float32(math.Sqrt(float64(vl*g2)))))
			}
			wt := dst * dir
			ia += wt * c.img(km, lm)
			s += wt
		}
	}
	return float32(float64(ia) / float64(s))
}

// refIDW fills one band like GDALFillNodata on a Float32 band whose nodata
// mask is the complement of mask, as gdal_fillnodata.py does; md 0 means
// 100.
func refIDW(v []float32, w, h int, mask []uint8, md float64, si int) {
	if md == 0 {
		md = 100
	}
	const none = -1
	nmax := int(math.Floor(md))
	// Top-down pass: nearest valid row at or above, per pixel.
	topY := make([]int, w*h)
	last := make([]int, w)
	for x := range last {
		last[x] = none
	}
	for y := range h {
		for x := range w {
			switch {
			case mask[y*w+x] == 0:
				last[x] = y
			case last[x] != none && float64(y) > md+float64(last[x]):
				last[x] = none
			}
			topY[y*w+x] = last[x]
		}
	}
	// Bottom-up pass, interpolating with the row below's bottom-up values.
	orig := slices.Clone(v)
	filled := make([]bool, w*h)
	below := make([]int, w) // for row y+1
	this := make([]int, w)
	for x := range below {
		below[x] = none
	}
	for y := h - 1; y >= 0; y-- {
		for x := range w {
			switch {
			case mask[y*w+x] == 0:
				this[x] = y
			case below[x] != none && float64(below[x]-y) <= md:
				this[x] = below[x]
			default:
				this[x] = none
			}
		}
		for x := range w {
			if mask[y*w+x] == 0 {
				continue
			}
			var dist [4]float64
			var value [4]float32
			for q := range dist {
				dist[q] = md + 1
			}
			check := func(q, tx, ty int) {
				if ty == none {
					return
				}
				dx, dy := float64(tx)-float64(x), float64(ty)-float64(y)
				if d2 := dx*dx + dy*dy; d2 < dist[q]*dist[q] {
					dist[q] = math.Sqrt(d2)
					value[q] = orig[ty*w+tx]
				}
			}
			lim := nmax
			for step := 0; step <= lim; step++ {
				l, r := max(0, x-step), min(w-1, x+step)
				check(0, l, topY[y*w+l])
				check(1, l, below[l])
				if step == 0 {
					continue
				}
				check(2, r, topY[y*w+r])
				check(3, r, below[r])
				if step&3 == 0 {
					lim = int(math.Floor(math.Max(math.Max(dist[0], dist[1]), math.Max(dist[2], dist[3]))))
				}
			}
			var ws, vs float64
			found := false
			for q := range dist {
				if dist[q] <= md {
					found = true
					wt := 1.0 / dist[q]
					ws += wt
					vs += float64(value[q]) * wt
				}
			}
			if found {
				filled[y*w+x] = true
				v[y*w+x] = float32(vs / ws)
			}
		}
		below, this = this, below
	}
	valid := func(i int) bool { return mask[i] == 0 || filled[i] }
	for range si {
		prev := slices.Clone(v)
		for y := 1; y < h-1; y++ {
			for x := range w {
				if !filled[y*w+x] {
					continue
				}
				var sum, n float64
				for yy := y - 1; yy <= y+1; yy++ {
					for xx := x - 1; xx <= x+1; xx++ {
						if xx >= 0 && xx < w && valid(yy*w+xx) {
							sum += float64(prev[yy*w+xx])
							n++
						}
					}
				}
				v[y*w+x] = float32(sum / n)
			}
		}
	}
}
