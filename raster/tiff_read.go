package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/aerofill/aerofill/raster/internal/lzw"
	"github.com/aerofill/aerofill/raster/internal/packbits"
)

// Limits against headers that claim more than a file can hold. Blocks are
// decoded whole, so a single tile may not exceed maxTileBytes; a strip
// larger than bigBlockBytes is decoded only as far as a read needs and is
// not cached.
const (
	maxTileBytes  = 1 << 30
	maxRowBytes   = 1 << 31
	bigBlockBytes = 32 << 20
	maxBands      = 1 << 16
	maxDimension  = 1<<31 - 1
)

// maxRatio bounds how many bytes one compressed byte can become: 1032 for
// Deflate, about 1400 for 12-bit LZW (a table of 3,837 strings of growing
// length per 5.4 KB of codes), 64 for PackBits (2 bytes become 128), about
// 1024 for JPEG (each 8×8 block of each component costs at least a bit). A
// block claiming more is a lie, caught before its buffer is allocated.
func maxRatio(compression int) uint64 {
	switch compression {
	case CompressionDeflate, CompressionAdobeDeflate:
		return 1040
	case CompressionLZW:
		return 1500
	case CompressionPackBits:
		return 64
	case CompressionJPEG:
		return 2048
	}
	return 1
}

// tiffReader reads one image (IFD) of a TIFF file.
type tiffReader struct {
	f      *tiffFile
	closer io.Closer
	info   Info
	layout
	tiled       bool
	offsets     []uint64
	counts      []uint64
	compression int
	predictor   int
	photometric int // as stored: 6 means JPEG-coded YCbCr
	jpegTables  []byte
	fill        float64 // value of blocks absent from the file
	bigBlock    int     // strips above this size are read partially
	cache       *blockCache
	curMu       sync.Mutex
	cursors     []*stripCursor // streams of big strips, least recent first
	closed      closedFlag
}

func openTIFF(ra io.ReaderAt, size int64, name string, opt OpenOptions, c io.Closer) (Reader, error) {
	f, off, err := readTIFFHeader(ra, size, name)
	if err != nil {
		return nil, err
	}
	// The first IFD is the full-resolution image; reduced-resolution
	// images (NewSubfileType bit 0) that are not masks (bit 2) follow.
	var images []*ifd
	seen := map[uint64]bool{}
	for off != 0 && len(seen) < maxIFDs && !seen[off] {
		seen[off] = true
		d, err := f.readIFD(off)
		if err != nil {
			if len(images) == 0 {
				return nil, err
			}
			break // a broken overview does not spoil the image
		}
		if len(images) == 0 {
			images = append(images, d)
		} else if st, err := d.uint1(tagNewSubfileType, 0); err == nil && st&1 != 0 && st&4 == 0 {
			images = append(images, d)
		}
		off = d.next
	}
	if len(images) == 0 {
		return nil, f.formatErr("no image directory")
	}
	if opt.Overview < 0 || opt.Overview >= len(images) {
		return nil, fmt.Errorf("raster: %s: overview %d requested, file has %d", name, opt.Overview, len(images)-1)
	}
	r, err := newTIFFReader(f, images[opt.Overview], opt)
	if err != nil {
		return nil, err
	}
	r.closer = c
	r.info.Overviews = len(images) - 1
	return r, nil
}

