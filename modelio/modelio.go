// Package modelio reads and writes the files that model weights travel in:
// PyTorch checkpoints (the zip + pickle format of torch.save, including
// PyTorch Lightning checkpoints), safetensors, and NumPy .npy arrays.
//
// Every reader turns a file into named, typed, dense tensors (Tensor): raw
// little-endian bytes in C order plus a dtype and a shape. The package knows
// nothing about any model: mapping names to layers is the loader's job (see
// package lama). It is not a general pickle or PyTorch implementation either:
// its pickle machine rebuilds dicts, lists, tuples, scalars and tensors and
// turns every other class (OmegaConf configs, Lightning callbacks, sets, …)
// into an inert placeholder. Nothing in a file is ever executed.
//
// The readers are meant for untrusted input. They return *FormatError for
// malformed files and *UnsupportedError for valid files they do not handle
// (the legacy pre-1.6 torch format, complex or quantized tensors, …). They do
// not panic, never read outside the file, and allocate no more than the file
// can actually back: every size a header claims is checked against the real
// size of the file or zip entry first. A pickle may run at most 8 Mi opcodes
// (torch spends about 50 per tensor), which bounds the memory its objects
// take.
//
// Writers (WriteSafetensors, WriteNPY) are atomic: they write a temporary file
// in the destination directory, fsync it and rename it over the target.
package modelio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// DType is an element type, spelled as in safetensors.
type DType string

// The element types modelio reads and writes.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U8   DType = "U8"
	BOOL DType = "BOOL"
)

// Size returns the size of one element in bytes, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case F64, I64:
		return 8
	case F32, I32:
		return 4
	case F16, BF16, I16:
		return 2
	case I8, U8, BOOL:
		return 1
	}
	return 0
}

func (d DType) isFloat() bool { return d == F64 || d == F32 || d == F16 || d == BF16 }

// Tensor is a dense array read from or written to a model file.
//
// Data holds the elements little-endian, contiguous, in row-major (C) order:
// len(Data) == NumElements()·DType.Size(). A scalar has an empty Shape and
// one element. Tensors read from one torch storage (tied or sliced weights)
// may share Data, as they share memory in PyTorch.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the number of elements: the product of Shape (1 for a
// scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 returns the elements converted to float32 (F64 rounded to nearest,
// F16 and BF16 exactly). Integer and boolean tensors give an error.
func (t *Tensor) Float32() ([]float32, error) {
	n, err := t.check()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	b := t.Data
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	case F16:
		for i := range out {
			out[i] = halfToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
	default:
		return nil, fmt.Errorf("modelio: tensor %q: cannot convert %s to float32", t.Name, t.DType)
	}
	return out, nil
}

// Float64 returns the elements converted to float64 (exactly). Integer and
// boolean tensors give an error.
func (t *Tensor) Float64() ([]float64, error) {
	if t.DType != F64 {
		if !t.DType.isFloat() {
			return nil, fmt.Errorf("modelio: tensor %q: cannot convert %s to float64", t.Name, t.DType)
		}
		f, err := t.Float32()
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(f))
		for i, v := range f {
			out[i] = float64(v)
		}
		return out, nil
	}
	n, err := t.check()
	if err != nil {
		return nil, err
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(t.Data[8*i:]))
	}
	return out, nil
}

// Int64 returns the elements of an integer or boolean tensor as int64 (U8 and
// BOOL zero-extended). Floating-point tensors give an error.
func (t *Tensor) Int64() ([]int64, error) {
	n, err := t.check()
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	b := t.Data
	switch t.DType {
	case I64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case I32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case I16:
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case I8:
		for i := range out {
			out[i] = int64(int8(b[i]))
		}
	case U8, BOOL:
		for i := range out {
			out[i] = int64(b[i])
		}
	default:
		return nil, fmt.Errorf("modelio: tensor %q: cannot convert %s to int64", t.Name, t.DType)
	}
	return out, nil
}

