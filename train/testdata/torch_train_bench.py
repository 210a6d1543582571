"""PyTorch side of aerofill's training-step benchmark (see train/NOTES.md).

Runs the training step of shared/tools/torch_lama.py (the PyTorch peer of
LaMa's generator: forward, masked MSE, backward, Adam) and reports, like
aerofill's BenchmarkTrainStep, the median wall time and the process CPU
time per step, so that the two can be compared on a busy machine.

    /usr/bin/python3 train/testdata/torch_train_bench.py --size 256 --batch 4 --ngf 64 --down 3 --blocks 9 --runs 3
"""
import argparse
import os
import resource
import statistics
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("AEROFILL_TOOLS", os.path.join(here, "..", "..", "..", "shared", "tools")))
import torch  # noqa: E402
import torch_lama  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--ngf", type=int, default=64)
    p.add_argument("--blocks", type=int, default=9)
    p.add_argument("--down", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = torch_lama.randomize(torch_lama.Generator(a.ngf, a.down, a.blocks))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(a.batch, 4, a.size, a.size)
    truth = torch.rand(a.batch, 3, a.size, a.size)
    mask = (torch.rand(a.batch, 1, a.size, a.size) > 0.8).float()

    def step():
        opt.zero_grad(set_to_none=True)
        out = model(x)
        err = ((out - truth) ** 2 * mask).sum() / (mask.sum() * 3)
        err.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    wall, cpu = [], []
    for _ in range(a.runs):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch {torch.__version__} ngf={a.ngf} down={a.down} blocks={a.blocks} size={a.size} batch={a.batch} threads={a.threads} "
          f"wall_ms={[round(v) for v in wall]} cpu_ms={[round(v) for v in cpu]} peak_rss_mb={peak:.0f}")
    print(f"wall_ms_median={statistics.median(wall):.0f} cpu_ms_median={statistics.median(cpu):.0f} peak_rss_mb={peak:.0f}")


if __name__ == "__main__":
    main()
