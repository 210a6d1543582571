package packbits

import (
	"bytes"
	"io"
	"testing"
)

func TestDecodeSpec(t *testing.T) {
	// The example from Apple Technical Note TN1023 and the TIFF 6.0
	// specification, section 9.
	src := []byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA}
	want := []byte{0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
		0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}
	got, err := Decode(nil, src, len(want))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % x\nwant % x", got, want)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := map[string][]byte{
		"empty":  {},
		"one":    {9},
		"two":    {9, 9},
		"run300": bytes.Repeat([]byte{5}, 300),
		"lit300": func() []byte {
			b := make([]byte, 300)
			for i := range b {
				b[i] = byte(i * 7)
			}
			return b
		}(),
		"mixed":   []byte("aaabcddddddddefgggghhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhij"),
		"noop128": {0x80},
	}
	for name, src := range tests {
		enc := Encode(nil, src)
		got, err := Decode(nil, enc, len(src))
		if err != nil || !bytes.Equal(got, src) {
			t.Errorf("%s: round trip failed: %v", name, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  []byte
		n    int
	}{
		{"empty", nil, 1},
		{"literal past end", []byte{5, 1, 2}, 6},
		{"repeat without byte", []byte{0xFE}, 3},
		{"only no-ops", []byte{0x80, 0x80}, 1},
	}
	for _, tt := range tests {
		if _, err := Decode(nil, tt.src, tt.n); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A}, 6)
	f.Fuzz(func(t *testing.T, src []byte, n int) {
		if n < 0 || n > 1<<20 {
			return
		}
		out, err := Decode(nil, src, n)
		if (err == nil) != (len(out) == n) || len(out) > n {
			t.Fatalf("len %d, want %d, err %v", len(out), n, err)
		}
		if err == nil {
			// The stream reader must agree.
			streamed, _ := io.ReadAll(io.LimitReader(NewReader(src), int64(n)))
			if !bytes.Equal(streamed, out) {
				t.Fatal("Reader and Decode differ")
			}
			// Whatever decodes must survive our own round trip.
			back, err := Decode(nil, Encode(nil, out), n)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatal("re-encoding differs")
			}
		}
	})
}

// TestReaderMatchesDecode streams through buffers of awkward sizes.
func TestReaderMatchesDecode(t *testing.T) {
	src := []byte("aaabcddddddddefgggghhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhij")
	src = append(src, bytes.Repeat([]byte{1, 2, 3}, 100)...)
	enc := append(Encode(nil, src), 0x80)
	for _, size := range []int{1, 7, 33, 257} {
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
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, src) {
			t.Errorf("buffers of %d: got %d bytes, want %d", size, len(got), len(src))
		}
	}
	if _, err := io.ReadAll(NewReader([]byte{5, 1, 2})); err != io.ErrUnexpectedEOF {
		t.Errorf("cut literal: err = %v", err)
	}
}
