package lzw

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// samples returns inputs that exercise every code width, table resets and
// the KwKwK case.
func samples() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 100000)
	for i := range random {
		random[i] = byte(r.IntN(256))
	}
	smallAlphabet := make([]byte, 300000)
	for i := range smallAlphabet {
		smallAlphabet[i] = byte(r.IntN(3))
	}
	ramp := make([]byte, 70000)
	for i := range ramp {
		ramp[i] = byte(i / 7)
	}
	return map[string][]byte{
		"empty":     {},
		"one":       {42},
		"kwkwk":     bytes.Repeat([]byte{'a'}, 1000),
		"zeros1M":   make([]byte, 1<<20),
		"random":    random,
		"alphabet3": smallAlphabet,
		"ramp":      ramp,
		"text":      bytes.Repeat([]byte("TOBEORNOTTOBEORTOBEORNOT#"), 4000),
	}
}

func TestRoundTrip(t *testing.T) {
	var e Encoder
	for name, src := range samples() {
		enc := e.Encode(nil, src)
		got, err := Decode(nil, enc, len(src))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, src) {
			t.Errorf("%s: round trip differs", name)
		}
	}
}

// TestKnownStream decodes streams built by hand from the TIFF 6.0
// specification, section 13.
func TestKnownStream(t *testing.T) {
	tests := []struct {
		name  string
		codes []int
		want  []byte
	}{
		{"literals and entry", []int{256, 7, 7, 258, 257}, []byte{7, 7, 7, 7}},
		{"KwKwK", []int{256, 7, 258, 257}, []byte{7, 7, 7}},
		{"clear midway", []int{256, 1, 2, 258, 256, 3, 258, 257}, []byte{1, 2, 1, 2, 3, 3, 3}},
	}
	for _, tt := range tests {
		widths := make([]uint, len(tt.codes))
		for i := range widths {
			widths[i] = 9
		}
		got, err := Decode(nil, pack(tt.codes, widths), len(tt.want))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestEarlyChange checks that the decoder reads 10-bit codes once the table
// holds 511 entries, one code before GIF's LZW would.
func TestEarlyChange(t *testing.T) {
	// Clear, then 254 literals: the table grows 258..510 (253 entries
	// after the first literal), so the 254th code still has 9 bits and
	// leaves next = 511, which switches to 10 bits.
	codes := []int{256}
	widths := []uint{9}
	var want []byte
	for i := 0; i < 254; i++ {
		codes = append(codes, i)
		widths = append(widths, 9)
		want = append(want, byte(i))
	}
	codes = append(codes, 100, 257)
	widths = append(widths, 10, 10)
	want = append(want, 100)
	got, err := Decode(nil, pack(codes, widths), len(want))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %v..., want %v...", got[250:], want[250:])
	}
}

func pack(codes []int, widths []uint) []byte {
	w := bitWriter{}
	for i, c := range codes {
		w.put(uint32(c), widths[i])
	}
	return w.flush()
}

func TestDecodeErrors(t *testing.T) {
	var e Encoder
	good := e.Encode(nil, []byte("hello hello hello hello"))
	tests := []struct {
		name string
		src  []byte
		n    int
	}{
		{"short", good[:len(good)/2], 23},
		{"too much asked", good, 100},
		{"code beyond table", pack([]int{256, 1, 300}, []uint{9, 9, 9}), 10},
		{"code after clear", pack([]int{256, 258}, []uint{9, 9}), 10},
		{"empty", nil, 1},
	}
	for _, tt := range tests {
		if _, err := Decode(nil, tt.src, tt.n); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := Decode(nil, []byte{0, 1, 2}, 3); !errors.Is(err, ErrOldStyle) {
		t.Errorf("old style: err = %v", err)
	}
}

// TestDecodeTruncatesAtN checks that output beyond n is dropped, as libtiff
// does for strips an encoder padded.
func TestDecodeTruncatesAtN(t *testing.T) {
	var e Encoder
	src := bytes.Repeat([]byte("abcdefgh"), 100)
	got, err := Decode(nil, e.Encode(nil, src), 333)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src[:333]) {
		t.Fatal("prefix differs")
	}
}

func FuzzDecode(f *testing.F) {
	var e Encoder
	for _, s := range samples() {
		if len(s) < 5000 {
			f.Add(e.Encode(nil, s), len(s))
		}
	}
	f.Add([]byte{0x80, 0, 0x20}, 3)
	f.Fuzz(func(t *testing.T, src []byte, n int) {
		if n < 0 || n > 1<<20 {
			return
		}
		out, err := Decode(nil, src, n)
		if err == nil && len(out) != n {
			t.Fatalf("len %d, want %d", len(out), n)
		}
		if len(out) > n {
			t.Fatalf("len %d > %d", len(out), n)
		}
	})
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("TOBEORNOTTOBEORTOBEORNOT"))
	f.Add(bytes.Repeat([]byte{0}, 5000))
	f.Fuzz(func(t *testing.T, src []byte) {
		var e Encoder
		got, err := Decode(nil, e.Encode(nil, src), len(src))
		if err != nil || !bytes.Equal(got, src) {
			t.Fatalf("round trip of %d bytes: %v", len(src), err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	var e Encoder
	src := samples()["ramp"]
	enc := e.Encode(nil, src)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Decode(dst, enc, len(src))
	}
}

func BenchmarkEncode(b *testing.B) {
	var e Encoder
	src := samples()["ramp"]
	var dst []byte
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dst = e.Encode(dst[:0], src)
	}
}

// TestReaderChunks reads through buffers of awkward sizes, so that strings
// straddle Read calls.
func TestReaderChunks(t *testing.T) {
	var e Encoder
	for name, src := range samples() {
		enc := e.Encode(nil, src)
		for _, size := range []int{1, 7, 33, 257, 4097} {
			r := NewReader(enc)
			var got []byte
			buf := make([]byte, size)
			for {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("%s/%d: %v", name, size, err)
				}
			}
			if !bytes.Equal(got, src) {
				t.Errorf("%s/%d: got %d bytes, want %d", name, size, len(got), len(src))
			}
		}
	}
}

// TestDecodeMatchesReader checks the copy-based Decode against the
// table-walking Reader, on valid streams and on truncated and damaged ones.
func TestDecodeMatchesReader(t *testing.T) {
	var e Encoder
	rng := rand.New(rand.NewPCG(6, 6))
	for name, src := range samples() {
		enc := e.Encode(nil, src)
		for k := 0; k < 20; k++ {
			in := bytes.Clone(enc)
			switch k % 4 {
			case 1:
				in = in[:rng.IntN(len(in)+1)]
			case 2:
				if len(in) > 0 {
					in[rng.IntN(len(in))] ^= byte(1 + rng.IntN(255))
				}
			}
			n := len(src)
			if k%4 == 3 {
				n = rng.IntN(len(src) + 1)
			}
			got, gerr := Decode(nil, in, n)
			want, werr := io.ReadAll(io.LimitReader(NewReader(in), int64(n)))
			if werr == nil && len(want) < n {
				werr = io.ErrUnexpectedEOF
			}
			if (gerr == nil) != (werr == nil) {
				t.Fatalf("%s/%d: Decode error %v, Reader error %v", name, k, gerr, werr)
			}
			if !bytes.Equal(got, want[:min(len(want), len(got))]) {
				t.Fatalf("%s/%d: Decode and Reader differ", name, k)
			}
		}
	}
}
