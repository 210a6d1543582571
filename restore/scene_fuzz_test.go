package restore

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/aerofill/aerofill/raster"
)

// FuzzRestoreScene restores small rasters of every shape the pipeline
// takes — any size from 1×1, 1 to 5 bands, every sample type, with or
// without a nodata value (NaN included) and an alpha band, any tile and
// overlap — and checks that it neither panics nor fails, that it fills
// exactly the pixels its mask source marks, and that every other pixel
// is copied bit for bit.
func FuzzRestoreScene(f *testing.F) {
	f.Add(uint8(7), uint8(33), uint8(3), uint8(0), uint8(1), false, uint64(1), uint8(16), uint8(4))
	f.Add(uint8(1), uint8(1), uint8(1), uint8(6), uint8(2), false, uint64(2), uint8(16), uint8(0))
	f.Add(uint8(100), uint8(57), uint8(4), uint8(2), uint8(0), true, uint64(3), uint8(32), uint8(31))
	f.Add(uint8(255), uint8(3), uint8(5), uint8(7), uint8(3), false, uint64(4), uint8(20), uint8(7))
	types := []raster.SampleType{raster.Uint8, raster.Int8, raster.Uint16, raster.Int16, raster.Uint32, raster.Int32, raster.Float32, raster.Float64}
	f.Fuzz(func(t *testing.T, w8, h8, bands8, type8, nodata8 uint8, alpha bool, seed uint64, tile8, overlap8 uint8) {
		w, h := int(w8)+1, int(h8)+1
		nb := int(bands8)%5 + 1
		typ := types[int(type8)%len(types)]
		tile := int(tile8)%64 + 16
		overlap := int(overlap8) % tile
		if alpha && nb < 2 {
			alpha = false
		}
		info := raster.Info{Width: w, Height: h, Bands: nb, Type: typ, Alpha: -1}
		if alpha {
			info.Alpha = nb - 1
			info.ExtraSamples = nil
		}
		lo, hi := typ.Range()
		if typ.IsFloat() {
			lo, hi = -1000, 1000
		}
		var nd float64
		switch nodata8 % 4 {
		case 1:
			nd = lo
			info.NoDataText = strconv.FormatFloat(nd, 'g', -1, 64)
		case 2:
			nd = math.NaN()
			info.NoDataText = "nan"
		case 3:
			nd = -1e4 // out of range for most types: ignored unless it fits
			info.NoDataText = "-10000"
		}
		r := rand.New(rand.NewPCG(seed, 7))
		data := make([][]float32, nb)
		for b := range data {
			data[b] = make([]float32, w*h)
			for i := range data[b] {
				data[b][i] = float32(math.Round(lo + r.Float64()*(hi-lo)))
			}
		}
		// Damage a random fifth of the pixels every way at once: nodata
		// in every band, 0 in the colour bands, alpha 0.
		for i := 0; i < w*h; i++ {
			if r.IntN(5) != 0 {
				continue
			}
			for b := range data {
				switch {
				case b == info.Alpha:
					data[b][i] = 0
				case info.NoDataText != "" && !math.IsNaN(nd) && nd >= lo && nd <= hi:
					data[b][i] = float32(nd)
				case math.IsNaN(nd) && typ.IsFloat():
					data[b][i] = float32(nd)
				default:
					data[b][i] = 0
				}
			}
		}
		dir := t.TempDir()
		in, out := filepath.Join(dir, "in.tif"), filepath.Join(dir, "out.tif")
		wr, err := raster.Create(in, info, raster.WriteOptions{})
		if err != nil {
			t.Skip(err) // a raster the writer refuses is not the pipeline's to test
		}
		if err := wr.WriteWindow(0, 0, w, h, data); err != nil {
			t.Fatal(err)
		}
		if err := wr.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: constFill{}, Tile: tile, Overlap: overlap})
		holes := expectedHoles(t, in, "", st.Mask)
		if errors.Is(err, ErrNoDamage) {
			if countHoles(holes) != 0 {
				t.Fatalf("ErrNoDamage, but %d pixels are damaged by %s", countHoles(holes), st.Mask)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if st.Filled != int64(countHoles(holes)) {
			t.Fatalf("filled %d, %s marks %d", st.Filled, st.Mask, countHoles(holes))
		}
		oi, res := checkRestored(t, in, out, holes)
		if oi.Alpha >= 0 { // filled pixels are opaque: a finite, positive alpha
			for i, h := range holes {
				if a := float64(res[oi.Alpha][i]); h != 0 && (a <= 0 || math.IsInf(a, 0) || math.IsNaN(a)) {
					t.Fatalf("filled pixel %d has alpha %v", i, a)
				}
			}
		}
	})
}
