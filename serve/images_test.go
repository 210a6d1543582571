package serve

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/raster"
)

// sharedScenes are the real scenes in the shared data: JPEG-in-TIFF
// tiles and strips, LZW, Deflate, uncompressed, 16-bit, alpha, 4 bands.
var sharedScenes = []string{
	"scenes/2018_SJER_3_252000_4107000_image_477.tif",
	"scenes/5b90f92da0d7280005fab355_4310.tif",
	"scenes/RGB.byte.tif",
	"scenes/pix4d_alpha_nodata.tif",
	"scenes/rgb16.tif",
	"scenes/test_tiled.tif",
	"naip/m_4709963_se_14_1_20200831.tif",
}

// The fixtures in testdata were written by GDAL (testdata/gen.py); the PNG
// next to each holds the 8-bit RGB image GDAL's read of it converts to, by
// the rules tiffRGB documents. Each goes through /api/decode.
func TestDecodeTIFFUploads(t *testing.T) {
	s := New(&fakeRestorer{}, Config{Logger: quiet, MaxPixels: 1 << 16})
	tests := []struct {
		name      string
		w, h      int
		geo       bool
		tolerance int // per channel
	}{
		{"lzw_strips_rgb8", 64, 48, true, 0},
		{"lzw_pred2_rgb8", 57, 33, true, 0},
		{"deflate_tiles_rgb8", 70, 45, true, 0},
		{"packbits_gray8", 33, 17, true, 0},
		{"none_bigendian_rgb8", 31, 29, true, 0},
		{"lzw_pred2_tiles_rgb16", 40, 35, true, 0},
		{"deflate_naip_4band", 48, 40, true, 0},
		{"baseline_rgb8", 7, 1, false, 0},
		{"palette8", 23, 19, false, 0},
		{"jpeg_ycbcr_tiles", 80, 48, true, 3}, // IDCTs differ: raster/NOTES.md gives ≤ 3 from GDAL
		// What the server's first, own TIFF reader refused.
		{"deflate_planar_rgb8", 45, 37, true, 0},
		{"bigtiff_tiles_rgb8", 50, 41, true, 0},
		{"float32_pred3_rgb", 38, 27, true, 0},
		{"int16_gray", 29, 23, true, 0},
		{"miniswhite_gray8", 26, 19, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/decode", bytes.NewReader(readFixture(t, tt.name+".tif")))
			req.Header.Set("Content-Type", "image/tiff")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
			}
			if f, g := rec.Header().Get("X-Aerofill-Format"), rec.Header().Get("X-Aerofill-GeoTIFF"); f != "tiff" || g != fmt.Sprint(tt.geo) {
				t.Errorf("X-Aerofill-Format %q, X-Aerofill-GeoTIFF %q; want tiff, %v", f, g, tt.geo)
			}
			got, err := png.Decode(rec.Body)
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b != image.Rect(0, 0, tt.w, tt.h) {
				t.Fatalf("bounds %v, want %d×%d", b, tt.w, tt.h)
			}
			compareRGB(t, got, readPNG(t, tt.name+".png"), tt.tolerance)
		})
	}
}

