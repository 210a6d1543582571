package restore

import (
	"context"
	"fmt"
	"image"
	"math"

	"github.com/aerofill/aerofill/tensor"
)

// TileGrid places tiles of side tile over an h×w image so that
// neighbours overlap by at least overlap pixels; the last tile of a row or
// column is aligned with the image's edge. An image no larger than a tile
// is one tile of the image's size.
func TileGrid(h, w, tile, overlap int) []image.Rectangle {
	ys := tileStarts(h, tile, overlap)
	xs := tileStarts(w, tile, overlap)
	rects := make([]image.Rectangle, 0, len(ys)*len(xs))
	for _, y := range ys {
		for _, x := range xs {
			rects = append(rects, image.Rect(x, y, min(x+tile, w), min(y+tile, h)))
		}
	}
	return rects
}

// tileStarts returns the tile offsets along one axis of length n.
func tileStarts(n, tile, overlap int) []int {
	if n <= tile {
		return []int{0}
	}
	step := tile - overlap
	count := (n - overlap + step - 1) / step // tiles needed to cover n
	starts := make([]int, count)
	for i := range starts {
		// Spread the tiles evenly so every overlap is at least `overlap`.
		starts[i] = int(math.Round(float64(i) * float64(n-tile) / float64(count-1)))
	}
	return starts
}

// blendWeight is a tile's weight at offset i along an axis of a tile that
// spans [lo, hi) of [0, n): 1 inside, falling smoothly (raised cosine) to
// near 0 across `ramp` pixels at edges shared with a neighbour; image
// edges keep weight 1, since no other tile covers them.
func blendWeight(i, lo, hi, n, ramp int) float32 {
	w := 1.0
	if ramp > 0 {
		if lo > 0 && i-lo < ramp {
			w = math.Min(w, smoothstep(float64(i-lo)+0.5, float64(ramp)))
		}
		if hi < n && hi-1-i < ramp {
			w = math.Min(w, smoothstep(float64(hi-1-i)+0.5, float64(ramp)))
		}
	}
	return float32(w)
}

func smoothstep(x, ramp float64) float64 {
	t := x / ramp
	return 0.5 - 0.5*math.Cos(math.Pi*t)
}

// Tiled restores images larger than a tile in overlapping tiles, blended
// with smooth weights so no seam shows. Tiles without damage are not
// computed. Workers tiles run at once (0: one, since a model already uses
// every core for one tile).
type Tiled struct {
	M       Method
	Tile    int
	Overlap int
	Workers int
}

func (t Tiled) Name() string { return t.M.Name() }

func (t Tiled) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	if img.N != 1 {
		return nil, fmt.Errorf("restore: tiled restore takes one image at a time, got %d", img.N)
	}
	if t.Tile <= 0 || t.Overlap < 0 || t.Overlap >= t.Tile {
		return nil, fmt.Errorf("restore: tile %d with overlap %d", t.Tile, t.Overlap)
	}
	if img.H <= t.Tile && img.W <= t.Tile {
		return t.M.Restore(img, mask)
	}
	rects := TileGrid(img.H, img.W, t.Tile, t.Overlap)
	// Tiles are blended in grid order once all are done, so that the
	// float32 sums, and the result, do not depend on the workers.
	results := make([]*tensor.Tensor, len(rects))
	err := ForEach(context.Background(), len(rects), max(t.Workers, 1), func(i int) error {
		ti, tm := Crop(img, rects[i]), Crop(mask, rects[i])
		if !anyNonZero(tm.Data) {
			return nil
		}
		res, err := t.M.Restore(ti, tm)
		results[i] = res
		return err
	})
	if err != nil {
		return nil, err
	}
	acc := NewBlender(img.H, img.W, img.H, 3, t.Overlap)
	for i, res := range results {
		if res != nil {
			acc.Add([][]float32{res.Plane(0, 0), res.Plane(0, 1), res.Plane(0, 2)}, rects[i])
		}
	}
	out := img.Clone()
	m := mask.Plane(0, 0)
	v := make([]float32, 3)
	for y := 0; y < img.H; y++ {
		for x := 0; x < img.W; x++ {
			if i := y*img.W + x; m[i] != 0 && acc.At(x, y, v) {
				for c := range v {
					out.Plane(0, c)[i] = v[c]
				}
			}
		}
	}
	return out, nil
}

