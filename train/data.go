package train

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/tensor"
)

// Image is one clean training or validation image, decoded once and kept
// as 8-bit RGB planes (3 bytes a pixel).
type Image struct {
	Path   string
	Source string // the file name without its extension and a trailing _<number>
	W, H   int
	Pix    [3][]uint8
}

// Dataset is a set of clean images split into training and validation
// images.
type Dataset struct {
	Train, Val []*Image
}

// imageExts are the file types ListImages picks up.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true, ".tif": true, ".tiff": true}

// ListImages returns the PNG, JPEG and TIFF files under the given folders
// (recursively) and files, sorted, without duplicates.
func ListImages(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("train: data: %w", err)
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !imageExts[strings.ToLower(filepath.Ext(path))] || seen[path] {
				return nil
			}
			seen[path] = true
			files = append(files, path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("train: data: %w", err)
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("train: data: no PNG, JPEG or TIFF images in %s", strings.Join(paths, ", "))
	}
	return files, nil
}

// SourceOf returns the source an image file belongs to: its base name
// without the extension and without a trailing "_<digits>"
// ("neon_0012.png" → "neon"), so chips cut from one source group together.
func SourceOf(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if i := strings.LastIndexByte(base, '_'); i > 0 {
		if _, err := strconv.Atoi(base[i+1:]); err == nil {
			return base[:i]
		}
	}
	return base
}

// Split divides files into training and validation files, the same way
// on every run: files are grouped by SourceOf and sorted by path within
// each group, and the k-th, 2k-th, … file of every group (1-based) goes to
// validation. Sources with fewer than k files are all training. k < 1
// puts everything in training.
func Split(files []string, k int) (train, val []string) {
	for _, group := range bySource(files) {
		for i, f := range group {
			if k >= 1 && (i+1)%k == 0 {
				val = append(val, f)
			} else {
				train = append(train, f)
			}
		}
	}
	return train, val
}

// Fold divides training files into k parts the same way on every run and
// returns all but part i (0 ≤ i < k) as kept, part i as dropped: files are
// grouped by SourceOf and sorted by path within each group, and the j-th
// file of a group (0-based) is in part j mod k. Training k models, each
// without one part, gives the members of a k-fold ensemble. k < 2 keeps
// everything.
func Fold(files []string, k, i int) (kept, dropped []string) {
	for _, group := range bySource(files) {
		for j, f := range group {
			if k >= 2 && j%k == i {
				dropped = append(dropped, f)
			} else {
				kept = append(kept, f)
			}
		}
	}
	return kept, dropped
}

