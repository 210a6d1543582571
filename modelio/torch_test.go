package modelio

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/aerofill/aerofill/internal/shared"
)

// TestTorchDTypes reads gen.py's dict of every dtype and view kind, saved
// with pickle protocols 2, 4 and 5, deflate-compressed, and big-endian.
func TestTorchDTypes(t *testing.T) {
	for _, name := range []string{"dtypes_p2.pt", "dtypes_p4.pt", "dtypes_p5.pt", "dtypes_deflate.pt", "dtypes_big.pt"} {
		t.Run(name, func(t *testing.T) {
			f, err := Load(filepath.Join("testdata", "torch", name))
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != FormatTorch || f.Meta != nil {
				t.Errorf("format %q meta %v, want torch and none", f.Format, f.Meta)
			}
			var names []string
			for _, e := range dtypesWant {
				names = append(names, e.name)
				checkTensor(t, f.Tensors[e.name], e)
			}
			if !slices.Equal(f.Names, names) {
				t.Errorf("names %v, want %v", f.Names, names)
			}
			// Tied weights share their bytes, as they share a storage.
			a, b := f.Tensors["tied_a"].Data, f.Tensors["tied_b"].Data
			if unsafe.SliceData(a) != unsafe.SliceData(b) {
				t.Error("tied tensors do not share data")
			}
		})
	}
}

