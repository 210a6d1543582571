package modelio

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// peerPython is the Debian Python with numpy (and torch) that gen.py uses.
const peerPython = "/usr/bin/python3"

func needPeer(t *testing.T) {
	t.Helper()
	if err := exec.Command(peerPython, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy is not available: %v", peerPython, err)
	}
}

// TestPythonReadsOurFiles has NumPy and an independent safetensors parser
// read what WriteSafetensors and WriteNPY wrote.
func TestPythonReadsOurFiles(t *testing.T) {
	needPeer(t)
	dir := t.TempDir()
	tensors := allDTypes(t)
	st := filepath.Join(dir, "all.safetensors")
	meta := map[string]string{"format": "pt", "ü": "\"x\""}
	if err := WriteSafetensors(st, tensors, meta); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "check_written.py"), st}
	npyDType := map[DType]string{F64: "float64", F32: "float32", F16: "float16", I64: "int64", I32: "int32",
		I16: "int16", I8: "int8", U8: "uint8", BOOL: "bool"}
	npys := map[string]*Tensor{}
	for _, x := range tensors {
		if x.DType == BF16 {
			continue
		}
		p := filepath.Join(dir, x.Name+".npy")
		if err := WriteNPY(p, x); err != nil {
			t.Fatal(err)
		}
		npys[p] = x
		args = append(args, p)
	}
	out, err := exec.Command(peerPython, args...).Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	type pyTensor struct {
		Name, DType string
		Shape       []int
		Values      []float64
		CContiguous bool `json:"c_contiguous"`
	}
	var got map[string]struct {
		Meta    map[string]string
		Tensors []pyTensor
		pyTensor
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	values := func(x *Tensor) []float64 {
		if x.DType.isFloat() {
			v, _ := x.Float64()
			return v
		}
		ints, _ := x.Int64()
		v := make([]float64, len(ints))
		for i, n := range ints {
			v[i] = float64(n)
		}
		return v
	}
	s := got[st]
	if !reflect.DeepEqual(s.Meta, meta) || len(s.Tensors) != len(tensors) {
		t.Fatalf("safetensors: meta %v, %d tensors", s.Meta, len(s.Tensors))
	}
	for i, x := range tensors {
		py := s.Tensors[i]
		if py.Name != x.Name || py.DType != string(x.DType) || !slices.Equal(py.Shape, x.Shape) || !slices.Equal(py.Values, values(x)) {
			t.Errorf("safetensors %s: python read %+v", x.Name, py)
		}
	}
	for p, x := range npys {
		py := got[p]
		if py.DType != npyDType[x.DType] || !slices.Equal(py.Shape, x.Shape) || !slices.Equal(py.Values, values(x)) || !py.CContiguous {
			t.Errorf("npy %s: numpy read %+v", x.Name, py.pyTensor)
		}
	}
}
