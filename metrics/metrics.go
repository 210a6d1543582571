// Package metrics measures how close a restored image is to the truth: PSNR
// (over the whole image or over the damaged pixels only), SSIM and MAE, one
// image at a time (Compare) and over a set (Summarize).
//
// Image functions compare 8-bit values 0..255 of the red, green and blue
// channels (one channel when both images are grayscale), as scikit-image's
// peak_signal_noise_ratio and structural_similarity do with data_range=255;
// the tests hold them to scikit-image on real aerial images. The Float
// functions take planar float32 data and a peak value, for other bit depths.
// The package neither reads files nor restores images.
package metrics

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Peak is the largest 8-bit value, the data range of the image functions.
const Peak = 255

// PSNR returns the peak signal-to-noise ratio of a and b in dB,
// 10·log10(255²/MSE), the mean squared error taken over all pixels and
// channels. Identical images give +Inf. a and b must be the same size (their
// origins may differ) and not empty.
func PSNR(a, b image.Image) (float64, error) {
	pa, pb, _, err := planesOf(a, b)
	if err != nil {
		return 0, err
	}
	return PSNRFloat(pa, pb, Peak)
}

// PSNRMasked is PSNR with the mean squared error taken only over the pixels
// where mask is non-zero: the damaged, restored pixels. It returns NaN (and
// no error) when the mask marks no pixel, and +Inf when those pixels are
// identical. The mask must be the size of the images.
func PSNRMasked(a, b image.Image, mask *image.Gray) (float64, error) {
	pa, pb, c, err := planesOf(a, b)
	if err != nil {
		return 0, err
	}
	sel, err := maskPlane(mask, a.Bounds().Size())
	if err != nil {
		return 0, err
	}
	mse, _ := maskedMSE(pa, pb, c, sel)
	return psnrFromMSE(mse, Peak), nil
}

// SSIM returns the mean structural similarity of a and b (Wang, Bovik,
// Sheikh and Simoncelli, 2004) as scikit-image's structural_similarity
// computes it with gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=255 and K1=0.01, K2=0.03: local
// means, variances and covariance under an 11×11 Gaussian window
// (σ = 1.5 px, truncated at radius int(3.5σ+0.5) = 5), the SSIM map averaged
// over the pixels at least 5 px from every edge (the window's radius: where
// it lies wholly inside the image), per channel, then over channels. Both
// images must be at least 11×11.
func SSIM(a, b image.Image) (float64, error) {
	pa, pb, _, err := planesOf(a, b)
	if err != nil {
		return 0, err
	}
	s := a.Bounds().Size()
	return SSIMFloat(pa, pb, s.X, s.Y, Peak)
}

// MAE returns the mean absolute difference of a and b over all pixels and
// channels, in 8-bit levels (0..255).
func MAE(a, b image.Image) (float64, error) {
	pa, pb, _, err := planesOf(a, b)
	if err != nil {
		return 0, err
	}
	return MAEFloat(pa, pb)
}

// PSNRFloat returns 10·log10(peak²/MSE) for two equally long, non-empty
// slices, +Inf when they are equal.
func PSNRFloat(a, b []float32, peak float64) (float64, error) {
	if err := checkFloat(a, b); err != nil {
		return 0, err
	}
	return psnrFromMSE(mse(a, b), peak), nil
}

// MAEFloat returns the mean of |a[i] − b[i]| for two equally long,
// non-empty slices.
func MAEFloat(a, b []float32) (float64, error) {
	if err := checkFloat(a, b); err != nil {
		return 0, err
	}
	sum := 0.0
	for i, v := range a {
		sum += math.Abs(float64(v) - float64(b[i]))
	}
	return sum / float64(len(a)), nil
}

// Result is the comparison of one restored image with its truth.
type Result struct {
	PSNR         float64 // dB over the whole image; +Inf if identical
	PSNRHole     float64 // dB over the damaged pixels; NaN if none (or no mask)
	SSIM         float64 // as SSIM
	MAE          float64 // 8-bit levels, whole image
	HoleFraction float64 // fraction of pixels the mask marks damaged
}

// Compare measures restored against truth, the hole metrics over the pixels
// mask marks (mask may be nil: no hole). The images are converted once for
// all the metrics.
func Compare(restored, truth image.Image, mask *image.Gray) (Result, error) {
	pr, pt, c, err := planesOf(restored, truth)
	if err != nil {
		return Result{}, err
	}
	size := truth.Bounds().Size()
	r := Result{PSNR: psnrFromMSE(mse(pr, pt), Peak), PSNRHole: math.NaN()}
	if r.SSIM, err = SSIMFloat(pr, pt, size.X, size.Y, Peak); err != nil {
		return Result{}, err
	}
	if r.MAE, err = MAEFloat(pr, pt); err != nil {
		return Result{}, err
	}
	if mask != nil {
		sel, err := maskPlane(mask, size)
		if err != nil {
			return Result{}, err
		}
		m, n := maskedMSE(pr, pt, c, sel)
		r.PSNRHole = psnrFromMSE(m, Peak)
		r.HoleFraction = float64(n) / float64(len(sel))
	}
	return r, nil
}

