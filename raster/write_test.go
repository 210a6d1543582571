package raster

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var allTypes = []SampleType{Uint8, Int8, Uint16, Int16, Uint32, Int32, Float32, Float64}

// randomBands returns nb bands of n samples of type t as [][]T, with the
// type's extremes among random values.
func randomBands(t SampleType, nb, n int, seed uint64) any {
	rng := rand.New(rand.NewPCG(seed, uint64(t)))
	bands := makeNative(t, nb, n)
	lo, hi := t.Range()
	for b := 0; b < nb; b++ {
		for i := 0; i < n; i++ {
			var v float64
			switch {
			case i == 0:
				v = lo
			case i == 1:
				v = hi
			case t.IsFloat():
				v = rng.NormFloat64() * 1e6
			default:
				v = math.Floor(lo + rng.Float64()*(hi-lo+1))
				v = math.Min(v, hi)
			}
			setNative(bands, b, i, v)
		}
	}
	return bands
}

func setNative(bands any, b, i int, v float64) {
	switch s := bands.(type) {
	case [][]uint8:
		s[b][i] = uint8(v)
	case [][]int8:
		s[b][i] = int8(v)
	case [][]uint16:
		s[b][i] = uint16(v)
	case [][]int16:
		s[b][i] = int16(v)
	case [][]uint32:
		s[b][i] = uint32(v)
	case [][]int32:
		s[b][i] = int32(v)
	case [][]float32:
		if math.IsInf(v, 0) {
			v = math.Copysign(math.MaxFloat32, v)
		}
		s[b][i] = float32(v)
	case [][]float64:
		if math.IsInf(v, 0) {
			v = math.Copysign(math.MaxFloat64, v)
		}
		s[b][i] = v
	}
}

// subWindow returns the (x0, y0, w, h) window of a w0-wide band set.
func subWindow(bands any, w0, x0, y0, w, h int) any {
	v := reflect.ValueOf(bands)
	out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	for b := 0; b < v.Len(); b++ {
		src := v.Index(b)
		dst := reflect.MakeSlice(src.Type(), w*h, w*h)
		for y := 0; y < h; y++ {
			reflect.Copy(dst.Slice(y*w, y*w+w), src.Slice((y0+y)*w0+x0, (y0+y)*w0+x0+w))
		}
		out.Index(b).Set(dst)
	}
	return out.Interface()
}

