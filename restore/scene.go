package restore

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/raster"
	"github.com/aerofill/aerofill/tensor"
)

// Tile sizes for scenes. A model sees one tile at a time; the overlap is
// blended.
//
// Why 512 and 64 (measurements and commands in restore/NOTES.md): a
// model's cost per computed pixel is nearly flat from 256 to 1024 (LaMa-
// Fourier: 11–12 CPU s per megapixel), so time follows the area the grid
// computes, (T/(T−O))² of a large scene: 1.78 at 256/64, 1.31 at 512/64,
// 1.14 at 1024/64; and peak memory follows T² (1.1 GB at 512, 2.2–2.6 GB
// at 1024 for a 2048-wide scene). 1024 would save 13 % of the compute on
// large scenes but double the memory, and waste more on scenes a little
// larger than a tile (a 2048 × 1148 scene computes 2.68× its area at 1024,
// 1.67× at 512). IDW's PSNR does not depend on either (21.00 dB in every
// configuration). An overlap of 64 blends tiles of a method with global
// context without a visible seam (largest jump across tile edges 1
// level, against 47 for unblended tiles) at 12.5 % of the tile; 128 costs
// 36 % more compute at 512. A trained model's PSNR against the tile size is
// still to be measured (TestTileSweep with AEROFILL_TILESWEEP_MODEL).
const (
	DefaultTile    = 512
	DefaultOverlap = 64
)

// MaskSource says where a scene's damage is read from.
type MaskSource string

const (
	MaskAuto   MaskSource = "auto"   // file if given, else nodata, else alpha, else black
	MaskBlack  MaskSource = "black"  // pixels whose colour bands are all 0
	MaskNoData MaskSource = "nodata" // pixels whose bands all equal the nodata value
	MaskAlpha  MaskSource = "alpha"  // pixels whose alpha is 0
	MaskFile   MaskSource = "file"   // a mask raster: non-zero (≥128 for 8-bit) = damaged
)

// SceneOptions control RestoreScene.
type SceneOptions struct {
	Method     Method
	Tile       int // model tile side (0: DefaultTile)
	Overlap    int // blended overlap between tiles (0: DefaultOverlap)
	Workers    int // tiles in flight (0: 1)
	Mask       MaskSource
	MaskPath   string // the mask raster, with MaskFile (or MaskAuto)
	FilledPath string // if set, a uint8 raster marking filled pixels 255 is written here
	Write      raster.WriteOptions
	Progress   func(doneRows, totalRows int)
}

// SceneStats describes a finished scene.
type SceneStats struct {
	Width, Height, Bands int
	Type                 raster.SampleType
	Mask                 MaskSource // the source actually used
	Filled               int64      // pixels filled
	Unfilled             int64      // damaged pixels the method left as they were (IDW beyond its search distance)
	Tiles, Computed      int        // tiles in the grid, tiles that had damage
	Duration             time.Duration
}

// ErrNoDamage is returned (with stats) when a scene has nothing to fill;
// no output is written.
var ErrNoDamage = errors.New("no damaged pixels")

// bandPlan says which bands the model sees and how the rest are handled.
type bandPlan struct {
	color         []int // 3 band indices (R, G, B), or 1 for a grey raster
	extras        []int // further non-alpha bands, filled by fillGuided
	alpha         int   // alpha band index or -1
	lo, hi        []float64
	opaque        float32 // the alpha of a filled pixel
	maskThreshold float32 // a mask raster's value from which a pixel is damaged
}