// psnrFromMSE converts a mean squared error to dB; MSE 0 gives +Inf and a
// NaN MSE (no pixels) gives NaN.
func psnrFromMSE(mse, peak float64) float64 {
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(peak*peak/mse)
}

// mse is the mean of (a[i] − b[i])², accumulated in float64: exact for
// 8-bit values.
func mse(a, b []float32) float64 {
	sum := 0.0
	for i, v := range a {
		d := float64(v) - float64(b[i])
		sum += d * d
	}
	return sum / float64(len(a))
}

// maskedMSE is mse over the pixels p with sel[p], in every one of the c
// planes; it also returns how many pixels were selected. NaN if none.
func maskedMSE(a, b []float32, c int, sel []bool) (float64, int) {
	hw := len(sel)
	sum, n := 0.0, 0
	for p, on := range sel {
		if !on {
			continue
		}
		n++
		for ch := range c {
			d := float64(a[ch*hw+p]) - float64(b[ch*hw+p])
			sum += d * d
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n*c), n
}

func checkFloat(a, b []float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("metrics: length mismatch: %d and %d values", len(a), len(b))
	}
	if len(a) == 0 {
		return fmt.Errorf("metrics: no values")
	}
	return nil
}

// maskPlane returns mask≠0 for each pixel, row by row, after checking that
// the mask is the images' size.
func maskPlane(mask *image.Gray, size image.Point) ([]bool, error) {
	if mask == nil {
		return nil, fmt.Errorf("metrics: nil mask")
	}
	mb := mask.Bounds()
	if mb.Size() != size {
		return nil, fmt.Errorf("metrics: mask is %d×%d, images are %d×%d", mb.Dx(), mb.Dy(), size.X, size.Y)
	}
	sel := make([]bool, size.X*size.Y)
	for y := range size.Y {
		row := mask.Pix[mask.PixOffset(mb.Min.X, mb.Min.Y+y):]
		for x := range size.X {
			sel[y*size.X+x] = row[x] != 0
		}
	}
	return sel, nil
}

// planesOf checks that a and b are the same, non-empty size and converts
// both to c planes of 8-bit values (as float32, row by row, plane after
// plane): c = 1 when both are grayscale, else 3 (red, green, blue).
func planesOf(a, b image.Image) (pa, pb []float32, c int, err error) {
	sa, sb := a.Bounds().Size(), b.Bounds().Size()
	if sa != sb {
		return nil, nil, 0, fmt.Errorf("metrics: size mismatch: %d×%d and %d×%d", sa.X, sa.Y, sb.X, sb.Y)
	}
	if sa.X <= 0 || sa.Y <= 0 {
		return nil, nil, 0, fmt.Errorf("metrics: empty image (%d×%d)", sa.X, sa.Y)
	}
	c = 3
	if isGray(a) && isGray(b) {
		c = 1
	}
	return planes(a, c), planes(b, c), c, nil
}

func isGray(img image.Image) bool {
	m := img.ColorModel()
	return m == color.GrayModel || m == color.Gray16Model
}

// planes converts img to c planes of 8-bit values. Colour is straight (not
// premultiplied by alpha), as stored in an NRGBA image or a PNG file; 16-bit
// values keep their high byte, as the image/color models do; a grayscale
// image asked for 3 planes repeats its one.
func planes(img image.Image, c int) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	hw := w * h
	out := make([]float32, c*hw)
	put := func(i int, r, g, bl uint8) {
		if c == 1 {
			out[i] = float32(r)
			return
		}
		out[i], out[hw+i], out[2*hw+i] = float32(r), float32(g), float32(bl)
	}
	switch src := img.(type) {
	case *image.Gray:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				put(y*w+x, row[x], row[x], row[x])
			}
		}
	case *image.NRGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				put(y*w+x, row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.RGBA:
		for y := range h {
			row := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range w {
				p := row[4*x : 4*x+4]
				if p[3] == 255 {
					put(y*w+x, p[0], p[1], p[2])
					continue
				}
				n := color.NRGBAModel.Convert(color.RGBA{p[0], p[1], p[2], p[3]}).(color.NRGBA)
				put(y*w+x, n.R, n.G, n.B)
			}
		}
	default:
		for y := range h {
			for x := range w {
				n := color.NRGBA64Model.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA64)
				put(y*w+x, uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8))
			}
		}
	}
	return out
}
