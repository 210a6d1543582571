package raster

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// layout says how a raster's pixels are cut into blocks (tiles, strips, or
// one block for a decoded PNG or JPEG) and how a block holds its samples.
type layout struct {
	width, height int
	bw, bh        int // block size in pixels
	across, down  int // blocks per row and per column
	planes        int // 1 for interleaved samples, bands for planar
	spp           int // samples per pixel within a block
	typ           SampleType
	bps           int // bytes per sample
}

func newLayout(width, height, bw, bh, bands int, planar bool, typ SampleType) layout {
	l := layout{width: width, height: height, bw: bw, bh: bh, typ: typ, bps: typ.Size()}
	l.across = (width + bw - 1) / bw
	l.down = (height + bh - 1) / bh
	l.planes, l.spp = 1, bands
	if planar {
		l.planes, l.spp = bands, 1
	}
	return l
}

// rowBytes is the size of one row of a block.
func (l *layout) rowBytes() int { return l.bw * l.spp * l.bps }

// blockRows is the number of rows block row by holds: bh, except for the
// last strip of a stripped file, which stops at the image's edge. (Tiles
// are always whole, padded past the edge.)
func (l *layout) blockRows(by int, tiled bool) int {
	if tiled {
		return l.bh
	}
	return min(l.bh, l.height-by*l.bh)
}

// block is the decoded content of one tile or strip, or of the rows
// [row0, row0+rows) of one when only those were decoded. Samples are
// little-endian, interleaved when the layout has spp > 1.
type block struct {
	data   []byte
	row0   int
	rows   int
	stride int  // bytes per row
	sparse bool // not stored in the file: reads as the fill value
}

// blockSource hands out decoded blocks; rows [ya, yb) of the block are
// the ones the caller needs (a source may decode only those).
type blockSource interface {
	block(plane, bx, by, ya, yb int) (*block, error)
}

// sink receives samples for a window. put converts n samples starting at
// src, step bytes apart, into band b from index off; fill stores n copies
// of v.
type sink interface {
	wants(b int) bool
	put(b, off int, src []byte, step, n int)
	fill(b, off, n int, v float64)
}

