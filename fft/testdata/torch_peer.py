#!/usr/bin/python3
"""Speed peer for fft's TestTorchPeer: PyTorch's rfft2 + irfft2, one thread.

Reads lines "H W C REPS" on stdin; for each, times
    F = torch.fft.rfft2(x, norm="ortho"); y = torch.fft.irfft2(F, s=(H, W), norm="ortho")
on a float32 batch x of shape (C, H, W), REPS times after one warm-up, and
prints "CPU_NS WALL_NS": the medians per plane of the thread CPU time and of
the wall time. Run with /usr/bin/python3 (Debian's python3-torch).
"""
import sys
import time

import torch

torch.set_num_threads(1)
print("ready", torch.__version__, flush=True)
for line in sys.stdin:
    h, w, c, reps = map(int, line.split())
    x = torch.rand(c, h, w, dtype=torch.float32)
    cpu, wall = [], []
    for r in range(reps + 1):
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        f = torch.fft.rfft2(x, norm="ortho")
        y = torch.fft.irfft2(f, s=(h, w), norm="ortho")
        c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
        if r > 0:
            cpu.append((c1 - c0) / c)
            wall.append((w1 - w0) / c)
    cpu.sort()
    wall.sort()
    print("%d %d" % (cpu[len(cpu) // 2], wall[len(wall) // 2]), flush=True)
