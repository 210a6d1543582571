// Package raster reads and writes georeferenced raster images: TIFF and
// GeoTIFF (classic and BigTIFF, strips and tiles, uncompressed, Deflate, LZW,
// PackBits and JPEG, 8- to 64-bit integer and floating-point samples, any
// number of bands), and PNG and JPEG through the same interface.
//
// A Reader hands out rectangular windows of a scene, one []float32 (or one
// slice of the native sample type) per band, decoding only the tiles or
// strips the window touches and keeping a bounded cache of them, so scenes
// far larger than memory can be processed piece by piece. A Writer takes
// windows in any order, compresses each tile as soon as it is complete and
// appends it to a temporary file that becomes the output, atomically, on
// Close. The GeoTIFF keys, GDAL nodata value and GDAL metadata of an input
// can be handed to a Writer unchanged, so that GDAL sees the same coordinate
// system, geotransform, nodata, bands and types in the output.
//
// The package is not a GDAL replacement: it does not reproject, resample,
// build overviews, or interpret coordinate systems beyond carrying their
// keys; it reads but does not write JPEG-compressed TIFF; and PNG and JPEG
// files are decoded whole on Open.
package raster

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// SampleType is the numeric type of one sample of one band.
type SampleType int

// The sample types; the zero SampleType is invalid.
const (
	Uint8 SampleType = iota + 1
	Int8
	Uint16
	Int16
	Uint32
	Int32
	Float32
	Float64
)

var sampleTypeNames = [...]string{"", "Byte", "Int8", "UInt16", "Int16", "UInt32", "Int32", "Float32", "Float64"}

// String returns GDAL's name for the type: Byte, Int8, UInt16, Int16,
// UInt32, Int32, Float32 or Float64.
func (t SampleType) String() string {
	if t <= 0 || int(t) >= len(sampleTypeNames) {
		return "SampleType(" + strconv.Itoa(int(t)) + ")"
	}
	return sampleTypeNames[t]
}