// RestoreScene restores the raster at inPath into outPath, tile by tile,
// with memory bounded by the tile size and the scene's width (one row of
// tiles at a time), not its area. The output keeps the input's size,
// bands, sample type, georeferencing, nodata and metadata; known pixels
// are copied exactly, damaged ones are replaced.
//
// Colour bands go through the method scaled to [0, 1]: 8-bit by /255,
// other types by each band's 0.5–99.5 percentile range (sampled over the
// scene's valid pixels), mapped back afterwards. Bands beyond RGB (a NIR
// band, say) are filled per tile by IDW, plus as much of the restored
// colour's detail as a linear fit of the band on RGB explains over the
// tile's known pixels (see fillGuided). An alpha band marks filled pixels
// opaque.
func RestoreScene(ctx context.Context, inPath, outPath string, opt SceneOptions) (SceneStats, error) {
	start := time.Now()
	in, err := raster.Open(inPath)
	if err != nil {
		return SceneStats{}, err
	}
	defer in.Close()
	info := in.Info()
	st := SceneStats{Width: info.Width, Height: info.Height, Bands: info.Bands, Type: info.Type}
	tile, overlap := opt.Tile, opt.Overlap
	if tile <= 0 {
		tile = DefaultTile
	}
	if overlap <= 0 {
		overlap = min(DefaultOverlap, tile/4)
	}
	if overlap >= tile {
		return st, fmt.Errorf("overlap %d must be smaller than the tile %d", overlap, tile)
	}
	plan := planBands(info)
	var maskIn raster.Reader
	st.Mask, maskIn, err = chooseMask(info, opt.Mask, opt.MaskPath)
	if err != nil {
		return st, fmt.Errorf("%s: %w", inPath, err)
	}
	if maskIn != nil {
		defer maskIn.Close()
		plan.maskThreshold = 0.5
		if maskIn.Info().Type == raster.Uint8 {
			plan.maskThreshold = 128
		}
	}
	if err := plan.scale(in, maskIn, info, st.Mask); err != nil {
		return st, fmt.Errorf("%s: %w", inPath, err)
	}
	out, err := raster.Create(outPath, info, opt.Write)
	if err != nil {
		return st, fmt.Errorf("%s: %w", outPath, err)
	}
	var filledOut raster.Writer
	if opt.FilledPath != "" {
		finfo := raster.Info{Width: info.Width, Height: info.Height, Bands: 1, Type: raster.Uint8, Geo: info.Geo, Alpha: -1}
		if filledOut, err = raster.Create(opt.FilledPath, finfo, raster.WriteOptions{Compression: "deflate"}); err != nil {
			out.Abort()
			return st, fmt.Errorf("%s: %w", opt.FilledPath, err)
		}
	}
	abort := func(err error) (SceneStats, error) {
		out.Abort()
		if filledOut != nil {
			filledOut.Abort()
		}
		return st, err
	}
	s := &sceneRun{opt: opt, in: in, maskIn: maskIn, info: info, plan: plan, mask: st.Mask, tile: tile, overlap: overlap,
		out: out, filledOut: filledOut, sentinel: leavesHoles(opt.Method)}
	if err := s.run(ctx, &st); err != nil {
		return abort(fmt.Errorf("%s: %w", inPath, err))
	}
	if st.Filled == 0 && st.Unfilled == 0 {
		abort(nil)
		st.Duration = time.Since(start)
		return st, ErrNoDamage
	}
	// The sidecar first: if it fails, the output has not appeared yet.
	if filledOut != nil {
		if err := filledOut.Close(); err != nil {
			out.Abort()
			return st, fmt.Errorf("%s: %w", opt.FilledPath, err)
		}
	}
	if err := out.Close(); err != nil {
		if opt.FilledPath != "" {
			os.Remove(opt.FilledPath)
		}
		return st, fmt.Errorf("%s: %w", outPath, err)
	}
	st.Duration = time.Since(start)
	return st, nil
}

