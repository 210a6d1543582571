package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

func TestStackQuadrants(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, tc := range []struct{ n, c, side, q int }{{1, 4, 2, 1}, {2, 8, 6, 2}, {1, 5, 4, 1}, {2, 12, 34, 3}} {
		t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
			x := noiseTensor(rng, tc.n, tc.c, tc.side, tc.side)
			hh := tc.side / 2
			s := tensor.New(tc.n, 4*tc.q, hh, hh)
			StackQuadrants(s, x)
			for n := 0; n < tc.n; n++ {
				for c := 0; c < 4*tc.q; c++ {
					quad, sc := c/tc.q, c%tc.q
					y0, x0 := []int{0, hh, 0, hh}[quad], []int{0, 0, hh, hh}[quad]
					for y := 0; y < hh; y++ {
						for xx := 0; xx < hh; xx++ {
							if got, want := s.At(n, c, y, xx), x.At(n, sc, y0+y, x0+xx); got != want {
								t.Fatalf("stacked (%d,%d,%d,%d) = %v, want %v", n, c, y, xx, got, want)
							}
						}
					}
				}
			}
			g := noiseTensor(rng, tc.n, 4*tc.q, hh, hh)
			dx := tensor.New(tc.n, tc.c, tc.side, tc.side)
			StackQuadrantsBackward(dx, g)
			if e := adjointErr(g.Data, s.Data, dx.Data, x.Data); e > 1e-6 {
				t.Errorf("StackQuadrantsBackward is not the adjoint: %.3g", e)
			}

			// Tiling: AddTiled(dst, tile) adds tile[y mod h, x mod w].
			tile := noiseTensor(rng, tc.n, tc.c, hh, hh)
			full := tensor.New(tc.n, tc.c, tc.side, tc.side)
			AddTiled(full, tile)
			for i := range full.Data {
				n, c := i/(tc.c*tc.side*tc.side), i/(tc.side*tc.side)%tc.c
				y, xx := i/tc.side%tc.side, i%tc.side
				if full.Data[i] != tile.At(n, c, y%hh, xx%hh) {
					t.Fatalf("tiled value %d wrong", i)
				}
			}
			gf := noiseTensor(rng, tc.n, tc.c, tc.side, tc.side)
			dt := noiseTensor(rng, tc.n, tc.c, hh, hh)
			AddTiledBackward(dt, gf)
			if e := adjointErr(gf.Data, full.Data, dt.Data, tile.Data); e > 1e-6 {
				t.Errorf("AddTiledBackward is not the adjoint: %.3g", e)
			}
		})
	}
}

func TestConcatChannels(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	a, b := noiseTensor(rng, 2, 3, 5, 7), noiseTensor(rng, 2, 1, 5, 7)
	all := tensor.New(2, 4, 5, 7)
	ConcatChannels(all, a, b)
	for n := 0; n < 2; n++ {
		for c := 0; c < 4; c++ {
			want := a
			wc := c
			if c >= 3 {
				want, wc = b, c-3
			}
			for i, v := range all.Plane(n, c) {
				if v != want.Plane(n, wc)[i] {
					t.Fatalf("channel %d of image %d wrong", c, n)
				}
			}
		}
	}
	g := noiseTensor(rng, 2, 4, 5, 7)
	da, db := tensor.New(2, 3, 5, 7), tensor.New(2, 1, 5, 7)
	ConcatChannelsBackward(da, db, g)
	x := append(append([]float32{}, a.Data...), b.Data...)
	gt := append(append([]float32{}, da.Data...), db.Data...)
	if e := adjointErr(g.Data, all.Data, gt, x); e > 1e-6 {
		t.Errorf("ConcatChannelsBackward is not the adjoint: %.3g", e)
	}
}
