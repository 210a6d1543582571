"""The peer of BenchmarkLoad: times loading a model file in Python.

    /usr/bin/python3 testdata/bench_peer.py FILE [REPEATS]

.ckpt/.pt go through torch.load(map_location="cpu"); .safetensors through
json + numpy (one copy per tensor, as the safetensors package does without
mmap). Prints the median time and the peak RSS growth over the baseline
after importing torch.
"""
import json
import resource
import statistics
import struct
import sys
import time

import numpy as np
import torch

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
          "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def load_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        header.pop("__metadata__", None)
        start = 8 + n
        out = {}
        for name, info in header.items():
            b, e = info["data_offsets"]
            f.seek(start + b)
            out[name] = np.frombuffer(f.read(e - b), DTYPES[info["dtype"]]).reshape(info["shape"])
        return out


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    base = rss_mb()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        sd = load_safetensors(path) if path.endswith(".safetensors") else torch.load(path, map_location="cpu")
        times.append(time.perf_counter() - t)
        del sd
    print(f"python load {path}: median {statistics.median(times) * 1e3:.1f} ms over {repeats} "
          f"(min {min(times) * 1e3:.1f}), peak RSS +{rss_mb() - base:.0f} MB over {base:.0f} MB after import")


if __name__ == "__main__":
    main()
