package fft

// bluestein computes a length-n DFT as a circular convolution of length
// m ≥ 2n−1 (m with prime factors 2, 3, 5 only), for lengths whose largest
// prime factor is too big for a direct butterfly (Bluestein's chirp-z
// algorithm). With c_k = e^{-πik²/n} and jk = (j² + k² − (k−j)²)/2,
//
//	X_k = c_k · Σ_j (x_j·c_j) · conj(c_{k−j}),
//
// a convolution with the fixed kernel conj(c), whose DFT is computed once.
type bluestein struct {
	n, m     int
	inner    *cplan    // length m
	chr, chi []float64 // c_k, k < n
	kr, ki   []float64 // DFT_m of the kernel conj(c_{±j}), divided by m
}

func newBluestein(n int) *bluestein {
	m := nextSmooth(2*n - 1)
	b := &bluestein{
		n: n, m: m,
		inner: newCPlan(m, 5),
		chr:   make([]float64, n),
		chi:   make([]float64, n),
		kr:    make([]float64, m),
		ki:    make([]float64, m),
	}
	kr, ki := make([]float64, m), make([]float64, m)
	for k := 0; k < n; k++ {
		// πk²/n = 2π·(k² mod 2n)/(2n), reduced exactly in integers.
		c, s := cossin2pi(k*k%(2*n), 2*n)
		b.chr[k], b.chi[k] = c, -s
		kr[k], ki[k] = c, s
		if k > 0 {
			kr[m-k], ki[m-k] = c, s
		}
	}
	rr, ri := b.inner.transform(kr, ki, b.kr, b.ki, 1, nil)
	inv := 1 / float64(m)
	for k := range m {
		b.kr[k], b.ki[k] = rr[k]*inv, ri[k]*inv
	}
	return b
}

// nextSmooth returns the least integer ≥ n whose only prime factors are 2, 3
// and 5.
func nextSmooth(n int) int {
	for ; ; n++ {
		r := n
		for _, p := range [...]int{2, 3, 5} {
			for r%p == 0 {
				r /= p
			}
		}
		if r == 1 {
			return n
		}
	}
}

// transform writes the DFT of the L lanes in (xr, xi) to (yr, yi); x is left
// unchanged. work holds at least 4·m·L values.
func (b *bluestein) transform(xr, xi, yr, yi []float64, L int, work []float64) {
	n, m := b.n, b.m
	ar, ai := work[0:m*L], work[m*L:2*m*L]
	br, bi := work[2*m*L:3*m*L], work[3*m*L:4*m*L]
	for k := 0; k < n; k++ {
		cr, ci := b.chr[k], b.chi[k]
		xr, xi := xr[k*L:(k+1)*L], xi[k*L:(k+1)*L]
		ar, ai := ar[k*L:][:len(xr)], ai[k*L:][:len(xr)]
		xi = xi[:len(xr)]
		for t := range xr {
			ar[t], ai[t] = xr[t]*cr-xi[t]*ci, xr[t]*ci+xi[t]*cr
		}
	}
	clear(ar[n*L:])
	clear(ai[n*L:])
	fr, fi := b.inner.transform(ar, ai, br, bi, L, nil)
	for k := 0; k < m; k++ {
		kr, ki := b.kr[k], b.ki[k]
		fr, fi := fr[k*L:(k+1)*L], fi[k*L:(k+1)*L]
		fi = fi[:len(fr)]
		for t := range fr {
			fr[t], fi[t] = fr[t]*kr-fi[t]*ki, fr[t]*ki+fi[t]*kr
		}
	}
	// Inverse DFT by swapping real and imaginary parts on the way in and out.
	or, oi := ar, ai
	if &fr[0] == &ar[0] {
		or, oi = br, bi
	}
	gi, gr := b.inner.transform(fi, fr, oi, or, L, nil)
	for k := 0; k < n; k++ {
		cr, ci := b.chr[k], b.chi[k]
		gr, gi := gr[k*L:(k+1)*L], gi[k*L:(k+1)*L]
		yr, yi := yr[k*L:][:len(gr)], yi[k*L:][:len(gr)]
		gi = gi[:len(gr)]
		for t := range gr {
			yr[t], yi[t] = gr[t]*cr-gi[t]*ci, gr[t]*ci+gi[t]*cr
		}
	}
}