// bySource groups files by SourceOf, groups in order of their source
// names and each sorted by path.
func bySource(files []string) [][]string {
	groups := map[string][]string{}
	for _, f := range files {
		s := SourceOf(f)
		groups[s] = append(groups[s], f)
	}
	sources := make([]string, 0, len(groups))
	for s := range groups {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	out := make([][]string, len(sources))
	for i, s := range sources {
		out[i] = groups[s]
		sort.Strings(out[i])
	}
	return out
}

// LoadImage decodes a PNG, JPEG or TIFF file as 8-bit RGB: a grey image
// is repeated on three channels, 16-bit and floating-point samples are
// scaled from their type's range, and bands past the third are ignored.
// resize, when not 1, rescales the image by that factor (area-averaging
// when shrinking).
func LoadImage(path string, resize float64) (*Image, error) {
	r, err := raster.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer r.Close()
	info := r.Info()
	w, h := info.Width, info.Height
	if int64(w)*int64(h) > 1<<27 {
		return nil, fmt.Errorf("train: %s: %d×%d is too large for a training image; cut it into chips", path, w, h)
	}
	bands := make([][]float32, info.Bands)
	for i := range bands {
		bands[i] = make([]float32, w*h)
	}
	if err := r.ReadWindow(0, 0, w, h, bands); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	scale := float32(1)
	switch info.Type {
	case raster.Uint16:
		scale = 255.0 / 65535
	case raster.Float32, raster.Float64:
		scale = 255
	}
	rgb := [3][]float32{bands[0], bands[0], bands[0]}
	if len(bands) >= 3 {
		rgb = [3][]float32{bands[0], bands[1], bands[2]}
	}
	if resize != 1 && resize > 0 {
		nw, nh := max(1, int(math.Round(float64(w)*resize))), max(1, int(math.Round(float64(h)*resize)))
		for c := range rgb {
			out := make([]float32, nw*nh)
			resample(out, nw, nh, rgb[c], w, h, 0, 0, float64(w), float64(h))
			rgb[c] = out
		}
		w, h = nw, nh
	}
	img := &Image{Path: path, Source: SourceOf(path), W: w, H: h}
	for c := range rgb {
		img.Pix[c] = make([]uint8, w*h)
		for i, v := range rgb[c] {
			img.Pix[c][i] = uint8(min(max(v*scale+0.5, 0), 255))
		}
	}
	return img, nil
}

// LoadDataset lists the images under paths, splits them (Split with
// valEvery) and decodes them all, on up to workers goroutines.
func LoadDataset(ctx context.Context, paths []string, valEvery int, resize float64, workers int) (*Dataset, error) {
	return loadDataset(ctx, paths, valEvery, 0, 0, resize, workers)
}

// loadDataset is LoadDataset leaving out part fold of folds (Fold) of
// the training images; the validation images stay the same.
func loadDataset(ctx context.Context, paths []string, valEvery, folds, fold int, resize float64, workers int) (*Dataset, error) {
	files, err := ListImages(paths)
	if err != nil {
		return nil, err
	}
	trainFiles, valFiles := Split(files, valEvery)
	if len(trainFiles) == 0 {
		return nil, fmt.Errorf("train: data: all %d images went to validation", len(files))
	}
	if folds >= 2 {
		if trainFiles, _ = Fold(trainFiles, folds, fold); len(trainFiles) == 0 {
			return nil, fmt.Errorf("train: data: fold %d of %d leaves no training images", fold, folds)
		}
	}
	imgs, err := loadImages(ctx, append(append([]string{}, trainFiles...), valFiles...), resize, workers)
	if err != nil {
		return nil, err
	}
	return &Dataset{Train: imgs[:len(trainFiles)], Val: imgs[len(trainFiles):]}, nil
}

// loadImages decodes files (LoadImage) on up to workers goroutines.
func loadImages(ctx context.Context, files []string, resize float64, workers int) ([]*Image, error) {
	imgs := make([]*Image, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < max(1, workers); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				imgs[i], errs[i] = LoadImage(files[i], resize)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return imgs, nil
}

// Augment says how training crops are drawn.
type Augment struct {
	Crop               int     // side of the square crops, a multiple of the model's 2^Downsamplings
	ScaleMin, ScaleMax float64 // each crop is rescaled by a factor drawn log-uniformly from this range (1, 1: none)
	FlipH, FlipV       bool    // mirror left-right, top-bottom, each with probability 1/2
	Rotate             bool    // rotate by a random multiple of 90°
}

// Batch is one step's data: the network input (N, 4, S, S), the clean
// images (N, 3, S, S) and the damage masks (N, 1, S, S), 1 = damaged.
type Batch struct {
	Step     int
	Input    *tensor.Tensor
	Truth    *tensor.Tensor
	Mask     *tensor.Tensor
	Families []mask.Family
}

// sampler draws the batches of a run. A batch is a pure function of the
// seed and the step number, so a resumed run sees exactly the batches an
// uninterrupted one would have.
type sampler struct {
	images  []*Image
	batch   int
	aug     Augment
	masks   mask.Mix
	prefill fill.Filler // nil: LaMa's zeroed holes
	seed    uint64

	mu    sync.Mutex
	perms map[int][]int // epoch → order of the images
}

// order returns the image order of an epoch: a seeded shuffle.
func (s *sampler) order(epoch int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.perms[epoch]; ok {
		return p
	}
	if s.perms == nil {
		s.perms = map[int][]int{}
	}
	for e := range s.perms {
		if e < epoch-1 {
			delete(s.perms, e)
		}
	}
	rng := rand.New(rand.NewPCG(s.seed, uint64(epoch)))
	p := rng.Perm(len(s.images))
	s.perms[epoch] = p
	return p
}

// mix returns a 64-bit hash of the seed and the numbers, for per-sample
// random streams.
func mix(seed uint64, nums ...uint64) uint64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for _, n := range nums {
		h ^= n + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = splitmix(h)
	}
	return h
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// batchAt builds the batch of a step.
func (s *sampler) batchAt(step int) (*Batch, error) {
	n, c := s.batch, s.aug.Crop
	b := &Batch{Step: step, Input: tensor.New(n, 4, c, c), Truth: tensor.New(n, 3, c, c), Mask: tensor.New(n, 1, c, c),
		Families: make([]mask.Family, n)}
	for i := 0; i < n; i++ {
		idx := step*n + i
		epoch, pos := idx/len(s.images), idx%len(s.images)
		img := s.images[s.order(epoch)[pos]]
		rng := rand.New(rand.NewPCG(mix(s.seed, 1, uint64(step), uint64(i)), 2))
		s.aug.crop(b.Truth, i, img, rng)
		m, fam, err := s.masks.Generate(c, c, mix(s.seed, 2, uint64(step), uint64(i)))
		if err != nil {
			return nil, fmt.Errorf("train: mask for step %d: %w", step, err)
		}
		b.Families[i] = fam
		maskPlane(b.Mask.Plane(i, 0), m.Pix)
	}
	if err := makeInput(b.Input, b.Truth, b.Mask, s.prefill); err != nil {
		return nil, err
	}
	return b, nil
}

// maskPlane sets dst[i] = 1 where the mask byte is non-zero, else 0.
func maskPlane(dst []float32, pix []uint8) {
	for i, v := range pix {
		dst[i] = 0
		if v != 0 {
			dst[i] = 1
		}
	}
}

// makeInput writes the generator's input for clean images and masks:
// the image with its holes zeroed, or with prefill, filled by that filler
// exactly as restore fills them at inference, then the mask as a fourth
// channel.
func makeInput(input, truth, m *tensor.Tensor, prefill fill.Filler) error {
	n := truth.N
	damaged := tensor.New(n, 3, truth.H, truth.W)
	for i := 0; i < n; i++ {
		mp := m.Plane(i, 0)
		for c := 0; c < 3; c++ {
			src, dst := truth.Plane(i, c), damaged.Plane(i, c)
			for j, v := range src {
				if mp[j] != 0 {
					v = 0
				}
				dst[j] = v
			}
		}
	}
	if prefill != nil {
		filled, err := restore.Filler{F: prefill}.Restore(damaged, m)
		if err != nil {
			return fmt.Errorf("train: prefill: %w", err)
		}
		damaged = filled
	}
	for i := 0; i < n; i++ {
		copy(input.Channels(i, 0, 3), damaged.Channels(i, 0, 3))
		copy(input.Plane(i, 3), m.Plane(i, 0))
	}
	return nil
}

// crop draws an augmented crop of img into image i of dst (N, 3, S, S),
// as floats in [0, 1].
func (a *Augment) crop(dst *tensor.Tensor, i int, img *Image, rng *rand.Rand) {
	s := a.Crop
	scale := 1.0
	if a.ScaleMax > a.ScaleMin && a.ScaleMin > 0 {
		lo, hi := math.Log(a.ScaleMin), math.Log(a.ScaleMax)
		scale = math.Exp(lo + rng.Float64()*(hi-lo))
	} else if a.ScaleMin > 0 {
		scale = a.ScaleMin
	}
	// The source square: S/scale pixels, or the whole short side if the
	// image is smaller (which then is stretched to S).
	side := min(float64(s)/scale, float64(min(img.W, img.H)))
	x0 := rng.Float64() * (float64(img.W) - side)
	y0 := rng.Float64() * (float64(img.H) - side)
	if side == float64(s) {
		// No resampling: whole-pixel offsets.
		x0, y0 = math.Floor(x0), math.Floor(y0)
	}
	flipH := a.FlipH && rng.IntN(2) == 1
	flipV := a.FlipV && rng.IntN(2) == 1
	rot := 0
	if a.Rotate {
		rot = rng.IntN(4)
	}
	tmp := make([]float32, s*s)
	if side == float64(s) {
		ix, iy := int(x0), int(y0)
		for c := 0; c < 3; c++ {
			for y := 0; y < s; y++ {
				row := img.Pix[c][(iy+y)*img.W+ix:]
				for x := range s {
					tmp[y*s+x] = float32(row[x]) / 255
				}
			}
			orient(dst.Plane(i, c), tmp, s, flipH, flipV, rot)
		}
		return
	}
	// Resample from the window the filter reaches.
	margin := int(math.Ceil(max(1, side/float64(s)))) + 1
	bx0, by0 := max(0, int(x0)-margin), max(0, int(y0)-margin)
	bx1, by1 := min(img.W, int(math.Ceil(x0+side))+margin), min(img.H, int(math.Ceil(y0+side))+margin)
	bw, bh := bx1-bx0, by1-by0
	win := make([]float32, bw*bh)
	for c := 0; c < 3; c++ {
		for y := 0; y < bh; y++ {
			row := img.Pix[c][(by0+y)*img.W+bx0:]
			for x := range bw {
				win[y*bw+x] = float32(row[x]) / 255
			}
		}
		resample(tmp, s, s, win, bw, bh, x0-float64(bx0), y0-float64(by0), side, side)
		orient(dst.Plane(i, c), tmp, s, flipH, flipV, rot)
	}
}

// orient writes the s×s plane src into dst mirrored and rotated by rot
// quarter turns counter-clockwise.
func orient(dst, src []float32, s int, flipH, flipV bool, rot int) {
	for y := 0; y < s; y++ {
		for x := 0; x < s; x++ {
			sx, sy := x, y
			for r := 0; r < rot; r++ {
				sx, sy = s-1-sy, sx
			}
			if flipH {
				sx = s - 1 - sx
			}
			if flipV {
				sy = s - 1 - sy
			}
			dst[y*s+x] = src[sy*s+sx]
		}
	}
}

// resample writes into dst (dw×dh) the source rectangle (x0, y0, sw, sh)
// of src (w×h, float coordinates, pixel edges at integers) resampled with
// a triangle filter stretched to the scale when shrinking, so shrinking
// averages (like PIL's antialiased bilinear) and enlarging interpolates.
func resample(dst []float32, dw, dh int, src []float32, w, h int, x0, y0, sw, sh float64) {
	wx := filterTaps(dw, x0, sw, w)
	wy := filterTaps(dh, y0, sh, h)
	// Horizontal pass into an h×dw buffer (only the rows wy needs).
	lo, hi := h, 0
	for _, t := range wy {
		lo, hi = min(lo, t.first), max(hi, t.first+len(t.w))
	}
	rows := make([]float32, (hi-lo)*dw)
	for y := lo; y < hi; y++ {
		row := src[y*w : (y+1)*w]
		out := rows[(y-lo)*dw : (y-lo+1)*dw]
		for x, t := range wx {
			var s float32
			for k, wt := range t.w {
				s += wt * row[t.first+k]
			}
			out[x] = s
		}
	}
	for y, t := range wy {
		out := dst[y*dw : (y+1)*dw]
		clear(out)
		for k, wt := range t.w {
			r := rows[(t.first+k-lo)*dw : (t.first+k-lo+1)*dw]
			for x, v := range r {
				out[x] += wt * v
			}
		}
	}
}

// taps are one output pixel's source pixels first, first+1, … and weights.
type taps struct {
	first int
	w     []float32
}

// filterTaps returns, for n output pixels covering source [x0, x0+span)
// of an axis of length size, the normalised triangle-filter taps.
func filterTaps(n int, x0, span float64, size int) []taps {
	scale := span / float64(n)
	support := max(1, scale) // filter half-width in source pixels
	out := make([]taps, n)
	for i := range out {
		center := x0 + (float64(i)+0.5)*scale
		a := max(0, int(math.Floor(center-support+0.5)))
		b := min(size, int(math.Ceil(center+support-0.5)))
		if b <= a {
			a = min(max(0, int(center)), size-1)
			b = a + 1
		}
		ws := make([]float32, b-a)
		var total float64
		for k := range ws {
			d := math.Abs((float64(a+k) + 0.5 - center) / support)
			v := max(0, 1-d)
			ws[k] = float32(v)
			total += v
		}
		if total == 0 {
			clear(ws)
			ws[min(len(ws)-1, int(center)-a)] = 1
			total = 1
		}
		for k := range ws {
			ws[k] = float32(float64(ws[k]) / total)
		}
		out[i] = taps{first: a, w: ws}
	}
	return out
}

// valItem is one validation case: a fixed crop, its fixed mask, the
// generator input and the IDW baseline's PSNR.
type valItem struct {
	source      string
	truth, mask *tensor.Tensor // (1, 3, S, S), (1, 1, S, S)
	baseline    float64        // PSNR of the prefill (or, without one, IDW) result
}

// hashName returns a stable 64-bit hash of a string.
func hashName(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
