package nn

import (
	"fmt"

	"github.com/aerofill/aerofill/tensor"
)

// The reshaping of LaMa's local Fourier unit (LFU) and of its
// ConcatTupleLayer, with their backward passes. They only move values, so
// each backward pass moves gradients the other way (adding where the
// forward pass copied one value to several places).

// StackQuadrants cuts the first q = dst.C/4 channels of src (N, C, H, W)
// into 2×2 quadrants and stacks them on channels: dst (N, 4q, H/2, W/2)
// holds the top-left quadrants in channels [0, q), then bottom-left,
// top-right, bottom-right, as LaMa's LFU does (split on H, then on W).
// LaMa splits both axes at H/2, so src must be square with an even side.
func StackQuadrants(dst, src *tensor.Tensor) {
	q, hh, hw := checkQuadrants("StackQuadrants", dst, src)
	parallelChannels(src.N*4*q, func(i int) {
		n, c := i/(4*q), i%(4*q)
		quad, sc := c/q, c%q
		y0, x0 := (quad%2)*hh, (quad/2)*hw
		s, d := src.Plane(n, sc), dst.Plane(n, c)
		for y := 0; y < hh; y++ {
			copy(d[y*hw:(y+1)*hw], s[(y0+y)*src.W+x0:])
		}
	})
}

// StackQuadrantsBackward adds the gradient through StackQuadrants, given
// ddst = ∂L/∂dst, to the first ddst.C/4 channels of dSrc.
func StackQuadrantsBackward(dSrc, ddst *tensor.Tensor) {
	q, hh, hw := checkQuadrants("StackQuadrantsBackward", ddst, dSrc)
	parallelChannels(dSrc.N*q, func(i int) {
		n, sc := i/q, i%q
		d := dSrc.Plane(n, sc)
		for quad := 0; quad < 4; quad++ {
			y0, x0 := (quad%2)*hh, (quad/2)*hw
			s := ddst.Plane(n, quad*q+sc)
			for y := 0; y < hh; y++ {
				Add(d[(y0+y)*dSrc.W+x0:(y0+y)*dSrc.W+x0+hw], s[y*hw:(y+1)*hw])
			}
		}
	})
}

func checkQuadrants(fn string, stacked, full *tensor.Tensor) (q, hh, hw int) {
	if full.H != full.W || full.H%2 != 0 || stacked.N != full.N || stacked.C%4 != 0 ||
		stacked.C/4 > full.C || stacked.H != full.H/2 || stacked.W != full.W/2 {
		panic(fmt.Sprintf("nn: %s: stacked %v and full %v (want a square, even-sided full tensor and (N, 4q, H/2, W/2) with q ≤ C)", fn, stacked, full))
	}
	return stacked.C / 4, full.H / 2, full.W / 2
}

// AddTiled adds src (N, C, h, w) tiled 2×2 to dst (N, C, 2h, 2w):
// dst[n, c, y, x] += src[n, c, y mod h, x mod w] (PyTorch's repeat(1, 1, 2, 2)).
func AddTiled(dst, src *tensor.Tensor) {
	checkTiled("AddTiled", dst, src)
	parallelChannels(dst.N*dst.C, func(i int) {
		n, c := i/dst.C, i%dst.C
		s, d := src.Plane(n, c), dst.Plane(n, c)
		for y := 0; y < dst.H; y++ {
			row := s[(y%src.H)*src.W : (y%src.H+1)*src.W]
			Add(d[y*dst.W:y*dst.W+src.W], row)
			Add(d[y*dst.W+src.W:(y+1)*dst.W], row)
		}
	})
}

// AddTiledBackward sets dSrc (N, C, h, w) to the gradient through AddTiled,
// given ddst (N, C, 2h, 2w): the sum of ddst's four tiles.
func AddTiledBackward(dSrc, ddst *tensor.Tensor) {
	checkTiled("AddTiledBackward", ddst, dSrc)
	parallelChannels(ddst.N*ddst.C, func(i int) {
		n, c := i/ddst.C, i%ddst.C
		s, d := ddst.Plane(n, c), dSrc.Plane(n, c)
		clear(d)
		for y := 0; y < ddst.H; y++ {
			row := d[(y%dSrc.H)*dSrc.W : (y%dSrc.H+1)*dSrc.W]
			Add(row, s[y*ddst.W:y*ddst.W+dSrc.W])
			Add(row, s[y*ddst.W+dSrc.W:(y+1)*ddst.W])
		}
	})
}

func checkTiled(fn string, full, tile *tensor.Tensor) {
	if full.N != tile.N || full.C != tile.C || full.H != 2*tile.H || full.W != 2*tile.W {
		panic(fmt.Sprintf("nn: %s: full %v is not tile %v repeated 2×2", fn, full, tile))
	}
}

// ConcatChannels writes a (N, Ca, H, W) and b (N, Cb, H, W) one after the
// other on channels into dst (N, Ca+Cb, H, W): LaMa's ConcatTupleLayer.
func ConcatChannels(dst, a, b *tensor.Tensor) {
	checkConcat("ConcatChannels", dst, a, b)
	for n := 0; n < dst.N; n++ {
		copy(dst.Channels(n, 0, a.C), a.Channels(n, 0, a.C))
		copy(dst.Channels(n, a.C, b.C), b.Channels(n, 0, b.C))
	}
}

// ConcatChannelsBackward splits ddst (N, Ca+Cb, H, W) = ∂L/∂dst into the
// gradients da (N, Ca, H, W) and db (N, Cb, H, W), overwriting them.
func ConcatChannelsBackward(da, db, ddst *tensor.Tensor) {
	checkConcat("ConcatChannelsBackward", ddst, da, db)
	for n := 0; n < ddst.N; n++ {
		copy(da.Channels(n, 0, da.C), ddst.Channels(n, 0, da.C))
		copy(db.Channels(n, 0, db.C), ddst.Channels(n, da.C, db.C))
	}
}

func checkConcat(fn string, all, a, b *tensor.Tensor) {
	if a.N != all.N || b.N != all.N || a.C+b.C != all.C || a.H != all.H || b.H != all.H || a.W != all.W || b.W != all.W {
		panic(fmt.Sprintf("nn: %s: %v is not %v and %v joined on channels", fn, all, a, b))
	}
}
