package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aerofill/aerofill/raster/internal/lzw"
)

// Writer writes a raster window by window. Its methods are not safe for
// concurrent use.
type Writer interface {
	// WriteWindow stores the w×h window at (x0, y0): bands[b][y*w+x] is
	// band b at (x0+x, y0+y). Values are rounded to the nearest integer
	// (halves away from zero) and clamped to the sample type's range;
	// NaN becomes 0. Windows may come in any order; a tile is compressed
	// and written as soon as all its pixels have been written, after
	// which writing to it again is an error. Pixels never written hold
	// the nodata value, or 0.
	WriteWindow(x0, y0, w, h int, bands [][]float32) error

	// WriteWindowNative is WriteWindow for slices of the raster's own
	// sample type ([][]uint8 for Uint8, ...), stored unchanged.
	WriteWindowNative(x0, y0, w, h int, bands any) error

	// Close writes what remains and the directory, syncs the file and
	// renames it to the path given to Create. On error the output is
	// removed and the path is left as it was.
	Close() error

	// Abort discards the output. It may be called after Close, to no
	// effect.
	Abort() error
}

// WriteOptions tunes Create. The zero value writes a Deflate-compressed,
// tiled GeoTIFF.
type WriteOptions struct {
	// Format is "GTiff", "PNG" or "JPEG"; empty means from the path's
	// extension (.png, .jpg, .jpeg), else GTiff.
	Format string

	// Compression is "deflate" (the default), "lzw" or "none", in any
	// case. Level is the Deflate level, 1 to 9; 0 means 6, as GDAL.
	Compression string
	Level       int

	// Predictor is 0 or 1 for none, 2 for horizontal differencing (any
	// type), 3 for the floating-point predictor (Float32, Float64).
	Predictor int

	// TileWidth and TileHeight are the tile size, multiples of 16; 0
	// takes the Info's tile size if it has one, else 256.
	TileWidth, TileHeight int

	// Strips selects a stripped layout of RowsPerStrip rows a strip; 0
	// takes the Info's RowsPerStrip if it has one, else enough rows for
	// 64 KiB.
	Strips       bool
	RowsPerStrip int

	// BigTIFF forces the BigTIFF format; without it the writer switches
	// to BigTIFF by itself when the file would pass 4 GiB.
	BigTIFF bool

	// Workers is the number of goroutines compressing tiles; 0 means
	// GOMAXPROCS.
	Workers int

	// Quality is the JPEG quality, 1 to 100; 0 means 90.
	Quality int
}

// Create starts writing a raster at path. From info it uses Width, Height,
// Bands and Type; NoDataText (or NoData when the text is empty); Geo,
// GDALMetadata and TIFFMetadata, written as they are; Photometric,
// ExtraSamples, Alpha and ColorMap when they suit the bands, a suitable
// photometric interpretation otherwise (YCbCr is written as RGB); and
// TileWidth, TileHeight and RowsPerStrip as defaults for opt. Other fields
// are ignored: the output is always pixel-interleaved and little-endian.
//
// The output goes to a temporary file in path's directory until Close. A
// GeoTIFF writer holds in memory only the tiles (or strips) that are partly
// written and a few complete ones queued for compression: writing a scene
// in row order takes about one row of tiles. PNG and JPEG outputs are held
// in memory whole until Close.
func Create(path string, info Info, opt WriteOptions) (Writer, error) {
	format := opt.Format
	if format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".png":
			format = "PNG"
		case ".jpg", ".jpeg":
			format = "JPEG"
		default:
			format = "GTiff"
		}
	}
	if info.Width <= 0 || info.Height <= 0 || info.Width > math.MaxUint32 || info.Height > math.MaxUint32 ||
		info.Bands <= 0 || info.Bands > maxBands || info.Type.Size() == 0 {
		return nil, fmt.Errorf("raster: create %s: invalid raster %d×%d, %d bands of %v", path, info.Width, info.Height, info.Bands, info.Type)
	}
	switch strings.ToUpper(format) {
	case "GTIFF":
		return createTIFF(path, info, opt)
	case "PNG", "JPEG":
		return createImage(path, info, opt, strings.ToUpper(format))
	}
	return nil, fmt.Errorf("raster: create %s: unknown format %q", path, format)
}

