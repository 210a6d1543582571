"""Reads files written by modelio with NumPy and an independent safetensors
parser (json + struct), and prints what it found as JSON for interop_test.go.

    /usr/bin/python3 testdata/check_written.py FILE.safetensors|FILE.npy ...
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
          "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def values(arr):
    return arr.astype(np.float64).ravel().tolist()


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    meta = header.pop("__metadata__", None)
    tensors, end = [], 0
    for name, info in header.items():  # json keeps the file's order
        b, e = info["data_offsets"]
        assert b == end, f"{name}: starts at {b}, previous ended at {end}"
        end = e
        buf = data[b:e]
        if info["dtype"] == "BF16":
            arr = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view("<f4")
        else:
            arr = np.frombuffer(buf, DTYPES[info["dtype"]])
        arr = arr.reshape(info["shape"])
        tensors.append({"name": name, "dtype": info["dtype"], "shape": list(arr.shape), "values": values(arr)})
    assert end == len(data), f"data is {len(data)} bytes, tensors end at {end}"
    return {"meta": meta, "tensors": tensors}


def read_npy(path):
    arr = np.load(path)
    return {"dtype": str(arr.dtype), "shape": list(arr.shape), "values": values(arr),
            "c_contiguous": bool(arr.flags.c_contiguous)}


if __name__ == "__main__":
    out = {}
    for p in sys.argv[1:]:
        out[p] = read_safetensors(p) if p.endswith(".safetensors") else read_npy(p)
    json.dump(out, sys.stdout)
