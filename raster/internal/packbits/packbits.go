// Package packbits implements the Apple PackBits run-length coding that TIFF
// uses as compression 32773: a header byte h in 0..127 is followed by h+1
// literal bytes, h in -127..-1 by one byte repeated 1-h times, and -128 is a
// no-op.
package packbits

import (
	"fmt"
	"io"
)

// Decode expands src and returns exactly n bytes appended to dst[:0] (reused
// when its capacity allows). Output beyond n is dropped, as libtiff does;
// fewer than n bytes is an error.
func Decode(dst, src []byte, n int) ([]byte, error) {
	if cap(dst) < n {
		dst = make([]byte, 0, n)
	}
	out := dst[:0]
	for i := 0; len(out) < n; {
		if i >= len(src) {
			return out, fmt.Errorf("packbits: data ends after %d of %d bytes", len(out), n)
		}
		h := int(int8(src[i]))
		i++
		switch {
		case h >= 0:
			k := h + 1
			if i+k > len(src) {
				return out, fmt.Errorf("packbits: literal run of %d bytes at offset %d passes the end", k, i-1)
			}
			k = min(k, n-len(out))
			out = append(out, src[i:i+k]...)
			i += h + 1
		case h != -128:
			if i >= len(src) {
				return out, fmt.Errorf("packbits: repeat run at offset %d passes the end", i-1)
			}
			k := min(1-h, n-len(out))
			b := src[i]
			i++
			for ; k > 0; k-- {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

// Encode appends the PackBits form of src to dst. Runs of three or more
// equal bytes become repeat runs; everything else goes in literal runs of at
// most 128 bytes.
func Encode(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		// Length of the run of equal bytes starting at i.
		r := 1
		for i+r < len(src) && r < 128 && src[i+r] == src[i] {
			r++
		}
		if r >= 3 {
			dst = append(dst, byte(int8(1-r)), src[i])
			i += r
			continue
		}
		// A literal run: extend until a run of three starts or 128 bytes.
		j := i
		for j < len(src) && j-i < 128 {
			if j+2 < len(src) && src[j] == src[j+1] && src[j] == src[j+2] {
				break
			}
			j++
		}
		dst = append(dst, byte(j-i-1))
		dst = append(dst, src[i:j]...)
		i = j
	}
	return dst
}

// Reader expands PackBits data held in memory as a stream.
type Reader struct {
	src []byte
	pos int
	run int  // bytes left in the current run
	lit bool // the current run is literal (else a repeat of rep)
	rep byte
}

// NewReader returns a Reader that expands src. Read returns io.EOF at the
// end of src, and io.ErrUnexpectedEOF if a run is cut short.
func NewReader(src []byte) *Reader { return &Reader{src: src} }

func (r *Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.run == 0 {
			if r.pos >= len(r.src) {
				break
			}
			h := int(int8(r.src[r.pos]))
			r.pos++
			switch {
			case h >= 0:
				r.run, r.lit = h+1, true
			case h != -128:
				if r.pos >= len(r.src) {
					return n, io.ErrUnexpectedEOF
				}
				r.run, r.lit, r.rep = 1-h, false, r.src[r.pos]
				r.pos++
			}
			continue
		}
		k := min(r.run, len(p)-n)
		if r.lit {
			if r.pos+k > len(r.src) {
				return n, io.ErrUnexpectedEOF
			}
			copy(p[n:n+k], r.src[r.pos:r.pos+k])
			r.pos += k
		} else {
			for i := n; i < n+k; i++ {
				p[i] = r.rep
			}
		}
		r.run -= k
		n += k
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}
