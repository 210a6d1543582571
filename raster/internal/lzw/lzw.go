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
	"sync"
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
// at most n bytes of output besides a fixed 24 KB table.
//
// Decode keeps the whole output, so a table entry is just where its string
// already occurs in it (every entry is a string the decoder has written,
// followed by one more byte it has written next): emitting a code is one
// copy. Reader, which streams, cannot do that and walks the table instead;
// the tests check that the two agree.
func Decode(dst, src []byte, n int) ([]byte, error) {
	if len(src) >= 2 && src[0] == 0 && src[1]&1 != 0 {
		return nil, ErrOldStyle
	}
	if cap(dst) < n {
		dst = make([]byte, n)
	}
	out := dst[:n]

	// The table lives on the heap, pooled: 24 KB on the stack would make
	// every new goroutine that decodes grow its stack.
	tab := tables.Get().(*table)
	defer tables.Put(tab)
	start, length := &tab.start, &tab.length
	var (
		pos    int    // next byte of src
		bits   uint64 // pending input bits, most significant first
		nbits  uint
		width  uint = minWidth
		next        = firstFree
		prev        = -1 // previous code, -1 right after a clear
		o           = 0  // bytes written
		pStart int       // where the previous code's string was written
		pLen   int
	)
	for o < n {
		if nbits < width {
			for nbits <= 56 && pos < len(src) {
				bits = bits<<8 | uint64(src[pos])
				pos++
				nbits += 8
			}
			if nbits < width {
				return out[:o], fmt.Errorf("lzw: data ends after %d of %d bytes", o, n)
			}
		}
		nbits -= width
		code := int(bits>>nbits) & (1<<width - 1)

		switch {
		case code == clearCode:
			width, next, prev = minWidth, firstFree, -1
			continue
		case code == eoiCode:
			return out[:o], fmt.Errorf("lzw: end code after %d of %d bytes", o, n)
		case prev < 0:
			if code > 255 {
				return out[:o], fmt.Errorf("lzw: code %d right after a clear", code)
			}
			out[o] = byte(code)
			prev, pStart, pLen = code, o, 1
			o++
			continue
		case code > next:
			return out[:o], fmt.Errorf("lzw: code %d beyond table end %d", code, next)
		}

		// Write the string of code at o.
		var l int
		switch {
		case code < 256:
			l = 1
			out[o] = byte(code)
		case code < next:
			l = int(length[code])
			from := int(start[code])
			if o+l > n {
				copy(out[o:], out[from:from+l])
				return out, nil
			}
			if l <= 8 {
				for i := 0; i < l; i++ {
					out[o+i] = out[from+i]
				}
			} else {
				copy(out[o:o+l], out[from:from+l])
			}
		default: // KwKwK: the previous string and its own first byte
			l = pLen + 1
			if o+l > n {
				copy(out[o:], out[pStart:pStart+pLen])
				if o+pLen < n {
					out[o+pLen] = out[pStart]
				}
				return out, nil
			}
			copy(out[o:o+pLen], out[pStart:pStart+pLen])
			out[o+pLen] = out[pStart]
		}

		// The new entry is the previous string followed by the first byte
		// just written, which is where the previous string was written.
		// Beyond a full table (the encoder never cleared) the decoder
		// keeps its 12-bit codes and adds no entries, as libtiff does.
		if next < tableSize {
			start[next], length[next] = int32(pStart), uint16(pLen+1)
			next++
			if next == 1<<width-1 && width < maxWidth {
				width++
			}
		}
		prev, pStart, pLen = code, o, l
		o += l
	}
	return out, nil
}

// table maps entry c to where its string occurs in the output,
// out[start[c]:][:length[c]]; codes below 256 are single bytes.
type table struct {
	start  [tableSize]int32
	length [tableSize]uint16
}

var tables = sync.Pool{New: func() any { return new(table) }}

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
