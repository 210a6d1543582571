//go:build !amd64 || noasm

package fft

const hasAVX512 = false

// simd reports that there is no assembly kernel: see simd_amd64.go.
func (st *stage) simd(xr, xi, yr, yi []float64, bl int) bool { return false }
