// Package fft computes real two-dimensional discrete Fourier transforms of
// float32 planes of any size, with the "ortho" normalisation of numpy and
// PyTorch (both directions scaled by 1/√(H·W)): the rfft2/irfft2 pair of
// LaMa's Fourier unit, and the adjoints of both for backpropagation.
//
// A Plan2D holds everything that depends only on the size (factorisation,
// twiddle factors, Bluestein kernels); Plan returns cached plans. Sizes whose
// prime factors are at most 127 use a mixed-radix Stockham FFT (radices 4, 2,
// 3, 5 and direct odd-prime butterflies); sizes with a larger prime factor use
// Bluestein's chirp-z algorithm. All arithmetic is done in float64 and
// rounded to float32 once, so each result is the exact transform correctly
// rounded to float32, give or take errors of order 1e-16. After the first
// calls, the transforms do not allocate.
//
// On amd64 CPUs with AVX-512 the butterflies, transposes and conversions run
// in assembly, 8 float64 lanes at a time; the build tag noasm (and every
// other architecture) leaves the plain Go versions, which the tests compare
// them with.
//
// The package is not a general FFT library: it has no complex-input 2-D
// transform, no other normalisations, no N-D or strided inputs. ForwardRef
// and InverseRef are direct DFT sums in float64 (no FFT) that define the
// semantics and serve as the tests' reference.
package fft

import (
	"fmt"
	"math"
	"sync"
)

// Plan2D is an immutable plan for real 2-D transforms of H×W planes, made by
// NewPlan2D or Plan. It is safe for concurrent use: per-call scratch comes
// from a sync.Pool.
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

	ar, ai := s.ar[:w*P], s.ai[:w*P]
	packPairs(ar, ai, x, h, w, P)
	zr, zi := p.row.transform(ar, ai, s.br[:w*P], s.bi[:w*P], P, s.work)

	// The column batch goes in whichever buffer z is not in.
	cr, ci, dr, di := s.ar[:h*B], s.ai[:h*B], s.br[:h*B], s.bi[:h*B]
	if &zr[0] == &s.ar[0] {
		cr, ci, dr, di = dr, di, cr, ci
	}
	splitPairs(cr, ci, zr, zi, h, w, B, P) // 2× the spectra of the rows
	fr, fi := p.col.transform(cr, ci, dr, di, B, s.work)

	if adjoint {
		p.weightMiddle(fr, fi, 2)
	}
	sc := 0.5 * p.scale
	scaleTo32(re, fr, sc)
	scaleTo32(im, fi, sc)
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
	to64(ar, re)
	to64(ai, im)
	if adjoint {
		p.weightMiddle(ar, ai, 0.5)
	}
	// Inverse DFT over H by swapping real and imaginary parts.
	gi, gr := p.col.transform(ai, ar, s.bi[:h*B], s.br[:h*B], B, s.work)

	zr, zi, yr, yi := s.ar[:w*P], s.ai[:w*P], s.br[:w*P], s.bi[:w*P]
	if &gr[0] == &s.ar[0] {
		zr, zi, yr, yi = yr, yi, zr, zi
	}
	joinPairs(zr, zi, gr, gi, h, w, B, P)
	yi, yr = p.row.transform(zi, zr, yi, yr, P, s.work)
	unpackPairs(x, yr, yi, h, w, P, p.scale)
}

// weightMiddle multiplies the bins of an H×B batch that stand for two bins
// of the full spectrum (all but 0 and, for even W, W/2) by k.
func (p *Plan2D) weightMiddle(re, im []float64, k float64) {
	hi := p.bins
	if p.w%2 == 0 {
		hi--
	}
	for u := 0; u < p.h; u++ {
		re, im := re[u*p.bins+1:u*p.bins+hi], im[u*p.bins+1:u*p.bins+hi]
		im = im[:len(re)]
		for v := range re {
			re[v] *= k
			im[v] *= k
		}
	}
}

// planCache maps [2]int{h, w} to *Plan2D.
var planCache sync.Map

// Plan returns a shared plan for h×w planes, making it on first use. It is
// safe for concurrent use. Plans stay cached for the life of the process (a
// network sees a handful of sizes). It panics if h or w is less than 1.
func Plan(h, w int) *Plan2D {
	key := [2]int{h, w}
	if p, ok := planCache.Load(key); ok {
		return p.(*Plan2D)
	}
	p, _ := planCache.LoadOrStore(key, NewPlan2D(h, w))
	return p.(*Plan2D)
}