func newTIFFReader(f *tiffFile, d *ifd, opt OpenOptions) (*tiffReader, error) {
	r := &tiffReader{f: f, bigBlock: bigBlockBytes}
	budget := opt.CacheBytes
	if budget == 0 {
		budget = defaultCacheBytes
	}
	r.cache = newBlockCache(budget)
	in := &r.info
	in.Format = "GTiff"
	in.BigTIFF = f.big
	in.BigEndian = f.order != le
	in.Alpha = -1

	var err error
	get := func(tag uint16, def uint64) int {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = d.uint1(tag, def)
		if v > math.MaxInt32 {
			err = f.formatErr("tag %d value %d out of range", tag, v)
		}
		return int(v)
	}
	width := get(tagImageWidth, 0)
	height := get(tagImageLength, 0)
	spp := get(tagSamplesPerPixel, 1)
	compression := get(tagCompression, CompressionNone)
	planar := get(tagPlanarConfiguration, 1)
	predictor := get(tagPredictor, 1)
	fillOrder := get(tagFillOrder, 1)
	defPhotometric := uint64(PhotometricMinIsBlack)
	if spp >= 3 {
		defPhotometric = PhotometricRGB
	}
	photometric := get(tagPhotometric, defPhotometric)
	if err != nil {
		return nil, err
	}
	switch {
	case width <= 0 || height <= 0:
		return nil, f.formatErr("image size %d×%d", width, height)
	case spp <= 0 || spp > maxBands:
		return nil, f.formatErr("%d samples per pixel", spp)
	}
	in.Width, in.Height, in.Bands = width, height, spp

	// One bit depth and sample format for all bands.
	bits, err := d.uints(tagBitsPerSample)
	if err != nil {
		return nil, err
	}
	formats, err := d.uints(tagSampleFormat)
	if err != nil {
		return nil, err
	}
	bitDepth, format, err := uniform(f, bits, formats)
	if err != nil {
		return nil, err
	}
	in.Type, err = sampleType(f, bitDepth, format)
	if err != nil {
		return nil, err
	}

	switch compression {
	case CompressionNone, CompressionLZW, CompressionDeflate, CompressionAdobeDeflate, CompressionPackBits:
	case CompressionJPEG:
		if in.Type != Uint8 {
			return nil, &UnsupportedError{f.name, fmt.Sprintf("JPEG compression with %v samples", in.Type)}
		}
		if r.jpegTables, err = d.bytes(tagJPEGTables); err != nil {
			return nil, err
		}
	case CompressionOldJPEG:
		return nil, &UnsupportedError{f.name, "old-style JPEG compression (6)"}
	default:
		return nil, &UnsupportedError{f.name, fmt.Sprintf("compression %d", compression)}
	}
	switch {
	case predictor == 1:
	case predictor == 2 && compression != CompressionJPEG:
	case predictor == 3 && in.Type.IsFloat() && compression != CompressionJPEG:
	default:
		return nil, &UnsupportedError{f.name, fmt.Sprintf("predictor %d with %v samples", predictor, in.Type)}
	}
	if fillOrder != 1 {
		return nil, &UnsupportedError{f.name, "fill order 2 (reversed bits)"}
	}
	if photometric == PhotometricYCbCr && compression != CompressionJPEG {
		return nil, &UnsupportedError{f.name, "YCbCr samples without JPEG compression"}
	}
	if photometric == PhotometricYCbCr && (spp != 3 || planar == 2) {
		return nil, &UnsupportedError{f.name, fmt.Sprintf("YCbCr with %d samples, planar configuration %d", spp, planar)}
	}
	r.compression, r.predictor, r.photometric = compression, predictor, photometric
	in.Compression, in.Predictor = compression, predictor
	in.Photometric = photometric
	if photometric == PhotometricYCbCr {
		in.Photometric = PhotometricRGB // delivered as RGB
	}
	in.Planar = planar == 2 && spp > 1

	// Block layout.
	var offTag, countTag uint16
	var bw, bh int
	if d.has(tagTileWidth) || d.has(tagTileOffsets) {
		r.tiled = true
		bw, bh = get(tagTileWidth, 0), get(tagTileLength, 0)
		if err != nil {
			return nil, err
		}
		if bw <= 0 || bh <= 0 {
			return nil, f.formatErr("tile size %d×%d", bw, bh)
		}
		in.TileWidth, in.TileHeight = bw, bh
		offTag, countTag = tagTileOffsets, tagTileByteCounts
	} else {
		rps, err := d.uint1(tagRowsPerStrip, math.MaxUint32)
		if err != nil {
			return nil, err
		}
		if rps == 0 {
			rps = math.MaxUint32 // as libtiff reads it
		}
		bw, bh = width, int(min(rps, uint64(height)))
		in.RowsPerStrip = bh
		offTag, countTag = tagStripOffsets, tagStripByteCounts
	}
	r.layout = newLayout(width, height, bw, bh, spp, in.Planar, in.Type)
	// Sizes are checked before they are multiplied out, so that no
	// product below overflows: a row is at most 2 GiB, a tile at most
	// maxTileBytes.
	if uint64(bw)*uint64(r.spp*r.bps) > maxRowBytes {
		return nil, &UnsupportedError{f.name, fmt.Sprintf("rows of %d×%d bytes", bw, r.spp*r.bps)}
	}
	if r.tiled && (uint64(bw)*uint64(bh) > maxTileBytes || uint64(r.rowBytes())*uint64(bh) > maxTileBytes) {
		return nil, &UnsupportedError{f.name, fmt.Sprintf("%d×%d tiles of %d bytes per pixel", bw, bh, r.spp*r.bps)}
	}
	nblocks := uint64(r.across) * uint64(r.down) * uint64(r.planes)
	if r.offsets, err = d.uints(offTag); err != nil {
		return nil, err
	}
	if uint64(len(r.offsets)) < nblocks {
		return nil, f.formatErr("%d block offsets for %d blocks (%d×%d image, %d×%d blocks)", len(r.offsets), nblocks, width, height, bw, bh)
	}
	r.offsets = r.offsets[:nblocks]
	if r.counts, err = d.uints(countTag); err != nil {
		return nil, err
	}
	if r.counts == nil && compression == CompressionNone {
		// Missing byte counts are implied for uncompressed data.
		r.counts = make([]uint64, nblocks)
		for i := range r.counts {
			r.counts[i] = uint64(r.rowBytes()) * uint64(r.blockRows(i%(r.across*r.down)/r.across, r.tiled))
		}
	}
	if uint64(len(r.counts)) < nblocks {
		return nil, f.formatErr("%d block byte counts for %d blocks", len(r.counts), nblocks)
	}
	r.counts = r.counts[:nblocks]

	// Extra samples, palette, georeferencing and GDAL's tags.
	extra, err := d.uints(tagExtraSamples)
	if err != nil {
		return nil, err
	}
	for _, e := range extra {
		in.ExtraSamples = append(in.ExtraSamples, int(min(e, math.MaxInt32)))
	}
	if photometric == PhotometricPalette {
		cm, err := d.uints(tagColorMap)
		if err != nil {
			return nil, err
		}
		for _, v := range cm {
			in.ColorMap = append(in.ColorMap, uint16(v))
		}
	}
	if in.Geo, err = readGeo(d); err != nil {
		return nil, err
	}
	if in.NoDataText, err = d.ascii(tagGDALNoData); err != nil {
		return nil, err
	}
	in.NoData = parseNoData(in.NoDataText)
	if in.NoData != nil {
		r.fill = clampRound(*in.NoData, in.Type) // NaN stays NaN for floats
	}
	if in.GDALMetadata, err = d.ascii(tagGDALMetadata); err != nil {
		return nil, err
	}
	if in.TIFFMetadata, err = readTIFFMetadata(d); err != nil {
		return nil, err
	}
	in.ColorInterp = colorInterp(in.Photometric, spp, in.ExtraSamples, in.GDALMetadata)
	for b, ci := range in.ColorInterp {
		if ci == "Alpha" {
			in.Alpha = b
			break
		}
	}
	return r, nil
}

