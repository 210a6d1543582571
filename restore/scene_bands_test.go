package restore

import (
	"context"
	"image"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/tensor"
)

// TestGuidedExtraBand measures, on the 4-band NAIP scene with line damage
// in every band, how well the NIR band is filled: by RestoreScene (colour
// by IDW, NIR by fillGuided per tile), by plain IDW on the NIR band, and
// by fillGuided over the whole image with the true colour as guide (what
// a perfect colour restoration would give). fillGuided must never be
// worse than plain IDW: on this scene a linear fit on RGB explains only
// 7 % of NIR's variance, and filling by the fit alone lost 10 dB.
func TestGuidedExtraBand(t *testing.T) {
	needFile(t, naipPath)
	dir := t.TempDir()
	info, clean := readAll(t, naipPath)
	w, h := info.Width, info.Height
	holes := lineHoles(t, w, h, 4)
	info.Compression = 0
	in := filepath.Join(dir, "in.tif")
	writeRaster(t, in, info, damage(clean, holes, -1, 0))

	out := filepath.Join(dir, "out.tif")
	st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: Filler{fill.IDW{}}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Mask != MaskNoData || st.Filled != int64(countHoles(holes)) {
		t.Fatalf("stats %+v", st)
	}
	_, res := readAll(t, out)
	one := func(b []float32) [][]float32 { return [][]float32{b} }
	pipeline := psnr(one(res[3]), one(clean[3]), holes, 255)
	colour := psnr(res[:3], clean[:3], holes, 255)

	plainNIR := damage(clean, holes, -1, 0)[3]
	if err := (fill.IDW{}).Fill([][]float32{plainNIR}, w, h, holes); err != nil {
		t.Fatal(err)
	}
	plain := psnr(one(plainNIR), one(clean[3]), holes, 255)

	guided := damage(clean, holes, -1, 0)[3]
	if err := fillGuided(guided, guideTensor(clean[:3], w, h), holes, w, h); err != nil {
		t.Fatal(err)
	}
	trueGuide := psnr(one(guided), one(clean[3]), holes, 255)
	t.Logf("NAIP, %d damaged pixels: colour by IDW %.2f dB; NIR: pipeline %.2f dB, plain IDW %.2f dB, guided by the true colour %.2f dB",
		countHoles(holes), colour, pipeline, plain, trueGuide)
	if pipeline < plain-0.05 || trueGuide < plain-0.05 {
		t.Errorf("guided NIR (%.2f dB in the pipeline, %.2f dB with true colour) worse than plain IDW (%.2f dB)", pipeline, trueGuide, plain)
	}
}

// guideTensor turns 8-bit colour planes into fillGuided's guide.
func guideTensor(rgb [][]float32, w, h int) *tensor.Tensor {
	g := tensor.New(1, 3, h, w)
	for c := 0; c < 3; c++ {
		for i, v := range rgb[c] {
			g.Plane(0, c)[i] = v / 255
		}
	}
	return g
}

// TestFillGuided checks fillGuided's two ends: a band that is a linear
// function of colour is recovered from the colour (far better than IDW
// can), and a band the colour does not explain (R² = 0, or nearly), or a
// tile with fewer than 64 known pixels, gets plain IDW.
func TestFillGuided(t *testing.T) {
	needFile(t, naipPath)
	_, clean := readWindow(t, naipPath, image.Rect(300, 200, 300+257, 200+193))
	w, h := 257, 193
	holes := lineHoles(t, w, h, 9)
	guide := guideTensor(clean[:3], w, h)
	one := func(b []float32) [][]float32 { return [][]float32{b} }

	linear := make([]float32, w*h)
	for i := range linear {
		linear[i] = 12 + 0.3*clean[0][i] + 0.5*clean[1][i] - 0.2*clean[2][i]
	}
	got := damage(one(linear), holes, -1, 0)[0]
	if err := fillGuided(got, guide, holes, w, h); err != nil {
		t.Fatal(err)
	}
	idw := damage(one(linear), holes, -1, 0)[0]
	fill.IDW{}.Fill(one(idw), w, h, holes)
	g, p := psnr(one(got), one(linear), holes, 255), psnr(one(idw), one(linear), holes, 255)
	t.Logf("band linear in colour: guided %.1f dB, IDW %.1f dB", g, p)
	if g < 60 || g < p+20 {
		t.Errorf("band linear in colour: guided %.1f dB, IDW %.1f dB; want ≥ 60 dB and 20 dB better", g, p)
	}

	for _, c := range []struct {
		name  string
		band  func(i int) float32
		holes []uint8
	}{
		{"constant band", func(int) float32 { return 77 }, holes},
		{"band independent of colour", func(i int) float32 { return float32((i * 7919) % 251) }, holes},
		{"few known pixels", func(i int) float32 { return linear[i] }, holesWhere(w*h, func(i int) bool { return i >= 63 })},
	} {
		band := make([]float32, w*h)
		for i := range band {
			band[i] = c.band(i)
		}
		got := damage(one(band), c.holes, -1, 0)[0]
		want := damage(one(band), c.holes, -1, 0)[0]
		if err := fillGuided(got, guide, c.holes, w, h); err != nil {
			t.Fatal(err)
		}
		fill.IDW{}.Fill(one(want), w, h, c.holes)
		for i := range got {
			if d := got[i] - want[i]; d > 0.05 || d < -0.05 {
				t.Errorf("%s: pixel %d = %v, plain IDW %v", c.name, i, got[i], want[i])
				break
			}
		}
	}
}
