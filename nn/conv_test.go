package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

func randTensor(r *rand.Rand, n, c, h, w int) *tensor.Tensor {
	t := tensor.New(n, c, h, w)
	for i := range t.Data {
		t.Data[i] = float32(r.NormFloat64())
	}
	return t
}

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// epilogueCase is one way of calling Forward: channel offsets and what the
// epilogue does.
type epilogueCase struct {
	srcC0, dstC0 int
	accumulate   bool
	act          Act
	residual     bool
}

var epilogueCases = []epilogueCase{
	{},
	{srcC0: 2, dstC0: 3, act: ActReLU},
	{dstC0: 1, accumulate: true, act: ActSigmoid},
	{srcC0: 1, accumulate: true, act: ActReLU, residual: true},
	{residual: true},
}

// runCase calls forward for ec on src (InC channels) and returns dst and
// the expected dst, computed from the reference output ref (OutC channels)
// by applying the epilogue in the obvious way. It also returns the scale
// of each expected value for the error bound.
func runCase(t *testing.T, r *rand.Rand, ec epilogueCase, src, ref *tensor.Tensor, absRef *tensor.Tensor,
	forward func(dst *tensor.Tensor, dstC0 int, src *tensor.Tensor, srcC0 int, ep Epilogue)) (got, want, scale *tensor.Tensor) {
	t.Helper()
	n, inC, outC, ho, wo := src.N, src.C, ref.C, ref.H, ref.W
	// src with extra channels around the ones read.
	big := randTensor(r, n, ec.srcC0+inC+1, src.H, src.W)
	for i := 0; i < n; i++ {
		copy(big.Channels(i, ec.srcC0, inC), src.Channels(i, 0, inC))
	}
	dst := randTensor(r, n, ec.dstC0+outC+2, ho, wo)
	want = dst.Clone()
	scale = tensor.New(n, dst.C, ho, wo)
	var ep Epilogue
	ep.Accumulate, ep.Act = ec.accumulate, ec.act
	if ec.residual {
		ep.Residual, ep.ResidualC0 = randTensor(r, n, outC+1, ho, wo), 1
	}
	for i := 0; i < n; i++ {
		for c := 0; c < outC; c++ {
			for y := 0; y < ho; y++ {
				for x := 0; x < wo; x++ {
					v := ref.At(i, c, y, x)
					s := float64(absRef.At(i, c, y, x))
					old := dst.At(i, ec.dstC0+c, y, x)
					if ep.Accumulate {
						v += old
						s += math.Abs(float64(old))
					}
					v = ep.Act.apply(v)
					if ep.Residual != nil {
						rv := ep.Residual.At(i, ep.ResidualC0+c, y, x)
						v += rv
						s += math.Abs(float64(rv))
					}
					want.Set(i, ec.dstC0+c, y, x, v)
					scale.Set(i, ec.dstC0+c, y, x, float32(s))
				}
			}
		}
	}
	forward(dst, ec.dstC0, big, ec.srcC0, ep)
	return dst, want, scale
}

// compareTensors checks |got − want| ≤ (k+8)·2⁻²³·scale elementwise: the
// float32 error bound of a k-term dot product plus the epilogue's
// roundings, doubled for margin. Channels outside the written range have
// scale 0 and must be bit-identical.
func compareTensors(t *testing.T, name string, got, want, scale *tensor.Tensor, k int) {
	t.Helper()
	for i := range got.Data {
		g, w := float64(got.Data[i]), float64(want.Data[i])
		tol := float64(k+8) / (1 << 23) * float64(scale.Data[i])
		if !(math.Abs(g-w) <= tol) {
			n := i / (got.C * got.H * got.W)
			c := i / (got.H * got.W) % got.C
			y := i / got.W % got.H
			x := i % got.W
			t.Fatalf("%s: dst[%d,%d,%d,%d] = %g, want %g (|diff| %g > %g)", name, n, c, y, x, g, w, math.Abs(g-w), tol)
		}
	}
}

// absConv is c with |Weight| and |Bias|: run on |src| by the reference it
// gives Σ|w·x| + |b|, the scale of each output's rounding error.
func absConv(c *Conv2D) *Conv2D {
	return &Conv2D{InC: c.InC, OutC: c.OutC, KH: c.KH, KW: c.KW, Stride: c.Stride, Pad: c.Pad, Dilation: c.Dilation,
		Padding: c.Padding, Weight: absSlice(c.Weight), Bias: absSlice(c.Bias)}
}

func absSlice(s []float32) []float32 {
	if s == nil {
		return nil
	}
	a := make([]float32, len(s))
	for i, v := range s {
		a[i] = float32(math.Abs(float64(v)))
	}
	return a
}

func absTensor(t *tensor.Tensor) *tensor.Tensor {
	a := t.Clone()
	for i, v := range a.Data {
		a.Data[i] = float32(math.Abs(float64(v)))
	}
	return a
}