// planBands picks the colour bands (by colour interpretation when the file
// names them), the extra bands and the alpha band.
func planBands(info Info) bandPlan {
	p := bandPlan{alpha: info.Alpha}
	find := func(name string) int {
		for i, c := range info.ColorInterp {
			if c == name && i != info.Alpha {
				return i
			}
		}
		return -1
	}
	var rest []int
	for i := 0; i < info.Bands; i++ {
		if i != info.Alpha {
			rest = append(rest, i)
		}
	}
	if r, g, b := find("Red"), find("Green"), find("Blue"); r >= 0 && g >= 0 && b >= 0 {
		p.color = []int{r, g, b}
	} else if len(rest) >= 3 {
		p.color = rest[:3]
	} else if len(rest) > 0 {
		p.color = rest[:1]
	}
	for _, i := range rest {
		if !slices.Contains(p.color, i) {
			p.extras = append(p.extras, i)
		}
	}
	return p
}

// Info is raster.Info, named here for brevity.
type Info = raster.Info

// chooseMask resolves the mask source, opening the mask raster if needed.
func chooseMask(info Info, src MaskSource, path string) (MaskSource, raster.Reader, error) {
	if src == "" {
		src = MaskAuto
	}
	if src == MaskAuto {
		switch {
		case path != "":
			src = MaskFile
		case usableNoData(info):
			src = MaskNoData
		case info.Alpha >= 0:
			src = MaskAlpha
		default:
			src = MaskBlack
		}
	}
	switch src {
	case MaskFile:
		if path == "" {
			return src, nil, fmt.Errorf("mask source %q needs a mask file", src)
		}
		m, err := raster.Open(path)
		if err != nil {
			return src, nil, err
		}
		mi := m.Info()
		if mi.Width != info.Width || mi.Height != info.Height {
			m.Close()
			return src, nil, fmt.Errorf("mask %s is %d×%d, image is %d×%d", path, mi.Width, mi.Height, info.Width, info.Height)
		}
		return src, m, nil
	case MaskNoData:
		if !usableNoData(info) {
			return src, nil, fmt.Errorf("no usable nodata value (tag %q)", info.NoDataText)
		}
	case MaskAlpha:
		if info.Alpha < 0 {
			return src, nil, fmt.Errorf("no alpha band")
		}
	case MaskBlack:
	default:
		return src, nil, fmt.Errorf("unknown mask source %q (auto, black, nodata, alpha, file)", src)
	}
	return src, nil, nil
}

// usableNoData reports whether the nodata value can occur in the data: a
// −1e4 on a byte raster (seen in real files) cannot, and is ignored.
func usableNoData(info Info) bool {
	if info.NoData == nil {
		return false
	}
	v := *info.NoData
	if math.IsNaN(v) {
		return info.Type.IsFloat()
	}
	lo, hi := info.Type.Range()
	return v >= lo && v <= hi && (info.Type.IsFloat() || v == math.Trunc(v))
}

