package metrics

import (
	"image"
	"math"
	"testing"
)

// FuzzCompare builds two images and a mask from arbitrary bytes: the
// metrics must not panic, must stay in their ranges, must be symmetric, and
// an image against itself must be perfect.
func FuzzCompare(f *testing.F) {
	f.Add([]byte{12, 11, 0, 1, 2, 3, 255, 254})
	f.Add([]byte{1, 1, 9})
	f.Add([]byte{30, 20, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 3 {
			return
		}
		w, h, gray := int(data[0]%40)+1, int(data[1]%40)+1, data[2]%2 == 1
		px := data[3:]
		at := func(i int) uint8 {
			if len(px) == 0 {
				return 0
			}
			return px[i%len(px)] * uint8(i/len(px)+1)
		}
		var a, b image.Image
		if gray {
			ga, gb := image.NewGray(image.Rect(0, 0, w, h)), image.NewGray(image.Rect(0, 0, w, h))
			for i := range ga.Pix {
				ga.Pix[i], gb.Pix[i] = at(i), at(i+7*w*h+3)
			}
			a, b = ga, gb
		} else {
			ra, rb := image.NewNRGBA(image.Rect(0, 0, w, h)), image.NewNRGBA(image.Rect(0, 0, w, h))
			for i := range ra.Pix {
				ra.Pix[i], rb.Pix[i] = at(i), at(i+5*w*h+1)
			}
			a, b = ra, rb
		}
		m := image.NewGray(image.Rect(0, 0, w, h))
		for i := range m.Pix {
			m.Pix[i] = at(3*i) & 1
		}
		r, err := Compare(a, b, m)
		if w < ssimWin || h < ssimWin {
			if err == nil {
				t.Fatalf("%d×%d: no error from SSIM", w, h)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if !(r.PSNR >= 0) || !(r.MAE >= 0 && r.MAE <= 255) || !(r.SSIM >= -1-1e-12 && r.SSIM <= 1+1e-12) {
			t.Fatalf("out of range: %+v", r)
		}
		if !(r.HoleFraction >= 0 && r.HoleFraction <= 1) || (r.HoleFraction == 0) != math.IsNaN(r.PSNRHole) {
			t.Fatalf("hole: %+v", r)
		}
		if math.IsInf(r.PSNR, 1) != (r.MAE == 0) {
			t.Fatalf("PSNR %v with MAE %v", r.PSNR, r.MAE)
		}
		s, err := Compare(b, a, m)
		if err != nil || s.PSNR != r.PSNR || s.SSIM != r.SSIM || s.MAE != r.MAE ||
			s.PSNRHole != r.PSNRHole && !math.IsNaN(r.PSNRHole) {
			t.Fatalf("not symmetric: %+v and %+v (%v)", r, s, err)
		}
		same, err := Compare(a, a, m)
		if err != nil || !math.IsInf(same.PSNR, 1) || same.MAE != 0 || same.SSIM != 1 {
			t.Fatalf("a against itself: %+v (%v)", same, err)
		}
	})
}
