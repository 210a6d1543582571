// Package tiff reads and writes the small subset of baseline TIFF that the
// aerofill server needs to accept aerial uploads and answer with a TIFF:
// classic (not Big) TIFF, strips or tiles, chunky samples of 8 or 16 bits,
// gray, RGB or palette, uncompressed, LZW, Deflate or PackBits, with or
// without the horizontal predictor.
//
// It is not a GeoTIFF library: it reports whether georeferencing tags are
// present (so the caller can pass the original bytes on) but neither parses
// nor writes them, and it decodes every image to 8-bit RGB. JPEG-in-TIFF,
// planar separate samples, float samples and BigTIFF are reported as
// UnsupportedError.
package tiff

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"io"
)

// A FormatError reports that the input is not a valid TIFF.
type FormatError string

func (e FormatError) Error() string { return "tiff: invalid format: " + string(e) }

// An UnsupportedError reports that the input is a valid TIFF that this
// package does not decode.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "tiff: unsupported feature: " + string(e) }

// Compression schemes (tag 259).
const (
	CompressionNone     = 1
	CompressionLZW      = 5
	CompressionJPEGOld  = 6
	CompressionJPEG     = 7
	CompressionDeflate  = 8
	CompressionPackBits = 32773
	CompressionDeflate2 = 32946 // Adobe's old code for Deflate
)

// Config is what the first image file directory (IFD) says about the image.
type Config struct {
	Width, Height   int
	SamplesPerPixel int
	BitsPerSample   int
	Photometric     int
	Compression     int
	Tiled           bool
	// Geo is true when the IFD carries any GeoTIFF tag (ModelPixelScale,
	// ModelTiepoint, ModelTransformation or GeoKeyDirectory).
	Geo bool
}

// Magic reports whether data starts like a classic or Big TIFF file.
func Magic(data []byte) bool {
	return len(data) >= 4 && (string(data[:4]) == "II*\x00" || string(data[:4]) == "MM\x00*" ||
		string(data[:4]) == "II+\x00" || string(data[:4]) == "MM\x00+")
}

// DecodeConfig reads the header and the first IFD. It reads only the tags, so
// it is cheap, and it does not check that the strips or tiles are present.
func DecodeConfig(data []byte) (Config, error) {
	d, err := parse(data)
	if err != nil {
		return Config{}, err
	}
	return d.cfg, nil
}

// Decode decodes the first image of data into an opaque *image.RGBA. It
// refuses images of more than maxPixels pixels before allocating them, so a
// header cannot make it allocate more than the caller allows.
func Decode(data []byte, maxPixels int) (*image.RGBA, error) {
	d, err := parse(data)
	if err != nil {
		return nil, err
	}
	if err := d.check(); err != nil {
		return nil, err
	}
	if int64(d.cfg.Width)*int64(d.cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("tiff: image is %d×%d, more than %d pixels", d.cfg.Width, d.cfg.Height, maxPixels)
	}
	return d.decode()
}

// Tags used by the reader.
const (
	tagImageWidth      = 256
	tagImageLength     = 257
	tagBitsPerSample   = 258
	tagCompression     = 259
	tagPhotometric     = 262
	tagStripOffsets    = 273
	tagSamplesPerPixel = 277
	tagRowsPerStrip    = 278
	tagStripByteCounts = 279
	tagPlanarConfig    = 284
	tagPredictor       = 317
	tagColorMap        = 320
	tagTileWidth       = 322
	tagTileLength      = 323
	tagTileOffsets     = 324
	tagTileByteCounts  = 325
	tagSampleFormat    = 339
	tagJPEGTables      = 347

	tagModelPixelScale     = 33550
	tagModelTiepoint       = 33922
	tagModelTransformation = 34264
	tagGeoKeyDirectory     = 34735
)

// Photometric interpretations.
const (
	pWhiteIsZero = 0
	pBlackIsZero = 1
	pRGB         = 2
	pPalette     = 3
	pYCbCr       = 6
)

// Field types and their sizes in bytes.
const (
	dtByte     = 1
	dtASCII    = 2
	dtShort    = 3
	dtLong     = 4
	dtRational = 5
	dtUndef    = 7
)

var typeSize = [...]int{0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4}

// maxIFDEntries bounds the directory size: real files have a few dozen.
const maxIFDEntries = 4096

