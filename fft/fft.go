// Package fft computes real two-dimensional discrete Fourier transforms of
// float32 planes of any size, with the "ortho" normalisation of numpy and
// PyTorch (both directions scaled by 1/√(H·W)): the rfft2/irfft2 pair of
// LaMa's Fourier unit, and the adjoints of both for backpropagation.
//
// A Plan2D holds everything that depends only on the size (factorisation,
// twiddle factors, Bluestein kernels); Plan returns cached plans. Sizes whose
// factors are 2, 3, 5 and small odd primes use a mixed-radix Stockham FFT;
// sizes with a prime factor above 41 use Bluestein's chirp-z algorithm. All
// arithmetic is done in float64 and rounded to float32 once, so results are
// within a few float32 ulps of the exact transform.
//
// The package is not a general FFT library: it has no complex-input 2-D
// transform, no other normalisations, no N-D or strided inputs. ForwardRef
// and InverseRef are direct O((H·W)²) sums that define the semantics and
// serve as the tests' reference.
package fft

import (
	"fmt"
	"math"
	"sync"
)

// Plan2D is an immutable plan for real 2-D transforms of H×W planes. It is
// safe for concurrent use: per-call scratch comes from a sync.Pool.
//
// Planes are row-major: x[y*W+x']. Spectra are H×(W/2+1) row-major, real and
// imaginary parts in separate slices: re[u*Bins()+v], im[u*Bins()+v].
type Plan2D struct {
	h, w, bins int
	pairs      int    // ⌈h/2⌉: rows are transformed two at a time
	row, col   *cplan // lengths w and h
	scale      float64
	pool       sync.Pool // *scratch
}

// scratch is the per-call working memory of a Plan2D: two complex buffers
// (split real and imaginary parts) large enough for either pass, and the
// Bluestein work area.
type scratch struct {
	ar, ai, br, bi []float64
	work           []float64
}

// NewPlan2D returns a plan for h×w planes. It panics if h or w is less than 1.
func NewPlan2D(h, w int) *Plan2D {
	if h < 1 || w < 1 {
		panic(fmt.Sprintf("fft: invalid plane size %d×%d", h, w))
	}
	p := &Plan2D{
		h: h, w: w, bins: w/2 + 1,
		pairs: (h + 1) / 2,
		scale: 1 / math.Sqrt(float64(h)*float64(w)),
	}
	p.row = newCPlan(w, maxGenericRadix)
	if h == w {
		p.col = p.row
	} else {
		p.col = newCPlan(h, maxGenericRadix)
	}
	n := max(w*p.pairs, h*p.bins)
	nw := max(p.row.workLen(p.pairs), p.col.workLen(p.bins))
	p.pool.New = func() any {
		buf := make([]float64, 4*n+nw)
		return &scratch{
			ar: buf[0*n : 1*n], ai: buf[1*n : 2*n],
			br: buf[2*n : 3*n], bi: buf[3*n : 4*n],
			work: buf[4*n:],
		}
	}
	return p
}

// Size returns the plane size the plan was made for.
func (p *Plan2D) Size() (h, w int) { return p.h, p.w }

// Bins returns the number of frequency bins per spectrum row, W/2+1.
func (p *Plan2D) Bins() int { return p.bins }

// Forward computes the real-to-complex transform of the H×W plane x:
//
//	re[u*B+v] + i·im[u*B+v] = (1/√(HW)) Σ_{y,x'} x[y*W+x']·e^{−2πi(uy/H + vx'/W)}
//
// for u < H, v < B = W/2+1: numpy.fft.rfft2(x, norm="ortho"). It panics if
// len(x) ≠ H·W or len(re), len(im) ≠ H·B.
func (p *Plan2D) Forward(re, im, x []float32) {
	p.checkLen(x, re, im)
	p.forward(re, im, x, false)
}

// Inverse computes the complex-to-real transform of the H×(W/2+1) spectrum
// (re, im) into the H×W plane x: numpy.fft.irfft2(re+i·im, s=(H,W),
// norm="ortho"). That is a complex inverse DFT over H, then a
// complex-to-real inverse DFT over W of the Hermitian extension of each row,
// which ignores the imaginary parts of bin 0 and, for even W, bin W/2.
// It panics if len(x) ≠ H·W or len(re), len(im) ≠ H·B.
func (p *Plan2D) Inverse(x, re, im []float32) {
	p.checkLen(x, re, im)
	p.inverse(x, re, im, false)
}

