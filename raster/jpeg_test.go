package raster

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// upsampleRef is upsample written per output sample: the libjpeg filters
// of its doc comment, straight from their formulas.
func upsampleRef(dst []byte, w, h int, src []byte, stride, hs, vs int) {
	sw, sh := (w+hs-1)/hs, (h+vs-1)/vs
	at := func(x, y int) int {
		return int(src[min(max(y, 0), sh-1)*stride+min(max(x, 0), sw-1)])
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i, j := x/hs, y/vs
			dx, dy := 1-2*(x%2), 1-2*(y%2) // toward the farther neighbour: -1 or +1
			var v int
			switch {
			case hs == 2 && vs == 1 && sw > 2:
				v = (3*at(i, j) + at(i-dx, j) + 1 + x%2) >> 2
			case hs == 1 && vs == 2:
				v = (3*at(i, j) + at(i, j-dy) + 1 + y%2) >> 2
			case hs == 2 && vs == 2 && sw > 2:
				col := func(c int) int { return 3*at(c, j) + at(c, j-dy) }
				v = (3*col(i) + col(i-dx) + 8 - x%2) >> 4
			default:
				v = at(i, j)
			}
			dst[y*w+x] = byte(v)
		}
	}
}

func TestUpsampleMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, f := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {2, 2}, {4, 1}, {4, 2}} {
		for _, w := range []int{1, 2, 3, 4, 5, 7, 33, 257} {
			for _, h := range []int{1, 2, 7, 33} {
				sw, sh := (w+f[0]-1)/f[0], (h+f[1]-1)/f[1]
				stride := sw + 3
				src := make([]byte, stride*sh)
				for i := range src {
					src[i] = byte(rng.IntN(256))
				}
				got, want := make([]byte, w*h), make([]byte, w*h)
				upsample(got, w, h, src, stride, f[0], f[1])
				upsampleRef(want, w, h, src, stride, f[0], f[1])
				if !bytes.Equal(got, want) {
					t.Fatalf("factors %v, %d×%d: differs from the reference", f, w, h)
				}
			}
		}
	}
}

// yccToRGBRef is yccToRGB without tables.
func yccToRGBRef(out, y, cb, cr []byte) {
	clamp := func(v int32) byte { return byte(min(max(v, 0), 255)) }
	for i := range y {
		yy, b, r := int32(y[i]), int32(cb[i])-128, int32(cr[i])-128
		out[3*i] = clamp(yy + (91881*r+1<<15)>>16)
		out[3*i+1] = clamp(yy + (-22554*b-46802*r+1<<15)>>16)
		out[3*i+2] = clamp(yy + (116130*b+1<<15)>>16)
	}
}

// TestYCCToRGB checks every Y, Cb, Cr combination against the reference,
// and a few values against the JFIF equations in floating point.
func TestYCCToRGB(t *testing.T) {
	n := 256 * 256
	y, cb, cr := make([]byte, n), make([]byte, n), make([]byte, n)
	got, want := make([]byte, 3*n), make([]byte, 3*n)
	for yy := 0; yy < 256; yy++ {
		for i := 0; i < n; i++ {
			y[i], cb[i], cr[i] = byte(yy), byte(i), byte(i>>8)
		}
		yccToRGB(got, y, cb, cr)
		yccToRGBRef(want, y, cb, cr)
		if !bytes.Equal(got, want) {
			t.Fatalf("Y=%d: differs from the reference", yy)
		}
	}
	out := make([]byte, 3)
	for _, c := range [][6]byte{
		{128, 128, 128, 128, 128, 128}, // gray
		{76, 85, 255, 254, 0, 0},       // red
		{150, 44, 21, 0, 255, 1},       // green
		{29, 255, 107, 0, 0, 254},      // blue
		{0, 0, 0, 0, 135, 0},           // clamped
	} {
		yccToRGB(out, c[:1], c[1:2], c[2:3])
		if !bytes.Equal(out, c[3:]) {
			t.Errorf("YCbCr %v → %v, want %v", c[:3], out, c[3:])
		}
	}
}
