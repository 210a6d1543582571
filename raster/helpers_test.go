package raster

import (
	"encoding/binary"
	"io"
	"reflect"
)

func writeLE(w io.Writer, v any) error { return binary.Write(w, binary.LittleEndian, v) }

// nativeToFloat32 converts [][]T bands to float32, as ReadWindow would.
func nativeToFloat32(bands any) [][]float32 {
	v := reflect.ValueOf(bands)
	out := make([][]float32, v.Len())
	for b := range out {
		band := v.Index(b)
		out[b] = make([]float32, band.Len())
		for i := range out[b] {
			out[b][i] = float32(band.Index(i).Convert(reflect.TypeFor[float64]()).Float())
		}
	}
	return out
}
