package modelio

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHalfRoundTrip: every half converts to float32 and back to itself
// (NaNs to a NaN).
func TestHalfRoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := halfToFloat32(uint16(h))
		got := float32ToHalf(f)
		if f != f {
			if got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x → %#04x, not a NaN", h, got)
			}
			continue
		}
		if got != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, got)
		}
	}
}

// TestHalfRounding: random float32s (all exponents, both signs) round to
// the nearest half, ties to even, compared in float64 against the two
// neighbouring halves; overflow goes to infinity exactly past 65504 + ½ ulp.
func TestHalfRounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(f float32) {
		h := float32ToHalf(f)
		got := float64(halfToFloat32(h))
		x := float64(f)
		if math.IsInf(got, 0) {
			if math.Abs(x) < 65520 {
				t.Fatalf("%v (%#08x) → infinity", f, math.Float32bits(f))
			}
			return
		}
		// The neighbours of h (same sign, one step in each direction).
		for _, n := range []uint16{h - 1, h + 1} {
			if n&0x7c00 == 0x7c00 || (h&0x7fff == 0 && n == h-1) {
				continue
			}
			nv := float64(halfToFloat32(n))
			d, dn := math.Abs(x-got), math.Abs(x-nv)
			if dn < d || (dn == d && h&1 == 1) {
				t.Fatalf("%v → %v (%#04x), but %v (%#04x) is nearer or the even tie", f, got, h, nv, n)
			}
		}
	}
	for i := 0; i < 1_000_000; i++ {
		f := math.Float32frombits(rng.Uint32())
		if f != f {
			continue
		}
		check(f)
		check(float32(rng.NormFloat64() * 0.1)) // the weights' own range
	}
	for _, f := range []float32{0, 65504, 65519.99, 65520, 1e-8, 2.98e-8, 2.9802322e-08, 5.96e-8, 6.1e-5, -1.5e-7, 1 + 1.0/2048, 1 + 3.0/2048} {
		check(f)
	}
	if h := float32ToHalf(65520); h != 0x7c00 {
		t.Errorf("65520 → %#04x, want infinity (the tie rounds to even, past 65504)", h)
	}
	if h := float32ToHalf(1 + 1.0/2048); h != 0x3c00 {
		t.Errorf("1 + 2⁻¹¹ → %#04x, want 1 (tie to even)", h)
	}
	if h := float32ToHalf(1 + 3.0/2048); h != 0x3c02 {
		t.Errorf("1 + 3·2⁻¹¹ → %#04x, want 0x3c02 (tie to even)", h)
	}
}

func TestNewF16(t *testing.T) {
	data := []float32{0, 1, -2.5, 0.1, 70000}
	got, err := NewF16("w", []int{5}, data).Float32()
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 1, -2.5, 0.099975586, float32(math.Inf(1))}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%v → %v, want %v", data[i], got[i], want[i])
		}
	}
}
