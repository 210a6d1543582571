"""Regenerates modelio's test files with PyTorch and NumPy (the peers).

    /usr/bin/python3 testdata/gen.py        (from modelio/)

Every array holds values the Go tests recompute from the same formulas
(see testdata_test.go), so the files are checked against the formulas, not
against themselves. Written with torch 1.13 and numpy 1.24; torch.save's zip
records carry fixed dates, so the output is reproducible, except legacy.pt
(whose storage keys are memory addresses).
"""
import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def out(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


# ---------------------------------------------------------------- torch files

def dtypes_dict():
    """One tensor of each dtype, plus the views torch.save keeps as views."""
    d = collections.OrderedDict()
    a24 = torch.arange(24, dtype=torch.float64)
    d["f64"] = (a24 * 0.5 - 3).reshape(2, 3, 4)
    d["f32"] = (a24 * 0.5 - 3).float().reshape(2, 3, 4)
    a12 = torch.arange(12, dtype=torch.float32) * 0.25 - 1
    d["f16"] = a12.half().reshape(3, 4)
    d["bf16"] = a12.bfloat16().reshape(3, 4)
    d["i64"] = torch.tensor([-2**40, -1, 0, 1, 2**40, 2**62], dtype=torch.int64)
    for name, dt in [("i32", torch.int32), ("i16", torch.int16), ("i8", torch.int8)]:
        d[name] = torch.arange(6, dtype=dt) - 3
    d["u8"] = torch.tensor([0, 1, 127, 128, 255], dtype=torch.uint8)
    d["bool"] = torch.tensor([True, False, True])
    d["scalar"] = torch.tensor(3.5)
    d["empty"] = torch.zeros(0, 3)
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    d["transposed"] = base.t()                      # (4, 3), stride (1, 4)
    d["slice"] = torch.arange(20, dtype=torch.float32)[5:11]   # offset 5
    d["strided"] = torch.arange(24, dtype=torch.float32).reshape(4, 6)[:, 1:5:2]  # (4, 2), stride (6, 2), offset 1
    d["expanded"] = torch.tensor([1.0, 2.0, 3.0]).expand(2, 3)  # stride (0, 1)
    tied = torch.arange(4, dtype=torch.float32) + 10
    d["tied_a"] = tied
    d["tied_b"] = tied
    d["param"] = torch.nn.Parameter(torch.arange(4, dtype=torch.float32) - 1)
    d["num_batches_tracked"] = torch.tensor(5)
    return d


def write_torch_files():
    d = dtypes_dict()
    for proto in (2, 4, 5):
        torch.save(d, out("torch", f"dtypes_p{proto}.pt"), pickle_protocol=proto)
    src = out("torch", "dtypes_p2.pt")
    rezip(src, out("torch", "dtypes_deflate.pt"), deflate=True)
    rezip(src, out("torch", "dtypes_big.pt"), big_endian=True)

    small = collections.OrderedDict(w=torch.arange(3, dtype=torch.float32))
    torch.save(small, out("torch", "legacy.pt"), _use_new_zipfile_serialization=False)
    torch.save(torch.arange(3, dtype=torch.float32), out("torch", "tensor.pt"))
    torch.save({"model": small, "epoch": 3}, out("torch", "nested.pt"))
    torch.save({}, out("torch", "empty.pt"))
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), out("torch", "torchscript.pt"))
    # A Lightning-like checkpoint with a state_dict, bookkeeping and an
    # optimizer state (tensors that are not read).
    torch.save({
        "epoch": 7, "global_step": 2**40, "pytorch-lightning_version": "2.0.1",
        "state_dict": collections.OrderedDict((f"generator.{k}", v) for k, v in small.items()),
        "optimizer_states": [{"state": {0: {"exp_avg": torch.zeros(3)}}}],
    }, out("torch", "lightning.ckpt"))


def storage_types(pkl):
    """Maps each storage key of a data.pkl to its storage class name."""
    types = {}

    class Scan(pickle.Unpickler):
        def find_class(self, module, name):
            if name.endswith("Storage"):
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            return lambda *a, **k: None

        def persistent_load(self, pid):
            types[pid[2]] = pid[1]

    Scan(io.BytesIO(pkl)).load()
    return types


SIZES = {"DoubleStorage": 8, "FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2,
         "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2, "CharStorage": 1,
         "ByteStorage": 1, "BoolStorage": 1}


