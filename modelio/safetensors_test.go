package modelio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// allDTypes returns one small tensor of every dtype, plus a scalar and an
// empty tensor, with the values of dtypesWant.
func allDTypes(t testing.TB) []*Tensor {
	f, err := Load(filepath.Join("testdata", "torch", "dtypes_p2.pt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*Tensor
	for _, name := range f.Names {
		out = append(out, f.Tensors[name])
	}
	return out
}

func TestSafetensorsRoundTrip(t *testing.T) {
	tensors := allDTypes(t)
	path := filepath.Join(t.TempDir(), "all.safetensors")
	meta := map[string]string{"format": "pt", "note": "<ü & \"quoted\">"}
	if err := WriteSafetensors(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != FormatSafetensors || !reflect.DeepEqual(f.Meta, meta) {
		t.Errorf("format %s meta %v", f.Format, f.Meta)
	}
	for i, tt := range tensors {
		if f.Names[i] != tt.Name {
			t.Errorf("name %d is %s, want %s", i, f.Names[i], tt.Name)
		}
		checkTensor(t, f.Tensors[tt.Name], dtypesWant[i])
	}
	// The header is padded so that the data starts 8-aligned.
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}

	// Without metadata there is no __metadata__ key.
	if err := WriteSafetensors(path, tensors[:1], nil); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(path)
	if bytes.Contains(raw, []byte("__metadata__")) {
		t.Error("empty metadata was written")
	}
	f, err = Load(path)
	if err != nil || f.Meta != nil || len(f.Names) != 1 {
		t.Errorf("%v %v", f, err)
	}
}

func TestWriteSafetensorsErrors(t *testing.T) {
	dir := t.TempDir()
	good := NewF32("a", []int{2}, []float32{1, 2})
	tests := []struct {
		name    string
		tensors []*Tensor
		meta    map[string]string
		msg     string
	}{
		{"nil tensor", []*Tensor{nil}, nil, "is nil"},
		{"empty name", []*Tensor{{DType: F32, Shape: []int{}, Data: make([]byte, 4)}}, nil, "empty, reserved"},
		{"reserved name", []*Tensor{{Name: "__metadata__", DType: F32, Shape: []int{}, Data: make([]byte, 4)}}, nil, "reserved"},
		{"repeated name", []*Tensor{good, good}, nil, "repeated"},
		{"bad dtype", []*Tensor{{Name: "x", DType: "F8", Shape: []int{1}, Data: make([]byte, 1)}}, nil, "unknown dtype"},
		{"short data", []*Tensor{{Name: "x", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}}, nil, "4 bytes of data"},
		{"negative dim", []*Tensor{{Name: "x", DType: F32, Shape: []int{-1}}}, nil, "invalid shape"},
		{"bad meta", []*Tensor{good}, map[string]string{"k": "\xff"}, "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "out.safetensors")
			err := WriteSafetensors(path, tt.tensors, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v, want one about %q naming the file", err, tt.msg)
			}
			if _, err := os.Stat(path); err == nil {
				t.Fatal("a file was written")
			}
		})
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// stFile assembles a safetensors file from a header and data.
func stFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// prefixReader reads as prefix followed by endless zeros, so that a test
// can claim a huge file without allocating it.
type prefixReader struct {
	prefix []byte
}

func (r prefixReader) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(r.prefix)) {
		copy(p, r.prefix[off:])
	}
	return len(p), nil
}

func TestReadSafetensorsErrors(t *testing.T) {
	t8 := make([]byte, 8)
	tests := []struct {
		name        string
		file        []byte
		unsupported bool
		msg         string
	}{
		{"short", []byte{1, 2, 3}, false, "no header length"},
		{"length past end", stFile("{}", nil)[:9], false, "exceeds"},
		{"not an object", stFile("[]", nil), false, "does not start with '{'"},
		{"leading space", stFile(" {}", nil), false, "does not start with '{'"},
		{"bad utf-8", stFile("{\"\xff\":1}", nil), false, "UTF-8"},
		{"bad json", stFile(`{"a":}`, nil), false, "header"},
		{"trailing junk", stFile(`{} x`, nil), false, "after the JSON object"},
		{"duplicate", stFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`, t8), false, `"a" appears twice`},
		{"metadata not strings", stFile(`{"__metadata__":{"a":1}}`, nil), false, "__metadata__"},
		{"entry not an object", stFile(`{"a":3}`, nil), false, `tensor "a"`},
		{"no offsets", stFile(`{"a":{"dtype":"F32","shape":[]}}`, t8), false, "data_offsets has 0"},
		{"three offsets", stFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, t8), false, "data_offsets has 3"},
		{"negative offset", stFile(`{"a":{"dtype":"F32","shape":[],"data_offsets":[-4,0]}}`, t8), false, `tensor "a"`},
		{"unknown dtype", stFile(`{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}`, t8[:4]), true, `dtype "F8_E4M3"`},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, t8[:4]), false, "invalid shape"},
		{"huge shape", stFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, t8[:4]), false, "invalid shape"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, t8[:4]), false, "(8 bytes)"},
		{"reversed offsets", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, t8[:4]), false, "data_offsets [4, 0]"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, t8), false, "overlaps"},
		{"gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, t8), false, "leaves a gap"},
		{"past the end", stFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, t8), false, "cover 16 bytes of data, the file has 8"},
		{"data left over", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, t8), false, "cover 4 bytes of data, the file has 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadSafetensors(bytes.NewReader(tt.file), int64(len(tt.file)))
			checkErr(t, err, tt.unsupported, tt.msg)
		})
	}
	// A header length that the (claimed) file could hold but that is over
	// the limit is refused before anything is allocated.
	r := prefixReader{binary.LittleEndian.AppendUint64(nil, 1<<40)}
	_, err := ReadSafetensors(r, 1<<41)
	checkErr(t, err, true, "header of 1099511627776 bytes")
}

func TestReadSafetensorsValid(t *testing.T) {
	tests := []struct {
		name   string
		file   []byte
		names  []string
		shapes [][]int
	}{
		{"empty", stFile(`{}`, nil), nil, nil},
		{"metadata only, padded", stFile(`{"__metadata__":{"a":"b"}}    `, nil), nil, nil},
		{"data order, not header order", stFile(`{"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2}),
			[]string{"a", "b"}, [][]int{{1}, {1}}},
		{"zero-size tensors", stFile(`{"e":{"dtype":"F64","shape":[0,5],"data_offsets":[0,0]},"s":{"dtype":"BOOL","shape":[],"data_offsets":[0,1]}}`, []byte{1}),
			[]string{"e", "s"}, [][]int{{0, 5}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadSafetensors(bytes.NewReader(tt.file), int64(len(tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Names, tt.names) {
				t.Fatalf("names %v, want %v", f.Names, tt.names)
			}
			for i, n := range tt.names {
				if !slices.Equal(f.Tensors[n].Shape, tt.shapes[i]) {
					t.Errorf("%s: shape %v, want %v", n, f.Tensors[n].Shape, tt.shapes[i])
				}
			}
		})
	}
	f, _ := ReadSafetensors(bytes.NewReader(tests[2].file), int64(len(tests[2].file)))
	if f.Tensors["a"].Data[0] != 1 || f.Tensors["b"].Data[0] != 2 {
		t.Error("data read from the wrong offsets")
	}
}

// TestSafetensorsHeaderJSON checks that the header is plain JSON with the
// tensors in the given order.
func TestSafetensorsHeaderJSON(t *testing.T) {
	h, err := safetensorsHeader([]*Tensor{NewF32("z<", []int{1}, []float32{1}), NewF64("a", []int{2, 1}, []float64{1, 2})}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"__metadata__":{"k":"v"},"z<":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F64","shape":[2,1],"data_offsets":[4,20]}}`
	if got := strings.TrimRight(string(h), " "); got != want {
		t.Fatalf("header\n%s\nwant\n%s", got, want)
	}
	var v map[string]any
	if err := json.Unmarshal(h, &v); err != nil {
		t.Fatal(err)
	}
}
