package mask

import "math/bits"

// rng is SplitMix64 (Steele, Lea and Flood, 2014): a specified generator
// whose stream depends only on its 64-bit state, so masks are the same on
// every Go version and platform. Everything drawn from it is integer.
type rng struct{ s uint64 }

// newRNG seeds a stream for one purpose: the tag (a family name, "mix")
// separates streams that share a seed.
func newRNG(seed uint64, tag string) *rng {
	// FNV-1a of the tag, folded into the seed through one SplitMix64 step.
	h := uint64(14695981039346656037)
	for i := 0; i < len(tag); i++ {
		h ^= uint64(tag[i])
		h *= 1099511628211
	}
	r := &rng{s: seed ^ h}
	r.s = r.next()
	return r
}

// next returns the next 64 random bits.
func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n) for n > 0 (Lemire's
// multiply-and-reject, unbiased).
func (r *rng) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// between returns a uniform integer in [lo, hi]; lo ≤ hi.
func (r *rng) between(lo, hi int64) int64 {
	return lo + int64(r.below(uint64(hi-lo)+1))
}

// chance reports true with probability num/den.
func (r *rng) chance(num, den uint64) bool { return r.below(den) < num }

// unit53 returns a uniform float64 in [0, 1) with 53 random bits; exact, so
// the same on every platform.
func (r *rng) unit53() float64 { return float64(r.next()>>11) * 0x1p-53 }
