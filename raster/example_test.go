package raster_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/aerofill/aerofill/raster"
)

// Copy a GeoTIFF tile by tile: the reader decodes only the blocks each
// window touches, and the writer compresses each output tile as soon as it
// is complete, so memory stays bounded whatever the scene's size.
func Example() {
	r, err := raster.Open("testdata/gdal/UInt16_lzw_t16_3b_big.tif")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()

	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "copy.tif")
	w, err := raster.Create(out, info, raster.WriteOptions{Compression: "deflate", Predictor: 2, TileWidth: 16, TileHeight: 16})
	if err != nil {
		log.Fatal(err)
	}
	const tile = 16
	bands := make([][]float32, info.Bands)
	for b := range bands {
		bands[b] = make([]float32, tile*tile)
	}
	for y := 0; y < info.Height; y += tile {
		for x := 0; x < info.Width; x += tile {
			cw, ch := min(tile, info.Width-x), min(tile, info.Height-y)
			if err := r.ReadWindow(x, y, cw, ch, bands); err != nil {
				log.Fatal(err)
			}
			// ... restore the window here ...
			if err := w.WriteWindow(x, y, cw, ch, bands); err != nil {
				w.Abort()
				log.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	c, err := raster.Open(out)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ci := c.Info()
	gt, _ := ci.Geo.GeoTransform()
	fmt.Println(ci.Width, ci.Height, ci.Bands, ci.Type, ci.Geo.EPSG(), gt[1])
	// Output: 37 29 3 UInt16 32620 60
}

// Read part of a scene in its own sample type.
func ExampleReader_ReadWindowNative() {
	r, err := raster.Open("testdata/gdal/Int16_lzw_s7_1b.tif")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	band := make([]int16, 4*2)
	if err := r.ReadWindowNative(10, 5, 4, 2, [][]int16{band}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Info().Type, len(band))
	// Output: Int16 8
}
