#!/usr/bin/python3
"""Regenerate fill's golden tool outputs.

Run by `go test -run Golden -update` (which first writes cases.csv, masks/
and exact/ inputs with the Go generators), from fill/testdata:

    /usr/bin/python3 gen.py CHIPS_DIR

Writes, with OpenCV (cv2.inpaint, radius 5) and GDAL (FillNodata, -md 100
-si 0) on each case of cases.csv (an 8-bit RGB chip blacked out under its
mask):
    tool_psnr.csv        PSNR of each tool's fill against the chip: whole
                         image, and leaving out an 8-pixel frame
    tool_holes.bin.gz    the tools' RGB hole pixels for the cases with keep=1
and, for each crop listed in exact/ and each run in exact/runs.csv, the
tool's float32 output as exact/<crop>_<suffix>.f32.
"""
import csv
import gzip
import os
import sys

import cv2
import numpy as np

import peer

FILLERS = ["telea", "ns", "idw"]  # order of tool_holes.bin.gz


def tool_fill(img, mask, filler):
    if filler == "idw":
        return peer.gdal_fill(img, mask, 100, 0)
    return peer.opencv_fill(img, mask, filler, 5)


FRAME = 8  # psnr_inner leaves out this many pixels along each edge


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main(chips):
    with open("cases.csv") as f:
        cases = list(csv.DictReader(f))
    psnr_rows = []
    holes = bytearray()
    for c in cases:
        truth = peer.read_rgb(os.path.join(chips, c["chip"]))
        mask = peer.read_mask(os.path.join("masks", c["id"] + ".png"))
        damaged = truth.copy()
        damaged[mask != 0] = 0
        for filler in FILLERS:
            out = tool_fill(damaged, mask, filler)
            inner = (slice(FRAME, -FRAME), slice(FRAME, -FRAME))
            psnr_rows.append((c["id"], filler, "%.6f" % psnr(out, truth),
                              "%.6f" % psnr(out[inner], truth[inner])))
            if c["keep"] == "1":
                holes += out[mask != 0].astype(np.uint8).tobytes()
    with open("tool_psnr.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "filler", "psnr", "psnr_inner"])
        w.writerows(psnr_rows)
    with gzip.GzipFile("tool_holes.bin.gz", "wb", mtime=0) as f:
        f.write(bytes(holes))

    with open(os.path.join("exact", "runs.csv")) as f:
        runs = list(csv.DictReader(f))
    crops = sorted(n[:-4] for n in os.listdir("exact")
                   if n.endswith(".png") and "mask" not in n)
    for crop in crops:
        band = cv2.imread(os.path.join("exact", crop + ".png"), cv2.IMREAD_UNCHANGED).astype(np.float32)
        for r in runs:
            mname = crop + ("_edgemask.png" if r["edge"] == "true" else "_mask.png")
            mask = peer.read_mask(os.path.join("exact", mname))
            if r["tool"] == "opencv":
                out = peer.opencv_fill(band, mask, r["filler"], int(r["radius"]))
            else:
                out = peer.gdal_fill(band, mask, float(r["md"]), int(r["si"]))
            out.astype("<f4").tofile(os.path.join("exact", "%s_%s.f32" % (crop, r["suffix"])))
    print("gen.py: %d cases, %d crops" % (len(cases), len(crops)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
