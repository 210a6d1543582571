package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/aerofill/aerofill/internal/atomicfile"
)

// Meta describes a run for the report's header.
type Meta struct {
	Title    string
	Source   string // what was evaluated, e.g. a folder
	Cases    int
	Methods  []string
	Duration time.Duration
	Command  string
}

// WriteReport writes the run's results into dir: leaderboard.md,
// leaderboard.csv, results.csv (one row per case and method),
// results.json, plots (PNG) and report.html with example grids.
func WriteReport(dir string, meta Meta, rows []Row, examples []Example) error {
	if err := os.MkdirAll(filepath.Join(dir, "examples"), 0o755); err != nil {
		return err
	}
	board := Leaderboard(rows)
	pairs := Paired(board, rows)
	write := func(name string, fill func(io.Writer) error) error {
		if err := atomicfile.Write(filepath.Join(dir, name), fill); err != nil {
			return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
		}
		return nil
	}
	if err := write("leaderboard.md", func(w io.Writer) error { return Markdown(w, meta, board, pairs) }); err != nil {
		return err
	}
	if err := write("leaderboard.csv", func(w io.Writer) error { return boardCSV(w, board) }); err != nil {
		return err
	}
	if err := write("results.csv", func(w io.Writer) error { return rowsCSV(w, rows) }); err != nil {
		return err
	}
	if err := write("results.json", func(w io.Writer) error { return writeJSON(w, meta, board, pairs, rows) }); err != nil {
		return err
	}
	if err := plotByFamily(filepath.Join(dir, "psnr_by_family.png"), board); err != nil {
		return err
	}
	if err := plotByHole(filepath.Join(dir, "psnr_by_hole.png"), rows); err != nil {
		return err
	}
	grid, err := writeExamples(dir, examples, meta.Methods)
	if err != nil {
		return err
	}
	return write("report.html", func(w io.Writer) error { return htmlReport(w, meta, board, grid) })
}

// Markdown writes the leaderboard as Markdown tables, overall then per family.
// pairs are Paired(board, rows), written after the tables.
func Markdown(w io.Writer, meta Meta, board []Entry, pairs []Pair) error {
	fmt.Fprintf(w, "# %s\n\n", meta.Title)
	if meta.Command != "" {
		fmt.Fprintf(w, "`%s`\n\n", meta.Command)
	}
	fmt.Fprintf(w, "%d cases from %s; PSNR is the mean of per-image whole-image PSNR (dB, the competition's metric); hole PSNR over damaged pixels only.\n", meta.Cases, meta.Source)
	group := ""
	for _, e := range board {
		if e.Group != group {
			group = e.Group
			title := "All cases"
			if group != "all" {
				title = "Mask family: " + group
			}
			fmt.Fprintf(w, "\n## %s\n\n| rank | method | PSNR | PSNR (from mean MSE) | hole PSNR | SSIM | MAE | hole %% | ms/image | n |\n|---|---|---|---|---|---|---|---|---|---|\n", title)
		}
		rank := 1
		for _, o := range board {
			if o.Group == e.Group && o.PSNR > e.PSNR {
				rank++
			}
		}
		fmt.Fprintf(w, "| %d | %s | %.2f | %.2f | %.2f | %.4f | %.2f | %.1f | %.1f | %d |\n", rank, e.Method, e.PSNR, e.PSNRFromMSE,
			e.PSNRHole, e.SSIM, e.MAE, 100*e.HoleFraction, e.Millis, e.N)
	}
	if len(pairs) > 0 {
		fmt.Fprintf(w, "\n## Paired differences\n\nEach method against the next in the overall ranking, then against the first method listed, case by case (whole-image PSNR, dB); |t| above ≈2 is unlikely to be chance.\n\n| method | vs | mean Δ | median Δ | wins | losses | n | paired t |\n|---|---|---|---|---|---|---|---|\n")
		for _, p := range pairs {
			fmt.Fprintf(w, "| %s | %s | %+.3f | %+.3f | %d | %d | %d | %.1f |\n", p.Method, p.Versus, p.Mean, p.Median, p.Wins, p.Losses, p.N, p.T)
		}
	}
	return nil
}

