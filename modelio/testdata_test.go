package modelio

import (
	"math"
	"reflect"
	"testing"
)

// expected describes a tensor of testdata/gen.py by the formula that made it.
type expected struct {
	name  string
	dtype DType
	shape []int
	vals  []float64 // every value, as float64 (ints are small or exact)
}

func seq(n int, f func(i int) float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

// dtypesWant is gen.py's dtypes_dict, in its order.
var dtypesWant = []expected{
	{"f64", F64, []int{2, 3, 4}, seq(24, func(i int) float64 { return float64(i)*0.5 - 3 })},
	{"f32", F32, []int{2, 3, 4}, seq(24, func(i int) float64 { return float64(i)*0.5 - 3 })},
	{"f16", F16, []int{3, 4}, seq(12, func(i int) float64 { return float64(i)*0.25 - 1 })},
	{"bf16", BF16, []int{3, 4}, seq(12, func(i int) float64 { return float64(i)*0.25 - 1 })},
	{"i64", I64, []int{6}, []float64{-(1 << 40), -1, 0, 1, 1 << 40, 1 << 62}},
	{"i32", I32, []int{6}, seq(6, func(i int) float64 { return float64(i - 3) })},
	{"i16", I16, []int{6}, seq(6, func(i int) float64 { return float64(i - 3) })},
	{"i8", I8, []int{6}, seq(6, func(i int) float64 { return float64(i - 3) })},
	{"u8", U8, []int{5}, []float64{0, 1, 127, 128, 255}},
	{"bool", BOOL, []int{3}, []float64{1, 0, 1}},
	{"scalar", F32, []int{}, []float64{3.5}},
	{"empty", F32, []int{0, 3}, []float64{}},
	// base = arange(12).reshape(3, 4); transposed[i][j] = base[j][i]
	{"transposed", F32, []int{4, 3}, seq(12, func(k int) float64 { i, j := k/3, k%3; return float64(j*4 + i) })},
	{"slice", F32, []int{6}, seq(6, func(i int) float64 { return float64(5 + i) })},
	// arange(24).reshape(4, 6)[:, 1:5:2]
	{"strided", F32, []int{4, 2}, seq(8, func(k int) float64 { r, c := k/2, k%2; return float64(r*6 + 1 + 2*c) })},
	{"expanded", F32, []int{2, 3}, []float64{1, 2, 3, 1, 2, 3}},
	{"tied_a", F32, []int{4}, seq(4, func(i int) float64 { return float64(10 + i) })},
	{"tied_b", F32, []int{4}, seq(4, func(i int) float64 { return float64(10 + i) })},
	{"param", F32, []int{4}, seq(4, func(i int) float64 { return float64(i - 1) })},
	{"num_batches_tracked", I64, []int{}, []float64{5}},
}

// checkTensor compares t with e, converting through the Tensor accessors.
func checkTensor(t *testing.T, got *Tensor, e expected) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: missing", e.name)
		return
	}
	if got.DType != e.dtype || !reflect.DeepEqual(got.Shape, e.shape) {
		t.Errorf("%s: %s %v, want %s %v", e.name, got.DType, got.Shape, e.dtype, e.shape)
		return
	}
	if got.NumElements() != len(e.vals) || len(got.Data) != len(e.vals)*e.dtype.Size() {
		t.Errorf("%s: %d elements in %d bytes, want %d", e.name, got.NumElements(), len(got.Data), len(e.vals))
		return
	}
	var vals []float64
	if e.dtype.isFloat() {
		var err error
		if vals, err = got.Float64(); err != nil {
			t.Errorf("%s: %v", e.name, err)
			return
		}
	} else {
		ints, err := got.Int64()
		if err != nil {
			t.Errorf("%s: %v", e.name, err)
			return
		}
		for _, v := range ints {
			vals = append(vals, float64(v))
		}
	}
	for i, v := range vals {
		if v != e.vals[i] && !(math.IsNaN(v) && math.IsNaN(e.vals[i])) {
			t.Errorf("%s[%d] = %v, want %v", e.name, i, v, e.vals[i])
			return
		}
	}
}