// readWindow copies the window (x0, y0, w, h) of a blocked raster into dst.
// When the window spans several blocks they are decoded by up to GOMAXPROCS
// goroutines at once; each block fills its own part of dst.
func readWindow(l *layout, src blockSource, fill float64, x0, y0, w, h int, dst sink) error {
	if w == 0 || h == 0 {
		return nil
	}
	bx0, bx1 := x0/l.bw, (x0+w-1)/l.bw
	by0, by1 := y0/l.bh, (y0+h-1)/l.bh
	var jobs [][3]int // plane, bx, by
	for p := 0; p < l.planes; p++ {
		if l.planes > 1 && !dst.wants(p) {
			continue
		}
		for by := by0; by <= by1; by++ {
			for bx := bx0; bx <= bx1; bx++ {
				jobs = append(jobs, [3]int{p, bx, by})
			}
		}
	}
	copyBlock := func(j [3]int) error {
		p, bx, by := j[0], j[1], j[2]
		top, left := by*l.bh, bx*l.bw
		ya, yb := max(y0, top)-top, min(y0+h, top+l.bh)-top
		xa, xb := max(x0, left), min(x0+w, left+l.bw)
		blk, err := src.block(p, bx, by, ya, yb)
		if err != nil {
			return err
		}
		for s := 0; s < l.spp; s++ {
			band := p + s
			if !dst.wants(band) {
				continue
			}
			for y := ya; y < yb; y++ {
				off := (top+y-y0)*w + xa - x0
				if blk.sparse {
					dst.fill(band, off, xb-xa, fill)
					continue
				}
				i := (y-blk.row0)*blk.stride + ((xa-left)*l.spp+s)*l.bps
				dst.put(band, off, blk.data[i:], l.spp*l.bps, xb-xa)
			}
		}
		return nil
	}

	workers := min(runtime.GOMAXPROCS(0), len(jobs))
	if workers <= 1 {
		for _, j := range jobs {
			if err := copyBlock(j); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(jobs) {
					return
				}
				if err := copyBlock(jobs[k]); err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(len(jobs))) // stop the others early
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// f32Sink converts samples to float32.
type f32Sink struct {
	bands [][]float32
	typ   SampleType
}

func (s f32Sink) wants(b int) bool { return s.bands[b] != nil }
func (s f32Sink) put(b, off int, src []byte, step, n int) {
	loadFloat32(s.bands[b][off:off+n], src, step, s.typ)
}
func (s f32Sink) fill(b, off, n int, v float64) {
	d := s.bands[b][off : off+n]
	for i := range d {
		d[i] = float32(v)
	}
}

// nativeSink stores samples in slices of their own type.
type nativeSink struct {
	bands any // [][]T for the raster's type T
	n     int
}

func newNativeSink(name string, nb int, typ SampleType, bands any, w, h int) (nativeSink, error) {
	var err error
	switch typ {
	case Uint8:
		err = checkNative[uint8](name, nb, bands, w, h)
	case Int8:
		err = checkNative[int8](name, nb, bands, w, h)
	case Uint16:
		err = checkNative[uint16](name, nb, bands, w, h)
	case Int16:
		err = checkNative[int16](name, nb, bands, w, h)
	case Uint32:
		err = checkNative[uint32](name, nb, bands, w, h)
	case Int32:
		err = checkNative[int32](name, nb, bands, w, h)
	case Float32:
		err = checkNative[float32](name, nb, bands, w, h)
	case Float64:
		err = checkNative[float64](name, nb, bands, w, h)
	default:
		err = fmt.Errorf("raster: %s: invalid sample type %v", name, typ)
	}
	return nativeSink{bands: bands, n: nb}, err
}

func checkNative[T any](name string, nb int, bands any, w, h int) error {
	b, ok := bands.([][]T)
	if !ok {
		var zero T
		return fmt.Errorf("raster: %s: band buffers are %T, want [][]%T", name, bands, zero)
	}
	return checkBands(name, nb, b, w, h)
}

func (s nativeSink) wants(b int) bool {
	switch v := s.bands.(type) {
	case [][]uint8:
		return v[b] != nil
	case [][]int8:
		return v[b] != nil
	case [][]uint16:
		return v[b] != nil
	case [][]int16:
		return v[b] != nil
	case [][]uint32:
		return v[b] != nil
	case [][]int32:
		return v[b] != nil
	case [][]float32:
		return v[b] != nil
	case [][]float64:
		return v[b] != nil
	}
	return false
}

func (s nativeSink) put(b, off int, src []byte, step, n int) {
	switch v := s.bands.(type) {
	case [][]uint8:
		loadUint8(v[b][off:off+n], src, step)
	case [][]int8:
		loadInt8(v[b][off:off+n], src, step)
	case [][]uint16:
		loadUint16(v[b][off:off+n], src, step)
	case [][]int16:
		loadInt16(v[b][off:off+n], src, step)
	case [][]uint32:
		loadUint32(v[b][off:off+n], src, step)
	case [][]int32:
		loadInt32(v[b][off:off+n], src, step)
	case [][]float32:
		loadFloat32(v[b][off:off+n], src, step, Float32)
	case [][]float64:
		loadFloat64(v[b][off:off+n], src, step)
	}
}

func (s nativeSink) fill(b, off, n int, x float64) {
	switch v := s.bands.(type) {
	case [][]uint8:
		fillWith(v[b][off:off+n], uint8(clampRound(x, Uint8)))
	case [][]int8:
		fillWith(v[b][off:off+n], int8(clampRound(x, Int8)))
	case [][]uint16:
		fillWith(v[b][off:off+n], uint16(clampRound(x, Uint16)))
	case [][]int16:
		fillWith(v[b][off:off+n], int16(clampRound(x, Int16)))
	case [][]uint32:
		fillWith(v[b][off:off+n], uint32(clampRound(x, Uint32)))
	case [][]int32:
		fillWith(v[b][off:off+n], int32(clampRound(x, Int32)))
	case [][]float32:
		fillWith(v[b][off:off+n], float32(x))
	case [][]float64:
		fillWith(v[b][off:off+n], x)
	}
}

func fillWith[T any](d []T, v T) {
	for i := range d {
		d[i] = v
	}
}

// closedFlag makes reads after Close fail instead of racing with it.
type closedFlag struct{ atomic.Bool }

func (c *closedFlag) check(name string) error {
	if c.Load() {
		return fmt.Errorf("raster: %s: read after Close", name)
	}
	return nil
}
