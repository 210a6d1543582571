#!/usr/bin/python3
"""Times scikit-image's PSNR and SSIM on a 256×256 RGB pair, the settings
the Go package matches, for the benchmark ratio. Prints medians in ms.

  /usr/bin/python3 testdata/bench_peer.py [repeats]
"""
import sys
import time

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
rng = np.random.default_rng(1)
a = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
b = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)


def median_ms(f):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return 1000 * sorted(ts)[len(ts) // 2]


print("skimage PSNR 256x256 RGB: %.3f ms" % median_ms(lambda: peak_signal_noise_ratio(a, b, data_range=255)))
print("skimage SSIM 256x256 RGB: %.3f ms" % median_ms(lambda: structural_similarity(
    a, b, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)))
