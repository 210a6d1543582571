// Package fill implements classical inpainting of holes in rasters: Telea's
// fast-marching method (OpenCV's INPAINT_TELEA), OpenCV's Navier–Stokes
// flavoured variant of it (INPAINT_NS), and GDAL's inverse-distance
// "fill nodata" interpolation (GDALFillNodata, gdal_fillnodata.py).
//
// Every filler works on planar float32 bands of any value range (8-bit,
// 16-bit, reflectance) and a byte mask whose non-zero entries mark the holes,
// and writes only hole pixels, in place. The algorithms, including their
// processing order and tie-breaking, follow OpenCV 4 (modules/photo/src/
// inpaint.cpp) and GDAL 3 (alg/rasterfill.cpp); where those tools depend on
// 8-bit rounding or mishandle the image border, this package does the
// value-range independent or border-correct thing instead, as documented on
// each type. The fillers are deterministic and safe for concurrent use.
//
// Package fill is not a learned inpainter (the model lives in package lama)
// and does no I/O: it knows nothing of files, nodata values or
// georeferencing, which the caller turns into bands and a mask.
package fill

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"strconv"
	"strings"
)

// A Filler fills the holes of a raster.
//
// Fill takes bands of w·h float32 values each (row-major, one slice per
// band) and a mask of w·h bytes, non-zero marking a hole. It replaces the
// hole pixels of every band with estimates drawn from the known pixels and
// leaves the known pixels untouched. Hole pixels that have no known pixel to
// draw from (every pixel of an all-hole raster; for IDW, pixels farther than
// MaxDistance from any known pixel) keep their values. If the known pixels
// are finite, so is every filled pixel, whatever the holes held before.
//
// Fill returns a *ShapeError if w or h is not positive or a slice length is
// not w·h, and an error if the filler's parameters are invalid.
type Filler interface {
	Name() string
	Fill(bands [][]float32, w, h int, mask []uint8) error
}

// A ShapeError reports bands or a mask that do not match the raster size.
type ShapeError struct {
	Filler string // name of the filler that was called
	Detail string // what is wrong, e.g. "band 1 has 99 values, want 100 (10×10)"
}

func (e *ShapeError) Error() string { return "fill: " + e.Filler + ": " + e.Detail }

// Names returns the base names ByName accepts, in a fixed order.
func Names() []string { return []string{"telea", "ns", "idw"} }

// ByName returns the filler named name, case-insensitively: "telea", "ns"
// or "idw", optionally followed by a colon and comma-separated key=value
// options: "telea:r=3", "ns:radius=7", "idw:md=50,si=1". The keys are r or
// radius for telea and ns (Telea.Radius, NavierStokes.Radius), md for idw's
// MaxDistance and si for its SmoothingIterations, as in gdal_fillnodata.py.
// A filler's Name round-trips through ByName.
func ByName(name string) (Filler, error) {
	base, opts, _ := strings.Cut(strings.TrimSpace(name), ":")
	base = strings.ToLower(strings.TrimSpace(base))
	kv, err := parseOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("fill: filler %q: %w", name, err)
	}
	var f Filler
	switch base {
	case "telea", "ns":
		r, err := takeFloat(kv, "r", "radius")
		if err == nil && (r < 0 || math.IsInf(r, 0)) {
			err = fmt.Errorf("radius %v is not a non-negative number", r)
		}
		if err != nil {
			return nil, fmt.Errorf("fill: filler %q: %w", name, err)
		}
		if base == "telea" {
			f = Telea{Radius: r}
		} else {
			f = NavierStokes{Radius: r}
		}
	case "idw":
		md, err := takeFloat(kv, "md", "maxdistance")
		if err == nil && (md < 0 || math.IsInf(md, 0)) {
			err = fmt.Errorf("md %v is not a non-negative number", md)
		}
		if err != nil {
			return nil, fmt.Errorf("fill: filler %q: %w", name, err)
		}
		si, err := takeInt(kv, "si", "smoothing")
		if err == nil && si < 0 {
			err = fmt.Errorf("si %d is negative", si)
		}
		if err != nil {
			return nil, fmt.Errorf("fill: filler %q: %w", name, err)
		}
		f = IDW{MaxDistance: md, SmoothingIterations: si}
	default:
		return nil, fmt.Errorf("fill: unknown filler %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	for k := range kv {
		return nil, fmt.Errorf("fill: filler %q: unknown option %q", name, k)
	}
	return f, nil
}