// Blender accumulates weighted tile results over a band of rows of an
// h×w image: sums of each channel's values and of the weights (smooth
// ramps over the tiles' overlaps, see blendWeight), for rows
// [Y0(), Y0()+rows). Whole images use one band of h rows; scenes slide a
// band of one tile row down the image (Advance).
type Blender struct {
	h, w, ramp int
	y0, rows   int
	sum        [][]float32 // per channel, rows·w
	weight     []float32   // rows·w
}

// NewBlender returns a blender for a c-channel h×w image whose tiles
// overlap by ramp pixels, holding rows [0, rows).
func NewBlender(h, w, rows, c, ramp int) *Blender {
	b := &Blender{h: h, w: w, ramp: ramp, rows: rows, sum: make([][]float32, c), weight: make([]float32, rows*w)}
	for i := range b.sum {
		b.sum[i] = make([]float32, rows*w)
	}
	return b
}

// Y0 is the first image row the blender holds.
func (b *Blender) Y0() int { return b.y0 }

// Add accumulates one tile's result placed at r (image coordinates, inside
// the band): planes[c] holds r.Dx()·r.Dy() values, row by row. A pixel
// whose first plane holds NaN was left unfilled by the tile; it adds
// nothing.
func (b *Blender) Add(planes [][]float32, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		wy := blendWeight(y, r.Min.Y, r.Max.Y, b.h, b.ramp)
		for x := r.Min.X; x < r.Max.X; x++ {
			j := (y-r.Min.Y)*r.Dx() + (x - r.Min.X)
			if math.IsNaN(float64(planes[0][j])) {
				continue
			}
			wgt := wy * blendWeight(x, r.Min.X, r.Max.X, b.w, b.ramp)
			k := (y-b.y0)*b.w + x
			b.weight[k] += wgt
			for c, s := range b.sum {
				s[k] += wgt * planes[c][j]
			}
		}
	}
}

// At writes the blended values of pixel (x, y) (a row of the band) into
// v, one per channel, and reports whether any tile covered it.
func (b *Blender) At(x, y int, v []float32) bool {
	k := (y-b.y0)*b.w + x
	if b.weight[k] == 0 {
		return false
	}
	inv := 1 / b.weight[k]
	for c, s := range b.sum {
		v[c] = s[k] * inv
	}
	return true
}

// Advance moves the band down to start at image row y (≥ Y0()): the rows
// above y are dropped, the rows the old band shares with the new one are
// kept, and the rest start empty.
func (b *Blender) Advance(y int) {
	n := (y - b.y0) * b.w
	keep := max(len(b.weight)-n, 0)
	for _, s := range append(b.sum, b.weight) {
		if keep > 0 {
			copy(s, s[n:n+keep])
		}
		clear(s[keep:])
	}
	b.y0 = y
}

// Crop copies region r of image 0 of t into a new (1, C, r.Dy(), r.Dx()) tensor.
func Crop(t *tensor.Tensor, r image.Rectangle) *tensor.Tensor {
	out := tensor.New(1, t.C, r.Dy(), r.Dx())
	for c := 0; c < t.C; c++ {
		src, dst := t.Plane(0, c), out.Plane(0, c)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			copy(dst[(y-r.Min.Y)*r.Dx():(y-r.Min.Y+1)*r.Dx()], src[y*t.W+r.Min.X:y*t.W+r.Max.X])
		}
	}
	return out
}

func anyNonZero(p []float32) bool {
	for _, v := range p {
		if v != 0 {
			return true
		}
	}
	return false
}