// writeInPieces writes bands through w in windows of a random grid, in a
// random order.
func writeInPieces(t testing.TB, w Writer, bands any, width, height int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	cuts := func(n int) []int {
		c := []int{0}
		for c[len(c)-1] < n {
			c = append(c, min(n, c[len(c)-1]+1+rng.IntN(20)))
		}
		return c
	}
	xs, ys := cuts(width), cuts(height)
	type win struct{ x, y, w, h int }
	var wins []win
	for j := 0; j+1 < len(ys); j++ {
		for i := 0; i+1 < len(xs); i++ {
			wins = append(wins, win{xs[i], ys[j], xs[i+1] - xs[i], ys[j+1] - ys[j]})
		}
	}
	rng.Shuffle(len(wins), func(i, j int) { wins[i], wins[j] = wins[j], wins[i] })
	for _, q := range wins {
		if err := w.WriteWindowNative(q.x, q.y, q.w, q.h, subWindow(bands, width, q.x, q.y, q.w, q.h)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRoundTrip writes every type with every compression, predictor and
// layout, in windows of random sizes and order, and reads it back exactly.
func TestRoundTrip(t *testing.T) {
	const width, height, nb = 37, 29, 3
	dir := t.TempDir()
	for _, typ := range allTypes {
		for _, comp := range []string{"none", "deflate", "lzw"} {
			preds := []int{1}
			if comp != "none" {
				preds = append(preds, 2)
				if typ.IsFloat() {
					preds = append(preds, 3)
				}
			}
			for _, pred := range preds {
				for _, strips := range []bool{false, true} {
					name := fmt.Sprintf("%v_%s_p%d_strips%v", typ, comp, pred, strips)
					t.Run(name, func(t *testing.T) {
						path := filepath.Join(dir, name+".tif")
						bands := randomBands(typ, nb, width*height, 7)
						info := Info{Width: width, Height: height, Bands: nb, Type: typ}
						opt := WriteOptions{Compression: comp, Predictor: pred, TileWidth: 16, TileHeight: 16, Strips: strips, RowsPerStrip: 5}
						w, err := Create(path, info, opt)
						if err != nil {
							t.Fatal(err)
						}
						writeInPieces(t, w, bands, width, height, uint64(len(name)))
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
						r, err := Open(path)
						if err != nil {
							t.Fatal(err)
						}
						defer r.Close()
						got := r.Info()
						if got.Type != typ || got.Predictor != pred || (got.TileWidth == 0) != strips {
							t.Errorf("info %+v", got)
						}
						if !bytes.Equal(readNative(t, r), nativeBytes(bands)) {
							t.Error("samples differ after the round trip")
						}
					})
				}
			}
		}
	}
}

// TestStoreFloat32MatchesReference compares the fast float32-to-type
// conversions with clampRound over awkward lengths and awkward values.
func TestStoreFloat32MatchesReference(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 0.5, -0.5, 1.5, 2.5, -2.5, 0.49999997, 254.5, 255.49, 255.5, 256, -1,
		65534.5, 65535.5, 1e10, -1e10, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		127.5, -128.5, 32767.5, -32768.6, 2147483520, -2147483648, 4294967040}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, typ := range allTypes {
		for _, n := range []int{1, 7, 33, 257} {
			src := make([]float32, n)
			for i := range src {
				if i < len(special) {
					src[i] = special[(i+n)%len(special)]
				} else {
					src[i] = float32(rng.NormFloat64() * 1e5)
				}
			}
			const step = 3 * 8
			dst := make([]byte, n*step)
			storeFloat32(dst, step, src, typ)
			want := make([]byte, n*step)
			for i, v := range src {
				storeValue(want[i*step:], 0, float64(v), typ, 1)
			}
			if !bytes.Equal(dst, want) {
				for i := range src {
					a, b := dst[i*step:i*step+typ.Size()], want[i*step:i*step+typ.Size()]
					if !bytes.Equal(a, b) {
						t.Fatalf("%v n=%d: %v stored as % x, reference % x", typ, n, src[i], a, b)
					}
				}
			}
		}
	}
}

func TestClampRound(t *testing.T) {
	tests := []struct {
		v    float64
		t    SampleType
		want float64
	}{
		{0.5, Uint8, 1}, {1.5, Uint8, 2}, {2.5, Uint8, 3}, {-0.5, Int16, -1}, {-2.5, Int16, -3},
		{300, Uint8, 255}, {-3, Uint8, 0}, {math.NaN(), Int32, 0}, {math.Inf(1), Uint16, 65535},
		{-200, Int8, -128}, {1e12, Uint32, math.MaxUint32}, {-1e12, Int32, math.MinInt32}, {1.25, Float32, 1.25},
	}
	for _, tt := range tests {
		if got := clampRound(tt.v, tt.t); got != tt.want {
			t.Errorf("clampRound(%v, %v) = %v, want %v", tt.v, tt.t, got, tt.want)
		}
	}
}

// TestPredictorsMatchReference compares the predictors with per-sample
// reference versions over awkward row lengths, and checks the inverses.
func TestPredictorsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, size := range []int{1, 2, 4, 8} {
		for _, spp := range []int{1, 3, 4} {
			for _, width := range []int{1, 7, 33, 257} {
				rowBytes := width * spp * size
				orig := make([]byte, rowBytes*3)
				for i := range orig {
					orig[i] = byte(rng.IntN(256))
				}
				// Horizontal: sample i of a row is the sum of samples
				// i, i-spp, i-2spp, ... of the differenced row, mod 2^bits.
				diffd := bytes.Clone(orig)
				applyHorizontal(diffd, rowBytes, spp, size)
				mask := uint64(1)<<(8*size) - 1
				if size == 8 {
					mask = math.MaxUint64
				}
				for r := 0; r < 3; r++ {
					for i := 0; i < width*spp; i++ {
						var sum uint64
						for k := i; k >= 0; k -= spp {
							sum += getLE(diffd[r*rowBytes+k*size:], size)
						}
						if want := getLE(orig[r*rowBytes+i*size:], size); sum&mask != want {
							t.Fatalf("horizontal size %d spp %d width %d: sample %d", size, spp, width, i)
						}
					}
				}
				back := bytes.Clone(diffd)
				undoHorizontal(back, rowBytes, spp, size)
				if !bytes.Equal(back, orig) {
					t.Fatalf("undoHorizontal size %d spp %d width %d", size, spp, width)
				}
				if size < 4 {
					continue
				}
				// Floating point: byte plane b of the shuffled row holds the
				// b-th most significant byte of each sample, then bytes are
				// differenced spp apart.
				tmp := make([]byte, rowBytes)
				fp := bytes.Clone(orig)
				applyFloatingPoint(fp, rowBytes, spp, size, tmp)
				n := width * spp
				for r := 0; r < 3; r++ {
					row := fp[r*rowBytes : (r+1)*rowBytes]
					shuffled := make([]byte, rowBytes)
					for i := range shuffled {
						var s byte
						for k := i; k >= 0; k -= spp {
							s += row[k]
						}
						shuffled[i] = s
					}
					for i := 0; i < n; i++ {
						for b := 0; b < size; b++ {
							if shuffled[b*n+i] != orig[r*rowBytes+i*size+size-1-b] {
								t.Fatalf("floating point size %d spp %d width %d: sample %d byte %d", size, spp, width, i, b)
							}
						}
					}
				}
				undoFloatingPoint(fp, rowBytes, spp, size, tmp)
				if !bytes.Equal(fp, orig) {
					t.Fatalf("undoFloatingPoint size %d spp %d width %d", size, spp, width)
				}
			}
		}
	}
}

func getLE(b []byte, size int) uint64 {
	var v uint64
	for i := size - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func TestSetBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	s := make([]uint64, 10)
	ref := make([]bool, 640)
	for k := 0; k < 500; k++ {
		i := rng.IntN(640)
		n := rng.IntN(640 - i + 1)
		want := 0
		for j := i; j < i+n; j++ {
			if !ref[j] {
				want++
				ref[j] = true
			}
		}
		if got := setBits(s, i, n); got != want {
			t.Fatalf("setBits(%d, %d) = %d, want %d", i, n, got, want)
		}
	}
}

// TestUnwrittenPixels checks that pixels never written read as the nodata
// value (or 0 without one), and that a window written twice before its
// tile completes keeps the second write.
func TestUnwrittenPixels(t *testing.T) {
	for _, nodata := range []string{"", "-999", "nan"} {
		path := filepath.Join(t.TempDir(), "part.tif")
		info := Info{Width: 40, Height: 30, Bands: 2, Type: Float32, NoDataText: nodata}
		w, err := Create(path, info, WriteOptions{TileWidth: 16, TileHeight: 16})
		if err != nil {
			t.Fatal(err)
		}
		one := [][]float32{{1, 1, 1, 1}, {2, 2, 2, 2}}
		two := [][]float32{{3, 3, 3, 3}, {4, 4, 4, 4}}
		if err := w.WriteWindow(5, 5, 2, 2, one); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteWindow(5, 5, 2, 2, two); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := readAllFloat(t, path, 0)
		fill := float32(0)
		if nd := parseNoData(nodata); nd != nil {
			fill = float32(*nd)
		}
		for b := range got {
			for i, v := range got[b] {
				x, y := i%40, i/40
				want := fill
				if x >= 5 && x < 7 && y >= 5 && y < 7 {
					want = float32(3 + b)
				}
				if v != want && !(v != v && want != want) {
					t.Fatalf("nodata %q: band %d (%d,%d) = %v, want %v", nodata, b, x, y, v, want)
				}
			}
		}
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	info := Info{Width: 32, Height: 32, Bands: 1, Type: Uint8}
	bad := []struct {
		name string
		info Info
		opt  WriteOptions
	}{
		{"zero width", Info{Height: 3, Bands: 1, Type: Uint8}, WriteOptions{}},
		{"no type", Info{Width: 3, Height: 3, Bands: 1}, WriteOptions{}},
		{"compression", info, WriteOptions{Compression: "jpeg"}},
		{"predictor 3 on ints", info, WriteOptions{Predictor: 3, Compression: "lzw"}},
		{"predictor without compression", info, WriteOptions{Predictor: 2, Compression: "none"}},
		{"tile not multiple of 16", info, WriteOptions{TileWidth: 20, TileHeight: 16}},
		{"level", info, WriteOptions{Level: 12}},
		{"format", info, WriteOptions{Format: "BMP"}},
		{"png of floats", Info{Width: 3, Height: 3, Bands: 1, Type: Float32}, WriteOptions{Format: "PNG"}},
		{"png of 2 bands", Info{Width: 3, Height: 3, Bands: 2, Type: Uint8}, WriteOptions{Format: "PNG"}},
	}
	for _, tt := range bad {
		if w, err := Create(filepath.Join(dir, "x.tif"), tt.info, tt.opt); err == nil {
			w.Abort()
			t.Errorf("%s: no error", tt.name)
		}
	}

	w, err := Create(filepath.Join(dir, "y.tif"), info, WriteOptions{TileWidth: 16, TileHeight: 16})
	if err != nil {
		t.Fatal(err)
	}
	tile := [][]float32{make([]float32, 256)}
	if err := w.WriteWindow(0, 0, 16, 16, tile); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteWindow(15, 15, 1, 1, tile); err == nil {
		t.Error("rewriting a complete tile: no error")
	}
	if err := w.WriteWindow(20, 20, 16, 16, tile); err == nil {
		t.Error("window past the edge: no error")
	}
	if err := w.WriteWindowNative(16, 0, 16, 16, [][]uint16{make([]uint16, 256)}); err == nil {
		t.Error("native write of the wrong type: no error")
	}
	w.Abort()
}

// TestAtomicWrite checks that the output appears only on Close, that Abort
// and failures leave an existing file untouched, and that no temporary
// files remain.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tif")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	info := Info{Width: 20, Height: 20, Bands: 1, Type: Uint8}
	data := [][]float32{make([]float32, 400)}

	w, err := Create(path, info, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.WriteWindow(0, 0, 20, 20, data)
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("output replaced before Close")
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Fatal("Abort changed the output")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after Abort: no error")
	}

	w, err = Create(path, info, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.WriteWindow(0, 0, 20, 20, data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err := Open(path); err != nil {
		t.Fatal(err)
	} else {
		r.Close()
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestForcedBigTIFF writes a small BigTIFF and reads it back.
func TestForcedBigTIFF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.tif")
	bands := randomBands(Uint16, 2, 50*40, 3)
	w, err := Create(path, Info{Width: 50, Height: 40, Bands: 2, Type: Uint16}, WriteOptions{BigTIFF: true, Compression: "lzw", Predictor: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteWindowNative(0, 0, 50, 40, bands); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	head, _ := os.ReadFile(path)
	if string(head[:4]) != "II+\x00" {
		t.Fatalf("header % x, want a BigTIFF", head[:8])
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Info().BigTIFF || !bytes.Equal(readNative(t, r), nativeBytes(bands)) {
		t.Error("BigTIFF round trip failed")
	}
}

// TestMetadataRoundTrip checks that what Create is documented to keep
// comes back from Open.
func TestMetadataRoundTrip(t *testing.T) {
	nd := -1e4
	in := Info{
		Width: 33, Height: 17, Bands: 4, Type: Uint8, Photometric: PhotometricRGB,
		NoData: &nd, NoDataText: "-10000", ExtraSamples: []int{ExtraUnassAlpha},
		Geo: &Geo{
			PixelScale: []float64{0.25, 0.25, 0},
			Tiepoint:   []float64{0, 0, 0, 127375, 428250, 0},
			GeoKeys:    []uint16{1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 1, 1026, 34737, 20, 0, 3072, 0, 1, 28992},
			GeoDoubles: []float64{6378137, 298.257223563},
			GeoASCII:   "Amersfoort / RD New|",
		},
		GDALMetadata: "<GDALMetadata>\n  <Item name=\"COLORINTERP\" sample=\"3\" role=\"colorinterp\">Undefined</Item>\n</GDALMetadata>\n",
		TIFFMetadata: map[string]string{"TIFFTAG_SOFTWARE": "aerofill", "TIFFTAG_XRESOLUTION": "72.5", "TIFFTAG_YRESOLUTION": "72", "TIFFTAG_RESOLUTIONUNIT": "2"},
	}
	path := filepath.Join(t.TempDir(), "md.tif")
	w, err := Create(path, in, WriteOptions{Strips: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := r.Info()
	if !reflect.DeepEqual(got.Geo, in.Geo) {
		t.Errorf("geo %+v\nwant %+v", got.Geo, in.Geo)
	}
	if got.NoDataText != in.NoDataText || *got.NoData != nd || got.GDALMetadata != in.GDALMetadata {
		t.Errorf("nodata %q %v, metadata %q", got.NoDataText, *got.NoData, got.GDALMetadata)
	}
	if !reflect.DeepEqual(got.TIFFMetadata, in.TIFFMetadata) {
		t.Errorf("TIFF metadata %v, want %v", got.TIFFMetadata, in.TIFFMetadata)
	}
	if !reflect.DeepEqual(got.ExtraSamples, in.ExtraSamples) || got.Photometric != PhotometricRGB {
		t.Errorf("photometric %d extra %v", got.Photometric, got.ExtraSamples)
	}
	// The GDAL metadata overrides the alpha that ExtraSamples declares.
	if want := []string{"Red", "Green", "Blue", "Undefined"}; !reflect.DeepEqual(got.ColorInterp, want) || got.Alpha != -1 {
		t.Errorf("colour interpretation %v alpha %d, want %v -1", got.ColorInterp, got.Alpha, want)
	}
	if gt, ok := got.Geo.GeoTransform(); !ok || gt != [6]float64{127375, 0.25, 0, 428250, 0, -0.25} {
		t.Errorf("geotransform %v", gt)
	}
	if got.Geo.EPSG() != 28992 {
		t.Errorf("EPSG %d", got.Geo.EPSG())
	}
	if got.BigTIFF {
		t.Error("a small file was written as BigTIFF")
	}
	if got.RowsPerStrip == 0 || got.TileWidth != 0 {
		t.Errorf("layout: rows per strip %d, tile width %d", got.RowsPerStrip, got.TileWidth)
	}
}

func TestOutputPhotometric(t *testing.T) {
	tests := []struct {
		in    Info
		p     int
		extra []uint64
	}{
		{Info{Bands: 3, Type: Uint8, Photometric: PhotometricYCbCr}, PhotometricRGB, nil},
		{Info{Bands: 4, Type: Uint8, Photometric: PhotometricRGB, Alpha: 3}, PhotometricRGB, []uint64{2}},
		{Info{Bands: 4, Type: Uint8, Photometric: PhotometricRGB, Alpha: -1, ExtraSamples: []int{0}}, PhotometricRGB, []uint64{0}},
		{Info{Bands: 2, Type: Uint16, Photometric: PhotometricMinIsBlack, Alpha: 1}, PhotometricMinIsBlack, []uint64{2}},
		{Info{Bands: 5, Type: Float32, Photometric: PhotometricRGB, Alpha: -1}, PhotometricRGB, []uint64{0, 0}},
		{Info{Bands: 3, Type: Uint8}, PhotometricRGB, nil},                                         // MinIsWhite / unset
		{Info{Bands: 3, Type: Float32, Alpha: -1}, PhotometricMinIsBlack, []uint64{0, 0}},          // unset, floats
		{Info{Bands: 1, Type: Uint8, Photometric: PhotometricPalette}, PhotometricMinIsBlack, nil}, // no colour map
		{Info{Bands: 1, Type: Uint8, Photometric: PhotometricPalette, ColorMap: make([]uint16, 768)}, PhotometricPalette, nil},
	}
	for i, tt := range tests {
		p, extra := outputPhotometric(tt.in)
		if p != tt.p || !reflect.DeepEqual(extra, tt.extra) {
			t.Errorf("%d: got %d %v, want %d %v", i, p, extra, tt.p, tt.extra)
		}
	}
}

// TestPNGJPEGWrite writes PNG and JPEG outputs and reads them back.
func TestPNGJPEGWrite(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		ext   string
		bands int
		typ   SampleType
	}{
		{".png", 1, Uint8}, {".png", 3, Uint8}, {".png", 4, Uint8},
		{".png", 1, Uint16}, {".png", 3, Uint16}, {".png", 4, Uint16},
		{".jpg", 1, Uint8}, {".jpg", 3, Uint8},
	} {
		name := fmt.Sprintf("%d_%v%s", tt.bands, tt.typ, tt.ext)
		path := filepath.Join(dir, name)
		const width, height = 45, 31
		bands := makeNative(tt.typ, tt.bands, width*height)
		for b := 0; b < tt.bands; b++ {
			for i := 0; i < width*height; i++ {
				v := float64((i%width)*2 + (i/width)*2 + 20*b)
				if tt.typ == Uint16 {
					v *= 250
				}
				if tt.bands == 4 && b == 3 && i == 0 {
					v = 7 // image/png drops an alpha band that is all opaque
				}
				setNative(bands, b, i, v)
			}
		}
		w, err := Create(path, Info{Width: width, Height: height, Bands: tt.bands, Type: tt.typ}, WriteOptions{Quality: 100})
		if err != nil {
			t.Fatal(err)
		}
		writeInPieces(t, w, bands, width, height, 4)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		in := r.Info()
		if in.Bands != tt.bands || in.Type != tt.typ || in.Format != map[string]string{".png": "PNG", ".jpg": "JPEG"}[tt.ext] {
			t.Errorf("%s: info %+v", name, in)
		}
		got := readNative(t, r)
		r.Close()
		want := nativeBytes(bands)
		if tt.ext == ".png" && !bytes.Equal(got, want) {
			t.Errorf("%s: samples differ", name)
		}
		if st := diffStats(got, want); tt.ext == ".jpg" && st.max > 8 {
			t.Errorf("%s: JPEG at quality 100 off by %d", name, st.max)
		}
	}
}

// TestAutoBigTIFF makes the writer place its tiles beyond 4 GiB (in a
// sparse file: the gap takes no disk space) and checks that it switches to
// BigTIFF by itself, and that the file reads back.
func TestAutoBigTIFF(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a sparse 4 GiB file")
	}
	path := filepath.Join(t.TempDir(), "auto.tif")
	bands := randomBands(Uint8, 1, 64*64, 1)
	w, err := Create(path, Info{Width: 64, Height: 64, Bands: 1, Type: Uint8}, WriteOptions{TileWidth: 32, TileHeight: 32})
	if err != nil {
		t.Fatal(err)
	}
	tw := w.(*tiffWriter)
	tw.mu.Lock()
	tw.pos = 1<<32 + 10
	tw.mu.Unlock()
	if err := w.WriteWindowNative(0, 0, 64, 64, bands); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 4)
	f.Read(head)
	f.Close()
	if string(head) != "II+\x00" {
		t.Fatalf("header % x: not a BigTIFF", head)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !bytes.Equal(readNative(t, r), nativeBytes(bands)) {
		t.Error("samples differ")
	}
}
