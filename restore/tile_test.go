package restore

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

func TestTileGridCovers(t *testing.T) {
	for _, c := range []struct{ h, w, tile, overlap int }{
		{1, 1, 512, 64}, {512, 512, 512, 64}, {513, 700, 512, 64}, {2000, 1000, 256, 32}, {33, 1000, 32, 8},
	} {
		rects := TileGrid(c.h, c.w, c.tile, c.overlap)
		cover := make([]int, c.h*c.w)
		for _, r := range rects {
			if r.Dx() > c.tile || r.Dy() > c.tile || r.Min.X < 0 || r.Min.Y < 0 || r.Max.X > c.w || r.Max.Y > c.h {
				t.Fatalf("%+v: bad tile %v", c, r)
			}
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					cover[y*c.w+x]++
				}
			}
		}
		for i, n := range cover {
			if n == 0 {
				t.Fatalf("%+v: pixel %d uncovered", c, i)
			}
		}
		// Neighbours overlap by at least the overlap.
		xs := tileStarts(c.w, c.tile, c.overlap)
		for i := 1; i < len(xs); i++ {
			if xs[i-1]+c.tile-xs[i] < c.overlap {
				t.Errorf("%+v: tiles at %d and %d overlap by %d", c, xs[i-1], xs[i], xs[i-1]+c.tile-xs[i])
			}
		}
	}
}

type positional struct{}

func (positional) Name() string { return "positional" }

// Restore fills holes with sin of the coordinates relative to the tile,
// which differs between tiles: blending must still be continuous.
func (positional) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	out := img.Clone()
	for c := 0; c < 3; c++ {
		p, m := out.Plane(0, c), mask.Plane(0, 0)
		for i := range p {
			if m[i] != 0 {
				y, x := i/img.W, i%img.W
				p[i] = float32(0.5 + 0.01*math.Sin(float64(x+y)/50))
			}
		}
	}
	return out, nil
}

func TestTiledSkipsCleanTilesAndBlends(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	h, w := 300, 500
	img := tensor.New(1, 3, h, w)
	for i := range img.Data {
		img.Data[i] = rng.Float32()
	}
	mask := tensor.New(1, 1, h, w)
	for x := 0; x < w; x++ { // one horizontal line of damage
		for y := 140; y < 150; y++ {
			mask.Data[y*w+x] = 1
		}
	}
	count := &countingMethod{M: positional{}}
	out, err := Tiled{M: count, Tile: 128, Overlap: 32}.Restore(img, mask)
	if err != nil {
		t.Fatal(err)
	}
	all := len(TileGrid(h, w, 128, 32))
	if count.n == 0 || count.n >= all {
		t.Errorf("%d of %d tiles computed; clean tiles must be skipped", count.n, all)
	}
	// Blended values are convex combinations of tile values, all within
	// 0.5 ± 0.01; known pixels are untouched.
	for i, v := range out.Plane(0, 0) {
		if mask.Data[i] == 0 {
			if v != img.Plane(0, 0)[i] {
				t.Fatal("known pixel changed")
			}
		} else if v < 0.49 || v > 0.51 {
			t.Fatalf("pixel %d = %v outside the tiles' range", i, v)
		}
	}

}

type countingMethod struct {
	M Method
	n int
}

func (c *countingMethod) Name() string { return c.M.Name() }
func (c *countingMethod) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	c.n++
	return c.M.Restore(img, mask)
}
