package metrics

import "math"

// PSNRCap is the value, in dB, at which Summary.PSNR caps each image's
// PSNR: identical images (+Inf) and near-identical ones count as 100 dB, so
// one perfect image does not make a set's mean infinite.
const PSNRCap = 100

// Summary is the mean of a set of Results.
//
// A set's PSNR can be averaged two ways, and both are given. PSNR is the
// mean of the images' PSNRs, each capped at PSNRCap: every image weighs the
// same in dB, as challenge leaderboards (NTIRE, for one) compute it, and it
// is the figure aerofill reports as the competition's. PSNRFromMSE converts
// the mean of the images' MSEs to dB instead: it is never pulled up by an
// easy image, is +Inf only if every image is identical, and needs no cap.
// The hole figures are the same two means over the images that have a hole.
type Summary struct {
	N               int     // results summarised
	PSNR            float64 // mean per-image PSNR, capped at PSNRCap; the competition's figure
	PSNRFromMSE     float64 // 10·log10(255²/mean MSE)
	HoleN           int     // results with a hole (PSNRHole not NaN)
	PSNRHole        float64 // mean per-image hole PSNR, capped at PSNRCap
	PSNRHoleFromMSE float64 // 10·log10(255²/mean hole MSE)
	SSIM            float64 // mean
	MAE             float64 // mean, 8-bit levels
	HoleFraction    float64 // mean
}

// Summarize averages rs. Each image's MSE is recovered from its PSNR
// (MSE = 255²·10^(−PSNR/10), exact to rounding), so Results made elsewhere
// summarise the same. Means over no values are NaN.
func Summarize(rs []Result) Summary {
	s := Summary{N: len(rs)}
	var psnr, mse, hole, holeMSE, ssim, mae, frac float64
	for _, r := range rs {
		psnr += math.Min(r.PSNR, PSNRCap)
		mse += mseFromPSNR(r.PSNR)
		ssim += r.SSIM
		mae += r.MAE
		frac += r.HoleFraction
		if !math.IsNaN(r.PSNRHole) {
			s.HoleN++
			hole += math.Min(r.PSNRHole, PSNRCap)
			holeMSE += mseFromPSNR(r.PSNRHole)
		}
	}
	n, hn := float64(s.N), float64(s.HoleN)
	s.PSNR, s.PSNRFromMSE = psnr/n, psnrFromMSE(mse/n, Peak)
	s.PSNRHole, s.PSNRHoleFromMSE = hole/hn, psnrFromMSE(holeMSE/hn, Peak)
	s.SSIM, s.MAE, s.HoleFraction = ssim/n, mae/n, frac/n
	return s
}

// mseFromPSNR inverts psnrFromMSE for 8-bit data: +Inf dB gives 0.
func mseFromPSNR(db float64) float64 {
	return Peak * Peak * math.Pow(10, -db/10)
}
