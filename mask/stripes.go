package mask

// Stripes: the sizes of the family. Stripe geometry is in fine units of
// 1/(sub·slopeScale) px so that slopes are exact integers.
const (
	slopeScale       = 1 << 12
	fine             = sub * slopeScale // fine units per px
	stripeMinPeriod  = 10               // px
	stripeMaxPeriod  = 36               // px
	stripeRelaxed    = 2                // px, shortest period of a relaxed attempt
	stripeMinSlope   = 143              // tan 2°·slopeScale
	stripeMaxSlope   = 722              // tan 10°·slopeScale
	stripeScaleLimit = 1 << 36          // search bound for the gap growth rate
)

// stripes is one SLC-off pattern. Gap k is centred on the line
// y = (phase + k·period + slope·x) in fine units, x and y being pixel-centre
// positions; at column x it spans, vertically, (centre − hw, centre + hw]
// with hw(x) = min(period/2, rate·|x − centreLine| / slopeScale): zero on the
// scene's centre line and growing linearly toward its edges.
type stripes struct {
	period, phase, slope int64 // fine units; slope per sub unit of x
	centreLine           int64 // sub units, may lie outside the image
	rate                 int64
}

// drawStripes draws one SLC-off pattern: period 10–36 px (relaxed: from
// 2 px), 2° to 10° off the horizontal either way, the centre line anywhere
// from two image widths left of the image to two right of it (so in about
// one mask in five the wedge's point is inside the image, and elsewhere the
// gaps are close to even). The growth rate is the smallest that reaches the
// target, found by bisection on the pixel count; if that overshoots hi the
// next smaller rate is used.
func drawStripes(c *canvas, r *rng, target, hi int, relaxed bool) {
	minP := int64(stripeMinPeriod)
	if relaxed {
		minP = stripeRelaxed
	}
	s := stripes{period: r.between(minP*fine, stripeMaxPeriod*fine)}
	s.phase = r.between(0, s.period-1)
	s.slope = r.between(stripeMinSlope, stripeMaxSlope)
	if r.chance(1, 2) {
		s.slope = -s.slope
	}
	W := int64(c.w) * sub
	s.centreLine = r.between(-2*W, 3*W)

	lo, up := int64(0), int64(stripeScaleLimit)
	for lo < up { // smallest rate with count ≥ target
		mid := lo + (up-lo)/2
		s.rate = mid
		if s.count(c.w, c.h) >= target {
			up = mid
		} else {
			lo = mid + 1
		}
	}
	s.rate = lo
	if lo > 0 && s.count(c.w, c.h) > hi {
		s.rate = lo - 1
	}
	s.each(c.w, c.h, func(x, y0, y1 int) {
		for y := y0; y <= y1; y++ {
			c.set(y*c.w + x)
		}
	})
	c.commit()
}

// count returns the pixels the pattern masks in a w×h image.
func (s *stripes) count(w, h int) int {
	n := 0
	s.each(w, h, func(_, y0, y1 int) { n += y1 - y0 + 1 })
	return n
}

// each calls fn(x, y0, y1) for every run of rows y0..y1 in column x that the
// pattern masks. Runs do not overlap because hw ≤ period/2.
func (s *stripes) each(w, h int, fn func(x, y0, y1 int)) {
	half := s.period / 2
	// Pixel row y has its centre at Y(y) = fine·y + fine/2.
	yMin, yMax := int64(fine/2), int64(h-1)*fine+fine/2
	for x := range w {
		qx := int64(x)*sub + sub/2
		dist := qx - s.centreLine
		if dist < 0 {
			dist = -dist
		}
		hw := half
		if s.rate == 0 {
			hw = 0
		} else if dist <= half*slopeScale/s.rate {
			hw = min(half, s.rate*dist/slopeScale)
		}
		if hw == 0 {
			continue
		}
		o := s.phase + s.slope*qx
		for k := ceilDiv(yMin-hw-o, s.period); ; k++ {
			ctr := o + k*s.period
			if ctr-hw >= yMax {
				break
			}
			// Rows with ctr − hw < Y(y) ≤ ctr + hw.
			y0 := floorDiv(ctr-hw-fine/2, fine) + 1
			y1 := floorDiv(ctr+hw-fine/2, fine)
			y0, y1 = max(y0, 0), min(y1, int64(h-1))
			if y0 <= y1 {
				fn(x, int(y0), int(y1))
			}
		}
	}
}

// ceilDiv is ⌈a/b⌉ for b > 0.
func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
