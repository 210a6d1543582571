package restore

import (
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

// TestDihedralGroup checks that the 8 elements are distinct, invertible,
// and that quarter turns compose as a rotation should.
func TestDihedralGroup(t *testing.T) {
	h, w := 3, 5
	src := make([]float32, h*w)
	for i := range src {
		src[i] = float32(i)
	}
	seen := map[string]bool{}
	for k := 0; k < 8; k++ {
		dst := make([]float32, h*w)
		dihedral(dst, src, h, w, k)
		key := ""
		for _, v := range dst {
			key += string(rune('a' + int(v)))
		}
		if seen[key] {
			t.Errorf("element %d repeats another", k)
		}
		seen[key] = true
		back := make([]float32, h*w)
		undoDihedral(back, dst, h, w, k)
		for i := range back {
			if back[i] != src[i] {
				t.Fatalf("element %d: undo does not invert", k)
			}
		}
	}
	// One clockwise quarter turn of a 3×5 plane: the bottom-left corner
	// (2,0) goes to the top-left (0,0).
	dst := make([]float32, h*w)
	dihedral(dst, src, h, w, 1)
	if dst[0] != src[2*w] {
		t.Errorf("quarter turn: dst[0] = %v, want %v", dst[0], src[2*w])
	}
	// Horizontal flip: (0,0) ← (0,w-1).
	dihedral(dst, src, h, w, 4)
	if dst[0] != src[w-1] {
		t.Errorf("flip: dst[0] = %v, want %v", dst[0], src[w-1])
	}
}

// orientationProbe is a method whose output depends on orientation: it
// fills holes with the column index. TTA must undo each transform, so the
// averaged result is a known combination of transformed coordinates.
type orientationProbe struct{ calls, batch int }

func (orientationProbe) Name() string { return "probe" }

func (p *orientationProbe) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	p.calls++
	p.batch += img.N
	out := img.Clone()
	for n := 0; n < img.N; n++ {
		for c := 0; c < 3; c++ {
			pl, m := out.Plane(n, c), mask.Plane(n, 0)
			for i := range pl {
				if m[i] != 0 {
					pl[i] = float32(i % img.W)
				}
			}
		}
	}
	return out, nil
}

func TestTTAAveragesMappedBack(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	h, w := 6, 9
	img := tensor.New(1, 3, h, w)
	for i := range img.Data {
		img.Data[i] = rng.Float32()
	}
	mask := tensor.New(1, 1, h, w)
	for i := range mask.Data {
		if rng.IntN(3) == 0 {
			mask.Data[i] = 1
		}
	}
	for _, n := range []int{1, 2, 4, 8} {
		p := &orientationProbe{}
		out, err := TTA{M: p, N: n}.Restore(img, mask)
		if err != nil {
			t.Fatal(err)
		}
		if p.batch != n {
			t.Errorf("tta %d: %d images went through the method", n, p.batch)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				i := y*w + x
				got := out.Plane(0, 0)[i]
				if mask.Data[i] == 0 {
					if got != img.Plane(0, 0)[i] {
						t.Fatalf("tta %d: known pixel changed", n)
					}
					continue
				}
				// Expected: mean over elements of the transformed column of (y, x).
				want := 0.0
				for _, k := range transforms[n] {
					oh, ow, from := dihedralSource(h, w, k)
					for ty := 0; ty < oh; ty++ {
						for tx := 0; tx < ow; tx++ {
							if sy, sx := from(ty, tx); sy == y && sx == x {
								want += float64(tx)
							}
						}
					}
				}
				want /= float64(len(transforms[n]))
				if d := float64(got) - want; d > 1e-4 || d < -1e-4 {
					t.Fatalf("tta %d: (%d,%d) = %v, want %v", n, y, x, got, want)
				}
			}
		}
	}
}
