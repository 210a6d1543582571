package mask

import (
	"errors"
	"image"
	"slices"
	"testing"
)

// FuzzGenerate drives Generate with arbitrary sizes, seeds and ranges: it
// must return a mask inside the range with the right bounds, or an error,
// and the same answer twice.
func FuzzGenerate(f *testing.F) {
	f.Add(uint8(0), uint16(33), uint16(7), uint64(1), 0.03, 0.25)
	f.Add(uint8(1), uint16(1), uint16(1), uint64(2), 0.0, 1.0)
	f.Add(uint8(2), uint16(200), uint16(3), uint64(3), 0.5, 0.5)
	f.Add(uint8(3), uint16(64), uint16(64), uint64(4), 0.9, 1.0)
	f.Fuzz(func(t *testing.T, fam uint8, w, h uint16, seed uint64, lo, hi float64) {
		fs := Families()
		fm := fs[int(fam)%len(fs)]
		// Bounded so that each input runs in milliseconds.
		W, H := int(w%300), int(h%300)
		cov := Coverage{lo, hi}
		m, err := Generate(fm, W, H, seed, cov)
		if err != nil {
			valid := W >= 1 && H >= 1 && 0 <= lo && lo <= hi && hi <= 1
			if valid && !errors.Is(err, ErrCoverage) {
				t.Fatalf("%s %d×%d %v: %v", fm, W, H, cov, err)
			}
			return
		}
		if m.Bounds() != image.Rect(0, 0, W, H) {
			t.Fatalf("bounds %v for %d×%d", m.Bounds(), W, H)
		}
		if c := CoverageOf(m); c < lo || c > hi {
			t.Fatalf("%s %d×%d seed %d: coverage %g outside %v", fm, W, H, seed, c, cov)
		}
		again, err := Generate(fm, W, H, seed, cov)
		if err != nil || !slices.Equal(again.Pix, m.Pix) {
			t.Fatalf("%s %d×%d seed %d: second call differs (%v)", fm, W, H, seed, err)
		}
	})
}
