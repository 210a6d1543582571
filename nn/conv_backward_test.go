package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/aerofill/aerofill/gemm"
	"github.com/aerofill/aerofill/tensor"
)

// Backward passes are checked in two steps: a float64 reference (plain
// loops, or finite differences of a float64 reference forward pass) is
// checked against central finite differences on small shapes, and the
// fast float32 pass is compared with the reference on awkward shapes.

// gradTol is the largest error allowed between a float32 gradient and its
// float64 reference, relative to the reference's largest magnitude.
const gradTol = 2e-5

func noiseTensor(rng *rand.Rand, n, c, h, w int) *tensor.Tensor {
	t := tensor.New(n, c, h, w)
	for i := range t.Data {
		t.Data[i] = float32(rng.NormFloat64())
	}
	return t
}

func noiseSlice(rng *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64() * scale)
	}
	return s
}

func f64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

// relErr returns max |got − want| / max |want| (or the absolute error when
// want is all zeros).
func relErr(got []float32, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var diff, scale float64
	for i, w := range want {
		diff = math.Max(diff, math.Abs(float64(got[i])-w))
		scale = math.Max(scale, math.Abs(w))
	}
	if scale == 0 {
		return diff
	}
	return diff / scale
}

func dot(a []float64, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// numGrad returns the central finite-difference gradient of loss with
// respect to the entries idx of x (all entries when idx is nil).
func numGrad(x []float64, idx []int, loss func() float64) []float64 {
	const h = 1e-6
	if idx == nil {
		idx = make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
	}
	g := make([]float64, len(idx))
	for k, i := range idx {
		v := x[i]
		x[i] = v + h
		lp := loss()
		x[i] = v - h
		lm := loss()
		x[i] = v
		g[k] = (lp - lm) / (2 * h)
	}
	return g
}

// checkFD compares analytic gradients with finite differences at idx.
func checkFD(t *testing.T, what string, x []float64, grad []float64, idx []int, loss func() float64) {
	t.Helper()
	num := numGrad(x, idx, loss)
	var diff, scale float64
	for k, i := range idxOrAll(idx, len(x)) {
		diff = math.Max(diff, math.Abs(num[k]-grad[i]))
		scale = math.Max(scale, math.Abs(num[k]))
	}
	if diff > 1e-6*math.Max(scale, 1) {
		t.Errorf("%s: finite differences differ by %.3g (scale %.3g)", what, diff, scale)
	}
}

func idxOrAll(idx []int, n int) []int {
	if idx != nil {
		return idx
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// convGeom is the geometry of a reference convolution.
type convGeom struct {
	n, cin, h, w, cout, kh, kw, stride, pad, dil int
	pad2                                         Padding
}

func (g convGeom) out() (int, int) {
	c := Conv2D{KH: g.kh, KW: g.kw, Stride: g.stride, Pad: g.pad, Dilation: g.dil}
	return c.OutSize(g.h, g.w)
}

// conv2DRef64 is the float64 reference convolution (no bias).
func conv2DRef64(g convGeom, x, w []float64) []float64 {
	ho, wo := g.out()
	y := make([]float64, g.n*g.cout*ho*wo)
	g.each(func(n, o, oy, ox, i, iy, ix, wi int) {
		y[((n*g.cout+o)*ho+oy)*wo+ox] += w[wi] * x[((n*g.cin+i)*g.h+iy)*g.w+ix]
	})
	return y
}

// conv2DBackwardRef64 is the float64 reference backward pass: the forward
// loop with each product's contribution sent back to its two factors.
func conv2DBackwardRef64(g convGeom, x, w, dy []float64) (dx, dw []float64) {
	ho, wo := g.out()
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	g.each(func(n, o, oy, ox, i, iy, ix, wi int) {
		d := dy[((n*g.cout+o)*ho+oy)*wo+ox]
		xi := ((n*g.cin+i)*g.h+iy)*g.w + ix
		dx[xi] += w[wi] * d
		dw[wi] += x[xi] * d
	})
	return dx, dw
}

// each calls fn for every product of the convolution that reads inside
// the input (padding by index arithmetic, as Conv2DRef does).
func (g convGeom) each(fn func(n, o, oy, ox, i, iy, ix, wi int)) {
	ho, wo := g.out()
	s, d := max(g.stride, 1), max(g.dil, 1)
	for n := 0; n < g.n; n++ {
		for o := 0; o < g.cout; o++ {
			for oy := 0; oy < ho; oy++ {
				for ox := 0; ox < wo; ox++ {
					for i := 0; i < g.cin; i++ {
						for ky := 0; ky < g.kh; ky++ {
							iy, okY := padIndex(oy*s-g.pad+ky*d, g.h, g.pad2)
							for kx := 0; kx < g.kw; kx++ {
								ix, okX := padIndex(ox*s-g.pad+kx*d, g.w, g.pad2)
								if okY && okX {
									fn(n, o, oy, ox, i, iy, ix, ((o*g.cin+i)*g.kh+ky)*g.kw+kx)
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestConv2DBackwardRefFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range []convGeom{
		{n: 2, cin: 2, h: 5, w: 4, cout: 3, kh: 3, kw: 3, stride: 1, pad: 1, pad2: PadReflect},
		{n: 1, cin: 2, h: 7, w: 6, cout: 2, kh: 3, kw: 3, stride: 2, pad: 1, pad2: PadReflect},
		{n: 1, cin: 1, h: 8, w: 8, cout: 2, kh: 7, kw: 7, stride: 1, pad: 3, pad2: PadReflect},
		{n: 1, cin: 2, h: 5, w: 6, cout: 2, kh: 3, kw: 2, stride: 1, pad: 2, dil: 2, pad2: PadZeros},
	} {
		ho, wo := g.out()
		x := f64(noiseSlice(rng, g.n*g.cin*g.h*g.w, 1))
		w := f64(noiseSlice(rng, g.cout*g.cin*g.kh*g.kw, 1))
		dy := f64(noiseSlice(rng, g.n*g.cout*ho*wo, 1))
		dx, dw := conv2DBackwardRef64(g, x, w, dy)
		loss := func() float64 { return dot(conv2DRef64(g, x, w), dy) }
		checkFD(t, fmt.Sprintf("%+v dx", g), x, dx, nil, loss)
		checkFD(t, fmt.Sprintf("%+v dw", g), w, dw, nil, loss)
	}
}

func TestConv2DBackward(t *testing.T) { forWeightPaths(t, testConv2DBackward) }

func testConv2DBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var cases []convGeom
	for _, hw := range [][2]int{{1, 1}, {7, 7}, {33, 17}, {8, 33}} {
		for _, k := range []struct{ kh, kw, stride, pad, dil int }{
			{1, 1, 1, 0, 1}, {3, 3, 1, 1, 1}, {3, 3, 2, 1, 1}, {7, 7, 1, 3, 1}, {3, 3, 1, 2, 2}, {1, 1, 2, 0, 1},
		} {
			for _, pad := range []Padding{PadZeros, PadReflect} {
				if pad == PadReflect && (k.pad >= hw[0] || k.pad >= hw[1]) {
					continue // PyTorch refuses reflect padding as wide as the input
				}
				cases = append(cases, convGeom{n: 2, cin: 3, h: hw[0], w: hw[1], cout: 5,
					kh: k.kh, kw: k.kw, stride: k.stride, pad: k.pad, dil: k.dil, pad2: pad})
			}
		}
	}
	cases = append(cases, convGeom{n: 1, cin: 7, h: 9, w: 7, cout: 33, kh: 3, kw: 3, stride: 1, pad: 1, pad2: PadReflect})
	for _, g := range cases {
		t.Run(fmt.Sprintf("%dx%d_k%dx%d_s%d_p%d_d%d_%v", g.h, g.w, g.kh, g.kw, g.stride, g.pad, g.dil, g.pad2), func(t *testing.T) {
			conv := &Conv2D{InC: g.cin, OutC: g.cout, KH: g.kh, KW: g.kw, Stride: g.stride, Pad: g.pad, Dilation: g.dil,
				Padding: g.pad2, Weight: noiseSlice(rng, g.cout*g.cin*g.kh*g.kw, 1)}
			ho, wo := g.out()
			x := noiseTensor(rng, g.n, g.cin, g.h, g.w)
			dy := noiseTensor(rng, g.n, g.cout, ho, wo)
			wantDx, wantDw := conv2DBackwardRef64(g, f64(x.Data), f64(conv.Weight), f64(dy.Data))
			// Accumulation: start from non-zero gradients.
			dx := noiseTensor(rng, g.n, g.cin, g.h, g.w)
			dw := noiseSlice(rng, len(conv.Weight), 1)
			db := noiseSlice(rng, g.cout, 1)
			for i := range wantDx {
				wantDx[i] += float64(dx.Data[i])
			}
			for i := range wantDw {
				wantDw[i] += float64(dw[i])
			}
			wantDb := f64(db)
			for n := 0; n < g.n; n++ {
				for o := 0; o < g.cout; o++ {
					for _, v := range dy.Plane(n, o) {
						wantDb[o] += float64(v)
					}
				}
			}
			conv.Backward(dx, dw, db, x, dy)
			if e := relErr(dx.Data, wantDx); e > gradTol {
				t.Errorf("dSrc: relative error %.3g", e)
			}
			if e := relErr(dw, wantDw); e > gradTol {
				t.Errorf("dW: relative error %.3g", e)
			}
			if e := relErr(db, wantDb); e > gradTol {
				t.Errorf("dBias: relative error %.3g", e)
			}
			// nil gradients are skipped.
			conv.Backward(nil, nil, nil, x, dy)
		})
	}
}

// convTGeom is the geometry of a reference transposed convolution.
type convTGeom struct{ n, cin, h, w, cout, k, stride, pad, outPad int }

func (g convTGeom) out() (int, int) {
	c := ConvTranspose2D{K: g.k, Stride: g.stride, Pad: g.pad, OutputPadding: g.outPad}
	return c.OutSize(g.h, g.w)
}

// each calls fn for every product of the transposed convolution.
func (g convTGeom) each(fn func(xi, wi, yi int)) {
	ho, wo := g.out()
	for n := 0; n < g.n; n++ {
		for i := 0; i < g.cin; i++ {
			for y := 0; y < g.h; y++ {
				for x := 0; x < g.w; x++ {
					for o := 0; o < g.cout; o++ {
						for ky := 0; ky < g.k; ky++ {
							oy := y*g.stride - g.pad + ky
							for kx := 0; kx < g.k; kx++ {
								ox := x*g.stride - g.pad + kx
								if oy >= 0 && oy < ho && ox >= 0 && ox < wo {
									fn(((n*g.cin+i)*g.h+y)*g.w+x, ((i*g.cout+o)*g.k+ky)*g.k+kx, ((n*g.cout+o)*ho+oy)*wo+ox)
								}
							}
						}
					}
				}
			}
		}
	}
}

func convT2DRef64(g convTGeom, x, w []float64) []float64 {
	ho, wo := g.out()
	y := make([]float64, g.n*g.cout*ho*wo)
	g.each(func(xi, wi, yi int) { y[yi] += x[xi] * w[wi] })
	return y
}

func convT2DBackwardRef64(g convTGeom, x, w, dy []float64) (dx, dw []float64) {
	dx, dw = make([]float64, len(x)), make([]float64, len(w))
	g.each(func(xi, wi, yi int) {
		dx[xi] += w[wi] * dy[yi]
		dw[wi] += x[xi] * dy[yi]
	})
	return dx, dw
}

func TestConvTranspose2DBackward(t *testing.T) { forWeightPaths(t, testConvTranspose2DBackward) }

func testConvTranspose2DBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	small := convTGeom{n: 2, cin: 2, h: 3, w: 4, cout: 3, k: 3, stride: 2, pad: 1, outPad: 1}
	{
		ho, wo := small.out()
		x := f64(noiseSlice(rng, small.n*small.cin*small.h*small.w, 1))
		w := f64(noiseSlice(rng, small.cin*small.cout*9, 1))
		dy := f64(noiseSlice(rng, small.n*small.cout*ho*wo, 1))
		dx, dw := convT2DBackwardRef64(small, x, w, dy)
		loss := func() float64 { return dot(convT2DRef64(small, x, w), dy) }
		checkFD(t, "reference dx", x, dx, nil, loss)
		checkFD(t, "reference dw", w, dw, nil, loss)
	}
	for _, g := range []convTGeom{
		{n: 2, cin: 3, h: 1, w: 1, cout: 5, k: 3, stride: 2, pad: 1, outPad: 1},
		{n: 2, cin: 3, h: 7, w: 7, cout: 5, k: 3, stride: 2, pad: 1, outPad: 1},
		{n: 1, cin: 33, h: 5, w: 9, cout: 7, k: 3, stride: 2, pad: 1, outPad: 1},
		{n: 1, cin: 4, h: 33, w: 6, cout: 3, k: 3, stride: 2, pad: 1, outPad: 1},
		{n: 1, cin: 2, h: 6, w: 5, cout: 3, k: 4, stride: 3, pad: 0, outPad: 2},
		{n: 1, cin: 2, h: 6, w: 5, cout: 3, k: 3, stride: 1, pad: 1, outPad: 0},
		{n: 1, cin: 2, h: 5, w: 4, cout: 3, k: 3, stride: 1, pad: 1, outPad: 1}, // OutputPadding ≥ Stride
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			ho, wo := g.out()
			conv := &ConvTranspose2D{InC: g.cin, OutC: g.cout, K: g.k, Stride: g.stride, Pad: g.pad, OutputPadding: g.outPad,
				Weight: noiseSlice(rng, g.cin*g.cout*g.k*g.k, 1), Bias: noiseSlice(rng, g.cout, 1)}
			x := noiseTensor(rng, g.n, g.cin, g.h, g.w)
			dy := noiseTensor(rng, g.n, g.cout, ho, wo)
			wantDx, wantDw := convT2DBackwardRef64(g, f64(x.Data), f64(conv.Weight), f64(dy.Data))
			dx := tensor.New(g.n, g.cin, g.h, g.w)
			dw := make([]float32, len(conv.Weight))
			db := make([]float32, g.cout)
			wantDb := make([]float64, g.cout)
			for n := 0; n < g.n; n++ {
				for o := 0; o < g.cout; o++ {
					for _, v := range dy.Plane(n, o) {
						wantDb[o] += float64(v)
					}
				}
			}
			conv.Backward(dx, dw, db, x, dy)
			if e := relErr(dx.Data, wantDx); e > gradTol {
				t.Errorf("dSrc: relative error %.3g", e)
			}
			if e := relErr(dw, wantDw); e > gradTol {
				t.Errorf("dW: relative error %.3g", e)
			}
			if e := relErr(db, wantDb); e > gradTol {
				t.Errorf("dBias: relative error %.3g", e)
			}
			// The reference forward agrees with the package's.
			y := tensor.New(g.n, g.cout, ho, wo)
			conv.Forward(y, 0, x, 0, Epilogue{})
			want := convT2DRef64(g, f64(x.Data), f64(conv.Weight))
			for i := range want {
				want[i] += float64(conv.Bias[(i/(ho*wo))%g.cout])
			}
			if e := relErr(y.Data, want); e > 1e-5 {
				t.Errorf("forward disagrees with the reference: %.3g", e)
			}
		})
	}
}

// TestBackwardWeightsThreadIndependent checks that the weight gradients do
// not depend on the number of threads, bit for bit: the threads split the
// channels, never the sums. The sizes need several bands of patch rows.
func TestBackwardWeightsThreadIndependent(t *testing.T) {
	forWeightPaths(t, testBackwardWeightsThreadIndependent)
}

func testBackwardWeightsThreadIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	conv := &Conv2D{InC: 13, OutC: 9, KH: 3, KW: 3, Pad: 1, Padding: PadReflect, Weight: noiseSlice(rng, 9*13*9, 1)}
	convT := &ConvTranspose2D{InC: 9, OutC: 13, K: 3, Stride: 2, Pad: 1, OutputPadding: 1, Weight: noiseSlice(rng, 9*13*9, 1)}
	x := noiseTensor(rng, 2, 13, 181, 203)
	dy := noiseTensor(rng, 2, 9, 181, 203)
	xT := noiseTensor(rng, 2, 9, 91, 102)
	dyT := noiseTensor(rng, 2, 13, 182, 204)
	grads := func() (dw, dwT []float32) {
		dw, dwT = make([]float32, len(conv.Weight)), make([]float32, len(convT.Weight))
		conv.Backward(nil, dw, nil, x, dy)
		convT.Backward(nil, dwT, nil, xT, dyT)
		return dw, dwT
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	dw1, dwT1 := grads()
	for _, procs := range []int{2, 3, 5} {
		runtime.GOMAXPROCS(procs)
		dw, dwT := grads()
		if !slices.Equal(dw, dw1) {
			t.Errorf("Conv2D dW with %d threads differs from one thread's", procs)
		}
		if !slices.Equal(dwT, dwT1) {
			t.Errorf("ConvTranspose2D dW with %d threads differs from one thread's", procs)
		}
	}
}

// forWeightPaths runs a test with the weight gradients on each path:
// gemm.DotRows (where it has an assembly kernel) and patch matrices.
func forWeightPaths(t *testing.T, test func(*testing.T)) {
	defer func(v bool) { useDotRows = v }(useDotRows)
	paths := []bool{false}
	if gemm.FastDot() {
		paths = append(paths, true)
	}
	for _, dot := range paths {
		useDotRows = dot
		t.Run(map[bool]string{false: "patches", true: "dotrows"}[dot], test)
	}
}
