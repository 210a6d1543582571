//go:build amd64 && !noasm

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// dotAVX512x4x6 is the assembly dotKernel (gen_kernels.go): nv full
// vectors of 16 floats from each row, then, if tail != 0, one vector of
// the lanes set in tail (zero-masked loads, nothing read past them).
//
//go:noescape
func dotAVX512x4x6(nv int, a *float32, aoff *int, b *float32, boff *int, acc *float32, tail, flags int, c *float32, ldc int)

// dotAVX512 runs dotAVX512x4x6 on the slices DotRows has checked.
func dotAVX512(kb int, a []float32, ao *[dotMR]int, b []float32, bo *[dotNR]int, acc []float32, flags int, c []float32, ldc int) {
	_ = acc[dotMR*dotNR*dotVL-1]
	var cp *float32
	if flags&dotFinal != 0 {
		_ = c[(dotMR-1)*ldc+dotNR-1]
		cp = &c[0]
	}
	dotAVX512x4x6(kb/dotVL, unsafe.SliceData(a), &ao[0], unsafe.SliceData(b), &bo[0], &acc[0], 1<<(kb%dotVL)-1, flags, cp, ldc)
}

// activeDot is DotRows' kernel on this machine.
var activeDot dotKernel = func() dotKernel {
	if FastDot() {
		return dotAVX512
	}
	return dotGo
}()

// FastDot reports whether DotRows runs on an assembly kernel here.
func FastDot() bool { return cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL }
