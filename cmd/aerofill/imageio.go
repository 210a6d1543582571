package main

import (
	"fmt"
	"image"

	"github.com/aerofill/aerofill/raster"
)

// decodeImage reads a PNG, JPEG or TIFF file as an 8-bit RGB image (a
// grey raster is repeated on three channels; 16-bit and float rasters are
// scaled from their own value range — the scene pipeline keeps full
// precision, this is for chips and masks).
func decodeImage(path string) (image.Image, error) {
	r, err := raster.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	info := r.Info()
	w, h := info.Width, info.Height
	if int64(w)*int64(h) > 1<<28 {
		return nil, fmt.Errorf("%s: %d×%d is too large to load whole; use a scene command", path, w, h)
	}
	bands := make([][]float32, info.Bands)
	for i := range bands {
		bands[i] = make([]float32, w*h)
	}
	if err := r.ReadWindow(0, 0, w, h, bands); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	scale := float32(1)
	switch info.Type {
	case raster.Uint16:
		scale = 255.0 / 65535
	case raster.Float32, raster.Float64:
		scale = 255
	}
	rgb := [3][]float32{bands[0], bands[0], bands[0]}
	if info.Bands >= 3 {
		rgb = [3][]float32{bands[0], bands[1], bands[2]}
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		p := img.Pix[4*i : 4*i+4]
		for c := 0; c < 3; c++ {
			v := rgb[c][i]*scale + 0.5
			p[c] = uint8(min(max(v, 0), 255))
		}
		p[3] = 255
	}
	return img, nil
}
