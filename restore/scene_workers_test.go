package restore

import (
	"context"
	"image"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/tensor"
)

// jittery delays each tile by a random few milliseconds, so that tiles
// restored in parallel finish in a random order.
type jittery struct{ Method }

func (j jittery) Restore(img, mask *tensor.Tensor) (*tensor.Tensor, error) {
	time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
	return j.Method.Restore(img, mask)
}

// TestSceneWorkersDeterministic checks that tiles restored in parallel
// give the same output, bit for bit, as tiles restored one at a time,
// whatever order they finish in. The scene is Float32, so that the
// blended values are written unrounded, and tiles overlap by half, so
// that up to four tiles (each with its own tileMean) blend at a pixel:
// float32 sums in another order would show.
func TestSceneWorkersDeterministic(t *testing.T) {
	src := scenePath("test_tiled.tif")
	needFile(t, src)
	dir := t.TempDir()
	info, clean := readWindow(t, src, image.Rect(0, 0, 384, 256))
	info.Compression, info.Photometric, info.Type = 0, 2, raster.Float32
	holes := lineHoles(t, info.Width, info.Height, 11)
	in := filepath.Join(dir, "in.tif")
	maskPath := filepath.Join(dir, "mask.tif")
	writeRaster(t, in, info, damage(clean, holes, -1, 0))
	writeMask(t, maskPath, info.Width, info.Height, holes)
	var outs [][][]float32
	for _, workers := range []int{1, 4} {
		out := filepath.Join(dir, "out.tif")
		if _, err := RestoreScene(context.Background(), in, out, SceneOptions{Method: jittery{tileMean{}}, Tile: 64, Overlap: 32,
			Workers: workers, MaskPath: maskPath}); err != nil {
			t.Fatal(err)
		}
		_, b := readAll(t, out)
		outs = append(outs, b)
	}
	for k := 1; k < len(outs); k++ {
		for b := range outs[0] {
			if i := mismatch(outs[0][b], outs[k][b]); i >= 0 {
				t.Fatalf("workers run %d differs from one worker at pixel %d band %d: %v vs %v", k, i, b, outs[k][b][i], outs[0][b][i])
			}
		}
	}
}

func mismatch(a, b []float32) int {
	if slices.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

// TestTiledWorkersDeterministic is TestSceneWorkersDeterministic for
// Tiled, the in-memory tiler.
func TestTiledWorkersDeterministic(t *testing.T) {
	img, mask := tensor.New(1, 3, 200, 300), tensor.New(1, 1, 200, 300)
	for i := range img.Data {
		img.Data[i] = float32(i%977) / 977
	}
	for i, v := range lineHoles(t, 300, 200, 2) {
		mask.Data[i] = float32(v)
	}
	one, err := Tiled{M: jittery{tileMean{}}, Tile: 64, Overlap: 32, Workers: 1}.Restore(img, mask)
	if err != nil {
		t.Fatal(err)
	}
	four, err := Tiled{M: jittery{tileMean{}}, Tile: 64, Overlap: 32, Workers: 4}.Restore(img, mask)
	if err != nil {
		t.Fatal(err)
	}
	if i := mismatch(one.Data, four.Data); i >= 0 {
		t.Fatalf("4 workers differ from 1 at %d: %v vs %v", i, four.Data[i], one.Data[i])
	}
}