func TestTorchOddFiles(t *testing.T) {
	tests := []struct {
		file        string
		unsupported bool
		msg         string
	}{
		{"legacy.pt", true, "legacy"},
		{"tensor.pt", true, "holds tensor, not a dict"},
		{"nested.pt", true, `keys: "model", "epoch"`},
		{"torchscript.pt", true, "TorchScript"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "torch", tt.file)
			_, err := Load(path)
			checkErr(t, err, tt.unsupported, tt.msg)
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			// ReadTorch says the same without the file name.
			data, _ := os.ReadFile(path)
			_, err = ReadTorch(bytes.NewReader(data), int64(len(data)))
			checkErr(t, err, tt.unsupported, tt.msg)
		})
	}
	f, err := Load(filepath.Join("testdata", "torch", "empty.pt"))
	if err != nil || f.Format != FormatTorch || len(f.Tensors) != 0 || len(f.Names) != 0 {
		t.Errorf("empty.pt: %v, %v", f, err)
	}
	f, err = Load(filepath.Join("testdata", "torch", "lightning.ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := map[string]string{"epoch": "7", "global_step": "1099511627776", "pytorch-lightning_version": "2.0.1"}
	if f.Format != FormatLightning || !reflect.DeepEqual(f.Meta, wantMeta) || !slices.Equal(f.Names, []string{"generator.w"}) {
		t.Errorf("lightning.ckpt: format %s, meta %v, names %v", f.Format, f.Meta, f.Names)
	}
	checkTensor(t, f.Tensors["generator.w"], expected{"generator.w", F32, []int{3}, []float64{0, 1, 2}})
}

// oracleCases are LaMa's generators in ../shared/oracle.
var oracleCases = []string{"fourier-small", "odd-fft", "lfu", "two-down"}

// TestOracleModels loads every oracle generator from its four files and
// requires the same names and bit-identical tensors from each.
func TestOracleModels(t *testing.T) {
	for _, c := range oracleCases {
		t.Run(c, func(t *testing.T) {
			dir := shared.Path(t, "oracle", c)
			pt, err := Load(filepath.Join(dir, "model.pt"))
			if err != nil {
				t.Fatal(err)
			}
			if pt.Format != FormatTorch || len(pt.Names) < 10 {
				t.Fatalf("model.pt: format %s with %d tensors", pt.Format, len(pt.Names))
			}
			if w := pt.Tensors["model.1.ffc.convl2l.weight"]; w == nil || w.DType != F32 || len(w.Shape) != 4 || w.Shape[1] != 4 {
				t.Fatalf("model.pt: model.1.ffc.convl2l.weight is %+v", w)
			}
			for _, file := range []string{"model.safetensors", "model.ckpt", "model_pl.ckpt"} {
				f, err := Load(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				got := f.Tensors
				switch file {
				case "model.safetensors":
					if f.Format != FormatSafetensors || !slices.Equal(f.Names, pt.Names) {
						t.Errorf("%s: format %s, names differ from model.pt", file, f.Format)
					}
				default:
					if f.Format != FormatLightning || f.Meta["epoch"] == "" || f.Meta["global_step"] == "" || f.Meta["pytorch-lightning_version"] == "" {
						t.Errorf("%s: format %s, meta %v", file, f.Format, f.Meta)
					}
					got = StripPrefix(f, "generator.")
					if file == "model_pl.ckpt" && len(got) == len(f.Tensors) {
						t.Errorf("%s: expected discriminator and loss tensors besides the generator", file)
					}
				}
				if len(got) != len(pt.Tensors) {
					t.Errorf("%s: %d tensors, model.pt has %d", file, len(got), len(pt.Tensors))
				}
				for name, want := range pt.Tensors {
					g := got[name]
					if g == nil || g.DType != want.DType || !slices.Equal(g.Shape, want.Shape) || !bytes.Equal(g.Data, want.Data) {
						t.Errorf("%s: tensor %s differs from model.pt", file, name)
					}
				}
			}
		})
	}
}

// TestOracleTraining loads the float64 training oracle.
func TestOracleTraining(t *testing.T) {
	for _, c := range []string{"train", "train-lfu"} {
		t.Run(c, func(t *testing.T) {
			dir := shared.Path(t, "oracle", c)
			var weights *File
			for _, file := range []string{"weights_before", "weights_after_step1", "weights_after_step2", "grads_step1"} {
				f, err := Load(filepath.Join(dir, file+".safetensors"))
				if err != nil {
					t.Fatal(err)
				}
				if weights == nil {
					weights = f
				}
				for _, name := range f.Names {
					tt := f.Tensors[name]
					if w := weights.Tensors[name]; w == nil || !slices.Equal(w.Shape, tt.Shape) {
						t.Errorf("%s: %s is not a weight of weights_before", file, name)
					}
					if strings.HasSuffix(name, "num_batches_tracked") {
						if _, err := tt.Int64(); err != nil {
							t.Error(err)
						}
						continue
					}
					if tt.DType != F64 {
						t.Errorf("%s: %s is %s, want F64", file, name, tt.DType)
					}
					if _, err := tt.Float64(); err != nil {
						t.Error(err)
					}
				}
			}
			shapes := map[string]int{"input": 4, "truth": 3, "mask": 1, "output_step1": 3}
			var batch, h, w int
			for file, channels := range shapes {
				x, err := ReadNPY(filepath.Join(dir, file+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				if x.DType != F64 || len(x.Shape) != 4 || x.Shape[1] != channels {
					t.Fatalf("%s.npy: %s %v", file, x.DType, x.Shape)
				}
				if batch == 0 {
					batch, h, w = x.Shape[0], x.Shape[2], x.Shape[3]
				}
				if x.Shape[0] != batch || x.Shape[2] != h || x.Shape[3] != w {
					t.Errorf("%s.npy: shape %v disagrees with the others", file, x.Shape)
				}
			}
		})
	}
}

// TestOracleNPY reads the inference oracle's arrays.
func TestOracleNPY(t *testing.T) {
	for _, c := range oracleCases {
		dir := shared.Path(t, "oracle", c)
		in, err := ReadNPY(filepath.Join(dir, "input_raw.npy"))
		if err != nil {
			t.Fatal(err)
		}
		o32, err := ReadNPY(filepath.Join(dir, "output_raw_f32.npy"))
		if err != nil {
			t.Fatal(err)
		}
		o64, err := ReadNPY(filepath.Join(dir, "output_raw_f64.npy"))
		if err != nil {
			t.Fatal(err)
		}
		if in.DType != F32 || o32.DType != F32 || o64.DType != F64 || in.Shape[1] != 4 || o32.Shape[1] != 3 ||
			!slices.Equal(o32.Shape, o64.Shape) || !slices.Equal(in.Shape[2:], o32.Shape[2:]) {
			t.Fatalf("%s: input %s %v, outputs %s %v and %s %v", c, in.DType, in.Shape, o32.DType, o32.Shape, o64.DType, o64.Shape)
		}
		a, _ := o32.Float64()
		b, _ := o64.Float64()
		var worst float64
		for i := range a {
			worst = max(worst, abs(a[i]-b[i]))
		}
		// case.json's f32_vs_f64_max_abs is at most 7e-6.
		if worst > 1e-5 {
			t.Errorf("%s: float32 and float64 outputs differ by %g", c, worst)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// ---- hand-built torch archives

// pickleWriter writes pickles for torch archives by hand.
type pickleWriter struct{ bytes.Buffer }

func (w *pickleWriter) op(parts ...any) *pickleWriter { w.Write(p(parts...)); return w }

func (w *pickleWriter) str(s string) *pickleWriter {
	return w.op("X", le32(uint32(len(s))), s)
}

func (w *pickleWriter) int(n int) *pickleWriter {
	if n >= 0 && n < 1<<31 {
		return w.op("J", le32(uint32(n)))
	}
	return w.op(0x8a, 8, le64(uint64(n)))
}

func (w *pickleWriter) ints(ns ...int) *pickleWriter {
	w.op("(")
	for _, n := range ns {
		w.int(n)
	}
	return w.op("t")
}

// storage pushes the persistent id of a storage.
func (w *pickleWriter) storage(typ, key string, numel int) *pickleWriter {
	w.op("(").str("storage").op("ctorch\n" + typ + "\n").str(key).str("cpu").int(numel).op("t")
	return w.op("Q")
}

// tensor pushes _rebuild_tensor_v2(storage, offset, shape, stride, False,
// OrderedDict()).
func (w *pickleWriter) tensor(typ, key string, numel, offset int, shape, stride []int) *pickleWriter {
	w.op("ctorch._utils\n_rebuild_tensor_v2\n(")
	w.storage(typ, key, numel)
	w.int(offset).ints(shape...).ints(stride...)
	return w.op(0x89, "ccollections\nOrderedDict\n)Rt", "R")
}

// torchZip builds a zip of stored records from name, content pairs, in
// order; a *zip.FileHeader content is written raw, as given (see deflated).
func torchZip(t testing.TB, records ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(records); i += 2 {
		name := records[i].(string)
		switch c := records[i+1].(type) {
		case []byte:
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(c)
		case *zip.FileHeader: // raw: the header as given, its Comment as the body
			c.Name = name
			body := c.Comment
			c.Comment = ""
			w, err := zw.CreateRaw(c)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(body))
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// deflated returns a raw zip header and body for data compressed with
// deflate, claiming size uncompressed bytes.
func deflated(t testing.TB, data []byte, size uint64) *zip.FileHeader {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	w.Write(data)
	w.Close()
	return &zip.FileHeader{Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(data),
		CompressedSize64: uint64(b.Len()), UncompressedSize64: size, Comment: string(b.Bytes())}
}

func f32bytes(vals ...float32) []byte {
	return NewF32("", []int{len(vals)}, vals).Data
}

func stateDict(entries ...func(w *pickleWriter)) []byte {
	w := &pickleWriter{}
	w.op(0x80, 2, "}(")
	for _, e := range entries {
		e(w)
	}
	return w.op("u.").Bytes()
}

func entry(name string, value func(w *pickleWriter)) func(w *pickleWriter) {
	return func(w *pickleWriter) { w.str(name); value(w) }
}

func readTorchBytes(data []byte) (*File, error) {
	return ReadTorch(bytes.NewReader(data), int64(len(data)))
}

// TestTorchHandBuilt covers rebuild functions torch 1.13 does not write and
// the checks that guard against lying files.
func TestTorchHandBuilt(t *testing.T) {
	four := f32bytes(1, 2, 3, 4)
	tensor := func(typ, key string, numel, offset int, shape, stride []int) func(w *pickleWriter) {
		return func(w *pickleWriter) { w.tensor(typ, key, numel, offset, shape, stride) }
	}
	okTensor := entry("w", tensor("FloatStorage", "0", 4, 0, []int{2, 2}, []int{2, 1}))
	tests := []struct {
		name        string
		zip         []byte
		unsupported bool
		msg         string // "" for success
	}{
		{"plain", torchZip(t, "a/data.pkl", stateDict(okTensor), "a/data/0", four, "a/version", []byte("3\n")), false, ""},
		{"root prefix", torchZip(t, "data.pkl", stateDict(okTensor), "data/0", four), false, ""},
		{"little byteorder", torchZip(t, "a/data.pkl", stateDict(okTensor), "a/data/0", four, "a/byteorder", []byte("little")), false, ""},
		{"v3 on untyped storage", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("ctorch._utils\n_rebuild_tensor_v3\n(").storage("UntypedStorage", "0", 16)
			w.int(0).ints(2, 2).ints(2, 1).op(0x89, "ccollections\nOrderedDict\n)R", "ctorch\nfloat32\n", "t", "R")
		})), "a/data/0", four), false, ""},
		{"rebuild_from_type_v2", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("ctorch._tensor\n_rebuild_from_type_v2\n(ctorch._utils\n_rebuild_tensor_v2\n", "ctorch\nTensor\n(")
			w.storage("FloatStorage", "0", 4).int(0).ints(2, 2).ints(2, 1).op(0x89, "}t}tR")
		})), "a/data/0", four), false, ""},
		{"parameter", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("ctorch._utils\n_rebuild_parameter\n(")
			w.tensor("FloatStorage", "0", 4, 0, []int{2, 2}, []int{2, 1})
			w.op(0x88, "}tR")
		})), "a/data/0", four), false, ""},
		{"not a zip", []byte("PK\x03\x04 not really"), false, "not a zip archive"},
		{"no data.pkl", torchZip(t, "a/data/0", four), false, "no data.pkl"},
		{"two data.pkl", torchZip(t, "a/data.pkl", stateDict(), "b/data.pkl", stateDict()), false, "several data.pkl"},
		{"duplicate record", torchZip(t, "a/data.pkl", stateDict(), "a/data.pkl", stateDict()), false, "appears twice"},
		{"TorchScript", torchZip(t, "a/data.pkl", stateDict(), "a/constants.pkl", p(0x80, 2, ").")), true, "TorchScript"},
		{"bad version", torchZip(t, "a/data.pkl", stateDict(), "a/version", []byte("three\n")), false, "version record says"},
		{"future version", torchZip(t, "a/data.pkl", stateDict(), "a/version", []byte("11\n")), true, "version 11"},
		{"bad byteorder", torchZip(t, "a/data.pkl", stateDict(), "a/byteorder", []byte("middle")), false, "byteorder"},
		{"missing storage", torchZip(t, "a/data.pkl", stateDict(okTensor)), false, "no record a/data/0"},
		{"storage record too short", torchZip(t, "a/data.pkl", stateDict(okTensor), "a/data/0", four[:12]), false, "holds 12 bytes"},
		{"view past storage", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 1, []int{2, 2}, []int{2, 1}))), "a/data/0", four), false, "reach past its storage"},
		{"stride past storage", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 0, []int{2, 2}, []int{1, 3}))), "a/data/0", four), false, "reach past its storage"},
		{"huge stride", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 0, []int{3, 1}, []int{1 << 58, 1}))), "a/data/0", four), false, "reach past its storage"},
		{"huge shape", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 0, []int{1 << 40, 1 << 40}, []int{0, 0}))), "a/data/0", four), false, "too large"},
		{"negative dim", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 0, []int{-1}, []int{1}))), "a/data/0", four), false, "size: element 0"},
		{"shape and stride lengths", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", 4, 0, []int{4}, []int{1, 1}))), "a/data/0", four), false, "differ in length"},
		{"storage with two types", torchZip(t, "a/data.pkl", stateDict(okTensor, entry("v",
			tensor("IntStorage", "0", 4, 0, []int{4}, []int{1}))), "a/data/0", four), false, "is both"},
		{"negative numel", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("FloatStorage", "0", -4, 0, []int{4}, []int{1}))), "a/data/0", four), false, "malformed storage id"},
		{"complex storage", torchZip(t, "a/data.pkl", stateDict(entry("w",
			tensor("ComplexFloatStorage", "0", 2, 0, []int{2}, []int{1}))), "a/data/0", four), true, "no modelio dtype"},
		{"quantized tensor", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("ctorch._utils\n_rebuild_qtensor\n(K\x01tR")
		}))), true, "_rebuild_qtensor"},
		{"other persistent id", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("(").str("module").op("tQ")
		}))), true, "not a storage"},
		{"storage is not a storage", torchZip(t, "a/data.pkl", stateDict(entry("w", func(w *pickleWriter) {
			w.op("ctorch._utils\n_rebuild_tensor_v2\n(K\x00K\x00)))tR")
		}))), false, "storage is int"},
		{"top-level list", torchZip(t, "a/data.pkl", p(0x80, 2, "]."), "a/data/0", four), true, "holds list"},
		{"int key", torchZip(t, "a/data.pkl", p(0x80, 2, "}K\x01K\x02s.")), true, "key 1 is not a string"},
		{"state_dict not a dict", torchZip(t, "a/data.pkl", stateDict(entry("state_dict", func(w *pickleWriter) { w.op("K\x01") }))), true, "state_dict entry is int"},
		{"deflate shorter than claimed", torchZip(t, "a/data.pkl", deflated(t, stateDict(), 40)), false, "record a/data.pkl: "},
		{"deflate longer than claimed", torchZip(t, "a/data.pkl", deflated(t, stateDict(), 3)), false, "record a/data.pkl: "},
		{"bzip2 record", torchZip(t, "a/data.pkl", &zip.FileHeader{Method: 12, CompressedSize64: 0}), true, "compression method 12"},
		{"lying deflate size", torchZip(t, "a/data.pkl", &zip.FileHeader{Method: zip.Deflate, CompressedSize64: 0, UncompressedSize64: 1 << 40}), false, "claims 1099511627776 bytes"},
		{"lying stored size", torchZip(t, "a/data.pkl", &zip.FileHeader{Method: zip.Store, CompressedSize64: 1 << 40, UncompressedSize64: 1 << 40}), false, "runs past the end"},
		{"bad pickle", torchZip(t, "a/data.pkl", p(0x80, 2, "}K\x01")), false, "data.pkl: pickle: ends at byte 5 without STOP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := readTorchBytes(tt.zip)
			if tt.msg != "" {
				checkErr(t, err, tt.unsupported, tt.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkTensor(t, f.Tensors["w"], expected{"w", F32, []int{2, 2}, []float64{1, 2, 3, 4}})
		})
	}
}

