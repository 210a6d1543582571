//go:build amd64 && !noasm

package gemm

import (
	"testing"
	"unsafe"
)

// TestTileLayout pins the field offsets the assembly kernels read.
func TestTileLayout(t *testing.T) {
	var x tile
	offs := []struct {
		name      string
		got, want uintptr
	}{
		{"c", unsafe.Offsetof(x.c), 0},
		{"ldc", unsafe.Offsetof(x.ldc), 8},
		{"bias", unsafe.Offsetof(x.bias), 16},
		{"res", unsafe.Offsetof(x.res), 24},
		{"ldr", unsafe.Offsetof(x.ldr), 32},
		{"flags", unsafe.Offsetof(x.flags), 40},
		{"mr", unsafe.Offsetof(x.mr), 48},
		{"masks", unsafe.Offsetof(x.masks), 56},
	}
	for _, o := range offs {
		if o.got != o.want {
			t.Errorf("tile.%s at offset %d, assembly reads %d", o.name, o.got, o.want)
		}
	}
}
