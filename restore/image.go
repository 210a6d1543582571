package restore

import (
	"fmt"
	"image"
	"image/color"

	"github.com/aerofill/aerofill/tensor"
)

// ImageTensor converts an image to a (1, 3, H, W) tensor in [0, 1]
// (8-bit precision: 16-bit images are reduced to their high byte).
func ImageTensor(img image.Image) *tensor.Tensor {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	t := tensor.New(1, 3, h, w)
	r, g, bl := t.Plane(0, 0), t.Plane(0, 1), t.Plane(0, 2)
	switch m := img.(type) {
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := m.Pix[y*m.Stride : y*m.Stride+4*w]
			for x := 0; x < w; x++ {
				i := y*w + x
				r[i], g[i], bl[i] = float32(row[4*x])/255, float32(row[4*x+1])/255, float32(row[4*x+2])/255
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				c := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				i := y*w + x
				r[i], g[i], bl[i] = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255
			}
		}
	}
	return t
}

// TensorImage converts image n of a (N, 3, H, W) tensor in [0, 1] to an
// opaque 8-bit image, rounding to the nearest level.
func TensorImage(t *tensor.Tensor, n int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, t.W, t.H))
	r, g, b := t.Plane(n, 0), t.Plane(n, 1), t.Plane(n, 2)
	for i := range r {
		p := m.Pix[4*i : 4*i+4]
		p[0], p[1], p[2], p[3] = to8(r[i]), to8(g[i]), to8(b[i]), 255
	}
	return m
}

func to8(v float32) uint8 {
	v = v*255 + 0.5
	if v <= 0 || v != v {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

// MaskTensor converts a mask image (white = damaged: grey level ≥ 128) to
// a (1, 1, H, W) tensor of 0 and 1, and counts the damaged pixels.
func MaskTensor(m image.Image) (*tensor.Tensor, int) {
	b := m.Bounds()
	t := tensor.New(1, 1, b.Dy(), b.Dx())
	p := t.Plane(0, 0)
	holes := 0
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			g := color.GrayModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.Gray)
			if g.Y >= 128 {
				p[y*b.Dx()+x] = 1
				holes++
			}
		}
	}
	return t, holes
}

// BlackMask marks the pure-black pixels (0, 0, 0) of a (1, 3, H, W) image
// tensor as damaged.
func BlackMask(img *tensor.Tensor) (*tensor.Tensor, int) {
	t := tensor.New(1, 1, img.H, img.W)
	p := t.Plane(0, 0)
	r, g, b := img.Plane(0, 0), img.Plane(0, 1), img.Plane(0, 2)
	holes := 0
	for i := range p {
		if r[i] == 0 && g[i] == 0 && b[i] == 0 {
			p[i] = 1
			holes++
		}
	}
	return t, holes
}

// CheckSizes returns an error when mask and image sizes differ.
func CheckSizes(img, mask *tensor.Tensor) error {
	if img.H != mask.H || img.W != mask.W {
		return fmt.Errorf("mask is %d×%d, image is %d×%d", mask.W, mask.H, img.W, img.H)
	}
	return nil
}
