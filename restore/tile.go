package restore

import (
	"fmt"
	"image"
	"math"
	"runtime"
	"sync"

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
	out := img.Clone()
	acc := NewBlender(img.H, img.W, 3, t.Overlap)
	rects := TileGrid(img.H, img.W, t.Tile, t.Overlap)
	workers := max(t.Workers, 1)
	// Tiles are blended in grid order once all are done, so that the
	// float32 sums, and the result, do not depend on the workers.
	results := make([]*tensor.Tensor, len(rects))
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	for range min(workers, runtime.GOMAXPROCS(0)*4) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := rects[i]
				ti, tm := Crop(img, r), Crop(mask, r)
				if !anyNonZero(tm.Data) {
					continue
				}
				res, err := t.M.Restore(ti, tm)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				results[i] = res
				mu.Unlock()
			}
		}()
	}
	for i := range rects {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for i, res := range results {
		if res != nil {
			acc.Add(res, rects[i])
		}
	}
	acc.Resolve(out, mask, image.Rect(0, 0, img.W, img.H))
	return out, nil
}

// Blender accumulates weighted tile results over a region of an image.
type Blender struct {
	h, w, c, ramp int
	sum           []float32 // c·h·w
	weight        []float32 // h·w
}

// NewBlender returns a blender for an h×w, c-channel image whose tiles
// overlap by ramp pixels.
func NewBlender(h, w, c, ramp int) *Blender {
	return &Blender{h: h, w: w, c: c, ramp: ramp, sum: make([]float32, c*h*w), weight: make([]float32, h*w)}
}

// Add accumulates a (1, c, r.Dy(), r.Dx()) tile result placed at r.
func (b *Blender) Add(res *tensor.Tensor, r image.Rectangle) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		wy := blendWeight(y, r.Min.Y, r.Max.Y, b.h, b.ramp)
		for x := r.Min.X; x < r.Max.X; x++ {
			wgt := wy * blendWeight(x, r.Min.X, r.Max.X, b.w, b.ramp)
			i := y*b.w + x
			b.weight[i] += wgt
			j := (y-r.Min.Y)*r.Dx() + (x - r.Min.X)
			for c := 0; c < b.c; c++ {
				b.sum[c*b.h*b.w+i] += wgt * res.Plane(0, c)[j]
			}
		}
	}
}

// Resolve writes the blended values of the damaged pixels (mask ≠ 0) of
// region r into out; known pixels are left as they are.
func (b *Blender) Resolve(out, mask *tensor.Tensor, r image.Rectangle) {
	m := mask.Plane(0, 0)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := y*b.w + x
			if m[i] == 0 || b.weight[i] == 0 {
				continue
			}
			inv := 1 / b.weight[i]
			for c := 0; c < b.c; c++ {
				out.Plane(0, c)[i] = b.sum[c*b.h*b.w+i] * inv
			}
		}
	}
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
