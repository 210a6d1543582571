#!/usr/bin/python3
"""Regenerates the TIFF upload fixtures and their reference PNGs with GDAL.

Run from this directory:  /usr/bin/python3 gen.py
Each case is a small crop of a real scene in /work/shared/data/aerial, written
by GDAL with one layout/compression/sample type; the reference PNG holds the
8-bit RGB image the server must hand its restorer, computed from GDAL's own
read of the file:
  - integer samples: the type's non-negative range scaled onto 0..255 and
    truncated (8-bit as is, 16-bit unsigned >> 8, 16-bit signed >> 7,
    negative values 0);
  - floating-point samples: 0..1 scaled onto 0..255 and rounded, clamped;
  - MinIsWhite inverted; one band repeated on R, G and B; bands 1-3 of
    multiband imagery; palette indices looked up (colour map >> 8).
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

# name: (source, bands, srcwin, creation options, extra Translate options)
CASES = {
    "lzw_strips_rgb8": (SJER, None, (100, 120, 64, 48), ["COMPRESS=LZW", "BLOCKYSIZE=7"], {}),
    "lzw_pred2_rgb8": (SJER, None, (10, 300, 57, 33), ["COMPRESS=LZW", "PREDICTOR=2"], {}),
    "deflate_tiles_rgb8": (SJER, None, (200, 10, 70, 45), ["COMPRESS=DEFLATE", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=16"], {}),
    "packbits_gray8": (SJER, [1], (0, 0, 33, 17), ["COMPRESS=PACKBITS"], {}),
    "none_bigendian_rgb8": (SJER, None, (300, 300, 31, 29), ["ENDIANNESS=BIG", "BLOCKYSIZE=5"], {}),
    "lzw_pred2_tiles_rgb16": (RGB16, None, (50, 60, 40, 35), ["COMPRESS=LZW", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"], {}),
    "deflate_naip_4band": (NAIP, None, (400, 300, 48, 40), ["COMPRESS=DEFLATE", "PHOTOMETRIC=MINISBLACK"], {}),
    "baseline_rgb8": (SJER, None, (5, 5, 7, 1), ["PROFILE=BASELINE"], {}),
    # Layouts and types the server's first TIFF reader could not decode.
    "deflate_planar_rgb8": (SJER, None, (60, 200, 45, 37), ["COMPRESS=DEFLATE", "INTERLEAVE=BAND", "BLOCKYSIZE=8"], {}),
    "bigtiff_tiles_rgb8": (SJER, None, (150, 250, 50, 41), ["BIGTIFF=YES", "COMPRESS=LZW", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=32"], {}),
    "float32_pred3_rgb": (SJER, None, (220, 140, 38, 27), ["COMPRESS=DEFLATE", "PREDICTOR=3"],
                          {"outputType": gdal.GDT_Float32, "scaleParams": [[0, 255, -0.05, 1.05]]}),
    "int16_gray": (RGB16, [2], (100, 100, 29, 23), ["COMPRESS=LZW"],
                   {"outputType": gdal.GDT_Int16, "scaleParams": [[8800, 11044, -3000, 32767]]}),
    "miniswhite_gray8": (SJER, [2], (30, 330, 26, 19), ["PHOTOMETRIC=MINISWHITE"], {}),
}


def to8(a):
    """The server's conversion of samples of a's type to 8 bits."""
    if a.dtype == np.uint8:
        return a
    if a.dtype.kind == "f":
        v = np.nan_to_num(a.astype(np.float64), nan=0.0) * 255 + 0.5
        return np.floor(np.clip(v, 0, 255)).astype(np.uint8)
    hi = np.iinfo(a.dtype).max
    v = np.clip(a.astype(np.float64), 0, hi) * (256 / (hi + 1))
    return np.floor(np.minimum(v, 255)).astype(np.uint8)


def reference(ds):
    a = ds.ReadAsArray()
    if a.ndim == 2:
        a = a[None]
    a = to8(a)
    if ds.GetMetadataItem("MINISWHITE", "IMAGE_STRUCTURE") == "YES":
        a = 255 - a[:1]
    if a.shape[0] < 3:
        a = np.repeat(a[:1], 3, axis=0)
    return np.ascontiguousarray(a[:3].transpose(1, 2, 0))


def write_png(path, rgb):
    cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


for name, (src, bands, win, opts, extra) in CASES.items():
    out = f"{name}.tif"
    gdal.Translate(out, src, srcWin=list(win), bandList=bands, creationOptions=opts, **extra)
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
lut = np.array([ct.GetColorEntry(i)[:3] for i in range(256)], dtype=np.uint8)
write_png("palette8.png", lut[ds.GetRasterBand(1).ReadAsArray()])

# JPEG-in-TIFF (YCbCr, shared tables): GDAL's libjpeg and Go's decoders
# may round differently, so the test compares with a tolerance.
gdal.Translate("jpeg_ycbcr_tiles.tif", SJER, srcWin=[40, 40, 80, 48],
               creationOptions=["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR", "TILED=YES", "BLOCKXSIZE=32", "BLOCKYSIZE=32"])
write_png("jpeg_ycbcr_tiles.png", reference(gdal.Open("jpeg_ycbcr_tiles.tif")))
