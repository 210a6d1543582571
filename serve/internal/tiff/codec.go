package tiff

import "fmt"

// lzwDecode decodes TIFF's LZW variant from src into dst and returns the
// number of bytes written. TIFF LZW differs from GIF's (and from
// compress/lzw's): codes are packed most significant bit first and the code
// width grows one code early, when the next free code reaches 2^width − 1.
// Decoding stops at the end-of-information code, at the end of src or when
// dst is full; a caller that needs len(dst) bytes checks the count.
func lzwDecode(dst, src []byte) (int, error) {
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
		n          = 0
	)
	// emit writes the string of code c at dst[n:], clipped to dst.
	emit := func(c int) {
		l := length[c]
		end := n + l
		for i := end - 1; i >= n; i-- {
			if i < len(dst) {
				dst[i] = suffix[c]
			}
			c = int(prefix[c])
		}
		n = min(end, len(dst))
	}
	for n < len(dst) {
		for nbits < width {
			if pos >= len(src) {
				return n, nil // out of input: the caller judges the count
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
			return n, nil
		case prev < 0:
			if code >= 256 {
				return n, FormatError(fmt.Sprintf("LZW: code %d after clear", code))
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
			return n, FormatError(fmt.Sprintf("LZW: code %d, next free code is %d", code, next))
		}
		if next < maxCodes {
			next++
		}
		prev = code
		if next+1 >= 1<<width && width < 12 {
			width++
		}
	}
	return n, nil
}

// packBitsDecode decodes Apple PackBits (compression 32773) from src into
// dst and returns the number of bytes written, at most len(dst).
func packBitsDecode(dst, src []byte) (int, error) {
	n, i := 0, 0
	for n < len(dst) && i < len(src) {
		h := int(int8(src[i]))
		i++
		switch {
		case h >= 0: // h+1 literal bytes
			k := h + 1
			if i+k > len(src) {
				return n, FormatError("PackBits: literal run past end of data")
			}
			n += copy(dst[n:], src[i:i+k])
			i += k
		case h > -128: // one byte repeated 1−h times
			if i >= len(src) {
				return n, FormatError("PackBits: repeat run past end of data")
			}
			b := src[i]
			i++
			for k := 0; k < 1-h && n < len(dst); k++ {
				dst[n] = b
				n++
			}
		}
		// h == −128 is a no-op.
	}
	return n, nil
}
