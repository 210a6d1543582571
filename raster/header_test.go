package raster

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildTIFF makes a little-endian classic TIFF: header, then data at
// offset 8, then one IFD with tags.
func buildTIFF(tags []tiffTag, data []byte) []byte {
	ifdOff := uint64(8 + len(data) + len(data)%2)
	b := append([]byte("II*\x00"), byte(ifdOff), byte(ifdOff>>8), byte(ifdOff>>16), byte(ifdOff>>24))
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return append(b, encodeIFD(tags, ifdOff, false)...)
}

func short(tag uint16, v ...uint64) tiffTag { return tiffTag{tag: tag, typ: typeShort, ints: v} }
func long(tag uint16, v ...uint64) tiffTag  { return tiffTag{tag: tag, typ: typeLong, ints: v} }

func deflated(n int) []byte {
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(make([]byte, n))
	zw.Close()
	return buf.Bytes()
}

// TestLyingHeaders opens files whose headers claim more than they hold:
// each must fail with an error that names the file, when opening or when
// reading, without allocating what the header claims.
func TestLyingHeaders(t *testing.T) {
	z := deflated(100)
	base := func(extra ...tiffTag) []tiffTag {
		return append([]tiffTag{
			long(tagImageWidth, 100), long(tagImageLength, 100), short(tagBitsPerSample, 8),
			short(tagCompression, CompressionDeflate), short(tagPhotometric, 1),
		}, extra...)
	}
	tests := []struct {
		name string
		file []byte
	}{
		{"huge image, tiny strip", buildTIFF([]tiffTag{
			long(tagImageWidth, 2_000_000_000), long(tagImageLength, 1_000_000), short(tagBitsPerSample, 8),
			short(tagCompression, CompressionDeflate), short(tagPhotometric, 1),
			long(tagRowsPerStrip, 1_000_000), long(tagStripOffsets, 8), long(tagStripByteCounts, uint64(len(z))),
		}, z)},
		{"huge tile, tiny data", buildTIFF([]tiffTag{
			long(tagImageWidth, 30000), long(tagImageLength, 30000), short(tagBitsPerSample, 8), short(tagSamplesPerPixel, 1),
			short(tagCompression, CompressionLZW), short(tagPhotometric, 1),
			long(tagTileWidth, 30000), long(tagTileLength, 30000), long(tagTileOffsets, 8), long(tagTileByteCounts, uint64(len(z))),
		}, z)},
		{"tile too large for memory", buildTIFF([]tiffTag{
			long(tagImageWidth, 100000), long(tagImageLength, 100000), short(tagBitsPerSample, 8), short(tagSamplesPerPixel, 3),
			short(tagCompression, 1), short(tagPhotometric, 2),
			long(tagTileWidth, 65536), long(tagTileLength, 65536), long(tagTileOffsets, 8), long(tagTileByteCounts, 0),
		}, z)},
		{"strip past end of file", buildTIFF(base(long(tagRowsPerStrip, 100), long(tagStripOffsets, 8), long(tagStripByteCounts, 1<<30)), z)},
		{"uncompressed strip too short", buildTIFF([]tiffTag{
			long(tagImageWidth, 100), long(tagImageLength, 100), short(tagBitsPerSample, 8), short(tagPhotometric, 1),
			long(tagRowsPerStrip, 100), long(tagStripOffsets, 8), long(tagStripByteCounts, 50),
		}, make([]byte, 50))},
		{"too few strip offsets", buildTIFF(base(long(tagRowsPerStrip, 10), long(tagStripOffsets, 8), long(tagStripByteCounts, uint64(len(z)))), z)},
		{"corrupt deflate", buildTIFF(base(long(tagRowsPerStrip, 100), long(tagStripOffsets, 8), long(tagStripByteCounts, 40)), bytes.Repeat([]byte{0x55}, 40))},
		{"no width", buildTIFF([]tiffTag{long(tagImageLength, 10), long(tagStripOffsets, 8)}, z)},
		{"sample format mix", buildTIFF(base(short(tagSamplesPerPixel, 2), short(tagSampleFormat, 1, 3), long(tagStripOffsets, 8), long(tagStripByteCounts, 1)), z)},
		{"IFD entry count past end", append([]byte("II*\x00\x08\x00\x00\x00"), 0xff, 0xff, 1, 1, 3, 0)},
		{"IFD offset past end", []byte("II*\x00\xff\xff\xff\x00")},
		{"BigTIFF with 4-byte offsets", []byte("II+\x00\x04\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00")},
		{"tag values past end", func() []byte {
			b := buildTIFF(base(long(tagRowsPerStrip, 40), tiffTag{tag: tagStripOffsets, typ: typeLong, ints: []uint64{8, 8, 8}}), nil)
			return b[:len(b)-4] // the offsets are the last values
		}()},
		{"PNG claiming 60000×60000", pngHeader(60000, 60000)},
		{"truncated", []byte("II*")},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".tif")
		if err := os.WriteFile(path, tt.file, 0o644); err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		err := openAndRead(path)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		t.Logf("%s: %v", tt.name, err)
		if !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error does not name the file: %v", tt.name, err)
		}
		var fe *FormatError
		var ue *UnsupportedError
		if !errors.As(err, &fe) && !errors.As(err, &ue) {
			t.Errorf("%s: %T is neither FormatError nor UnsupportedError: %v", tt.name, err, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("%s: allocated %d MB", tt.name, grew>>20)
		}
	}
}

// openAndRead opens path and reads a corner and the last row of it.
func openAndRead(path string) error {
	r, err := Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	in := r.Info()
	w, h := min(in.Width, 8), min(in.Height, 8)
	for _, at := range [][2]int{{0, 0}, {in.Width - w, in.Height - h}} {
		if err := r.ReadWindow(at[0], at[1], w, h, makeBands[float32](in.Bands, w*h)); err != nil {
			return err
		}
	}
	return nil
}

func pngHeader(w, h uint32) []byte {
	chunk := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 2, 0, 0, 0)
	b := binary.BigEndian.AppendUint32([]byte(pngMagic), 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}
