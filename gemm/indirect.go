package gemm

import "fmt"

// MaxIndirectRows is the largest m MulIndirect takes.
const MaxIndirectRows = 4

// MulIndirect computes a product with few rows whose right operand is read
// in place through a table of row offsets, with no packing: for
// 0 ≤ i < m ≤ MaxIndirectRows and 0 ≤ j < n,
//
//	v = Σ_{p<kc} a[p*m+i] · b[off[p]+j]
//
// stored into c[i*ldc+j] through ep. It suits convolutions with few
// output channels, where im2col packing would cost more than the
// arithmetic: row p of B is then a shifted row of the (padded) input.
//
// It panics if an offset or slice is out of range: a programming error.
func MulIndirect(m, n, kc int, a, b []float32, off []int, c []float32, ldc int, ep *Epilogue) {
	var zero Epilogue
	if ep == nil {
		ep = &zero
	}
	if m < 0 || m > MaxIndirectRows || n < 0 || kc < 0 {
		panic(fmt.Sprintf("gemm: MulIndirect: m=%d (max %d), n=%d, kc=%d", m, MaxIndirectRows, n, kc))
	}
	if m == 0 || n == 0 {
		return
	}
	if len(a) < kc*m || len(off) < kc {
		panic(fmt.Sprintf("gemm: MulIndirect: %d values of A and %d offsets for kc=%d, m=%d", len(a), len(off), kc, m))
	}
	for p, o := range off[:kc] {
		if o < 0 || o+n > len(b) {
			panic(fmt.Sprintf("gemm: MulIndirect: row %d of B at offset %d, %d columns, B has %d values", p, o, n, len(b)))
		}
	}
	checkMatrix("MulIndirect", "C", m, n, c, ldc)
	if ep.Bias != nil && len(ep.Bias) < m {
		panic(fmt.Sprintf("gemm: MulIndirect: %d biases for %d rows", len(ep.Bias), m))
	}
	if ep.Residual != nil {
		checkMatrix("MulIndirect", "Residual", m, n, ep.Residual, ep.ResidualStride)
	}
	mulIndirect(activeIndirect, m, n, kc, a, b, off, c, ldc, ep)
}

// An indirectKernel is the micro-kernel of MulIndirect: it computes an
// m×NR tile (m ≤ MaxIndirectRows) reading B row p at b[off[p]:].
type indirectKernel struct {
	name   string
	nr     int
	masked bool // handles partial tiles, loads included
	run    func(m, kc int, a, b []float32, off []int, d *tileDesc)
}

func mulIndirect(k *indirectKernel, m, n, kc int, a, b []float32, off []int, c []float32, ldc int, ep *Epilogue) {
	d := tileDesc{ldc: ldc, mr: m, load: ep.Accumulate, bias: ep.Bias, act: ep.Act, ldr: ep.ResidualStride}
	for j := 0; j < n; j += k.nr {
		d.c = c[j:]
		d.nr = min(k.nr, n-j)
		if ep.Residual != nil {
			d.res = ep.Residual[j:]
		}
		switch {
		case d.nr < k.nr && !k.masked:
			// The unmasked kernels would read past B's end: use Go.
			indirectGo(m, kc, a, b[j:], off, &d)
		case d.act == ActSigmoid:
			var scratch [MaxIndirectRows * 64]float32
			raw := tileDesc{c: scratch[:], ldc: k.nr, mr: m, nr: d.nr}
			k.run(m, kc, a, b[j:], off, &raw)
			storeGo(scratch[:], k.nr, &d)
		default:
			k.run(m, kc, a, b[j:], off, &d)
		}
	}
}

// indirectGo is the pure-Go MulIndirect tile: any m ≤ MaxIndirectRows and
// d.nr columns.
func indirectGo(m, kc int, a, b []float32, off []int, d *tileDesc) {
	var acc [MaxIndirectRows * 64]float32
	nr := d.nr
	for j0 := 0; j0 < nr; j0 += 64 {
		w := min(64, nr-j0)
		clear(acc[:m*64])
		for p := 0; p < kc; p++ {
			row := b[off[p]+j0 : off[p]+j0+w]
			for i := 0; i < m; i++ {
				av := a[p*m+i]
				ac := acc[i*64 : i*64+w]
				for j, bv := range row {
					ac[j] += av * bv
				}
			}
		}
		sub := *d
		sub.c = d.c[j0:]
		sub.nr = w
		if d.res != nil {
			sub.res = d.res[j0:]
		}
		storeGo(acc[:], 64, &sub)
	}
}

var goIndirect = &indirectKernel{name: "go-indirect", nr: 64, masked: true, run: func(m, kc int, a, b []float32, off []int, d *tileDesc) {
	indirectGo(m, kc, a, b, off, d)
}}