// parseOptions splits "a=1,b=2" into a map with lower-case keys.
func parseOptions(s string) (map[string]string, error) {
	kv := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return kv, nil
	}
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("option %q is not key=value", strings.TrimSpace(field))
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("option %q given twice", k)
		}
		kv[k] = v
	}
	return kv, nil
}

// takeFloat removes the first of keys present in kv and parses its value;
// it returns 0 if none is present.
func takeFloat(kv map[string]string, keys ...string) (float64, error) {
	s, key, err := take(kv, keys)
	if s == "" || err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("option %s: %w", key, err)
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("option %s: NaN", key)
	}
	return v, nil
}

func takeInt(kv map[string]string, keys ...string) (int, error) {
	s, key, err := take(kv, keys)
	if s == "" || err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("option %s: %w", key, err)
	}
	return v, nil
}

func take(kv map[string]string, keys []string) (value, key string, err error) {
	for _, k := range keys {
		v, ok := kv[k]
		if !ok {
			continue
		}
		if value != "" {
			return "", "", fmt.Errorf("options %s and %s both given", key, k)
		}
		value, key = v, k
		delete(kv, k)
	}
	return value, key, nil
}

// formatName renders a filler name with its non-default options.
func formatName(base string, opts ...string) string {
	var set []string
	for i := 0; i+1 < len(opts); i += 2 {
		if opts[i+1] != "" {
			set = append(set, opts[i]+"="+opts[i+1])
		}
	}
	if len(set) == 0 {
		return base
	}
	return base + ":" + strings.Join(set, ",")
}

// FillImage fills the holes of an 8-bit image: it converts img to
// non-premultiplied RGBA, fills the red, green and blue channels where mask
// is non-zero (white), rounds the filled values to 8 bits and returns the
// result as a new image with img's bounds. Alpha is copied unchanged. The
// mask must have the same size as img; its origin may differ.
func FillImage(f Filler, img image.Image, mask *image.Gray) (*image.NRGBA, error) {
	if f == nil || img == nil || mask == nil {
		return nil, errors.New("fill: FillImage: nil filler, image or mask")
	}
	b, mb := img.Bounds(), mask.Bounds()
	w, h := b.Dx(), b.Dy()
	if mb.Dx() != w || mb.Dy() != h {
		return nil, &ShapeError{Filler: f.Name(), Detail: fmt.Sprintf("mask is %d×%d, image is %d×%d", mb.Dx(), mb.Dy(), w, h)}
	}
	if w <= 0 || h <= 0 {
		return nil, &ShapeError{Filler: f.Name(), Detail: fmt.Sprintf("image is empty (%d×%d)", w, h)}
	}
	out := image.NewNRGBA(b)
	draw.Draw(out, b, img, b.Min, draw.Src)

	n := w * h
	m := make([]uint8, n)
	for y := range h {
		row := mask.Pix[mask.PixOffset(mb.Min.X, mb.Min.Y+y):][:w]
		copy(m[y*w:], row)
	}
	bands := [][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}
	for y := range h {
		row := out.Pix[y*out.Stride:][:4*w]
		for x := range w {
			for c := range 3 {
				bands[c][y*w+x] = float32(row[4*x+c])
			}
		}
	}
	if err := f.Fill(bands, w, h, m); err != nil {
		return nil, err
	}
	for y := range h {
		row := out.Pix[y*out.Stride:][:4*w]
		for x := range w {
			if m[y*w+x] == 0 {
				continue
			}
			for c := range 3 {
				row[4*x+c] = to8(bands[c][y*w+x])
			}
		}
	}
	return out, nil
}

// to8 rounds v to the nearest 8-bit value, clamping out-of-range values;
// NaN maps to 0.
func to8(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// checkShape validates the common Fill arguments.
func checkShape(name string, bands [][]float32, w, h int, mask []uint8) error {
	if w <= 0 || h <= 0 {
		return &ShapeError{Filler: name, Detail: fmt.Sprintf("invalid size %d×%d", w, h)}
	}
	// Padded grids of (w+2)·(h+2) pixels are indexed with int32.
	if w > (math.MaxInt32-2)/(h+2)-2 {
		return &ShapeError{Filler: name, Detail: fmt.Sprintf("size %d×%d is too large", w, h)}
	}
	n := w * h
	if len(mask) != n {
		return &ShapeError{Filler: name, Detail: fmt.Sprintf("mask has %d bytes, want %d (%d×%d)", len(mask), n, w, h)}
	}
	for i, b := range bands {
		if len(b) != n {
			return &ShapeError{Filler: name, Detail: fmt.Sprintf("band %d has %d values, want %d (%d×%d)", i, len(b), n, w, h)}
		}
	}
	return nil
}
