package restore

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/tensor"
)

// constantFill is a method that paints every pixel, holes or not, with one
// value per channel plus the pixel's index times step; an ensemble must
// average its members in the holes and ignore them elsewhere.
type constantFill struct {
	name string
	v    [3]float32
	step float32
	err  error
}

func (c constantFill) Name() string { return c.name }

func (c constantFill) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if c.err != nil {
		return nil, c.err
	}
	out := tensor.New(img.N, img.C, img.H, img.W)
	for n := 0; n < img.N; n++ {
		for ch := 0; ch < img.C; ch++ {
			for i := range out.Plane(n, ch) {
				out.Plane(n, ch)[i] = c.v[ch] + c.step*float32(i)
			}
		}
	}
	return out, nil
}

// wrongShape returns a result of another size.
type wrongShape struct{}

func (wrongShape) Name() string { return "wrong" }

func (wrongShape) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	return tensor.New(img.N, img.C, img.H+1, img.W), nil
}

// randomCase returns an image in [0, 1] and a mask with about a third of
// the pixels damaged.
func randomCase(n, h, w int, seed uint64) (img, mask *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	img, mask = tensor.New(n, 3, h, w), tensor.New(n, 1, h, w)
	for i := range img.Data {
		img.Data[i] = rng.Float32()
	}
	for i := range mask.Data {
		if rng.IntN(3) == 0 {
			mask.Data[i] = 1
		}
	}
	return img, mask
}

func TestEnsembleAverages(t *testing.T) {
	for _, tc := range []struct{ n, h, w int }{{1, 1, 1}, {1, 7, 33}, {2, 33, 7}, {3, 16, 16}} {
		img, mask := randomCase(tc.n, tc.h, tc.w, uint64(tc.h*100+tc.w))
		a := constantFill{name: "a", v: [3]float32{0.1, 0.2, 0.3}, step: 1e-3}
		b := constantFill{name: "b", v: [3]float32{0.5, 0.0, 0.9}}
		c := constantFill{name: "c", v: [3]float32{0.6, 0.1, 0.0}, step: -1e-3}
		e := Ensemble{Members: []Method{a, b, c}}
		if got := e.Name(); got != "ensemble(3)" {
			t.Errorf("name %q", got)
		}
		out, err := e.Restore(img, mask)
		if err != nil {
			t.Fatal(err)
		}
		if !out.SameShape(img) {
			t.Fatalf("shape %v, want %v", out, img)
		}
		hw := tc.h * tc.w
		for n := 0; n < tc.n; n++ {
			m := mask.Plane(n, 0)
			for ch := 0; ch < 3; ch++ {
				got, in := out.Plane(n, ch), img.Plane(n, ch)
				for i := 0; i < hw; i++ {
					want := in[i]
					if m[i] != 0 {
						// The per-pixel ramps of a and c cancel.
						want = float32((float64(a.v[ch]) + float64(b.v[ch]) + float64(c.v[ch])) / 3)
					}
					if d := got[i] - want; d > 1e-6 || d < -1e-6 {
						t.Fatalf("%v: image %d channel %d pixel %d: %v, want %v (hole %v)", tc, n, ch, i, got[i], want, m[i] != 0)
					}
				}
			}
		}
	}
}

// TestEnsembleOfOne requires an ensemble of one member to give exactly
// that member's result in the holes, for a real filler, and the input
// itself outside them (where Filler's result can differ from the input in
// the last bit: it fills on the 0–255 scale and scales back).
func TestEnsembleOfOne(t *testing.T) {
	img, mask := randomCase(1, 33, 7, 9)
	idw := Filler{F: fill.IDW{}}
	want, err := idw.Restore(img, mask)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Ensemble{Members: []Method{idw}}.Restore(img, mask)
	if err != nil {
		t.Fatal(err)
	}
	hw := img.H * img.W
	for i := range want.Data {
		w := want.Data[i]
		if mask.Data[i%hw] == 0 {
			w = img.Data[i]
		}
		if got.Data[i] != w {
			t.Fatalf("value %d: %v, want %v (hole %v)", i, got.Data[i], w, mask.Data[i%hw] != 0)
		}
	}
}

func TestEnsembleErrors(t *testing.T) {
	img, mask := randomCase(1, 8, 8, 3)
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		e       Ensemble
		img     *tensor.Tensor
		mask    *tensor.Tensor
		wantErr string
	}{
		{"no members", Ensemble{}, img, mask, "no members"},
		{"member fails", Ensemble{Members: []Method{constantFill{name: "x", err: boom}}}, img, mask, "member x: boom"},
		{"member shape", Ensemble{Members: []Method{wrongShape{}}}, img, mask, "member wrong returned"},
		{"mask shape", Ensemble{Members: []Method{Filler{F: fill.IDW{}}}}, img, tensor.New(1, 1, 8, 9), "do not match"},
	} {
		_, err := tc.e.Restore(tc.img, tc.mask)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.wantErr)
		}
		if tc.name == "member fails" && !errors.Is(err, boom) {
			t.Errorf("%s: %v does not wrap the member's error", tc.name, err)
		}
	}
}