// ForwardAdjoint computes gx = Forwardᵀ·(gre, gim), the transpose of Forward
// as a real linear map from H·W values to 2·H·B values: given the gradient
// of a loss with respect to Forward's outputs, it returns the gradient with
// respect to its input. (It equals Inverse of the spectrum with every bin
// other than 0 and W/2 halved.)
func (p *Plan2D) ForwardAdjoint(gx, gre, gim []float32) {
	p.checkLen(gx, gre, gim)
	p.inverse(gx, gre, gim, true)
}

// InverseAdjoint computes (gre, gim) = Inverseᵀ·gx, the transpose of Inverse
// as a real linear map: given the gradient of a loss with respect to
// Inverse's output, it returns the gradient with respect to its input
// spectrum. Inputs that Inverse ignores (such as the imaginary part of bin
// (0, 0)) get a zero gradient. (It equals Forward of gx with every bin other
// than 0 and W/2 doubled.)
func (p *Plan2D) InverseAdjoint(gre, gim, gx []float32) {
	p.checkLen(gx, gre, gim)
	p.forward(gre, gim, gx, true)
}

func (p *Plan2D) checkLen(x, re, im []float32) {
	if len(x) != p.h*p.w || len(re) != p.h*p.bins || len(im) != p.h*p.bins {
		panic(fmt.Sprintf("fft: %d×%d plan given %d plane values and %d+%d spectrum values, want %d and %d+%d",
			p.h, p.w, len(x), len(re), len(im), p.h*p.w, p.h*p.bins, p.h*p.bins))
	}
}

// middle reports whether bin v stands for two bins of the full spectrum
// (v and W−v), i.e. is neither bin 0 nor, for even W, bin W/2.
func (p *Plan2D) middle(v int) bool { return v > 0 && 2*v != p.w }

// forward is Forward, or with adjoint set, InverseAdjoint.
//
// Rows are transformed in pairs: z = x[2q] + i·x[2q+1] has DFT
// Z = X_{2q} + i·X_{2q+1}, and X_{2q}[v] = (Z[v] + conj Z[−v])/2,
// X_{2q+1}[v] = (Z[v] − conj Z[−v])/(2i). That works for odd W as well as
// even, and turns the row pass into one batch of ⌈H/2⌉ lanes.
func (p *Plan2D) forward(re, im, x []float32, adjoint bool) {
	h, w, B, P := p.h, p.w, p.bins, p.pairs
	s := p.pool.Get().(*scratch)
	defer p.pool.Put(s)

	// Pack: a[x'][q] = x[2q][x'] + i·x[2q+1][x'], a W×P batch.
	ar, ai := s.ar[:w*P], s.ai[:w*P]
	for q := 0; q < h/2; q++ {
		r0, r1 := x[2*q*w:(2*q+1)*w], x[(2*q+1)*w:(2*q+2)*w]
		for j, v := range r0 {
			ar[j*P+q] = float64(v)
			ai[j*P+q] = float64(r1[j])
		}
	}
	if h%2 == 1 {
		r0 := x[(h-1)*w : h*w]
		for j, v := range r0 {
			ar[j*P+P-1] = float64(v)
			ai[j*P+P-1] = 0
		}
	}
	zr, zi := p.row.transform(ar, ai, s.br[:w*P], s.bi[:w*P], P, s.work)

	// Unpack into c[u][v], an H×B batch for the column pass, in whichever
	// buffer z is not in. Factors 1/2 are left to the final scaling.
	cr, ci := s.ar[:h*B], s.ai[:h*B]
	if &zr[0] == &s.ar[0] {
		cr, ci = s.br[:h*B], s.bi[:h*B]
	}
	for v := 0; v < B; v++ {
		nv := (w - v) % w
		z0r, z0i := zr[v*P:(v+1)*P], zi[v*P:(v+1)*P]
		z1r, z1i := zr[nv*P:(nv+1)*P], zi[nv*P:(nv+1)*P]
		for q := 0; q < h/2; q++ {
			ar, ai, br, bi := z0r[q], z0i[q], z1r[q], z1i[q]
			cr[2*q*B+v], ci[2*q*B+v] = ar+br, ai-bi
			cr[(2*q+1)*B+v], ci[(2*q+1)*B+v] = ai+bi, br-ar
		}
		if h%2 == 1 {
			q := P - 1
			cr[(h-1)*B+v], ci[(h-1)*B+v] = z0r[q]+z1r[q], z0i[q]-z1i[q]
		}
	}
	other := s.ar[:h*B]
	otheri := s.ai[:h*B]
	if &cr[0] == &s.ar[0] {
		other, otheri = s.br[:h*B], s.bi[:h*B]
	}
	fr, fi := p.col.transform(cr, ci, other, otheri, B, s.work)

	sc := 0.5 * p.scale
	for u := 0; u < h; u++ {
		fr, fi := fr[u*B:(u+1)*B], fi[u*B:(u+1)*B]
		re, im := re[u*B:(u+1)*B], im[u*B:(u+1)*B]
		for v := range fr {
			k := sc
			if adjoint && p.middle(v) {
				k *= 2
			}
			re[v], im[v] = float32(fr[v]*k), float32(fi[v]*k)
		}
	}
}

