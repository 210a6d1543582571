//go:build amd64 && !noasm

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// tile is tileDesc as the assembly kernels read it; the field offsets are
// fixed (the kernels load them by number; TestTileLayout checks them).
type tile struct {
	c     *float32  // 0: C[0, 0] of the tile
	ldc   int       // 8: row stride of C, in elements
	bias  *float32  // 16: bias of the tile's first row, nil for none
	res   *float32  // 24: residual of the tile's first element, nil for none
	ldr   int       // 32: row stride of the residual
	flags uint64    // 40: flagLoad | flagReLU
	mr    int       // 48: rows to store, 1..MR
	masks [7]uint16 // 56: AVX-512 only: lanes of vector v to load and store
}

const (
	flagLoad = 1 << 0 // add the old value of C
	flagReLU = 1 << 1 // max(v, 0) after bias and load, before the residual
)

// The assembly micro-kernels. Each computes, for a kc-deep packed A panel
// (MR rows) and B panel (NR columns),
//
//	for i := 0; i < t.mr; i++ {
//		for j := 0; j < NR; j++ {        // AVX-512: only where bit j%16 of t.masks[j/16] is set
//			v := Σ_p a[p*MR+i] * b[p*NR+j]  // float32 FMAs, in order of p
//			if t.flags&flagLoad != 0 { v += c[i*ldc+j] }
//			if t.bias != nil { v += bias[i] }
//			if t.flags&flagReLU != 0 { v = max(v, 0) }
//			if t.res != nil { v += res[i*ldr+j] }
//			c[i*ldc+j] = v
//		}
//	}
//
// AVX-512 kernels read and write C and the residual only where the mask
// allows; AVX2 kernels always touch whole rows of NR.

//go:noescape
func kernAVX512x12x32(kc int, a, b *float32, t *tile)

//go:noescape
func kernAVX512x8x48(kc int, a, b *float32, t *tile)

//go:noescape
func kernAVX512x6x64(kc int, a, b *float32, t *tile)

//go:noescape
func kernAVX512x4x96(kc int, a, b *float32, t *tile)

//go:noescape
func kernAVX2x6x16(kc int, a, b *float32, t *tile)

// The indirect micro-kernels: as the kernels above, except that row p of
// B is read at b + off[p] (in floats) instead of b + p*NR, and on AVX-512
// the loads of B are masked like the stores, so a partial tile reads
// nothing past its columns. kernIndAVX512x{m}x64 (m = 1..4) are
// MulIndirect's; the remainder variants kernIndAVX512x12x32r8 and the like
// read a 12-row panel but compute and store only its first 8 rows
// (t.mr ≤ 8).

