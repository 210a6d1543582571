package serve

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aerofill/aerofill/raster"
)

// Image formats the server accepts, by their magic bytes.
const (
	formatPNG  = "png"
	formatJPEG = "jpeg"
	formatTIFF = "tiff"
)

// sniff names the format of data from its first bytes, or returns "".
func sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return formatJPEG
	case isTIFF(data):
		return formatTIFF
	}
	return ""
}

// isTIFF reports whether data starts like a classic TIFF or a BigTIFF, in
// either byte order.
func isTIFF(data []byte) bool {
	if len(data) < 4 {
		return false
	}
	switch string(data[:4]) {
	case "II*\x00", "MM\x00*", "II+\x00", "MM\x00+":
		return true
	}
	return false
}

// uploadName names an upload in the raster package's errors.
const uploadName = "upload"

// header is what an image's header says, read without decoding pixels.
type header struct {
	format        string
	width, height int
	geo           bool // a TIFF with GeoTIFF tags

	// tiff is the reader of a TIFF upload, opened on its header and image
	// directory only: its pixels are decoded by decodeRGB, which closes
	// it. It reads from the upload bytes, so one never closed holds no
	// file, only memory.
	tiff raster.Reader
}

// readHeader sniffs data and reads its dimensions. The errors are
// *apiError values with the status to send.
func readHeader(what string, data []byte) (header, error) {
	if len(data) == 0 {
		return header{}, errorf(http.StatusBadRequest, "%s is empty", what)
	}
	h := header{format: sniff(data)}
	switch h.format {
	case formatPNG, formatJPEG:
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return h, decodeError(what, err)
		}
		h.width, h.height = cfg.Width, cfg.Height
	case formatTIFF:
		// A TIFF reader parses the header and the image directory here;
		// strips and tiles are read only by ReadWindow.
		r, err := raster.NewReader(bytes.NewReader(data), int64(len(data)), raster.OpenOptions{Name: uploadName})
		if err != nil {
			return h, decodeError(what, err)
		}
		info := r.Info()
		h.width, h.height, h.geo, h.tiff = info.Width, info.Height, info.Geo != nil, r
	default:
		return h, errorf(http.StatusUnsupportedMediaType, "%s: unrecognized format (want PNG, JPEG or TIFF)", what)
	}
	if h.width <= 0 || h.height <= 0 {
		return h, errorf(http.StatusBadRequest, "%s: empty %d×%d image", what, h.width, h.height)
	}
	return h, nil
}

// checkPixels enforces the pixel limit on a header, before decoding.
func checkPixels(what string, h header, maxPixels int) error {
	if n := int64(h.width) * int64(h.height); n > int64(maxPixels) {
		return errorf(http.StatusRequestEntityTooLarge, "%s is %d×%d = %d pixels, more than the limit of %d",
			what, h.width, h.height, n, maxPixels)
	}
	return nil
}

// decodeRGB decodes data, whose header h has passed checkPixels, into an
// opaque *image.RGBA. Transparent PNG pixels become black, which restorers
// treat as damage. TIFFs are converted as tiffRGB says.
func decodeRGB(what string, data []byte, h header) (*image.RGBA, error) {
	var m image.Image
	var err error
	switch h.format {
	case formatPNG:
		m, err = png.Decode(bytes.NewReader(data))
	case formatJPEG:
		m, err = jpeg.Decode(bytes.NewReader(data))
	case formatTIFF:
		m, err = tiffRGB(h.tiff)
		h.tiff.Close()
	}
	if err != nil {
		return nil, decodeError(what, err)
	}
	rgba, ok := m.(*image.RGBA)
	if !ok || rgba.Rect.Min != (image.Point{}) {
		b := m.Bounds()
		rgba = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(rgba, rgba.Rect, m, b.Min, draw.Src)
	}
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 255 // premultiplied: a transparent pixel is black
	}
	return rgba, nil
}

