package raster

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
)

// TIFF tags this package reads or writes.
const (
	tagNewSubfileType      = 254
	tagImageWidth          = 256
	tagImageLength         = 257
	tagBitsPerSample       = 258
	tagCompression         = 259
	tagPhotometric         = 262
	tagFillOrder           = 266
	tagStripOffsets        = 273
	tagSamplesPerPixel     = 277
	tagRowsPerStrip        = 278
	tagStripByteCounts     = 279
	tagPlanarConfiguration = 284
	tagPredictor           = 317
	tagColorMap            = 320
	tagTileWidth           = 322
	tagTileLength          = 323
	tagTileOffsets         = 324
	tagTileByteCounts      = 325
	tagExtraSamples        = 338
	tagSampleFormat        = 339
	tagJPEGTables          = 347
	tagYCbCrSubSampling    = 530
	tagModelPixelScale     = 33550
	tagModelTiepoint       = 33922
	tagModelTransformation = 34264
	tagGeoKeyDirectory     = 34735
	tagGeoDoubleParams     = 34736
	tagGeoASCIIParams      = 34737
	tagGDALMetadata        = 42112
	tagGDALNoData          = 42113
)

// tiffMetadataTags maps the baseline TIFF tags kept in Info.TIFFMetadata to
// GDAL's metadata names for them.
var tiffMetadataTags = []struct {
	tag  uint16
	name string
}{
	{269, "TIFFTAG_DOCUMENTNAME"},
	{270, "TIFFTAG_IMAGEDESCRIPTION"},
	{282, "TIFFTAG_XRESOLUTION"},
	{283, "TIFFTAG_YRESOLUTION"},
	{296, "TIFFTAG_RESOLUTIONUNIT"},
	{305, "TIFFTAG_SOFTWARE"},
	{306, "TIFFTAG_DATETIME"},
	{315, "TIFFTAG_ARTIST"},
	{316, "TIFFTAG_HOSTCOMPUTER"},
	{33432, "TIFFTAG_COPYRIGHT"},
}

// TIFF field types.
const (
	typeByte      = 1
	typeASCII     = 2
	typeShort     = 3
	typeLong      = 4
	typeRational  = 5
	typeSByte     = 6
	typeUndefined = 7
	typeSShort    = 8
	typeSLong     = 9
	typeSRational = 10
	typeFloat     = 11
	typeDouble    = 12
	typeIFD       = 13
	typeLong8     = 16
	typeSLong8    = 17
	typeIFD8      = 18
)

// typeSizes[t] is the size in bytes of one value of field type t; 0 marks
// types this package does not know, whose entries it skips.
var typeSizes = [...]int{
	typeByte: 1, typeASCII: 1, typeShort: 2, typeLong: 4, typeRational: 8,
	typeSByte: 1, typeUndefined: 1, typeSShort: 2, typeSLong: 4,
	typeSRational: 8, typeFloat: 4, typeDouble: 8, typeIFD: 4,
	typeLong8: 8, typeSLong8: 8, typeIFD8: 8,
}

func typeSize(t uint16) int {
	if int(t) < len(typeSizes) {
		return typeSizes[t]
	}
	return 0
}

// tiffFile is an open TIFF container: its byte order, flavour and bytes.
type tiffFile struct {
	ra    io.ReaderAt
	size  int64
	name  string
	order binary.ByteOrder
	big   bool // BigTIFF: 8-byte offsets and counts
}

// field is one IFD entry; its value is read on demand.
type field struct {
	tag, typ uint16
	count    uint64
	isInline bool    // the value fits in the entry itself
	inline   [8]byte // the value when isInline
	offset   uint64  // where the value is otherwise
}

// ifd is one image file directory.
type ifd struct {
	f      *tiffFile
	offset uint64
	fields map[uint16]field
	next   uint64 // offset of the next IFD, 0 at the end of the chain
}

func isTIFF(m []byte) bool {
	if len(m) < 4 {
		return false
	}
	s := string(m[:4])
	return s == "II*\x00" || s == "MM\x00*" || s == "II+\x00" || s == "MM\x00+"
}

// maxIFDs bounds the IFD chain a reader walks, against files whose chain
// is very long without looping.
const maxIFDs = 1 << 16

