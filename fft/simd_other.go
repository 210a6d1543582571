//go:build !amd64 || noasm

package fft

const hasAVX512 = false

// simd reports that there is no assembly kernel: see simd_amd64.go.
func (st *stage) simd(xr, xi, yr, yi []float64, bl int) bool { return false }

func scaleTo32(d []float32, a []float64, scale float64) { scaleTo32Go(d, a, scale) }

func to64(d []float64, a []float32) { to64Go(d, a) }

func combineTranspose8AVX512(d *float64, dRow, dBlk int, a *float64, aRow, aBlk int, b *float64, bRow, bBlk, nb int, sa, sb float64) {
	panic("fft: no assembly")
}

func transposeFrom32AVX512(d *float64, dRow, dBlk int, a *float32, aRow, aBlk, nb int) {
	panic("fft: no assembly")
}

func transposeTo32AVX512(d *float32, dRow, dBlk int, a *float64, aRow, aBlk, nb int, scale float64) {
	panic("fft: no assembly")
}
