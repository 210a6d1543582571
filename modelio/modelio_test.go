package modelio

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// halfRef is the definition of binary16: (−1)^s · 2^(e−15) · (1 + m/1024),
// subnormals 2^−14 · m/1024.
func halfRef(h uint16) float64 {
	s, e, m := h>>15, int(h>>10&0x1f), float64(h&0x3ff)
	var v float64
	switch e {
	case 0x1f:
		if m != 0 {
			return math.NaN()
		}
		v = math.Inf(1)
	case 0:
		v = math.Ldexp(m/1024, -14)
	default:
		v = math.Ldexp(1+m/1024, e-15)
	}
	if s == 1 {
		v = -v
	}
	return v
}

func TestHalfToFloat32(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		got, want := float64(halfToFloat32(uint16(h))), halfRef(uint16(h))
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Fatalf("%#04x: got %v, want NaN", h, got)
			}
			continue
		}
		if got != want || math.Signbit(got) != math.Signbit(want) {
			t.Fatalf("%#04x: got %v, want %v", h, got, want)
		}
	}
	// numpy: np.array([1, 65504, 2**-24, -0.0], '<f2').view('<u2') is
	// [0x3c00, 0x7bff, 0x0001, 0x8000].
	for h, want := range map[uint16]float32{0x3c00: 1, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24)} {
		if got := halfToFloat32(h); got != want {
			t.Errorf("%#04x: got %v, want %v", h, got, want)
		}
	}
}

func TestConversions(t *testing.T) {
	// A float value of each kind and what Float32 must give.
	floats := []struct {
		t    *Tensor
		want []float32
	}{
		{&Tensor{Name: "f64", DType: F64, Shape: []int{2}, Data: NewF64("", []int{2}, []float64{1.0 / 3, -1e300}).Data}, []float32{1.0 / 3, float32(math.Inf(-1))}},
		{NewF32("f32", []int{2}, []float32{1.5, -0.25}), []float32{1.5, -0.25}},
		{&Tensor{Name: "f16", DType: F16, Shape: []int{2}, Data: []byte{0x00, 0x3c, 0x00, 0xc0}}, []float32{1, -2}},
		{&Tensor{Name: "bf16", DType: BF16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x49, 0x40}}, []float32{1, 3.140625}},
	}
	for _, tt := range floats {
		got, err := tt.t.Float32()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s.Float32() = %v, %v; want %v", tt.t.Name, got, err, tt.want)
		}
		g64, err := tt.t.Float64()
		if err != nil || len(g64) != len(tt.want) {
			t.Errorf("%s.Float64(): %v", tt.t.Name, err)
		}
		if tt.t.DType != F64 {
			for i, v := range g64 {
				if float32(v) != tt.want[i] {
					t.Errorf("%s.Float64()[%d] = %v", tt.t.Name, i, v)
				}
			}
		}
		if _, err := tt.t.Int64(); err == nil {
			t.Errorf("%s.Int64() gave no error", tt.t.Name)
		}
	}
	if v, _ := floats[0].t.Float64(); v[0] != 1.0/3 {
		t.Errorf("F64 Float64 is not exact: %v", v[0])
	}

	ints := []struct {
		t    *Tensor
		want []int64
	}{
		{&Tensor{Name: "i64", DType: I64, Shape: []int{1}, Data: []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, []int64{-2}},
		{&Tensor{Name: "i32", DType: I32, Shape: []int{1}, Data: []byte{0xfe, 0xff, 0xff, 0xff}}, []int64{-2}},
		{&Tensor{Name: "i16", DType: I16, Shape: []int{2}, Data: []byte{0xfe, 0xff, 0x00, 0x80}}, []int64{-2, -32768}},
		{&Tensor{Name: "i8", DType: I8, Shape: []int{2}, Data: []byte{0xfe, 0x7f}}, []int64{-2, 127}},
		{&Tensor{Name: "u8", DType: U8, Shape: []int{2}, Data: []byte{0xfe, 0x7f}}, []int64{254, 127}},
		{&Tensor{Name: "bool", DType: BOOL, Shape: []int{2}, Data: []byte{1, 0}}, []int64{1, 0}},
	}
	for _, tt := range ints {
		got, err := tt.t.Int64()
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s.Int64() = %v, %v; want %v", tt.t.Name, got, err, tt.want)
		}
		if _, err := tt.t.Float32(); err == nil {
			t.Errorf("%s.Float32() gave no error", tt.t.Name)
		}
		if _, err := tt.t.Float64(); err == nil {
			t.Errorf("%s.Float64() gave no error", tt.t.Name)
		}
	}

	bad := []*Tensor{
		{Name: "short", DType: F32, Shape: []int{2}, Data: make([]byte, 7)},
		{Name: "long", DType: F32, Shape: []int{2}, Data: make([]byte, 9)},
		{Name: "dtype", DType: "F128", Shape: []int{1}, Data: make([]byte, 16)},
		{Name: "shape", DType: F32, Shape: []int{-1}, Data: nil},
	}
	for _, tt := range bad {
		_, err1 := tt.Float32()
		_, err2 := tt.Int64()
		if err1 == nil || err2 == nil || !strings.Contains(err1.Error(), tt.Name) {
			t.Errorf("%s: errors %v, %v", tt.Name, err1, err2)
		}
	}
}

