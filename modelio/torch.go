package modelio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A torch checkpoint (torch.save since PyTorch 1.6) is a zip archive, stored
// without compression, holding
//
//	<prefix>/data.pkl     the pickled object (protocol 2 by default)
//	<prefix>/data/<key>   one record per storage: its raw bytes
//	<prefix>/version      the format version ("3")
//	<prefix>/byteorder    "little" or "big" (PyTorch 2.1 and later)
//
// In data.pkl each storage is a persistent id
// ('storage', torch.FloatStorage, key, location, numel) and each tensor a
// call torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
// requires_grad, backward_hooks), with offset, size and stride in elements.

// legacyTorchMagic is how the legacy (pre-1.6) torch format starts: PROTO 2,
// then its magic number 0x1950a86a20f9469cfc6c as a LONG1.
const legacyTorchMagic = "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"

// maxTorchVersion is the newest archive version PyTorch itself reads
// (kMaxSupportedFileFormatVersion); torch.save writes 3.
const maxTorchVersion = 10

func isLegacyTorch(head []byte) bool {
	return bytes.HasPrefix(head, []byte(legacyTorchMagic))
}

// ReadTorch reads a PyTorch checkpoint written by torch.save: a dict of
// tensors (a state dict), or a dict with a "state_dict" entry (a PyTorch
// Lightning checkpoint, whose other entries are skipped). Only the tensors of
// the state dict are read from the archive; optimizer states and other
// entries cost nothing but their share of the pickle.
func ReadTorch(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, formatErr("torch: negative size %d", size)
	}
	r = io.NewSectionReader(r, 0, size) // never read past size
	var head [len(legacyTorchMagic)]byte
	n, _ := r.ReadAt(head[:], 0)
	if isLegacyTorch(head[:n]) {
		return nil, unsupported("torch: legacy (pre-1.6, non-zip) serialization; re-save it with torch.save from PyTorch 1.6 or later")
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		// Insecure paths ("../x") matter to code that extracts files;
		// modelio only looks records up by name.
		return nil, formatErr("torch: not a zip archive: %v", err)
	}
	a, err := openTorchArchive(zr, r, size)
	if err != nil {
		return nil, err
	}
	pkl, err := a.readRecord(a.prefix + "data.pkl")
	if err != nil {
		return nil, err
	}
	u := &unpickler{data: pkl, persistentLoad: a.persistentLoad}
	u.reduce = func(g *pyGlobal, args pyTuple) (any, bool, error) { return a.reduce(u, g, args, 0) }
	root, err := u.run()
	if err != nil {
		return nil, wrapTorch(err)
	}
	return a.stateDict(root)
}

// wrapTorch prefixes pickle errors with "torch: data.pkl: ".
func wrapTorch(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Msg = "torch: data.pkl: " + fe.Msg
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) && !strings.HasPrefix(ue.Msg, "torch") {
		ue.Msg = "torch: " + ue.Msg
	}
	return err
}

// torchStorage is a storage named by a persistent id.
type torchStorage struct {
	key      string
	typeName string // e.g. "torch.FloatStorage"
	dtype    DType  // "" when modelio has no DType for typeName
	numel    int    // in elements of dtype
}

// torchTensor is a strided view of a storage, as _rebuild_tensor_v2 gets it.
type torchTensor struct {
	storage *torchStorage
	dtype   DType // the storage's, or _rebuild_tensor_v3's
	offset  int
	shape   []int
	stride  []int
}

type torchArchive struct {
	r         io.ReaderAt
	size      int64
	prefix    string // "archive/", with its slash
	records   map[string]*zip.File
	bigEndian bool
	storages  map[string]*torchStorage
	data      map[string][]byte       // storage key → its bytes, read once
	views     map[*torchTensor][]byte // tensor → its contiguous bytes
	copied    int64                   // bytes allocated for non-contiguous views
}