// tiffRGB decodes the raster r into 8-bit RGB:
//
//   - integer samples have their type's non-negative range scaled onto
//     0..255, truncating (8-bit samples as they are, 16-bit unsigned
//     ones shifted right by 8, 16-bit signed ones by 7; negative values
//     become 0);
//   - floating-point samples are taken to lie in 0..1, scaled by 255,
//     rounded and clamped; NaN becomes 0;
//   - RGB (and JPEG-coded YCbCr) gives bands 1–3; MinIsBlack gives bands
//     1–3 when there are at least three (multiband imagery such as NAIP's
//     R, G, B, NIR is often tagged gray), else band 1 on all three
//     channels; MinIsWhite gives band 1 inverted; a palette image gives
//     its colour map's entries, shifted to 8 bits.
//
// Alpha and any other band is ignored. The image is read one tile (or a
// quarter megapixel of full-width rows) at a time, so what it holds beyond
// the result is bounded by a window, not by the image.
func tiffRGB(r raster.Reader) (*image.RGBA, error) {
	info := r.Info()
	w, h := info.Width, info.Height
	var src [3]int  // band for R, G and B
	var lut []uint8 // palette: n reds, n greens, n blues
	var n int
	switch info.Photometric {
	case raster.PhotometricRGB:
		if info.Bands < 3 {
			return nil, &raster.FormatError{Name: uploadName, Msg: fmt.Sprintf("RGB needs 3 bands, the image has %d", info.Bands)}
		}
		src = [3]int{0, 1, 2}
	case raster.PhotometricMinIsBlack:
		if info.Bands >= 3 {
			src = [3]int{0, 1, 2}
		}
	case raster.PhotometricMinIsWhite:
	case raster.PhotometricPalette:
		n = len(info.ColorMap) / 3
		if info.Type != raster.Uint8 && info.Type != raster.Uint16 {
			return nil, &raster.UnsupportedError{Name: uploadName, Msg: fmt.Sprintf("palette image with %v samples", info.Type)}
		}
		if n != 1<<(8*info.Type.Size()) || len(info.ColorMap) != 3*n {
			return nil, &raster.FormatError{Name: uploadName, Msg: fmt.Sprintf("palette of %d entries for %v samples", len(info.ColorMap), info.Type)}
		}
		lut = make([]uint8, len(info.ColorMap))
		for i, v := range info.ColorMap {
			lut[i] = uint8(v >> 8)
		}
	default:
		return nil, &raster.UnsupportedError{Name: uploadName, Msg: fmt.Sprintf("photometric interpretation %d", info.Photometric)}
	}
	scale, bias := to8Scale(info.Type)

	// put converts one row of a window to RGBA.
	var put func(out []uint8, r, g, b []float32)
	switch {
	case lut != nil:
		put = func(out []uint8, r, _, _ []float32) {
			for x, v := range r {
				i := int(v) // any index the type allows: lut covers them all
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = lut[i], lut[n+i], lut[2*n+i], 255
			}
		}
	case info.Photometric == raster.PhotometricMinIsWhite:
		put = func(out []uint8, r, _, _ []float32) {
			for x, v := range r {
				g := 255 - to8(v, scale, bias)
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = g, g, g, 255
			}
		}
	default:
		put = func(out []uint8, r, g, b []float32) {
			for x := range r {
				out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = to8(r[x], scale, bias), to8(g[x], scale, bias), to8(b[x], scale, bias), 255
			}
		}
	}

	// Windows: one tile, or the full width and enough rows for about a
	// quarter megapixel. The reader caches blocks a window leaves half read.
	const winPixels = 1 << 18
	ww, wh := w, max(1, min(h, winPixels/w))
	if info.TileWidth > 0 {
		ww, wh = min(w, info.TileWidth), min(h, info.TileHeight, max(1, winPixels/info.TileWidth))
	}
	bands := make([][]float32, info.Bands)
	for _, b := range src {
		if bands[b] == nil {
			bands[b] = make([]float32, ww*wh)
		}
	}
	win := make([][]float32, len(bands))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y0 := 0; y0 < h; y0 += wh {
		for x0 := 0; x0 < w; x0 += ww {
			cw, ch := min(ww, w-x0), min(wh, h-y0)
			for b, s := range bands {
				if s != nil {
					win[b] = s[:cw*ch]
				}
			}
			if err := r.ReadWindow(x0, y0, cw, ch, win); err != nil {
				return nil, err
			}
			for y := range ch {
				row := func(b int) []float32 { return win[src[b]][y*cw:][:cw] }
				put(dst.Pix[dst.PixOffset(x0, y0+y):][:4*cw], row(0), row(1), row(2))
			}
		}
	}
	return dst, nil
}

// to8Scale returns the factor and offset that to8 maps samples of type t
// with: 256/(max+1) and 0 for integers (the non-negative range onto
// 0..255, truncating), 255 and ½ for floating point (0..1, rounding).
func to8Scale(t raster.SampleType) (scale, bias float64) {
	if t.IsFloat() {
		return 255, 0.5
	}
	_, hi := t.Range()
	return 256 / (hi + 1), 0
}

// to8 is v·scale + bias truncated and clamped to 0..255; NaN gives 0. It
// works in float64, where the product of a float32 and these factors is
// exact, so the result does not depend on how the compiler rounds.
func to8(v float32, scale, bias float64) uint8 {
	x := float64(v)*scale + bias
	if !(x > 0) {
		return 0
	}
	return uint8(min(x, 255))
}