// readTIFFHeader reads the file header and returns the first IFD's offset.
func readTIFFHeader(ra io.ReaderAt, size int64, name string) (*tiffFile, uint64, error) {
	var h [16]byte
	n, err := ra.ReadAt(h[:], 0)
	if n < 8 {
		if err == nil || err == io.EOF {
			return nil, 0, &FormatError{Name: name, Msg: "file shorter than a TIFF header"}
		}
		return nil, 0, fmt.Errorf("raster: %s: %w", name, err)
	}
	f := &tiffFile{ra: ra, size: size, name: name}
	if h[0] == 'I' {
		f.order = binary.LittleEndian
	} else {
		f.order = binary.BigEndian
	}
	switch f.order.Uint16(h[2:]) {
	case 42:
		return f, uint64(f.order.Uint32(h[4:])), nil
	case 43:
		if n < 16 {
			return nil, 0, &FormatError{Name: name, Msg: "file shorter than a BigTIFF header"}
		}
		if f.order.Uint16(h[4:]) != 8 || f.order.Uint16(h[6:]) != 0 {
			return nil, 0, &FormatError{Name: name, Msg: "BigTIFF header with offset size other than 8"}
		}
		f.big = true
		return f, f.order.Uint64(h[8:]), nil
	}
	return nil, 0, &FormatError{Name: name, Msg: "bad TIFF magic number"}
}

// readAt reads exactly len(p) bytes at off, which the caller has checked
// lies within the file.
func (f *tiffFile) readAt(p []byte, off uint64) error {
	n, err := f.ra.ReadAt(p, int64(off))
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("raster: %s: read %d bytes at %d: %w", f.name, len(p), off, err)
}

// fits reports whether n bytes at off lie within the file.
func (f *tiffFile) fits(off, n uint64) bool {
	size := uint64(f.size)
	return off <= size && n <= size-off
}

func (f *tiffFile) formatErr(format string, args ...any) error {
	return &FormatError{Name: f.name, Msg: fmt.Sprintf(format, args...)}
}

// readIFD reads the directory at off.
func (f *tiffFile) readIFD(off uint64) (*ifd, error) {
	countSize, entrySize, nextSize := uint64(2), uint64(12), uint64(4)
	if f.big {
		countSize, entrySize, nextSize = 8, 20, 8
	}
	if off < 8 || !f.fits(off, countSize) {
		return nil, f.formatErr("IFD offset %d outside the %d-byte file", off, f.size)
	}
	var cb [8]byte
	if err := f.readAt(cb[:countSize], off); err != nil {
		return nil, err
	}
	var n uint64
	if f.big {
		n = f.order.Uint64(cb[:])
	} else {
		n = uint64(f.order.Uint16(cb[:]))
	}
	// The entry count is checked against the bytes left before anything
	// is allocated for it.
	if n == 0 || n > (uint64(f.size)-off-countSize)/entrySize {
		return nil, f.formatErr("IFD at %d claims %d entries, more than the file holds", off, n)
	}
	buf := make([]byte, n*entrySize+nextSize)
	if !f.fits(off+countSize, uint64(len(buf))) {
		// A final IFD without its next-offset field: tolerated, as
		// libtiff does, by reading it as zero.
		buf = buf[:n*entrySize]
	}
	if err := f.readAt(buf, off+countSize); err != nil {
		return nil, err
	}
	d := &ifd{f: f, offset: off, fields: make(map[uint16]field, n)}
	for i := uint64(0); i < n; i++ {
		e := buf[i*entrySize:]
		fl := field{tag: f.order.Uint16(e), typ: f.order.Uint16(e[2:])}
		var valueBytes []byte
		if f.big {
			fl.count = f.order.Uint64(e[4:])
			valueBytes = e[12:20]
		} else {
			fl.count = uint64(f.order.Uint32(e[4:]))
			valueBytes = e[8:12]
		}
		ts := uint64(typeSize(fl.typ))
		if ts == 0 {
			continue // unknown type: skip, as the specification says
		}
		if fl.count > math.MaxInt64/ts {
			return nil, f.formatErr("tag %d claims %d values", fl.tag, fl.count)
		}
		if ts*fl.count <= uint64(len(valueBytes)) {
			fl.isInline = true
			copy(fl.inline[:], valueBytes)
		} else {
			if f.big {
				fl.offset = f.order.Uint64(valueBytes)
			} else {
				fl.offset = uint64(f.order.Uint32(valueBytes))
			}
			if !f.fits(fl.offset, ts*fl.count) {
				// Checked when the tag is used, so that a broken tag
				// we never need does not stop the file opening.
				fl.offset = math.MaxUint64
			}
		}
		if _, dup := d.fields[fl.tag]; !dup {
			d.fields[fl.tag] = fl
		}
	}
	if len(buf) > int(n*entrySize) {
		if f.big {
			d.next = f.order.Uint64(buf[n*entrySize:])
		} else {
			d.next = uint64(f.order.Uint32(buf[n*entrySize:]))
		}
	}
	return d, nil
}