// tiffWriter writes a GeoTIFF tile by tile through an assembler, with a
// pool of goroutines compressing complete tiles and appending them to the
// file.
type tiffWriter struct {
	path string
	f    *os.File // the temporary file
	info Info
	asm  *assembler
	tags []tiffTag // everything but the block offsets and counts

	compression, predictor, level int
	big                           bool

	jobs chan writeJob
	wg   sync.WaitGroup

	mu      sync.Mutex // guards the fields below
	err     error      // first error; the writer is dead after it
	pos     int64      // end of the file
	offsets []uint64
	counts  []uint64

	finished bool // Close or Abort has run
}

type writeJob struct {
	idx  int
	data []byte
}

// tiffTag is one IFD entry to write: typ is typeShort, typeLong,
// typeLong8 or typeRational (ints), typeDouble (reals) or typeASCII (text).
type tiffTag struct {
	tag   uint16
	typ   uint16
	ints  []uint64
	reals []float64
	text  string
}

// headerSpace is reserved at the start of the file for the header, which
// is written last, once it is known whether the file is a BigTIFF.
const headerSpace = 16

func createTIFF(path string, in Info, opt WriteOptions) (Writer, error) {
	w := &tiffWriter{path: path, info: in.clone(), big: opt.BigTIFF}
	fail := func(format string, args ...any) (Writer, error) {
		return nil, fmt.Errorf("raster: create %s: "+format, append([]any{path}, args...)...)
	}
	switch strings.ToLower(opt.Compression) {
	case "", "deflate", "zip":
		w.compression = CompressionDeflate
	case "lzw":
		w.compression = CompressionLZW
	case "none":
		w.compression = CompressionNone
	default:
		return fail("unknown compression %q", opt.Compression)
	}
	w.level = opt.Level
	if w.level == 0 {
		w.level = 6
	}
	if w.level < 1 || w.level > 9 {
		return fail("deflate level %d not in 1..9", opt.Level)
	}
	w.predictor = max(opt.Predictor, 1)
	switch {
	case w.predictor == 1:
	case w.compression == CompressionNone:
		return fail("predictor %d needs compression", w.predictor)
	case w.predictor == 2:
	case w.predictor == 3 && in.Type.IsFloat():
	default:
		return fail("predictor %d for %v samples", opt.Predictor, in.Type)
	}

	tiled := !opt.Strips
	var bw, bh int
	if tiled {
		bw, bh = opt.TileWidth, opt.TileHeight
		if bw == 0 && bh == 0 {
			bw, bh = in.TileWidth, in.TileHeight
		}
		if bw == 0 && bh == 0 {
			bw, bh = 256, 256
		}
		if bw <= 0 || bh <= 0 || bw%16 != 0 || bh%16 != 0 {
			return fail("tile size %d×%d is not a multiple of 16", bw, bh)
		}
	} else {
		bw, bh = in.Width, opt.RowsPerStrip
		if bh == 0 {
			bh = in.RowsPerStrip
		}
		if bh == 0 {
			bh = max(1, (64<<10)/(in.Width*in.Bands*in.Type.Size()))
		}
		if bh < 0 {
			return fail("%d rows per strip", bh)
		}
		bh = min(bh, in.Height)
	}
	l := newLayout(in.Width, in.Height, bw, bh, in.Bands, false, in.Type)
	if uint64(bw)*uint64(bh)*uint64(l.spp*l.bps) > maxTileBytes {
		return fail("blocks of %d×%d pixels are too large", bw, bh)
	}
	var fill float64
	if nd := parseNoData(in.NoDataText); nd != nil {
		fill = clampRound(*nd, in.Type)
	} else if in.NoDataText == "" && in.NoData != nil {
		fill = clampRound(*in.NoData, in.Type)
	}
	nblocks := l.across * l.down
	w.offsets = make([]uint64, nblocks)
	w.counts = make([]uint64, nblocks)
	w.tags = tiffTags(in, l, tiled, w.compression, w.predictor)

	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("raster: create %s: %w", path, err)
	}
	w.f = f
	w.pos = headerSpace
	if _, err := f.Write(make([]byte, headerSpace)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("raster: create %s: %w", path, err)
	}
	w.asm = newAssembler(l, path, tiled, fill, w.submit)

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w.jobs = make(chan writeJob, workers)
	for i := 0; i < workers; i++ {
		w.wg.Add(1)
		go w.compressLoop()
	}
	return w, nil
}

