package raster

// GeoKey IDs this package interprets.
const (
	keyGTRasterType     = 1025
	keyGeographicType   = 2048
	keyProjectedCSType  = 3072
	rasterPixelIsPoint  = 2
	userDefinedGeoKey   = 32767
	geoKeyDirectoryHead = 4
)

// GeoTransform returns GDAL's affine geotransform for the georeferencing:
// pixel (col, row) has its top-left corner at
//
//	X = gt[0] + col·gt[1] + row·gt[2]
//	Y = gt[3] + col·gt[4] + row·gt[5]
//
// computed from ModelTransformation, or else from the first tiepoint and
// ModelPixelScale, and shifted by half a pixel when the raster type is
// PixelIsPoint, as GDAL does by default. ok is false when the tags do not
// define one.
func (g *Geo) GeoTransform() (gt [6]float64, ok bool) {
	if g == nil {
		return gt, false
	}
	switch {
	case len(g.Transformation) >= 16:
		m := g.Transformation
		gt = [6]float64{m[3], m[0], m[1], m[7], m[4], m[5]}
	case len(g.Tiepoint) >= 6 && len(g.PixelScale) >= 2:
		t, s := g.Tiepoint, g.PixelScale
		gt = [6]float64{t[3] - t[0]*s[0], s[0], 0, t[4] + t[1]*s[1], 0, -s[1]}
	default:
		return gt, false
	}
	if v, ok := g.Key(keyGTRasterType); ok && v == rasterPixelIsPoint {
		gt[0] -= 0.5*gt[1] + 0.5*gt[2]
		gt[3] -= 0.5*gt[4] + 0.5*gt[5]
	}
	return gt, true
}

// Key returns the value of a GeoKey stored directly in the key directory
// (not one that points into GeoDoubleParams or GeoAsciiParams).
func (g *Geo) Key(id uint16) (uint16, bool) {
	if g == nil || len(g.GeoKeys) < geoKeyDirectoryHead {
		return 0, false
	}
	n := int(g.GeoKeys[3])
	for i := 0; i < n; i++ {
		at := geoKeyDirectoryHead * (i + 1)
		if at+4 > len(g.GeoKeys) {
			break
		}
		e := g.GeoKeys[at:]
		if e[0] == id && e[1] == 0 && e[2] == 1 {
			return e[3], true
		}
	}
	return 0, false
}

// EPSG returns the EPSG code of the projected, or else geographic,
// coordinate system named by the GeoKeys, or 0 when there is none (or it
// is user-defined).
func (g *Geo) EPSG() int {
	for _, id := range []uint16{keyProjectedCSType, keyGeographicType} {
		if v, ok := g.Key(id); ok && v != 0 && v != userDefinedGeoKey {
			return int(v)
		}
	}
	return 0
}