// decodeMask decodes a PNG mask that must be w×h. A pixel is damaged
// (255) when it is light (luma ≥ 128) and not transparent; otherwise 0.
func decodeMask(data []byte, w, h int) (*image.Gray, error) {
	hd, err := readHeader("mask", data)
	if err != nil {
		return nil, err
	}
	if hd.format != formatPNG {
		return nil, errorf(http.StatusUnsupportedMediaType, "mask must be a PNG, not %s", hd.format)
	}
	if hd.width != w || hd.height != h {
		return nil, errorf(http.StatusBadRequest, "mask is %d×%d, image is %d×%d", hd.width, hd.height, w, h)
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, decodeError("mask", err)
	}
	mask := image.NewGray(image.Rect(0, 0, w, h))
	b := m.Bounds()
	for y := 0; y < h; y++ {
		dst := mask.Pix[y*mask.Stride:][:w]
		switch m := m.(type) {
		case *image.Gray:
			for x, v := range m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w] {
				if v >= 128 {
					dst[x] = 255
				}
			}
		case *image.NRGBA:
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				if damaged(p[4*x], p[4*x+1], p[4*x+2], p[4*x+3], false) {
					dst[x] = 255
				}
			}
		case *image.RGBA:
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := range dst {
				if damaged(p[4*x], p[4*x+1], p[4*x+2], p[4*x+3], true) {
					dst[x] = 255
				}
			}
		default:
			for x := range dst {
				c := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				if damaged(c.R, c.G, c.B, c.A, false) {
					dst[x] = 255
				}
			}
		}
	}
	return mask, nil
}

// damaged reports whether a mask pixel marks damage: opaque enough
// (alpha ≥ 128) and light (Rec. 601 luma ≥ 128 once un-premultiplied).
func damaged(r, g, b, a uint8, premultiplied bool) bool {
	if a < 128 {
		return false
	}
	luma := (299*int(r) + 587*int(g) + 114*int(b)) / 1000
	if premultiplied {
		luma = luma * 255 / int(a)
	}
	return luma >= 128
}

// decodeError maps a decoder's error to 415 when the input is valid but
// not supported, and to 400 otherwise.
func decodeError(what string, err error) error {
	var (
		pu png.UnsupportedError
		ju jpeg.UnsupportedError
		ru *raster.UnsupportedError
	)
	if errors.As(err, &pu) || errors.As(err, &ju) || errors.As(err, &ru) {
		return errorf(http.StatusUnsupportedMediaType, "%s: %v", what, err)
	}
	return errorf(http.StatusBadRequest, "%s: cannot decode: %v", what, err)
}

// encodePNG encodes m quickly: the client is waiting, and size matters
// little on the links this server is meant for.
func encodePNG(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeTIFF encodes m as an 8-bit RGB TIFF in Deflate-compressed strips
// (level 1 and the horizontal predictor: quick, and much smaller than
// raw samples for imagery). It is the plain TIFF the server answers with
// when asked for TIFF and the restorer made no GeoTIFF. Alpha is dropped.
//
// The raster writer writes files only, so the TIFF goes through a
// temporary directory that is removed before returning.
func encodeTIFF(m image.Image) ([]byte, error) {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("encode TIFF: empty %d×%d image", w, h)
	}
	dir, err := os.MkdirTemp("", "aerofill-serve-")
	if err != nil {
		return nil, fmt.Errorf("encode TIFF: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "restored.tif")
	info := raster.Info{Width: w, Height: h, Bands: 3, Type: raster.Uint8, Photometric: raster.PhotometricRGB, Alpha: -1}
	tw, err := raster.Create(path, info, raster.WriteOptions{
		Compression: "deflate", Level: 1, Predictor: 2, Strips: true, Workers: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("encode TIFF: %w", err)
	}
	// About a megapixel of rows at a time, through an RGBA buffer that
	// draw.Draw fills from any image type.
	rows := max(1, min(h, (1<<20)/w))
	buf := image.NewRGBA(image.Rect(0, 0, w, rows))
	planes := [][]uint8{make([]uint8, w*rows), make([]uint8, w*rows), make([]uint8, w*rows)}
	for y0 := 0; y0 < h; y0 += rows {
		n := min(rows, h-y0)
		draw.Draw(buf, image.Rect(0, 0, w, n), m, image.Pt(b.Min.X, b.Min.Y+y0), draw.Src)
		for i := range w * n {
			p := buf.Pix[4*i : 4*i+3]
			planes[0][i], planes[1][i], planes[2][i] = p[0], p[1], p[2]
		}
		win := [][]uint8{planes[0][:w*n], planes[1][:w*n], planes[2][:w*n]}
		if err := tw.WriteWindowNative(0, y0, w, n, win); err != nil {
			tw.Abort()
			return nil, fmt.Errorf("encode TIFF: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("encode TIFF: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encode TIFF: %w", err)
	}
	return data, nil
}
