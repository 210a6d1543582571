package mask

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"testing"
)

var (
	sheet     = flag.String("sheet", "", "write a contact sheet of every family to this PNG file")
	sheetSize = flag.String("sheetsize", "256x256", "size of each mask on the contact sheet, WxH")
)

// TestContactSheet writes, with -sheet FILE, one row of masks per family
// (seeds 1 to 6, the family's default coverage, -sheetsize each) for looking
// at: go test ./mask -run ContactSheet -sheet /tmp/masks.png
func TestContactSheet(t *testing.T) {
	if *sheet == "" {
		t.Skip("no -sheet file")
	}
	const n, gap = 6, 4
	var w, h int
	if _, err := fmt.Sscanf(*sheetSize, "%dx%d", &w, &h); err != nil {
		t.Fatalf("-sheetsize %q: %v", *sheetSize, err)
	}
	fams := Families()
	out := image.NewGray(image.Rect(0, 0, n*(w+gap), len(fams)*(h+gap)))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.Gray{128}), image.Point{}, draw.Src)
	for i, f := range fams {
		for s := range n {
			m, err := Generate(f, w, h, uint64(s+1), DefaultCoverage(f))
			if err != nil {
				t.Fatal(err)
			}
			r := image.Rect(s*(w+gap), i*(h+gap), s*(w+gap)+w, i*(h+gap)+h)
			draw.Draw(out, r, m, image.Point{}, draw.Src)
			t.Logf("%s seed %d: coverage %.3f", f, s+1, CoverageOf(m))
		}
	}
	fh, err := os.Create(*sheet)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if err := png.Encode(fh, out); err != nil {
		t.Fatal(err)
	}
}
