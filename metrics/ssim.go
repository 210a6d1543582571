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

// ssimScratch holds the row buffers of one SSIM computation.
type ssimScratch struct {
	// The five statistics x, y, x², y², xy of one output row, filtered
	// vertically: w values each.
	mx, my, mxx, myy, mxy []float64
}

func newSSIMScratch(w int) *ssimScratch {
	buf := make([]float64, 5*w)
	return &ssimScratch{mx: buf[:w], my: buf[w : 2*w], mxx: buf[2*w : 3*w], myy: buf[3*w : 4*w], mxy: buf[4*w:]}
}

// plane returns the mean SSIM over the valid region of one w×h plane.
//
// The Gaussian is separable: for each output row, the five statistics are
// filtered down the columns (all w columns, the 11 input rows around it),
// then along the row, for the output columns only. The kernel is symmetric,
// so taps ±k share one multiplication. Rows and columns within the radius of
// an edge are never output, so no boundary rule is needed.
func (s *ssimScratch) plane(x, y []float32, w, h int, peak float64) float64 {
	k := &ssimKernel
	c1 := (ssimK1 * peak) * (ssimK1 * peak)
	c2 := (ssimK2 * peak) * (ssimK2 * peak)
	sum := 0.0
	for oy := ssimRadius; oy < h-ssimRadius; oy++ {
		// Vertical pass: centre tap, then the pairs ±d. Products of the
		// two images are formed before weighting, so that swapping them
		// swaps the statistics exactly: SSIM(a, b) == SSIM(b, a).
		xr, yr := x[oy*w:(oy+1)*w], y[oy*w:(oy+1)*w]
		k0 := k[ssimRadius]
		for i := range w {
			xv, yv := float64(xr[i]), float64(yr[i])
			s.mx[i] = k0 * xv
			s.my[i] = k0 * yv
			s.mxx[i] = k0 * (xv * xv)
			s.myy[i] = k0 * (yv * yv)
			s.mxy[i] = k0 * (xv * yv)
		}
		for d := 1; d <= ssimRadius; d++ {
			kd := k[ssimRadius+d]
			xu, yu := x[(oy-d)*w:(oy-d+1)*w], y[(oy-d)*w:(oy-d+1)*w]
			xd, yd := x[(oy+d)*w:(oy+d+1)*w], y[(oy+d)*w:(oy+d+1)*w]
			for i := range w {
				xa, ya := float64(xu[i]), float64(yu[i])
				xb, yb := float64(xd[i]), float64(yd[i])
				s.mx[i] += kd * (xa + xb)
				s.my[i] += kd * (ya + yb)
				s.mxx[i] += kd * (xa*xa + xb*xb)
				s.myy[i] += kd * (ya*ya + yb*yb)
				s.mxy[i] += kd * (xa*ya + xb*yb)
			}
		}
		// Horizontal pass and the SSIM formula, per output pixel.
		for ox := ssimRadius; ox < w-ssimRadius; ox++ {
			ux := k0 * s.mx[ox]
			uy := k0 * s.my[ox]
			uxx := k0 * s.mxx[ox]
			uyy := k0 * s.myy[ox]
			uxy := k0 * s.mxy[ox]
			for d := 1; d <= ssimRadius; d++ {
				kd := k[ssimRadius+d]
				ux += kd * (s.mx[ox-d] + s.mx[ox+d])
				uy += kd * (s.my[ox-d] + s.my[ox+d])
				uxx += kd * (s.mxx[ox-d] + s.mxx[ox+d])
				uyy += kd * (s.myy[ox-d] + s.myy[ox+d])
				uxy += kd * (s.mxy[ox-d] + s.mxy[ox+d])
			}
			sum += ssimAt(ux, uy, uxx, uyy, uxy, c1, c2)
		}
	}
	return sum / float64((w-2*ssimRadius)*(h-2*ssimRadius))
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
