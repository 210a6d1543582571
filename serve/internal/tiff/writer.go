package tiff

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"image"
	"io"
)

// Encode writes m as a little-endian, uncompressed, 8-bit RGB TIFF in
// strips of about 64 KiB. Alpha is dropped. It is the plain TIFF the server
// answers with when asked for TIFF and no GeoTIFF is available.
func Encode(w io.Writer, m image.Image) error {
	b := m.Bounds()
	width, height := b.Dx(), b.Dy()
	if width <= 0 || height <= 0 {
		return fmt.Errorf("tiff: cannot encode an empty %d×%d image", width, height)
	}
	rowBytes := 3 * width
	if int64(rowBytes)*int64(height) > 1<<32-1024 {
		return fmt.Errorf("tiff: %d×%d image is too large for classic TIFF", width, height)
	}
	rowsPerStrip := max(1, min(height, 65536/rowBytes))
	strips := (height + rowsPerStrip - 1) / rowsPerStrip

	// Layout: header (8) | IFD | out-of-line values | pixel data.
	type entry struct {
		tag, typ uint16
		vals     []uint32
	}
	offsets := make([]uint32, strips)
	counts := make([]uint32, strips)
	entries := []entry{
		{tagImageWidth, dtLong, []uint32{uint32(width)}},
		{tagImageLength, dtLong, []uint32{uint32(height)}},
		{tagBitsPerSample, dtShort, []uint32{8, 8, 8}},
		{tagCompression, dtShort, []uint32{CompressionNone}},
		{tagPhotometric, dtShort, []uint32{pRGB}},
		{tagStripOffsets, dtLong, offsets},
		{tagSamplesPerPixel, dtShort, []uint32{3}},
		{tagRowsPerStrip, dtLong, []uint32{uint32(rowsPerStrip)}},
		{tagStripByteCounts, dtLong, counts},
		{tagPlanarConfig, dtShort, []uint32{1}},
	}
	ifdSize := 2 + 12*len(entries) + 4
	extra := 0 // bytes of out-of-line values
	for _, e := range entries {
		if n := len(e.vals) * typeSize[e.typ]; n > 4 {
			extra += n
		}
	}
	dataStart := 8 + ifdSize + extra
	for i := range offsets {
		rows := min(rowsPerStrip, height-i*rowsPerStrip)
		offsets[i] = uint32(dataStart + i*rowsPerStrip*rowBytes)
		counts[i] = uint32(rows * rowBytes)
	}

	le := binary.LittleEndian
	head := make([]byte, 0, dataStart)
	head = append(head, 'I', 'I', 42, 0)
	head = le.AppendUint32(head, 8)
	head = le.AppendUint16(head, uint16(len(entries)))
	var outOfLine []byte
	valuesAt := 8 + ifdSize
	put := func(dst []byte, typ uint16, v uint32) []byte {
		if typ == dtShort {
			return le.AppendUint16(dst, uint16(v))
		}
		return le.AppendUint32(dst, v)
	}
	for _, e := range entries {
		head = le.AppendUint16(head, e.tag)
		head = le.AppendUint16(head, e.typ)
		head = le.AppendUint32(head, uint32(len(e.vals)))
		if n := len(e.vals) * typeSize[e.typ]; n > 4 {
			head = le.AppendUint32(head, uint32(valuesAt+len(outOfLine)))
			for _, v := range e.vals {
				outOfLine = put(outOfLine, e.typ, v)
			}
			continue
		}
		var inline []byte
		for _, v := range e.vals {
			inline = put(inline, e.typ, v)
		}
		head = append(head, inline...)
		head = append(head, make([]byte, 4-len(inline))...)
	}
	head = le.AppendUint32(head, 0) // no next IFD
	head = append(head, outOfLine...)

	bw := bufio.NewWriterSize(w, 64<<10)
	if _, err := bw.Write(head); err != nil {
		return err
	}
	row := make([]byte, rowBytes)
	rgba, _ := m.(*image.RGBA)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		if rgba != nil {
			p := rgba.Pix[rgba.PixOffset(b.Min.X, y):]
			for x := 0; x < width; x++ {
				row[3*x], row[3*x+1], row[3*x+2] = p[4*x], p[4*x+1], p[4*x+2]
			}
		} else {
			for x := 0; x < width; x++ {
				r, g, bl, _ := m.At(b.Min.X+x, y).RGBA()
				row[3*x], row[3*x+1], row[3*x+2] = uint8(r>>8), uint8(g>>8), uint8(bl>>8)
			}
		}
		if _, err := bw.Write(row); err != nil {
			return err
		}
	}
	return bw.Flush()
}
