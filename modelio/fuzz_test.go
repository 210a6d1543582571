package modelio

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// checkFuzzErr requires a reader's error to be one of modelio's two kinds:
// on an in-memory file there is no I/O error to report.
func checkFuzzErr(t *testing.T, err error) {
	var fe *FormatError
	var ue *UnsupportedError
	if !errors.As(err, &fe) && !errors.As(err, &ue) {
		t.Fatalf("error %q (%T) is neither a FormatError nor an UnsupportedError", err, err)
	}
}

// checkFile checks the invariants of a successfully read File.
func checkFile(t *testing.T, f *File) {
	if len(f.Names) != len(f.Tensors) {
		t.Fatalf("%d names for %d tensors", len(f.Names), len(f.Tensors))
	}
	for _, name := range f.Names {
		x := f.Tensors[name]
		if x == nil || x.Name != name {
			t.Fatalf("tensor %q missing or misnamed", name)
		}
		if _, err := x.check(); err != nil {
			t.Fatal(err)
		}
	}
}

func readTestdata(f *testing.F, pattern string) [][]byte {
	paths, _ := filepath.Glob(filepath.Join("testdata", pattern))
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzReadTorch(f *testing.F) {
	for _, b := range readTestdata(f, "torch/*") {
		f.Add(b)
	}
	four := f32bytes(1, 2, 3, 4)
	f.Add(torchZip(f, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
		w.tensor("FloatStorage", "0", 4, 0, []int{2, 2}, []int{1, 2})
	})), "a/data/0", four))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadTorch(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		checkFile(t, file)
	})
}

// FuzzTorchPickle fuzzes the pickle inside a valid archive: data.pkl is the
// input, the storages are those of testdata/torch/dtypes_p2.pt. Mutating a
// whole zip mostly breaks its CRCs; this reaches the pickle machine.
func FuzzTorchPickle(f *testing.F) {
	src, err := os.ReadFile(filepath.Join("testdata", "torch", "dtypes_p2.pt"))
	if err != nil {
		f.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		f.Fatal(err)
	}
	var storages []any
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		name := zf.Name[strings.IndexByte(zf.Name, '/')+1:]
		if name == "data.pkl" {
			f.Add(b)
			continue
		}
		storages = append(storages, "a/"+name, b)
	}
	for _, b := range readTestdata(f, "pickle/*.pkl") {
		f.Add(b)
	}
	for _, name := range []string{"dtypes_p4.pt", "lightning.ckpt"} {
		b, _ := os.ReadFile(filepath.Join("testdata", "torch", name))
		zr, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/data.pkl") {
				rc, _ := zf.Open()
				pkl, _ := io.ReadAll(rc)
				f.Add(pkl)
			}
		}
	}
	f.Fuzz(func(t *testing.T, pkl []byte) {
		data := torchZip(t, append([]any{"a/data.pkl", pkl}, storages...)...)
		file, err := ReadTorch(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		checkFile(t, file)
	})
}

func FuzzReadSafetensors(f *testing.F) {
	tensors := allDTypes(f)
	h, _ := safetensorsHeader(tensors, map[string]string{"format": "pt"})
	b := binary8(len(h))
	b = append(append(b, h...), concatData(tensors)...)
	f.Add(b)
	f.Add(stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[],"data_offsets":[8,10]}}`, make([]byte, 10)))
	f.Add(stFile(`{"__metadata__":{"k":"v"}}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ReadSafetensors(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		checkFile(t, file)
		// What was read is written back (in memory) and read again.
		var ts []*Tensor
		total := 0
		for _, n := range file.Names {
			ts = append(ts, file.Tensors[n])
			total += len(file.Tensors[n].Data)
		}
		h, err := safetensorsHeader(ts, file.Meta)
		if err != nil {
			t.Fatalf("cannot write back what was read: %v", err)
		}
		again := append(append(binary8(len(h)), h...), concatData(ts)...)
		g, err := ReadSafetensors(bytes.NewReader(again), int64(len(again)))
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		if !slices.Equal(g.Names, file.Names) || len(g.Meta) != len(file.Meta) {
			t.Fatalf("round trip changed names %v → %v or meta", file.Names, g.Names)
		}
		for _, n := range g.Names {
			a, b := file.Tensors[n], g.Tensors[n]
			if a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) || !bytes.Equal(a.Data, b.Data) {
				t.Fatalf("round trip changed %s", n)
			}
		}
	})
}

func FuzzDecodeNPY(f *testing.F) {
	for _, b := range readTestdata(f, "npy/*.npy") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := DecodeNPY(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkFuzzErr(t, err)
			return
		}
		n, err := x.check()
		if err != nil {
			t.Fatal(err)
		}
		descr := map[DType]string{F64: "<f8", F32: "<f4", F16: "<f2", I64: "<i8", I32: "<i4", I16: "<i2",
			I8: "|i1", U8: "|u1", BOOL: "|b1"}[x.DType]
		again := append(npyHeaderBytes(descr, x.Shape), x.Data...)
		y, err := DecodeNPY(bytes.NewReader(again), int64(len(again)))
		if err != nil {
			t.Fatalf("cannot read back what was written: %v", err)
		}
		if y.DType != x.DType || !slices.Equal(y.Shape, x.Shape) || !bytes.Equal(y.Data, x.Data) || y.NumElements() != n {
			t.Fatal("round trip changed the array")
		}
	})
}

func binary8(n int) []byte { return le64(uint64(n)) }

func concatData(ts []*Tensor) []byte {
	var b []byte
	for _, x := range ts {
		b = append(b, x.Data...)
	}
	return b
}

// TestTruncated cuts valid files of each format at every length: each cut
// must give a *FormatError that says what is missing.
func TestTruncated(t *testing.T) {
	st := allDTypes(t)
	h, err := safetensorsHeader(st, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	stBytes := append(append(binary8(len(h)), h...), concatData(st)...)
	npyBytes, err := os.ReadFile(filepath.Join("testdata", "npy", "f8.npy"))
	if err != nil {
		t.Fatal(err)
	}
	torchBytes, err := os.ReadFile(filepath.Join("testdata", "torch", "lightning.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	readers := []struct {
		name string
		data []byte
		read func([]byte) error
	}{
		{"safetensors", stBytes, func(b []byte) error { _, err := ReadSafetensors(bytes.NewReader(b), int64(len(b))); return err }},
		{"npy", npyBytes, func(b []byte) error { _, err := DecodeNPY(bytes.NewReader(b), int64(len(b))); return err }},
		{"torch", torchBytes, func(b []byte) error { _, err := ReadTorch(bytes.NewReader(b), int64(len(b))); return err }},
	}
	for _, r := range readers {
		if err := r.read(r.data); err != nil {
			t.Fatalf("%s: the whole file does not read: %v", r.name, err)
		}
		for n := range len(r.data) {
			err := r.read(r.data[:n])
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("%s cut at %d of %d: error %v is not a *FormatError", r.name, n, len(r.data), err)
			}
		}
	}
}
