#!/usr/bin/python3
"""Regenerate raster's GDAL golden data. Run from anywhere with Debian's
python3 (it has python3-gdal and numpy):

    /usr/bin/python3 raster/testdata/gen.py [shared-dir]

shared-dir defaults to $AEROFILL_SHARED or ../shared beside the repository.

It writes, next to this script:
  gdal/*.tif, gdal/*.png, gdal/*.jpg   small files made by GDAL's own
                  drivers from real imagery (a crop of scenes/rgb16.tif and
                  scenes/RGB.byte.tif), one per combination of data type,
                  compression, predictor, layout, interleave, byte order and
                  BigTIFF that the tests cover;
  gdal/manifest.json  what GDAL reads from each of them: size, bands, type,
                  nodata, geotransform and the SHA-256 of ReadAsArray's
                  samples (band after band, little-endian); for lossy (JPEG)
                  files the samples themselves, base64;
  scenes.json     the same for the shared scenes (by path under the shared
                  directory), with the NAIP file's overview;
  scenes/<name>.samples.gz  for the two JPEG-compressed scenes, GDAL's values
                  in a few windows and on a sparse grid (see scene_samples).
"""
import base64, gzip, hashlib, json, os, sys
import numpy as np
from osgeo import gdal

gdal.UseExceptions()
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "gdal")


def shared_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    if os.environ.get("AEROFILL_SHARED"):
        return os.environ["AEROFILL_SHARED"]
    return os.path.join(HERE, "..", "..", "..", "shared")


def le_bytes(a):
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def read_all(ds):
    a = ds.ReadAsArray()
    if a.ndim == 2:
        a = a[None]
    return a


def describe(ds, lossy):
    b1 = ds.GetRasterBand(1)
    a = read_all(ds)
    d = {
        "width": ds.RasterXSize,
        "height": ds.RasterYSize,
        "bands": ds.RasterCount,
        "type": gdal.GetDataTypeName(b1.DataType),
        "nodata": b1.GetNoDataValue(),
        "geotransform": list(ds.GetGeoTransform(can_return_null=True) or []),
        "sha256": hashlib.sha256(le_bytes(a)).hexdigest(),
    }
    if d["nodata"] is not None and np.isnan(d["nodata"]):
        d["nodata"] = "nan"
    if lossy:
        d["lossy"] = True
        d["values"] = base64.b64encode(le_bytes(a)).decode()
    return d


