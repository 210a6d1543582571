package nn

import "math"

// The per-plane loops of BatchNorm, written for the compiler: no function
// values in the loops, the ReLU decided once per plane, and four
// independent float64 accumulators per sum, so that the adds' latency does
// not serialise the loop.

// shiftedSums returns Σ (x − c) and Σ (x − c)², summed in float64. With c
// near the mean (BatchNorm takes the channel's first value) one pass gives
// the variance without the cancellation of Σx² − (Σx)²/M.
func shiftedSums(x []float32, c float64) (s, ss float64) {
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-c, float64(x[i+1])-c, float64(x[i+2])-c, float64(x[i+3])-c
		s0, s1, s2, s3 = s0+d0, s1+d1, s2+d2, s3+d3
		q0, q1, q2, q3 = q0+d0*d0, q1+d1*d1, q2+d2*d2, q3+d3*d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - c
		s0 += d
		q0 += d * d
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
}

// normalize writes d = act(x·scale + shift), act ReLU (bit-masked: −0 and
// NaN become +0) or the identity.
func normalize(d, x []float32, scale, shift float32, relu bool) {
	d = d[:len(x)]
	if !relu {
		for i, v := range x {
			d[i] = v*scale + shift
		}
		return
	}
	for i, v := range x {
		y := v*scale + shift
		d[i] = math.Float32frombits(math.Float32bits(y) & positive(y))
	}
}

// gradSums returns, for ĝ = g where the forward output x·scale + shift was
// kept (everywhere without ReLU), Σĝ, Σĝ·(x − mean) and Σ(x − mean).
func gradSums(x, g []float32, scale, shift float32, mean float64, relu bool) (sg, sgx, sx float64) {
	g = g[:len(x)]
	var a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3 float64
	mask := ^uint32(0)
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v0, v1, v2, v3 := x[i], x[i+1], x[i+2], x[i+3]
		m0, m1, m2, m3 := mask, mask, mask, mask
		if relu {
			m0, m1, m2, m3 = positive(v0*scale+shift), positive(v1*scale+shift), positive(v2*scale+shift), positive(v3*scale+shift)
		}
		g0 := float64(math.Float32frombits(math.Float32bits(g[i]) & m0))
		g1 := float64(math.Float32frombits(math.Float32bits(g[i+1]) & m1))
		g2 := float64(math.Float32frombits(math.Float32bits(g[i+2]) & m2))
		g3 := float64(math.Float32frombits(math.Float32bits(g[i+3]) & m3))
		d0, d1, d2, d3 := float64(v0)-mean, float64(v1)-mean, float64(v2)-mean, float64(v3)-mean
		a0, a1, a2, a3 = a0+g0, a1+g1, a2+g2, a3+g3
		b0, b1, b2, b3 = b0+g0*d0, b1+g1*d1, b2+g2*d2, b3+g3*d3
		c0, c1, c2, c3 = c0+d0, c1+d1, c2+d2, c3+d3
	}
	for ; i < len(x); i++ {
		m := mask
		if relu {
			m = positive(x[i]*scale + shift)
		}
		gi := float64(math.Float32frombits(math.Float32bits(g[i]) & m))
		d := float64(x[i]) - mean
		a0 += gi
		b0 += gi * d
		c0 += d
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3), (c0 + c1) + (c2 + c3)
}

// gradMap writes d = k·ĝ + a·(x − mean) + b, ĝ as in gradSums. d may be g.
func gradMap(d, x, g []float32, scale, shift, k, a, b, mean float32, relu bool) {
	g, d = g[:len(x)], d[:len(x)]
	if !relu {
		for i, v := range x {
			d[i] = k*g[i] + a*(v-mean) + b
		}
		return
	}
	for i, v := range x {
		gi := math.Float32frombits(math.Float32bits(g[i]) & positive(v*scale+shift))
		d[i] = k*gi + a*(v-mean) + b
	}
}