// inverse is Inverse, or with adjoint set, ForwardAdjoint.
//
// After the inverse column pass, rows are paired as in forward: the
// Hermitian extensions G_a, G_b of rows 2q and 2q+1 are combined into
// Z = G_a + i·G_b, whose inverse DFT is x[2q] + i·x[2q+1] because both rows
// are real.
func (p *Plan2D) inverse(x, re, im []float32, adjoint bool) {
	h, w, B, P := p.h, p.w, p.bins, p.pairs
	s := p.pool.Get().(*scratch)
	defer p.pool.Put(s)

	ar, ai := s.ar[:h*B], s.ai[:h*B]
	for u := 0; u < h; u++ {
		re, im := re[u*B:(u+1)*B], im[u*B:(u+1)*B]
		ar, ai := ar[u*B:(u+1)*B], ai[u*B:(u+1)*B]
		for v := range re {
			k := 1.0
			if adjoint && p.middle(v) {
				k = 0.5
			}
			ar[v], ai[v] = float64(re[v])*k, float64(im[v])*k
		}
	}
	// Inverse DFT over H by swapping real and imaginary parts.
	gi, gr := p.col.transform(ai, ar, s.bi[:h*B], s.br[:h*B], B, s.work)

	// Pack: z[v][q] for all v < W, a W×P batch, in the other buffer.
	zr, zi := s.ar[:w*P], s.ai[:w*P]
	if &gr[0] == &s.ar[0] {
		zr, zi = s.br[:w*P], s.bi[:w*P]
	}
	for q := 0; q < P; q++ {
		ga, gb := 2*q*B, (2*q+1)*B
		odd := 2*q+1 == h // row 2q+1 does not exist: G_b = 0
		// Bin 0, and bin W/2 for even W: real parts only.
		ar, br := gr[ga], 0.0
		if !odd {
			br = gr[gb]
		}
		zr[q], zi[q] = ar, br
		if w%2 == 0 {
			v := w / 2
			ar, br = gr[ga+v], 0.0
			if !odd {
				br = gr[gb+v]
			}
			zr[v*P+q], zi[v*P+q] = ar, br
		}
		for v := 1; 2*v < w; v++ {
			ar, ai := gr[ga+v], gi[ga+v]
			br, bi := 0.0, 0.0
			if !odd {
				br, bi = gr[gb+v], gi[gb+v]
			}
			// Z[v] = G_a[v] + i·G_b[v]; Z[W−v] = conj G_a[v] + i·conj G_b[v].
			zr[v*P+q], zi[v*P+q] = ar-bi, ai+br
			zr[(w-v)*P+q], zi[(w-v)*P+q] = ar+bi, br-ai
		}
	}
	other, otheri := s.ar[:w*P], s.ai[:w*P]
	if &zr[0] == &s.ar[0] {
		other, otheri = s.br[:w*P], s.bi[:w*P]
	}
	yi, yr := p.row.transform(zi, zr, otheri, other, P, s.work)

	sc := p.scale
	for q := 0; q < h/2; q++ {
		r0, r1 := x[2*q*w:(2*q+1)*w], x[(2*q+1)*w:(2*q+2)*w]
		for j := range r0 {
			r0[j] = float32(yr[j*P+q] * sc)
			r1[j] = float32(yi[j*P+q] * sc)
		}
	}
	if h%2 == 1 {
		r0 := x[(h-1)*w : h*w]
		for j := range r0 {
			r0[j] = float32(yr[j*P+P-1] * sc)
		}
	}
}

// planCache maps [2]int{h, w} to *Plan2D.
var planCache sync.Map

// Plan returns a shared plan for h×w planes, making it on first use. It is
// safe for concurrent use. It panics if h or w is less than 1.
func Plan(h, w int) *Plan2D {
	key := [2]int{h, w}
	if p, ok := planCache.Load(key); ok {
		return p.(*Plan2D)
	}
	p, _ := planCache.LoadOrStore(key, NewPlan2D(h, w))
	return p.(*Plan2D)
}