// TestTorchCorrupt truncates and flips bytes of a real file: every damaged
// copy must give a *FormatError, and none may panic.
func TestTorchCorrupt(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "torch", "dtypes_p2.pt"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(data); n += 97 {
		_, err := readTorchBytes(data[:n])
		checkErr(t, err, false, "")
	}
	// Any byte of a record's content is covered by its CRC-32.
	zr, _ := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	for _, f := range zr.File {
		if f.UncompressedSize64 == 0 {
			continue
		}
		off, _ := f.DataOffset()
		bad := slices.Clone(data)
		bad[off+int64(f.UncompressedSize64)/2] ^= 0x10
		_, err := readTorchBytes(bad)
		checkErr(t, err, false, "record "+f.Name+": CRC-32 mismatch")
	}
}

// TestTorchViewBudget: many non-contiguous views of one storage cannot make
// the reader allocate more than the file's size.
func TestTorchViewBudget(t *testing.T) {
	const n = 64
	storage := make([]byte, n*n*4)
	var entries []func(w *pickleWriter)
	for i := range 200 {
		entries = append(entries, entry(fmt.Sprint("t", i), func(w *pickleWriter) {
			w.tensor("FloatStorage", "0", n*n, 0, []int{n, n}, []int{1, n})
		}))
	}
	_, err := readTorchBytes(torchZip(t, "a/data.pkl", stateDict(entries...), "a/data/0", storage))
	checkErr(t, err, true, "more memory than the file")

	// The same number of contiguous views costs nothing: they share bytes.
	entries = entries[:0]
	for i := range 200 {
		entries = append(entries, entry(fmt.Sprint("t", i), func(w *pickleWriter) {
			w.tensor("FloatStorage", "0", n*n, 0, []int{n, n}, []int{n, 1})
		}))
	}
	f, err := readTorchBytes(torchZip(t, "a/data.pkl", stateDict(entries...), "a/data/0", storage))
	if err != nil || len(f.Names) != 200 {
		t.Fatalf("%d tensors, %v", len(f.Names), err)
	}
}