// check validates t's dtype, shape and data length and returns the number of
// elements.
func (t *Tensor) check() (int, error) {
	size := t.DType.Size()
	if size == 0 {
		return 0, fmt.Errorf("modelio: tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	n, ok := numElements(t.Shape)
	if !ok {
		return 0, fmt.Errorf("modelio: tensor %q: invalid shape %v", t.Name, t.Shape)
	}
	if n > len(t.Data)/size || n*size != len(t.Data) {
		return 0, fmt.Errorf("modelio: tensor %q: %d bytes of data for %s shape %v (want %d·%d)",
			t.Name, len(t.Data), t.DType, t.Shape, n, size)
	}
	return n, nil
}

// NewF32 returns a F32 tensor holding a copy of data. It panics if len(data)
// does not match shape: that is a programming error.
func NewF32(name string, shape []int, data []float32) *Tensor {
	t := newTensor(name, F32, shape, len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
	}
	return t
}

// NewF16 returns a F16 tensor holding data rounded to half precision
// (nearest, ties to even; beyond ±65504 infinity). It panics if len(data)
// does not match shape: that is a programming error.
func NewF16(name string, shape []int, data []float32) *Tensor {
	t := newTensor(name, F16, shape, len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint16(t.Data[2*i:], float32ToHalf(v))
	}
	return t
}

// NewF64 returns a F64 tensor holding a copy of data. It panics if len(data)
// does not match shape: that is a programming error.
func NewF64(name string, shape []int, data []float64) *Tensor {
	t := newTensor(name, F64, shape, len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(t.Data[8*i:], math.Float64bits(v))
	}
	return t
}

func newTensor(name string, dtype DType, shape []int, n int) *Tensor {
	if want, ok := numElements(shape); !ok || want != n {
		panic(fmt.Sprintf("modelio: %d values for shape %v", n, shape))
	}
	return &Tensor{
		Name:  name,
		DType: dtype,
		Shape: append([]int{}, shape...),
		Data:  make([]byte, n*dtype.Size()),
	}
}

// maxElements caps element counts so that every byte count (elements × an
// element size of at most 8) fits in an int.
const maxElements = math.MaxInt / 8

// numElements returns the product of shape, or false if a dimension is
// negative or the product exceeds maxElements. A shape with a zero dimension
// has no elements whatever its other dimensions.
func numElements(shape []int) (int, bool) {
	zero := false
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, true
	}
	n := 1
	for _, d := range shape {
		if n > maxElements/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Format names the kind of file a File was read from.
type Format string

// The formats Load recognises.
const (
	FormatTorch       Format = "torch"       // torch.save of a dict of tensors
	FormatLightning   Format = "lightning"   // torch.save of a dict with a "state_dict" entry
	FormatSafetensors Format = "safetensors" // Hugging Face safetensors
)

// File is a state dict read from a model file.
type File struct {
	Format Format
	// Tensors maps each name, as stored, to its tensor. For Lightning
	// checkpoints it is the "state_dict" entry (names like
	// "generator.model.1.ffc.convl2l.weight").
	Tensors map[string]*Tensor
	// Names lists the tensor names in file order: dict order for torch
	// files, data order for safetensors.
	Names []string
	// Meta is the safetensors __metadata__; for Lightning checkpoints it
	// holds "epoch", "global_step" and "pytorch-lightning_version" when the
	// checkpoint has them, formatted as strings.
	Meta map[string]string
}

// StripPrefix returns the tensors of f whose names start with prefix, keyed
// by the rest of the name: StripPrefix(f, "generator.") maps
// "model.1.ffc.convl2l.weight" to the tensor stored as
// "generator.model.1.ffc.convl2l.weight". The tensors are shared, not copied.
func StripPrefix(f *File, prefix string) map[string]*Tensor {
	out := make(map[string]*Tensor)
	for name, t := range f.Tensors {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			out[rest] = t
		}
	}
	return out
}

// Load reads the model file at path: a torch checkpoint (zip) or a
// safetensors file, recognised by their content, not their extension.
// Errors name the file.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	size := fi.Size()
	var head [16]byte
	n, err := f.ReadAt(head[:], 0)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	var file *File
	switch sniff(head[:n]) {
	case sniffZip, sniffLegacyTorch: // ReadTorch explains the legacy format
		file, err = ReadTorch(f, size)
	case sniffSafetensors:
		file, err = ReadSafetensors(f, size)
	case sniffNPY:
		err = unsupported("this is a NumPy .npy array, not a model file; read it with ReadNPY")
	default:
		err = formatErr("neither a torch zip checkpoint nor a safetensors file (starts with %q)", head[:min(n, 8)])
	}
	if err != nil {
		return nil, nameFile(err, path)
	}
	return file, nil
}

type sniffResult int

const (
	sniffUnknown sniffResult = iota
	sniffZip
	sniffSafetensors
	sniffLegacyTorch
	sniffNPY
)

// sniff classifies a file from its first bytes and its size.
func sniff(head []byte) sniffResult {
	switch {
	case len(head) >= 4 && string(head[:4]) == "PK\x03\x04",
		len(head) >= 4 && string(head[:4]) == "PK\x05\x06": // empty zip
		return sniffZip
	case len(head) >= 6 && string(head[:6]) == npyMagic:
		return sniffNPY
	case isLegacyTorch(head):
		return sniffLegacyTorch
	case len(head) >= 9 && head[8] == '{':
		// A little-endian header length, then JSON: ReadSafetensors
		// judges the length.
		return sniffSafetensors
	}
	return sniffUnknown
}

// FormatError reports that the input is not a valid file of the format being
// read. File is the path when the error comes from a function given a path.
type FormatError struct {
	File string
	Msg  string
}

func (e *FormatError) Error() string {
	if e.File != "" {
		return "modelio: " + e.File + ": invalid format: " + e.Msg
	}
	return "modelio: invalid format: " + e.Msg
}

// UnsupportedError reports that the input is valid but uses a feature that
// modelio does not handle.
type UnsupportedError struct {
	File string
	Msg  string
}

func (e *UnsupportedError) Error() string {
	if e.File != "" {
		return "modelio: " + e.File + ": unsupported: " + e.Msg
	}
	return "modelio: unsupported: " + e.Msg
}

func formatErr(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{Msg: fmt.Sprintf(format, args...)}
}

// nameFile attaches path to err: it fills in the File field of modelio's
// own errors and wraps any other error.
func nameFile(err error, path string) error {
	var fe *FormatError
	var ue *UnsupportedError
	switch {
	case errors.As(err, &fe) && fe.File == "":
		fe.File = path
		return err
	case errors.As(err, &ue) && ue.File == "":
		ue.File = path
		return err
	}
	return fmt.Errorf("modelio: %s: %w", path, err)
}

// readFullAt reads len(buf) bytes at off, treating a full read that also
// reports io.EOF as success and a short one as truncation.
func readFullAt(r io.ReaderAt, buf []byte, off int64) error {
	n, err := r.ReadAt(buf, off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
