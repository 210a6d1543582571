package raster

import (
	"fmt"
	"math/bits"
)

// assembler gathers windows written in any order into blocks, and hands
// each block to emit as soon as every one of its pixels inside the raster
// has been written. Memory is what the partly written blocks take.
type assembler struct {
	layout
	name    string
	tiled   bool
	fill    float64 // value of pixels never written
	pending map[int]*pendingBlock
	done    []bool
	emit    func(idx int, data []byte) error
}

type pendingBlock struct {
	data    []byte
	covered []uint64 // one bit per pixel of the block, row-major
	count   int      // bits set in covered
	need    int      // pixels of the block inside the raster
}

func newAssembler(l layout, name string, tiled bool, fill float64, emit func(int, []byte) error) *assembler {
	return &assembler{layout: l, name: name, tiled: tiled, fill: fill,
		pending: map[int]*pendingBlock{}, done: make([]bool, l.across*l.down), emit: emit}
}

// source abstracts the caller's band buffers: store writes n samples of
// band b, from index off, into dst step bytes apart.
type source interface {
	has(b int) bool
	store(b, off int, dst []byte, step, n int)
}

type f32Source struct {
	bands [][]float32
	typ   SampleType
}

func (s f32Source) has(b int) bool { return s.bands[b] != nil }
func (s f32Source) store(b, off int, dst []byte, step, n int) {
	storeFloat32(dst, step, s.bands[b][off:off+n], s.typ)
}

type nativeSource struct{ bands any }

func (s nativeSource) has(b int) bool { return nativeSink{bands: s.bands}.wants(b) }
func (s nativeSource) store(b, off int, dst []byte, step, n int) {
	var band any
	switch v := s.bands.(type) {
	case [][]uint8:
		band = v[b]
	case [][]int8:
		band = v[b]
	case [][]uint16:
		band = v[b]
	case [][]int16:
		band = v[b]
	case [][]uint32:
		band = v[b]
	case [][]int32:
		band = v[b]
	case [][]float32:
		band = v[b]
	case [][]float64:
		band = v[b]
	}
	storeNative(dst, step, band, off, n)
}

// write copies the window (x0, y0, w, h) from src into its blocks. A nil
// band leaves that band's samples as they were (the fill value if never
// written); the window still counts as written.
func (a *assembler) write(x0, y0, w, h int, src source) error {
	if w == 0 || h == 0 {
		return nil
	}
	bx0, bx1 := x0/a.bw, (x0+w-1)/a.bw
	by0, by1 := y0/a.bh, (y0+h-1)/a.bh
	for by := by0; by <= by1; by++ {
		for bx := bx0; bx <= bx1; bx++ {
			idx := by*a.across + bx
			if a.done[idx] {
				return fmt.Errorf("raster: %s: window %d×%d at (%d,%d) overlaps block %d, which is complete and already written", a.name, w, h, x0, y0, idx)
			}
		}
	}
	for by := by0; by <= by1; by++ {
		top := by * a.bh
		ya, yb := max(y0, top), min(y0+h, top+a.bh)
		for bx := bx0; bx <= bx1; bx++ {
			left := bx * a.bw
			xa, xb := max(x0, left), min(x0+w, left+a.bw)
			idx := by*a.across + bx
			p := a.pendingBlock(idx, by)
			step := a.spp * a.bps
			for b := 0; b < a.spp; b++ {
				if !src.has(b) {
					continue
				}
				for y := ya; y < yb; y++ {
					i := (y-top)*a.rowBytes() + (xa-left)*step + b*a.bps
					src.store(b, (y-y0)*w+xa-x0, p.data[i:], step, xb-xa)
				}
			}
			for y := ya; y < yb; y++ {
				p.count += setBits(p.covered, (y-top)*a.bw+xa-left, xb-xa)
			}
			if p.count == p.need {
				delete(a.pending, idx)
				a.done[idx] = true
				if err := a.emit(idx, p.data); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (a *assembler) pendingBlock(idx, by int) *pendingBlock {
	if p, ok := a.pending[idx]; ok {
		return p
	}
	rows := a.blockRows(by, a.tiled)
	bx := idx % a.across
	p := &pendingBlock{
		data:    a.fillBlock(rows),
		covered: make([]uint64, (a.bw*rows+63)/64),
		need:    min(a.bw, a.width-bx*a.bw) * min(rows, a.height-by*a.bh),
	}
	a.pending[idx] = p
	return p
}

// fillBlock returns a block of rows rows holding the fill value.
func (a *assembler) fillBlock(rows int) []byte {
	data := make([]byte, rows*a.rowBytes())
	if a.fill != 0 {
		storeValue(data, a.bps, a.fill, a.typ, len(data)/a.bps)
	}
	return data
}

// flush emits every block not yet emitted, partly written or untouched,
// in file order.
func (a *assembler) flush() error {
	for idx, done := range a.done {
		if done {
			continue
		}
		var data []byte
		if p, ok := a.pending[idx]; ok {
			data = p.data
			delete(a.pending, idx)
		} else {
			data = a.fillBlock(a.blockRows(idx/a.across, a.tiled))
		}
		a.done[idx] = true
		if err := a.emit(idx, data); err != nil {
			return err
		}
	}
	return nil
}

// setBits sets bits [i, i+n) of s and returns how many were clear.
func setBits(s []uint64, i, n int) int {
	added := 0
	for n > 0 {
		w, o := i/64, uint(i%64)
		k := min(n, 64-int(o))
		mask := ^uint64(0) >> (64 - uint(k)) << o
		added += bits.OnesCount64(mask &^ s[w])
		s[w] |= mask
		i += k
		n -= k
	}
	return added
}