// tiffTags lists the IFD entries of the output, but for the block offsets
// and byte counts, which are known only at the end.
func tiffTags(in Info, l layout, tiled bool, compression, predictor int) []tiffTag {
	short := func(tag uint16, v ...uint64) tiffTag { return tiffTag{tag: tag, typ: typeShort, ints: v} }
	long := func(tag uint16, v uint64) tiffTag {
		if v <= math.MaxUint16 {
			return short(tag, v)
		}
		return tiffTag{tag: tag, typ: typeLong, ints: []uint64{v}}
	}
	rep := func(v uint64) []uint64 {
		s := make([]uint64, in.Bands)
		for i := range s {
			s[i] = v
		}
		return s
	}
	photometric, extra := outputPhotometric(in)
	format := uint64(1)
	switch in.Type {
	case Int8, Int16, Int32:
		format = 2
	case Float32, Float64:
		format = 3
	}
	tags := []tiffTag{
		long(tagImageWidth, uint64(in.Width)),
		long(tagImageLength, uint64(in.Height)),
		short(tagBitsPerSample, rep(uint64(8*in.Type.Size()))...),
		short(tagCompression, uint64(compression)),
		short(tagPhotometric, uint64(photometric)),
		short(tagSamplesPerPixel, uint64(in.Bands)),
		short(tagPlanarConfiguration, 1),
		short(tagSampleFormat, rep(format)...),
	}
	if tiled {
		tags = append(tags, long(tagTileWidth, uint64(l.bw)), long(tagTileLength, uint64(l.bh)))
	} else {
		tags = append(tags, long(tagRowsPerStrip, uint64(l.bh)))
	}
	if predictor != 1 {
		tags = append(tags, short(tagPredictor, uint64(predictor)))
	}
	if len(extra) > 0 {
		tags = append(tags, short(tagExtraSamples, extra...))
	}
	if photometric == PhotometricPalette {
		cm := make([]uint64, len(in.ColorMap))
		for i, v := range in.ColorMap {
			cm[i] = uint64(v)
		}
		tags = append(tags, short(tagColorMap, cm...))
	}
	if g := in.Geo; g != nil {
		if len(g.PixelScale) > 0 {
			tags = append(tags, tiffTag{tag: tagModelPixelScale, typ: typeDouble, reals: g.PixelScale})
		}
		if len(g.Tiepoint) > 0 {
			tags = append(tags, tiffTag{tag: tagModelTiepoint, typ: typeDouble, reals: g.Tiepoint})
		}
		if len(g.Transformation) > 0 {
			tags = append(tags, tiffTag{tag: tagModelTransformation, typ: typeDouble, reals: g.Transformation})
		}
		if len(g.GeoKeys) > 0 {
			keys := make([]uint64, len(g.GeoKeys))
			for i, k := range g.GeoKeys {
				keys[i] = uint64(k)
			}
			tags = append(tags, short(tagGeoKeyDirectory, keys...))
		}
		if len(g.GeoDoubles) > 0 {
			tags = append(tags, tiffTag{tag: tagGeoDoubleParams, typ: typeDouble, reals: g.GeoDoubles})
		}
		if g.GeoASCII != "" {
			tags = append(tags, tiffTag{tag: tagGeoASCIIParams, typ: typeASCII, text: g.GeoASCII})
		}
	}
	if in.GDALMetadata != "" {
		tags = append(tags, tiffTag{tag: tagGDALMetadata, typ: typeASCII, text: in.GDALMetadata})
	}
	for _, t := range tiffMetadataTags {
		v, ok := in.TIFFMetadata[t.name]
		if !ok {
			continue
		}
		switch t.tag {
		case 282, 283: // resolutions are RATIONAL
			if x, err := strconv.ParseFloat(v, 64); err == nil && x >= 0 && x < math.MaxUint32 {
				num, den := rational(x)
				tags = append(tags, tiffTag{tag: t.tag, typ: typeRational, ints: []uint64{num, den}})
			}
		case 296:
			if u, err := strconv.ParseUint(v, 10, 16); err == nil {
				tags = append(tags, short(t.tag, u))
			}
		default:
			tags = append(tags, tiffTag{tag: t.tag, typ: typeASCII, text: v})
		}
	}
	nodata := in.NoDataText
	if nodata == "" && in.NoData != nil {
		nodata = strconv.FormatFloat(*in.NoData, 'g', -1, 64)
		if math.IsNaN(*in.NoData) {
			nodata = "nan"
		}
	}
	if nodata != "" {
		tags = append(tags, tiffTag{tag: tagGDALNoData, typ: typeASCII, text: nodata})
	}
	return tags
}