type decoder struct {
	data []byte
	bo   binary.ByteOrder
	cfg  Config

	planar       int
	predictor    int
	sampleFormat int
	rowsPerStrip int
	tileW, tileH int
	offsets      []uint32 // strip or tile offsets
	counts       []uint32 // strip or tile byte counts
	colorMap     []uint16
	jpegTables   []byte // abbreviated JPEG stream with the shared tables
}

func parse(data []byte) (*decoder, error) {
	if len(data) < 8 {
		return nil, FormatError("short header")
	}
	d := &decoder{data: data, planar: 1, predictor: 1, sampleFormat: 1}
	switch string(data[:4]) {
	case "II*\x00":
		d.bo = binary.LittleEndian
	case "MM\x00*":
		d.bo = binary.BigEndian
	case "II+\x00", "MM\x00+":
		return nil, UnsupportedError("BigTIFF")
	default:
		return nil, FormatError("bad magic")
	}
	off := int64(d.bo.Uint32(data[4:8]))
	if off < 8 || off+2 > int64(len(data)) {
		return nil, FormatError("IFD offset out of range")
	}
	n := int(d.bo.Uint16(data[off:]))
	if n == 0 || n > maxIFDEntries {
		return nil, FormatError(fmt.Sprintf("IFD with %d entries", n))
	}
	if off+2+int64(n)*12 > int64(len(data)) {
		return nil, FormatError("IFD runs past end of file")
	}
	d.cfg.BitsPerSample = 1
	d.cfg.SamplesPerPixel = 1
	d.cfg.Compression = CompressionNone
	d.cfg.Photometric = -1
	seen := map[int]bool{}
	for i := 0; i < n; i++ {
		e := data[off+2+int64(i)*12:][:12]
		if err := d.field(e, seen); err != nil {
			return nil, err
		}
	}
	c := &d.cfg
	if !seen[tagImageWidth] || !seen[tagImageLength] {
		return nil, FormatError("missing image width or length")
	}
	if c.Width <= 0 || c.Height <= 0 || c.Width > 1<<24 || c.Height > 1<<24 {
		return nil, FormatError(fmt.Sprintf("bad dimensions %d×%d", c.Width, c.Height))
	}
	if c.Photometric < 0 {
		if c.SamplesPerPixel >= 3 {
			c.Photometric = pRGB
		} else {
			c.Photometric = pBlackIsZero
		}
	}
	return d, nil
}

// field decodes one 12-byte IFD entry.
func (d *decoder) field(e []byte, seen map[int]bool) error {
	tag := int(d.bo.Uint16(e[0:2]))
	typ := int(d.bo.Uint16(e[2:4]))
	count := int64(d.bo.Uint32(e[4:8]))
	seen[tag] = true
	switch tag {
	case tagModelPixelScale, tagModelTiepoint, tagModelTransformation, tagGeoKeyDirectory:
		d.cfg.Geo = true
		return nil
	case tagJPEGTables:
		off := int64(d.bo.Uint32(e[8:12]))
		if typ != dtUndef || count <= 4 || off+count > int64(len(d.data)) {
			return FormatError("bad JPEGTables")
		}
		d.jpegTables = d.data[off : off+count]
		return nil
	case tagImageWidth, tagImageLength, tagBitsPerSample, tagCompression, tagPhotometric,
		tagStripOffsets, tagSamplesPerPixel, tagRowsPerStrip, tagStripByteCounts, tagPlanarConfig,
		tagPredictor, tagColorMap, tagTileWidth, tagTileLength, tagTileOffsets, tagTileByteCounts,
		tagSampleFormat:
	default:
		return nil // not needed to decode pixels
	}
	if typ != dtByte && typ != dtShort && typ != dtLong {
		return FormatError(fmt.Sprintf("tag %d has type %d, want an integer type", tag, typ))
	}
	if count == 0 {
		return FormatError(fmt.Sprintf("tag %d has no values", tag))
	}
	size := int64(typeSize[typ])
	var raw []byte
	if count*size <= 4 {
		raw = e[8 : 8+count*size]
	} else {
		off := int64(d.bo.Uint32(e[8:12]))
		// The values must be in the file before any slice is made for them.
		if count > int64(len(d.data)) || off+count*size > int64(len(d.data)) {
			return FormatError(fmt.Sprintf("tag %d: %d values past end of file", tag, count))
		}
		raw = d.data[off : off+count*size]
	}
	vals := make([]uint32, count)
	for i := range vals {
		switch typ {
		case dtByte:
			vals[i] = uint32(raw[i])
		case dtShort:
			vals[i] = uint32(d.bo.Uint16(raw[2*i:]))
		case dtLong:
			vals[i] = d.bo.Uint32(raw[4*i:])
		}
	}
	first := int(vals[0])
	switch tag {
	case tagImageWidth:
		d.cfg.Width = first
	case tagImageLength:
		d.cfg.Height = first
	case tagBitsPerSample:
		for _, v := range vals[1:] {
			if v != vals[0] {
				return UnsupportedError(fmt.Sprintf("mixed bits per sample %v", vals))
			}
		}
		d.cfg.BitsPerSample = first
	case tagCompression:
		d.cfg.Compression = first
	case tagPhotometric:
		d.cfg.Photometric = first
	case tagSamplesPerPixel:
		d.cfg.SamplesPerPixel = first
	case tagRowsPerStrip:
		d.rowsPerStrip = first
	case tagStripOffsets, tagTileOffsets:
		d.offsets = vals
	case tagStripByteCounts, tagTileByteCounts:
		d.counts = vals
	case tagPlanarConfig:
		d.planar = first
	case tagPredictor:
		d.predictor = first
	case tagSampleFormat:
		d.sampleFormat = first
	case tagTileWidth:
		d.tileW = first
		d.cfg.Tiled = true
	case tagTileLength:
		d.tileH = first
		d.cfg.Tiled = true
	case tagColorMap:
		d.colorMap = make([]uint16, len(vals))
		for i, v := range vals {
			d.colorMap[i] = uint16(v)
		}
	}
	return nil
}