type convShape struct {
	n, inC, outC, h, w, kh, kw, stride, pad, dil int
	padding                                      Padding
	bias                                         bool
}

func (s convShape) String() string {
	mode := "zeros"
	if s.padding == PadReflect {
		mode = "reflect"
	}
	return fmt.Sprintf("n%d-%dto%d-%dx%d-k%dx%d-s%d-p%d-d%d-%s-bias%v", s.n, s.inC, s.outC, s.h, s.w, s.kh, s.kw, s.stride, s.pad, s.dil, mode, s.bias)
}

var convShapes = []convShape{
	{1, 1, 1, 1, 1, 1, 1, 1, 0, 1, PadZeros, false},
	{2, 7, 33, 33, 25, 1, 1, 1, 0, 1, PadZeros, true},
	{1, 5, 9, 7, 1, 3, 1, 1, 1, 1, PadReflect, true},
	{2, 3, 8, 33, 25, 3, 3, 1, 1, 1, PadReflect, true},
	{1, 4, 13, 33, 25, 3, 3, 2, 1, 1, PadReflect, false},
	{1, 6, 5, 17, 19, 3, 3, 1, 2, 2, PadZeros, true},
	{1, 3, 7, 20, 21, 3, 3, 2, 2, 2, PadReflect, true},
	{1, 4, 16, 16, 18, 7, 7, 1, 3, 1, PadReflect, true},
	{1, 5, 3, 15, 13, 7, 7, 1, 3, 1, PadZeros, true},
	{1, 2, 4, 9, 10, 7, 7, 2, 0, 1, PadZeros, false},
	{2, 33, 17, 7, 7, 1, 1, 2, 1, 1, PadZeros, true},
	{1, 12, 40, 12, 11, 3, 3, 1, 0, 1, PadReflect, true},
	{1, 257, 20, 5, 6, 3, 3, 1, 1, 1, PadReflect, true},
	{1, 2, 3, 1, 1, 3, 3, 1, 1, 1, PadZeros, true},
	{1, 3, 2, 2, 3, 3, 3, 1, 2, 1, PadReflect, true}, // pad ≥ size: mirrored twice
	// Rows that fill the micro-kernel's tiles badly (34 = 32 + 2; 33 at
	// stride 2): bands computed flat.
	{2, 16, 24, 20, 34, 3, 3, 1, 1, 1, PadReflect, true},
	{1, 8, 40, 9, 66, 3, 3, 2, 1, 1, PadReflect, true},
	// Few output channels: the direct (indirect-GEMM) path.
	{2, 64, 3, 19, 70, 7, 7, 1, 3, 1, PadReflect, true},
	{1, 5, 4, 21, 9, 3, 3, 1, 2, 2, PadReflect, true},
	{1, 7, 2, 10, 130, 5, 3, 1, 1, 1, PadZeros, false},
}

func newConv(r *rand.Rand, s convShape) *Conv2D {
	c := &Conv2D{InC: s.inC, OutC: s.outC, KH: s.kh, KW: s.kw, Stride: s.stride, Pad: s.pad, Dilation: s.dil, Padding: s.padding}
	c.Weight = randSlice(r, s.outC*s.inC*s.kh*s.kw, 1/math.Sqrt(float64(s.inC*s.kh*s.kw)))
	if s.bias {
		c.Bias = randSlice(r, s.outC, 1)
	}
	return c
}

func TestConv2DForward(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range convShapes {
		c := newConv(r, s)
		src := randTensor(r, s.n, s.inC, s.h, s.w)
		ref := Conv2DRef(c, src)
		absRef := Conv2DRef(absConv(c), absTensor(src))
		for _, ec := range epilogueCases {
			name := fmt.Sprintf("%v/%+v", s, ec)
			got, want, scale := runCase(t, r, ec, src, ref, absRef, c.Forward)
			compareTensors(t, name, got, want, scale, s.inC*s.kh*s.kw)
		}
	}
}

// TestFillRow checks the row packers against the definition, for every
// start, stride and padding mode on short rows (where mirroring folds more
// than once).
func TestFillRow(t *testing.T) {
	for _, w := range []int{1, 2, 3, 7} {
		row := make([]float32, w)
		for i := range row {
			row[i] = float32(i + 1)
		}
		for _, mode := range []Padding{PadZeros, PadReflect} {
			zero := mode == PadZeros
			want := func(ix int) float32 {
				if i, ok := padIndex(ix, w, mode); ok {
					return row[i]
				}
				return 0
			}
			for n := 0; n <= 9; n++ {
				for ix0 := -8; ix0 <= 8; ix0++ {
					for stride := 1; stride <= 3; stride++ {
						out := make([]float32, n)
						fillRow(out, row, ix0, stride, zero)
						for i, v := range out {
							if v != want(ix0+i*stride) {
								t.Fatalf("fillRow w=%d n=%d ix0=%d s=%d %v: out[%d] = %v, want %v", w, n, ix0, stride, mode, i, v, want(ix0+i*stride))
							}
						}
					}
					even, odd := make([]float32, n), make([]float32, n)
					fillRow2(even, odd, row, ix0, zero)
					for i := range even {
						if even[i] != want(ix0+2*i) || odd[i] != want(ix0+2*i+1) {
							t.Fatalf("fillRow2 w=%d n=%d ix0=%d %v: (%v, %v) at %d, want (%v, %v)", w, n, ix0, mode, even[i], odd[i], i, want(ix0+2*i), want(ix0+2*i+1))
						}
					}
				}
			}
		}
	}
}