// rational approximates x ≥ 0 by num/den with den a power of ten up to 10^6.
func rational(x float64) (num, den uint64) {
	den = 1
	for den < 1e6 && x*float64(den) != math.Trunc(x*float64(den)) && x*float64(den)*10 < math.MaxUint32 {
		den *= 10
	}
	return uint64(math.Round(x * float64(den))), den
}

// outputPhotometric picks the photometric interpretation and extra
// samples to write for in's bands.
func outputPhotometric(in Info) (int, []uint64) {
	p := -1
	switch in.Photometric {
	case PhotometricRGB, PhotometricYCbCr:
		if in.Bands >= 3 {
			p = PhotometricRGB
		}
	case PhotometricSeparated:
		if in.Bands >= 4 {
			p = PhotometricSeparated
		}
	case PhotometricPalette:
		if in.Bands == 1 && (in.Type == Uint8 || in.Type == Uint16) && len(in.ColorMap) == 3<<(8*in.Type.Size()) {
			p = PhotometricPalette
		}
	case PhotometricMinIsBlack:
		p = PhotometricMinIsBlack
	}
	if p < 0 {
		p = PhotometricMinIsBlack
		if in.Bands >= 3 && (in.Type == Uint8 || in.Type == Uint16) {
			p = PhotometricRGB
		}
	}
	colour := 1
	switch p {
	case PhotometricRGB:
		colour = 3
	case PhotometricSeparated:
		colour = 4
	}
	n := in.Bands - colour
	if n <= 0 {
		return p, nil
	}
	extra := make([]uint64, n)
	if len(in.ExtraSamples) == n {
		for i, e := range in.ExtraSamples {
			extra[i] = uint64(e)
		}
		return p, extra
	}
	for i := range extra {
		b := colour + i
		if b == in.Alpha || (b < len(in.ColorInterp) && in.ColorInterp[b] == "Alpha") {
			extra[i] = ExtraUnassAlpha
		}
	}
	return p, extra
}

func (w *tiffWriter) WriteWindow(x0, y0, width, height int, bands [][]float32) error {
	if err := w.check(x0, y0, width, height); err != nil {
		return err
	}
	if err := checkBands(w.path, w.info.Bands, bands, width, height); err != nil {
		return err
	}
	return w.fail(w.asm.write(x0, y0, width, height, f32Source{bands, w.info.Type}))
}

