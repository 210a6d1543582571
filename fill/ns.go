package fill

import "math"

// NavierStokes fills holes the way OpenCV's cv::inpaint with INPAINT_NS
// does. Despite the name (after Bertalmío, Bertozzi and Sapiro, 2001) it
// does not iterate a fluid-dynamics PDE: like Telea it fills the holes in
// fast-marching order, but weighs each known or filled pixel q within
// Radius of the hole pixel p by how well the offset p−q follows the
// isophote at q, so that the fill continues edges:
//
//	w = dst·dir, dst = 1/(|r|⁴+1), dir = max(|r·g| / (|r|·|g|), 10⁻⁶)
//
// with r = q−p and g = (−Gy, Gx), where Gy and Gx are the absolute
// differences of q with its known neighbours across rows and across columns
// (summed, or doubled if only one neighbour is known). In a flat
// neighbourhood (g = 0), or with r along the gradient, dir is 10⁻⁶.
//
// This matches OpenCV except in two ways. OpenCV sets dir to 10⁻⁶ when
// |r·g| ≤ 0.01, a test that on integer data means r·g = 0, where the two
// rules agree (|cos θ| is then either 0 or above 10⁻⁴), but on other value
// ranges would depend on the scale; NavierStokes's rule is scale-free and
// continuous. At the image edges OpenCV shifts the difference stencils and
// treats the outside as known; NavierStokes treats pixels outside the image
// as unknown.
type NavierStokes struct {
	// Radius is the neighbourhood radius in pixels, OpenCV's inpaintRadius.
	// It is rounded to an integer and clamped to [1, 100]; 0 means 5.
	Radius float64
}

// Name returns "ns", or "ns:r=R" for a non-default radius.
func (f NavierStokes) Name() string {
	return formatName("ns", "r", radiusOption(f.Radius))
}

// Fill implements Filler.
func (f NavierStokes) Fill(bands [][]float32, w, h int, mask []uint8) error {
	if err := checkShape(f.Name(), bands, w, h, mask); err != nil {
		return err
	}
	if err := checkRadius("ns", f.Radius); err != nil {
		return err
	}
	r := effectiveRadius(f.Radius)
	p := march(mask, w, h, r, false)
	if len(p.order) == 0 || len(bands) == 0 {
		return nil
	}
	offs := discOffsets(r, w, p.pw, nsDst)
	interior := p.knownInterior()
	parallel(len(bands), func(b int) { p.navierStokes(bands[b], r, offs, interior, 0) })
	return nil
}

// knownInterior returns a padded grid that is true on the known pixels
// whose four neighbours are known image pixels too: there the difference
// stencils need no checks.
func (p *marchPlan) knownInterior() []bool {
	pw := p.pw
	in := make([]bool, len(p.rank))
	for y := 1; y <= p.h; y++ {
		for i := y*pw + 1; i <= y*pw+p.w; i++ {
			in[i] = p.rank[i] == rankKnown && p.rank[i-1] == rankKnown && p.rank[i+1] == rankKnown &&
				p.rank[i-pw] == rankKnown && p.rank[i+pw] == rankKnown
		}
	}
	return in
}

// nsDst is OpenCV's distance weight 1/(|r|⁴+1), computed in float32.
func nsDst(l2 float32) float32 { return 1 / (l2*l2 + 1) }

// navierStokes fills the holes of one band in march order. If flat is
// positive, r·g counts as zero when its magnitude is at most flat, as in
// OpenCV (0.01); Fill passes 0 for dir = max(|cos θ|, 10⁻⁶).
func (p *marchPlan) navierStokes(v []float32, r int, offs []offset, interior []bool, flat float32) {
	w, h, pw := p.w, p.h, p.pw
	rank := p.rank
	for n, pi := range p.order {
		pi := int(pi)
		n := int32(n)
		x, y := pi%pw-1, pi/pw-1
		vp := y*w + x
		full := inDisc(x, y, r, w, h)
		var sum float32
		s := float32(1e-20)
		for _, o := range offs {
			if !full && (x+o.dx < 0 || x+o.dx >= w || y+o.dy < 0 || y+o.dy >= h) {
				continue
			}
			q := pi + o.dp
			if rank[q] >= n {
				continue
			}
			vq := vp + o.dv
			iq := v[vq]
			var gy, gx float32 // across rows, across columns
			if interior[q] {
				gy = abs32(v[vq+w]-iq) + abs32(iq-v[vq-w])
				gx = abs32(v[vq+1]-iq) + abs32(iq-v[vq-1])
			} else {
				gy = absDiffs(v, rank, q, pw, vq, w, n)
				gx = absDiffs(v, rank, q, 1, vq, 1, n)
			}
			// g = (−gy, gx) in (x, y) order; r = (dx, dy).
			dot := float32(o.dx)*-gy + float32(o.dy)*gx
			g2 := gy*gy + gx*gx
			var dir float32
			switch {
			case flat > 0 && abs32(dot) <= flat: // OpenCV
				dir = 1e-6
			case flat > 0:
				dir = abs32(dot / float32(math.Sqrt(float64(o.l2*g2))))
			default: // dir = max(|cos θ|, 1e-6)
				dir = 1e-6
				if g2 > 0 {
					dir = max(dir, abs32(dot/float32(math.Sqrt(float64(o.l2*g2)))))
				}
			}
			wt := o.dst * dir
			sum += wt * iq
			s += wt
		}
		v[vp] = float32(float64(sum) / float64(s))
	}
}

// absDiffs returns OpenCV's isophote-strength estimate at padded index q
// (band index vq) along one axis while filling hole n: |I(q+1)−I(q)| +
// |I(q)−I(q−1)| if both neighbours are known, twice the one difference if
// one is, else 0. Steps are pstep on the padded grid and vstep in the band.
func absDiffs(v []float32, rank []int32, q, pstep, vq, vstep int, n int32) float32 {
	okB, okF := rank[q-pstep] < n, rank[q+pstep] < n
	iq := v[vq]
	switch {
	case okF && okB:
		return abs32(v[vq+vstep]-iq) + abs32(iq-v[vq-vstep])
	case okF:
		return abs32(v[vq+vstep]-iq) * 2
	case okB:
		return abs32(iq-v[vq-vstep]) * 2
	}
	return 0
}
