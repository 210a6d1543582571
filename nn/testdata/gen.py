"""Generate torch_conv.json and torch_conv.bin: PyTorch Conv2d and
ConvTranspose2d outputs that nn's golden tests compare against.

    /usr/bin/python3 gen.py     (needs torch; run from this directory)

torch_conv.bin holds little-endian float32 arrays back to back; the JSON
lists every case's parameters and, for each array (input, weight, bias,
output), its offset and length in floats. Inputs and weights are drawn from
a fixed seed, so rerunning reproduces the files (up to PyTorch's own
arithmetic, which may change between versions).
"""
import json
import struct

import torch

torch.manual_seed(20240601)
torch.set_num_threads(1)

conv_cases = [
    # name, N, Cin, Cout, H, W, (kh, kw), stride, pad, dilation, padding_mode, bias
    ("k3_reflect", 1, 3, 4, 8, 9, (3, 3), 1, 1, 1, "reflect", True),
    ("k3_s2_reflect_odd", 2, 3, 5, 13, 11, (3, 3), 2, 1, 1, "reflect", False),
    ("k7_reflect", 1, 2, 3, 9, 8, (7, 7), 1, 3, 1, "reflect", True),
    ("k7_reflect_64ch_out3", 1, 9, 3, 12, 70, (7, 7), 1, 3, 1, "reflect", True),
    ("k3_d2_zeros", 1, 4, 2, 9, 10, (3, 3), 1, 2, 2, "zeros", True),
    ("k3_d2_reflect", 2, 3, 4, 6, 7, (3, 3), 1, 2, 2, "reflect", True),
    ("k1", 2, 3, 4, 5, 6, (1, 1), 1, 0, 1, "zeros", True),
    ("k3_s2_zeros_7x1", 1, 2, 3, 7, 1, (3, 3), 2, 1, 1, "zeros", True),
    ("k5x3_reflect", 1, 5, 2, 9, 7, (5, 3), 1, 2, 1, "reflect", True),
    ("k3_s2_p0", 1, 3, 6, 10, 9, (3, 3), 2, 0, 1, "zeros", True),
]

convt_cases = [
    # name, N, Cin, Cout, H, W, k, stride, pad, output_padding, bias
    ("lama_up", 2, 4, 3, 5, 6, 3, 2, 1, 1, True),
    ("k4_s2", 1, 3, 2, 4, 5, 4, 2, 1, 0, True),
    ("k3_s1", 1, 2, 3, 6, 4, 3, 1, 1, 0, False),
    ("k5_s3_op2", 1, 3, 2, 3, 4, 5, 3, 2, 2, True),
    ("k2_s2", 2, 3, 4, 3, 3, 2, 2, 0, 0, True),
    ("odd_33x25", 1, 5, 4, 9, 7, 3, 2, 1, 1, True),
]

blob = bytearray()
index = {"conv2d": [], "conv_transpose2d": []}


def put(t):
    """Append tensor t as float32 to blob; return [offset, length]."""
    a = t.detach().contiguous().reshape(-1).tolist()
    off = len(blob) // 4
    blob.extend(struct.pack("<%df" % len(a), *a))
    return [off, len(a)]


with torch.no_grad():
    for name, n, cin, cout, h, w, k, s, p, d, mode, bias in conv_cases:
        m = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, dilation=d, padding_mode=mode, bias=bias)
        x = torch.randn(n, cin, h, w)
        y = m(x)
        index["conv2d"].append({
            "name": name, "n": n, "in_c": cin, "out_c": cout, "h": h, "w": w,
            "kh": k[0], "kw": k[1], "stride": s, "pad": p, "dilation": d, "padding": mode,
            "input": put(x), "weight": put(m.weight), "bias": put(m.bias) if bias else None,
            "output": put(y), "out_h": y.shape[2], "out_w": y.shape[3],
        })
    for name, n, cin, cout, h, w, k, s, p, op, bias in convt_cases:
        m = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=op, bias=bias)
        x = torch.randn(n, cin, h, w)
        y = m(x)
        index["conv_transpose2d"].append({
            "name": name, "n": n, "in_c": cin, "out_c": cout, "h": h, "w": w,
            "k": k, "stride": s, "pad": p, "output_padding": op,
            "input": put(x), "weight": put(m.weight), "bias": put(m.bias) if bias else None,
            "output": put(y), "out_h": y.shape[2], "out_w": y.shape[3],
        })

index["generator"] = "gen.py, torch " + torch.__version__
with open("torch_conv.bin", "wb") as f:
    f.write(blob)
with open("torch_conv.json", "w") as f:
    json.dump(index, f, indent=1)
    f.write("\n")
