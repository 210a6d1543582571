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

	"github.com/aerofill/aerofill/serve/internal/tiff"
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
	case tiff.Magic(data):
		return formatTIFF
	}
	return ""
}

// header is what an image's header says, read without decoding pixels.
type header struct {
	format        string
	width, height int
	geo           bool // a TIFF with GeoTIFF tags
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
		cfg, err := tiff.DecodeConfig(data)
		if err != nil {
			return h, decodeError(what, err)
		}
		h.width, h.height, h.geo = cfg.Width, cfg.Height, cfg.Geo
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
// opaque *image.RGBA. Transparent pixels become black, which restorers
// treat as damage.
func decodeRGB(what string, data []byte, h header, maxPixels int) (*image.RGBA, error) {
	var m image.Image
	var err error
	switch h.format {
	case formatPNG:
		m, err = png.Decode(bytes.NewReader(data))
	case formatJPEG:
		m, err = jpeg.Decode(bytes.NewReader(data))
	case formatTIFF:
		m, err = tiff.Decode(data, maxPixels)
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
		tu tiff.UnsupportedError
	)
	if errors.As(err, &pu) || errors.As(err, &ju) || errors.As(err, &tu) {
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

func encodeTIFF(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := tiff.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("encode TIFF: %w", err)
	}
	return buf.Bytes(), nil
}
