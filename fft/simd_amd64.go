//go:build !noasm

package fft

import "golang.org/x/sys/cpu"

// hasAVX512 selects the AVX-512 butterflies. It is set once, at start, from
// the CPU's features; the build tag noasm leaves only the Go code.
var hasAVX512 = cpu.X86.HasAVX512F

// simd runs the stage with an assembly kernel if there is one for its radix
// on this CPU, and reports whether it did. The slices hold exactly p·m·bl
// values (butterflies reslices them), so the kernels stay inside them.
func (st *stage) simd(xr, xi, yr, yi []float64, bl int) bool {
	if !hasAVX512 {
		return false
	}
	var tw *float64
	if st.m > 1 {
		tw = &st.tw[0]
	}
	switch st.p {
	case 2:
		butterfly2AVX512(&xr[0], &xi[0], &yr[0], &yi[0], tw, st.m, bl)
	case 3:
		butterfly3AVX512(&xr[0], &xi[0], &yr[0], &yi[0], tw, st.m, bl)
	case 4:
		butterfly4AVX512(&xr[0], &xi[0], &yr[0], &yi[0], tw, st.m, bl)
	case 5:
		butterfly5AVX512(&xr[0], &xi[0], &yr[0], &yi[0], tw, st.m, bl)
	default:
		butterflyOddAVX512(&xr[0], &xi[0], &yr[0], &yi[0], tw, st.m, bl, st.p, &st.cs[0])
	}
	return true
}

// The butterflyP kernels are stage.radixP for the whole stage: for each
// j < m, the radix-p butterfly over the bl values of blocks j + r·m of x,
// multiplied by the twiddles tw[2(j(p−1)+k−1):] (none if m = 1), written to
// blocks p·j + k of y. Blocks are bl float64 values; x and y hold p·m·bl.

//go:noescape
func butterfly2AVX512(xr, xi, yr, yi, tw *float64, m, bl int)

//go:noescape
func butterfly3AVX512(xr, xi, yr, yi, tw *float64, m, bl int)

//go:noescape
func butterfly4AVX512(xr, xi, yr, yi, tw *float64, m, bl int)

//go:noescape
func butterfly5AVX512(xr, xi, yr, yi, tw *float64, m, bl int)

// butterflyOddAVX512 is stage.radixGeneric for an odd prime p ≤
// maxGenericRadix; cs is stage.cs.
//
//go:noescape
func butterflyOddAVX512(xr, xi, yr, yi, tw *float64, m, bl, p int, cs *float64)

// The transposes below work on 8×8 blocks, nb blocks per call; strides are
// in bytes and may be negative. Block b, row i of a starts at
// a + b·aBlk + i·aRow (8 values); column c of the transposed block goes to
// d + b·dBlk + c·dRow.

// combineTranspose8AVX512 writes the transpose of sa·A + sb·B.
//
//go:noescape
func combineTranspose8AVX512(d *float64, dRow, dBlk int, a *float64, aRow, aBlk int, b *float64, bRow, bBlk, nb int, sa, sb float64)

// transposeFrom32AVX512 writes the transpose of A, widened to float64.
//
//go:noescape
func transposeFrom32AVX512(d *float64, dRow, dBlk int, a *float32, aRow, aBlk, nb int)

// transposeTo32AVX512 writes the transpose of scale·A, rounded to float32.
//
//go:noescape
func transposeTo32AVX512(d *float32, dRow, dBlk int, a *float64, aRow, aBlk, nb int, scale float64)

// scaleTo32AVX512 is for i := range n { d[i] = float32(a[i] * scale) }.
//
//go:noescape
func scaleTo32AVX512(d *float32, a *float64, n int, scale float64)

// to64AVX512 is for i := range n { d[i] = float64(a[i]) }.
//
//go:noescape
func to64AVX512(d *float64, a *float32, n int)

// scaleTo32 is for i, v := range a { d[i] = float32(v * scale) }.
func scaleTo32(d []float32, a []float64, scale float64) {
	if hasAVX512 {
		d = d[:len(a)]
		if len(a) > 0 {
			scaleTo32AVX512(&d[0], &a[0], len(a), scale)
		}
		return
	}
	scaleTo32Go(d, a, scale)
}

// to64 is for i, v := range a { d[i] = float64(v) }.
func to64(d []float64, a []float32) {
	if hasAVX512 {
		d = d[:len(a)]
		if len(a) > 0 {
			to64AVX512(&d[0], &a[0], len(a))
		}
		return
	}
	to64Go(d, a)
}