func openTorchArchive(zr *zip.Reader, r io.ReaderAt, size int64) (*torchArchive, error) {
	a := &torchArchive{
		r:        r,
		size:     size,
		records:  make(map[string]*zip.File, len(zr.File)),
		storages: make(map[string]*torchStorage),
		data:     make(map[string][]byte),
		views:    make(map[*torchTensor][]byte),
	}
	var pkls []string
	for _, f := range zr.File {
		if _, dup := a.records[f.Name]; dup {
			return nil, formatErr("torch: record %q appears twice in the archive", f.Name)
		}
		a.records[f.Name] = f
		if dir, file := path.Split(f.Name); file == "data.pkl" && strings.Count(dir, "/") <= 1 {
			pkls = append(pkls, f.Name)
		}
	}
	switch len(pkls) {
	case 0:
		return nil, formatErr("torch: no data.pkl record in the zip archive (not a torch.save checkpoint)")
	case 1:
		a.prefix = strings.TrimSuffix(pkls[0], "data.pkl")
	default:
		sort.Strings(pkls)
		return nil, formatErr("torch: several data.pkl records: %s", strings.Join(pkls, ", "))
	}
	if _, ok := a.records[a.prefix+"constants.pkl"]; ok {
		return nil, unsupported("torch: a TorchScript archive (torch.jit.save); save the model's state_dict with torch.save instead")
	}
	if _, ok := a.records[a.prefix+"version"]; ok {
		b, err := a.readRecord(a.prefix + "version")
		if err != nil {
			return nil, err
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(b)))
		switch {
		case err != nil:
			return nil, formatErr("torch: version record says %q", clip(string(b)))
		case v > maxTorchVersion:
			return nil, unsupported("torch: archive format version %d (modelio reads up to %d)", v, maxTorchVersion)
		}
	}
	if _, ok := a.records[a.prefix+"byteorder"]; ok {
		b, err := a.readRecord(a.prefix + "byteorder")
		if err != nil {
			return nil, err
		}
		switch string(b) {
		case "little":
		case "big":
			a.bigEndian = true
		default:
			return nil, formatErr("torch: byteorder record says %q, not little or big", b)
		}
	}
	return a, nil
}

// readRecord returns the bytes of one zip record, checking its CRC.
func (a *torchArchive) readRecord(name string) ([]byte, error) {
	f, ok := a.records[name]
	if !ok {
		return nil, formatErr("torch: no record %s in the archive", name)
	}
	usize := f.UncompressedSize64
	switch f.Method {
	case zip.Store:
		if f.CompressedSize64 != usize {
			return nil, formatErr("torch: record %s is stored with %d bytes but claims %d", name, f.CompressedSize64, usize)
		}
	case zip.Deflate:
		// Deflate cannot expand more than 1032:1; a larger claim is a lie
		// that must not become an allocation.
		if usize/1032 > f.CompressedSize64 {
			return nil, formatErr("torch: record %s claims %d bytes from %d compressed", name, usize, f.CompressedSize64)
		}
	default:
		return nil, unsupported("torch: record %s uses zip compression method %d", name, f.Method)
	}
	off, err := f.DataOffset()
	if err != nil {
		return nil, formatErr("torch: record %s: %v", name, err)
	}
	if off < 0 || f.CompressedSize64 > uint64(a.size) || off > a.size-int64(f.CompressedSize64) {
		return nil, formatErr("torch: record %s (%d bytes at %d) runs past the end of the %d-byte file",
			name, f.CompressedSize64, off, a.size)
	}
	if usize > uint64(maxElements) {
		return nil, unsupported("torch: record %s of %d bytes", name, usize)
	}
	if f.Method == zip.Store {
		buf := make([]byte, usize) // the file holds these bytes: checked above
		if err := readFullAt(a.r, buf, off); err != nil {
			return nil, fmt.Errorf("modelio: torch: reading record %s: %w", name, err)
		}
		if crc32.ChecksumIEEE(buf) != f.CRC32 {
			return nil, formatErr("torch: record %s: CRC-32 mismatch (corrupt file)", name)
		}
		return buf, nil
	}
	rc, err := f.Open()
	if err != nil {
		return nil, formatErr("torch: record %s: %v", name, err)
	}
	defer rc.Close()
	// The buffer grows with what really inflates, not with the claim;
	// reading to EOF lets archive/zip check the size and CRC.
	buf, err := io.ReadAll(io.LimitReader(rc, int64(usize)+1))
	switch {
	case err != nil:
		return nil, formatErr("torch: record %s: %v", name, err)
	case uint64(len(buf)) != usize:
		return nil, formatErr("torch: record %s inflates to more than its %d bytes", name, usize)
	}
	return buf, nil
}

// storageDTypes maps torch's storage classes to element types.
var storageDTypes = map[string]DType{
	"DoubleStorage":   F64,
	"FloatStorage":    F32,
	"HalfStorage":     F16,
	"BFloat16Storage": BF16,
	"LongStorage":     I64,
	"IntStorage":      I32,
	"ShortStorage":    I16,
	"CharStorage":     I8,
	"ByteStorage":     U8,
	"BoolStorage":     BOOL,
	"UntypedStorage":  U8, // numel counts bytes
}

