package gemm

import "math"

// A kernelID names an assembly micro-kernel (kernel_amd64.go); 0 means
// the pure-Go one. Kernels are called through a switch on it rather than
// through function values, so that escape analysis sees the assembly's
// //go:noescape and tile descriptors stay on the stack.
type kernelID int

// A microKernel computes one MR×NR tile of C from a packed A panel (kc×MR,
// element (p, i) at a[p*MR+i]) and a packed B panel (kc×NR, element (p, j)
// at b[p*NR+j]) and stores it through a tileDesc.
type microKernel struct {
	name   string
	family string // instruction set: kernels of one family run on the same machines
	mr, nr int
	kc     int  // depth of a K block: the B panel kc×NR should sit in L1
	masked bool // stores partial tiles (nr < NR) itself
	asm    kernelID
	// ind is the indirect twin, reading row p of B at b[off[p]:] (only
	// d.nr columns if masked); 0 means none in assembly (indirectTileGo).
	ind kernelID
	// indRem are variants of ind for a last panel with fewer valid rows:
	// they read the same MR-strided panel but compute only rows rows
	// (ascending).
	indRem []remainderKernel
}

// remainderKernel is an indirect micro-kernel for the first rows rows of
// a panel.
type remainderKernel struct {
	rows int
	id   kernelID
}

// run computes a tile and stores it as d says. It is given only tiles
// with d.act != ActSigmoid and, unless masked, d.nr == NR.
func (k *microKernel) run(kc int, a, b []float32, d *tileDesc) {
	if k.asm == 0 {
		kernelGo(kc, a, b, d)
		return
	}
	runAsm(k.asm, k.mr, k.nr, k.masked, kc, a, b, d)
}

// runInd runs indirect kernel id (from ind or indRem), computing rows
// rows; id 0 is the pure-Go kernel.
func (k *microKernel) runInd(id kernelID, rows, kc int, a, b []float32, off []int, d *tileDesc) {
	if id == 0 {
		indirectTileGo(k.mr, kc, a, b, off, d)
		return
	}
	runAsmIndirect(id, k.mr, k.nr, k.masked, rows, kc, a, b, off, d)
}

// indFor returns the indirect kernel that computes the fewest rows for a
// tile of mr valid rows, and how many it computes.
func (k *microKernel) indFor(mr int) (kernelID, int) {
	for _, r := range k.indRem {
		if mr <= r.rows {
			return r.id, r.rows
		}
	}
	return k.ind, k.mr
}

// tileDesc says where a tile goes and what happens on the way (see
// Epilogue). c, bias and res start at the tile's first element.
type tileDesc struct {
	c      []float32
	ldc    int
	mr, nr int       // valid rows and columns, 1..MR and 1..NR
	load   bool      // add the old value of C
	bias   []float32 // per row; nil for none
	act    Act
	res    []float32 // residual; nil for none
	ldr    int
}

// tile runs k on one tile, routing what k.run does not handle (sigmoid,
// partial tiles of unmasked kernels) through a scratch tile and storeGo.
func (k *microKernel) tile(kc int, a, b []float32, d *tileDesc, scratch []float32) {
	if d.act != ActSigmoid && (k.masked || d.nr == k.nr) {
		k.run(kc, a, b, d)
		return
	}
	raw := tileDesc{c: scratch, ldc: k.nr, mr: k.mr, nr: k.nr}
	k.run(kc, a, b, &raw)
	storeGo(scratch, k.nr, d)
}

// storeGo stores the raw product p (row stride ldp) through d: the
// Epilogue, written out in Go.
func storeGo(p []float32, ldp int, d *tileDesc) {
	for i := 0; i < d.mr; i++ {
		pr := p[i*ldp : i*ldp+d.nr]
		cr := d.c[i*d.ldc : i*d.ldc+d.nr]
		var bias float32
		if d.bias != nil {
			bias = d.bias[i]
		}
		var rr []float32
		if d.res != nil {
			rr = d.res[i*d.ldr : i*d.ldr+d.nr]
		}
		for j, v := range pr {
			v += bias
			if d.load {
				v += cr[j]
			}
			v = applyAct(d.act, v)
			if rr != nil {
				v += rr[j]
			}
			cr[j] = v
		}
	}
}