func boardCSV(w io.Writer, board []Entry) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "method", "n", "psnr", "psnr_from_mse", "psnr_hole", "ssim", "mae", "hole_fraction", "ms_mean"})
	for _, e := range board {
		cw.Write([]string{e.Group, e.Method, strconv.Itoa(e.N), num(e.PSNR), num(e.PSNRFromMSE), num(e.PSNRHole), num(e.SSIM), num(e.MAE), num(e.HoleFraction), num(e.Millis)})
	}
	cw.Flush()
	return cw.Error()
}

func rowsCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"case", "image", "family", "method", "psnr", "psnr_hole", "ssim", "mae", "hole_fraction", "ms"})
	for _, r := range rows {
		cw.Write([]string{strconv.Itoa(r.Case), r.Image, r.Family, r.Method, num(r.PSNR), num(r.PSNRHole), num(r.SSIM), num(r.MAE), num(r.HoleFraction), num(r.Millis)})
	}
	cw.Flush()
	return cw.Error()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// jnum is a float for JSON: NaN and ±Inf (identical images, no holes)
// have no JSON form and become null.
func jnum(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func writeJSON(w io.Writer, meta Meta, board []Entry, pairs []Pair, rows []Row) error {
	type jentry struct {
		Group, Method                          string
		N                                      int
		PSNR, PSNRFromMSE, PSNRHole, SSIM, MAE *float64
		HoleFraction, Millis                   *float64
	}
	type jpair struct {
		Method, Versus        string
		N, Wins, Losses       int
		Mean, Median, PairedT *float64
	}
	type jrow struct {
		Case                                    int
		Image, Family, Method                   string
		PSNR, PSNRHole, SSIM, MAE, HoleFraction *float64
		Millis                                  *float64
	}
	out := struct {
		Title, Source string
		Cases         int
		Methods       []string
		Seconds       float64
		Leaderboard   []jentry
		Paired        []jpair
		Results       []jrow
	}{Title: meta.Title, Source: meta.Source, Cases: meta.Cases, Methods: meta.Methods, Seconds: meta.Duration.Seconds()}
	for _, e := range board {
		out.Leaderboard = append(out.Leaderboard, jentry{e.Group, e.Method, e.N, jnum(e.PSNR), jnum(e.PSNRFromMSE), jnum(e.PSNRHole),
			jnum(e.SSIM), jnum(e.MAE), jnum(e.HoleFraction), jnum(e.Millis)})
	}
	for _, p := range pairs {
		out.Paired = append(out.Paired, jpair{p.Method, p.Versus, p.N, p.Wins, p.Losses, jnum(p.Mean), jnum(p.Median), jnum(p.T)})
	}
	for _, r := range rows {
		out.Results = append(out.Results, jrow{r.Case, r.Image, r.Family, r.Method, jnum(r.PSNR), jnum(r.PSNRHole), jnum(r.SSIM), jnum(r.MAE), jnum(r.HoleFraction), jnum(r.Millis)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

// savePlot renders p to a PNG file atomically.
func savePlot(path string, p *plot.Plot, wd, ht vg.Length) error {
	wt, err := p.WriterTo(wd, ht, "png")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, func(w io.Writer) error { _, err := wt.WriteTo(w); return err })
}

// plotByFamily draws grouped bars: mean PSNR per mask family, per method.
func plotByFamily(path string, board []Entry) error {
	var families, methods []string
	seenF, seenM := map[string]bool{}, map[string]bool{}
	for _, e := range board {
		if !seenF[e.Group] {
			seenF[e.Group] = true
			families = append(families, e.Group)
		}
		if !seenM[e.Method] {
			seenM[e.Method] = true
			methods = append(methods, e.Method)
		}
	}
	sort.Strings(methods)
	p := plot.New()
	p.Title.Text = "Mean whole-image PSNR by mask family"
	p.Y.Label.Text = "PSNR (dB)"
	width := vg.Points(float64(min(60, 300/max(1, len(methods)))))
	for i, m := range methods {
		vals := make(plotter.Values, len(families))
		for j, f := range families {
			for _, e := range board {
				if e.Method == m && e.Group == f {
					vals[j] = e.PSNR
				}
			}
		}
		bars, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = vg.Length(float64(i)-float64(len(methods)-1)/2) * width
		p.Add(bars)
		p.Legend.Add(m, bars)
	}
	lo := math.Inf(1)
	for _, e := range board {
		lo = math.Min(lo, e.PSNR)
	}
	if !math.IsInf(lo, 0) {
		p.Y.Min = math.Floor(lo) - 2 // differences of a few dB must be visible
	}
	p.Legend.Top = true
	p.NominalX(families...)
	return savePlot(path, p, vg.Points(float64(140*len(families)+200)), 320)
}

// plotByHole scatters each case's PSNR against its hole fraction.
func plotByHole(path string, rows []Row) error {
	byMethod := map[string]plotter.XYs{}
	var methods []string
	for _, r := range rows {
		if math.IsInf(r.PSNR, 0) || math.IsNaN(r.PSNR) {
			continue
		}
		if _, ok := byMethod[r.Method]; !ok {
			methods = append(methods, r.Method)
		}
		byMethod[r.Method] = append(byMethod[r.Method], plotter.XY{X: 100 * r.HoleFraction, Y: r.PSNR})
	}
	sort.Strings(methods)
	p := plot.New()
	p.Title.Text = "Whole-image PSNR by damaged fraction"
	p.X.Label.Text = "damaged pixels (%)"
	p.Y.Label.Text = "PSNR (dB)"
	for i, m := range methods {
		s, err := plotter.NewScatter(byMethod[m])
		if err != nil {
			return err
		}
		s.GlyphStyle.Color = plotutil.Color(i)
		s.GlyphStyle.Shape = plotutil.Shape(i)
		s.GlyphStyle.Radius = vg.Points(2)
		p.Add(s)
		p.Legend.Add(m, s)
	}
	p.Legend.Top = true
	return savePlot(path, p, 640, 400)
}

// gridRow is one example in the HTML report: file names of its pictures.
type gridRow struct {
	Name, Family, Damaged, Truth string
	Cells                        []gridCell
}

type gridCell struct {
	Method, Restored, Error string
	PSNR                    float64
}

// writeExamples saves each example's damaged, truth, restored and error
// images under dir/examples and returns the grid that shows them.
func writeExamples(dir string, examples []Example, methods []string) ([]gridRow, error) {
	sort.Slice(examples, func(i, j int) bool {
		a, b := examples[i].Case, examples[j].Case
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Family < b.Family
	})
	var grid []gridRow
	for i, ex := range examples {
		base := fmt.Sprintf("examples/%03d_%s_%s", i, ex.Case.Name, ex.Case.Family)
		g := gridRow{Name: ex.Case.Name, Family: ex.Case.Family, Damaged: base + "_damaged.png", Truth: base + "_truth.png"}
		if err := savePNG(filepath.Join(dir, g.Damaged), ex.Damaged); err != nil {
			return nil, err
		}
		if err := savePNG(filepath.Join(dir, g.Truth), ex.Truth); err != nil {
			return nil, err
		}
		for j, m := range methods {
			r, ok := ex.Restored[m]
			if !ok {
				continue
			}
			c := gridCell{Method: m, Restored: fmt.Sprintf("%s_m%d.png", base, j), Error: fmt.Sprintf("%s_m%d_err.png", base, j)}
			if err := savePNG(filepath.Join(dir, c.Restored), r); err != nil {
				return nil, err
			}
			errImg, mse := errorImage(r, ex.Truth)
			c.PSNR = 10 * math.Log10(255*255/mse)
			if err := savePNG(filepath.Join(dir, c.Error), errImg); err != nil {
				return nil, err
			}
			g.Cells = append(g.Cells, c)
		}
		grid = append(grid, g)
	}
	return grid, nil
}

// errorImage shows |restored − truth| (mean over RGB), amplified 4×, and
// returns the MSE.
func errorImage(a, b image.Image) (*image.Gray, float64) {
	r := a.Bounds()
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	bo := b.Bounds().Min
	sum := 0.0
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			ca := color.NRGBAModel.Convert(a.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
			cb := color.NRGBAModel.Convert(b.At(bo.X+x, bo.Y+y)).(color.NRGBA)
			d := 0.0
			for _, p := range [][2]uint8{{ca.R, cb.R}, {ca.G, cb.G}, {ca.B, cb.B}} {
				e := float64(p[0]) - float64(p[1])
				sum += e * e
				d += math.Abs(e)
			}
			out.Pix[y*out.Stride+x] = uint8(min(255, 4*d/3))
		}
	}
	return out, math.Max(sum/float64(3*r.Dx()*r.Dy()), 1e-10)
}

func savePNG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error { return png.Encode(w, img) })
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"f2":  func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
	"f4":  func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) },
	"pct": func(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) },
	"inc": func(i int) int { return i + 1 },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Meta.Title}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2329;padding:0 1rem}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}
