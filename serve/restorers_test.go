package serve

import (
	"context"
	"errors"
	"image"
	"sync"
)

// meanFill is a small real restorer for the tests: it fills damaged pixels
// from the edge of each hole inwards, each with the mean of its already
// known 8-neighbours. Damage is the mask, or black pixels without one.
type meanFill struct{}

func (meanFill) Models() []ModelInfo {
	return []ModelInfo{
		{Name: "mean", Kind: "filler", Description: "Mean of the known neighbours, from the hole's edge inwards."},
		{Name: "mean-again", Kind: "filler", Description: "The same filler under another name."},
	}
}

func (meanFill) Restore(ctx context.Context, job Job) (Output, error) {
	src, ok := job.Image.(*image.RGBA)
	if !ok {
		return Output{}, errors.New("meanFill: want *image.RGBA")
	}
	w, h := src.Rect.Dx(), src.Rect.Dy()
	dst := image.NewRGBA(src.Rect)
	copy(dst.Pix, src.Pix)
	known := make([]bool, w*h)
	holes := 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := dst.Pix[y*dst.Stride+4*x:]
			var bad bool
			if job.Mask != nil {
				bad = job.Mask.Pix[y*job.Mask.Stride+x] != 0
			} else {
				bad = p[0] == 0 && p[1] == 0 && p[2] == 0
			}
			known[y*w+x] = !bad
			if bad {
				holes++
			}
		}
	}
	left := holes
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return Output{}, err
		}
		type fill struct {
			i       int
			r, g, b uint8
		}
		var pass []fill
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if known[y*w+x] {
					continue
				}
				var sr, sg, sb, n int
				for dy := -1; dy <= 1; dy++ {
					for dx := -1; dx <= 1; dx++ {
						xx, yy := x+dx, y+dy
						if xx < 0 || yy < 0 || xx >= w || yy >= h || !known[yy*w+xx] {
							continue
						}
						q := dst.Pix[yy*dst.Stride+4*xx:]
						sr, sg, sb, n = sr+int(q[0]), sg+int(q[1]), sb+int(q[2]), n+1
					}
				}
				if n > 0 {
					pass = append(pass, fill{y*w + x, uint8((sr + n/2) / n), uint8((sg + n/2) / n), uint8((sb + n/2) / n)})
				}
			}
		}
		if len(pass) == 0 { // nothing known at all: mid gray
			for i := range known {
				if !known[i] {
					pass = append(pass, fill{i, 128, 128, 128})
				}
			}
		}
		for _, f := range pass {
			p := dst.Pix[(f.i/w)*dst.Stride+4*(f.i%w):]
			p[0], p[1], p[2], p[3] = f.r, f.g, f.b, 255
			known[f.i] = true
		}
		left -= len(pass)
	}
	return Output{Image: dst, FilledPixels: holes}, nil
}

// fakeRestorer records jobs and answers with a function of them.
type fakeRestorer struct {
	models  []ModelInfo
	restore func(ctx context.Context, job Job) (Output, error)

	mu   sync.Mutex
	jobs []Job
}

func (f *fakeRestorer) Models() []ModelInfo {
	if f.models != nil {
		return f.models
	}
	return []ModelInfo{
		{Name: "lama", Kind: "model", Description: "LaMa FFC-ResNet"},
		{Name: "telea", Kind: "filler", Description: "Telea fast marching"},
	}
}

func (f *fakeRestorer) Restore(ctx context.Context, job Job) (Output, error) {
	f.mu.Lock()
	f.jobs = append(f.jobs, job)
	f.mu.Unlock()
	if f.restore != nil {
		return f.restore(ctx, job)
	}
	return Output{Image: job.Image, FilledPixels: 7}, nil
}

func (f *fakeRestorer) lastJob() Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.jobs) == 0 {
		return Job{}
	}
	return f.jobs[len(f.jobs)-1]
}