// uniform checks that all samples share one bit depth and format.
func uniform(f *tiffFile, bits, formats []uint64) (bitDepth, format uint64, err error) {
	bitDepth, format = 1, 1
	for i, b := range bits {
		if i == 0 {
			bitDepth = b
		} else if b != bitDepth {
			return 0, 0, &UnsupportedError{f.name, fmt.Sprintf("bands of different bit depths %v", bits)}
		}
	}
	for i, s := range formats {
		if i == 0 {
			format = s
		} else if s != format {
			return 0, 0, &UnsupportedError{f.name, fmt.Sprintf("bands of different sample formats %v", formats)}
		}
	}
	return bitDepth, format, nil
}

func sampleType(f *tiffFile, bits, format uint64) (SampleType, error) {
	if format == 4 { // "undefined": read as unsigned, as libtiff does
		format = 1
	}
	switch [2]uint64{format, bits} {
	case [2]uint64{1, 8}:
		return Uint8, nil
	case [2]uint64{2, 8}:
		return Int8, nil
	case [2]uint64{1, 16}:
		return Uint16, nil
	case [2]uint64{2, 16}:
		return Int16, nil
	case [2]uint64{1, 32}:
		return Uint32, nil
	case [2]uint64{2, 32}:
		return Int32, nil
	case [2]uint64{3, 32}:
		return Float32, nil
	case [2]uint64{3, 64}:
		return Float64, nil
	}
	return 0, &UnsupportedError{f.name, fmt.Sprintf("%d-bit samples of format %d", bits, format)}
}

