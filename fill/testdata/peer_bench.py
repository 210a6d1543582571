#!/usr/bin/python3
"""Time the peer tools on fill's benchmark inputs.

    peer_bench.py jobs.json

jobs.json (written by `go test ./fill -run PeerSpeed -peerbench`) lists
{"image": RGB PNG, "mask": gray PNG, "size": N, "repeats": R}. For each job
this times, R times each, on the decoded arrays (no file I/O):
    cv2.inpaint TELEA     cv2.inpaint(img, mask, 5, INPAINT_TELEA)
    cv2.inpaint NS        cv2.inpaint(img, mask, 5, INPAINT_NS)
    gdal.FillNodata       3 bands, -md 100 -si 0, GDAL's default work files
                          (GTiff in the temp directory, as gdal_fillnodata.py)
    gdal.FillNodata MEM   the same with TEMP_FILE_DRIVER=MEM
and prints a JSON list of {"size", "peers": {name: median wall ms},
"peers_cpu": {name: median CPU ms}}.
"""
import json
import sys
import time

import cv2
import numpy as np

import peer


def timed(fn, repeats):
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return float(np.median(wall)), float(np.median(cpu))


def main(path):
    cv2.setNumThreads(1)  # inpaint is single-threaded anyway
    with open(path) as f:
        jobs = json.load(f)
    out = []
    for job in jobs:
        img = np.ascontiguousarray(peer.read_rgb(job["image"])[:, :, ::-1])
        mask = peer.read_mask(job["mask"])
        r = job["repeats"]
        runs = {
            "cv2.inpaint TELEA": lambda: cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA),
            "cv2.inpaint NS": lambda: cv2.inpaint(img, mask, 5, cv2.INPAINT_NS),
            "gdal.FillNodata": lambda: peer.gdal_fill(img, mask, 100, 0),
            "gdal.FillNodata MEM": lambda: peer.gdal_fill(img, mask, 100, 0, "MEM"),
        }
        wall, cpu = {}, {}
        for name, fn in runs.items():
            wall[name], cpu[name] = timed(fn, r)
        out.append({"size": job["size"], "peers": wall, "peers_cpu": cpu})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