func TestNewTensor(t *testing.T) {
	x := NewF32("x", []int{2, 1}, []float32{1, -2})
	if x.DType != F32 || !slices.Equal(x.Shape, []int{2, 1}) || len(x.Data) != 8 || x.NumElements() != 2 {
		t.Fatalf("%+v", x)
	}
	y := NewF64("s", nil, []float64{7})
	if v, _ := y.Float64(); y.NumElements() != 1 || v[0] != 7 || y.Shape == nil {
		t.Fatalf("%+v", y)
	}
	for _, f := range []func(){
		func() { NewF32("x", []int{3}, []float32{1}) },
		func() { NewF64("x", []int{-1}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("mismatched shape did not panic")
				}
			}()
			f()
		}()
	}
}

func TestNumElements(t *testing.T) {
	tests := []struct {
		shape []int
		n     int
		ok    bool
	}{
		{nil, 1, true},
		{[]int{3, 4}, 12, true},
		{[]int{0, 5}, 0, true},
		{[]int{math.MaxInt, 0}, 0, true},
		{[]int{-1, 0}, 0, false},
		{[]int{1 << 31, 1 << 31, 4}, 0, false},
		{[]int{maxElements}, maxElements, true},
		{[]int{maxElements, 2}, 0, false},
	}
	for _, tt := range tests {
		n, ok := numElements(tt.shape)
		if n != tt.n || ok != tt.ok {
			t.Errorf("numElements(%v) = %d, %v", tt.shape, n, ok)
		}
	}
}

func TestStripPrefix(t *testing.T) {
	a, b := NewF32("g.a", nil, []float32{1}), NewF32("d.b", nil, []float32{2})
	f := &File{Tensors: map[string]*Tensor{"g.a": a, "d.b": b, "g.": b}}
	got := StripPrefix(f, "g.")
	if !reflect.DeepEqual(got, map[string]*Tensor{"a": a, "": b}) {
		t.Errorf("got %v", got)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head string
		want sniffResult
	}{
		{"PK\x03\x04rest", sniffZip},
		{"PK\x05\x06", sniffZip},
		{"\x93NUMPY\x01\x00", sniffNPY},
		{legacyTorchMagic, sniffLegacyTorch},
		{"\x80\x02\x8a\x0a", sniffUnknown},
		{"\x02\x00\x00\x00\x00\x00\x00\x00{}", sniffSafetensors},
		{"{}", sniffUnknown},
		{"", sniffUnknown},
	}
	for _, tt := range tests {
		if got := sniff([]byte(tt.head)); got != tt.want {
			t.Errorf("sniff(%q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

// BenchmarkFloat32 converts a 16 MB F32 tensor.
func BenchmarkFloat32(b *testing.B) {
	x := NewF32("x", []int{1 << 22}, make([]float32, 1<<22))
	b.SetBytes(int64(len(x.Data)))
	for b.Loop() {
		x.Float32()
	}
}