func readGeo(d *ifd) (*Geo, error) {
	if !d.has(tagModelPixelScale) && !d.has(tagModelTiepoint) && !d.has(tagModelTransformation) && !d.has(tagGeoKeyDirectory) {
		return nil, nil
	}
	g := &Geo{}
	var err error
	if g.PixelScale, err = d.floats(tagModelPixelScale); err != nil {
		return nil, err
	}
	if g.Tiepoint, err = d.floats(tagModelTiepoint); err != nil {
		return nil, err
	}
	if g.Transformation, err = d.floats(tagModelTransformation); err != nil {
		return nil, err
	}
	keys, err := d.uints(tagGeoKeyDirectory)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		g.GeoKeys = append(g.GeoKeys, uint16(k))
	}
	if g.GeoDoubles, err = d.floats(tagGeoDoubleParams); err != nil {
		return nil, err
	}
	if g.GeoASCII, err = d.ascii(tagGeoASCIIParams); err != nil {
		return nil, err
	}
	return g, nil
}

// readTIFFMetadata collects the tags of tiffMetadataTags as text.
func readTIFFMetadata(d *ifd) (map[string]string, error) {
	var md map[string]string
	for _, t := range tiffMetadataTags {
		fl, ok := d.fields[t.tag]
		if !ok {
			continue
		}
		var v string
		switch fl.typ {
		case typeASCII:
			s, err := d.ascii(t.tag)
			if err != nil {
				return nil, err
			}
			v = s
		default:
			f, err := d.floats(t.tag)
			if err != nil {
				return nil, err
			}
			if len(f) == 0 {
				continue
			}
			v = strconv.FormatFloat(f[0], 'g', -1, 64)
		}
		if md == nil {
			md = map[string]string{}
		}
		md[t.name] = v
	}
	return md, nil
}

// colorInterp names each band's role as GDAL 3.6 does for a GeoTIFF: from
// the photometric interpretation and extra samples, then overridden by any
// COLORINTERP items in the GDAL metadata.
func colorInterp(photometric, bands int, extra []int, gdalMetadata string) []string {
	ci := make([]string, bands)
	var base []string
	switch photometric {
	case PhotometricMinIsBlack, PhotometricMinIsWhite:
		base = []string{"Gray"}
	case PhotometricPalette:
		base = []string{"Palette"}
	case PhotometricRGB:
		if bands >= 3 {
			base = []string{"Red", "Green", "Blue"}
		}
	case PhotometricSeparated:
		if bands >= 4 {
			base = []string{"Cyan", "Magenta", "Yellow", "Black"}
		}
	}
	for b := range ci {
		switch {
		case b < len(base):
			ci[b] = base[b]
		case b-(bands-len(extra)) >= 0 && (extra[b-(bands-len(extra))] == ExtraAssocAlpha || extra[b-(bands-len(extra))] == ExtraUnassAlpha):
			ci[b] = "Alpha"
		default:
			ci[b] = "Undefined"
		}
	}
	for _, it := range gdalItems(gdalMetadata) {
		if it.Role == "colorinterp" && it.Sample >= 0 && it.Sample < bands {
			ci[it.Sample] = it.Value
		}
	}
	return ci
}

// gdalItem is one <Item> of a GDAL_METADATA tag.
type gdalItem struct {
	Name   string `xml:"name,attr"`
	Domain string `xml:"domain,attr"`
	Role   string `xml:"role,attr"`
	Sample int    `xml:"-"`
	Value  string `xml:",chardata"`
	RawSam string `xml:"sample,attr"`
}

// gdalItems parses GDAL_METADATA leniently: malformed XML gives no items.
func gdalItems(s string) []gdalItem {
	if s == "" {
		return nil
	}
	var doc struct {
		Items []gdalItem `xml:"Item"`
	}
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		return nil
	}
	for i := range doc.Items {
		it := &doc.Items[i]
		it.Sample = -1
		if it.RawSam != "" {
			if n, err := strconv.Atoi(it.RawSam); err == nil {
				it.Sample = n
			}
		}
		it.Value = strings.TrimSpace(it.Value)
	}
	return doc.Items
}

func (r *tiffReader) Info() Info { return r.info.clone() }

func (r *tiffReader) ReadWindow(x0, y0, w, h int, bands [][]float32) error {
	if err := r.closed.check(r.f.name); err != nil {
		return err
	}
	if err := checkWindow(r.f.name, r.width, r.height, x0, y0, w, h); err != nil {
		return err
	}
	if err := checkBands(r.f.name, r.info.Bands, bands, w, h); err != nil {
		return err
	}
	return readWindow(&r.layout, r, r.fill, x0, y0, w, h, f32Sink{bands, r.typ})
}