// scale sets each colour band's value range: the type's for 8-bit data,
// else robust percentiles over a sample of the scene's valid pixels
// (maskIn, the mask raster, says which are valid with MaskFile).
func (p *bandPlan) scale(in, maskIn raster.Reader, info Info, src MaskSource) error {
	n := len(p.color)
	p.lo, p.hi = make([]float64, n), make([]float64, n)
	// Opaque is the type's largest value for integers; floating-point
	// alpha has no such value, so it is the largest alpha seen below
	// (1 if none), not +Inf.
	_, top := info.Type.Range()
	p.opaque = float32(top)
	if info.Type.IsFloat() {
		p.opaque = 0
	}
	if info.Type == raster.Uint8 {
		for i := range p.hi {
			p.hi[i] = 255
		}
		return nil
	}
	// Sample up to 8×8 windows of at most 256² spread over the scene.
	samples := make([][]float32, n)
	win := min(256, info.Width, info.Height)
	bands := make([][]float32, info.Bands)
	for i := range bands {
		bands[i] = make([]float32, win*win)
	}
	hole := make([]uint8, win*win)
	var maskBands [][]float32
	if maskIn != nil {
		maskBands = make([][]float32, maskIn.Info().Bands)
		maskBands[0] = make([]float32, win*win)
	}
	for gy := 0; gy < 8; gy++ {
		for gx := 0; gx < 8; gx++ {
			x0 := (info.Width - win) * gx / 7
			y0 := (info.Height - win) * gy / 7
			if err := in.ReadWindow(x0, y0, win, win, bands); err != nil {
				return err
			}
			var maskBand []float32
			if maskIn != nil {
				if err := maskIn.ReadWindow(x0, y0, win, win, maskBands); err != nil {
					return fmt.Errorf("mask: %w", err)
				}
				maskBand = maskBands[0]
			}
			p.holes(hole, bands, info, src, maskBand)
			if p.alpha >= 0 && info.Type.IsFloat() {
				for _, v := range bands[p.alpha] {
					if v > p.opaque && !math.IsInf(float64(v), 1) {
						p.opaque = v
					}
				}
			}
			for i, b := range p.color {
				for j, v := range bands[b] {
					if hole[j] == 0 && !math.IsNaN(float64(v)) {
						samples[i] = append(samples[i], v)
					}
				}
			}
		}
	}
	if p.opaque == 0 {
		p.opaque = 1
	}
	for i, s := range samples {
		if len(s) == 0 {
			p.lo[i], p.hi[i] = 0, 1
			continue
		}
		slices.Sort(s)
		p.lo[i] = float64(s[len(s)*5/1000])
		p.hi[i] = float64(s[(len(s)-1)*995/1000])
		if p.hi[i] <= p.lo[i] {
			p.hi[i] = p.lo[i] + 1
		}
	}
	return nil
}

// holes marks damaged pixels of a window (w·h values per band) in hole.
// maskBand, when not nil, is the window of the mask raster.
func (p *bandPlan) holes(hole []uint8, bands [][]float32, info Info, src MaskSource, maskBand []float32) {
	n := len(hole)
	clear(hole)
	switch src {
	case MaskFile:
		for i := 0; i < n; i++ {
			if maskBand[i] >= p.maskThreshold {
				hole[i] = 1
			}
		}
	case MaskAlpha:
		for i, v := range bands[p.alpha][:n] {
			if v == 0 {
				hole[i] = 1
			}
		}
	case MaskNoData:
		nd := float32(*info.NoData)
		isNaN := math.IsNaN(*info.NoData)
		for i := 0; i < n; i++ {
			all := true
			for b := range bands {
				if b == p.alpha {
					continue
				}
				v := bands[b][i]
				if isNaN && v == v || !isNaN && v != nd {
					all = false
					break
				}
			}
			if all {
				hole[i] = 1
			}
		}
	case MaskBlack:
		for i := 0; i < n; i++ {
			all := true
			for _, b := range p.color {
				if bands[b][i] != 0 {
					all = false
					break
				}
			}
			if all {
				hole[i] = 1
			}
		}
	}
}

// sceneRun holds one RestoreScene's state.
type sceneRun struct {
	opt           SceneOptions
	in, maskIn    raster.Reader
	info          Info
	plan          bandPlan
	mask          MaskSource
	tile, overlap int
	out           raster.Writer
	filledOut     raster.Writer
	sentinel      bool // holes go in as unfilledSentinel (leavesHoles)
}

// outBands lists the bands that are blended: colour then extras.
func (s *sceneRun) outBands() []int {
	if len(s.plan.color) == 1 {
		return append([]int{s.plan.color[0]}, s.plan.extras...)
	}
	return append(append([]int(nil), s.plan.color...), s.plan.extras...)
}

