package fill

import (
	"math"
	"math/rand/v2"
)

// Deterministic damage masks for the tests: a small stand-in for the mask
// package, good enough to exercise the fillers the way real damage does.

// lineMask draws n straight lines between random points on the image
// border, 1 to 4 pixels wide, like scan-line dropouts and cable shadows.
func lineMask(w, h int, seed uint64, n int) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 0x11e5))
	m := make([]uint8, w*h)
	edge := func() (float64, float64) {
		t := rng.Float64()
		switch rng.IntN(4) {
		case 0:
			return t * float64(w), 0
		case 1:
			return t * float64(w), float64(h)
		case 2:
			return 0, t * float64(h)
		}
		return float64(w), t * float64(h)
	}
	for range n {
		x0, y0 := edge()
		x1, y1 := edge()
		width := 1 + rng.Float64()*3
		segment(m, w, h, x0, y0, x1, y1, width/2)
	}
	return m
}

// strokeMask draws n free-hand brush strokes: random walks of 4 to 10
// segments with a brush 3 to 12 pixels wide, like LaMa's irregular masks.
func strokeMask(w, h int, seed uint64, n int) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 0x5707))
	m := make([]uint8, w*h)
	for range n {
		x, y := rng.Float64()*float64(w), rng.Float64()*float64(h)
		width := 3 + rng.Float64()*9
		angle := rng.Float64() * 2 * math.Pi
		for range 4 + rng.IntN(7) {
			angle += (rng.Float64() - 0.5) * 2
			l := (0.05 + 0.1*rng.Float64()) * float64(max(w, h))
			nx, ny := x+l*math.Cos(angle), y+l*math.Sin(angle)
			segment(m, w, h, x, y, nx, ny, width/2)
			x, y = nx, ny
		}
	}
	return m
}

// speckleMask marks each pixel with probability p.
func speckleMask(w, h int, seed uint64, p float64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 0x59ec))
	m := make([]uint8, w*h)
	for i := range m {
		if rng.Float64() < p {
			m[i] = 255
		}
	}
	return m
}

// segment marks the pixels whose centres lie within r of segment (x0,y0)–(x1,y1).
func segment(m []uint8, w, h int, x0, y0, x1, y1, r float64) {
	minX := max(0, int(math.Floor(min(x0, x1)-r-1)))
	maxX := min(w-1, int(math.Ceil(max(x0, x1)+r+1)))
	minY := max(0, int(math.Floor(min(y0, y1)-r-1)))
	maxY := min(h-1, int(math.Ceil(max(y0, y1)+r+1)))
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	for y := minY; y <= maxY; y++ {
		for x := minX; x <= maxX; x++ {
			px, py := float64(x)+0.5, float64(y)+0.5
			t := 0.0
			if l2 > 0 {
				t = min(1, max(0, ((px-x0)*dx+(py-y0)*dy)/l2))
			}
			ex, ey := px-(x0+t*dx), py-(y0+t*dy)
			if ex*ex+ey*ey <= r*r {
				m[y*w+x] = 255
			}
		}
	}
}

// clipMask clears the mask within margin pixels of the image border.
func clipMask(m []uint8, w, h, margin int) []uint8 {
	for y := range h {
		for x := range w {
			if x < margin || y < margin || x >= w-margin || y >= h-margin {
				m[y*w+x] = 0
			}
		}
	}
	return m
}
