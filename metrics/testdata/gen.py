#!/usr/bin/python3
"""Reference values for the metrics tests, from scikit-image.

Cuts crops from real aerial chips, damages each in several ways, writes every
image as PNG and the metrics scikit-image (and numpy, for MAE and hole PSNR)
gives for each pair to pairs.json. The Go tests read both and must agree.

  cd metrics && /usr/bin/python3 testdata/gen.py            # the stored set
  /usr/bin/python3 testdata/gen.py --out DIR --full a.png…  # whole chips (live test)

Needs python3-skimage, python3-opencv and numpy (Debian packages).
"""
import argparse
import json
import os
import sys

import cv2
import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

HERE = os.path.dirname(os.path.abspath(__file__))

# (chip, x, y): crops of 144×112 px from several sources, at odd offsets.
CROPS = [
    ("neon_0007.png", 37, 51),
    ("caliterra_0012.png", 90, 13),
    ("oam_0003.png", 5, 120),
    ("nlortho_0005.png", 101, 77),
    ("landsat8_0001.png", 64, 64),
    ("audrone_0002.png", 11, 140),
]
CROP_W, CROP_H = 144, 112


def damages(truth, seed):
    """Yields (name, damaged image, mask or None) for one RGB uint8 image."""
    h, w = truth.shape[:2]
    rng = np.random.default_rng(seed)

    # Black lines, as the competition's damage: the mask is the hole.
    mask = np.zeros((h, w), np.uint8)
    for _ in range(4):
        p = (int(rng.integers(0, w)), 0)
        q = (int(rng.integers(0, w)), h - 1)
        if rng.integers(0, 2):
            p, q = (0, int(rng.integers(0, h))), (w - 1, int(rng.integers(0, h)))
        cv2.line(mask, p, q, 255, int(rng.integers(3, 13)))
    lines = truth.copy()
    lines[mask > 0] = 0
    yield "lines", lines, mask

    # A half-restored copy: the lines filled with a blurred truth, so hole
    # PSNR is finite and not trivial.
    blurred = cv2.GaussianBlur(truth, (0, 0), 2.0)
    filled = truth.copy()
    filled[mask > 0] = blurred[mask > 0]
    yield "filled", filled, mask

    yield "blur", cv2.GaussianBlur(truth, (0, 0), 1.2), None

    ok, enc = cv2.imencode(".jpg", cv2.cvtColor(truth, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 30])
    assert ok
    yield "jpeg", cv2.cvtColor(cv2.imdecode(enc, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), None

    noisy = np.clip(np.round(truth.astype(np.float64) + rng.normal(0, 6, truth.shape)), 0, 255)
    yield "noise", noisy.astype(np.uint8), None


def metrics(truth, other, mask):
    a, b = truth.astype(np.float64), other.astype(np.float64)
    multichannel = truth.ndim == 3
    r = {
        "psnr": float(peak_signal_noise_ratio(truth, other, data_range=255)),
        "ssim": float(structural_similarity(
            truth, other, channel_axis=-1 if multichannel else None, data_range=255,
            gaussian_weights=True, sigma=1.5, use_sample_covariance=False)),
        "mae": float(np.mean(np.abs(a - b))),
    }
    if mask is not None:
        sel = mask > 0
        mse = np.mean((a[sel] - b[sel]) ** 2)
        r["psnr_hole"] = float(10 * np.log10(255.0 ** 2 / mse)) if mse > 0 else "+Inf"
        r["hole_fraction"] = float(sel.mean())
    return r


def write(path, img):
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(path, img), path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--chips", default="/work/shared/data/aerial/chips")
    ap.add_argument("--full", nargs="*", help="whole chips instead of the stored crops")
    args = ap.parse_args()

    if args.full:
        items = [(c, 0, 0, None) for c in args.full]
    else:
        items = [(c, x, y, (CROP_W, CROP_H)) for c, x, y in CROPS]

    pairs = []
    for i, (chip, x, y, size) in enumerate(items):
        img = cv2.cvtColor(cv2.imread(os.path.join(args.chips, chip), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        if size:
            img = img[y:y + size[1], x:x + size[0]]
        stem = os.path.splitext(chip)[0]
        truth_name = stem + "_truth.png"
        write(os.path.join(args.out, truth_name), img)
        for name, other, mask in damages(img, seed=i):
            other_name = "%s_%s.png" % (stem, name)
            write(os.path.join(args.out, other_name), other)
            entry = {"truth": truth_name, "other": other_name}
            if mask is not None:
                entry["mask"] = stem + "_mask.png"
                write(os.path.join(args.out, entry["mask"]), mask)
            entry.update(metrics(img, other, mask))
            pairs.append(entry)
        # One grayscale pair per image: the one-channel path.
        g, gb = (cv2.cvtColor(v, cv2.COLOR_RGB2GRAY) for v in (img, cv2.GaussianBlur(img, (0, 0), 1.2)))
        write(os.path.join(args.out, stem + "_gray.png"), g)
        write(os.path.join(args.out, stem + "_grayblur.png"), gb)
        entry = {"truth": stem + "_gray.png", "other": stem + "_grayblur.png"}
        entry.update(metrics(g, gb, None))
        pairs.append(entry)

    doc = {
        "generator": "testdata/gen.py",
        "skimage": skimage.__version__,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
        "pairs": pairs,
    }
    with open(os.path.join(args.out, "pairs.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print("wrote %d pairs to %s" % (len(pairs), args.out), file=sys.stderr)


if __name__ == "__main__":
    main()