func TestGather(t *testing.T) {
	sizes := []int{1, 7, 33, 257}
	for _, es := range []int{1, 2, 4, 8} {
		for _, a := range sizes {
			for _, b := range sizes[:3] {
				for _, c := range []int{1, 7} {
					shape := []int{a, b, c}
					// permuted and padded strides, an offset, and a broadcast
					for _, stride := range [][]int{
						{b * c, c, 1}, {1, a, a * b}, {c, a * c, 1}, {(b + 1) * (c + 2), c + 2, 1}, {0, c, 1}, {b * c * 2, c * 2, 2},
					} {
						offset := 3
						last, _ := lastElement(offset, shape, stride)
						src := make([]byte, (last+1)*es)
						for i := range src {
							src[i] = byte(i*7 + i/251)
						}
						n := a * b * c * es
						got, want := make([]byte, n), make([]byte, n)
						gather(got, src, es, offset, shape, stride)
						gatherRef(want, src, es, offset, shape, stride)
						if !bytes.Equal(got, want) {
							t.Fatalf("es %d shape %v stride %v: gather differs from gatherRef", es, shape, stride)
						}
					}
				}
			}
		}
	}
	// A scalar view.
	got := make([]byte, 4)
	gather(got, []byte{0, 0, 0, 0, 1, 2, 3, 4}, 4, 1, nil, nil)
	if !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Fatalf("scalar gather: %v", got)
	}
}

