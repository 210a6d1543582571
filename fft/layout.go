package fft

// The passes that move data between a plane (or a spectrum) and the batches
// the 1-D transforms work on. Rows are handled in pairs: pair q is rows 2q
// and 2q+1 (for odd H, the last pair has only row 2q, and its partner counts
// as zero). The parts that form whole 8×8 blocks go through the AVX-512
// transposes when the CPU has them; everything else, and every build with
// the noasm tag, takes the plain loops here.

const f64 = 8 // bytes per float64
const f32 = 4 // bytes per float32

// packPairs is the first pass of forward: the W×P batch
// a[j][q] = x[2q][j] + i·x[2q+1][j].
func packPairs(ar, ai []float64, x []float32, h, w, P int) {
	qa, ja := simdExtent(h/2, w)
	if qa > 0 {
		_, _, _ = ar[(ja-1)*P+qa-1], ai[(ja-1)*P+qa-1], x[(2*qa-1)*w+ja-1]
		for q0 := 0; q0 < qa; q0 += 8 {
			transposeFrom32AVX512(&ar[q0], P*f64, 8*P*f64, &x[2*q0*w], 2*w*f32, 8*f32, ja/8)
			transposeFrom32AVX512(&ai[q0], P*f64, 8*P*f64, &x[(2*q0+1)*w], 2*w*f32, 8*f32, ja/8)
		}
	}
	for q := 0; q < h/2; q++ {
		j0 := 0
		if q < qa {
			j0 = ja
		}
		r0, r1 := x[2*q*w+j0:(2*q+1)*w], x[(2*q+1)*w+j0:(2*q+2)*w]
		r1 = r1[:len(r0)]
		for j, v := range r0 {
			ar[(j0+j)*P+q] = float64(v)
			ai[(j0+j)*P+q] = float64(r1[j])
		}
	}
	if h%2 == 1 {
		for j, v := range x[(h-1)*w : h*w] {
			ar[j*P+P-1] = float64(v)
			ai[j*P+P-1] = 0
		}
	}
}

// unpackPairs is the last pass of inverse: x[2q][j] = scale·Re y[j][q] and
// x[2q+1][j] = scale·Im y[j][q].
func unpackPairs(x []float32, yr, yi []float64, h, w, P int, scale float64) {
	qa, ja := simdExtent(h/2, w)
	if qa > 0 {
		_, _, _ = yr[(ja-1)*P+qa-1], yi[(ja-1)*P+qa-1], x[(2*qa-1)*w+ja-1]
		for q0 := 0; q0 < qa; q0 += 8 {
			transposeTo32AVX512(&x[2*q0*w], 2*w*f32, 8*f32, &yr[q0], P*f64, 8*P*f64, ja/8, scale)
			transposeTo32AVX512(&x[(2*q0+1)*w], 2*w*f32, 8*f32, &yi[q0], P*f64, 8*P*f64, ja/8, scale)
		}
	}
	for q := 0; q < h/2; q++ {
		j0 := 0
		if q < qa {
			j0 = ja
		}
		r0, r1 := x[2*q*w+j0:(2*q+1)*w], x[(2*q+1)*w+j0:(2*q+2)*w]
		r1 = r1[:len(r0)]
		for j := range r0 {
			r0[j] = float32(yr[(j0+j)*P+q] * scale)
			r1[j] = float32(yi[(j0+j)*P+q] * scale)
		}
	}
	if h%2 == 1 {
		r := x[(h-1)*w : h*w]
		for j := range r {
			r[j] = float32(yr[j*P+P-1] * scale)
		}
	}
}

// splitPairs is the middle pass of forward. From the DFTs Z = X_{2q} +
// i·X_{2q+1} of the row pairs (a W×P batch z[v][q]) it forms the H×B batch
// c[u][v] of the spectra of single rows, times 2:
//
//	c[2q][v]   = Z[v] + conj Z[W−v]
//	c[2q+1][v] = −i·(Z[v] − conj Z[W−v])
func splitPairs(cr, ci, zr, zi []float64, h, w, B, P int) {
	// The blocks cover v in [1, 1+va), where the mirror W−v is another row.
	qa, va := simdExtent(h/2, B-1)
	if qa > 0 {
		_, _ = cr[(2*qa-1)*B+va], ci[(2*qa-1)*B+va]
		_, _ = zr[(w-1)*P+qa-1], zi[(w-1)*P+qa-1]
		row, blk := P*f64, 8*P*f64
		for q0 := 0; q0 < qa; q0 += 8 {
			d0, d1 := 2*q0*B+1, (2*q0+1)*B+1
			z, nz := P+q0, (w-1)*P+q0 // rows v = 1 and W−1
			combineTranspose8AVX512(&cr[d0], 2*B*f64, 8*f64, &zr[z], row, blk, &zr[nz], -row, -blk, va/8, 1, 1)
			combineTranspose8AVX512(&ci[d0], 2*B*f64, 8*f64, &zi[z], row, blk, &zi[nz], -row, -blk, va/8, 1, -1)
			combineTranspose8AVX512(&cr[d1], 2*B*f64, 8*f64, &zi[z], row, blk, &zi[nz], -row, -blk, va/8, 1, 1)
			combineTranspose8AVX512(&ci[d1], 2*B*f64, 8*f64, &zr[z], row, blk, &zr[nz], -row, -blk, va/8, -1, 1)
		}
	}
	for v := 0; v < B; v++ {
		q0 := 0
		if v >= 1 && v < 1+va {
			q0 = qa
		}
		nv := (w - v) % w
		z0r, z0i := zr[v*P:(v+1)*P], zi[v*P:(v+1)*P]
		z1r, z1i := zr[nv*P:(nv+1)*P], zi[nv*P:(nv+1)*P]
		for q := q0; q < h/2; q++ {
			ar, ai, br, bi := z0r[q], z0i[q], z1r[q], z1i[q]
			cr[2*q*B+v], ci[2*q*B+v] = ar+br, ai-bi
			cr[(2*q+1)*B+v], ci[(2*q+1)*B+v] = ai+bi, br-ar
		}
		if h%2 == 1 {
			q := P - 1
			cr[(h-1)*B+v], ci[(h-1)*B+v] = z0r[q]+z1r[q], z0i[q]-z1i[q]
		}
	}
}

