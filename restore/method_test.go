package restore

import (
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/tensor"
)

// TestFillerKeepsKnownPixels: a classical filler returns the known pixels
// bit for bit (its 0–255 round trip must not touch them), for every filler.
func TestFillerKeepsKnownPixels(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	img, mask := tensor.New(2, 3, 17, 23), tensor.New(2, 1, 17, 23)
	for i := range img.Data {
		img.Data[i] = rng.Float32() // most values do not survive ·255/255
	}
	for i := range mask.Data {
		if rng.IntN(5) == 0 {
			mask.Data[i] = 1
		}
	}
	for _, name := range fill.Names() {
		f, err := fill.ByName(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Filler{F: f}.Restore(img, mask)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < 2; n++ {
			m := mask.Plane(n, 0)
			for c := 0; c < 3; c++ {
				for i, v := range out.Plane(n, c) {
					if m[i] == 0 && v != img.Plane(n, c)[i] {
						t.Fatalf("%s: known pixel %d of image %d channel %d changed: %v → %v", name, i, n, c, img.Plane(n, c)[i], v)
					}
				}
			}
		}
	}
}
