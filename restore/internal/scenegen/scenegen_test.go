package scenegen

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/raster"
)

// TestSpanMatchesDistance checks Span against the distance of every
// pixel centre from the line, over awkward widths.
func TestSpanMatchesDistance(t *testing.T) {
	for _, w := range []int{1, 7, 33, 257} {
		h := 41
		for i, l := range append(Lines(w, h, 20, uint64(w)),
			Line{X0: 0, Y0: 10, X1: 100, Y1: 10, Width: 3},   // horizontal
			Line{X0: 3.3, Y0: 0, X1: 3.3, Y1: 100, Width: 2}, // vertical
		) {
			dx, dy := l.X1-l.X0, l.Y1-l.Y0
			n := math.Hypot(dx, dy)
			for y := 0; y < h; y++ {
				x0, x1 := l.Span(y, w)
				for x := 0; x < w; x++ {
					d := math.Abs(dy*(float64(x)+0.5-l.X0)-dx*(float64(y)+0.5-l.Y0)) / n
					in := x >= x0 && x < x1
					// Pixels within 1e-9 of the edge may go either way.
					if in != (d <= l.Width/2) && math.Abs(d-l.Width/2) > 1e-9 {
						t.Fatalf("w=%d line %d %+v: row %d col %d: distance %.3f, in span [%d,%d) = %v", w, i, l, y, x, d, x0, x1, in)
					}
				}
			}
		}
	}
}

func TestMake(t *testing.T) {
	src := Source{W: 5, H: 3, RGB: [3][]uint8{make([]uint8, 15), make([]uint8, 15), make([]uint8, 15)}}
	for c := range src.RGB {
		for i := range src.RGB[c] {
			src.RGB[c][i] = uint8(10*c + i)
		}
	}
	path := filepath.Join(t.TempDir(), "s.tif")
	lines := []Line{{X0: 0, Y0: 20.5, X1: 1000, Y1: 20.5, Width: 3}}
	holes, err := Make(path, Options{Width: 300, Height: 270, Sources: []Source{src}, Cell: 64, Lines: lines})
	if err != nil {
		t.Fatal(err)
	}
	if holes != 3*300 {
		t.Errorf("holes = %d, want %d", holes, 3*300)
	}
	r, err := raster.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	if info.Width != 300 || info.Height != 270 || info.NoData == nil || *info.NoData != 0 {
		t.Fatalf("info %+v", info)
	}
	b := [][]uint8{make([]uint8, 300*270), make([]uint8, 300*270), make([]uint8, 300*270)}
	if err := r.ReadWindowNative(0, 0, 300, 270, b); err != nil {
		t.Fatal(err)
	}
	for y := 0; y < 270; y++ {
		for x := 0; x < 300; x++ {
			want := max(uint8(mirror(y, 3)*5+mirror(x, 5)), 1)
			if y >= 19 && y <= 21 {
				want = 0
			}
			if got := b[0][y*300+x]; got != want {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}