func (w *tiffWriter) WriteWindowNative(x0, y0, width, height int, bands any) error {
	if err := w.check(x0, y0, width, height); err != nil {
		return err
	}
	if _, err := newNativeSink(w.path, w.info.Bands, w.info.Type, bands, width, height); err != nil {
		return err
	}
	return w.fail(w.asm.write(x0, y0, width, height, nativeSource{bands}))
}

func (w *tiffWriter) check(x0, y0, width, height int) error {
	if w.finished {
		return fmt.Errorf("raster: %s: write after Close or Abort", w.path)
	}
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	return checkWindow(w.path, w.info.Width, w.info.Height, x0, y0, width, height)
}

// fail records err as the writer's first error and returns it.
func (w *tiffWriter) fail(err error) error {
	if err == nil {
		return nil
	}
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
	return err
}

// submit queues a complete block for compression; it blocks while the
// workers are all busy, which bounds the memory of queued blocks.
func (w *tiffWriter) submit(idx int, data []byte) error {
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	w.jobs <- writeJob{idx, data}
	return nil
}

func (w *tiffWriter) compressLoop() {
	defer w.wg.Done()
	var (
		enc  lzw.Encoder
		lzwb []byte
		buf  bytes.Buffer
		zw   *zlib.Writer
		tmp  []byte
		l    = w.asm.layout
		rowB = l.rowBytes()
	)
	for job := range w.jobs {
		data := job.data
		switch w.predictor {
		case 2:
			applyHorizontal(data, rowB, l.spp, l.bps)
		case 3:
			if len(tmp) < rowB {
				tmp = make([]byte, rowB)
			}
			applyFloatingPoint(data, rowB, l.spp, l.bps, tmp)
		}
		out := data
		switch w.compression {
		case CompressionDeflate:
			buf.Reset()
			if zw == nil {
				zw, _ = zlib.NewWriterLevel(&buf, w.level)
			} else {
				zw.Reset(&buf)
			}
			zw.Write(data)
			zw.Close()
			out = buf.Bytes()
		case CompressionLZW:
			lzwb = enc.Encode(lzwb[:0], data)
			out = lzwb
		}
		w.mu.Lock()
		if w.err == nil {
			pos := w.pos
			w.pos += int64(len(out)) + int64(len(out)&1) // keep blocks word-aligned
			w.mu.Unlock()
			_, err := w.f.WriteAt(out, pos)
			w.mu.Lock()
			if err != nil {
				if w.err == nil {
					w.err = fmt.Errorf("raster: write %s: %w", w.path, err)
				}
			} else {
				w.offsets[job.idx] = uint64(pos)
				w.counts[job.idx] = uint64(len(out))
			}
		}
		w.mu.Unlock()
	}
}

func (w *tiffWriter) Close() error {
	if w.finished {
		return fmt.Errorf("raster: %s: Close after Close or Abort", w.path)
	}
	err := w.asm.flush()
	close(w.jobs)
	w.wg.Wait()
	w.finished = true
	if err == nil {
		err = w.err
	}
	if err == nil {
		err = w.finish()
	}
	if err != nil {
		w.f.Close()
		os.Remove(w.f.Name())
		return err
	}
	return nil
}