// Size is the number of bytes of one sample, or 0 for an invalid type.
func (t SampleType) Size() int {
	switch t {
	case Uint8, Int8:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// IsFloat reports whether t is Float32 or Float64.
func (t SampleType) IsFloat() bool { return t == Float32 || t == Float64 }

// Range returns the smallest and largest values of an integer type, and
// ±Inf for the floating-point types.
func (t SampleType) Range() (lo, hi float64) {
	switch t {
	case Uint8:
		return 0, math.MaxUint8
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint16:
		return 0, math.MaxUint16
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint32:
		return 0, math.MaxUint32
	case Int32:
		return math.MinInt32, math.MaxInt32
	}
	return math.Inf(-1), math.Inf(1)
}

// TIFF PhotometricInterpretation values (tag 262).
const (
	PhotometricMinIsWhite = 0
	PhotometricMinIsBlack = 1
	PhotometricRGB        = 2
	PhotometricPalette    = 3
	PhotometricMask       = 4
	PhotometricSeparated  = 5 // CMYK
	PhotometricYCbCr      = 6
)

// TIFF Compression values (tag 259).
const (
	CompressionNone         = 1
	CompressionLZW          = 5
	CompressionOldJPEG      = 6
	CompressionJPEG         = 7
	CompressionDeflate      = 8
	CompressionPackBits     = 32773
	CompressionAdobeDeflate = 32946
)

// TIFF ExtraSamples values (tag 338).
const (
	ExtraUnspecified = 0
	ExtraAssocAlpha  = 1 // premultiplied
	ExtraUnassAlpha  = 2
)

// Info describes a raster: its size, bands and sample type, how a TIFF
// stores it, and the georeferencing and GDAL metadata that travel with it.
// Readers fill in all fields that apply; Create uses the fields listed in
// its documentation.
type Info struct {
	Format        string // "GTiff", "PNG" or "JPEG"
	Width, Height int    // pixels
	Bands         int
	Type          SampleType

	// NoData is GDAL's nodata value (TIFF tag 42113) parsed as a number,
	// nil when the file has none or it is not a number ("nan" parses to
	// NaN). NoDataText is the tag's text as stored, so that values such
	// as -1e4 on a byte raster survive a round trip unchanged.
	NoData     *float64
	NoDataText string

	// Alpha is the index of the band that is an alpha (transparency)
	// band, or -1. ColorInterp names each band's role the way GDAL does
	// ("Red", "Green", "Blue", "Alpha", "Gray", "Undefined", ...): from
	// the photometric interpretation and extra samples, overridden by
	// COLORINTERP items in the GDAL metadata.
	Alpha       int
	ColorInterp []string

	// TIFF storage: tag values as read, or as Create should write them.
	// Photometric describes the samples the Reader delivers: JPEG-coded
	// YCbCr is converted to RGB, so it reads as PhotometricRGB.
	Photometric  int
	ExtraSamples []int // one per band beyond the photometric's colour bands
	Planar       bool  // PlanarConfiguration 2: each band stored apart
	Compression  int   // TIFF code; 0 for PNG and JPEG files
	Predictor    int   // 1 none, 2 horizontal, 3 floating point
	TileWidth    int   // 0 when stored in strips
	TileHeight   int
	RowsPerStrip int // 0 when stored in tiles
	BigTIFF      bool
	BigEndian    bool
	ColorMap     []uint16 // palette (tag 320): 3·2^bits entries, or nil

	Geo          *Geo   // nil when the file is not georeferenced
	GDALMetadata string // tag 42112, the XML as stored (without the NUL)

	// TIFFMetadata holds the baseline TIFF text and resolution tags under
	// GDAL's names: TIFFTAG_DOCUMENTNAME, _IMAGEDESCRIPTION, _SOFTWARE,
	// _DATETIME, _ARTIST, _HOSTCOMPUTER, _COPYRIGHT, _XRESOLUTION,
	// _YRESOLUTION and _RESOLUTIONUNIT (as its number), as text. nil when
	// there are none.
	TIFFMetadata map[string]string

	// Overviews is the number of reduced-resolution images stored after
	// the full-resolution one; OpenOptions.Overview selects one.
	Overviews int
}

// Geo holds the GeoTIFF tags verbatim: enough to write them back so that
// GDAL and PROJ see the same coordinate system and geotransform.
type Geo struct {
	PixelScale     []float64 // ModelPixelScale, tag 33550: (sx, sy, sz)
	Tiepoint       []float64 // ModelTiepoint, tag 33922: (i, j, k, x, y, z)...
	Transformation []float64 // ModelTransformation, tag 34264: 4×4 row-major
	GeoKeys        []uint16  // GeoKeyDirectory, tag 34735
	GeoDoubles     []float64 // GeoDoubleParams, tag 34736
	GeoASCII       string    // GeoAsciiParams, tag 34737, as stored
}

// Reader reads windows of a raster. Its methods may be called from several
// goroutines at once.
type Reader interface {
	// Info describes the raster; the returned value shares no memory with
	// the Reader.
	Info() Info

	// ReadWindow reads the w×h pixels whose top-left corner is (x0, y0)
	// into bands: bands[b][y*w+x] receives band b at (x0+x, y0+y). It
	// must hold Info().Bands slices of at least w·h values; a nil slice
	// skips that band. The window must lie inside the raster. Integers of
	// up to 24 bits convert exactly; larger ones and float64 values are
	// rounded to the nearest float32.
	ReadWindow(x0, y0, w, h int, bands [][]float32) error

	// ReadWindowNative is ReadWindow for samples of the raster's own
	// type, without conversion: bands must be a [][]uint8, [][]int8,
	// [][]uint16, [][]int16, [][]uint32, [][]int32, [][]float32 or
	// [][]float64 matching Info().Type.
	ReadWindowNative(x0, y0, w, h int, bands any) error

	// Close releases the file. Reads after Close fail.
	Close() error
}

// OpenOptions tunes a Reader. The zero value is the default.
type OpenOptions struct {
	// CacheBytes bounds the memory kept for decoded tiles and strips;
	// 0 means 64 MiB and a negative value disables the cache.
	CacheBytes int64

	// Overview selects a reduced-resolution image of a TIFF: 0 is the
	// full-resolution image, k the k-th overview (Info.Overviews says how
	// many there are). Transparency masks are never selected.
	Overview int

	// Name is used in error messages in place of a path by NewReader.
	Name string
}

const defaultCacheBytes = 64 << 20

// Open opens the raster file at path, recognising TIFF, PNG and JPEG by
// their first bytes.
//
// A TIFF is read lazily, block by block; its first image is the full
// resolution one (OpenWith selects overviews). A PNG or JPEG is decoded
// whole by image/png or image/jpeg: PNG gray, gray+alpha, RGB and RGBA keep
// their bands and bit depth, palettes are expanded to RGB (RGBA with a tRNS
// chunk), and gray of fewer than 8 bits is scaled to 0..255 as image/png
// does; JPEG colour is converted to RGB as libjpeg converts it (see the
// JPEG-in-TIFF notes in jpeg.go).
func Open(path string) (Reader, error) {
	return OpenWith(path, OpenOptions{})
}

// OpenWith is Open with options.
func OpenWith(path string, opt OpenOptions) (Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("raster: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("raster: %w", err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("raster: %s: is a directory", path)
	}
	opt.Name = path
	r, err := newReader(f, st.Size(), opt, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// NewReader reads a raster held by ra, which is size bytes long. Closing the
// Reader does not close ra.
func NewReader(ra io.ReaderAt, size int64, opt OpenOptions) (Reader, error) {
	return newReader(ra, size, opt, nil)
}

func newReader(ra io.ReaderAt, size int64, opt OpenOptions, c io.Closer) (Reader, error) {
	name := opt.Name
	if name == "" {
		name = "input"
	}
	var magic [8]byte
	n, err := ra.ReadAt(magic[:], 0)
	if n < len(magic) && err != nil && err != io.EOF {
		return nil, fmt.Errorf("raster: %s: %w", name, err)
	}
	switch m := magic[:n]; {
	case isTIFF(m):
		return openTIFF(ra, size, name, opt, c)
	case strings.HasPrefix(string(m), pngMagic):
		return openImage(ra, size, name, "PNG", c)
	case len(m) >= 3 && m[0] == 0xFF && m[1] == 0xD8 && m[2] == 0xFF:
		return openImage(ra, size, name, "JPEG", c)
	}
	return nil, &FormatError{Name: name, Msg: "not a TIFF, PNG or JPEG file"}
}

// FormatError reports that a file is not a valid raster file: a header that
// contradicts itself or the file's size, or data that does not decode.
type FormatError struct {
	Name string // file name, or what OpenOptions.Name said
	Msg  string
	Err  error // the underlying decoder's error, if any
}

func (e *FormatError) Error() string {
	s := "raster: " + e.Name + ": invalid format: " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid file that uses a feature this package
// does not implement.
type UnsupportedError struct {
	Name string
	Msg  string
}

func (e *UnsupportedError) Error() string {
	return "raster: " + e.Name + ": unsupported: " + e.Msg
}

// checkWindow validates a window request against a w×h raster.
func checkWindow(name string, width, height, x0, y0, w, h int) error {
	if w < 0 || h < 0 || x0 < 0 || y0 < 0 || x0 > width-w || y0 > height-h {
		return fmt.Errorf("raster: %s: window %d×%d at (%d,%d) is outside the %d×%d raster", name, w, h, x0, y0, width, height)
	}
	return nil
}

// checkBands validates float32 band buffers for a w×h window.
func checkBands[T any](name string, nb int, bands [][]T, w, h int) error {
	if len(bands) != nb {
		return fmt.Errorf("raster: %s: %d band buffers for %d bands", name, len(bands), nb)
	}
	for b, s := range bands {
		if s != nil && len(s) < w*h {
			return fmt.Errorf("raster: %s: band %d buffer holds %d values, window needs %d", name, b, len(s), w*h)
		}
	}
	return nil
}

func parseNoData(s string) *float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		switch strings.ToLower(s) {
		case "nan", "-nan":
			v = math.NaN()
		case "inf", "+inf":
			v = math.Inf(1)
		case "-inf":
			v = math.Inf(-1)
		default:
			return nil
		}
	}
	return &v
}

func (in Info) clone() Info {
	out := in
	if in.NoData != nil {
		v := *in.NoData
		out.NoData = &v
	}
	out.ColorInterp = append([]string(nil), in.ColorInterp...)
	out.ExtraSamples = append([]int(nil), in.ExtraSamples...)
	out.ColorMap = append([]uint16(nil), in.ColorMap...)
	if in.TIFFMetadata != nil {
		out.TIFFMetadata = make(map[string]string, len(in.TIFFMetadata))
		for k, v := range in.TIFFMetadata {
			out.TIFFMetadata[k] = v
		}
	}
	if in.Geo != nil {
		g := *in.Geo
		g.PixelScale = append([]float64(nil), g.PixelScale...)
		g.Tiepoint = append([]float64(nil), g.Tiepoint...)
		g.Transformation = append([]float64(nil), g.Transformation...)
		g.GeoKeys = append([]uint16(nil), g.GeoKeys...)
		g.GeoDoubles = append([]float64(nil), g.GeoDoubles...)
		out.Geo = &g
	}
	return out
}
