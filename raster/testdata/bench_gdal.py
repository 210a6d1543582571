#!/usr/bin/python3
"""Time raster against GDAL (the peer) on the same work, interleaved so that
both see the same machine load, and print medians and the median of the
per-repeat ratios (raster time / GDAL time; below 1 means raster is faster),
for wall time and for CPU time (user + system; steadier on a shared machine,
but it counts both of our goroutines where wall time counts the slower):

    go test -c -o /tmp/raster.test ./raster
    /usr/bin/python3 raster/testdata/bench_gdal.py /tmp/raster.test [shared-dir] [repeats]

Read: open a scene and read all of it in its native type
(BenchmarkReadScene, ReadWindowNative; GDAL's ReadAsArray). Write: a 2048x2048 RGB
array held in memory, written as a 256x256-tiled GTiff with each
compression (BenchmarkWrite). GDAL compresses in one thread (its default);
our writer uses GOMAXPROCS goroutines, and so does our reader.
"""
import os, re, statistics, subprocess, sys, tempfile, time
from osgeo import gdal

gdal.UseExceptions()
test_bin = sys.argv[1]
shared = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("AEROFILL_SHARED", "/work/shared")
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 7
env = dict(os.environ, AEROFILL_SHARED=shared)
here = os.path.dirname(os.path.abspath(__file__))


def go_ms(bench, n):
    # n iterations in one process, so that its start-up (heap growth, page
    # faults) is amortised as it is for GDAL in this long-lived process.
    out = subprocess.run([test_bin, "-test.run", "XXX", "-test.bench", bench, "-test.benchtime", f"{n}x"],
                         capture_output=True, text=True, env=env, cwd=os.path.dirname(here), check=True).stdout
    wall = float(re.search(r"\s([0-9.]+) ns/op", out).group(1)) / 1e6
    cpu = float(re.search(r"\s([0-9.]+) cpu-ms/op", out).group(1))
    return wall, cpu


def timed(f, n):
    w, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        f()
    return 1000 * (time.perf_counter() - w) / n, 1000 * (time.process_time() - c) / n


def compare(label, gdal_f, bench, n):
    g, o = [], []
    gdal_f()  # warm up
    for _ in range(reps):
        g.append(timed(gdal_f, n))
        o.append(go_ms(bench, n))
    med = lambda xs: statistics.median(xs)
    rw = med(x[0] / y[0] for x, y in zip(o, g))
    rc = med(x[1] / y[1] for x, y in zip(o, g))
    print(f"{label:44s} wall GDAL {med(x[0] for x in g):7.1f} raster {med(x[0] for x in o):7.1f} ms ratio {rw:5.2f} | "
          f"cpu GDAL {med(x[1] for x in g):7.1f} raster {med(x[1] for x in o):7.1f} ms ratio {rc:5.2f}")


scenes = [
    "scenes/RGB.byte.tif", "scenes/2018_SJER_3_252000_4107000_image_477.tif", "scenes/rgb16.tif",
    "scenes/pix4d_alpha_nodata.tif", "naip/m_4709963_se_14_1_20200831.tif", "scenes/test_tiled.tif",
    "scenes/5b90f92da0d7280005fab355_4310.tif",
]
gdal.SetCacheMax(0)  # no block cache carried between repeats
for rel in scenes:
    p = os.path.join(shared, "data/aerial", rel)
    name = os.path.basename(rel)
    compare("read " + name, lambda: gdal.Open(p).ReadAsArray(), "ReadScene/" + re.escape(name) + "$", 5)
gdal.SetCacheMax(256 << 20)

src = gdal.Open(os.path.join(shared, "data/aerial/scenes/5b90f92da0d7280005fab355_4310.tif"))
mem = gdal.GetDriverByName("MEM").CreateCopy("", src)
out = os.path.join(tempfile.mkdtemp(), "out.tif")
for name, opts in [("none", []), ("deflate", ["COMPRESS=DEFLATE"]), ("deflate+p2", ["COMPRESS=DEFLATE", "PREDICTOR=2"]),
                   ("lzw", ["COMPRESS=LZW"]), ("lzw+p2", ["COMPRESS=LZW", "PREDICTOR=2"])]:
    def write():
        gdal.GetDriverByName("GTiff").CreateCopy(out, mem, options=["TILED=YES"] + opts)
    compare("write 2048x2048x3 " + name, write, "Write/" + re.escape(name) + "$", 2)
    print(f"{'':52s} GDAL file {os.path.getsize(out) / 1e6:.2f} MB")