func TestIsContiguous(t *testing.T) {
	tests := []struct {
		shape, stride []int
		want          bool
	}{
		{[]int{}, []int{}, true},
		{[]int{3}, []int{1}, true},
		{[]int{3}, []int{2}, false},
		{[]int{2, 3}, []int{3, 1}, true},
		{[]int{2, 3}, []int{1, 2}, false},
		{[]int{1, 3}, []int{99, 1}, true}, // size-1 dims have any stride
		{[]int{3, 1}, []int{1, 7}, true},
		{[]int{2, 3}, []int{0, 1}, false},
	}
	for _, tt := range tests {
		if got := isContiguous(tt.shape, tt.stride); got != tt.want {
			t.Errorf("isContiguous(%v, %v) = %v", tt.shape, tt.stride, got)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	npy, _ := os.ReadFile(filepath.Join("testdata", "npy", "f4.npy"))
	tests := []struct {
		path        string
		unsupported bool
		msg         string
	}{
		{write("junk.bin", []byte("hello, world")), false, "neither a torch zip checkpoint nor a safetensors file"},
		{write("empty.bin", nil), false, "neither"},
		{write("array.pt", npy), true, "ReadNPY"},
		{write("trunc.safetensors", []byte("\x10\x00\x00\x00\x00\x00\x00\x00{}")), false, "header length 16 exceeds"},
		{write("broken.pt", []byte("PK\x03\x04")), false, "not a zip archive"},
	}
	for _, tt := range tests {
		_, err := Load(tt.path)
		checkErr(t, err, tt.unsupported, tt.msg)
		if !strings.Contains(err.Error(), tt.path) {
			t.Errorf("error %q does not name %s", err, tt.path)
		}
	}
	_, err := Load(filepath.Join(dir, "missing.pt"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.pt") {
		t.Errorf("missing file: %v", err)
	}
}