// TestForwardConcurrent runs one layer from several goroutines on
// different dst at once, including the lazy first Prepare, and checks each
// result against a sequential one.
func TestForwardConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	c := newConv(r, convShape{1, 12, 20, 17, 19, 3, 3, 1, 1, 1, PadReflect, true})
	ct := newConvT(r, convTShape{1, 12, 7, 9, 8, 3, 2, 1, 1, true})
	small := newConv(r, convShape{1, 12, 3, 17, 19, 7, 7, 1, 3, 1, PadReflect, true}) // direct path
	src := randTensor(r, 2, 12, 17, 19)
	srcT := randTensor(r, 2, 12, 9, 8)
	const workers = 6
	outs := make([][3]*tensor.Tensor, workers)
	done := make(chan int)
	for w := 0; w < workers; w++ {
		go func() {
			o := [3]*tensor.Tensor{tensor.New(2, 20, 17, 19), tensor.New(2, 7, 18, 16), tensor.New(2, 3, 17, 19)}
			for range 3 {
				c.Forward(o[0], 0, src, 0, Epilogue{Act: ActReLU})
				ct.Forward(o[1], 0, srcT, 0, Epilogue{Act: ActReLU})
				small.Forward(o[2], 0, src, 0, Epilogue{Act: ActSigmoid})
			}
			outs[w] = o
			done <- w
		}()
	}
	for range workers {
		<-done
	}
	want := [3]*tensor.Tensor{tensor.New(2, 20, 17, 19), tensor.New(2, 7, 18, 16), tensor.New(2, 3, 17, 19)}
	c.Forward(want[0], 0, src, 0, Epilogue{Act: ActReLU})
	ct.Forward(want[1], 0, srcT, 0, Epilogue{Act: ActReLU})
	small.Forward(want[2], 0, src, 0, Epilogue{Act: ActSigmoid})
	for w, o := range outs {
		for i := range o {
			for j, v := range o[i].Data {
				if v != want[i].Data[j] {
					t.Fatalf("worker %d, layer %d: element %d = %v, sequential run gives %v", w, i, j, v, want[i].Data[j])
				}
			}
		}
	}
}

// TestForwardAllocations checks that, once warm, Forward allocates only
// small bookkeeping (offset tables, task state) — no activation-sized
// buffers: scratch comes from pools.
func TestForwardAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	c := newConv(r, convShape{1, 32, 48, 64, 64, 3, 3, 1, 1, 1, PadReflect, true})
	ct := newConvT(r, convTShape{1, 32, 16, 32, 32, 3, 2, 1, 1, true})
	small := newConv(r, convShape{1, 16, 3, 64, 64, 7, 7, 1, 3, 1, PadReflect, true})
	src, srcT := randTensor(r, 1, 32, 64, 64), randTensor(r, 1, 32, 32, 32)
	dst, dstT, dstS := tensor.New(1, 48, 64, 64), tensor.New(1, 16, 64, 64), tensor.New(1, 3, 64, 64)
	for _, tc := range []struct {
		name string
		run  func()
		out  *tensor.Tensor
	}{
		{"Conv2D", func() { c.Forward(dst, 0, src, 0, Epilogue{Act: ActReLU}) }, dst},
		{"ConvTranspose2D", func() { ct.Forward(dstT, 0, srcT, 0, Epilogue{Act: ActReLU}) }, dstT},
		{"Conv2D direct", func() { small.Forward(dstS, 0, src, 0, Epilogue{Act: ActSigmoid}) }, dstS},
	} {
		tc.run()
		// Offset tables and task state take a few KB; a GC may empty the
		// pools once in a while (often, on a loaded machine), so the bound
		// is on the average of the best of three rounds.
		perCall := uint64(math.MaxUint64)
		for range 3 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			const runs = 20
			for range runs {
				tc.run()
			}
			runtime.ReadMemStats(&after)
			perCall = min(perCall, (after.TotalAlloc-before.TotalAlloc)/runs)
		}
		const limit = 16 << 10
		if perCall > limit {
			t.Errorf("%s: %d bytes allocated per call, want ≤ %d (output is %d bytes)", tc.name, perCall, limit, 4*len(tc.out.Data))
		} else {
			t.Logf("%s: %d bytes per call", tc.name, perCall)
		}
	}
}