// Every shared scene decodes to an image of its size that is not all black.
func TestDecodeSharedScenes(t *testing.T) {
	for _, name := range sharedScenes {
		data, err := os.ReadFile(shared.Path(t, "data/aerial", name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := readHeader("image", data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := decodeRGB("image", data, h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Rect != image.Rect(0, 0, h.width, h.height) || !h.geo {
			t.Errorf("%s: %v, geo %v; want %d×%d, geo", name, m.Rect, h.geo, h.width, h.height)
		}
		lit := 0
		for i := 0; i < len(m.Pix); i += 4 {
			if m.Pix[i]|m.Pix[i+1]|m.Pix[i+2] != 0 {
				lit++
			}
		}
		if lit < len(m.Pix)/8 {
			t.Errorf("%s: only %d of %d pixels are not black", name, lit, len(m.Pix)/4)
		}
	}
}

// BenchmarkDecodeTIFF decodes each shared scene as an upload: header,
// pixel check and conversion to 8-bit RGB.
func BenchmarkDecodeTIFF(b *testing.B) {
	for _, name := range sharedScenes {
		data, err := os.ReadFile(shared.Path(b, "data/aerial", name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(name), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				h, err := readHeader("image", data)
				if err == nil {
					_, err = decodeRGB("image", data, h)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecodeTIFFErrors checks the status and message of uploads that are
// not valid TIFFs, are valid but not handled, or are too large. header
// says the header and image directory are fine and only the pixels are
// not: those errors come from decoding, after the pixel limit.
func TestDecodeTIFFErrors(t *testing.T) {
	lzw := readFixture(t, "lzw_strips_rgb8.tif")
	gray := readFixture(t, "packbits_gray8.tif")
	tests := []struct {
		name   string
		data   []byte
		status int
		header bool
		substr string
	}{
		{"magic only", []byte("II*\x00\x00\x00\x00\x00"), 400, false, "cannot decode"},
		{"bigtiff header only", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), 400, false, "cannot decode"},
		{"ifd offset past end", []byte("II*\x00\xff\x00\x00\x00"), 400, false, "cannot decode"},
		{"truncated strips", lzw[:4000], 400, true, "pass the end"},
		{"strips absent", tiffHeader(t, 1000, 1000, 1<<31), 400, true, "pass the end"},
		{"tiles far larger than the image", withTag(t, readFixture(t, "deflate_tiles_rgb8.tif"), 322, 8192), 400, true, "tile"},
		{"rgb with one band", withTag(t, gray, 262, 2), 400, true, "RGB needs 3 bands, the image has 1"},
		{"palette without colour map", withTag(t, gray, 262, 3), 400, true, "palette of 0 entries"},
		{"unknown compression", withTag(t, lzw, 259, 99), 415, false, "compression 99"},
		{"old-style jpeg", withTag(t, lzw, 259, 6), 415, false, "old-style JPEG"},
		{"cmyk", withTag(t, lzw, 262, 5), 415, true, "photometric interpretation 5"},
		{"too many pixels", tiffHeaderOnly(t, 1<<20+1, 1), 413, true, "1048577×1 = 1048577 pixels, more than the limit of 1048576"},
		{"huge claim", tiffHeaderOnly(t, 1<<24, 1<<24), 413, true, "16777216×16777216"},
	}
	s := New(&fakeRestorer{}, Config{Logger: quiet, MaxPixels: 1 << 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readHeader("image", tt.data)
			if (err == nil) != tt.header {
				t.Errorf("readHeader error %v, want header ok = %v", err, tt.header)
			}
			req := httptest.NewRequest("POST", "/api/restore", bytes.NewReader(tt.data))
			req.Header.Set("Content-Type", "image/tiff")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.substr) {
				t.Errorf("status %d %s, want %d and %q", rec.Code, rec.Body.Bytes(), tt.status, tt.substr)
			}
		})
	}
}

// A header that claims a huge image is answered 413 from its header: the
// raster reader reads the header and image directory on open and nothing
// is allocated for the pixels the header claims.
func TestHugeTIFFClaimAllocatesNothing(t *testing.T) {
	s := New(&fakeRestorer{}, Config{Logger: quiet})
	data := tiffHeaderOnly(t, 1<<24, 1<<24) // 2^48 pixels in 122 bytes
	serve := func() int {
		req := httptest.NewRequest("POST", "/api/restore", bytes.NewReader(data))
		req.Header.Set("Content-Type", "image/tiff")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	serve() // warm up lazily built state
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	code := serve()
	runtime.ReadMemStats(&after)
	if code != 413 {
		t.Fatalf("status %d, want 413", code)
	}
	n := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d bytes allocated", n)
	if n > 1<<20 {
		t.Errorf("answering a %d-byte upload allocated %d bytes", len(data), n)
	}
}

// encodeTIFF's output reads back as the image it was given, over awkward
// sizes; a non-RGBA image goes through its colour model as draw.Draw
// converts it, and its alpha is dropped.
func TestEncodeTIFFRoundTrip(t *testing.T) {
	for _, size := range [][2]int{{1, 1}, {7, 3}, {33, 257}, {257, 33}, {1000, 70}, {1, 1100}} {
		r := image.Rect(0, 0, size[0], size[1])
		m := image.NewRGBA(r)
		g := image.NewGray16(r.Add(image.Pt(5, -3))) // not at the origin
		rnd := rand.New(rand.NewPCG(uint64(size[0]), uint64(size[1])))
		for i := range m.Pix {
			m.Pix[i] = uint8(rnd.Uint32())
			if i%4 == 3 {
				m.Pix[i] = 255
			}
		}
		for i := range g.Pix {
			g.Pix[i] = uint8(rnd.Uint32())
		}
		for name, in := range map[string]image.Image{"rgba": m, "gray16": g} {
			data, err := encodeTIFF(in)
			if err != nil {
				t.Fatalf("%s %v: %v", name, size, err)
			}
			got, err := decodeTIFF(data)
			if err != nil {
				t.Fatalf("%s %v: %v", name, size, err)
			}
			if !sameRGB(got, in) {
				t.Errorf("%s %v: round trip changed pixels", name, size)
			}
		}
	}
}

// FuzzDecodeTIFF feeds arbitrary bytes to the upload decoding: it never
// panics, answers only 400, 413 or 415, and an image it decodes has the
// size its header gave.
func FuzzDecodeTIFF(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.tif")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := readHeader("image", data)
		if err == nil {
			err = checkPixels("image", h, 1<<16) // small, so that executions stay fast
		}
		if err == nil {
			var m *image.RGBA
			if m, err = decodeRGB("image", data, h); err == nil {
				if b := m.Bounds(); b != image.Rect(0, 0, h.width, h.height) {
					t.Fatalf("decoded %v, header said %d×%d", b, h.width, h.height)
				}
				return
			}
		}
		var ae *apiError
		if !errors.As(err, &ae) || !slices.Contains([]int{400, 413, 415}, ae.status) {
			t.Fatalf("error %v is not a 400, 413 or 415", err)
		}
	})
}

func TestTo8(t *testing.T) {
	tests := []struct {
		typ  raster.SampleType
		in   []float32
		want []uint8
	}{
		{raster.Uint8, []float32{0, 1, 127, 255}, []uint8{0, 1, 127, 255}},
		{raster.Int8, []float32{-128, -1, 0, 1, 64, 127}, []uint8{0, 0, 0, 2, 128, 254}},
		{raster.Uint16, []float32{0, 255, 256, 32767, 32768, 65535}, []uint8{0, 0, 1, 127, 128, 255}},
		{raster.Int16, []float32{-32768, -1, 127, 128, 16384, 32767}, []uint8{0, 0, 0, 1, 128, 255}},
		{raster.Uint32, []float32{1<<24 - 1, 1 << 24, 1 << 31, math.MaxUint32}, []uint8{0, 1, 128, 255}},
		{raster.Int32, []float32{-1 << 31, 1 << 23, 1 << 30, math.MaxInt32}, []uint8{0, 1, 128, 255}},
		{raster.Float32, []float32{float32(math.NaN()), float32(math.Inf(-1)), -0.5, 0, 0.5 / 255, 0.5, 1, 1.5, float32(math.Inf(1))},
			[]uint8{0, 0, 0, 0, 1, 128, 255, 255, 255}},
		{raster.Float64, []float32{0.2, 0.998}, []uint8{51, 254}},
	}
	for _, tt := range tests {
		scale, bias := to8Scale(tt.typ)
		for i, v := range tt.in {
			if got := to8(v, scale, bias); got != tt.want[i] {
				t.Errorf("%v %v → %d, want %d", tt.typ, v, got, tt.want[i])
			}
		}
	}
}

// tiffHeader is a little-endian TIFF of one w×h 8-bit gray strip at
// offset stripOffset, holding nothing past its image directory.
func tiffHeader(t testing.TB, w, h int, stripOffset uint32) []byte {
	t.Helper()
	type entry struct {
		tag, typ uint16
		v        uint32
	}
	const short, long = 3, 4
	entries := []entry{
		{256, long, uint32(w)},
		{257, long, uint32(h)},
		{258, short, 8},
		{259, short, 1},
		{262, short, 1},
		{273, long, stripOffset},
		{277, short, 1},
		{278, long, uint32(h)},
		{279, long, uint32(min(uint64(w)*uint64(h), math.MaxUint32))},
	}
	b := binary.LittleEndian.AppendUint32([]byte("II*\x00"), 8)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = binary.LittleEndian.AppendUint16(b, e.tag)
		b = binary.LittleEndian.AppendUint16(b, e.typ)
		b = binary.LittleEndian.AppendUint32(b, 1)
		if e.typ == short {
			b = binary.LittleEndian.AppendUint16(b, uint16(e.v))
			b = append(b, 0, 0)
		} else {
			b = binary.LittleEndian.AppendUint32(b, e.v)
		}
	}
	return binary.LittleEndian.AppendUint32(b, 0) // no next directory
}

// withTag returns a copy of a little-endian TIFF with the inline SHORT or
// LONG value of tag set to v.
func withTag(t testing.TB, data []byte, tag uint16, v uint32) []byte {
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
		case 3:
			binary.LittleEndian.PutUint16(e[8:], uint16(v))
		case 4:
			binary.LittleEndian.PutUint32(e[8:], v)
		default:
			t.Fatalf("withTag: tag %d is not a SHORT or LONG", tag)
		}
		return data
	}
	t.Fatalf("withTag: no tag %d", tag)
	return nil
}

// decodeTIFF reads an 8-bit RGB TIFF with the raster package directly,
// to check encodeTIFF without going through the code under test.
func decodeTIFF(data []byte) (*image.RGBA, error) {
	r, err := raster.NewReader(bytes.NewReader(data), int64(len(data)), raster.OpenOptions{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	in := r.Info()
	if in.Bands != 3 || in.Type != raster.Uint8 || in.Photometric != raster.PhotometricRGB {
		return nil, fmt.Errorf("%d bands of %v, photometric %d; want 8-bit RGB", in.Bands, in.Type, in.Photometric)
	}
	n := in.Width * in.Height
	bands := [][]uint8{make([]uint8, n), make([]uint8, n), make([]uint8, n)}
	if err := r.ReadWindowNative(0, 0, in.Width, in.Height, bands); err != nil {
		return nil, err
	}
	m := image.NewRGBA(image.Rect(0, 0, in.Width, in.Height))
	for i := range n {
		m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = bands[0][i], bands[1][i], bands[2][i], 255
	}
	return m, nil
}

func readPNG(t testing.TB, name string) image.Image {
	t.Helper()
	m, err := png.Decode(bytes.NewReader(readFixture(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// compareRGB compares the colour channels of two same-sized images,
// allowing tolerance per channel.
func compareRGB(t *testing.T, got, want image.Image, tolerance int) {
	t.Helper()
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	bad := 0
	g0, w0 := got.Bounds().Min, want.Bounds().Min
	for y := 0; y < want.Bounds().Dy(); y++ {
		for x := 0; x < want.Bounds().Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(g0.X+x, g0.Y+y)).(color.NRGBA)
			w := color.NRGBAModel.Convert(want.At(w0.X+x, w0.Y+y)).(color.NRGBA)
			if absDiff(g.R, w.R) > tolerance || absDiff(g.G, w.G) > tolerance || absDiff(g.B, w.B) > tolerance || g.A != 255 {
				if bad < 3 {
					t.Errorf("pixel (%d,%d) = %v, want %v", x, y, g, w)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d pixels differ", bad, want.Bounds().Dx()*want.Bounds().Dy())
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
