// Package eval measures restoration methods on sets of images and ranks
// them: it damages clean images with generated masks (or takes damaged
// images, masks and truths from folders), runs every method on every case
// in parallel with one image per worker in memory, and scores the results
// with PSNR, SSIM and MAE. Report writes the leaderboard as Markdown, CSV,
// JSON and an HTML page with example grids and plots. It does not decide
// how a method restores; restore does.
package eval

import (
	"context"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/metrics"
	"github.com/aerofill/aerofill/restore"
)

// Case is one damaged image to restore and score.
type Case struct {
	Name   string      // the image's file name stem
	Family string      // mask family, or "given" for supplied masks
	Truth  string      // path of the undamaged image
	Input  string      // path of the damaged image ("" → truth damaged by the mask)
	Mask   string      // path of the mask image ("" → generated, or black pixels of Input)
	Gen    mask.Family // family to generate when Mask and Input are ""
	Seed   uint64
}

// Row is one method's score on one case.
type Row struct {
	Case                  int // the case's index in Run's list: rows with one Case are paired
	Image, Family, Method string
	metrics.Result
	Millis float64 // time the method took on this case
}

// imageExts are the file types a folder of images may hold.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true}

// ListImages returns the image files of a folder (or the one file given),
// sorted by name.
func ListImages(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if !e.IsDir() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no PNG, JPEG or TIFF images", path)
	}
	return files, nil
}

// CleanCases damages every clean image with perImage masks (at least one)
// of each family; masks are seeded from (seed, image name, family, draw),
// so a set is the same on every run, and the first draw is the same
// whatever perImage is.
func CleanCases(files []string, families []mask.Family, seed uint64, perImage int) []Case {
	var cs []Case
	for _, f := range files {
		name := stem(f)
		for _, fam := range families {
			for k := range max(1, perImage) {
				h := fnv.New64a()
				fmt.Fprintf(h, "%d/%s/%s", seed, name, fam)
				if k > 0 {
					fmt.Fprintf(h, "/%d", k)
				}
				cs = append(cs, Case{Name: name, Family: string(fam), Truth: f, Gen: fam, Seed: h.Sum64()})
			}
		}
	}
	return cs
}

