#!/usr/bin/python3
"""Regenerates the TIFF fixtures and their reference PNGs with GDAL.

Run from this directory:  /usr/bin/python3 gen.py
Each case is a small crop of a real scene in /work/shared/data/aerial, written
by GDAL with one layout/compression; the reference PNG holds what the Go
reader must produce (8-bit RGB; 16-bit samples shifted right by 8; bands 1-3
of multiband imagery; palette looked up), computed from GDAL's own read.
"""
import os
import numpy as np
import cv2
from osgeo import gdal

gdal.UseExceptions()
gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")  # no .aux.xml side files

SRC = os.environ.get("AEROFILL_AERIAL", "/work/shared/data/aerial")
SJER = f"{SRC}/scenes/2018_SJER_3_252000_4107000_image_477.tif"
RGB16 = f"{SRC}/scenes/rgb16.tif"
NAIP = f"{SRC}/naip/m_4709963_se_14_1_20200831.tif"

# name: (source, bands, srcwin, creation options)
CASES = {
    "lzw_strips_rgb8": (SJER, None, (100, 120, 64, 48), ["COMPRESS=LZW", "BLOCKYSIZE=7"]),
    "lzw_pred2_rgb8": (SJER, None, (10, 300, 57, 33), ["COMPRESS=LZW", "PREDICTOR=2"]),
    "deflate_tiles_rgb8": (SJER, None, (200, 10, 70, 45), ["COMPRESS=DEFLATE", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=16"]),
    "packbits_gray8": (SJER, [1], (0, 0, 33, 17), ["COMPRESS=PACKBITS"]),
    "none_bigendian_rgb8": (SJER, None, (300, 300, 31, 29), ["ENDIANNESS=BIG", "BLOCKYSIZE=5"]),
    "lzw_pred2_tiles_rgb16": (RGB16, None, (50, 60, 40, 35), ["COMPRESS=LZW", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]),
    "deflate_naip_4band": (NAIP, None, (400, 300, 48, 40), ["COMPRESS=DEFLATE", "PHOTOMETRIC=MINISBLACK"]),
    "baseline_rgb8": (SJER, None, (5, 5, 7, 1), ["PROFILE=BASELINE"]),
}


def reference(ds):
    a = ds.ReadAsArray()
    if a.ndim == 2:
        a = a[None]
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    if a.shape[0] < 3:
        a = np.repeat(a[:1], 3, axis=0)
    return np.ascontiguousarray(a[:3].transpose(1, 2, 0))


def write_png(path, rgb):
    cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


for name, (src, bands, win, opts) in CASES.items():
    out = f"{name}.tif"
    gdal.Translate(out, src, srcWin=list(win), bandList=bands, creationOptions=opts)
    write_png(f"{name}.png", reference(gdal.Open(out)))

# A palette image: 8-bit indices and a color map.
w, h = 23, 19
idx = (np.arange(w * h).reshape(h, w) * 7 % 256).astype(np.uint8)
drv = gdal.GetDriverByName("GTiff")
ds = drv.Create("palette8.tif", w, h, 1, gdal.GDT_Byte, ["COMPRESS=LZW"])
ct = gdal.ColorTable()
for i in range(256):
    ct.SetColorEntry(i, (i, 255 - i, (i * 3) % 256, 255))
ds.GetRasterBand(1).SetRasterColorTable(ct)
ds.GetRasterBand(1).WriteArray(idx)
ds = None
ds = gdal.Open("palette8.tif")
rgb = ds.ReadAsArray(band_list=[1])
lut = np.array([ct.GetColorEntry(i)[:3] for i in range(256)], dtype=np.uint8)
write_png("palette8.png", lut[ds.GetRasterBand(1).ReadAsArray()])

# JPEG-in-TIFF (YCbCr, shared tables): GDAL's libjpeg and Go's image/jpeg
# round differently, so the test compares with a tolerance.
gdal.Translate("jpeg_ycbcr_tiles.tif", SJER, srcWin=[40, 40, 80, 48],
               creationOptions=["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"])
write_png("jpeg_ycbcr_tiles.png", reference(gdal.Open("jpeg_ycbcr_tiles.tif")))

# Float samples are valid TIFF but not decoded: the reader must say so.
gdal.Translate("float32.tif", SJER, srcWin=[0, 0, 8, 8], outputType=gdal.GDT_Float32)