//go:noescape
func kernIndAVX512x1x64(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x2x64(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x3x64(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x4x64(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX2x1x16(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX2x2x16(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX2x3x16(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX2x4x16(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x12x32(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x8x48(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x6x64(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX2x6x16(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x12x32r4(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x12x32r8(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x6x64r2(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x6x64r4(kc int, a, b *float32, off *int, t *tile)

//go:noescape
func kernIndAVX512x8x48r4(kc int, a, b *float32, off *int, t *tile)

// Assembly kernel ids (0 is the pure-Go kernel).
const (
	_ kernelID = iota
	idAVX512x12x32
	idAVX512x8x48
	idAVX512x6x64
	idAVX512x4x96
	idAVX2x6x16
	idIndAVX512x1x64
	idIndAVX512x2x64
	idIndAVX512x3x64
	idIndAVX512x4x64
	idIndAVX2x1x16
	idIndAVX2x2x16
	idIndAVX2x3x16
	idIndAVX2x4x16
	idIndAVX512x12x32
	idIndAVX512x8x48
	idIndAVX512x6x64
	idIndAVX2x6x16
	idIndAVX512x12x32r4
	idIndAVX512x12x32r8
	idIndAVX512x6x64r2
	idIndAVX512x6x64r4
	idIndAVX512x8x48r4
)

// makeTile checks that the tile d describes lies inside its slices, for a
// kernel of nr columns that does (masked) or does not mask partial tiles,
// and returns it in the assembly's layout.
func makeTile(d *tileDesc, nr int, masked bool) tile {
	w := nr
	if masked {
		w = d.nr
	}
	_ = d.c[(d.mr-1)*d.ldc+w-1]
	t := tile{c: &d.c[0], ldc: d.ldc, mr: d.mr}
	if d.load {
		t.flags |= flagLoad
	}
	if d.act == ActReLU {
		t.flags |= flagReLU
	}
	if d.bias != nil {
		_ = d.bias[d.mr-1]
		t.bias = &d.bias[0]
	}
	if d.res != nil {
		_ = d.res[(d.mr-1)*d.ldr+w-1]
		t.res, t.ldr = &d.res[0], d.ldr
	}
	if masked {
		for v := 0; v*16 < nr; v++ {
			lanes := min(max(d.nr-16*v, 0), 16)
			t.masks[v] = uint16(1<<lanes - 1)
		}
	}
	return t
}

// runAsm runs plain assembly kernel id (MR×NR tiles) on one tile.
func runAsm(id kernelID, mr, nr int, masked bool, kc int, a, b []float32, d *tileDesc) {
	// The kernel reads kc·MR of a and kc·NR of b.
	_ = a[kc*mr-1]
	_ = b[kc*nr-1]
	t := makeTile(d, nr, masked)
	pa, pb := &a[0], &b[0]
	switch id {
	case idAVX512x12x32:
		kernAVX512x12x32(kc, pa, pb, &t)
	case idAVX512x8x48:
		kernAVX512x8x48(kc, pa, pb, &t)
	case idAVX512x6x64:
		kernAVX512x6x64(kc, pa, pb, &t)
	case idAVX512x4x96:
		kernAVX512x4x96(kc, pa, pb, &t)
	case idAVX2x6x16:
		kernAVX2x6x16(kc, pa, pb, &t)
	default:
		panic("gemm: not a plain assembly kernel")
	}
}

// runAsmIndirect runs indirect assembly kernel id, which reads A panels of
// astride rows and computes rows of them, on one tile. The caller has
// checked every row b[off[p]:] for d.nr columns (all NR if the kernel does
// not mask).
func runAsmIndirect(id kernelID, astride, nr int, masked bool, rows, kc int, a, b []float32, off []int, d *tileDesc) {
	if d.mr > rows {
		panic("gemm: indirect kernel given more rows than it computes")
	}
	_ = a[kc*astride-1]
	_ = off[kc-1]
	t := makeTile(d, nr, masked)
	pa, pb, po := &a[0], &b[0], &off[0]
	switch id {
	case idIndAVX512x1x64:
		kernIndAVX512x1x64(kc, pa, pb, po, &t)
	case idIndAVX512x2x64:
		kernIndAVX512x2x64(kc, pa, pb, po, &t)
	case idIndAVX512x3x64:
		kernIndAVX512x3x64(kc, pa, pb, po, &t)
	case idIndAVX512x4x64:
		kernIndAVX512x4x64(kc, pa, pb, po, &t)
	case idIndAVX2x1x16:
		kernIndAVX2x1x16(kc, pa, pb, po, &t)
	case idIndAVX2x2x16:
		kernIndAVX2x2x16(kc, pa, pb, po, &t)
	case idIndAVX2x3x16:
		kernIndAVX2x3x16(kc, pa, pb, po, &t)
	case idIndAVX2x4x16:
		kernIndAVX2x4x16(kc, pa, pb, po, &t)
	case idIndAVX512x12x32:
		kernIndAVX512x12x32(kc, pa, pb, po, &t)
	case idIndAVX512x8x48:
		kernIndAVX512x8x48(kc, pa, pb, po, &t)
	case idIndAVX512x6x64:
		kernIndAVX512x6x64(kc, pa, pb, po, &t)
	case idIndAVX2x6x16:
		kernIndAVX2x6x16(kc, pa, pb, po, &t)
	case idIndAVX512x12x32r4:
		kernIndAVX512x12x32r4(kc, pa, pb, po, &t)
	case idIndAVX512x12x32r8:
		kernIndAVX512x12x32r8(kc, pa, pb, po, &t)
	case idIndAVX512x6x64r2:
		kernIndAVX512x6x64r2(kc, pa, pb, po, &t)
	case idIndAVX512x6x64r4:
		kernIndAVX512x6x64r4(kc, pa, pb, po, &t)
	case idIndAVX512x8x48r4:
		kernIndAVX512x8x48r4(kc, pa, pb, po, &t)
	default:
		panic("gemm: not an indirect assembly kernel")
	}
}

// asmKernel describes an assembly kernel with its indirect twin (0 for
// none) and remainder variants.
func asmKernel(name string, mr, nr, kc int, avx512 bool, id, ind kernelID, rem ...remainderKernel) *microKernel {
	k := &microKernel{name: name, family: "avx2", mr: mr, nr: nr, kc: kc, masked: avx512, asm: id, ind: ind, indRem: rem}
	if avx512 {
		k.family = "avx512"
	}
	return k
}

var (
	avx512Kernels = []*microKernel{
		asmKernel("avx512-12x32", 12, 32, 256, true, idAVX512x12x32, idIndAVX512x12x32,
			remainderKernel{4, idIndAVX512x12x32r4}, remainderKernel{8, idIndAVX512x12x32r8}),
		asmKernel("avx512-8x48", 8, 48, 256, true, idAVX512x8x48, idIndAVX512x8x48,
			remainderKernel{4, idIndAVX512x8x48r4}),
		asmKernel("avx512-6x64", 6, 64, 192, true, idAVX512x6x64, idIndAVX512x6x64,
			remainderKernel{2, idIndAVX512x6x64r2}, remainderKernel{4, idIndAVX512x6x64r4}),
		asmKernel("avx512-4x96", 4, 96, 128, true, idAVX512x4x96, 0),
	}
	avx2Kernel = asmKernel("avx2-6x16", 6, 16, 256, false, idAVX2x6x16, idIndAVX2x6x16)
)

// kernels lists the micro-kernels usable on this machine, best first.
var kernels = func() []*microKernel {
	var ks []*microKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernels...)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, goKernel)
}()

// activeKernel is the micro-kernel chosen for this machine.
var activeKernel = kernels[0]

var (
	avx512Indirect = &indirectKernel{name: "avx512-indirect-64", nr: 64, masked: true,
		ids: [...]kernelID{idIndAVX512x1x64, idIndAVX512x2x64, idIndAVX512x3x64, idIndAVX512x4x64}}
	avx2Indirect = &indirectKernel{name: "avx2-indirect-16", nr: 16, masked: false,
		ids: [...]kernelID{idIndAVX2x1x16, idIndAVX2x2x16, idIndAVX2x3x16, idIndAVX2x4x16}}
)

// indirectKernels lists the MulIndirect micro-kernels usable here, best
// first.
var indirectKernels = func() []*indirectKernel {
	var ks []*indirectKernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Indirect)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Indirect)
	}
	return append(ks, goIndirect)
}()

// activeIndirect is MulIndirect's micro-kernel on this machine.
var activeIndirect = indirectKernels[0]
