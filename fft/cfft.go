package fft

import "math"

// This file holds the complex 1-D transform that Plan2D is built from: a
// Stockham autosort FFT over split real/imaginary float64 arrays, applied to
// many independent sequences ("lanes") at once.
//
// Layout: a batch of L sequences of length n is stored element-major,
// lane-minor: element k of lane l is at index k*L + l. Every butterfly then
// works on contiguous runs of L (or more) values, which is what makes both
// passes of the 2-D transform stream through memory: the column pass of an
// H×B row-major array is a batch of B lanes, and the row pass is a batch of
// ⌈H/2⌉ lanes after a transposing pack.
//
// Only the forward direction (e^{-2πi…}) is implemented. The inverse uses
// IDFT(z) = swap(DFT(swap(z))), where swap exchanges real and imaginary parts:
// with split arrays that is just passing (im, re) for (re, im).

// maxGenericRadix is the largest prime factor handled by an O(p²) butterfly;
// lengths with a larger prime factor go through Bluestein's algorithm.
// Measured with the AVX-512 kernels on 32 lanes (thread CPU time): a direct
// radix-127 transform takes 0.6× the time of a chirp-z one (26 µs against
// 43 µs); the cost of the direct one grows as p, so they meet near p ≈ 190.
// The assembly kernel's frame holds (maxGenericRadix−1)/2 vectors of 256
// bytes.
const maxGenericRadix = 127

// cplan is an immutable plan for forward complex DFTs of length n.
type cplan struct {
	n      int
	stages []stage
	blue   *bluestein // non-nil: the length is done by chirp-z, stages unused
}

// stage is one Stockham pass of radix p. The sequence being split has length
// p·m; s is the product of the radices of the passes before it (the distance,
// in elements, between consecutive values of one sub-sequence).
//
// Input value r·m + j of sub-sequence q (q < s) is read from element
// s·(j + r·m) + q; output k of butterfly j, multiplied by the twiddle
// w^{jk} with w = e^{-2πi/(p·m)}, goes to element s·(p·j + k) + q.
type stage struct {
	p, m, s int
	tw      []float64 // twiddles (nil if m = 1): w^{jk} at [2(j(p−1)+k−1)] (re), +1 (im); j < m, 1 ≤ k < p
	cs      []float64 // generic radix only: cos, sin of 2πkr/p at [2((k−1)h + r−1)], +1; 1 ≤ k, r ≤ h = (p−1)/2
}

// newCPlan returns a plan for length n ≥ 1. maxRadix is the largest prime
// factor done by a direct butterfly (tests lower it to reach Bluestein).
func newCPlan(n, maxRadix int) *cplan {
	maxRadix = min(maxRadix, maxGenericRadix)
	c := &cplan{n: n}
	radices, ok := factor(n, maxRadix)
	if !ok {
		c.blue = newBluestein(n)
		return c
	}
	root := rootsOfUnity(n)
	s := 1
	for _, p := range radices {
		c.stages = append(c.stages, newStage(p, n/(s*p), s, root))
		s *= p
	}
	return c
}

// newStage returns the radix-p stage that splits sequences of length p·m,
// after earlier stages with radices multiplying to s; root holds the n-th
// roots of unity, n = p·m·s.
func newStage(p, m, s int, root []complexParts) stage {
	st := stage{p: p, m: m, s: s}
	if m > 1 {
		st.tw = make([]float64, 2*m*(p-1))
		for j := 0; j < m; j++ {
			for k := 1; k < p; k++ {
				// w_{pm}^{jk} = w_n^{jk·s}; jk·s < n.
				e := j * k * s
				st.tw[2*(j*(p-1)+k-1)] = root[e].re
				st.tw[2*(j*(p-1)+k-1)+1] = root[e].im
			}
		}
	}
	if p > 5 {
		h := (p - 1) / 2
		st.cs = make([]float64, 2*h*h)
		for k := 0; k < h; k++ {
			for r := 0; r < h; r++ {
				st.cs[2*(k*h+r)], st.cs[2*(k*h+r)+1] = cossin2pi((k+1)*(r+1), p)
			}
		}
	}
	return st
}

// factor splits n into radices 4, 2, 3, 5 and odd primes up to maxRadix, in
// that order. It reports false if n has a prime factor above maxRadix.
func factor(n, maxRadix int) ([]int, bool) {
	var r []int
	for n%4 == 0 {
		r = append(r, 4)
		n /= 4
	}
	if n%2 == 0 {
		r = append(r, 2)
		n /= 2
	}
	for p := 3; n > 1; p += 2 {
		if p*p > n {
			p = n // n is prime
		}
		for n%p == 0 {
			if p > maxRadix {
				return nil, false
			}
			r = append(r, p)
			n /= p
		}
	}
	return r, true
}

type complexParts struct{ re, im float64 }

// rootsOfUnity returns e^{-2πik/n} for k < n, each computed from the exact
// fraction k/n (folded into the first octant) rather than by recurrence, so
// every entry is within an ulp or so of the true value.
func rootsOfUnity(n int) []complexParts {
	w := make([]complexParts, n)
	for k := range w {
		c, s := cossin2pi(k, n)
		w[k] = complexParts{c, -s}
	}
	return w
}

// cossin2pi returns cos(2πk/n) and sin(2πk/n), using the symmetries of the
// circle so that the argument passed to math.Sincos is at most π/4.
func cossin2pi(k, n int) (c, s float64) {
	k %= n
	if k < 0 {
		k += n
	}
	// angle = q·(π/2) + (π/2)·r/n with quadrant q < 4 and 0 ≤ r < n.
	q := (4 * k) / n
	r := 4*k - q*n
	var a, b float64 // cos, sin of (π/2)·r/n
	if 2*r <= n {
		b, a = math.Sincos(math.Pi / 2 * float64(r) / float64(n))
	} else {
		// (π/2)·r/n = π/2 − (π/2)·(n−r)/n
		a, b = math.Sincos(math.Pi / 2 * float64(n-r) / float64(n))
	}
	switch q {
	case 0:
		return a, b
	case 1:
		return -b, a
	case 2:
		return -a, -b
	default:
		return b, -a
	}
}

// transform computes the forward DFT of the L lanes held in (xr, xi), using
// (yr, yi) as a second buffer of the same size, and returns the pair of
// slices that holds the result (one of the two). work is scratch for
// Bluestein plans, at least c.workLen(L) long.
func (c *cplan) transform(xr, xi, yr, yi []float64, L int, work []float64) (rr, ri []float64) {
	if c.blue != nil {
		c.blue.transform(xr, xi, yr, yi, L, work)
		return yr, yi
	}
	for i := range c.stages {
		st := &c.stages[i]
		st.butterflies(xr, xi, yr, yi, st.s*L)
		xr, xi, yr, yi = yr, yi, xr, xi
	}
	return xr, xi
}

// butterflies runs the stage from x to y; bl = s·L is the length of the
// contiguous blocks it works on (see stage).
func (st *stage) butterflies(xr, xi, yr, yi []float64, bl int) {
	n := st.p * st.m * bl
	xr, xi, yr, yi = xr[:n], xi[:n], yr[:n], yi[:n]
	if st.simd(xr, xi, yr, yi, bl) {
		return
	}
	switch st.p {
	case 4:
		st.radix4(xr, xi, yr, yi, bl)
	case 2:
		st.radix2(xr, xi, yr, yi, bl)
	case 3:
		st.radix3(xr, xi, yr, yi, bl)
	case 5:
		st.radix5(xr, xi, yr, yi, bl)
	default:
		st.radixGeneric(xr, xi, yr, yi, bl)
	}
}

// workLen is the scratch length transform needs for L lanes.
func (c *cplan) workLen(L int) int {
	if c.blue == nil {
		return 0
	}
	return 4 * c.blue.m * L
}

// The butterflies below read block j + r·m and write block p·j + k, each
// block being bl = s·L contiguous values: see stage.

