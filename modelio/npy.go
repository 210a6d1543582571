package modelio

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// A NumPy .npy file (format versions 1.0, 2.0 and 3.0) is
//
//	"\x93NUMPY" major minor | header length (u16 for 1.x, u32 after) |
//	header: a Python dict literal, padded with spaces and a newline |
//	data
//
// The header reads like {'descr': '<f4', 'fortran_order': False,
// 'shape': (1, 4, 136, 104), }.

const npyMagic = "\x93NUMPY"

// maxNPYHeader bounds the header (numpy itself refuses more than 10000 bytes
// unless told otherwise).
const maxNPYHeader = 1 << 20

// ReadNPY reads the .npy file at path. The tensor has no name.
func ReadNPY(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("modelio: %w", err)
	}
	t, err := DecodeNPY(f, fi.Size())
	if err != nil {
		return nil, nameFile(err, path)
	}
	return t, nil
}

// DecodeNPY decodes a .npy array of size bytes. Big-endian data is swapped
// and Fortran-order data transposed, so the tensor is always little-endian
// and C-ordered. Supported dtypes are f2, f4, f8, i1, i2, i4, i8, u1 and b1;
// the array must end where the file ends.
func DecodeNPY(r io.ReaderAt, size int64) (*Tensor, error) {
	var pre [12]byte
	if size < 10 {
		return nil, formatErr("npy: file of %d bytes is too short", size)
	}
	r = io.NewSectionReader(r, 0, size) // never read past size
	if err := readFullAt(r, pre[:min(size, 12)], 0); err != nil {
		return nil, fmt.Errorf("modelio: npy: %w", err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, formatErr("npy: bad magic %q", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen, start int64
	switch major {
	case 1:
		hlen, start = int64(binary.LittleEndian.Uint16(pre[8:])), 10
	case 2, 3:
		if size < 12 {
			return nil, formatErr("npy: file of %d bytes is too short", size)
		}
		hlen, start = int64(binary.LittleEndian.Uint32(pre[8:])), 12
	default:
		return nil, unsupported("npy: format version %d.%d", major, minor)
	}
	if hlen > size-start {
		return nil, formatErr("npy: header length %d exceeds the %d bytes that follow it", hlen, size-start)
	}
	if hlen > maxNPYHeader {
		return nil, unsupported("npy: header of %d bytes (limit %d)", hlen, maxNPYHeader)
	}
	header := make([]byte, hlen)
	if err := readFullAt(r, header, start); err != nil {
		return nil, fmt.Errorf("modelio: npy: %w", err)
	}
	h, err := parseNPYHeader(string(header))
	if err != nil {
		return nil, err
	}
	es := h.dtype.Size()
	n, ok := numElements(h.shape)
	if !ok {
		return nil, formatErr("npy: shape %v is too large", h.shape)
	}
	dataStart := start + hlen
	if avail := size - dataStart; int64(n) > avail/int64(es) || int64(n*es) != avail {
		return nil, formatErr("npy: %s %v needs %d·%d bytes of data, the file has %d", h.dtype, h.shape, n, es, avail)
	}
	data := make([]byte, n*es)
	if err := readFullAt(r, data, dataStart); err != nil {
		return nil, fmt.Errorf("modelio: npy: %w", err)
	}
	if h.bigEndian {
		swapBytes(data, es)
	}
	if h.fortran && len(h.shape) > 1 && n > 0 {
		// Element (i0, …, ik) sits at Σ ij·(shape0·…·shape(j−1)).
		stride := make([]int, len(h.shape))
		s := 1
		for k, d := range h.shape {
			stride[k] = s
			s *= d
		}
		c := make([]byte, len(data))
		gather(c, data, es, 0, h.shape, stride)
		data = c
	}
	return &Tensor{DType: h.dtype, Shape: h.shape, Data: data}, nil
}

type npyHeader struct {
	dtype     DType
	bigEndian bool
	fortran   bool
	shape     []int
}

func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := &pyLiteral{s: s}
	v, err := p.value(0)
	if err != nil {
		return h, formatErr("npy: header: %v", err)
	}
	if p.skipSpace(); p.pos != len(s) {
		return h, formatErr("npy: header: %q after the dict", clip(s[p.pos:]))
	}
	d, ok := v.(map[string]any)
	if !ok || len(d) != 3 {
		return h, formatErr("npy: header is not a dict of descr, fortran_order and shape: %q", clip(s))
	}
	switch descr := d["descr"].(type) {
	case string:
		h.dtype, h.bigEndian, err = parseNPYDescr(descr)
		if err != nil {
			return h, err
		}
	case []any:
		return h, unsupported("npy: structured dtype")
	default:
		return h, formatErr("npy: header has no descr string: %q", clip(s))
	}
	if h.fortran, ok = d["fortran_order"].(bool); !ok {
		return h, formatErr("npy: header has no fortran_order boolean: %q", clip(s))
	}
	shape, ok := d["shape"].([]any)
	if !ok {
		return h, formatErr("npy: header has no shape tuple: %q", clip(s))
	}
	h.shape = make([]int, len(shape))
	for i, e := range shape {
		n, ok := e.(int64)
		if !ok || n < 0 || n > maxElements {
			return h, formatErr("npy: shape %q has a bad dimension", clip(s))
		}
		h.shape[i] = int(n)
	}
	return h, nil
}

// parseNPYDescr decodes a numpy type string such as "<f4" or "|u1".
func parseNPYDescr(descr string) (DType, bool, error) {
	s := descr
	order := byte('=')
	if s != "" && strings.IndexByte("<>|=", s[0]) >= 0 {
		order, s = s[0], s[1:]
	}
	dt, ok := map[string]DType{
		"f8": F64, "f4": F32, "f2": F16,
		"i8": I64, "i4": I32, "i2": I16, "i1": I8,
		"u1": U8, "b1": BOOL,
	}[s]
	if !ok {
		return "", false, unsupported("npy: dtype %q", descr)
	}
	// '=' (native) and '|' (not applicable) are read as little-endian: numpy
	// writes '<' or '>' for every multi-byte type.
	return dt, order == '>' && dt.Size() > 1, nil
}

// WriteNPY writes t as a version 1.0 .npy file at path (2.0 if the header
// needs it), atomically. BF16, which numpy lacks, is an error.
func WriteNPY(path string, t *Tensor) error {
	descr, ok := map[DType]string{
		F64: "<f8", F32: "<f4", F16: "<f2",
		I64: "<i8", I32: "<i4", I16: "<i2", I8: "|i1",
		U8: "|u1", BOOL: "|b1",
	}[t.DType]
	if !ok {
		return nameFile(unsupported("npy: numpy has no dtype for %s", t.DType), path)
	}
	if _, err := t.check(); err != nil {
		return nameFile(err, path)
	}
	err := writeAtomic(path, func(w *bufio.Writer) error {
		w.Write(npyHeaderBytes(descr, t.Shape))
		_, err := w.Write(t.Data)
		return err
	})
	if err != nil {
		return fmt.Errorf("modelio: write %s: %w", path, err)
	}
	return nil
}

// npyHeaderBytes returns the magic, version, length and header, padded as
// numpy pads it so that the data starts at a multiple of 64 bytes.
func npyHeaderBytes(descr string, shape []int) []byte {
	var dims strings.Builder
	for i, d := range shape {
		if i > 0 {
			dims.WriteString(", ")
		}
		dims.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		dims.WriteByte(',')
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, dims.String())
	pre := 10
	if len(dict)+1+63 > 0xffff {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	out := make([]byte, total)
	copy(out, npyMagic)
	hlen := total - pre
	if pre == 10 {
		out[6], out[7] = 1, 0
		binary.LittleEndian.PutUint16(out[8:], uint16(hlen))
	} else {
		out[6], out[7] = 2, 0
		binary.LittleEndian.PutUint32(out[8:], uint32(hlen))
	}
	n := copy(out[pre:], dict)
	for i := pre + n; i < total-1; i++ {
		out[i] = ' '
	}
	out[total-1] = '\n'
	return out
}

// pyLiteral parses the Python literals of an .npy header: dicts with string
// keys, tuples, lists, strings, integers, True, False and None.
type pyLiteral struct {
	s   string
	pos int
}

const maxLiteralDepth = 32

func (p *pyLiteral) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *pyLiteral) value(depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, fmt.Errorf("nested more than %d deep", maxLiteralDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("unexpected end")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		p.pos++
		d := make(map[string]any)
		for {
			p.skipSpace()
			if p.eat('}') {
				return d, nil
			}
			k, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("dict key at %d is not a string", p.pos)
			}
			if _, dup := d[key]; dup {
				return nil, fmt.Errorf("key %q appears twice", key)
			}
			if p.skipSpace(); !p.eat(':') {
				return nil, fmt.Errorf("missing ':' at %d", p.pos)
			}
			if d[key], err = p.value(depth + 1); err != nil {
				return nil, err
			}
			if p.skipSpace(); !p.eat(',') {
				if p.skipSpace(); !p.eat('}') {
					return nil, fmt.Errorf("missing ',' or '}' at %d", p.pos)
				}
				return d, nil
			}
		}
	case c == '(' || c == '[':
		end := byte(')')
		if c == '[' {
			end = ']'
		}
		p.pos++
		items := []any{}
		for {
			p.skipSpace()
			if p.eat(end) {
				return items, nil
			}
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
			if p.skipSpace(); !p.eat(',') {
				if p.skipSpace(); !p.eat(end) {
					return nil, fmt.Errorf("missing ',' or %q at %d", end, p.pos)
				}
				if c == '(' && len(items) == 1 {
					return items[0], nil // (x) is x, not a tuple
				}
				return items, nil
			}
		}
	case c == '\'' || c == '"':
		i := strings.IndexByte(p.s[p.pos+1:], c)
		if i < 0 {
			return nil, fmt.Errorf("unterminated string at %d", p.pos)
		}
		v := p.s[p.pos+1 : p.pos+1+i]
		if strings.IndexByte(v, '\\') >= 0 {
			return nil, fmt.Errorf("escapes in string %q", clip(v))
		}
		p.pos += i + 2
		return v, nil
	case c == '-' || c == '+' || '0' <= c && c <= '9':
		j := p.pos + 1
		for j < len(p.s) && '0' <= p.s[j] && p.s[j] <= '9' {
			j++
		}
		v, err := strconv.ParseInt(p.s[p.pos:j], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", clip(p.s[p.pos:j]))
		}
		p.pos = j
		p.eat('L') // Python 2 longs: (3L, 4L)
		return v, nil
	}
	for _, kw := range []struct {
		word string
		v    any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.pos:], kw.word) {
			p.pos += len(kw.word)
			return kw.v, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q at %d", clip(p.s[p.pos:]), p.pos)
}

func (p *pyLiteral) eat(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
