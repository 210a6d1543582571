// Package lzw implements the Lempel–Ziv–Welch variant that TIFF uses
// (compression 5): codes of 9 to 12 bits packed most-significant bit first,
// code 256 clears the table, 257 ends the data, and the code width grows one
// code earlier than in GIF's LZW ("early change").
//
// It is not the LZW of compress/lzw (GIF and PDF without early change), and
// it does not read the pre-1991 "old-style" TIFF LZW that packed codes least
// significant bit first; decoding reports that as ErrOldStyle.
package lzw

import (
	"errors"
	"fmt"
	"io"
)

const (
	clearCode = 256
	eoiCode   = 257
	firstFree = 258
	minWidth  = 9
	maxWidth  = 12
	tableSize = 1 << maxWidth
)

// ErrOldStyle reports data in the obsolete LSB-first LZW of libtiff before
// version 5, which this package does not decode.
var ErrOldStyle = errors.New("lzw: old-style (LSB-first) TIFF LZW is not supported")

// Decode decompresses src and returns the first n bytes it yields, appended
// to dst[:0] (dst is reused when it has the capacity). It is an error if
// fewer than n bytes come out, since a TIFF block always decodes to a known
// size; output beyond n is dropped, as libtiff drops it. Decode allocates
// at most n bytes of output besides a fixed 24 KB decoder.
func Decode(dst, src []byte, n int) ([]byte, error) {
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	dst = dst[:n]
	d := NewReader(src)
	k, err := io.ReadFull(d, dst)
	if err != nil {
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			err = fmt.Errorf("lzw: data ends after %d of %d bytes", k, n)
		}
		return dst[:k], err
	}
	return dst, nil
}

// A Reader decompresses TIFF LZW data held in memory as a stream, so that a
// caller can consume a large strip row by row. Read returns io.EOF at the
// end-of-information code or at the end of the data.
type Reader struct {
	src   []byte
	pos   int    // next byte of src
	bits  uint64 // pending input bits, most significant first
	nbits uint   // how many of bits are valid
	width uint
	next  int // next free table entry
	prev  int // previous code, -1 right after a clear
	err   error

	// pending holds the tail of a string that did not fit in the last
	// Read's buffer.
	pending []byte
	buf     [tableSize]byte

	// Entry c of the table is the string prefix[c] followed by suffix[c];
	// first[c] is its first byte and length[c] its length. Codes below 256
	// are the single bytes.
	prefix [tableSize]uint16
	suffix [tableSize]byte
	first  [tableSize]byte
	length [tableSize]uint16
}

// NewReader returns a Reader that decompresses src.
func NewReader(src []byte) *Reader {
	d := &Reader{src: src, width: minWidth, next: firstFree, prev: -1}
	if len(src) >= 2 && src[0] == 0 && src[1]&1 != 0 {
		d.err = ErrOldStyle
	}
	for i := 0; i < 256; i++ {
		d.suffix[i] = byte(i)
		d.first[i] = byte(i)
		d.length[i] = 1
	}
	return d
}

// Read fills p with decompressed bytes.
func (d *Reader) Read(p []byte) (int, error) {
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	if n == len(p) || d.err != nil {
		if n > 0 {
			return n, nil
		}
		return 0, d.err
	}

	// The loop works on locals; the state goes back into d at the end.
	src, pos, bits, nbits := d.src, d.pos, d.bits, d.nbits
	width, next, prev := d.width, d.next, d.prev
	var err error
	for n < len(p) {
		for nbits < width {
			if pos >= len(src) {
				err = io.EOF
				break
			}
			bits = bits<<8 | uint64(src[pos])
			pos++
			nbits += 8
		}
		if err != nil {
			break
		}
		nbits -= width
		code := int(bits>>nbits) & (1<<width - 1)

		if code == clearCode {
			width, next, prev = minWidth, firstFree, -1
			continue
		}
		if code == eoiCode {
			err = io.EOF
			break
		}
		if prev < 0 {
			if code > 255 {
				err = fmt.Errorf("lzw: code %d right after a clear", code)
				break
			}
			p[n] = byte(code)
			n++
			prev = code
			continue
		}
		if code > next {
			err = fmt.Errorf("lzw: code %d beyond table end %d", code, next)
			break
		}

		// The new entry is the previous string plus the first byte of the
		// current one; when code is the entry being defined (the KwKwK
		// case) that first byte is the previous string's own first byte.
		// Beyond a full table (the encoder never cleared) the decoder
		// keeps its 12-bit codes and adds no entries, as libtiff does.
		if next < tableSize {
			c := d.first[prev]
			if code < next {
				c = d.first[code]
			}
			d.prefix[next] = uint16(prev)
			d.suffix[next] = c
			d.first[next] = d.first[prev]
			d.length[next] = d.length[prev] + 1
			next++
			if next == 1<<width-1 && width < maxWidth {
				width++
			}
		}
		prev = code

		// Write the string of code back to front, into p when it fits.
		l := int(d.length[code])
		if l <= len(p)-n {
			out := p[n : n+l]
			for i, k := l-1, code; i >= 0; i-- {
				out[i] = d.suffix[k]
				k = int(d.prefix[k])
			}
			n += l
			continue
		}
		out := d.buf[:l]
		for i, k := l-1, code; i >= 0; i-- {
			out[i] = d.suffix[k]
			k = int(d.prefix[k])
		}
		m := copy(p[n:], out)
		d.pending = out[m:]
		n += m
	}
	d.pos, d.bits, d.nbits = pos, bits, nbits
	d.width, d.next, d.prev = width, next, prev
	d.err = err
	if n > 0 {
		return n, nil
	}
	return 0, d.err
}
