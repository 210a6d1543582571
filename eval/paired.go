package eval

import (
	"math"
	"slices"
)

// Pair compares two methods case by case: the differences of their
// whole-image PSNR on the same damaged images. A mean lead of a few
// hundredths of a dB is real when most cases agree on its sign.
type Pair struct {
	Method, Versus string
	N              int     // cases both methods scored with a finite PSNR
	Mean, Median   float64 // of PSNR(Method) − PSNR(Versus), dB
	Wins, Losses   int     // cases where Method is higher, lower
	T              float64 // paired t statistic: Mean / (sd / √N); ±Inf when every difference is equal
}

// Paired compares each method of the overall ranking (board's "all"
// group, board being Leaderboard(rows)) with the one ranked just below it,
// then every other method with the first one run (the first row's: the
// baseline a user lists first), where that pair is not among the first.
func Paired(board []Entry, rows []Row) []Pair {
	var order []string
	for _, e := range board {
		if e.Group == "all" {
			order = append(order, e.Method)
		}
	}
	byCase := map[string]map[int]float64{} // method → case → PSNR
	for _, r := range rows {
		if byCase[r.Method] == nil {
			byCase[r.Method] = map[int]float64{}
		}
		byCase[r.Method][r.Case] = r.PSNR
	}
	var ps []Pair
	for i := 0; i+1 < len(order); i++ {
		ps = append(ps, pair(order[i], order[i+1], byCase[order[i]], byCase[order[i+1]]))
	}
	if len(rows) == 0 {
		return ps
	}
	base := rows[0].Method
	for i, m := range order {
		if m == base || (i > 0 && order[i-1] == base) || (i+1 < len(order) && order[i+1] == base) {
			continue
		}
		ps = append(ps, pair(m, base, byCase[m], byCase[base]))
	}
	return ps
}

func pair(a, b string, pa, pb map[int]float64) Pair {
	p := Pair{Method: a, Versus: b}
	var d []float64
	for c, va := range pa {
		vb, ok := pb[c]
		if !ok || math.IsInf(va, 0) || math.IsInf(vb, 0) || math.IsNaN(va) || math.IsNaN(vb) {
			continue
		}
		d = append(d, va-vb)
		switch {
		case va > vb:
			p.Wins++
		case va < vb:
			p.Losses++
		}
	}
	p.N = len(d)
	if p.N == 0 {
		p.Mean, p.Median, p.T = math.NaN(), math.NaN(), math.NaN()
		return p
	}
	slices.Sort(d)
	sum := 0.0
	for _, v := range d {
		sum += v
	}
	p.Mean = sum / float64(p.N)
	p.Median = (d[(p.N-1)/2] + d[p.N/2]) / 2
	ss := 0.0
	for _, v := range d {
		ss += (v - p.Mean) * (v - p.Mean)
	}
	p.T = math.NaN()
	if p.N > 1 {
		se := math.Sqrt(ss/float64(p.N-1)) / math.Sqrt(float64(p.N))
		switch {
		case se > 0:
			p.T = p.Mean / se
		case p.Mean != 0:
			p.T = math.Copysign(math.Inf(1), p.Mean)
		}
	}
	return p
}
