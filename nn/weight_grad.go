package nn

import (
	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// Weight gradients as dot products of rows, without a patch matrix.
//
// Both kinds of convolution have weight gradients of the form
//
//	C[i, r] += Σ_q A[i, q] · cols(X)[r, q]
//
// (Conv2D: A = ∂L/∂dst, X = src; ConvTranspose2D: A = src, X = ∂L/∂dst),
// where patch row r = (channel, ky, kx) of cols(X) reads X at
// (y·s + ky·d − pad, x·s + kx·d − pad) for output pixel q = (y, x). If X
// is copied once, padded, into its s×s stride phases (phase (ry, rx) holds
// the padded pixels (qy·s + ry, qx·s + rx)), and A's rows are laid out at
// the phases' width wq, then patch row r over all q is one contiguous run
// of a phase plane, starting at (ky·d/s)·wq + kx·d/s in phase
// (ky·d mod s, kx·d mod s). The columns x ≥ wo that this layout adds are
// zeros of A. So the gradient is gemm.DotRows of A's rows with runs of the
// phase planes: both read in place, nothing packed or transposed, against
// the patch matrix's copy and transposing pack of every one of its
// c·kh·kw·ho·wo values.

// useDotRows says whether weight gradients go through gemm.DotRows (true
// where it has an assembly kernel); tests switch it to check both paths.
var useDotRows = gemm.FastDot()

// patchProducts adds c[i*ldc + r] += Σ_{n, q} a[n, i, q] · cols(x[n])[r, q]
// for the patch geometry g: a is (N, M, g.ho, g.wo), x is (N, g.c, g.h,
// g.w) and r runs over the g.c·g.kh·g.kw patch rows. Images are laid end
// to end, a phase plane apart (A's rows of an image are the first g.ho of
// its plane; the segments of the DotRows call skip the rest), so one call
// covers a group of images and its lane sums are reduced once. The channels of x are split between
// threads, each writing its own columns of c; the groups do not depend on
// the split, so every value is summed in the same order whatever the
// thread count.
func (g *patchGeom) patchProducts(c []float32, ldc int, a, x *tensor.Tensor) {
	s, d, kk, m, nImg := g.stride, g.dil, g.kh*g.kw, a.C, a.N
	hp := (g.ho-1)*s + (g.kh-1)*d + 1
	wp := (g.wo-1)*s + (g.kw-1)*d + 1
	hq, wq := (hp+s-1)/s, (wp+s-1)/s
	plane := hq * wq
	// A's rows: row i is images 0..N−1 of channel i, each a plane.
	abuf := getBackwardScratch(m * nImg * plane)
	defer putBackwardScratch(abuf)
	rowsA := *abuf
	parallelChannels(m*nImg, func(j int) {
		i, n := j/nImg, j%nImg
		src, dst := a.Plane(n, i), rowsA[j*plane:(j+1)*plane]
		for y := 0; y < g.ho; y++ {
			copy(dst[y*wq:y*wq+g.wo], src[y*g.wo:(y+1)*g.wo])
			clear(dst[y*wq+g.wo : (y+1)*wq])
		}
	})
	// Images per DotRows call: the phase planes of all channels of a
	// group stay within planeBudget (split between the threads).
	group := max(1, min(nImg, planeBudget/(s*s*g.c*plane)))
	threads := min(gemm.MaxThreads(), g.c)
	gemm.Parallel(threads, func(t int) {
		c0, c1 := t*g.c/threads, (t+1)*g.c/threads
		nc := c1 - c0
		// s² phases of nc channels of group planes, and one row of
		// slack: the last image's runs end up to (kw−1)·d/s values past
		// its plane, where A is zero (B must be finite there).
		used := s * s * nc * group * plane
		buf := getBackwardScratch(used + wq)
		defer putBackwardScratch(buf)
		planes := *buf
		clear(planes[used:])
		aoff, boff := make([]int, m), make([]int, nc*kk)
		var segs []gemm.Segment
		for n0 := 0; n0 < nImg; n0 += group {
			gn := min(group, nImg-n0)
			g.phases(planes, x, n0, gn, c0, c1, hq, wq)
			for i := range aoff {
				aoff[i] = (i*nImg + n0) * plane
			}
			for r := range boff {
				ch, ky, kx := r/kk, r%kk/g.kw, r%g.kw
				phase := (ky*d%s)*s + kx*d%s
				boff[r] = (phase*nc+ch)*gn*plane + ky*d/s*wq + kx*d/s
			}
			// Each image's rows past g.ho are zeros of A: skipped.
			segs = segs[:0]
			for j := 0; j < gn; j++ {
				segs = append(segs, gemm.Segment{Start: j * plane, Len: g.ho * wq})
			}
			gemm.DotRowsSegments(c[c0*kk:], ldc, rowsA, aoff, planes, boff, segs)
		}
	})
}

// planeBudget bounds the phase planes patchProducts builds at once, in
// floats (64 MiB).
const planeBudget = 1 << 24

// phases writes channels [c0, c1) of images [n0, n0+gn) of x, padded as g
// says (reflect or zeros, and zeros beyond), into dst as s×s stride phases
// of hq×wq planes: phase (ry, rx), channel c0+i, image n0+j is plane
// ((ry·s+rx)·(c1−c0) + i)·gn + j, and its pixel (qy, qx) is the padded
// pixel (qy·s+ry, qx·s+rx).
func (g *patchGeom) phases(dst []float32, x *tensor.Tensor, n0, gn, c0, c1, hq, wq int) {
	s, nc, plane := g.stride, c1-c0, hq*wq
	mode := PadZeros
	if g.reflect {
		mode = PadReflect
	}
	// cols[rx][qx]: the column of x that phase column qx reads, or −1.
	cols := make([][]int, s)
	for rx := range cols {
		cols[rx] = make([]int, wq)
		for qx := range cols[rx] {
			cols[rx][qx] = -1
			if ix, ok := padIndex(qx*s+rx-g.pad, g.w, mode); ok {
				cols[rx][qx] = ix
			}
		}
	}
	for ry := 0; ry < s; ry++ {
		for rx := 0; rx < s; rx++ {
			tab := cols[rx]
			// The run of phase columns that read x's columns one by one.
			lo, hi := 0, 0
			if s == 1 {
				lo, hi = min(g.pad, wq), min(g.pad+g.w, wq)
			}
			for i := 0; i < nc*gn; i++ {
				src := x.Plane(n0+i%gn, c0+i/gn)
				out := dst[((ry*s+rx)*nc*gn+i)*plane:][:plane]
				for qy := 0; qy < hq; qy++ {
					row := out[qy*wq : (qy+1)*wq]
					iy, ok := padIndex(qy*s+ry-g.pad, g.h, mode)
					if !ok {
						clear(row)
						continue
					}
					in := src[iy*g.w : (iy+1)*g.w]
					if lo < hi {
						copy(row[lo:hi], in[lo-g.pad:hi-g.pad])
					}
					for qx := 0; qx < lo; qx++ {
						row[qx] = at(in, tab[qx])
					}
					for qx := hi; qx < wq; qx++ {
						row[qx] = at(in, tab[qx])
					}
				}
			}
		}
	}
}

// at is row[i], or 0 for i < 0.
func at(row []float32, i int) float32 {
	if i < 0 {
		return 0
	}
	return row[i]
}
