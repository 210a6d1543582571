package raster

import (
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// imageWriter assembles a whole PNG or JPEG in memory and encodes it on
// Close with image/png or image/jpeg. Their limits are the writer's: PNG
// holds 1 (gray), 3 (RGB) or 4 (RGBA) bands of 8 or 16 bits, and an alpha
// band that is opaque everywhere is dropped; JPEG holds 1 or 3 bands of 8
// bits, coded as 4:2:0 YCbCr.
type imageWriter struct {
	path     string
	format   string
	info     Info
	quality  int
	asm      *assembler
	data     []byte // the complete image, once the assembler emits it
	finished bool
}

func createImage(path string, in Info, opt WriteOptions, format string) (Writer, error) {
	switch {
	case format == "PNG" && (in.Type == Uint8 || in.Type == Uint16) && in.Bands != 2 && in.Bands <= 4:
	case format == "JPEG" && in.Type == Uint8 && (in.Bands == 1 || in.Bands == 3):
	default:
		return nil, fmt.Errorf("raster: create %s: %s cannot hold %d bands of %v", path, format, in.Bands, in.Type)
	}
	w := &imageWriter{path: path, format: format, info: in.clone(), quality: opt.Quality}
	if w.quality == 0 {
		w.quality = 90
	}
	if w.quality < 1 || w.quality > 100 {
		return nil, fmt.Errorf("raster: create %s: JPEG quality %d not in 1..100", path, opt.Quality)
	}
	l := newLayout(in.Width, in.Height, in.Width, in.Height, in.Bands, false, in.Type)
	if uint64(in.Width)*uint64(in.Height)*uint64(l.spp*l.bps) > maxTileBytes {
		return nil, fmt.Errorf("raster: create %s: %d×%d is too large for an in-memory %s", path, in.Width, in.Height, format)
	}
	w.asm = newAssembler(l, path, false, 0, func(_ int, data []byte) error { w.data = data; return nil })
	return w, nil
}

func (w *imageWriter) WriteWindow(x0, y0, width, height int, bands [][]float32) error {
	if err := w.check(x0, y0, width, height); err != nil {
		return err
	}
	if err := checkBands(w.path, w.info.Bands, bands, width, height); err != nil {
		return err
	}
	return w.asm.write(x0, y0, width, height, f32Source{bands, w.info.Type})
}

func (w *imageWriter) WriteWindowNative(x0, y0, width, height int, bands any) error {
	if err := w.check(x0, y0, width, height); err != nil {
		return err
	}
	if _, err := newNativeSink(w.path, w.info.Bands, w.info.Type, bands, width, height); err != nil {
		return err
	}
	return w.asm.write(x0, y0, width, height, nativeSource{bands})
}

func (w *imageWriter) check(x0, y0, width, height int) error {
	if w.finished {
		return fmt.Errorf("raster: %s: write after Close or Abort", w.path)
	}
	return checkWindow(w.path, w.info.Width, w.info.Height, x0, y0, width, height)
}

func (w *imageWriter) Abort() error {
	w.finished = true
	w.data = nil
	return nil
}

func (w *imageWriter) Close() error {
	if w.finished {
		return fmt.Errorf("raster: %s: Close after Close or Abort", w.path)
	}
	w.finished = true
	if err := w.asm.flush(); err != nil {
		return err
	}
	img := w.image()
	return writeAtomic(w.path, func(f io.Writer) error {
		if w.format == "PNG" {
			return png.Encode(f, img)
		}
		return jpeg.Encode(f, img, &jpeg.Options{Quality: w.quality})
	})
}

// image wraps the assembled samples as an image.Image of the right kind.
func (w *imageWriter) image() image.Image {
	width, height, n := w.info.Width, w.info.Height, w.info.Bands
	r := image.Rect(0, 0, width, height)
	d := w.data
	if w.info.Type == Uint8 {
		switch n {
		case 1:
			return &image.Gray{Pix: d, Stride: width, Rect: r}
		case 3:
			m := image.NewRGBA(r)
			for i := 0; i < width*height; i++ {
				copy(m.Pix[4*i:], d[3*i:3*i+3])
				m.Pix[4*i+3] = 255
			}
			return m
		}
		m := image.NewNRGBA(r)
		for i := 0; i < width*height; i++ {
			p := m.Pix[4*i : 4*i+4]
			copy(p, d[4*i:4*i+4])
		}
		return m
	}
	// 16 bits: image/png wants big-endian samples.
	if n == 1 {
		m := image.NewGray16(r)
		for i := 0; i < width*height; i++ {
			v := le.Uint16(d[2*i:])
			m.Pix[2*i], m.Pix[2*i+1] = byte(v>>8), byte(v)
		}
		return m
	}
	m := image.NewNRGBA64(r)
	for i := 0; i < width*height; i++ {
		var s [4]uint16
		switch n {
		case 3:
			s = [4]uint16{le.Uint16(d[6*i:]), le.Uint16(d[6*i+2:]), le.Uint16(d[6*i+4:]), 0xffff}
		case 4:
			s = [4]uint16{le.Uint16(d[8*i:]), le.Uint16(d[8*i+2:]), le.Uint16(d[8*i+4:]), le.Uint16(d[8*i+6:])}
		}
		for k, v := range s {
			m.Pix[8*i+2*k], m.Pix[8*i+2*k+1] = byte(v>>8), byte(v)
		}
	}
	return m
}

// writeAtomic writes path through a temporary file in its directory,
// synced and renamed into place; on error the temporary file is removed.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("raster: create %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("raster: write %s: %w", path, err)
		}
	}()
	if err = fill(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}