def rezip(src, dst, deflate=False, big_endian=False):
    """Copies a torch zip, compressing it or making it big-endian."""
    with zipfile.ZipFile(src) as zin:
        names = zin.namelist()
        prefix = names[0].split("/")[0]
        types = storage_types(zin.read(f"{prefix}/data.pkl"))
        method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
        with zipfile.ZipFile(dst, "w", compression=method) as zout:
            for n in names:
                b = zin.read(n)
                key = n[len(prefix) + len("/data/"):] if n.startswith(f"{prefix}/data/") else None
                if big_endian and key is not None:
                    size = SIZES[types[key]]
                    b = b"".join(b[i:i + size][::-1] for i in range(0, len(b), size))
                info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = method
                zout.writestr(info, b)
            if big_endian:
                info = zipfile.ZipInfo(f"{prefix}/byteorder", date_time=(1980, 1, 1, 0, 0, 0))
                zout.writestr(info, b"big")


# ---------------------------------------------------------------- pickles

class Opaque:
    def __init__(self):
        self.x = 1


class OpaqueEx:
    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)

    def __getnewargs_ex__(self):
        return (1,), {"k": 2}


def pickle_object(proto):
    obj = {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, 2**63 - 1, -2**63,
                 2**64, -2**100, 10**30, 2**2100, -2**2100],
        "floats": [1.5, -0.0, float("inf"), 1e300, 5e-324],
        "strs": ["", "x", "üñí€😀", "\n\\'\"", "a" * 300],
        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
        "consts": [None, True, False],
        "dict": {1: "one", (1, 2): "pair", "k": {}},
        "nested": [[[]], {}],
        "od": collections.OrderedDict([("b", 1), ("a", 2)]),
    }
    if proto >= 2:
        obj["opaque"] = Opaque()
    if proto >= 3:
        obj["bytes"] = [b"", b"\x00\xff", bytes(range(256)) * 2]
    if proto >= 4:
        obj["sets"] = [{1, 2, 3}, frozenset({"a"}), set()]
        obj["opaque_ex"] = OpaqueEx()
    if proto >= 5:
        obj["bytearray"] = bytearray(b"xy")
    shared = [1, 2]
    obj["shared"] = [shared, shared]
    return obj


def canon(v):
    """A canonical rendering that pickle_test.go's render reproduces."""
    if v is None or v is True or v is False:
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "f" + struct.pack(">d", v).hex()
    if isinstance(v, str):
        return "s" + v.encode().hex()
    if isinstance(v, (bytes, bytearray)):
        return "b" + bytes(v).hex()
    if isinstance(v, tuple):
        return "(" + ",".join(canon(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.items()) + "}"
    if isinstance(v, (set, frozenset)):
        return "set{" + ",".join(sorted(canon(x) for x in v)) + "}"
    return f"obj({type(v).__module__}.{type(v).__qualname__})"


def write_pickles():
    for proto in range(6):
        obj = pickle_object(proto)
        with open(out("pickle", f"proto{proto}.pkl"), "wb") as f:
            f.write(pickle.dumps(obj, protocol=proto))
        with open(out("pickle", f"proto{proto}.txt"), "w") as f:
            f.write(canon(obj) + "\n")


# ---------------------------------------------------------------- npy files

def write_npy():
    x = np.arange(12).reshape(3, 4)
    for code in ("f2", "f4", "f8"):
        np.save(out("npy", f"{code}.npy"), ((x - 5) * 0.25).astype("<" + code))
        np.save(out("npy", f"be_{code}.npy"), ((x - 5) * 0.25).astype(">" + code))
    for code in ("i1", "i2", "i4", "i8"):
        np.save(out("npy", f"{code}.npy"), (x - 5).astype("<" + code))
    np.save(out("npy", "be_i8.npy"), (x - 5).astype(">i8"))
    np.save(out("npy", "u1.npy"), (x * 20).astype("u1"))
    np.save(out("npy", "b1.npy"), x % 3 == 0)
    y = np.arange(24, dtype="<f4").reshape(2, 3, 4)
    np.save(out("npy", "fortran_f4.npy"), np.asfortranarray(y))
    np.save(out("npy", "scalar_f8.npy"), np.array(2.5))
    np.save(out("npy", "empty_f4.npy"), np.zeros((0, 3), dtype="<f4"))
    np.save(out("npy", "vector_i4.npy"), np.arange(5, dtype="<i4"))
    for v in ((2, 0), (3, 0)):
        with open(out("npy", f"v{v[0]}_f4.npy"), "wb") as f:
            np.lib.format.write_array(f, y, version=v)


if __name__ == "__main__":
    write_torch_files()
    write_pickles()
    write_npy()
