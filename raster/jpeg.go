package raster

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
)

// JPEG decoding goes through image/jpeg; what happens after it follows
// libjpeg, the decoder GDAL uses, so that pixels agree with GDAL's up to
// the two decoders' inverse DCTs: chroma is upsampled with libjpeg's
// "fancy" triangle filter (not image/jpeg's pixel replication) and YCbCr
// becomes RGB with libjpeg's fixed-point JFIF equations (not image/color's).

// decodeJPEG decodes one JPEG-compressed tile or strip of rows rows into
// interleaved samples.
func (r *tiffReader) decodeJPEG(src []byte, rows int) ([]byte, error) {
	stream := spliceJPEGTables(r.jpegTables, src)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(stream))
	if err != nil {
		return nil, err
	}
	// libtiff accepts a frame smaller than the block (the rest stays
	// zero) and a last strip whose frame is taller than the strip; it
	// refuses frames wider than the block.
	if cfg.Width > r.bw || cfg.Height > r.bh {
		return nil, fmt.Errorf("JPEG frame %d×%d larger than the %d×%d block", cfg.Width, cfg.Height, r.bw, rows)
	}
	if uint64(cfg.Width)*uint64(cfg.Height) > uint64(len(src))*1024+1<<20 {
		return nil, fmt.Errorf("JPEG frame %d×%d cannot come from %d bytes", cfg.Width, cfg.Height, len(src))
	}
	img, err := jpeg.Decode(bytes.NewReader(stream))
	if err != nil {
		return nil, err
	}
	out := make([]byte, rows*r.rowBytes())
	if err := jpegSamples(out, r.bw, rows, r.spp, img, r.photometric == PhotometricYCbCr); err != nil {
		return nil, err
	}
	return out, nil
}

// spliceJPEGTables joins the JPEGTables tag (SOI, tables, EOI) and an
// abbreviated tile stream (SOI, frame) into one complete stream.
func spliceJPEGTables(tables, data []byte) []byte {
	if len(tables) < 4 || len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return data
	}
	if tables[len(tables)-2] == 0xFF && tables[len(tables)-1] == 0xD9 {
		tables = tables[:len(tables)-2]
	}
	s := make([]byte, 0, len(tables)+len(data)-2)
	s = append(s, tables...)
	return append(s, data[2:]...)
}

// jpegSamples copies a decoded JPEG image into the top-left corner of a
// bw×rows block of spp interleaved 8-bit samples. When ycc is set, three
// components are YCbCr to be converted to RGB; otherwise they are stored as
// they are.
func jpegSamples(out []byte, bw, rows, spp int, img image.Image, ycc bool) error {
	b := img.Bounds()
	w, h := min(b.Dx(), bw), min(b.Dy(), rows)
	stride := bw * spp
	switch m := img.(type) {
	case *image.Gray:
		if spp != 1 {
			return fmt.Errorf("JPEG has 1 component, block has %d samples per pixel", spp)
		}
		for y := 0; y < h; y++ {
			copy(out[y*stride:y*stride+w], m.Pix[y*m.Stride:])
		}
	case *image.YCbCr:
		if spp != 3 {
			return fmt.Errorf("JPEG has 3 components, block has %d samples per pixel", spp)
		}
		fw, fh := b.Dx(), b.Dy()
		cb := make([]byte, fw*fh)
		cr := make([]byte, fw*fh)
		hs, vs := chromaFactors(m.SubsampleRatio)
		upsample(cb, fw, fh, m.Cb, m.CStride, hs, vs)
		upsample(cr, fw, fh, m.Cr, m.CStride, hs, vs)
		for y := 0; y < h; y++ {
			o := out[y*stride : y*stride+3*w]
			yy, cbr, crr := m.Y[y*m.YStride:y*m.YStride+w], cb[y*fw:y*fw+w], cr[y*fw:y*fw+w]
			if ycc {
				yccToRGB(o, yy, cbr, crr)
				continue
			}
			for x := range yy {
				o[3*x], o[3*x+1], o[3*x+2] = yy[x], cbr[x], crr[x]
			}
		}
	case *image.RGBA: // Adobe transform 0: components are R, G, B
		if spp != 3 {
			return fmt.Errorf("JPEG has 3 components, block has %d samples per pixel", spp)
		}
		for y := 0; y < h; y++ {
			o := out[y*stride:]
			p := m.Pix[y*m.Stride:]
			for x := 0; x < w; x++ {
				o[3*x], o[3*x+1], o[3*x+2] = p[4*x], p[4*x+1], p[4*x+2]
			}
		}
	default:
		return fmt.Errorf("JPEG decodes to %T, which this package does not handle", img)
	}
	return nil
}

