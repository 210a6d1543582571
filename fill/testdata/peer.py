#!/usr/bin/python3
"""Run the peer tools the fill package is checked against.

OpenCV's cv2.inpaint (INPAINT_TELEA, INPAINT_NS) and GDAL's FillNodata (the
algorithm behind gdal_fillnodata.py), on the same inputs the Go tests use.
Needs /usr/bin/python3 with python3-opencv, python3-gdal and numpy.

As a program it runs a batch of jobs for fill's live test:

    peer.py jobs.json

jobs.json holds a list of objects with keys
    tool    "opencv" or "gdal"
    filler  "telea", "ns" or "idw"
    radius  OpenCV inpaintRadius (telea, ns)
    md, si  GDAL max distance and smoothing iterations (idw)
    image   input: an 8-bit RGB PNG, or a raw little-endian float32 band
            (".f32", with "w" and "h")
    mask    8-bit gray PNG, non-zero = hole
    out     output path, same kind as image
"""
import json
import sys

import cv2
import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def read_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"peer.py: cannot read {path}")
    return img[:, :, ::-1].copy()  # BGR -> RGB


def write_rgb(path, rgb):
    if not cv2.imwrite(path, np.ascontiguousarray(rgb[:, :, ::-1])):
        raise SystemExit(f"peer.py: cannot write {path}")


def read_mask(path):
    m = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if m is None or m.ndim != 2:
        raise SystemExit(f"peer.py: {path} is not an 8-bit gray PNG")
    return (m != 0).astype(np.uint8) * 255


def opencv_fill(img, mask, filler, radius):
    """cv2.inpaint on a uint8 RGB image or a float32 2-D band."""
    flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[filler]
    if img.ndim == 3:
        return cv2.inpaint(np.ascontiguousarray(img[:, :, ::-1]), mask, radius, flag)[:, :, ::-1]
    return cv2.inpaint(img, mask, radius, flag)


def gdal_fill_band(band, mask, md, si, temp_driver=None):
    """GDALFillNodata on one band, as gdal_fillnodata.py does it.

    uint8 bands use a Byte raster and an explicit validity mask; float32
    bands use a Float32 raster whose nodata value marks the holes, so that
    the smoothing passes re-read the mask after filling (gdal_fillnodata.py's
    default behaviour)."""
    h, w = band.shape
    mem = gdal.GetDriverByName("MEM")
    opts = [f"TEMP_FILE_DRIVER={temp_driver}"] if temp_driver else []
    if band.dtype == np.uint8:
        ds = mem.Create("", w, h, 1, gdal.GDT_Byte)
        b = ds.GetRasterBand(1)
        b.WriteArray(band)
        ms = mem.Create("", w, h, 1, gdal.GDT_Byte)
        mb = ms.GetRasterBand(1)
        mb.WriteArray(np.where(mask != 0, 0, 255).astype(np.uint8))
        gdal.FillNodata(b, mb, md, si, opts)
        return b.ReadAsArray()
    nodata = -3.0e38
    ds = mem.Create("", w, h, 1, gdal.GDT_Float32)
    b = ds.GetRasterBand(1)
    a = band.astype(np.float32).copy()
    a[mask != 0] = nodata
    b.WriteArray(a)
    b.SetNoDataValue(nodata)
    gdal.FillNodata(b, b.GetMaskBand(), md, si, opts)
    return b.ReadAsArray()


def gdal_fill(img, mask, md, si, temp_driver=None):
    if img.ndim == 2:
        return gdal_fill_band(img, mask, md, si, temp_driver)
    return np.stack([gdal_fill_band(img[:, :, c], mask, md, si, temp_driver)
                     for c in range(img.shape[2])], axis=2)


def run(job):
    mask = read_mask(job["mask"])
    raw = job["image"].endswith(".f32")
    if raw:
        img = np.fromfile(job["image"], dtype="<f4").reshape(job["h"], job["w"])
    else:
        img = read_rgb(job["image"])
    if job["tool"] == "opencv":
        out = opencv_fill(img, mask, job["filler"], job.get("radius", 5))
    elif job["tool"] == "gdal":
        out = gdal_fill(img, mask, job.get("md", 100), job.get("si", 0))
    else:
        raise SystemExit(f"peer.py: unknown tool {job['tool']!r}")
    if raw:
        out.astype("<f4").tofile(job["out"])
    else:
        write_rgb(job["out"], out)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        for job in json.load(f):
            run(job)