// GivenCases pairs damaged images with truths (same file name stem) and,
// when masksDir is not "", with masks; without masks the damage is the
// pure-black pixels of each damaged image.
func GivenCases(damagedDir, masksDir, truthDir string) ([]Case, error) {
	damaged, err := ListImages(damagedDir)
	if err != nil {
		return nil, err
	}
	truths, err := ListImages(truthDir)
	if err != nil {
		return nil, err
	}
	byStem := map[string]string{}
	for _, t := range truths {
		byStem[stem(t)] = t
	}
	var masks map[string]string
	if masksDir != "" {
		ms, err := ListImages(masksDir)
		if err != nil {
			return nil, err
		}
		masks = map[string]string{}
		for _, m := range ms {
			masks[strings.TrimSuffix(stem(m), "_mask")] = m
		}
	}
	var cs []Case
	for _, d := range damaged {
		s := stem(d)
		t, ok := byStem[s]
		if !ok {
			return nil, fmt.Errorf("%s: no truth image named %s.* in %s", d, s, truthDir)
		}
		c := Case{Name: s, Family: "given", Truth: t, Input: d}
		if masks != nil {
			if c.Mask, ok = masks[s]; !ok {
				return nil, fmt.Errorf("%s: no mask named %s.* in %s", d, s, masksDir)
			}
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func stem(p string) string {
	b := filepath.Base(p)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// Decoder reads an image file; the CLI passes one that knows every
// format aerofill reads.
type Decoder func(path string) (image.Image, error)

// Options control a run.
type Options struct {
	Workers  int                        // cases in flight (0: GOMAXPROCS)
	Decode   Decoder                    // required
	Samples  int                        // cases whose images are kept for the report
	Progress func(done, total int)      // called after each case; may be nil
	Keep     func(c Case, imgs Example) // receives the kept examples; may be nil
}

// Example holds one case's pictures for the report grid.
type Example struct {
	Case     Case
	Damaged  image.Image
	Truth    image.Image
	Restored map[string]image.Image // by method name
}

// Run restores every case with every method and returns one row per
// (case, method), in case order then method order.
func Run(ctx context.Context, cases []Case, methods []restore.Method, opt Options) ([]Row, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rows := make([][]Row, len(cases))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
		next     = make(chan int)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, ex, err := runCase(cases[i], methods, opt.Decode, i < opt.Samples)
				for j := range r {
					r[j].Case = i
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				rows[i] = r
				done++
				if opt.Progress != nil {
					opt.Progress(done, len(cases))
				}
				if ex != nil && opt.Keep != nil {
					opt.Keep(cases[i], *ex)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range cases {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
		mu.Lock()
		stop := firstErr != nil
		mu.Unlock()
		if stop {
			break
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []Row
	for _, r := range rows {
		all = append(all, r...)
	}
	return all, nil
}

// runCase loads one case, runs every method on it and scores the results.
func runCase(c Case, methods []restore.Method, decode Decoder, keep bool) ([]Row, *Example, error) {
	truth, err := decode(c.Truth)
	if err != nil {
		return nil, nil, err
	}
	var dmg image.Image
	var m *image.Gray
	switch {
	case c.Input != "":
		if dmg, err = decode(c.Input); err != nil {
			return nil, nil, err
		}
		if c.Mask != "" {
			mi, err := decode(c.Mask)
			if err != nil {
				return nil, nil, err
			}
			m = toMask(mi)
		} else {
			m = mask.FromBlack(dmg)
		}
	default:
		b := truth.Bounds()
		if m, err = mask.Generate(c.Gen, b.Dx(), b.Dy(), c.Seed, mask.DefaultCoverage(c.Gen)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.Truth, err)
		}
		d := toNRGBA(truth)
		if err := mask.Apply(d, m); err != nil {
			return nil, nil, err
		}
		dmg = d
	}
	if !dmg.Bounds().Size().Eq(truth.Bounds().Size()) || !m.Bounds().Size().Eq(truth.Bounds().Size()) {
		return nil, nil, fmt.Errorf("%s: damaged image %v, mask %v and truth %v differ in size", c.Name, dmg.Bounds().Size(), m.Bounds().Size(), truth.Bounds().Size())
	}
	x := restore.ImageTensor(dmg)
	mt, _ := restore.MaskTensor(m)
	var ex *Example
	if keep {
		ex = &Example{Case: c, Damaged: dmg, Truth: truth, Restored: map[string]image.Image{}}
	}
	rows := make([]Row, 0, len(methods))
	for _, meth := range methods {
		start := time.Now()
		y, err := meth.Restore(x, mt)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s: %w", c.Name, meth.Name(), err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000
		out := restore.TensorImage(y, 0)
		res, err := metrics.Compare(out, truth, m)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		rows = append(rows, Row{Image: c.Name, Family: c.Family, Method: meth.Name(), Result: res, Millis: ms})
		if ex != nil {
			ex.Restored[meth.Name()] = out
		}
	}
	return rows, ex, nil
}

func toNRGBA(img image.Image) *image.NRGBA {
	b := img.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(x, y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// toMask thresholds a mask image: grey ≥ 128 is damaged.
func toMask(img image.Image) *image.Gray {
	b := img.Bounds()
	m := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			if color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y >= 128 {
				m.Pix[y*m.Stride+x] = 255
			}
		}
	}
	return m
}

// Entry is one line of a leaderboard: a method's means over a group.
type Entry struct {
	Method, Group string // Group is "all" or a mask family
	metrics.Summary
	Millis float64 // mean time per case
}

// Leaderboard ranks methods by mean whole-image PSNR, overall and per
// family. Entries come sorted by group ("all" first), then PSNR descending.
func Leaderboard(rows []Row) []Entry {
	type key struct{ method, group string }
	groups := map[key][]Row{}
	for _, r := range rows {
		groups[key{r.Method, "all"}] = append(groups[key{r.Method, "all"}], r)
		groups[key{r.Method, r.Family}] = append(groups[key{r.Method, r.Family}], r)
	}
	var es []Entry
	for k, rs := range groups {
		res := make([]metrics.Result, len(rs))
		ms := 0.0
		for i, r := range rs {
			res[i] = r.Result
			ms += r.Millis
		}
		es = append(es, Entry{Method: k.method, Group: k.group, Summary: metrics.Summarize(res), Millis: ms / float64(len(rs))})
	}
	sort.Slice(es, func(i, j int) bool {
		gi, gj := es[i].Group, es[j].Group
		if gi != gj {
			if gi == "all" || gj == "all" {
				return gi == "all"
			}
			return gi < gj
		}
		if es[i].PSNR != es[j].PSNR {
			return es[i].PSNR > es[j].PSNR
		}
		return es[i].Method < es[j].Method
	})
	return es
}
