package tiff

import (
	"fmt"
	"slices"
)

// lzwDecode decodes TIFF's LZW variant from src, appends at most limit
// bytes to dst and returns the extended slice. TIFF LZW differs from GIF's
// (and from compress/lzw's): codes are packed most significant bit first and
// the code width grows one code early, when the next free code reaches
// 2^width − 1. Decoding stops at the end-of-information code, at the end of
// src or at the limit; a caller that needs limit bytes checks the length.
// dst grows with the output, so the memory used is bounded by what src
// really decodes to.
func lzwDecode(dst, src []byte, limit int) ([]byte, error) {
	const (
		clearCode = 256
		eoiCode   = 257
		maxCodes  = 4096
	)
	var (
		prefix [maxCodes]uint16 // code of the string without its last byte
		suffix [maxCodes]byte   // last byte of the string
		first  [maxCodes]byte   // first byte of the string
		length [maxCodes]int    // string length in bytes
	)
	for i := 0; i < 256; i++ {
		suffix[i], first[i], length[i] = byte(i), byte(i), 1
	}
	var (
		acc   uint64 // bit accumulator, next code in its top bits
		nbits uint
		pos   int
		width uint = 9
		next       = 258
		prev       = -1
		base       = len(dst)
		end        = base + limit
	)
	// emit appends the string of code c to dst, clipped at end.
	emit := func(c int) {
		l := length[c]
		n := len(dst)
		stop := min(n+l, end)
		dst = slices.Grow(dst, stop-n)[:stop]
		for i := n + l - 1; i >= n; i-- {
			if i < stop {
				dst[i] = suffix[c]
			}
			c = int(prefix[c])
		}
	}
	for len(dst) < end {
		for nbits < width {
			if pos >= len(src) {
				return dst, nil // out of input: the caller judges the length
			}
			acc |= uint64(src[pos]) << (56 - nbits)
			pos++
			nbits += 8
		}
		code := int(acc >> (64 - width))
		acc <<= width
		nbits -= width

		switch {
		case code == clearCode:
			width, next, prev = 9, 258, -1
			continue
		case code == eoiCode:
			return dst, nil
		case prev < 0:
			if code >= 256 {
				return dst, FormatError(fmt.Sprintf("LZW: code %d after clear", code))
			}
			emit(code)
			prev = code
			continue
		case code < next:
			emit(code)
			if next < maxCodes {
				prefix[next], suffix[next], first[next] = uint16(prev), first[code], first[prev]
				length[next] = length[prev] + 1
			}
		case code == next && next < maxCodes:
			// The KwKwK case: the string is prev's plus its own first byte.
			prefix[next], suffix[next], first[next] = uint16(prev), first[prev], first[prev]
			length[next] = length[prev] + 1
			emit(code)
		default:
			return dst, FormatError(fmt.Sprintf("LZW: code %d, next free code is %d", code, next))
		}
		if next < maxCodes {
			next++
		}
		prev = code
		if next+1 >= 1<<width && width < 12 {
			width++
		}
	}
	return dst, nil
}

// packBitsDecode decodes Apple PackBits (compression 32773) from src,
// appends at most limit bytes to dst and returns the extended slice.
func packBitsDecode(dst, src []byte, limit int) ([]byte, error) {
	end := len(dst) + limit
	for i := 0; len(dst) < end && i < len(src); {
		h := int(int8(src[i]))
		i++
		switch {
		case h >= 0: // h+1 literal bytes
			k := h + 1
			if i+k > len(src) {
				return dst, FormatError("PackBits: literal run past end of data")
			}
			dst = append(dst, src[i:i+min(k, end-len(dst))]...)
			i += k
		case h > -128: // one byte repeated 1−h times
			if i >= len(src) {
				return dst, FormatError("PackBits: repeat run past end of data")
			}
			b := src[i]
			i++
			for k := 0; k < 1-h && len(dst) < end; k++ {
				dst = append(dst, b)
			}
		}
		// h == −128 is a no-op.
	}
	return dst, nil
}