// check reports whether the image is one that decode handles.
func (d *decoder) check() error {
	c := &d.cfg
	switch c.Compression {
	case CompressionNone, CompressionLZW, CompressionDeflate, CompressionDeflate2, CompressionPackBits:
	case CompressionJPEG:
		if c.BitsPerSample != 8 {
			return UnsupportedError(fmt.Sprintf("JPEG with %d bits per sample", c.BitsPerSample))
		}
	case CompressionJPEGOld:
		return UnsupportedError("old-style JPEG compression")
	default:
		return UnsupportedError(fmt.Sprintf("compression %d", c.Compression))
	}
	if c.BitsPerSample != 8 && c.BitsPerSample != 16 {
		return UnsupportedError(fmt.Sprintf("%d bits per sample", c.BitsPerSample))
	}
	if d.sampleFormat != 1 {
		return UnsupportedError(fmt.Sprintf("sample format %d (only unsigned integers are decoded)", d.sampleFormat))
	}
	if c.SamplesPerPixel < 1 || c.SamplesPerPixel > 64 {
		return FormatError(fmt.Sprintf("%d samples per pixel", c.SamplesPerPixel))
	}
	if d.planar != 1 && c.SamplesPerPixel > 1 {
		return UnsupportedError("planar configuration separate")
	}
	if d.predictor != 1 && d.predictor != 2 {
		return UnsupportedError(fmt.Sprintf("predictor %d", d.predictor))
	}
	switch c.Photometric {
	case pYCbCr:
		if c.Compression != CompressionJPEG {
			return UnsupportedError("YCbCr without JPEG compression")
		}
	case pWhiteIsZero, pBlackIsZero:
	case pRGB:
		if c.SamplesPerPixel < 3 {
			return FormatError(fmt.Sprintf("RGB with %d samples per pixel", c.SamplesPerPixel))
		}
	case pPalette:
		if c.BitsPerSample != 8 {
			return UnsupportedError(fmt.Sprintf("palette with %d bits per sample", c.BitsPerSample))
		}
		if len(d.colorMap) != 3*256 {
			return FormatError(fmt.Sprintf("palette image with a color map of %d entries", len(d.colorMap)))
		}
	default:
		return UnsupportedError(fmt.Sprintf("photometric interpretation %d", c.Photometric))
	}
	if c.Tiled {
		if d.tileW <= 0 || d.tileH <= 0 || d.tileW%16 != 0 || d.tileH%16 != 0 || d.tileW > 1<<16 || d.tileH > 1<<16 {
			return FormatError(fmt.Sprintf("bad tile size %d×%d", d.tileW, d.tileH))
		}
		// A tile may overhang the image, but not by much: this bounds what
		// a tile (a JPEG one especially) can make the decoder allocate.
		if int64(d.tileW)*int64(d.tileH) > max(4*int64(c.Width)*int64(c.Height), 1<<16) {
			return FormatError(fmt.Sprintf("%d×%d tiles for a %d×%d image", d.tileW, d.tileH, c.Width, c.Height))
		}
	} else {
		if d.rowsPerStrip <= 0 || d.rowsPerStrip > c.Height {
			d.rowsPerStrip = c.Height
		}
	}
	want := d.blocksAcross() * d.blocksDown()
	if len(d.offsets) != want || len(d.counts) != want {
		return FormatError(fmt.Sprintf("%d offsets and %d byte counts for %d strips or tiles", len(d.offsets), len(d.counts), want))
	}
	for i := range d.offsets {
		if int64(d.offsets[i])+int64(d.counts[i]) > int64(len(d.data)) {
			return FormatError(fmt.Sprintf("strip or tile %d runs past end of file (truncated?)", i))
		}
	}
	return nil
}

