package fft

import (
	"fmt"
	"math"
)

// ForwardRef is the definition of Plan2D.Forward, evaluated directly in
// float64 in O((H·W)·(H·B)) time:
//
//	re[u*B+v] + i·im[u*B+v] = (1/√(HW)) Σ_{y,x'} x[y*W+x']·e^{−2πi(uy/H + vx'/W)}
//
// with B = w/2+1. It is meant for tests and small sizes.
func ForwardRef(re, im, x []float32, h, w int) {
	checkRef(x, re, im, h, w)
	r, i := forwardRef64(x, h, w)
	for k := range r {
		re[k], im[k] = float32(r[k]), float32(i[k])
	}
}

// forwardRef64 is ForwardRef before the rounding to float32.
func forwardRef64(x []float32, h, w int) (re, im []float64) {
	b := w/2 + 1
	re, im = make([]float64, h*b), make([]float64, h*b)
	ch, sh := unitCircle(h)
	cw, sw := unitCircle(w)
	scale := 1 / math.Sqrt(float64(h)*float64(w))
	for u := 0; u < h; u++ {
		for v := 0; v < b; v++ {
			var sr, si float64
			for y := 0; y < h; y++ {
				// e^{−iα} with α = 2π·uy/H
				ar, ai := ch[u*y%h], -sh[u*y%h]
				for j := 0; j < w; j++ {
					// e^{−iα}·e^{−iβ} with β = 2π·vx'/W
					br, bi := cw[v*j%w], -sw[v*j%w]
					xv := float64(x[y*w+j])
					sr += xv * (ar*br - ai*bi)
					si += xv * (ar*bi + ai*br)
				}
			}
			re[u*b+v], im[u*b+v] = sr*scale, si*scale
		}
	}
	return re, im
}

// InverseRef is the definition of Plan2D.Inverse, evaluated directly in
// float64, step by step as numpy.fft.irfft2(re+i·im, s=(h,w), norm="ortho")
// is specified:
//
//  1. g = inverse DFT of each column (over u), giving H rows of B bins;
//  2. each row g[y] is extended to all W bins by Hermitian symmetry,
//     g[y][W−v] = conj g[y][v], after dropping the imaginary parts of bin 0
//     and, for even W, bin W/2 (a real signal has none);
//  3. x[y][x'] is the inverse DFT of that row (real by construction);
//
// each scaled by 1/√ of its length.
func InverseRef(x, re, im []float32, h, w int) {
	checkRef(x, re, im, h, w)
	for k, v := range inverseRef64(re, im, h, w) {
		x[k] = float32(v)
	}
}

// inverseRef64 is InverseRef before the rounding to float32.
func inverseRef64(re, im []float32, h, w int) []float64 {
	b := w/2 + 1
	x := make([]float64, h*w)
	ch, sh := unitCircle(h)
	cw, sw := unitCircle(w)
	gr := make([]float64, h*b)
	gi := make([]float64, h*b)
	for y := 0; y < h; y++ {
		for v := 0; v < b; v++ {
			var sr, si float64
			for u := 0; u < h; u++ {
				c, s := ch[u*y%h], sh[u*y%h] // e^{+2πi·uy/H}
				fr, fi := float64(re[u*b+v]), float64(im[u*b+v])
				sr += fr*c - fi*s
				si += fr*s + fi*c
			}
			gr[y*b+v], gi[y*b+v] = sr, si
		}
	}
	full := make([]complexParts, w)
	scale := 1 / math.Sqrt(float64(h)*float64(w))
	for y := 0; y < h; y++ {
		for v := 0; v < b; v++ {
			full[v] = complexParts{gr[y*b+v], gi[y*b+v]}
		}
		full[0].im = 0
		if w%2 == 0 {
			full[w/2].im = 0
		}
		for v := b; v < w; v++ {
			full[v] = complexParts{full[w-v].re, -full[w-v].im}
		}
		for j := 0; j < w; j++ {
			var sr float64
			for v := 0; v < w; v++ {
				c, s := cw[v*j%w], sw[v*j%w] // e^{+2πi·vx'/W}
				sr += full[v].re*c - full[v].im*s
			}
			x[y*w+j] = sr * scale
		}
	}
	return x
}

func checkRef(x, re, im []float32, h, w int) {
	b := w/2 + 1
	if h < 1 || w < 1 || len(x) != h*w || len(re) != h*b || len(im) != h*b {
		panic(fmt.Sprintf("fft: reference for %d×%d given %d plane values and %d+%d spectrum values", h, w, len(x), len(re), len(im)))
	}
}

// unitCircle returns cos and sin of 2πk/n for k < n.
func unitCircle(n int) (c, s []float64) {
	c, s = make([]float64, n), make([]float64, n)
	for k := range c {
		c[k], s[k] = math.Cos(2*math.Pi*float64(k)/float64(n)), math.Sin(2*math.Pi*float64(k)/float64(n))
	}
	return c, s
}