func (st *stage) radix2(xr, xi, yr, yi []float64, bl int) {
	m := st.m
	for j := 0; j < m; j++ {
		a0r, a0i := xr[j*bl:(j+1)*bl], xi[j*bl:(j+1)*bl]
		a1r, a1i := xr[(j+m)*bl:][:len(a0r)], xi[(j+m)*bl:][:len(a0r)]
		a0i = a0i[:len(a0r)]
		y0r, y0i := yr[2*j*bl:][:len(a0r)], yi[2*j*bl:][:len(a0r)]
		y1r, y1i := yr[(2*j+1)*bl:][:len(a0r)], yi[(2*j+1)*bl:][:len(a0r)]
		if j == 0 {
			for t := range a0r {
				ar, ai, br, bi := a0r[t], a0i[t], a1r[t], a1i[t]
				y0r[t], y0i[t] = ar+br, ai+bi
				y1r[t], y1i[t] = ar-br, ai-bi
			}
			continue
		}
		wr, wi := st.tw[2*j], st.tw[2*j+1]
		for t := range a0r {
			ar, ai, br, bi := a0r[t], a0i[t], a1r[t], a1i[t]
			y0r[t], y0i[t] = ar+br, ai+bi
			dr, di := ar-br, ai-bi
			y1r[t], y1i[t] = dr*wr-di*wi, dr*wi+di*wr
		}
	}
}

func (st *stage) radix4(xr, xi, yr, yi []float64, bl int) {
	m := st.m
	for j := 0; j < m; j++ {
		a0r, a0i := xr[j*bl:(j+1)*bl], xi[j*bl:(j+1)*bl]
		n := len(a0r)
		a0i = a0i[:n]
		a1r, a1i := xr[(j+m)*bl:][:n], xi[(j+m)*bl:][:n]
		a2r, a2i := xr[(j+2*m)*bl:][:n], xi[(j+2*m)*bl:][:n]
		a3r, a3i := xr[(j+3*m)*bl:][:n], xi[(j+3*m)*bl:][:n]
		y0r, y0i := yr[4*j*bl:][:n], yi[4*j*bl:][:n]
		y1r, y1i := yr[(4*j+1)*bl:][:n], yi[(4*j+1)*bl:][:n]
		y2r, y2i := yr[(4*j+2)*bl:][:n], yi[(4*j+2)*bl:][:n]
		y3r, y3i := yr[(4*j+3)*bl:][:n], yi[(4*j+3)*bl:][:n]
		if j == 0 {
			for t := range a0r {
				t0r, t0i := a0r[t]+a2r[t], a0i[t]+a2i[t]
				t1r, t1i := a0r[t]-a2r[t], a0i[t]-a2i[t]
				t2r, t2i := a1r[t]+a3r[t], a1i[t]+a3i[t]
				t3r, t3i := a1r[t]-a3r[t], a1i[t]-a3i[t]
				y0r[t], y0i[t] = t0r+t2r, t0i+t2i
				y2r[t], y2i[t] = t0r-t2r, t0i-t2i
				// y1 = t1 − i·t3, y3 = t1 + i·t3
				y1r[t], y1i[t] = t1r+t3i, t1i-t3r
				y3r[t], y3i[t] = t1r-t3i, t1i+t3r
			}
			continue
		}
		tw := st.tw[6*j : 6*j+6]
		w1r, w1i := tw[0], tw[1]
		w2r, w2i := tw[2], tw[3]
		w3r, w3i := tw[4], tw[5]
		for t := range a0r {
			t0r, t0i := a0r[t]+a2r[t], a0i[t]+a2i[t]
			t1r, t1i := a0r[t]-a2r[t], a0i[t]-a2i[t]
			t2r, t2i := a1r[t]+a3r[t], a1i[t]+a3i[t]
			t3r, t3i := a1r[t]-a3r[t], a1i[t]-a3i[t]
			y0r[t], y0i[t] = t0r+t2r, t0i+t2i
			br, bi := t0r-t2r, t0i-t2i
			y2r[t], y2i[t] = br*w2r-bi*w2i, br*w2i+bi*w2r
			br, bi = t1r+t3i, t1i-t3r
			y1r[t], y1i[t] = br*w1r-bi*w1i, br*w1i+bi*w1r
			br, bi = t1r-t3i, t1i+t3r
			y3r[t], y3i[t] = br*w3r-bi*w3i, br*w3i+bi*w3r
		}
	}
}