// finish writes the directory and header, syncs, and renames the file.
func (w *tiffWriter) finish() error {
	tags := slices.Clone(w.tags)
	offTag, countTag := uint16(tagTileOffsets), uint16(tagTileByteCounts)
	if !w.asm.tiled {
		offTag, countTag = tagStripOffsets, tagStripByteCounts
	}
	ifdOff := uint64(w.pos + w.pos&1)
	// Classic TIFF unless asked otherwise or the file would need offsets
	// beyond 32 bits.
	big := w.big
	if !big {
		tags := append(tags, tiffTag{tag: offTag, typ: typeLong, ints: w.offsets}, tiffTag{tag: countTag, typ: typeLong, ints: w.counts})
		size := ifdOff + uint64(len(encodeIFD(tags, ifdOff, false)))
		big = size > math.MaxUint32
	}
	blockType := uint16(typeLong)
	if big {
		blockType = typeLong8
	}
	tags = append(tags, tiffTag{tag: offTag, typ: blockType, ints: w.offsets}, tiffTag{tag: countTag, typ: blockType, ints: w.counts})
	ifd := encodeIFD(tags, ifdOff, big)

	var header []byte
	if big {
		header = binary.LittleEndian.AppendUint64([]byte("II+\x00\x08\x00\x00\x00"), ifdOff)
	} else {
		header = binary.LittleEndian.AppendUint32([]byte("II*\x00"), uint32(ifdOff))
	}
	if _, err := w.f.WriteAt(ifd, int64(ifdOff)); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	if _, err := w.f.WriteAt(header, 0); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	if err := w.f.Chmod(0o644); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	if err := os.Rename(w.f.Name(), w.path); err != nil {
		return fmt.Errorf("raster: write %s: %w", w.path, err)
	}
	syncDir(filepath.Dir(w.path))
	return nil
}

// syncDir makes a rename durable; failure only weakens durability, so it
// is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func (w *tiffWriter) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.fail(fmt.Errorf("raster: %s: aborted", w.path))
	close(w.jobs)
	w.wg.Wait()
	w.f.Close()
	if err := os.Remove(w.f.Name()); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("raster: abort %s: %w", w.path, err)
	}
	return nil
}

// encodeIFD lays out one little-endian IFD at offset off: the entries sorted by tag,
// then the values too large for an entry, each word-aligned.
func encodeIFD(tags []tiffTag, off uint64, big bool) []byte {
	o := binary.LittleEndian
	slices.SortFunc(tags, func(a, b tiffTag) int { return int(a.tag) - int(b.tag) })
	countSize, entrySize, nextSize, inline := 2, 12, 4, 4
	if big {
		countSize, entrySize, nextSize, inline = 8, 20, 8, 8
	}
	head := countSize + len(tags)*entrySize + nextSize
	buf := make([]byte, head, head+1024)
	put16, put32, put64 := binary.LittleEndian.PutUint16, binary.LittleEndian.PutUint32, binary.LittleEndian.PutUint64
	if big {
		put64(buf, uint64(len(tags)))
	} else {
		put16(buf, uint16(len(tags)))
	}
	for i, t := range tags {
		var v []byte
		var count int
		switch t.typ {
		case typeShort:
			for _, x := range t.ints {
				v = o.AppendUint16(v, uint16(x))
			}
			count = len(t.ints)
		case typeLong:
			for _, x := range t.ints {
				v = o.AppendUint32(v, uint32(x))
			}
			count = len(t.ints)
		case typeRational: // ints holds numerator, denominator pairs
			for _, x := range t.ints {
				v = o.AppendUint32(v, uint32(x))
			}
			count = len(t.ints) / 2
		case typeLong8:
			for _, x := range t.ints {
				v = o.AppendUint64(v, x)
			}
			count = len(t.ints)
		case typeDouble:
			for _, x := range t.reals {
				v = o.AppendUint64(v, math.Float64bits(x))
			}
			count = len(t.reals)
		case typeASCII:
			v = append([]byte(t.text), 0)
			count = len(v)
		}
		e := buf[countSize+i*entrySize:]
		put16(e, t.tag)
		put16(e[2:], t.typ)
		valueField := e[8:12]
		if big {
			put64(e[4:], uint64(count))
			valueField = e[12:20]
		} else {
			put32(e[4:], uint32(count))
		}
		if len(v) <= inline {
			copy(valueField, v)
			continue
		}
		pad := len(buf) % 2
		at := off + uint64(len(buf)+pad)
		if big {
			put64(valueField, at)
		} else {
			put32(valueField, uint32(at))
		}
		buf = append(buf, make([]byte, pad)...)
		buf = append(buf, v...)
	}
	return buf
}
