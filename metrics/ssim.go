package metrics

import (
	"fmt"
	"math"
)

// SSIM parameters, as in Wang et al. 2004 and scikit-image's defaults for
// gaussian_weights=True.
const (
	ssimK1     = 0.01
	ssimK2     = 0.03
	ssimSigma  = 1.5
	ssimRadius = 5 // int(3.5·σ + 0.5): scipy.ndimage's truncate=3.5
	ssimWin    = 2*ssimRadius + 1
)

// ssimKernel is the normalised 1-D Gaussian, computed as scipy.ndimage's
// _gaussian_kernel1d does: exp(−x²/(2σ²)) for x = −5..5, divided by its sum.
var ssimKernel = func() [ssimWin]float64 {
	var k [ssimWin]float64
	sum := 0.0
	for i := range k {
		x := float64(i - ssimRadius)
		k[i] = math.Exp(-0.5 / (ssimSigma * ssimSigma) * x * x)
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}()

// SSIMFloat returns the mean SSIM of a and b, each holding C planes of w×h
// values row by row (C = len(a)/(w·h), as a tensor.Tensor's Channels), with
// data range peak: as SSIM, which calls it with peak 255.
func SSIMFloat(a, b []float32, w, h int, peak float64) (float64, error) {
	if err := checkFloat(a, b); err != nil {
		return 0, err
	}
	if w < ssimWin || h < ssimWin {
		return 0, fmt.Errorf("metrics: SSIM needs at least %d×%d pixels, image is %d×%d", ssimWin, ssimWin, w, h)
	}
	hw := w * h
	if len(a)%hw != 0 {
		return 0, fmt.Errorf("metrics: SSIM: %d values are not whole %d×%d planes", len(a), w, h)
	}
	if !(peak > 0) || math.IsInf(peak, 0) {
		return 0, fmt.Errorf("metrics: SSIM: data range %g, want a positive number", peak)
	}
	s := newSSIMScratch(w)
	sum := 0.0
	for c := range len(a) / hw {
		sum += s.plane(a[c*hw:(c+1)*hw], b[c*hw:(c+1)*hw], w, h, peak)
	}
	return sum / float64(len(a)/hw), nil
}

// ssimScratch holds the buffers of one SSIM computation over planes of
// width w, for the five statistics x, y, x², y², xy: one input row (w
// values each), a ring of the last 11 input rows filtered along the row, and
// one output row filtered both ways (w−10 values each).
type ssimScratch struct {
	row  [5][]float64
	ring [ssimWin][5][]float64
	col  [5][]float64
}

func newSSIMScratch(w int) *ssimScratch {
	n := w - 2*ssimRadius
	buf := make([]float64, 5*w+(ssimWin+1)*5*n)
	s := &ssimScratch{}
	for k := range 5 {
		s.row[k], buf = buf[:w], buf[w:]
		s.col[k], buf = buf[:n], buf[n:]
	}
	for r := range ssimWin {
		for k := range 5 {
			s.ring[r][k], buf = buf[:n], buf[n:]
		}
	}
	return s
}

// plane returns the mean SSIM over the valid region of one w×h plane.
//
// The Gaussian is separable. Each input row is filtered once along the row,
// for the output columns only (5 ≤ x < w−5), into a ring of the last 11
// rows; each output row (5 ≤ y < h−5) then filters the ring down the
// columns. Pixels within the radius of an edge are never output, so no
// boundary rule is needed.
func (s *ssimScratch) plane(x, y []float32, w, h int, peak float64) float64 {
	c1 := (ssimK1 * peak) * (ssimK1 * peak)
	c2 := (ssimK2 * peak) * (ssimK2 * peak)
	n := w - 2*ssimRadius
	sum := 0.0
	for iy := range h {
		// Products of the two images are formed before any weighting, so
		// that swapping the images swaps the statistics exactly:
		// SSIM(a, b) == SSIM(b, a).
		xr, yr := x[iy*w:(iy+1)*w], y[iy*w:(iy+1)*w]
		rx, ry, rxx, ryy, rxy := s.row[0][:w], s.row[1][:w], s.row[2][:w], s.row[3][:w], s.row[4][:w]
		for i := range xr {
			xv, yv := float64(xr[i]), float64(yr[i])
			rx[i], ry[i] = xv, yv
			rxx[i], ryy[i], rxy[i] = xv*xv, yv*yv, xv*yv
		}
		dst := &s.ring[iy%ssimWin]
		for k := range 5 {
			gaussRow(dst[k], s.row[k])
		}
		if iy < 2*ssimRadius {
			continue
		}
		// Output row oy = iy − 5 has its window on input rows oy−5..oy+5:
		// filter each statistic down the columns, then combine.
		for k := range 5 {
			var t [ssimWin][]float64
			for j := range t {
				t[j] = s.ring[(iy-2*ssimRadius+j)%ssimWin][k]
			}
			gaussCols(s.col[k], &t)
		}
		ux, uy, uxx, uyy, uxy := s.col[0][:n], s.col[1][:n], s.col[2][:n], s.col[3][:n], s.col[4][:n]
		for i := range n {
			sum += ssimAt(ux[i], uy[i], uxx[i], uyy[i], uxy[i], c1, c2)
		}
	}
	return sum / float64(n*(h-2*ssimRadius))
}

// gaussRow filters src along its length with the SSIM Gaussian, writing
// dst[i] = Σ_{d=−5..5} k[5+d]·src[i+5+d] for i in [0, len(src)−10): the
// part where the window fits. k0..k5 are the centre tap to the outermost.
func gaussRow(dst, src []float64) {
	k0, k1, k2, k3, k4, k5 := ssimKernel[5], ssimKernel[6], ssimKernel[7], ssimKernel[8], ssimKernel[9], ssimKernel[10]
	src = src[:len(dst)+2*ssimRadius]
	for i := range dst {
		s := src[i : i+ssimWin : i+ssimWin]
		dst[i] = k0*s[5] + k1*(s[4]+s[6]) + k2*(s[3]+s[7]) + k3*(s[2]+s[8]) + k4*(s[1]+s[9]) + k5*(s[0]+s[10])
	}
}

// gaussCols filters down the columns: dst[i] = Σ_j k[j]·t[j][i].
func gaussCols(dst []float64, t *[ssimWin][]float64) {
	k0, k1, k2, k3, k4, k5 := ssimKernel[5], ssimKernel[6], ssimKernel[7], ssimKernel[8], ssimKernel[9], ssimKernel[10]
	n := len(dst)
	t0, t1, t2, t3, t4, t5 := t[0][:n], t[1][:n], t[2][:n], t[3][:n], t[4][:n], t[5][:n]
	t6, t7, t8, t9, t10 := t[6][:n], t[7][:n], t[8][:n], t[9][:n], t[10][:n]
	for i := range dst {
		dst[i] = k0*t5[i] + k1*(t4[i]+t6[i]) + k2*(t3[i]+t7[i]) + k3*(t2[i]+t8[i]) + k4*(t1[i]+t9[i]) + k5*(t0[i]+t10[i])
	}
}

// ssimAt is the SSIM of one window from its weighted moments (population
// covariance: use_sample_covariance=False).
func ssimAt(ux, uy, uxx, uyy, uxy, c1, c2 float64) float64 {
	vx := uxx - ux*ux
	vy := uyy - uy*uy
	vxy := uxy - ux*uy
	a1, a2 := 2*ux*uy+c1, 2*vxy+c2
	b1, b2 := ux*ux+uy*uy+c1, vx+vy+c2
	return (a1 * a2) / (b1 * b2)
}