func (d *ifd) has(tag uint16) bool { _, ok := d.fields[tag]; return ok }

// raw returns the bytes of a field's value.
func (d *ifd) raw(fl field) ([]byte, error) {
	n := fl.count * uint64(typeSize(fl.typ))
	if fl.isInline {
		return fl.inline[:n], nil
	}
	if fl.offset == math.MaxUint64 {
		return nil, d.f.formatErr("tag %d: %d values lie outside the file", fl.tag, fl.count)
	}
	b := make([]byte, n)
	if err := d.f.readAt(b, fl.offset); err != nil {
		return nil, err
	}
	return b, nil
}

// uints returns an integer field's values; absent fields give nil.
func (d *ifd) uints(tag uint16) ([]uint64, error) {
	fl, ok := d.fields[tag]
	if !ok {
		return nil, nil
	}
	b, err := d.raw(fl)
	if err != nil {
		return nil, err
	}
	o := d.f.order
	v := make([]uint64, fl.count)
	switch fl.typ {
	case typeByte, typeUndefined:
		for i := range v {
			v[i] = uint64(b[i])
		}
	case typeShort:
		for i := range v {
			v[i] = uint64(o.Uint16(b[2*i:]))
		}
	case typeLong, typeIFD:
		for i := range v {
			v[i] = uint64(o.Uint32(b[4*i:]))
		}
	case typeLong8, typeIFD8:
		for i := range v {
			v[i] = o.Uint64(b[8*i:])
		}
	default:
		return nil, d.f.formatErr("tag %d has type %d, want an unsigned integer", tag, fl.typ)
	}
	return v, nil
}

// uint1 returns the first value of an integer field, or def when absent.
func (d *ifd) uint1(tag uint16, def uint64) (uint64, error) {
	v, err := d.uints(tag)
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		if d.has(tag) {
			return 0, d.f.formatErr("tag %d has no value", tag)
		}
		return def, nil
	}
	return v[0], nil
}

// floats returns a numeric field's values as float64.
func (d *ifd) floats(tag uint16) ([]float64, error) {
	fl, ok := d.fields[tag]
	if !ok {
		return nil, nil
	}
	switch fl.typ {
	case typeDouble, typeFloat, typeRational, typeSRational:
	default:
		u, err := d.uints(tag)
		if err != nil {
			return nil, err
		}
		v := make([]float64, len(u))
		for i, x := range u {
			v[i] = float64(x)
		}
		return v, nil
	}
	b, err := d.raw(fl)
	if err != nil {
		return nil, err
	}
	o := d.f.order
	v := make([]float64, fl.count)
	for i := range v {
		switch fl.typ {
		case typeDouble:
			v[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		case typeFloat:
			v[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		case typeRational:
			v[i] = float64(o.Uint32(b[8*i:])) / float64(o.Uint32(b[8*i+4:]))
		case typeSRational:
			v[i] = float64(int32(o.Uint32(b[8*i:]))) / float64(int32(o.Uint32(b[8*i+4:])))
		}
	}
	return v, nil
}

// bytes returns the raw bytes of a BYTE, UNDEFINED or ASCII field.
func (d *ifd) bytes(tag uint16) ([]byte, error) {
	fl, ok := d.fields[tag]
	if !ok {
		return nil, nil
	}
	if typeSize(fl.typ) != 1 {
		return nil, d.f.formatErr("tag %d has type %d, want bytes", tag, fl.typ)
	}
	return d.raw(fl)
}

// ascii returns an ASCII field's text up to its first NUL.
func (d *ifd) ascii(tag uint16) (string, error) {
	b, err := d.bytes(tag)
	if err != nil {
		return "", err
	}
	s := string(b)
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return s, nil
}
