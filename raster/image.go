package raster

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
)

const pngMagic = "\x89PNG\r\n\x1a\n"

// imageReader serves windows of a PNG or JPEG decoded whole on Open.
type imageReader struct {
	name   string
	closer io.Closer
	info   Info
	layout
	blk    block
	closed closedFlag
}

// openImage decodes a PNG or JPEG file. Before image/png or image/jpeg
// allocate the size the header states, that size is checked against what
// the file's bytes could possibly decode to.
func openImage(ra io.ReaderAt, size int64, name, format string, c io.Closer) (Reader, error) {
	if size > 1<<31 {
		return nil, &UnsupportedError{name, fmt.Sprintf("%s file of %d bytes", format, size)}
	}
	buf := make([]byte, size)
	if n, err := ra.ReadAt(buf, 0); n < len(buf) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("raster: %s: %w", name, err)
	}
	var cfg image.Config
	var err error
	bands, typ := 0, Uint8
	if format == "PNG" {
		cfg, err = png.DecodeConfig(bytes.NewReader(buf))
		if err == nil {
			bands, typ = pngBands(buf)
		}
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(buf))
		bands = 3
	}
	if err != nil {
		return nil, &FormatError{Name: name, Msg: "header", Err: err}
	}
	// Deflate turns one byte into at most 1032; a JPEG spends at least
	// one bit on each 8×8 block of each component, 512 pixels a byte.
	pixels := uint64(cfg.Width) * uint64(cfg.Height)
	limit, claim := uint64(size)*1040+1<<20, pixels*uint64(bands*typ.Size())
	if format == "JPEG" {
		limit, claim = uint64(size)*1024+1<<20, pixels
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || claim > limit {
		return nil, &FormatError{Name: name, Msg: fmt.Sprintf("%d×%d image cannot come from %d bytes", cfg.Width, cfg.Height, size)}
	}
	var img image.Image
	if format == "PNG" {
		img, err = png.Decode(bytes.NewReader(buf))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(buf))
	}
	if err != nil {
		return nil, &FormatError{Name: name, Msg: "decode", Err: err}
	}
	buf = nil
	r := &imageReader{name: name, closer: c}
	data, bands, typ, err := imageSamples(img, bands)
	if err != nil {
		return nil, &UnsupportedError{name, err.Error()}
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	r.layout = newLayout(w, h, w, h, bands, false, typ)
	r.blk = block{data: data, rows: h, stride: r.rowBytes()}
	r.info = Info{Format: format, Width: w, Height: h, Bands: bands, Type: typ, Alpha: -1}
	switch bands {
	case 1:
		r.info.ColorInterp = []string{"Gray"}
	case 2:
		r.info.ColorInterp = []string{"Gray", "Alpha"}
	case 3:
		r.info.ColorInterp = []string{"Red", "Green", "Blue"}
	case 4:
		r.info.ColorInterp = []string{"Red", "Green", "Blue", "Alpha"}
	}
	r.info.Photometric = PhotometricMinIsBlack
	if bands >= 3 {
		r.info.Photometric = PhotometricRGB
	}
	if bands == 2 || bands == 4 {
		r.info.Alpha = bands - 1
		r.info.ExtraSamples = []int{ExtraUnassAlpha}
	}
	return r, nil
}

// pngBands returns the bands and sample type a PNG's IHDR chunk declares:
// gray 1, RGB 3, palette 3 (or 4 with a tRNS chunk), gray+alpha 2, RGBA 4.
func pngBands(b []byte) (int, SampleType) {
	if len(b) < 26 {
		return 0, Uint8
	}
	typ := Uint8
	if b[24] == 16 {
		typ = Uint16
	}
	switch b[25] {
	case 0:
		return 1, typ
	case 2:
		return 3, typ
	case 3:
		if bytes.Contains(b, []byte("tRNS")) {
			return 4, Uint8
		}
		return 3, Uint8
	case 4:
		return 2, typ
	}
	return 4, typ
}