// applyAct returns act(v).
func applyAct(act Act, v float32) float32 {
	switch act {
	case ActReLU:
		if v < 0 || v != v {
			// max(v, 0) as the assembly's VMAXPS(v, 0) computes it: NaN → 0.
			return 0
		}
	case ActSigmoid:
		return Sigmoid(v)
	}
	return v
}

// Sigmoid returns 1/(1+exp(-v)), computed in float64 and rounded once to
// float32: within one unit in the last place of the exact value (checked
// against math.Exp by TestSigmoid). It avoids math.Exp's special cases,
// which makes it several times faster.
func Sigmoid(v float32) float32 {
	x := -float64(v)
	switch {
	case x > 104: // exp(-x) < 2⁻¹⁵⁰: the result rounds to 0
		return 0
	case x < -20: // 1 + exp(x) rounds to 1 in float32
		return 1
	case x != x:
		return v
	}
	// exp(x) = 2^k · exp(r), r = x − k·ln2, |r| ≤ ln2/2; exp(r) by its
	// Taylor series to r⁹ (relative error < 2⁻³²) in Estrin's form. Adding
	// 1.5·2⁵² rounds x·log2(e) to the integer k, which then sits in the
	// low bits of kf, ready to become the exponent of 2^k.
	const (
		log2e = 1.4426950408889634
		ln2hi = 6.93147180369123816490e-01
		ln2lo = 1.90821492927058770002e-10
		shift = 6755399441055744.0 // 1.5·2⁵²
	)
	kf := x*log2e + shift
	k := kf - shift
	r := (x - k*ln2hi) - k*ln2lo
	r2 := r * r
	r4 := r2 * r2
	p := (1 + r) + r2*(1.0/2+r*(1.0/6)) + r4*((1.0/24+r*(1.0/120))+r2*(1.0/720+r*(1.0/5040))+r4*(1.0/40320+r*(1.0/362880)))
	e := p * math.Float64frombits((math.Float64bits(kf)+1023)<<52)
	return float32(1 / (1 + e))
}

// Pure-Go micro-kernel: always compiled, the only one under noasm.
const (
	goMR = 4
	goNR = 16
)

var goKernel = &microKernel{name: "go4x16", family: "go", mr: goMR, nr: goNR, kc: 256, masked: true}

// kernelGo is the pure-Go micro-kernel: acc = Σ_p a[p*4+i]·b[p*16+j],
// then storeGo.
func kernelGo(kc int, a, b []float32, d *tileDesc) {
	var acc [goMR * goNR]float32
	a = a[:kc*goMR]
	b = b[:kc*goNR]
	for p := 0; p < kc; p++ {
		ap := a[p*goMR : p*goMR+goMR]
		bp := (*[goNR]float32)(b[p*goNR : p*goNR+goNR])
		for i, av := range ap {
			row := (*[goNR]float32)(acc[i*goNR : i*goNR+goNR])
			for j := range row {
				row[j] += av * bp[j]
			}
		}
	}
	storeGo(acc[:], goNR, d)
}

// indirectTileGo computes an mr-row tile (A panel element (p, i) at
// a[p*mr+i]) of d.nr columns whose B row p is b[off[p]:], and stores it
// through d: the pure-Go indirect kernel for any panel height.
func indirectTileGo(mr, kc int, a, b []float32, off []int, d *tileDesc) {
	const w = 64
	var acc [16 * w]float32
	if mr > 16 {
		panic("gemm: indirect tile taller than 16 rows")
	}
	for j0 := 0; j0 < d.nr; j0 += w {
		n := min(w, d.nr-j0)
		clear(acc[:mr*w])
		for p := 0; p < kc; p++ {
			row := b[off[p]+j0 : off[p]+j0+n]
			for i := 0; i < d.mr; i++ {
				av := a[p*mr+i]
				ac := acc[i*w : i*w+n]
				for j, bv := range row {
					ac[j] += av * bv
				}
			}
		}
		sub := *d
		sub.c = d.c[j0:]
		sub.nr = n
		if d.res != nil {
			sub.res = d.res[j0:]
		}
		storeGo(acc[:], w, &sub)
	}
}
