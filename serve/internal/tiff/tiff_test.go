package tiff

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures in testdata were written by GDAL (testdata/gen.py); the PNG
// next to each holds the pixels GDAL read back, in the form Decode returns.
func TestDecodeGDALFixtures(t *testing.T) {
	tests := []struct {
		name        string
		w, h        int
		compression int
		tiled, geo  bool
		tolerance   int // per channel: JPEG decoders round differently
	}{
		{"lzw_strips_rgb8", 64, 48, CompressionLZW, false, true, 0},
		{"lzw_pred2_rgb8", 57, 33, CompressionLZW, false, true, 0},
		{"deflate_tiles_rgb8", 70, 45, CompressionDeflate, true, true, 0},
		{"packbits_gray8", 33, 17, CompressionPackBits, false, true, 0},
		{"none_bigendian_rgb8", 31, 29, CompressionNone, false, true, 0},
		{"lzw_pred2_tiles_rgb16", 40, 35, CompressionLZW, true, true, 0},
		{"deflate_naip_4band", 48, 40, CompressionDeflate, false, true, 0},
		{"baseline_rgb8", 7, 1, CompressionNone, false, false, 0},
		{"palette8", 23, 19, CompressionLZW, false, false, 0},
		{"jpeg_ycbcr_tiles", 80, 48, CompressionJPEG, true, true, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readFile(t, tt.name+".tif")
			cfg, err := DecodeConfig(data)
			if err != nil {
				t.Fatalf("DecodeConfig: %v", err)
			}
			if cfg.Width != tt.w || cfg.Height != tt.h || cfg.Compression != tt.compression || cfg.Tiled != tt.tiled || cfg.Geo != tt.geo {
				t.Errorf("DecodeConfig = %+v, want %d×%d compression %d tiled %v geo %v", cfg, tt.w, tt.h, tt.compression, tt.tiled, tt.geo)
			}
			got, err := Decode(data, 1<<20)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			want, err := png.Decode(bytes.NewReader(readFile(t, tt.name+".png")))
			if err != nil {
				t.Fatal(err)
			}
			compareRGB(t, got, want, tt.tolerance)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	lzw := readFile(t, "lzw_strips_rgb8.tif")
	tests := []struct {
		name      string
		data      []byte
		maxPixels int
		unsup     bool   // want an UnsupportedError
		format    bool   // want a FormatError
		substr    string // in the message
	}{
		{"empty", nil, 1 << 20, false, true, "short header"},
		{"png", []byte("\x89PNG\r\n\x1a\n0000"), 1 << 20, false, true, "bad magic"},
		{"bigtiff", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00"), 1 << 20, true, false, "BigTIFF"},
		{"float samples", readFile(t, "float32.tif"), 1 << 20, true, false, "32 bits per sample"},
		{"truncated", lzw[:len(lzw)*2/3], 1 << 20, false, true, ""},
		{"too many pixels", lzw, 64*48 - 1, false, false, "more than"},
		{"ifd offset past end", []byte("II*\x00\xff\x00\x00\x00"), 1 << 20, false, true, "IFD offset"},
		{"tiles far larger than the image", withTag(t, readFile(t, "deflate_tiles_rgb8.tif"), tagTileWidth, 8192), 1 << 20, false, true, "8192×16 tiles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.data, tt.maxPixels)
			if err == nil {
				t.Fatal("Decode succeeded")
			}
			var ue UnsupportedError
			var fe FormatError
			if tt.unsup != errors.As(err, &ue) || tt.format != errors.As(err, &fe) {
				t.Errorf("error %v (%T): want unsupported=%v format=%v", err, err, tt.unsup, tt.format)
			}
			if !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("error %q does not mention %q", err, tt.substr)
			}
		})
	}
}

// A header that claims a huge image must be refused before its pixels are
// allocated, whatever the limit the caller passes.
func TestDecodeHugeHeaderDoesNotAllocate(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, image.NewRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	setLong(data, tagImageWidth, 1<<24)
	setLong(data, tagImageLength, 1<<24)
	cfg, err := DecodeConfig(data)
	if err != nil || cfg.Width != 1<<24 {
		t.Fatalf("DecodeConfig = %+v, %v", cfg, err)
	}
	allocs := testing.AllocsPerRun(1, func() { _, err = Decode(data, 1<<62) })
	if err == nil {
		t.Fatal("Decode of a 2^48-pixel claim backed by 18 bytes succeeded")
	}
	if allocs > 50 {
		t.Errorf("%v allocations", allocs)
	}
}

// withTag returns a copy of a little-endian TIFF with the inline SHORT or
// LONG value of tag set to v.
func withTag(t *testing.T, data []byte, tag uint16, v uint32) []byte {
	t.Helper()
	data = bytes.Clone(data)
	if string(data[:4]) != "II*\x00" {
		t.Fatal("withTag: not a little-endian TIFF")
	}
	off := int(binary.LittleEndian.Uint32(data[4:]))
	n := int(binary.LittleEndian.Uint16(data[off:]))
	for i := 0; i < n; i++ {
		e := data[off+2+12*i:]
		if binary.LittleEndian.Uint16(e) != tag {
			continue
		}
		switch binary.LittleEndian.Uint16(e[2:]) {
		case dtShort:
			binary.LittleEndian.PutUint16(e[8:], uint16(v))
		case dtLong:
			binary.LittleEndian.PutUint32(e[8:], v)
		}
		return data
	}
	t.Fatalf("withTag: no tag %d", tag)
	return nil
}

// setLong overwrites the inline value of a LONG tag in a file written by
// Encode (little-endian, IFD at offset 8).
func setLong(data []byte, tag uint16, v uint32) {
	n := int(data[8]) | int(data[9])<<8
	for i := 0; i < n; i++ {
		e := data[10+12*i:]
		if uint16(e[0])|uint16(e[1])<<8 == tag {
			e[8], e[9], e[10], e[11] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {7, 3}, {33, 257}, {257, 33}, {1000, 70}} {
		m := image.NewRGBA(image.Rect(0, 0, size[0], size[1]))
		r := rand.New(rand.NewPCG(uint64(size[0]), uint64(size[1])))
		for i := range m.Pix {
			m.Pix[i] = uint8(r.Uint32())
			if i%4 == 3 {
				m.Pix[i] = 255
			}
		}
		var buf bytes.Buffer
		if err := Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
		got, err := Decode(buf.Bytes(), size[0]*size[1])
		if err != nil {
			t.Fatalf("%v: %v", size, err)
		}
		if !bytes.Equal(got.Pix, m.Pix) {
			t.Errorf("%v: round trip changed pixels", size)
		}
	}
}

// lzwEncode is a plain TIFF LZW encoder (dictionary keyed by string) used to
// check lzwDecode on data GDAL's fixtures do not cover: long inputs that
// fill the table and force clear codes, and every code width.
func lzwEncode(src []byte) []byte {
	var out []byte
	var acc uint64
	var nbits uint
	width := uint(9)
	put := func(code int) {
		acc |= uint64(code) << (64 - width - nbits)
		nbits += width
		for nbits >= 8 {
			out = append(out, byte(acc>>56))
			acc <<= 8
			nbits -= 8
		}
	}
	var dict map[string]int
	next := 0
	reset := func() {
		dict = map[string]int{}
		for i := 0; i < 256; i++ {
			dict[string([]byte{byte(i)})] = i
		}
		put(256)
		width, next = 9, 258
	}
	bump := func() { // as the decoder will, one code later
		next++
		if next > 1<<width-1 && width < 12 {
			width++
		}
	}
	reset()
	w := ""
	for _, c := range src {
		wc := w + string([]byte{c})
		if _, ok := dict[wc]; ok {
			w = wc
			continue
		}
		put(dict[w])
		dict[wc] = next
		bump()
		if next >= 4094 {
			reset()
		}
		w = string([]byte{c})
	}
	if w != "" {
		put(dict[w])
		bump()
	}
	put(257)
	if nbits > 0 {
		out = append(out, byte(acc>>56))
	}
	return out
}

func TestLZWDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 33, 257, 5000, 100000} {
		for _, kind := range []string{"random", "runs", "text"} {
			src := make([]byte, n)
			for i := range src {
				switch kind {
				case "random":
					src[i] = byte(r.Uint32())
				case "runs":
					src[i] = byte(i / 97 % 3)
				case "text":
					src[i] = "aerial imagery with black lines "[i%32] ^ byte(i/1000)
				}
			}
			enc := lzwEncode(src)
			prefix := []byte("kept")
			got, err := lzwDecode(prefix, enc, n)
			if err != nil || len(got) != n+4 || string(got[:4]) != "kept" || !bytes.Equal(got[4:], src) {
				t.Errorf("%s %d: decoded %d bytes, err %v", kind, n, len(got)-4, err)
			}
			// A limit stops the output exactly there.
			if got, err := lzwDecode(nil, enc, n/2); err != nil || !bytes.Equal(got, src[:n/2]) {
				t.Errorf("%s %d: limit %d gave %d bytes, err %v", kind, n, n/2, len(got), err)
			}
		}
	}
}

