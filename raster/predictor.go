package raster

// TIFF predictors (tag 317) transform each row before compression. Rows
// hold n samples of size bytes, spp interleaved samples per pixel; the
// differencing runs between samples of the same band (spp apart).

// undoHorizontal reverses predictor 2 on rows of little-endian samples:
// each sample becomes the wrapping sum of itself and all earlier samples of
// its band in the row.
func undoHorizontal(data []byte, rowBytes, spp, size int) {
	for r := 0; r+rowBytes <= len(data); r += rowBytes {
		row := data[r : r+rowBytes]
		switch size {
		case 1:
			for i := spp; i < len(row); i++ {
				row[i] += row[i-spp]
			}
		case 2:
			for i := spp * 2; i+1 < len(row); i += 2 {
				le.PutUint16(row[i:], le.Uint16(row[i:])+le.Uint16(row[i-2*spp:]))
			}
		case 4:
			for i := spp * 4; i+3 < len(row); i += 4 {
				le.PutUint32(row[i:], le.Uint32(row[i:])+le.Uint32(row[i-4*spp:]))
			}
		case 8:
			for i := spp * 8; i+7 < len(row); i += 8 {
				le.PutUint64(row[i:], le.Uint64(row[i:])+le.Uint64(row[i-8*spp:]))
			}
		}
	}
}

// applyHorizontal is the inverse of undoHorizontal, for writing. It works
// from the end of each row so that every difference uses original values.
func applyHorizontal(data []byte, rowBytes, spp, size int) {
	for r := 0; r+rowBytes <= len(data); r += rowBytes {
		row := data[r : r+rowBytes]
		switch size {
		case 1:
			for i := len(row) - 1; i >= spp; i-- {
				row[i] -= row[i-spp]
			}
		case 2:
			for i := len(row) - 2; i >= spp*2; i -= 2 {
				le.PutUint16(row[i:], le.Uint16(row[i:])-le.Uint16(row[i-2*spp:]))
			}
		case 4:
			for i := len(row) - 4; i >= spp*4; i -= 4 {
				le.PutUint32(row[i:], le.Uint32(row[i:])-le.Uint32(row[i-4*spp:]))
			}
		case 8:
			for i := len(row) - 8; i >= spp*8; i -= 8 {
				le.PutUint64(row[i:], le.Uint64(row[i:])-le.Uint64(row[i-8*spp:]))
			}
		}
	}
}

// undoFloatingPoint reverses predictor 3 (Adobe's floating-point
// predictor). Encoded, a row of n samples is size byte planes of n bytes,
// most significant plane first, differenced bytewise spp apart; decoded, it
// is the n samples in little-endian order. tmp must hold rowBytes bytes.
func undoFloatingPoint(data []byte, rowBytes, spp, size int, tmp []byte) {
	n := rowBytes / size
	for r := 0; r+rowBytes <= len(data); r += rowBytes {
		row := data[r : r+rowBytes]
		for i := spp; i < len(row); i++ {
			row[i] += row[i-spp]
		}
		copy(tmp, row)
		for b := 0; b < size; b++ {
			plane := tmp[b*n : (b+1)*n]
			k := size - 1 - b // little-endian position of byte plane b
			for i, v := range plane {
				row[i*size+k] = v
			}
		}
	}
}

// applyFloatingPoint is the inverse of undoFloatingPoint.
func applyFloatingPoint(data []byte, rowBytes, spp, size int, tmp []byte) {
	n := rowBytes / size
	for r := 0; r+rowBytes <= len(data); r += rowBytes {
		row := data[r : r+rowBytes]
		for b := 0; b < size; b++ {
			plane := tmp[b*n : (b+1)*n]
			k := size - 1 - b
			for i := range plane {
				plane[i] = row[i*size+k]
			}
		}
		copy(row, tmp[:rowBytes])
		for i := len(row) - 1; i >= spp; i-- {
			row[i] -= row[i-spp]
		}
	}
}
