package eval

import (
	"math"
	"testing"

	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/metrics"
)

func TestPaired(t *testing.T) {
	// Three methods on five cases: b leads c by exactly 0.5 everywhere; a
	// leads b by 1, 2, −1, 3, 0.
	lead := []float64{1, 2, -1, 3, 0}
	var rows []Row
	for c := range lead {
		base := 20 + float64(c)
		for _, m := range []struct {
			name string
			psnr float64
		}{{"c", base}, {"b", base + 0.5}, {"a", base + 0.5 + lead[c]}} {
			rows = append(rows, Row{Case: c, Image: "img", Family: "lines", Method: m.name, Result: metrics.Result{PSNR: m.psnr}})
		}
	}
	// A case only one method scored, and an infinite PSNR, are left out.
	rows = append(rows, Row{Case: 9, Method: "a", Result: metrics.Result{PSNR: 50}})
	rows = append(rows, Row{Case: 10, Method: "a", Result: metrics.Result{PSNR: math.Inf(1)}}, Row{Case: 10, Method: "b", Result: metrics.Result{PSNR: 30}})
	ps := Paired(Leaderboard(rows), rows)
	// c ran first: a, two places above it, is also paired with it.
	if len(ps) != 3 || ps[2].Method != "a" || ps[2].Versus != "c" || math.Abs(ps[2].Mean-1.5) > 1e-12 || ps[2].Wins != 4 {
		t.Fatalf("pairs %+v, want a vs b, b vs c, a vs c (mean 1.5, 4 wins)", ps)
	}
	if ps[0].Method != "a" || ps[0].Versus != "b" || ps[1].Method != "b" || ps[1].Versus != "c" {
		t.Fatalf("pairs %+v, want a vs b, b vs c", ps)
	}
	ab := ps[0]
	// mean 1, sample sd √2.5, t = 1/(√2.5/√5) = √2.
	if ab.N != 5 || ab.Wins != 3 || ab.Losses != 1 || math.Abs(ab.Mean-1) > 1e-12 || ab.Median != 1 || math.Abs(ab.T-math.Sqrt2) > 1e-9 {
		t.Errorf("a vs b: %+v, want n 5, 3 wins, 1 loss, mean 1, median 1, t √2", ab)
	}
	bc := ps[1]
	if bc.N != 5 || bc.Wins != 5 || math.Abs(bc.Mean-0.5) > 1e-12 || !math.IsInf(bc.T, 1) {
		t.Errorf("b vs c: %+v, want 5 wins, mean 0.5, t +Inf", bc)
	}
}

func TestCleanCasesPerImage(t *testing.T) {
	files := []string{"x/a.png", "x/b.png"}
	fams := []mask.Family{mask.Lines, mask.Strokes}
	one := CleanCases(files, fams, 3, 1)
	three := CleanCases(files, fams, 3, 3)
	if len(one) != 4 || len(three) != 12 {
		t.Fatalf("%d and %d cases, want 4 and 12", len(one), len(three))
	}
	seen := map[uint64]bool{}
	for i, c := range three {
		if seen[c.Seed] {
			t.Errorf("case %d (%s %s) repeats a mask seed", i, c.Name, c.Family)
		}
		seen[c.Seed] = true
		if i%3 == 0 && c != one[i/3] {
			t.Errorf("first draw %+v differs from the single draw %+v", c, one[i/3])
		}
	}
}
