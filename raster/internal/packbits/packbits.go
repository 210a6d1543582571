// Package packbits implements the Apple PackBits run-length coding that TIFF
// uses as compression 32773: a header byte h in 0..127 is followed by h+1
// literal bytes, h in -127..-1 by one byte repeated 1-h times, and -128 is a
// no-op.
package packbits

import "fmt"

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
