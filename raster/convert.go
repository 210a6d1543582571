package raster

import (
	"encoding/binary"
	"math"
)

// Samples inside decoded blocks are little-endian whatever the file's byte
// order. The load functions read n = len(dst) samples, step bytes apart,
// from src; the store functions write len(src) samples into dst, step bytes
// apart.

var le = binary.LittleEndian

func loadFloat32(dst []float32, src []byte, step int, t SampleType) {
	if len(dst) == 0 {
		return
	}
	_ = src[(len(dst)-1)*step+t.Size()-1]
	switch t {
	case Uint8:
		for i := range dst {
			dst[i] = float32(src[i*step])
		}
	case Int8:
		for i := range dst {
			dst[i] = float32(int8(src[i*step]))
		}
	case Uint16:
		for i := range dst {
			dst[i] = float32(le.Uint16(src[i*step:]))
		}
	case Int16:
		for i := range dst {
			dst[i] = float32(int16(le.Uint16(src[i*step:])))
		}
	case Uint32:
		for i := range dst {
			dst[i] = float32(le.Uint32(src[i*step:]))
		}
	case Int32:
		for i := range dst {
			dst[i] = float32(int32(le.Uint32(src[i*step:])))
		}
	case Float32:
		for i := range dst {
			dst[i] = math.Float32frombits(le.Uint32(src[i*step:]))
		}
	case Float64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(le.Uint64(src[i*step:])))
		}
	}
}

func loadUint8(dst []uint8, src []byte, step int) {
	if step == 1 {
		copy(dst, src)
		return
	}
	for i := range dst {
		dst[i] = src[i*step]
	}
}

func loadInt8(dst []int8, src []byte, step int) {
	for i := range dst {
		dst[i] = int8(src[i*step])
	}
}

func loadUint16(dst []uint16, src []byte, step int) {
	for i := range dst {
		dst[i] = le.Uint16(src[i*step:])
	}
}

func loadInt16(dst []int16, src []byte, step int) {
	for i := range dst {
		dst[i] = int16(le.Uint16(src[i*step:]))
	}
}

func loadUint32(dst []uint32, src []byte, step int) {
	for i := range dst {
		dst[i] = le.Uint32(src[i*step:])
	}
}

func loadInt32(dst []int32, src []byte, step int) {
	for i := range dst {
		dst[i] = int32(le.Uint32(src[i*step:]))
	}
}

func loadFloat64(dst []float64, src []byte, step int) {
	for i := range dst {
		dst[i] = math.Float64frombits(le.Uint64(src[i*step:]))
	}
}

// clampRound converts v to the nearest value of integer type t, rounding
// halves away from zero and clamping to the type's range (GDAL's rule); NaN
// becomes 0. Floating-point types pass v through.
func clampRound(v float64, t SampleType) float64 {
	if t.IsFloat() {
		return v
	}
	if v != v {
		return 0
	}
	lo, hi := t.Range()
	return math.Max(lo, math.Min(hi, math.Round(v)))
}

// storeFloat32 writes src converted to type t.
func storeFloat32(dst []byte, step int, src []float32, t SampleType) {
	if len(src) == 0 {
		return
	}
	_ = dst[(len(src)-1)*step+t.Size()-1]
	switch t {
	case Uint8:
		for i, v := range src {
			var u uint8
			if v >= 255 {
				u = 255
			} else if v > 0 {
				u = uint8(float64(v) + 0.5)
			}
			dst[i*step] = u
		}
	case Uint16:
		for i, v := range src {
			var u uint16
			if v >= 65535 {
				u = 65535
			} else if v > 0 {
				u = uint16(float64(v) + 0.5)
			}
			le.PutUint16(dst[i*step:], u)
		}
	case Int8:
		for i, v := range src {
			dst[i*step] = byte(int8(clampRound(float64(v), t)))
		}
	case Int16:
		for i, v := range src {
			le.PutUint16(dst[i*step:], uint16(int16(clampRound(float64(v), t))))
		}
	case Uint32:
		for i, v := range src {
			le.PutUint32(dst[i*step:], uint32(clampRound(float64(v), t)))
		}
	case Int32:
		for i, v := range src {
			le.PutUint32(dst[i*step:], uint32(int32(clampRound(float64(v), t))))
		}
	case Float32:
		for i, v := range src {
			le.PutUint32(dst[i*step:], math.Float32bits(v))
		}
	case Float64:
		for i, v := range src {
			le.PutUint64(dst[i*step:], math.Float64bits(float64(v)))
		}
	}
}

// storeNative writes a band slice of the raster's own type.
func storeNative(dst []byte, step int, src any, off, n int) {
	switch s := src.(type) {
	case []uint8:
		for i, v := range s[off : off+n] {
			dst[i*step] = v
		}
	case []int8:
		for i, v := range s[off : off+n] {
			dst[i*step] = byte(v)
		}
	case []uint16:
		for i, v := range s[off : off+n] {
			le.PutUint16(dst[i*step:], v)
		}
	case []int16:
		for i, v := range s[off : off+n] {
			le.PutUint16(dst[i*step:], uint16(v))
		}
	case []uint32:
		for i, v := range s[off : off+n] {
			le.PutUint32(dst[i*step:], v)
		}
	case []int32:
		for i, v := range s[off : off+n] {
			le.PutUint32(dst[i*step:], uint32(v))
		}
	case []float32:
		for i, v := range s[off : off+n] {
			le.PutUint32(dst[i*step:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range s[off : off+n] {
			le.PutUint64(dst[i*step:], math.Float64bits(v))
		}
	}
}

// storeValue writes n copies of v converted to type t.
func storeValue(dst []byte, step int, v float64, t SampleType, n int) {
	var b [8]byte
	v = clampRound(v, t)
	switch t {
	case Uint8, Int8:
		b[0] = byte(int64(v))
	case Uint16, Int16:
		le.PutUint16(b[:], uint16(int64(v)))
	case Uint32, Int32:
		le.PutUint32(b[:], uint32(int64(v)))
	case Float32:
		le.PutUint32(b[:], math.Float32bits(float32(v)))
	case Float64:
		le.PutUint64(b[:], math.Float64bits(v))
	}
	for i := 0; i < n; i++ {
		copy(dst[i*step:i*step+t.Size()], b[:])
	}
}

// swapToLittle reverses the bytes of each size-byte sample of a
// big-endian buffer in place.
func swapToLittle(p []byte, size int) {
	switch size {
	case 2:
		for i := 0; i+1 < len(p); i += 2 {
			p[i], p[i+1] = p[i+1], p[i]
		}
	case 4:
		for i := 0; i+3 < len(p); i += 4 {
			p[i], p[i+1], p[i+2], p[i+3] = p[i+3], p[i+2], p[i+1], p[i]
		}
	case 8:
		for i := 0; i+7 < len(p); i += 8 {
			le.PutUint64(p[i:], binary.BigEndian.Uint64(p[i:]))
		}
	}
}
