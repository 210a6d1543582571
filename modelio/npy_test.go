package modelio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNPYFiles reads gen.py's arrays: x = arange(12).reshape(3, 4) in every
// dtype and byte order, y = arange(24).reshape(2, 3, 4) in Fortran order and
// format versions 2 and 3, and the corner shapes.
func TestNPYFiles(t *testing.T) {
	quarter := seq(12, func(i int) float64 { return float64(i-5) * 0.25 })
	minus5 := seq(12, func(i int) float64 { return float64(i - 5) })
	y := seq(24, func(i int) float64 { return float64(i) })
	tests := []struct {
		file string
		want expected
	}{
		{"f2", expected{"", F16, []int{3, 4}, quarter}},
		{"f4", expected{"", F32, []int{3, 4}, quarter}},
		{"f8", expected{"", F64, []int{3, 4}, quarter}},
		{"be_f2", expected{"", F16, []int{3, 4}, quarter}},
		{"be_f4", expected{"", F32, []int{3, 4}, quarter}},
		{"be_f8", expected{"", F64, []int{3, 4}, quarter}},
		{"i1", expected{"", I8, []int{3, 4}, minus5}},
		{"i2", expected{"", I16, []int{3, 4}, minus5}},
		{"i4", expected{"", I32, []int{3, 4}, minus5}},
		{"i8", expected{"", I64, []int{3, 4}, minus5}},
		{"be_i8", expected{"", I64, []int{3, 4}, minus5}},
		{"u1", expected{"", U8, []int{3, 4}, seq(12, func(i int) float64 { return float64(20 * i) })}},
		{"b1", expected{"", BOOL, []int{3, 4}, seq(12, func(i int) float64 { return float64(btoi(i%3 == 0)) })}},
		{"fortran_f4", expected{"", F32, []int{2, 3, 4}, y}},
		{"v2_f4", expected{"", F32, []int{2, 3, 4}, y}},
		{"v3_f4", expected{"", F32, []int{2, 3, 4}, y}},
		{"scalar_f8", expected{"", F64, []int{}, []float64{2.5}}},
		{"empty_f4", expected{"", F32, []int{0, 3}, []float64{}}},
		{"vector_i4", expected{"", I32, []int{5}, seq(5, func(i int) float64 { return float64(i) })}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			x, err := ReadNPY(filepath.Join("testdata", "npy", tt.file+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			checkTensor(t, x, tt.want)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for i, x := range allDTypes(t) {
		t.Run(x.Name, func(t *testing.T) {
			path := filepath.Join(dir, x.Name+".npy")
			err := WriteNPY(path, x)
			if x.DType == BF16 {
				checkErr(t, err, true, "numpy has no dtype for BF16")
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := os.ReadFile(path)
			if hl := int(binary.LittleEndian.Uint16(raw[8:])); (10+hl)%64 != 0 || raw[9+hl] != '\n' {
				t.Errorf("header of %d bytes does not end at a multiple of 64 with a newline", hl)
			}
			y, err := ReadNPY(path)
			if err != nil {
				t.Fatal(err)
			}
			want := dtypesWant[i]
			want.name = ""
			checkTensor(t, y, want)
		})
	}
}

func TestNPYHeaderVariants(t *testing.T) {
	tests := []struct {
		header string
		dtype  DType
		shape  []int
		big    bool
	}{
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", F32, []int{2, 3}, false},
		{`{"descr":"<f4","fortran_order":False,"shape":(2,3)}`, F32, []int{2, 3}, false},
		{"{'shape': (2L, 3L), 'fortran_order': False, 'descr': '>i4'}", I32, []int{2, 3}, true},
		{"{'descr': 'f8', 'fortran_order': False, 'shape': ()}", F64, []int{}, false},
		{"{'descr': '=i2', 'fortran_order': False, 'shape': (4,)}", I16, []int{4}, false},
		{"{'descr': '|u1', 'fortran_order': True, 'shape': [1, 2]}", U8, []int{1, 2}, false},
		{"{'descr': '>b1', 'fortran_order': False, 'shape': (1,)}", BOOL, []int{1}, false},
		{"\t{ 'descr' : '<f2' , 'fortran_order' : False , 'shape' : ( 1 , ) , } \n", F16, []int{1}, false},
	}
	for _, tt := range tests {
		h, err := parseNPYHeader(tt.header)
		if err != nil {
			t.Errorf("%s: %v", tt.header, err)
			continue
		}
		if h.dtype != tt.dtype || !slices.Equal(h.shape, tt.shape) || h.bigEndian != tt.big {
			t.Errorf("%s: got %s %v big=%v", tt.header, h.dtype, h.shape, h.bigEndian)
		}
	}
}

// npyFile assembles a version 1.0 .npy file from a header and data.
func npyFile(header string, data []byte) []byte {
	b := append([]byte(npyMagic+"\x01\x00"), 0, 0)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeNPYErrors(t *testing.T) {
	h := func(descr, fortran, shape string) string {
		return "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n"
	}
	ok := h("'<f4'", "False", "(2,)")
	eight := make([]byte, 8)
	tests := []struct {
		name        string
		file        []byte
		unsupported bool
		msg         string
	}{
		{"short", []byte("\x93NUMPY\x01"), false, "too short"},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00"), false, "bad magic"},
		{"version 4", []byte("\x93NUMPY\x04\x00\x00\x00\x00\x00"), true, "version 4.0"},
		{"v2 short", []byte("\x93NUMPY\x02\x00\x00\x00\x00"), false, "too short"},
		{"header past end", npyFile(ok, eight)[:20], false, "exceeds"},
		{"huge v2 header", append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), make([]byte, 4)...), false, "exceeds"},
		{"not a dict", npyFile("(1, 2)", nil), false, "not a dict"},
		{"missing key", npyFile("{'descr': '<f4', 'shape': (2,)}", eight), false, "not a dict of descr"},
		{"extra key", npyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", eight), false, "not a dict of descr"},
		{"duplicate key", npyFile("{'descr': '<f4', 'descr': '<f4', 'shape': (2,)}", eight), false, "appears twice"},
		{"descr not a string", npyFile(h("4", "False", "(2,)"), eight), false, "no descr string"},
		{"structured", npyFile(h("[('a', '<f4')]", "False", "(2,)"), eight), true, "structured"},
		{"uint16", npyFile(h("'<u2'", "False", "(2,)"), eight), true, `dtype "<u2"`},
		{"complex", npyFile(h("'<c8'", "False", "(1,)"), eight), true, `dtype "<c8"`},
		{"object", npyFile(h("'|O'", "False", "(1,)"), eight), true, `dtype "|O"`},
		{"fortran not bool", npyFile(h("'<f4'", "0", "(2,)"), eight), false, "fortran_order"},
		{"shape not tuple", npyFile(h("'<f4'", "False", "2"), eight), false, "no shape tuple"},
		{"shape (2) is not a tuple", npyFile(h("'<f4'", "False", "(2)"), eight), false, "no shape tuple"},
		{"negative dim", npyFile(h("'<f4'", "False", "(-2,)"), eight), false, "bad dimension"},
		{"string dim", npyFile(h("'<f4'", "False", "('2',)"), eight), false, "bad dimension"},
		{"huge shape", npyFile(h("'<f4'", "False", "(4294967296, 4294967296)"), eight), false, "too large"},
		{"int overflow", npyFile(h("'<f4'", "False", "(99999999999999999999,)"), eight), false, "bad integer"},
		{"data short", npyFile(ok, eight[:7]), false, "needs 2·4 bytes of data, the file has 7"},
		{"data long", npyFile(ok, make([]byte, 9)), false, "the file has 9"},
		{"claims more than the file", npyFile(h("'<f8'", "False", "(1000000000000,)"), eight), false, "the file has 8"},
		{"unterminated string", npyFile("{'descr", nil), false, "unterminated string"},
		{"escape", npyFile(`{'des\'cr': 1}`, nil), false, "escapes"},
		{"junk after", npyFile(ok+"x", eight), false, "after the dict"},
		{"unexpected", npyFile("{'descr': @}", nil), false, "unexpected"},
		{"missing colon", npyFile("{'descr' '<f4'}", nil), false, "missing ':'"},
		{"missing comma", npyFile("{'descr': '<f4' 'x': 1}", nil), false, "missing ','"},
		{"deep", npyFile(strings.Repeat("[", 100), nil), false, "nested more than"},
		{"end", npyFile("{'descr': ", nil), false, "unexpected end"},
		{"non-string key", npyFile("{1: 2}", nil), false, "not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeNPY(bytes.NewReader(tt.file), int64(len(tt.file)))
			checkErr(t, err, tt.unsupported, tt.msg)
		})
	}
}

func TestReadNPYNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.npy")
	os.WriteFile(path, []byte("\x93NUMPY\x09\x00\x00\x00"), 0o644)
	_, err := ReadNPY(path)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.File != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
}