// sin(2π/3)
const sin60 = 0.86602540378443864676372317075293618347140262690519

func (st *stage) radix3(xr, xi, yr, yi []float64, bl int) {
	m := st.m
	for j := 0; j < m; j++ {
		a0r, a0i := xr[j*bl:(j+1)*bl], xi[j*bl:(j+1)*bl]
		n := len(a0r)
		a0i = a0i[:n]
		a1r, a1i := xr[(j+m)*bl:][:n], xi[(j+m)*bl:][:n]
		a2r, a2i := xr[(j+2*m)*bl:][:n], xi[(j+2*m)*bl:][:n]
		y0r, y0i := yr[3*j*bl:][:n], yi[3*j*bl:][:n]
		y1r, y1i := yr[(3*j+1)*bl:][:n], yi[(3*j+1)*bl:][:n]
		y2r, y2i := yr[(3*j+2)*bl:][:n], yi[(3*j+2)*bl:][:n]
		w1r, w1i, w2r, w2i := 1.0, 0.0, 1.0, 0.0
		if j > 0 {
			tw := st.tw[4*j : 4*j+4]
			w1r, w1i, w2r, w2i = tw[0], tw[1], tw[2], tw[3]
		}
		for t := range a0r {
			sr, si := a1r[t]+a2r[t], a1i[t]+a2i[t]
			dr, di := a1r[t]-a2r[t], a1i[t]-a2i[t]
			y0r[t], y0i[t] = a0r[t]+sr, a0i[t]+si
			mr, mi := a0r[t]-0.5*sr, a0i[t]-0.5*si
			// y1 = m − i·(√3/2)·d, y2 = m + i·(√3/2)·d
			br, bi := mr+sin60*di, mi-sin60*dr
			cr, ci := mr-sin60*di, mi+sin60*dr
			y1r[t], y1i[t] = br*w1r-bi*w1i, br*w1i+bi*w1r
			y2r[t], y2i[t] = cr*w2r-ci*w2i, cr*w2i+ci*w2r
		}
	}
}

// cos and sin of 2π/5 and 4π/5.
const (
	cos72  = 0.30901699437494742410229341718281905886436439673
	cos144 = -0.80901699437494742410229341718281905886436439673
	sin72  = 0.95105651629515357211643933337938214340569863413
	sin144 = 0.58778525229247312916870595463907276859765243764
)

func (st *stage) radix5(xr, xi, yr, yi []float64, bl int) {
	m := st.m
	var w [8]float64
	for j := 0; j < m; j++ {
		a0r, a0i := xr[j*bl:(j+1)*bl], xi[j*bl:(j+1)*bl]
		n := len(a0r)
		a0i = a0i[:n]
		a1r, a1i := xr[(j+m)*bl:][:n], xi[(j+m)*bl:][:n]
		a2r, a2i := xr[(j+2*m)*bl:][:n], xi[(j+2*m)*bl:][:n]
		a3r, a3i := xr[(j+3*m)*bl:][:n], xi[(j+3*m)*bl:][:n]
		a4r, a4i := xr[(j+4*m)*bl:][:n], xi[(j+4*m)*bl:][:n]
		y0r, y0i := yr[5*j*bl:][:n], yi[5*j*bl:][:n]
		y1r, y1i := yr[(5*j+1)*bl:][:n], yi[(5*j+1)*bl:][:n]
		y2r, y2i := yr[(5*j+2)*bl:][:n], yi[(5*j+2)*bl:][:n]
		y3r, y3i := yr[(5*j+3)*bl:][:n], yi[(5*j+3)*bl:][:n]
		y4r, y4i := yr[(5*j+4)*bl:][:n], yi[(5*j+4)*bl:][:n]
		w = [8]float64{1, 0, 1, 0, 1, 0, 1, 0}
		if j > 0 {
			copy(w[:], st.tw[8*j:8*j+8])
		}
		for t := range a0r {
			s1r, s1i := a1r[t]+a4r[t], a1i[t]+a4i[t]
			d1r, d1i := a1r[t]-a4r[t], a1i[t]-a4i[t]
			s2r, s2i := a2r[t]+a3r[t], a2i[t]+a3i[t]
			d2r, d2i := a2r[t]-a3r[t], a2i[t]-a3i[t]
			x0r, x0i := a0r[t], a0i[t]
			y0r[t], y0i[t] = x0r+s1r+s2r, x0i+s1i+s2i
			// k = 1, 4
			ar, ai := x0r+cos72*s1r+cos144*s2r, x0i+cos72*s1i+cos144*s2i
			br, bi := sin72*d1r+sin144*d2r, sin72*d1i+sin144*d2i
			pr, pi := ar+bi, ai-br // a − i·b
			qr, qi := ar-bi, ai+br // a + i·b
			y1r[t], y1i[t] = pr*w[0]-pi*w[1], pr*w[1]+pi*w[0]
			y4r[t], y4i[t] = qr*w[6]-qi*w[7], qr*w[7]+qi*w[6]
			// k = 2, 3
			ar, ai = x0r+cos144*s1r+cos72*s2r, x0i+cos144*s1i+cos72*s2i
			br, bi = sin144*d1r-sin72*d2r, sin144*d1i-sin72*d2i
			pr, pi = ar+bi, ai-br
			qr, qi = ar-bi, ai+br
			y2r[t], y2i[t] = pr*w[2]-pi*w[3], pr*w[3]+pi*w[2]
			y3r[t], y3i[t] = qr*w[4]-qi*w[5], qr*w[5]+qi*w[4]
		}
	}
}