tr.best td{font-weight:600;background:#eef7ee}
.grid td{text-align:center;vertical-align:top;font-size:12px}.grid img{width:192px;image-rendering:pixelated;display:block}
.plots img{max-width:100%;margin-right:1rem}.muted{color:#667}
</style></head><body>
<h1>{{.Meta.Title}}</h1>
<p class="muted">{{.Meta.Cases}} cases from {{.Meta.Source}}, {{len .Meta.Methods}} methods, {{.Meta.Duration}}.{{if .Meta.Command}} <code>{{.Meta.Command}}</code>{{end}}<br>
PSNR: mean of per-image whole-image PSNR, 10·log10(255²/MSE) (the competition's metric). Hole PSNR: over damaged pixels only. SSIM: Gaussian σ 1.5, as scikit-image.</p>
{{range .Groups}}<h2>{{if eq .Name "all"}}Leaderboard: all cases{{else}}Mask family: {{.Name}}{{end}}</h2>
<table><tr><th>rank</th><th>method</th><th>PSNR</th><th>hole PSNR</th><th>SSIM</th><th>MAE</th><th>hole %</th><th>ms/image</th><th>n</th></tr>
{{range $i, $e := .Entries}}<tr{{if eq $i 0}} class="best"{{end}}><td>{{inc $i}}</td><td>{{$e.Method}}</td><td>{{f2 $e.PSNR}}</td><td>{{f2 $e.PSNRHole}}</td><td>{{f4 $e.SSIM}}</td><td>{{f2 $e.MAE}}</td><td>{{pct $e.HoleFraction}}</td><td>{{f2 $e.Millis}}</td><td>{{$e.N}}</td></tr>
{{end}}</table>{{end}}
<h2>Plots</h2><div class="plots"><img src="psnr_by_family.png" alt="PSNR by mask family"><img src="psnr_by_hole.png" alt="PSNR by damaged fraction"></div>
<h2>Examples</h2><p class="muted">Error images show |restored − truth| × 4.</p>
<table class="grid">{{range .Grid}}<tr><td>damaged<br><img src="{{.Damaged}}" alt="damaged"><b>{{.Name}}</b> ({{.Family}})</td><td>truth<br><img src="{{.Truth}}" alt="truth"></td>
{{range .Cells}}<td>{{.Method}} — {{f2 .PSNR}} dB<br><img src="{{.Restored}}" alt="restored by {{.Method}}"><img src="{{.Error}}" alt="error of {{.Method}}"></td>{{end}}</tr>
{{end}}</table>
</body></html>
`))

func htmlReport(w io.Writer, meta Meta, board []Entry, grid []gridRow) error {
	type group struct {
		Name    string
		Entries []Entry
	}
	var groups []group
	for _, e := range board {
		if len(groups) == 0 || groups[len(groups)-1].Name != e.Group {
			groups = append(groups, group{Name: e.Group})
		}
		groups[len(groups)-1].Entries = append(groups[len(groups)-1].Entries, e)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, struct {
		Meta   Meta
		Groups []group
		Grid   []gridRow
	}{meta, groups, grid}); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}
