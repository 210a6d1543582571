package main

import (
	"image"

	"github.com/aerofill/aerofill/train"
)

// decodeImage reads a PNG, JPEG or TIFF file as an 8-bit RGB image, the
// way the trainer reads its data (train.LoadImage: grey repeated on three
// channels, 16-bit and float rasters scaled from their type's range). The
// scene pipeline (restore.RestoreScene) keeps full precision; this is for
// chips and masks.
func decodeImage(path string) (image.Image, error) {
	m, err := train.LoadImage(path, 1)
	if err != nil {
		return nil, err
	}
	img := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i := 0; i < m.W*m.H; i++ {
		p := img.Pix[4*i : 4*i+4]
		p[0], p[1], p[2], p[3] = m.Pix[0][i], m.Pix[1][i], m.Pix[2][i], 255
	}
	return img, nil
}