func (r *tiffReader) ReadWindowNative(x0, y0, w, h int, bands any) error {
	if err := r.closed.check(r.f.name); err != nil {
		return err
	}
	if err := checkWindow(r.f.name, r.width, r.height, x0, y0, w, h); err != nil {
		return err
	}
	s, err := newNativeSink(r.f.name, r.info.Bands, r.typ, bands, w, h)
	if err != nil {
		return err
	}
	return readWindow(&r.layout, r, r.fill, x0, y0, w, h, s)
}

func (r *tiffReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	r.cache.reset()
	r.curMu.Lock()
	r.cursors = nil
	r.curMu.Unlock()
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// block returns block (bx, by) of plane p, decoded. Rows [ya, yb) are the
// ones the caller needs: a strip too large to cache is decoded only that
// far.
func (r *tiffReader) block(p, bx, by, ya, yb int) (*block, error) {
	idx := (p*r.down+by)*r.across + bx
	if r.counts[idx] == 0 || r.offsets[idx] == 0 {
		return &block{sparse: true}, nil
	}
	rows := r.blockRows(by, r.tiled)
	if !r.tiled && rows*r.rowBytes() > r.bigBlock {
		return r.partialStrip(idx, rows, ya, yb)
	}
	return r.cache.get(idx, func() (*block, error) {
		data, err := r.decode(idx, rows)
		if err != nil {
			return nil, err
		}
		return &block{data: data, rows: rows, stride: r.rowBytes()}, nil
	})
}

// blockName names block idx in messages: "tile 12" or "strip 3".
func (r *tiffReader) blockName(idx int) string {
	if r.tiled {
		return "tile " + strconv.Itoa(idx)
	}
	return "strip " + strconv.Itoa(idx)
}

// blockErr wraps an error from decoding block idx with the file name.
func (r *tiffReader) blockErr(idx int, err error) error {
	var fe *FormatError
	var ue *UnsupportedError
	if errors.As(err, &fe) || errors.As(err, &ue) {
		return err
	}
	return &FormatError{Name: r.f.name, Msg: r.blockName(idx), Err: err}
}

// compressed returns the stored bytes of block idx.
func (r *tiffReader) compressed(idx int) ([]byte, error) {
	off, n := r.offsets[idx], r.counts[idx]
	if !r.f.fits(off, n) {
		return nil, r.f.formatErr("%s: %d bytes at offset %d pass the end of the %d-byte file", r.blockName(idx), n, off, r.f.size)
	}
	buf := make([]byte, n)
	if err := r.f.readAt(buf, off); err != nil {
		return nil, err
	}
	return buf, nil
}

// decode decodes the whole of block idx, which has rows rows.
func (r *tiffReader) decode(idx, rows int) ([]byte, error) {
	want := rows * r.rowBytes()
	n := r.counts[idx]
	if r.compression == CompressionNone && n < uint64(want) {
		return nil, r.f.formatErr("%s holds %d bytes, %d×%d pixels need %d", r.blockName(idx), n, r.bw, rows, want)
	}
	if want > 1<<20 && uint64(want)/maxRatio(r.compression) > n {
		return nil, r.f.formatErr("%s: %d bytes cannot decode to the %d its size needs", r.blockName(idx), n, want)
	}
	if r.compression == CompressionNone {
		n = uint64(want)
	}
	if !r.f.fits(r.offsets[idx], n) {
		return nil, r.f.formatErr("%s: %d bytes at offset %d pass the end of the %d-byte file", r.blockName(idx), n, r.offsets[idx], r.f.size)
	}
	src := make([]byte, n)
	if err := r.f.readAt(src, r.offsets[idx]); err != nil {
		return nil, err
	}
	var data []byte
	var err error
	switch r.compression {
	case CompressionNone:
		data = src
	case CompressionDeflate, CompressionAdobeDeflate:
		data, err = inflate(src, want)
	case CompressionLZW:
		data, err = lzw.Decode(nil, src, want)
	case CompressionPackBits:
		data, err = packbits.Decode(nil, src, want)
	case CompressionJPEG:
		data, err = r.decodeJPEG(src, rows)
	}
	if err != nil {
		return nil, r.blockErr(idx, err)
	}
	r.postprocess(data)
	return data, nil
}

// postprocess undoes the predictor and puts samples in little-endian
// order, in place, over whole rows.
func (r *tiffReader) postprocess(data []byte) {
	rb := r.rowBytes()
	switch r.predictor {
	case 2:
		if r.info.BigEndian {
			swapToLittle(data, r.bps)
		}
		undoHorizontal(data, rb, r.spp, r.bps)
	case 3:
		undoFloatingPoint(data, rb, r.spp, r.bps, make([]byte, rb))
	default:
		if r.info.BigEndian {
			swapToLittle(data, r.bps)
		}
	}
}

func inflate(src []byte, n int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(src))
	if err != nil {
		return nil, err
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	return out, nil
}

// partialStrip decodes rows [ya, yb) of a strip too large to decode whole,
// streaming past the rows before them. A stream left where a read stopped
// is kept (a few, least recently used out), so that reading such a strip
// from top to bottom decodes it once, not once per read.
func (r *tiffReader) partialStrip(idx, rows, ya, yb int) (*block, error) {
	rb := r.rowBytes()
	off, n := r.offsets[idx], r.counts[idx]
	switch r.compression {
	case CompressionNone:
		if n < uint64(rows*rb) {
			return nil, r.f.formatErr("%s holds %d bytes, %d rows need %d", r.blockName(idx), n, rows, rows*rb)
		}
		start, size := off+uint64(ya*rb), uint64((yb-ya)*rb)
		if !r.f.fits(start, size) {
			return nil, r.f.formatErr("%s passes the end of the %d-byte file", r.blockName(idx), r.f.size)
		}
		data := make([]byte, size)
		if err := r.f.readAt(data, start); err != nil {
			return nil, err
		}
		r.postprocess(data)
		return &block{data: data, row0: ya, rows: yb - ya, stride: rb}, nil
	case CompressionJPEG: // image/jpeg decodes whole frames only
		data, err := r.decode(idx, rows)
		if err != nil {
			return nil, err
		}
		return &block{data: data, rows: rows, stride: rb}, nil
	}
	// The stream must produce yb rows; a header claiming more than the
	// compressed bytes can hold is caught before anything is allocated.
	if need := uint64(yb) * uint64(rb); need > 1<<20 && need/maxRatio(r.compression) > n {
		return nil, r.f.formatErr("%s: %d bytes cannot decode to the %d its rows need", r.blockName(idx), n, need)
	}
	cur, err := r.takeCursor(idx, ya)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, cur.src, int64((ya-cur.row)*rb)); err != nil {
		return nil, r.blockErr(idx, err)
	}
	data := make([]byte, (yb-ya)*rb)
	if _, err := io.ReadFull(cur.src, data); err != nil {
		return nil, r.blockErr(idx, err)
	}
	cur.row = yb
	r.putCursor(cur)
	r.postprocess(data)
	return &block{data: data, row0: ya, rows: yb - ya, stride: rb}, nil
}