// radixGeneric is the butterfly for an odd prime p ≤ maxGenericRadix:
// y_k = Σ_r a_r·e^{-2πirk/p}, pairing r with p−r so that each output pair
// (k, p−k) costs (p−1)/2 multiply-adds per component and term:
//
//	y_k, y_{p−k} = a_0 + Σ_r (a_r + a_{p−r})·cos(2πrk/p) ∓ i·Σ_r (a_r − a_{p−r})·sin(2πrk/p)
func (st *stage) radixGeneric(xr, xi, yr, yi []float64, bl int) {
	p, m := st.p, st.m
	h := (p - 1) / 2
	var sr, si, dr, di [maxGenericRadix / 2]float64
	var ur, ui [maxGenericRadix]float64
	mbl := m * bl
	for j := 0; j < m; j++ {
		var tw []float64
		if j > 0 {
			tw = st.tw[2*j*(p-1) : 2*(j+1)*(p-1)]
		}
		for t := 0; t < bl; t++ {
			i0 := j*bl + t
			x0r, x0i := xr[i0], xi[i0]
			y0r, y0i := x0r, x0i
			lo, hi := i0+mbl, i0+(p-1)*mbl // a_r and a_{p−r}
			for r := 0; r < h; r++ {
				ar, ai, br, bi := xr[lo], xi[lo], xr[hi], xi[hi]
				sr[r], si[r] = ar+br, ai+bi
				dr[r], di[r] = ar-br, ai-bi
				y0r += ar + br
				y0i += ai + bi
				lo += mbl
				hi -= mbl
			}
			o := p*j*bl + t
			yr[o], yi[o] = y0r, y0i
			for k := 0; k < h; k++ {
				cs := st.cs[2*k*h : 2*(k+1)*h]
				sr, si, dr, di := sr[:h], si[:h], dr[:h], di[:h]
				ar, ai, br, bi := x0r, x0i, 0.0, 0.0
				for r := range sr {
					c, s := cs[2*r], cs[2*r+1]
					ar += c * sr[r]
					ai += c * si[r]
					br += s * dr[r]
					bi += s * di[r]
				}
				ur[k], ui[k] = ar+bi, ai-br // y_{k+1} = A − i·B
				ur[p-2-k], ui[p-2-k] = ar-bi, ai+br
			}
			if j == 0 {
				for k := 0; k < p-1; k++ {
					o += bl
					yr[o], yi[o] = ur[k], ui[k]
				}
				continue
			}
			for k := 0; k < p-1; k++ {
				o += bl
				wr, wi := tw[2*k], tw[2*k+1]
				yr[o], yi[o] = ur[k]*wr-ui[k]*wi, ur[k]*wi+ui[k]*wr
			}
		}
	}
}
