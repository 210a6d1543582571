package lzw

// Encoder compresses with TIFF LZW. Its tables are reused between calls, so
// keep one per goroutine rather than making one per block.
type Encoder struct {
	// hash is an open-addressed table from (prefix code, next byte) to
	// the code of that string: key[i] is prefix<<8|byte plus one (0 marks
	// an empty slot), code[i] the entry.
	key  [hashSize]uint32
	code [hashSize]uint16
}

// hashSize is a power of two comfortably above the 3,836 entries a table
// holds, so probe chains stay short.
const hashSize = 1 << 14

// Encode appends the compressed form of src to dst and returns it. The
// output starts with a clear code and ends with the end-of-information
// code, as libtiff writes it.
func (e *Encoder) Encode(dst, src []byte) []byte {
	w := bitWriter{out: dst}
	width := uint(minWidth)
	w.put(clearCode, width)
	if len(src) == 0 {
		w.put(eoiCode, width)
		return w.flush()
	}
	e.reset()

	// next mirrors the decoder: the number of table entries it will hold
	// after reading the codes written so far. The decoder adds one entry
	// per code except the first after a clear, and widens its codes when
	// next reaches 2^width-1.
	next := firstFree
	fresh := true // no code written since the last clear
	emit := func(c int) {
		w.put(uint32(c), width)
		if fresh {
			fresh = false
			return
		}
		next++
		if next == 1<<width-1 && width < maxWidth {
			width++
		}
	}

	free := firstFree // next entry of the encoder's own table
	cur := int(src[0])
	for _, b := range src[1:] {
		k := uint32(cur)<<8 | uint32(b) + 1
		h := hash(k)
		for e.key[h] != 0 && e.key[h] != k {
			h = (h + 1) & (hashSize - 1)
		}
		if e.key[h] == k {
			cur = int(e.code[h])
			continue
		}
		emit(cur)
		e.key[h] = k
		e.code[h] = uint16(free)
		free++
		cur = int(b)
		if free == tableSize-2 {
			// The decoder is one entry behind and would need 13-bit
			// codes for the next one: start over.
			w.put(clearCode, width)
			e.reset()
			width, next, free, fresh = minWidth, firstFree, firstFree, true
		}
	}
	emit(cur)
	w.put(eoiCode, width)
	return w.flush()
}

func (e *Encoder) reset() { clear(e.key[:]) }

func hash(k uint32) uint32 { return (k * 0x9E3779B1) >> (32 - 14) }

// bitWriter packs codes most significant bit first.
type bitWriter struct {
	out   []byte
	bits  uint64
	nbits uint
}

func (w *bitWriter) put(c uint32, width uint) {
	w.bits = w.bits<<width | uint64(c)
	w.nbits += width
	for w.nbits >= 8 {
		w.nbits -= 8
		w.out = append(w.out, byte(w.bits>>w.nbits))
	}
}

func (w *bitWriter) flush() []byte {
	if w.nbits > 0 {
		w.out = append(w.out, byte(w.bits<<(8-w.nbits)))
		w.nbits = 0
	}
	return w.out
}