// torchDTypes maps torch dtype globals (torch.float32, …) to element types.
var torchDTypes = map[string]DType{
	"float64": F64, "double": F64,
	"float32": F32, "float": F32,
	"float16": F16, "half": F16,
	"bfloat16": BF16,
	"int64":    I64, "long": I64,
	"int32": I32, "int": I32,
	"int16": I16, "short": I16,
	"int8":  I8,
	"uint8": U8,
	"bool":  BOOL,
}

// persistentLoad resolves ('storage', storage_type, key, location, numel).
func (a *torchArchive) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, unsupported("persistent id %s is not a storage", describe(pid))
	}
	g, ok1 := t[1].(*pyGlobal)
	key, ok2 := t[2].(string)
	numel, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || numel < 0 || numel > maxElements {
		return nil, formatErr("malformed storage id %s", describe(pid))
	}
	dtype := DType("")
	if g.module == "torch" || g.module == "torch.cuda" {
		dtype = storageDTypes[g.name]
	}
	if s, ok := a.storages[key]; ok {
		if s.typeName != g.String() || s.numel != int(numel) {
			return nil, formatErr("storage %q is both %s[%d] and %s[%d]", key, s.typeName, s.numel, g, numel)
		}
		return s, nil
	}
	s := &torchStorage{key: key, typeName: g.String(), dtype: dtype, numel: int(numel)}
	a.storages[key] = s
	return s, nil
}

// maxRebuildDepth bounds _rebuild_from_type_v2 calls nested in one another.
const maxRebuildDepth = 4

// reduce interprets the torch functions that rebuild tensors. Every other
// global is left to the unpickler (handled == false).
func (a *torchArchive) reduce(u *unpickler, g *pyGlobal, args pyTuple, depth int) (any, bool, error) {
	switch g.String() {
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v3":
		t, err := rebuildTensor(g.name, args)
		return t, true, err
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		// (data, requires_grad, backward_hooks[, state]): a Parameter is
		// its data.
		if len(args) < 1 {
			return nil, true, formatErr("%s with no arguments", g)
		}
		return args[0], true, nil
	case "torch._tensor._rebuild_from_type_v2":
		// (func, new_type, args, state): a Tensor subclass; keep the
		// tensor func builds from args.
		if len(args) < 3 || depth >= maxRebuildDepth {
			return nil, true, formatErr("malformed %s", g)
		}
		f, ok1 := args[0].(*pyGlobal)
		inner, ok2 := args[2].(pyTuple)
		if !ok1 || !ok2 {
			return nil, true, formatErr("malformed %s", g)
		}
		v, handled, err := a.reduce(u, f, inner, depth+1)
		if !handled {
			return &pyObject{class: f, args: inner}, true, nil
		}
		return v, true, err
	}
	return nil, false, nil
}

