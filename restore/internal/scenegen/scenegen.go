// Package scenegen builds large damaged test scenes for the restore
// pipeline's memory and throughput measurements: real imagery repeated
// over a scene of any size, with straight lines of nodata drawn across it,
// written as a GeoTIFF one band of rows at a time so that making a
// 20,000 × 20,000 scene takes memory proportional to its width, not its
// area.
//
// It is a test tool, not part of aerofill's API: the imagery it repeats is
// real, but the mosaic is not a photograph of any place.
package scenegen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/aerofill/aerofill/raster"
)

// Line is a straight band of damage: the pixels whose centres lie within
// Width/2 of the line through (X0, Y0) and (X1, Y1).
type Line struct {
	X0, Y0, X1, Y1 float64
	Width          float64
}

// Lines returns n lines with random positions and angles, 2–8 pixels wide,
// that cross a w×h scene from edge to edge; the same seed gives the same
// lines.
func Lines(w, h, n int, seed uint64) []Line {
	r := rand.New(rand.NewPCG(seed, 0x5ce9e))
	lines := make([]Line, n)
	for i := range lines {
		// A point inside the scene and a direction; the line is extended
		// far beyond the scene, so it crosses it completely.
		px, py := r.Float64()*float64(w), r.Float64()*float64(h)
		a := r.Float64() * math.Pi
		far := 2 * float64(w+h)
		lines[i] = Line{
			X0: px - far*math.Cos(a), Y0: py - far*math.Sin(a),
			X1: px + far*math.Cos(a), Y1: py + far*math.Sin(a),
			Width: 2 + 6*r.Float64(),
		}
	}
	return lines
}

// Span returns the columns [x0, x1) of row y (pixel centres at y+0.5)
// that line l covers, clipped to [0, w); x0 == x1 when none.
func (l Line) Span(y, w int) (x0, x1 int) {
	dx, dy := l.X1-l.X0, l.Y1-l.Y0
	n := math.Hypot(dx, dy)
	if n == 0 {
		return 0, 0
	}
	// Distance of (x, yc) from the line: |dy·(x−X0) − dx·(yc−Y0)| / n.
	yc := float64(y) + 0.5
	c := -dx * (yc - l.Y0)
	hw := l.Width / 2 * n
	var lo, hi float64
	if dy == 0 {
		if math.Abs(c) > hw {
			return 0, 0
		}
		lo, hi = math.Inf(-1), math.Inf(1)
	} else {
		// |dy·(x−X0) + c| ≤ hw  ⇔  x ∈ X0 + [(−hw−c)/dy, (hw−c)/dy].
		a, b := (-hw-c)/dy, (hw-c)/dy
		lo, hi = l.X0+math.Min(a, b), l.X0+math.Max(a, b)
	}
	// Pixel x has its centre at x+0.5.
	x0 = int(math.Max(0, math.Ceil(lo-0.5)))
	x1 = int(math.Min(float64(w), math.Floor(hi-0.5)+1))
	if x1 < x0 {
		return 0, 0
	}
	return x0, x1
}

// Source is an RGB image to repeat: three planes of w·h bytes.
type Source struct {
	W, H int
	RGB  [3][]uint8
}

// ReadSource reads bands (three band indices) of the rectangle (x0, y0,
// w, h) of a raster as 8-bit RGB; w or h 0 means up to the raster's edge.
func ReadSource(path string, bands [3]int, x0, y0, w, h int) (Source, error) {
	r, err := raster.Open(path)
	if err != nil {
		return Source{}, err
	}
	defer r.Close()
	info := r.Info()
	if info.Type != raster.Uint8 {
		return Source{}, fmt.Errorf("scenegen: %s: %v samples, want Byte", path, info.Type)
	}
	if w == 0 {
		w = info.Width - x0
	}
	if h == 0 {
		h = info.Height - y0
	}
	planes := make([][]uint8, info.Bands)
	for _, b := range bands {
		planes[b] = make([]uint8, w*h)
	}
	if err := r.ReadWindowNative(x0, y0, w, h, planes); err != nil {
		return Source{}, fmt.Errorf("scenegen: %s: %w", path, err)
	}
	return Source{W: w, H: h, RGB: [3][]uint8{planes[bands[0]], planes[bands[1]], planes[bands[2]]}}, nil
}

// Options describe a scene for Make.
type Options struct {
	Width, Height int
	Sources       []Source // repeated in cells of Cell×Cell pixels, mirrored so neighbours meet smoothly
	Cell          int      // 0: 2048
	Lines         []Line   // drawn with value 0, the scene's nodata value
	Geo           *raster.Geo
	Write         raster.WriteOptions
}

// Make writes the scene to path: an 8-bit RGB GeoTIFF with nodata 0, no
// pixel of which is 0 in all bands except under the lines. It returns the
// number of damaged pixels.
func Make(path string, opt Options) (int64, error) {
	W, H := opt.Width, opt.Height
	if W <= 0 || H <= 0 || len(opt.Sources) == 0 {
		return 0, fmt.Errorf("scenegen: %d×%d scene from %d sources", W, H, len(opt.Sources))
	}
	cell := opt.Cell
	if cell <= 0 {
		cell = 2048
	}
	info := raster.Info{Width: W, Height: H, Bands: 3, Type: raster.Uint8, Alpha: -1,
		Photometric: raster.PhotometricRGB, NoDataText: "0", Geo: opt.Geo}
	out, err := raster.Create(path, info, opt.Write)
	if err != nil {
		return 0, err
	}
	const band = 256 // rows written at once
	rows := [][]uint8{make([]uint8, W*band), make([]uint8, W*band), make([]uint8, W*band)}
	cellsAcross := (W + cell - 1) / cell
	var holes int64
	for y0 := 0; y0 < H; y0 += band {
		bh := min(band, H-y0)
		for y := 0; y < bh; y++ {
			gy := y0 + y
			for cx := 0; cx < cellsAcross; cx++ {
				src := opt.Sources[((gy/cell)*cellsAcross+cx)%len(opt.Sources)]
				for x := cx * cell; x < min((cx+1)*cell, W); x++ {
					sx, sy := mirror(x, src.W), mirror(gy, src.H)
					j := sy*src.W + sx
					i := y*W + x
					for c := 0; c < 3; c++ {
						rows[c][i] = max(src.RGB[c][j], 1) // keep 0 for the damage
					}
				}
			}
			for _, l := range opt.Lines {
				x0, x1 := l.Span(gy, W)
				for c := 0; c < 3; c++ {
					clear(rows[c][y*W+x0 : y*W+x1])
				}
			}
			for i := y * W; i < (y+1)*W; i++ {
				if rows[0][i]|rows[1][i]|rows[2][i] == 0 {
					holes++
				}
			}
		}
		win := [][]uint8{rows[0][:W*bh], rows[1][:W*bh], rows[2][:W*bh]}
		if err := out.WriteWindowNative(0, y0, W, bh, win); err != nil {
			out.Abort()
			return 0, err
		}
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return holes, nil
}

// mirror maps coordinate i onto [0, n) by reflecting at the edges
// (0 1 … n−1 n−1 … 0 0 1 …), so repeated copies meet without a jump.
func mirror(i, n int) int {
	i %= 2 * n
	if i >= n {
		i = 2*n - 1 - i
	}
	return i
}