# Values for each data type, from uint16 Landsat samples v in ~6000..36000.
TYPES = {
    "Byte": (gdal.GDT_Byte, lambda v: (v // 141).astype(np.uint8), {}),
    "Int8": (gdal.GDT_Byte, lambda v: (v // 141).astype(np.uint8), {"PIXELTYPE": "SIGNEDBYTE"}),
    "UInt16": (gdal.GDT_UInt16, lambda v: v.astype(np.uint16), {}),
    "Int16": (gdal.GDT_Int16, lambda v: (v.astype(np.int32) - 21000).astype(np.int16), {}),
    "UInt32": (gdal.GDT_UInt32, lambda v: v.astype(np.uint32) * 65537, {}),
    "Int32": (gdal.GDT_Int32, lambda v: (v.astype(np.int64) - 21000).astype(np.int32) * 50000, {}),
    "Float32": (gdal.GDT_Float32, lambda v: ((v.astype(np.float64) - 21000) / 3.7).astype(np.float32), {}),
    "Float64": (gdal.GDT_Float64, lambda v: (v.astype(np.float64) - 21000) / 3.7 + v * 1e-9, {}),
}
LAYOUTS = [
    ("t16", {"TILED": "YES", "BLOCKXSIZE": "16", "BLOCKYSIZE": "16", "INTERLEAVE": "PIXEL"}),
    ("s7", {"BLOCKYSIZE": "7", "INTERLEAVE": "PIXEL"}),
    ("t16sep", {"TILED": "YES", "BLOCKXSIZE": "16", "BLOCKYSIZE": "16", "INTERLEAVE": "BAND"}),
    ("s5sep", {"BLOCKYSIZE": "5", "INTERLEAVE": "BAND"}),
    ("t32x16", {"TILED": "YES", "BLOCKXSIZE": "32", "BLOCKYSIZE": "16", "INTERLEAVE": "PIXEL"}),
]
BANDS = [3, 1, 4, 5, 2]
W, H = 37, 29  # awkward: neither is a multiple of any block size


def source(shared):
    """A W×H crop of rgb16.tif plus two derived bands, and its georeferencing."""
    ds = gdal.Open(os.path.join(shared, "data/aerial/scenes/rgb16.tif"))
    x0, y0 = 200, 233
    a = read_all(ds)[:, y0:y0 + H, x0:x0 + W].astype(np.int64)
    a = np.concatenate([a, a[:1, ::-1, :], a[1:2, :, ::-1]])
    gt = list(ds.GetGeoTransform())
    gt[0] += x0 * gt[1]
    gt[3] += y0 * gt[5]
    return a, gt, ds.GetProjection()


def mem(a, gdt, gt, wkt, nodata=None):
    ds = gdal.GetDriverByName("MEM").Create("", a.shape[2], a.shape[1], a.shape[0], gdt)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    for i in range(a.shape[0]):
        b = ds.GetRasterBand(i + 1)
        b.WriteArray(a[i])
        if nodata is not None:
            b.SetNoDataValue(nodata)
    return ds


def make_files(shared, manifest):
    a16, gt, wkt = source(shared)
    n = 0
    for tname, (gdt, conv, extra) in TYPES.items():
        combos = [("NONE", 1), ("DEFLATE", 1), ("DEFLATE", 2), ("LZW", 1), ("LZW", 2), ("PACKBITS", 1)]
        if gdt in (gdal.GDT_Float32, gdal.GDT_Float64):
            combos += [("DEFLATE", 3), ("LZW", 3)]
        for comp, pred in combos:
            lname, lopts = LAYOUTS[n % len(LAYOUTS)]
            nb = BANDS[n % len(BANDS)]
            be, big = n % 3 == 2, n % 4 == 3
            n += 1
            a = conv(a16[:nb])
            nodata = None
            if n % 5 == 0:
                nodata = float(a.flat[7])  # a value that occurs
            if tname.startswith("Float") and comp == "LZW" and pred == 3:
                a = a.copy()
                a[0, 3, 4:9] = np.nan
                nodata = float("nan")
            opts = dict(lopts, COMPRESS=comp, **extra)
            if pred != 1:
                opts["PREDICTOR"] = str(pred)
            if be:
                opts["ENDIANNESS"] = "BIG"
            if big:
                opts["BIGTIFF"] = "YES"
            name = f"{tname}_{comp.lower()}{pred if pred != 1 else ''}_{lname}_{nb}b{'_be' if be else ''}{'_big' if big else ''}.tif"
            save(mem(a, gdt, gt, wkt, nodata), name, opts, manifest, lossy=False)

    # JPEG-compressed TIFFs, from RGB.byte.tif (a real 8-bit scene).
    rgb = read_all(gdal.Open(os.path.join(shared, "data/aerial/scenes/RGB.byte.tif")))[:, 300:353, 350:427]
    src = mem(rgb, gdal.GDT_Byte, gt, wkt)
    jpegs = [
        ("jpeg_ycbcr_t32.tif", {"COMPRESS": "JPEG", "PHOTOMETRIC": "YCBCR", "TILED": "YES", "BLOCKXSIZE": "32", "BLOCKYSIZE": "32"}),
        ("jpeg_ycbcr_s16.tif", {"COMPRESS": "JPEG", "PHOTOMETRIC": "YCBCR", "BLOCKYSIZE": "16"}),
        ("jpeg_rgb_s8.tif", {"COMPRESS": "JPEG", "BLOCKYSIZE": "8"}),
        ("jpeg_rgb_s16.tif", {"COMPRESS": "JPEG", "BLOCKYSIZE": "16"}),
        ("jpeg_sep_t16.tif", {"COMPRESS": "JPEG", "INTERLEAVE": "BAND", "TILED": "YES", "BLOCKXSIZE": "16", "BLOCKYSIZE": "16"}),
        ("jpeg_q95_ycbcr_t16.tif", {"COMPRESS": "JPEG", "PHOTOMETRIC": "YCBCR", "JPEG_QUALITY": "95", "TILED": "YES", "BLOCKXSIZE": "16", "BLOCKYSIZE": "16"}),
    ]
    for name, opts in jpegs:
        save(src, name, opts, manifest, lossy=True)
    save(mem(rgb[:1], gdal.GDT_Byte, gt, wkt), "jpeg_gray_s16.tif", {"COMPRESS": "JPEG", "BLOCKYSIZE": "16"}, manifest, lossy=True)

    # Sparse tiles: only some blocks are written; the rest read as nodata.
    path = os.path.join(OUT, "sparse_t16.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 70, 40, 2, gdal.GDT_Int16,
                                              ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "SPARSE_OK=TRUE", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform(gt)
    for i in (1, 2):
        ds.GetRasterBand(i).SetNoDataValue(-999)
        ds.GetRasterBand(i).WriteArray(np.full((16, 16), 100 * i, np.int16), 16, 16)
    ds = None
    manifest["sparse_t16.tif"] = describe(gdal.Open(path), False)

    # PNG and JPEG files.
    save(src, "rgb.png", {}, manifest, lossy=False, driver="PNG")
    save(mem(a16[:1].astype(np.uint16), gdal.GDT_UInt16, gt, wkt), "gray16.png", {}, manifest, lossy=False, driver="PNG")
    save(mem(np.concatenate([rgb[:1], rgb[2:3]]), gdal.GDT_Byte, gt, wkt), "gray_alpha.png", {}, manifest, lossy=False, driver="PNG")
    save(src, "rgb.jpg", {"QUALITY": "85"}, manifest, lossy=True, driver="JPEG")
    save(mem(rgb[:1], gdal.GDT_Byte, gt, wkt), "gray.jpg", {}, manifest, lossy=True, driver="JPEG")


def save(ds, name, opts, manifest, lossy, driver="GTiff"):
    path = os.path.join(OUT, name)
    gdal.GetDriverByName(driver).CreateCopy(path, ds, options=[f"{k}={v}" for k, v in opts.items()])
    for aux in (path + ".aux.xml",):
        if os.path.exists(aux):
            os.remove(aux)
    entry = describe(gdal.Open(path), lossy)
    entry["options"] = opts
    manifest[name] = entry


def scene_samples(ds):
    """GDAL's values of a JPEG scene: windows across block edges, then every
    pixel with (7x + 13y) mod 61 = 0, band after band, as uint8."""
    a = read_all(ds)
    wins = [(250, 250, 64, 64), (0, 0, 40, 40), (ds.RasterXSize - 33, ds.RasterYSize - 47, 33, 47), (1000 % ds.RasterXSize, 500, 100, 40)]
    parts = []
    for x, y, w, h in wins:
        parts.append(a[:, y:y + h, x:x + w].tobytes())
    yy, xx = np.mgrid[0:ds.RasterYSize, 0:ds.RasterXSize]
    sel = (7 * xx + 13 * yy) % 61 == 0
    parts.append(a[:, sel].tobytes())
    return wins, b"".join(parts)


def main():
    shared = shared_dir()
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f != "manifest.json":
            os.remove(os.path.join(OUT, f))
    manifest = {}
    make_files(shared, manifest)
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)

    scenes = {}
    os.makedirs(os.path.join(HERE, "scenes"), exist_ok=True)
    for rel in sorted(["data/aerial/scenes/" + n for n in os.listdir(os.path.join(shared, "data/aerial/scenes"))] +
                      ["data/aerial/naip/" + n for n in os.listdir(os.path.join(shared, "data/aerial/naip"))]):
        if not rel.endswith(".tif"):
            continue
        ds = gdal.Open(os.path.join(shared, rel))
        comp = ds.GetMetadata("IMAGE_STRUCTURE").get("COMPRESSION", "")
        lossy = "JPEG" in comp
        e = describe(ds, False)
        e["wkt"] = ds.GetProjection()
        e["overviews"] = ds.GetRasterBand(1).GetOverviewCount()
        e["colorinterp"] = [gdal.GetColorInterpretationName(ds.GetRasterBand(i + 1).GetColorInterpretation()) for i in range(ds.RasterCount)]
        if e["overviews"]:
            ov = np.stack([ds.GetRasterBand(i + 1).GetOverview(0).ReadAsArray() for i in range(ds.RasterCount)])
            e["overview1_sha256"] = hashlib.sha256(le_bytes(ov)).hexdigest()
        if lossy:
            e["lossy"] = True
            wins, data = scene_samples(ds)
            e["sample_windows"] = wins
            name = os.path.basename(rel) + ".samples.gz"
            with gzip.GzipFile(os.path.join(HERE, "scenes", name), "wb", mtime=0) as f:
                f.write(data)
            e["samples"] = "scenes/" + name
        scenes[rel] = e
    with open(os.path.join(HERE, "scenes.json"), "w") as f:
        json.dump(scenes, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