func (s *sceneRun) run(ctx context.Context, st *SceneStats) error {
	W, H, B := s.info.Width, s.info.Height, s.info.Bands
	rows := tileStarts(H, s.tile, s.overlap)
	cols := tileStarts(W, s.tile, s.overlap)
	st.Tiles = len(rows) * len(cols)
	T := min(s.tile, H)
	ob := s.outBands()
	acc := NewBlender(H, W, T, len(ob), s.overlap)
	v := make([]float32, len(ob)) // one pixel's blended values
	bands := make([][]float32, B)
	for i := range bands {
		bands[i] = make([]float32, W*T)
	}
	hole := make([]uint8, W*T)
	var maskBand []float32
	var maskBands [][]float32
	if s.maskIn != nil {
		maskBands = make([][]float32, s.maskIn.Info().Bands)
		maskBands[0] = make([]float32, W*T)
		maskBand = maskBands[0]
	}
	outRows := make([][]float32, B)
	filledRow := []([]uint8){make([]uint8, W*T)}
	for ri, y0 := range rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		th := min(y0+s.tile, H) - y0
		win := make([][]float32, B)
		for b := range bands {
			win[b] = bands[b][:W*th]
		}
		if err := s.in.ReadWindow(0, y0, W, th, win); err != nil {
			return err
		}
		if maskBands != nil {
			mb := [][]float32{maskBand[:W*th]}
			for len(mb) < len(maskBands) {
				mb = append(mb, nil)
			}
			if err := s.maskIn.ReadWindow(0, y0, W, th, mb); err != nil {
				return fmt.Errorf("mask: %w", err)
			}
		}
		s.plan.holes(hole[:W*th], win, s.info, s.mask, maskBand)
		// Restore the damaged tiles of this row, in parallel.
		var todo []image.Rectangle
		for _, x0 := range cols {
			r := image.Rect(x0, 0, min(x0+s.tile, W), th)
			if anyHole(hole, W, r) {
				todo = append(todo, r)
			}
		}
		st.Computed += len(todo)
		// Tiles are blended in grid order, whatever order they finish
		// in, so that float32 sums, and the output, do not depend on the
		// number of workers. A finished tile waits in results for its
		// predecessors; tiles are handed out in order, so few wait.
		var (
			mu      sync.Mutex
			results = make([][][]float32, len(todo))
			next    int
		)
		err := ForEach(ctx, len(todo), max(s.opt.Workers, 1), func(i int) error {
			res, err := s.restoreTile(win, hole, W, todo[i])
			if err != nil {
				r := todo[i].Add(image.Pt(0, y0))
				return fmt.Errorf("%s: tile (%d,%d)–(%d,%d): %w", s.opt.Method.Name(), r.Min.X, r.Min.Y, r.Max.X, r.Max.Y, err)
			}
			mu.Lock()
			defer mu.Unlock()
			results[i] = res
			for ; next < len(todo) && results[next] != nil; next++ {
				acc.Add(results[next], todo[next].Add(image.Pt(0, y0)))
				results[next] = nil
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Rows [y0, yEnd) are covered by no later tile: finish and write them.
		yEnd := H
		if ri+1 < len(rows) {
			yEnd = rows[ri+1]
		}
		n := W * (yEnd - y0)
		for b := range outRows {
			outRows[b] = win[b][:n]
		}
		filled := filledRow[0][:n]
		clear(filled)
		for i := 0; i < n; i++ {
			if hole[i] == 0 {
				continue
			}
			if !acc.At(i%W, y0+i/W, v) { // no tile filled it: it stays as it was
				st.Unfilled++
				continue
			}
			for c, b := range ob {
				outRows[b][i] = v[c]
			}
			if s.plan.alpha >= 0 {
				outRows[s.plan.alpha][i] = s.plan.opaque
			}
			filled[i] = 255
			st.Filled++
		}
		if err := s.out.WriteWindow(0, y0, W, yEnd-y0, outRows); err != nil {
			return err
		}
		if s.filledOut != nil {
			if err := s.filledOut.WriteWindowNative(0, y0, W, yEnd-y0, [][]uint8{filled}); err != nil {
				return err
			}
		}
		acc.Advance(yEnd)
		if s.opt.Progress != nil {
			s.opt.Progress(yEnd, H)
		}
	}
	return nil
}

// unfilledSentinel is what a classical filler's holes hold on the way in:
// fillers interpolate known values, all in [0, 1], so a pixel that still
// holds it on the way out was not filled. Models see zeros (LaMa and the
// fillers that pre-fill for it were trained on zeroed holes).
const unfilledSentinel = -1

// leavesHoles reports whether m is a classical filler, possibly under
// TTA: the methods that may leave a hole pixel unfilled.
func leavesHoles(m Method) bool {
	switch m := m.(type) {
	case Filler:
		return true
	case TTA:
		return leavesHoles(m.M)
	}
	return false
}

// restoreTile runs the method on tile r of the row window (width W) and
// returns the tile's values, in band units, for each of outBands(); the
// first band holds NaN at the holes the method left unfilled.
func (s *sceneRun) restoreTile(win [][]float32, hole []uint8, W int, r image.Rectangle) ([][]float32, error) {
	tw, th := r.Dx(), r.Dy()
	x := tensor.New(1, 3, th, tw)
	m := tensor.New(1, 1, th, tw)
	holes := make([]uint8, tw*th)
	for y := 0; y < th; y++ {
		for xx := 0; xx < tw; xx++ {
			i := (r.Min.Y+y)*W + r.Min.X + xx
			j := y*tw + xx
			if hole[i] != 0 {
				m.Data[j] = 1
				holes[j] = 1
				if s.sentinel {
					for c := 0; c < 3; c++ {
						x.Plane(0, c)[j] = unfilledSentinel
					}
				}
				continue
			}
			for c := 0; c < 3; c++ {
				k := c % len(s.plan.color)
				v := (float64(win[s.plan.color[k]][i]) - s.plan.lo[k]) / (s.plan.hi[k] - s.plan.lo[k])
				x.Plane(0, c)[j] = float32(min(max(v, 0), 1))
			}
		}
	}
	y, err := s.opt.Method.Restore(x, m)
	if err != nil {
		return nil, err
	}
	// A classical filler's hole pixel that still holds the sentinel was
	// left unfilled (IDW leaves pixels beyond its search distance).
	unfilled := func(j int) bool {
		return s.sentinel && holes[j] != 0 && y.Plane(0, 0)[j] < 0
	}
	ob := s.outBands()
	res := make([][]float32, len(ob))
	nc := len(s.plan.color)
	if nc == 1 { // grey: the mean of the three channels
		g := make([]float32, tw*th)
		for j := range g {
			g[j] = (y.Plane(0, 0)[j] + y.Plane(0, 1)[j] + y.Plane(0, 2)[j]) / 3
		}
		res[0] = g
	} else {
		for c := 0; c < 3; c++ {
			res[c] = append([]float32(nil), y.Plane(0, c)...)
		}
	}
	for c := 0; c < nc; c++ {
		lo, span := float32(s.plan.lo[c]), float32(s.plan.hi[c]-s.plan.lo[c])
		for j := range res[c] {
			res[c][j] = res[c][j]*span + lo
		}
	}
	for e, b := range s.plan.extras {
		band := make([]float32, tw*th)
		for yy := 0; yy < th; yy++ {
			copy(band[yy*tw:(yy+1)*tw], win[b][(r.Min.Y+yy)*W+r.Min.X:(r.Min.Y+yy)*W+r.Max.X])
		}
		if err := fillGuided(band, y, holes, tw, th); err != nil {
			return nil, err
		}
		res[nc+e] = band
	}
	for j := range holes {
		if unfilled(j) {
			res[0][j] = float32(math.NaN())
		}
	}
	return res, nil
}

// fillGuided fills the holes of band (w×h, in band units) with the help
// of the restored colour (guide, (1,3,h,w) in [0, 1]):
//
//	band ≈ s·fit + IDW(band − s·fit)
//
// where fit = a + b·R + c·G + d·B is least squares over the known pixels
// and s ∈ [0, 1] is the share of the band's variance the fit explains
// there (R²). IDW is linear in the values it interpolates, so this is
// IDW of the band plus s times the colour detail that IDW of the fit
// misses: with s = 0, or colour that was itself filled by IDW, it is
// plain IDW; with a model that restores colour detail and a band that
// follows colour, it adds that detail.
//
// Why not the fit alone: on the NAIP scene a linear fit on RGB explains
// 7 % of NIR's variance, and filling NIR by the fit scored 11.9 dB PSNR
// over line damage where plain IDW scores 21.5 dB (restore/NOTES.md).
// With fewer than 64 known pixels, or a singular fit, s is 0.
func fillGuided(band []float32, guide *tensor.Tensor, holes []uint8, w, h int) error {
	var ata [4][4]float64
	var atb [4]float64
	var sum, sum2 float64
	known := 0
	feat := func(i int) [4]float64 {
		return [4]float64{1, float64(guide.Data[i]), float64(guide.Data[w*h+i]), float64(guide.Data[2*w*h+i])}
	}
	for i, hv := range holes {
		if hv != 0 {
			continue
		}
		f, v := feat(i), float64(band[i])
		for a := 0; a < 4; a++ {
			for b := 0; b < 4; b++ {
				ata[a][b] += f[a] * f[b]
			}
			atb[a] += f[a] * v
		}
		sum += v
		sum2 += v * v
		known++
	}
	if known < 64 {
		return fill.IDW{}.Fill([][]float32{band}, w, h, holes)
	}
	for a := 0; a < 4; a++ {
		ata[a][a] += 1e-6 * float64(known) // a little ridge keeps flat tiles solvable
	}
	coef, ok := solve4(ata, atb)
	if !ok {
		return fill.IDW{}.Fill([][]float32{band}, w, h, holes)
	}
	fit := func(i int) float64 {
		f := feat(i)
		return coef[0] + coef[1]*f[1] + coef[2]*f[2] + coef[3]*f[3]
	}
	var sse float64
	for i, hv := range holes {
		if hv == 0 {
			d := float64(band[i]) - fit(i)
			sse += d * d
		}
	}
	sst := sum2 - sum*sum/float64(known)
	s := 0.0
	if sst > 0 {
		s = min(max(1-sse/sst, 0), 1)
	}
	if s == 0 {
		return fill.IDW{}.Fill([][]float32{band}, w, h, holes)
	}
	resid := make([]float32, len(band))
	for i, hv := range holes {
		if hv == 0 {
			resid[i] = float32(float64(band[i]) - s*fit(i))
		}
	}
	if err := (fill.IDW{}).Fill([][]float32{resid}, w, h, holes); err != nil {
		return err
	}
	for i, hv := range holes {
		if hv != 0 {
			band[i] = float32(float64(resid[i]) + s*fit(i))
		}
	}
	return nil
}

// solve4 solves a 4×4 system by Gaussian elimination with partial pivoting.
func solve4(a [4][4]float64, b [4]float64) ([4]float64, bool) {
	for c := 0; c < 4; c++ {
		p := c
		for r := c + 1; r < 4; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) < 1e-12 {
			return b, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 4; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < 4; k++ {
				a[r][k] -= f * a[c][k]
			}
			b[r] -= f * b[c]
		}
	}
	var x [4]float64
	for r := 3; r >= 0; r-- {
		v := b[r]
		for k := r + 1; k < 4; k++ {
			v -= a[r][k] * x[k]
		}
		x[r] = v / a[r][r]
	}
	return x, true
}

func anyHole(hole []uint8, W int, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for _, v := range hole[y*W+r.Min.X : y*W+r.Max.X] {
			if v != 0 {
				return true
			}
		}
	}
	return false
}

// ForEach runs fn(0), …, fn(n−1) on up to workers goroutines, handing
// out indices in order. It stops handing them out at the first error or
// when ctx is done, waits for the calls under way, and returns the first
// error, else ctx's.
func ForEach(ctx context.Context, n, workers int, fn func(i int) error) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int)
	)
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	for range min(max(workers, 1), max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := 0; i < n && !failed(); i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