func (d *decoder) blockSize() (w, h int) {
	if d.cfg.Tiled {
		return d.tileW, d.tileH
	}
	return d.cfg.Width, d.rowsPerStrip
}

func (d *decoder) blocksAcross() int {
	w, _ := d.blockSize()
	return (d.cfg.Width + w - 1) / w
}

func (d *decoder) blocksDown() int {
	_, h := d.blockSize()
	return (d.cfg.Height + h - 1) / h
}

func (d *decoder) decode() (*image.RGBA, error) {
	c := &d.cfg
	dst := image.NewRGBA(image.Rect(0, 0, c.Width, c.Height))
	bw, bh := d.blockSize()
	spp := c.SamplesPerPixel
	bps := c.BitsPerSample / 8
	rowBytes := bw * spp * bps
	// scratch grows with the data actually decompressed, never to what the
	// header claims a block holds: a few bytes of LZW or Deflate cannot make
	// the reader allocate a huge tile.
	var scratch []byte
	across := d.blocksAcross()
	for i := range d.offsets {
		x0 := (i % across) * bw
		y0 := (i / across) * bh
		rows := bh
		if !c.Tiled && y0+rows > c.Height {
			rows = c.Height - y0 // the last strip may be short
		}
		src := d.data[d.offsets[i] : d.offsets[i]+d.counts[i]]
		if c.Compression == CompressionJPEG {
			if err := d.decodeJPEG(dst, src, x0, y0, bw, rows); err != nil {
				return nil, fmt.Errorf("tiff: strip or tile %d: %w", i, err)
			}
			continue
		}
		want := rowBytes * rows
		block, err := d.decompress(scratch[:0], src, want)
		if err != nil {
			return nil, fmt.Errorf("tiff: strip or tile %d: %w", i, err)
		}
		if len(block) < want {
			return nil, fmt.Errorf("tiff: strip or tile %d: %w", i, FormatError(fmt.Sprintf("%d bytes of pixel data, want %d (truncated?)", len(block), want)))
		}
		if c.Compression != CompressionNone || d.predictor != 1 {
			scratch = block // not the caller's data: reuse it
		}
		if d.predictor == 2 {
			undoPredictor(block, rowBytes, spp, bps, d.bo)
		}
		d.store(dst, block, x0, y0, bw, rows)
	}
	return dst, nil
}

// decodeJPEG decodes one JPEG-compressed strip or tile (TIFF technical
// note 2: a JPEG stream, optionally abbreviated, sharing tables stored in
// the JPEGTables tag) and draws it at (x0, y0), clipped to the image. The
// JPEG decoder does its own YCbCr to RGB conversion.
func (d *decoder) decodeJPEG(dst *image.RGBA, src []byte, x0, y0, w, rows int) error {
	stream := src
	if len(d.jpegTables) > 4 && len(src) > 2 {
		// Tables without their EOI, then the strip without its SOI.
		stream = make([]byte, 0, len(d.jpegTables)+len(src))
		stream = append(stream, d.jpegTables[:len(d.jpegTables)-2]...)
		stream = append(stream, src[2:]...)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(stream))
	if err != nil {
		return FormatError("JPEG: " + err.Error())
	}
	if cfg.Width > w || cfg.Height > d.blockHeight() {
		return FormatError(fmt.Sprintf("JPEG block is %d×%d, want at most %d×%d", cfg.Width, cfg.Height, w, d.blockHeight()))
	}
	m, err := jpeg.Decode(bytes.NewReader(stream))
	if err != nil {
		return FormatError("JPEG: " + err.Error())
	}
	r := image.Rect(x0, y0, x0+cfg.Width, y0+min(rows, cfg.Height)).Intersect(dst.Rect)
	draw.Draw(dst, r, m, image.Point{}, draw.Src)
	return nil
}

