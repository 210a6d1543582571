package fill

import (
	"fmt"
	"math"
	"strconv"
)

// Telea fills holes with A. Telea's fast-marching method ("An Image
// Inpainting Technique Based on the Fast Marching Method", 2004) as
// implemented by OpenCV's cv::inpaint with INPAINT_TELEA.
//
// Holes are filled from their boundary inwards in order of arrival time T
// (see the package's fast-marching order). Each hole pixel p becomes the
// weighted mean of the known and already filled pixels q within Radius of
// it, with weight |dir·dst·lev|: dst = 1/|p−q|³, lev = 1/(1+|T(q)−T(p)|)
// and dir = (p−q)·∇T(p), replaced by 10⁻⁶ when |dir| ≤ 0.01. Known pixels
// carry negative arrival times that grow with their distance from the hole.
//
// This matches OpenCV except in three ways. OpenCV adds to the mean a
// normalised gradient term, (Jx+Jy)/|J| with J = −Σ w·∇I(q)∘(p−q), and 0.5
// for rounding: up to ±1.9 grey levels whatever the value range, which only
// makes sense for 8-bit data, so Telea omits both and computes in float32
// without rounding. At the bottom and right image edges OpenCV takes the
// arrival time outside the image as 10⁶ and uses the values of the second
// row or column in place of the first; Telea treats pixels outside the
// image as unknown.
type Telea struct {
	// Radius is the neighbourhood radius in pixels, OpenCV's inpaintRadius.
	// It is rounded to an integer and clamped to [1, 100]; 0 means 5.
	Radius float64
}

// Name returns "telea", or "telea:r=R" for a non-default radius.
func (f Telea) Name() string {
	return formatName("telea", "r", radiusOption(f.Radius))
}

// Fill implements Filler.
func (f Telea) Fill(bands [][]float32, w, h int, mask []uint8) error {
	if err := checkShape(f.Name(), bands, w, h, mask); err != nil {
		return err
	}
	if err := checkRadius("telea", f.Radius); err != nil {
		return err
	}
	r := effectiveRadius(f.Radius)
	p := march(mask, w, h, r, true)
	if len(p.order) == 0 || len(bands) == 0 {
		return nil
	}
	offs := discOffsets(r, w, p.pw, teleaDst)
	groups := bandGroups(len(bands), 4)
	parallel(len(groups), func(k int) {
		grp := make([][]float32, len(groups[k]))
		for i, b := range groups[k] {
			grp[i] = bands[b]
		}
		p.telea(grp, r, offs)
	})
	return nil
}

// teleaDst is OpenCV's distance weight 1/|r|³: the denominator in float32,
// the division in float64.
func teleaDst(l2 float32) float32 {
	return float32(1 / float64(l2*float32(math.Sqrt(float64(l2)))))
}

// telea fills the holes of bands in march order. The weights depend only on
// the mask, so they are computed once for all the bands.
func (p *marchPlan) telea(bands [][]float32, r int, offs []offset) {
	w, h, pw := p.w, p.h, p.pw
	t, rank := p.t, p.rank
	var sum [4]float32 // weighted sums, one per band; len(bands) ≤ 4
	for n, pi := range p.order {
		pi := int(pi)
		n := int32(n)
		x, y := pi%pw-1, pi/pw-1
		vp := y*w + x
		tp := t[pi]
		gx := gradT(t, rank, pi, 1, n)
		gy := gradT(t, rank, pi, pw, n)
		full := inDisc(x, y, r, w, h)
		clear(sum[:])
		s := float32(1e-20)
		for _, o := range offs {
			if !full && (x+o.dx < 0 || x+o.dx >= w || y+o.dy < 0 || y+o.dy >= h) {
				continue
			}
			q := pi + o.dp
			if rank[q] >= n {
				continue
			}
			lev := float32(1 / float64(1+abs32(t[q]-tp)))
			// r = p − q = (−dx, −dy).
			dir := float32(-o.dx)*gx + float32(-o.dy)*gy
			if math.Abs(float64(dir)) <= 0.01 {
				dir = 1e-6
			}
			wt := abs32(o.dst * lev * dir)
			vq := vp + o.dv
			for b, band := range bands {
				sum[b] += wt * band[vq]
			}
			s += wt
		}
		for b, band := range bands {
			band[vp] = sum[b] / s
		}
	}
}

// gradT returns OpenCV's estimate of ∂T/∂x (step 1) or ∂T/∂y (step pw) at
// padded index i while filling hole n: a central difference if both
// neighbours are known, one-sided if one is, else 0.
func gradT(t []float32, rank []int32, i, step int, n int32) float32 {
	okB, okF := rank[i-step] < n, rank[i+step] < n
	switch {
	case okF && okB:
		return (t[i+step] - t[i-step]) * 0.5
	case okF:
		return t[i+step] - t[i]
	case okB:
		return t[i] - t[i-step]
	}
	return 0
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// checkRadius rejects radii that are negative or not a number.
func checkRadius(name string, r float64) error {
	if !(r >= 0) || math.IsInf(r, 1) {
		return fmt.Errorf("fill: %s: radius %v is not a non-negative number", name, r)
	}
	return nil
}

// radiusOption formats a radius for a filler name, "" for the default.
func radiusOption(r float64) string {
	if r == 0 || r == 5 {
		return ""
	}
	return strconv.FormatFloat(r, 'g', -1, 64)
}