func TestPackBitsDecode(t *testing.T) {
	// The example from the TIFF 6.0 specification, section 9.
	src := []byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA}
	want := []byte{0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}
	got, err := packBitsDecode(nil, src, 100)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("got %x (%v), want %x", got, err, want)
	}
	for limit := range len(want) {
		if got, _ := packBitsDecode(nil, src, limit); !bytes.Equal(got, want[:limit]) {
			t.Errorf("limit %d: got %x", limit, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.tif")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeConfig(data)
		m, derr := Decode(data, 1<<16) // small, so that executions stay fast
		if err != nil {
			if derr == nil {
				t.Fatalf("DecodeConfig failed (%v) but Decode succeeded", err)
			}
			return
		}
		if derr != nil {
			return
		}
		if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
			t.Fatalf("Decode gave %v, DecodeConfig %d×%d", b, cfg.Width, cfg.Height)
		}
	})
}

func FuzzLZWDecode(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbababababa"), 64)
	f.Fuzz(func(t *testing.T, data []byte, n int) {
		n = n & 0xffff
		got, err := lzwDecode(nil, data, n)
		if len(got) > n {
			t.Fatalf("lzwDecode gave %d bytes, limit %d (err %v)", len(got), n, err)
		}
		// Round trip whatever came in as plain data.
		enc := lzwEncode(data)
		if back, err := lzwDecode(nil, enc, len(data)); err != nil || !bytes.Equal(back, data) {
			t.Fatalf("round trip of %d bytes: %d, %v", len(data), len(back), err)
		}
	})
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func compareRGB(t *testing.T, got *image.RGBA, want image.Image, tolerance int) {
	t.Helper()
	if got.Bounds() != want.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	bad := 0
	b := want.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := want.At(x, y).RGBA()
			p := got.Pix[got.PixOffset(x, y):]
			if absDiff(p[0], r) > tolerance || absDiff(p[1], g) > tolerance || absDiff(p[2], bl) > tolerance || p[3] != 255 {
				if bad < 3 {
					t.Errorf("pixel (%d,%d) = %v, want %d %d %d", x, y, p[:4], r>>8, g>>8, bl>>8)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pixels differ", bad, b.Dx()*b.Dy())
	}
}

func absDiff(a uint8, b16 uint32) int {
	d := int(a) - int(b16>>8)
	if d < 0 {
		return -d
	}
	return d
}
