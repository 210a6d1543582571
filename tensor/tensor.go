// Package tensor holds float32 tensors in NCHW layout: the one data type that
// flows between aerofill's layers. It is storage and shape only; arithmetic
// lives in nn, gemm and fft.
package tensor

import "fmt"

// Tensor is a dense float32 array of shape (N, C, H, W), row-major: element
// (n, c, y, x) is Data[((n*C+c)*H+y)*W+x].
type Tensor struct {
	N, C, H, W int
	Data       []float32
}

// New returns a zeroed tensor of shape (n, c, h, w).
func New(n, c, h, w int) *Tensor {
	return &Tensor{N: n, C: c, H: h, W: w, Data: make([]float32, n*c*h*w)}
}

// FromData wraps data (not copied) as a tensor of shape (n, c, h, w).
// It panics if len(data) does not match: that is a programming error.
func FromData(n, c, h, w int, data []float32) *Tensor {
	if len(data) != n*c*h*w {
		panic(fmt.Sprintf("tensor: %d values for shape (%d,%d,%d,%d)", len(data), n, c, h, w))
	}
	return &Tensor{N: n, C: c, H: h, W: w, Data: data}
}

// Len is the number of elements, N·C·H·W.
func (t *Tensor) Len() int { return t.N * t.C * t.H * t.W }

// Plane returns the H×W slice of image n, channel c (shared, not copied).
func (t *Tensor) Plane(n, c int) []float32 {
	hw := t.H * t.W
	off := (n*t.C + c) * hw
	return t.Data[off : off+hw]
}

// Channels returns channels [c0, c0+nc) of image n as one contiguous slice
// (shared, not copied): nc·H·W values.
func (t *Tensor) Channels(n, c0, nc int) []float32 {
	hw := t.H * t.W
	off := (n*t.C + c0) * hw
	return t.Data[off : off+nc*hw]
}

// At returns element (n, c, y, x).
func (t *Tensor) At(n, c, y, x int) float32 {
	return t.Data[((n*t.C+c)*t.H+y)*t.W+x]
}

// Set sets element (n, c, y, x) to v.
func (t *Tensor) Set(n, c, y, x int, v float32) {
	t.Data[((n*t.C+c)*t.H+y)*t.W+x] = v
}

// SameShape reports whether t and u have equal shapes.
func (t *Tensor) SameShape(u *Tensor) bool {
	return t.N == u.N && t.C == u.C && t.H == u.H && t.W == u.W
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	u := &Tensor{N: t.N, C: t.C, H: t.H, W: t.W, Data: make([]float32, len(t.Data))}
	copy(u.Data, t.Data)
	return u
}

// String describes the shape, for errors and logs.
func (t *Tensor) String() string {
	return fmt.Sprintf("(%d,%d,%d,%d)", t.N, t.C, t.H, t.W)
}