// rebuildTensor checks the arguments of _rebuild_tensor{,_v2,_v3}:
// (storage, storage_offset, size, stride, ...), v3 with a dtype in args[6].
func rebuildTensor(fn string, args pyTuple) (*torchTensor, error) {
	if len(args) < 4 || fn == "_rebuild_tensor_v3" && len(args) < 7 {
		return nil, formatErr("%s with %d arguments", fn, len(args))
	}
	s, ok := args[0].(*torchStorage)
	if !ok {
		return nil, formatErr("%s: storage is %s", fn, typeName(args[0]))
	}
	off, ok := args[1].(int64)
	if !ok || off < 0 || off > maxElements {
		return nil, formatErr("%s: bad storage offset %s", fn, describe(args[1]))
	}
	shape, err := intTuple(args[2])
	if err != nil {
		return nil, formatErr("%s: size: %v", fn, err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, formatErr("%s: stride: %v", fn, err)
	}
	if len(shape) != len(stride) {
		return nil, formatErr("%s: size %v and stride %v differ in length", fn, shape, stride)
	}
	t := &torchTensor{storage: s, dtype: s.dtype, offset: int(off), shape: shape, stride: stride}
	if fn == "_rebuild_tensor_v3" {
		dt, ok := args[6].(*pyGlobal)
		if !ok || dt.module != "torch" {
			return nil, formatErr("%s: dtype is %s", fn, typeName(args[6]))
		}
		t.dtype = torchDTypes[dt.name]
	}
	return t, nil
}

// intTuple converts a tuple or list of non-negative ints.
func intTuple(v any) ([]int, error) {
	var items []any
	switch v := v.(type) {
	case pyTuple:
		items = v
	case *pyList:
		items = v.items
	default:
		return nil, fmt.Errorf("%s, not a tuple", typeName(v))
	}
	out := make([]int, len(items))
	for i, it := range items {
		n, ok := it.(int64)
		if !ok || n < 0 || n > maxElements {
			return nil, fmt.Errorf("element %d is %s", i, describe(it))
		}
		out[i] = int(n)
	}
	return out, nil
}

// stateDict picks the state dict out of the unpickled object and reads its
// tensors.
func (a *torchArchive) stateDict(root any) (*File, error) {
	top, ok := root.(*pyDict)
	if !ok {
		return nil, unsupported("torch: the checkpoint holds %s, not a dict of tensors", typeName(root))
	}
	file := &File{Format: FormatTorch, Tensors: make(map[string]*Tensor)}
	sd := top
	if v, ok := top.get("state_dict"); ok {
		d, ok := v.(*pyDict)
		if !ok {
			return nil, unsupported("torch: the state_dict entry is %s, not a dict", typeName(v))
		}
		file.Format = FormatLightning
		sd = d
		file.Meta = lightningMeta(top)
	}
	for i, k := range sd.keys {
		name, ok := k.(string)
		if !ok {
			return nil, unsupported("torch: state dict key %s is not a string", describe(k))
		}
		var t *torchTensor
		switch v := sd.vals[i].(type) {
		case *torchTensor:
			t = v
		case *pyObject:
			if g, ok := v.class.(*pyGlobal); ok && strings.HasPrefix(g.module, "torch") && strings.HasPrefix(g.name, "_rebuild") {
				return nil, unsupported("torch: tensor %q is rebuilt by %s", name, g)
			}
			continue
		default:
			continue // entries that are not tensors (_extra_state, counters, …)
		}
		data, err := a.tensorData(name, t)
		if err != nil {
			return nil, err
		}
		file.Tensors[name] = &Tensor{Name: name, DType: t.dtype, Shape: slices.Clone(t.shape), Data: data}
		file.Names = append(file.Names, name)
	}
	if len(file.Names) == 0 && len(sd.keys) > 0 {
		keys := make([]string, 0, 8)
		for _, k := range sd.keys[:min(len(sd.keys), 8)] {
			keys = append(keys, describe(k))
		}
		return nil, unsupported("torch: no tensors at the top level and no state_dict entry (keys: %s)", strings.Join(keys, ", "))
	}
	return file, nil
}

// lightningMeta collects the scalar bookkeeping entries of a Lightning
// checkpoint.
func lightningMeta(top *pyDict) map[string]string {
	meta := make(map[string]string)
	for _, k := range []string{"epoch", "global_step", "pytorch-lightning_version"} {
		v, ok := top.get(k)
		if !ok {
			continue
		}
		switch v := v.(type) {
		case string:
			meta[k] = v
		case int64:
			meta[k] = strconv.FormatInt(v, 10)
		case *big.Int:
			meta[k] = v.String()
		case float64:
			meta[k] = strconv.FormatFloat(v, 'g', -1, 64)
		case bool:
			meta[k] = strconv.FormatBool(v)
		}
	}
	return meta
}

// tensorData returns the contiguous little-endian bytes of t, sharing the
// storage's bytes when the view is already contiguous.
func (a *torchArchive) tensorData(name string, t *torchTensor) ([]byte, error) {
	if b, ok := a.views[t]; ok {
		return b, nil
	}
	s := t.storage
	es := t.dtype.Size()
	if es == 0 {
		return nil, unsupported("torch: tensor %q: storage type %s has no modelio dtype", name, s.typeName)
	}
	n, ok := numElements(t.shape)
	if !ok {
		return nil, formatErr("torch: tensor %q: size %v is too large", name, t.shape)
	}
	if n == 0 {
		return []byte{}, nil
	}
	if s.dtype.Size() == 0 {
		return nil, unsupported("torch: tensor %q: storage type %s has no modelio dtype", name, s.typeName)
	}
	// The storage is counted in its own elements; _rebuild_tensor_v3 may
	// view an untyped (byte) storage as wider elements.
	storageBytes := s.numel * s.dtype.Size()
	last, ok := lastElement(t.offset, t.shape, t.stride)
	if !ok || last >= storageBytes/es {
		return nil, formatErr("torch: tensor %q: offset %d, size %v, stride %v reach past its storage %q of %d bytes",
			name, t.offset, t.shape, t.stride, s.key, storageBytes)
	}
	buf, err := a.storageData(s, es)
	if err != nil {
		return nil, err
	}
	var data []byte
	if isContiguous(t.shape, t.stride) {
		lo, hi := t.offset*es, (t.offset+n)*es
		data = buf[lo:hi:hi]
	} else {
		// Copies are bounded by the file size, so that many views of one
		// storage cannot multiply it.
		if a.copied += int64(n * es); a.copied > a.size {
			return nil, unsupported("torch: tensor %q: non-contiguous views would need more memory than the file's %d bytes", name, a.size)
		}
		data = make([]byte, n*es)
		gather(data, buf, es, t.offset, t.shape, t.stride)
	}
	a.views[t] = data
	return data, nil
}

// storageData returns the bytes of a storage record, read once, in
// little-endian order for elements of es bytes.
func (a *torchArchive) storageData(s *torchStorage, es int) ([]byte, error) {
	if b, ok := a.data[s.key]; ok {
		return b, nil
	}
	name := a.prefix + "data/" + s.key
	f, ok := a.records[name]
	if !ok {
		return nil, formatErr("torch: storage %q has no record %s", s.key, name)
	}
	want := uint64(s.numel) * uint64(s.dtype.Size())
	if f.UncompressedSize64 != want {
		return nil, formatErr("torch: record %s holds %d bytes; its %s of %d elements needs %d",
			name, f.UncompressedSize64, s.typeName, s.numel, want)
	}
	b, err := a.readRecord(name)
	if err != nil {
		return nil, err
	}
	if a.bigEndian {
		swapBytes(b, es)
	}
	a.data[s.key] = b
	return b, nil
}

// lastElement returns the storage index of a view's last element,
// offset + Σ (shape[i]−1)·stride[i], or false on overflow. shape has no zero.
func lastElement(offset int, shape, stride []int) (int, bool) {
	last := offset
	for i, d := range shape {
		if stride[i] != 0 && d-1 > (maxElements-last)/stride[i] {
			return 0, false
		}
		last += (d - 1) * stride[i]
	}
	return last, true
}

// isContiguous reports whether stride is the C-order stride of shape,
// ignoring dimensions of size 1 (whose stride never matters).
func isContiguous(shape, stride []int) bool {
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}

// gather copies the strided view (offset, shape, stride; all in elements of
// es bytes) of src into dst in C order. It is gatherRef with whole rows
// copied at once when the innermost stride is 1.
func gather(dst, src []byte, es, offset int, shape, stride []int) {
	nd := len(shape)
	if nd == 0 {
		copy(dst, src[offset*es:(offset+1)*es])
		return
	}
	inner, istride := shape[nd-1], stride[nd-1]
	row := inner * es
	idx := make([]int, nd-1)
	base := offset
	for d := 0; d+row <= len(dst) && row > 0; d += row {
		if istride == 1 {
			copy(dst[d:d+row], src[base*es:])
		} else {
			for i := range inner {
				p := (base + i*istride) * es
				copy(dst[d+i*es:d+(i+1)*es], src[p:p+es])
			}
		}
		for k := nd - 2; k >= 0; k-- { // next row: an odometer over the outer dims
			idx[k]++
			base += stride[k]
			if idx[k] < shape[k] {
				break
			}
			base -= idx[k] * stride[k]
			idx[k] = 0
		}
	}
}

// gatherRef is the obvious gather: element i of dst, in C order, comes from
// storage index offset + Σ index[k]·stride[k].
func gatherRef(dst, src []byte, es, offset int, shape, stride []int) {
	n := len(dst) / es
	for i := range n {
		rem, pos := i, offset
		for k := len(shape) - 1; k >= 0; k-- {
			pos += rem % shape[k] * stride[k]
			rem /= shape[k]
		}
		copy(dst[i*es:(i+1)*es], src[pos*es:(pos+1)*es])
	}
}

// swapBytes reverses the byte order of each es-byte element of b in place.
func swapBytes(b []byte, es int) {
	if es <= 1 {
		return
	}
	for i := 0; i+es <= len(b); i += es {
		e := b[i : i+es]
		for j, k := 0, es-1; j < k; j, k = j+1, k-1 {
			e[j], e[k] = e[k], e[j]
		}
	}
}

// describe renders a small pickle value for an error message.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) > 64 {
			v = v[:64] + "…"
		}
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case pyTuple:
		parts := make([]string, 0, min(len(v), 6))
		for i, e := range v {
			if i == 5 {
				parts = append(parts, "…")
				break
			}
			switch e.(type) {
			case pyTuple:
				parts = append(parts, "tuple")
			default:
				parts = append(parts, describe(e))
			}
		}
		return "(" + strings.Join(parts, ", ") + ")"
	}
	return typeName(v)
}