func (d *decoder) blockHeight() int {
	_, h := d.blockSize()
	return h
}

// decompress appends the decompressed block src to dst, stopping at limit
// bytes, and returns the result. Uncompressed data is returned in place
// (copied only when the predictor will modify it).
func (d *decoder) decompress(dst, src []byte, limit int) ([]byte, error) {
	switch d.cfg.Compression {
	case CompressionNone:
		src = src[:min(len(src), limit)]
		if d.predictor == 1 {
			return src, nil
		}
		return append(dst, src...), nil
	case CompressionLZW:
		return lzwDecode(dst, src, limit)
	case CompressionPackBits:
		return packBitsDecode(dst, src, limit)
	case CompressionDeflate, CompressionDeflate2:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return dst, FormatError("deflate: " + err.Error())
		}
		buf := bytes.NewBuffer(dst)
		if _, err := buf.ReadFrom(io.LimitReader(zr, int64(limit))); err != nil {
			return dst, FormatError("deflate: " + err.Error())
		}
		return buf.Bytes(), nil
	}
	return dst, UnsupportedError(fmt.Sprintf("compression %d", d.cfg.Compression))
}

// undoPredictor reverses horizontal differencing (predictor 2) in place:
// each sample is stored as the difference from the same sample of the pixel
// to its left, in the sample's own width and byte order.
func undoPredictor(block []byte, rowBytes, spp, bps int, bo binary.ByteOrder) {
	for r := 0; r+rowBytes <= len(block); r += rowBytes {
		row := block[r : r+rowBytes]
		if bps == 1 {
			for i := spp; i < len(row); i++ {
				row[i] += row[i-spp]
			}
			continue
		}
		step := spp * 2
		for i := step; i+1 < len(row); i += 2 {
			v := bo.Uint16(row[i:]) + bo.Uint16(row[i-step:])
			bo.PutUint16(row[i:], v)
		}
	}
}

// store converts a decoded block of w×rows pixels at (x0, y0) into dst,
// clipping at the image edge (tiles may overhang it).
func (d *decoder) store(dst *image.RGBA, block []byte, x0, y0, w, rows int) {
	c := &d.cfg
	spp := c.SamplesPerPixel
	bps := c.BitsPerSample / 8
	sample := func(p []byte, i int) uint8 {
		if bps == 1 {
			return p[i]
		}
		return uint8(d.bo.Uint16(p[2*i:]) >> 8)
	}
	for y := 0; y < rows && y0+y < c.Height; y++ {
		row := block[y*w*spp*bps:]
		out := dst.Pix[(y0+y)*dst.Stride:]
		for x := 0; x < w && x0+x < c.Width; x++ {
			p := row[x*spp*bps:]
			o := out[4*(x0+x):]
			var r, g, b uint8
			switch c.Photometric {
			case pRGB:
				r, g, b = sample(p, 0), sample(p, 1), sample(p, 2)
			case pBlackIsZero:
				r = sample(p, 0)
				g, b = r, r
				if spp >= 3 {
					// Multiband imagery (e.g. NAIP's R,G,B,NIR) is often
					// tagged gray: show its first three bands as RGB.
					g, b = sample(p, 1), sample(p, 2)
				}
			case pWhiteIsZero:
				r = 255 - sample(p, 0)
				g, b = r, r
			case pPalette:
				i := int(p[0])
				r = uint8(d.colorMap[i] >> 8)
				g = uint8(d.colorMap[256+i] >> 8)
				b = uint8(d.colorMap[512+i] >> 8)
			}
			o[0], o[1], o[2], o[3] = r, g, b, 255
		}
	}
}