// joinPairs is the middle pass of inverse. From the H×B batch g[y][v] of
// half spectra of single rows it forms the W×P batch z[v][q] of the full
// spectra Z = G_{2q} + i·G_{2q+1} of the row pairs, extending each G by
// G[W−v] = conj G[v] and taking only the real parts of bins 0 and W/2.
func joinPairs(zr, zi, gr, gi []float64, h, w, B, P int) {
	// The blocks cover v in [1, 1+va), bins with a distinct mirror W−v.
	qa, va := simdExtent(h/2, (w-1)/2)
	if qa > 0 {
		_, _ = gr[(2*qa-1)*B+va], gi[(2*qa-1)*B+va]
		_, _ = zr[(w-1)*P+qa-1], zi[(w-1)*P+qa-1]
		row, blk := P*f64, 8*P*f64
		for q0 := 0; q0 < qa; q0 += 8 {
			ga, gb := 2*q0*B+1, (2*q0+1)*B+1 // rows 2q0, 2q0+1 at v = 1
			z, nz := P+q0, (w-1)*P+q0
			// Re Z[v] = Re G_a − Im G_b, Re Z[W−v] = Re G_a + Im G_b,
			// Im Z[v] = Im G_a + Re G_b, Im Z[W−v] = Re G_b − Im G_a.
			combineTranspose8AVX512(&zr[z], row, blk, &gr[ga], 2*B*f64, 8*f64, &gi[gb], 2*B*f64, 8*f64, va/8, 1, -1)
			combineTranspose8AVX512(&zr[nz], -row, -blk, &gr[ga], 2*B*f64, 8*f64, &gi[gb], 2*B*f64, 8*f64, va/8, 1, 1)
			combineTranspose8AVX512(&zi[z], row, blk, &gi[ga], 2*B*f64, 8*f64, &gr[gb], 2*B*f64, 8*f64, va/8, 1, 1)
			combineTranspose8AVX512(&zi[nz], -row, -blk, &gi[ga], 2*B*f64, 8*f64, &gr[gb], 2*B*f64, 8*f64, va/8, -1, 1)
		}
	}
	for q := 0; q < P; q++ {
		ga, gb := 2*q*B, (2*q+1)*B
		single := 2*q+1 == h // no row 2q+1: G_b = 0
		// Bin 0, and bin W/2 for even W: real parts only.
		ar, br := gr[ga], 0.0
		if !single {
			br = gr[gb]
		}
		zr[q], zi[q] = ar, br
		if w%2 == 0 {
			v := w / 2
			ar, br = gr[ga+v], 0.0
			if !single {
				br = gr[gb+v]
			}
			zr[v*P+q], zi[v*P+q] = ar, br
		}
		v0 := 1
		if q < qa {
			v0 = 1 + va
		}
		for v := v0; 2*v < w; v++ {
			ar, ai := gr[ga+v], gi[ga+v]
			br, bi := 0.0, 0.0
			if !single {
				br, bi = gr[gb+v], gi[gb+v]
			}
			// Z[v] = G_a[v] + i·G_b[v]; Z[W−v] = conj G_a[v] + i·conj G_b[v].
			zr[v*P+q], zi[v*P+q] = ar-bi, ai+br
			zr[(w-v)*P+q], zi[(w-v)*P+q] = ar+bi, br-ai
		}
	}
}

// simdExtent returns the part of an n×m grid (n pairs by m values) that the
// AVX-512 transposes cover: whole blocks of 8×8, or nothing.
func simdExtent(n, m int) (na, ma int) {
	na, ma = n&^7, m&^7
	if !hasAVX512 || na == 0 || ma == 0 {
		return 0, 0
	}
	return na, ma
}

func scaleTo32Go(d []float32, a []float64, scale float64) {
	d = d[:len(a)]
	for i, v := range a {
		d[i] = float32(v * scale)
	}
}

func to64Go(d []float64, a []float32) {
	d = d[:len(a)]
	for i, v := range a {
		d[i] = float64(v)
	}
}