// imageSamples interleaves a decoded image's samples: bands is what the
// file declares (for JPEG, 3 means "whatever the decoder returns").
func imageSamples(img image.Image, bands int) ([]byte, int, SampleType, error) {
	r := img.Bounds()
	w, h := r.Dx(), r.Dy()
	switch m := img.(type) {
	case *image.Gray:
		out := make([]byte, w*h)
		for y := 0; y < h; y++ {
			copy(out[y*w:(y+1)*w], m.Pix[y*m.Stride:])
		}
		return out, 1, Uint8, nil
	case *image.Gray16:
		out := make([]byte, 2*w*h)
		for y := 0; y < h; y++ {
			p := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				le.PutUint16(out[2*(y*w+x):], uint16(p[2*x])<<8|uint16(p[2*x+1]))
			}
		}
		return out, 1, Uint16, nil
	case *image.YCbCr:
		out := make([]byte, 3*w*h)
		if err := jpegSamples(out, w, h, 3, m, true); err != nil {
			return nil, 0, 0, err
		}
		return out, 3, Uint8, nil
	case *image.RGBA, *image.NRGBA, *image.Paletted:
		// 8-bit colour: keep the bands the file declares. Gray+alpha
		// decodes to NRGBA with R = G = B.
		keep := map[int][]int{1: {0}, 2: {0, 3}, 3: {0, 1, 2}, 4: {0, 1, 2, 3}}[bands]
		if keep == nil {
			keep = []int{0, 1, 2}
		}
		out := make([]byte, len(keep)*w*h)
		var pix []byte
		stride := 0
		if rgba, ok := m.(*image.RGBA); ok {
			pix, stride = rgba.Pix, rgba.Stride
		} else if n, ok := m.(*image.NRGBA); ok {
			pix, stride = n.Pix, n.Stride
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var px [4]byte
				if pix != nil {
					copy(px[:], pix[y*stride+4*x:])
				} else {
					// Palette entries are not premultiplied in the file;
					// NRGBA recovers them.
					c := m.(*image.Paletted)
					n := nrgbaOf(c.Palette[c.ColorIndexAt(r.Min.X+x, r.Min.Y+y)])
					px = n
				}
				for i, k := range keep {
					out[(y*w+x)*len(keep)+i] = px[k]
				}
			}
		}
		return out, len(keep), Uint8, nil
	case *image.RGBA64, *image.NRGBA64:
		keep := map[int][]int{1: {0}, 2: {0, 3}, 3: {0, 1, 2}, 4: {0, 1, 2, 3}}[bands]
		if keep == nil {
			keep = []int{0, 1, 2}
		}
		var pix []byte
		var stride int
		if a, ok := m.(*image.RGBA64); ok {
			pix, stride = a.Pix, a.Stride
		} else {
			n := m.(*image.NRGBA64)
			pix, stride = n.Pix, n.Stride
		}
		out := make([]byte, 2*len(keep)*w*h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := pix[y*stride+8*x:]
				for i, k := range keep {
					le.PutUint16(out[2*((y*w+x)*len(keep)+i):], uint16(p[2*k])<<8|uint16(p[2*k+1]))
				}
			}
		}
		return out, len(keep), Uint16, nil
	}
	return nil, 0, 0, fmt.Errorf("decoded image of type %T", img)
}

func nrgbaOf(c interface{ RGBA() (r, g, b, a uint32) }) [4]byte {
	r, g, b, a := c.RGBA()
	if a == 0 {
		return [4]byte{}
	}
	if a != 0xffff {
		r, g, b = r*0xffff/a, g*0xffff/a, b*0xffff/a
	}
	return [4]byte{byte(r >> 8), byte(g >> 8), byte(b >> 8), byte(a >> 8)}
}

func (r *imageReader) Info() Info { return r.info.clone() }

func (r *imageReader) block(p, bx, by, ya, yb int) (*block, error) { return &r.blk, nil }

func (r *imageReader) ReadWindow(x0, y0, w, h int, bands [][]float32) error {
	if err := r.closed.check(r.name); err != nil {
		return err
	}
	if err := checkWindow(r.name, r.width, r.height, x0, y0, w, h); err != nil {
		return err
	}
	if err := checkBands(r.name, r.info.Bands, bands, w, h); err != nil {
		return err
	}
	return readWindow(&r.layout, r, 0, x0, y0, w, h, f32Sink{bands, r.typ})
}

func (r *imageReader) ReadWindowNative(x0, y0, w, h int, bands any) error {
	if err := r.closed.check(r.name); err != nil {
		return err
	}
	if err := checkWindow(r.name, r.width, r.height, x0, y0, w, h); err != nil {
		return err
	}
	s, err := newNativeSink(r.name, r.info.Bands, r.typ, bands, w, h)
	if err != nil {
		return err
	}
	return readWindow(&r.layout, r, 0, x0, y0, w, h, s)
}

func (r *imageReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}
