#!/usr/bin/python3
"""Regenerates numpy.bin, the numpy values fft's tests compare against.

Run from the fft directory:  /usr/bin/python3 testdata/gen.py

For each size (h, w) the inputs are not stored: they come from the
splitmix64 stream seeded with h*1000+w (value = (z >> 40)/2**24 - 0.5, exact
in float32), which fft's tests reproduce: first the h*w plane x, then the
real and then the imaginary parts of an h*(w//2+1) spectrum G (imaginary
parts of bins 0 and w/2 included, non-zero).

numpy.bin, little-endian: b"AFFTNP01", uint32 record count, then per record
uint32 h, uint32 w, and float32 arrays
  rfft2(x, norm="ortho").real, .imag          (h*(w//2+1) each)
  irfft2(G, s=(h, w), norm="ortho")           (h*w)
computed in float64 and rounded to float32.
"""
import struct
import numpy as np

SIZES = [(1, 1), (1, 7), (2, 2), (7, 1), (33, 25), (25, 33), (17, 13),
         (32, 32), (64, 64), (6, 10), (97, 89), (125, 128),
         # Bluestein (prime factors above 127) in both directions
         (131, 12), (10, 257)]
MASK = (1 << 64) - 1


def stream(seed):
    s = seed & MASK
    while True:
        s = (s + 0x9E3779B97F4A7C15) & MASK
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        yield (z >> 40) / float(1 << 24) - 0.5


def take(g, n):
    return np.array([next(g) for _ in range(n)], dtype=np.float64)


def main():
    out = [b"AFFTNP01", struct.pack("<I", len(SIZES))]
    for h, w in SIZES:
        b = w // 2 + 1
        g = stream(h * 1000 + w)
        x = take(g, h * w).reshape(h, w)
        gre = take(g, h * b).reshape(h, b)
        gim = take(g, h * b).reshape(h, b)
        f = np.fft.rfft2(x, norm="ortho")
        xi = np.fft.irfft2(gre + 1j * gim, s=(h, w), norm="ortho")
        out.append(struct.pack("<II", h, w))
        for a in (f.real, f.imag, xi):
            out.append(np.ascontiguousarray(a, dtype="<f4").tobytes())
    with open("testdata/numpy.bin", "wb") as fh:
        fh.write(b"".join(out))


if __name__ == "__main__":
    main()
