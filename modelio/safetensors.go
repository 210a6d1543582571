package modelio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// A safetensors file is
//
//	u64 little-endian N | N bytes of JSON header | data
//
// The header maps each tensor name to {"dtype", "shape", "data_offsets":
// [begin, end]}, offsets relative to the start of the data, plus an optional
// "__metadata__" map of strings. As in the reference implementation the
// tensors must tile the data exactly: no gaps, no overlaps, nothing after.

// maxSafetensorsHeader is the reference implementation's limit on N.
const maxSafetensorsHeader = 100 << 20

type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets []uint64 `json:"data_offsets"`
}

// ReadSafetensors reads a safetensors file of size bytes. Names lists the
// tensors in the order of their data.
func ReadSafetensors(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, formatErr("safetensors: file of %d bytes has no header length", size)
	}
	r = io.NewSectionReader(r, 0, size) // never read past size
	var lenBuf [8]byte
	if err := readFullAt(r, lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("modelio: safetensors: %w", err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > uint64(size-8) {
		return nil, formatErr("safetensors: header length %d exceeds the %d bytes that follow it", hlen, size-8)
	}
	if hlen > maxSafetensorsHeader {
		return nil, unsupported("safetensors: header of %d bytes (limit %d)", hlen, maxSafetensorsHeader)
	}
	header := make([]byte, hlen)
	if err := readFullAt(r, header, 8); err != nil {
		return nil, fmt.Errorf("modelio: safetensors: %w", err)
	}
	names, entries, meta, err := parseSafetensorsHeader(header)
	if err != nil {
		return nil, err
	}
	dataStart := 8 + int64(hlen)
	dataLen := uint64(size - dataStart)

	// Check dtypes, sizes, and that the tensors tile the data.
	order := make([]int, len(names))
	for i, name := range names {
		e := entries[i]
		dt := DType(e.DType)
		if dt.Size() == 0 {
			return nil, unsupported("safetensors: tensor %q has dtype %q", name, e.DType)
		}
		n, ok := numElements(e.Shape)
		if !ok {
			return nil, formatErr("safetensors: tensor %q has invalid shape %v", name, e.Shape)
		}
		b, end := e.DataOffsets[0], e.DataOffsets[1]
		if end < b || end-b != uint64(n)*uint64(dt.Size()) {
			return nil, formatErr("safetensors: tensor %q: data_offsets [%d, %d] do not fit %s %v (%d bytes)",
				name, b, end, dt, e.Shape, n*dt.Size())
		}
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool {
		return entries[order[x]].DataOffsets[0] < entries[order[y]].DataOffsets[0]
	})
	var pos uint64
	for _, i := range order {
		if b := entries[i].DataOffsets[0]; b != pos {
			what := "overlaps the tensor before it"
			if b > pos {
				what = "leaves a gap after the tensor before it"
			}
			return nil, formatErr("safetensors: tensor %q at data offset %d %s (which ends at %d)", names[i], b, what, pos)
		}
		pos = entries[i].DataOffsets[1]
	}
	if pos != dataLen {
		return nil, formatErr("safetensors: tensors cover %d bytes of data, the file has %d", pos, dataLen)
	}

	f := &File{Format: FormatSafetensors, Tensors: make(map[string]*Tensor, len(names)), Meta: meta}
	for _, i := range order {
		e := entries[i]
		data := make([]byte, e.DataOffsets[1]-e.DataOffsets[0])
		if err := readFullAt(r, data, dataStart+int64(e.DataOffsets[0])); err != nil {
			return nil, fmt.Errorf("modelio: safetensors: tensor %q: %w", names[i], err)
		}
		f.Tensors[names[i]] = &Tensor{Name: names[i], DType: DType(e.DType), Shape: e.Shape, Data: data}
		f.Names = append(f.Names, names[i])
	}
	return f, nil
}

// parseSafetensorsHeader decodes the JSON header, keeping the order of the
// names and rejecting duplicates.
func parseSafetensorsHeader(header []byte) (names []string, entries []safetensorsEntry, meta map[string]string, err error) {
	bad := func(format string, args ...any) ([]string, []safetensorsEntry, map[string]string, error) {
		return nil, nil, nil, formatErr("safetensors: header: "+format, args...)
	}
	if !utf8.Valid(header) {
		return bad("not valid UTF-8")
	}
	body := bytes.TrimRight(header, " \t\r\n")
	if len(body) == 0 || body[0] != '{' {
		return bad("does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return bad("%v", err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("%v", err)
		}
		name, ok := tok.(string)
		if !ok {
			return bad("key %v is not a string", tok)
		}
		if seen[name] {
			return bad("%q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				return bad("__metadata__ is not a map of strings: %v", err)
			}
			continue
		}
		var e safetensorsEntry
		if err := dec.Decode(&e); err != nil {
			return bad("tensor %q: %v", name, err)
		}
		if len(e.DataOffsets) != 2 {
			return bad("tensor %q: data_offsets has %d numbers, not 2", name, len(e.DataOffsets))
		}
		if e.Shape == nil {
			e.Shape = []int{}
		}
		names = append(names, name)
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return bad("%v", err)
	}
	if dec.InputOffset() != int64(len(body)) {
		return bad("%d bytes after the JSON object", int64(len(body))-dec.InputOffset())
	}
	return names, entries, meta, nil
}

// WriteSafetensors writes tensors, in the given order, and meta (if not empty)
// as a safetensors file at path, atomically. Names must be unique and not
// empty or "__metadata__".
func WriteSafetensors(path string, tensors []*Tensor, meta map[string]string) error {
	header, err := safetensorsHeader(tensors, meta)
	if err != nil {
		return nameFile(err, path)
	}
	err = writeAtomic(path, func(w *bufio.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
		w.Write(n[:])
		w.Write(header)
		for _, t := range tensors {
			if _, err := w.Write(t.Data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("modelio: write %s: %w", path, err)
	}
	return nil
}

// safetensorsHeader returns the JSON header for tensors laid out one after
// another, padded with spaces to a multiple of 8 bytes so that the data is
// aligned.
func safetensorsHeader(tensors []*Tensor, meta map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if len(meta) > 0 {
		keys := make([]string, 0, len(meta))
		for k := range meta {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !utf8.ValidString(k) || !utf8.ValidString(meta[k]) {
				return nil, fmt.Errorf("modelio: safetensors: metadata %q is not UTF-8", k)
			}
		}
		b.WriteString(`"__metadata__":{`)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(&b, k)
			b.WriteByte(':')
			writeJSONString(&b, meta[k])
		}
		b.WriteByte('}')
	}
	seen := make(map[string]bool, len(tensors))
	var off uint64
	for i, t := range tensors {
		if t == nil {
			return nil, fmt.Errorf("modelio: safetensors: tensor %d is nil", i)
		}
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] || !utf8.ValidString(t.Name) {
			return nil, fmt.Errorf("modelio: safetensors: tensor %d: name %q is empty, reserved, repeated or not UTF-8", i, t.Name)
		}
		seen[t.Name] = true
		if _, err := t.check(); err != nil {
			return nil, err
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"dtype":"` + string(t.DType) + `","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		end := off + uint64(len(t.Data))
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes(), nil
}

// writeJSONString writes s as a JSON string, without HTML escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)           // cannot fail for a string
	b.Truncate(b.Len() - 1) // Encode's newline
}
