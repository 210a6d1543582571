"""Time LaMa's convolution layers in PyTorch: the peer for nn's
BenchmarkLamaLayers (same layers, same names; keep the two lists in step).

    /usr/bin/python3 peer_layers.py --size 512 --threads 2 [--trials 5] [--stat min|median]

Prints one line per layer: name, wall milliseconds (min or median of
--trials runs after one warm-up) and GFLOP/s, and with --threads 1 also the
process CPU time (time.process_time: excludes time spent
descheduled on a shared machine, counts every thread PyTorch
may start). Layers run in inference mode with the activation applied,
as nn's Forward does it with the epilogue.
"""
import argparse
import statistics
import time

import torch

# name, in, out, k, stride, pad, input side at 512², transposed, padding, act
LAYERS = [
    ("conv7x7_4to64", 4, 64, 7, 1, 3, 512, False, "reflect", "relu"),
    ("down3x3s2_64to128", 64, 128, 3, 2, 1, 512, False, "reflect", "relu"),
    ("down3x3s2_128to256", 128, 256, 3, 2, 1, 256, False, "reflect", "relu"),
    ("down3x3s2_256to512", 256, 512, 3, 2, 1, 128, False, "reflect", "relu"),
    ("conv3x3_512to128", 512, 128, 3, 1, 1, 64, False, "reflect", "relu"),
    ("conv3x3_128to384", 128, 384, 3, 1, 1, 64, False, "reflect", None),
    ("conv3x3_128to128", 128, 128, 3, 1, 1, 64, False, "reflect", None),
    ("conv1x1_384to192", 384, 192, 1, 1, 0, 64, False, "zeros", "relu"),
    ("conv1x1_192to384", 192, 384, 1, 1, 0, 64, False, "zeros", None),
    ("convT_512to256", 512, 256, 3, 2, 1, 64, True, "zeros", "relu"),
    ("convT_256to128", 256, 128, 3, 2, 1, 128, True, "zeros", "relu"),
    ("convT_128to64", 128, 64, 3, 2, 1, 256, True, "zeros", "relu"),
    ("conv7x7_64to3", 64, 3, 7, 1, 3, 512, False, "reflect", "sigmoid"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--stat", choices=["min", "median"], default="min")
    ap.add_argument("--only", default="", help="run only layers whose name contains this")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name, cin, cout, k, s, p, h, transposed, mode, act in LAYERS:
        if args.only and args.only not in name:
            continue
        h = h * args.size // 512
        if transposed:
            m = torch.nn.ConvTranspose2d(cin, cout, k, stride=s, padding=p, output_padding=1)
            flops = 2 * cin * cout * k * k * h * h
        else:
            m = torch.nn.Conv2d(cin, cout, k, stride=s, padding=p, padding_mode=mode)
            ho = (h + 2 * p - k) // s + 1
            flops = 2 * cin * cout * k * k * ho * ho
        f = {"relu": torch.relu, "sigmoid": torch.sigmoid, None: lambda y: y}[act]
        x = torch.randn(1, cin, h, h)
        with torch.inference_mode():
            f(m(x))
            ts, cs = [], []
            for _ in range(args.trials):
                t0, c0 = time.perf_counter(), time.process_time()
                f(m(x))
                ts.append(time.perf_counter() - t0)
                cs.append(time.process_time() - c0)
        pick = min if args.stat == "min" else statistics.median
        t, c = pick(ts), pick(cs)
        line = f"{args.size}/{name} wall {t * 1e3:.2f} ms {flops / t / 1e9:.1f} GFLOP/s"
        if args.threads == 1:
            line += f" cpu {c * 1e3:.2f} ms {flops / c / 1e9:.1f} GFLOP/s"
        print(line, flush=True)


if __name__ == "__main__":
    main()
