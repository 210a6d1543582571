#!/usr/bin/python3
"""Time GDAL (the peer) on the work raster's benchmarks do, for ratios:

    /usr/bin/python3 raster/testdata/bench_gdal.py [shared-dir] [repeats]

Read: open a scene and ReadAsArray all of it (BenchmarkReadScene; GDAL
reads native types, we convert to float32 too). Write: a 2048x2048 RGB
array held in memory, CreateCopy to a 256x256-tiled GTiff with each
compression (BenchmarkWrite). GDAL_NUM_THREADS is left at its default (1
thread for compression, like GDAL's defaults); our writer uses GOMAXPROCS
goroutines. Prints median milliseconds over the repeats.
"""
import os, statistics, sys, tempfile, time
from osgeo import gdal

gdal.UseExceptions()
shared = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AEROFILL_SHARED", "/work/shared")
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
scenes = [
    "scenes/RGB.byte.tif", "scenes/2018_SJER_3_252000_4107000_image_477.tif", "scenes/rgb16.tif",
    "scenes/pix4d_alpha_nodata.tif", "naip/m_4709963_se_14_1_20200831.tif", "scenes/test_tiled.tif",
    "scenes/5b90f92da0d7280005fab355_4310.tif",
]


def median_ms(f):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return 1000 * statistics.median(ts)


gdal.SetCacheMax(0)  # no block cache carried between repeats
for rel in scenes:
    p = os.path.join(shared, "data/aerial", rel)
    print(f"read  {os.path.basename(rel):45s} {median_ms(lambda: gdal.Open(p).ReadAsArray()):8.1f} ms")
gdal.SetCacheMax(256 << 20)

src = gdal.Open(os.path.join(shared, "data/aerial/scenes/5b90f92da0d7280005fab355_4310.tif"))
mem = gdal.GetDriverByName("MEM").CreateCopy("", src)
out = os.path.join(tempfile.mkdtemp(), "out.tif")
for name, opts in [("none", []), ("deflate", ["COMPRESS=DEFLATE"]), ("deflate+p2", ["COMPRESS=DEFLATE", "PREDICTOR=2"]),
                   ("lzw", ["COMPRESS=LZW"]), ("lzw+p2", ["COMPRESS=LZW", "PREDICTOR=2"])]:
    ms = median_ms(lambda: gdal.GetDriverByName("GTiff").CreateCopy(out, mem, options=["TILED=YES"] + opts) and None)
    print(f"write {name:45s} {ms:8.1f} ms  {os.path.getsize(out) / 1e6:.2f} MB")