// chromaFactors returns the horizontal and vertical chroma subsampling.
func chromaFactors(r image.YCbCrSubsampleRatio) (h, v int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// upsample expands a chroma plane subsampled by hs×vs to w×h samples the
// way libjpeg(-turbo) does by default. For 2× factors it is a triangle
// filter: each output sample is 3/4 of the nearer input sample plus 1/4 of
// the next one out, edges replicated, rounded alternately up and down
// (rounding biases 1 and 2 of 4 for one direction; 8 and 7 of 16 for
// both). Planes two samples wide or less, and other factors, replicate.
// upsampleRef in the tests is the same filter written per output sample.
func upsample(dst []byte, w, h int, src []byte, stride, hs, vs int) {
	sw, sh := (w+hs-1)/hs, (h+vs-1)/vs
	row := func(j int) []byte { // input row j, edge-replicated
		j = min(max(j, 0), sh-1)
		return src[j*stride : j*stride+sw]
	}
	switch {
	case hs == 1 && vs == 1:
		for y := 0; y < h; y++ {
			copy(dst[y*w:y*w+w], src[y*stride:])
		}
	case hs == 2 && vs == 1 && sw > 2:
		sums := make([]int32, sw)
		for y := 0; y < h; y++ {
			for i, v := range row(y) {
				sums[i] = int32(v)
			}
			triangle(dst[y*w:y*w+w], sums, 1, 2, 2)
		}
	case hs == 1 && vs == 2:
		for y := 0; y < h; y++ {
			near, far, bias := row(y/2), row(y/2-1), int32(1)
			if y%2 == 1 {
				far, bias = row(y/2+1), 2
			}
			out := dst[y*w : y*w+w]
			far = far[:len(near)]
			for x := range out {
				out[x] = byte((3*int32(near[x]) + int32(far[x]) + bias) >> 2)
			}
		}
	case hs == 2 && vs == 2 && sw > 2:
		// sums[i] = 3·nearer row + farther row, at input column i.
		sums := make([]int32, sw)
		for y := 0; y < h; y++ {
			near, far := row(y/2), row(y/2-1)
			if y%2 == 1 {
				far = row(y/2 + 1)
			}
			far = far[:len(near)]
			for i, v := range near {
				sums[i] = 3*int32(v) + int32(far[i])
			}
			triangle(dst[y*w:y*w+w], sums, 8, 7, 4)
		}
	default:
		for y := 0; y < h; y++ {
			r := row(y / vs)
			out := dst[y*w : y*w+w]
			for x := range out {
				out[x] = r[x/hs]
			}
		}
	}
}

// triangle interpolates 2× horizontally: out[2i] = (3·s[i] + s[i-1] +
// even) >> shift and out[2i+1] = (3·s[i] + s[i+1] + odd) >> shift, with s
// replicated past its ends; len(out) is 2·len(s) or one less.
func triangle(out []byte, s []int32, even, odd int32, shift uint) {
	n := len(s)
	last := func(i int) { // columns at the edges, with replication
		l, r := s[max(i-1, 0)], s[min(i+1, n-1)]
		out[2*i] = byte((3*s[i] + l + even) >> shift)
		if 2*i+1 < len(out) {
			out[2*i+1] = byte((3*s[i] + r + odd) >> shift)
		}
	}
	last(0)
	o := out[2 : 2*(n-1)]
	for i := 1; i < n-1; i++ {
		c := 3 * s[i]
		o[2*(i-1)] = byte((c + s[i-1] + even) >> shift)
		o[2*(i-1)+1] = byte((c + s[i+1] + odd) >> shift)
	}
	last(n - 1)
}

// yccToRGB converts JFIF YCbCr to RGB with libjpeg's 16-bit fixed-point
// coefficients: R = Y + 1.402·Cr', G = Y − 0.34414·Cb' − 0.71414·Cr',
// B = Y + 1.772·Cb', where Cb' = Cb−128 and Cr' = Cr−128, each term
// rounded as libjpeg rounds it, and the results clamped to 0..255.
// yccToRGBRef in the tests is the same arithmetic without tables.
func yccToRGB(out, y, cb, cr []byte) {
	cb, cr, out = cb[:len(y)], cr[:len(y)], out[:3*len(y)]
	for i, yy := range y {
		b, r := cb[i], cr[i]
		o := out[3*i : 3*i+3]
		o[0] = clampTab[int(yy)+int(crR[r])+256]
		o[1] = clampTab[int(yy)+int(gTab[b][0]+gTab[r][1])>>16+256]
		o[2] = clampTab[int(yy)+int(cbB[b])+256]
	}
}

// Lookup tables for yccToRGB, computed once: crR[v] and cbB[v] are the
// rounded red and blue terms for chroma v; gTab[v] holds the unshifted
// green terms (Cb's with libjpeg's rounding half included); clampTab[v+256]
// clamps v to 0..255.
var (
	crR, cbB [256]int16
	gTab     [256][2]int32
	clampTab [1024]byte
)

func init() {
	const (
		half = 1 << 15
		fCrR = 91881  // round(1.40200 · 2^16)
		fCbB = 116130 // round(1.77200 · 2^16)
		fCrG = 46802  // round(0.71414 · 2^16)
		fCbG = 22554  // round(0.34414 · 2^16)
	)
	for v := 0; v < 256; v++ {
		c := int32(v - 128)
		crR[v] = int16((fCrR*c + half) >> 16)
		cbB[v] = int16((fCbB*c + half) >> 16)
		gTab[v] = [2]int32{-fCbG*c + half, -fCrG * c}
	}
	for i := range clampTab {
		clampTab[i] = byte(min(max(i-256, 0), 255))
	}
}
