package modelio

import "math"

// halfToFloat32 converts an IEEE 754 binary16 value to float32, exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	man := uint32(h & 0x3ff)
	switch exp {
	case 0x1f: // infinity or NaN, payload kept
		return math.Float32frombits(sign | 0x7f800000 | man<<13)
	case 0: // zero or subnormal: man·2⁻²⁴, exact in float32
		v := float32(man) * (1.0 / (1 << 24))
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | man<<13)
}

// float32ToHalf rounds f to the nearest IEEE 754 binary16 value, ties to
// even: magnitudes past the largest half (65504, plus half an ulp) become
// infinity, tiny ones subnormal halves or zero, NaN stays NaN (quiet).
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	man := b & 0x7fffff
	if exp == 0xff { // infinity or NaN
		if man == 0 {
			return sign | 0x7c00
		}
		return sign | 0x7e00 | uint16(man>>13)
	}
	e := exp - 127 + 15 // the half's biased exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal half (or zero): the value is m·2⁻²⁴ with m below 2¹⁰;
		// shift the full significand (implicit bit included) into place.
		if e < -10 {
			return sign // below half the smallest subnormal: ±0
		}
		full := man | 0x800000
		shift := uint32(14 - e) // 13 for the mantissa width, 1−e for the exponent
		return sign | uint16(roundShift(full, shift))
	}
	// Normal: 10 mantissa bits; a carry out of the mantissa bumps the
	// exponent, and into 0x7c00 (infinity) when it overflows.
	return sign | uint16(uint32(e)<<10+roundShift(man, 13))
}

// roundShift returns v >> s rounded to nearest, ties to even.
func roundShift(v, s uint32) uint32 {
	q := v >> s
	rem := v & (1<<s - 1)
	half := uint32(1) << (s - 1)
	if rem > half || (rem == half && q&1 == 1) {
		q++
	}
	return q
}