// stripCursor is a decompressing stream positioned at row row of strip idx.
type stripCursor struct {
	idx, row int
	src      io.Reader
}

const maxCursors = 4

// takeCursor returns a stream of strip idx at or before row ya, taking it
// from the kept ones or starting one at the top of the strip.
func (r *tiffReader) takeCursor(idx, ya int) (*stripCursor, error) {
	r.curMu.Lock()
	for i, c := range r.cursors {
		if c.idx == idx && c.row <= ya {
			r.cursors = append(r.cursors[:i], r.cursors[i+1:]...)
			r.curMu.Unlock()
			return c, nil
		}
	}
	r.curMu.Unlock()

	off, n := r.offsets[idx], r.counts[idx]
	if !r.f.fits(off, n) {
		return nil, r.f.formatErr("%s: %d bytes at offset %d pass the end of the %d-byte file", r.blockName(idx), n, off, r.f.size)
	}
	c := &stripCursor{idx: idx}
	switch r.compression {
	case CompressionDeflate, CompressionAdobeDeflate:
		zr, err := zlib.NewReader(io.NewSectionReader(r.f.ra, int64(off), int64(n)))
		if err != nil {
			return nil, r.blockErr(idx, err)
		}
		c.src = zr
	case CompressionLZW, CompressionPackBits:
		// These decoders work from memory: the compressed strip is read
		// whole (it is in the file, so its size is real).
		buf, err := r.compressed(idx)
		if err != nil {
			return nil, err
		}
		if r.compression == CompressionLZW {
			c.src = lzw.NewReader(buf)
		} else {
			c.src = packbits.NewReader(buf)
		}
	}
	return c, nil
}

// putCursor keeps c for a later read, dropping the oldest beyond
// maxCursors.
func (r *tiffReader) putCursor(c *stripCursor) {
	r.curMu.Lock()
	defer r.curMu.Unlock()
	r.cursors = append(r.cursors, c)
	if len(r.cursors) > maxCursors {
		r.cursors = r.cursors[1:]
	}
}
