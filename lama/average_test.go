package lama

import (
	"strings"
	"testing"
)

func TestAverage(t *testing.T) {
	cfg := Config{InChannels: 4, OutChannels: 3, NGF: 8, Downsamplings: 2, Blocks: 1, Ratio: 0.75, Residual: true}
	a, err := RandomWeights(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RandomWeights(cfg, 2)
	c, _ := RandomWeights(cfg, 3)
	for _, w := range []*Weights{a, b, c} {
		w.Meta = map[string]string{MetaPrefill: "idw"}
	}
	avg, err := Average(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if avg.Config != cfg || avg.Prefill() != "idw" || len(avg.Params) != len(a.Params) {
		t.Fatalf("average: config %v prefill %q, %d tensors", avg.Config, avg.Prefill(), len(avg.Params))
	}
	for name, p := range avg.Params {
		for i, v := range p.Data {
			want := (float64(a.Params[name].Data[i]) + float64(b.Params[name].Data[i]) + float64(c.Params[name].Data[i])) / 3
			if d := float64(v) - want; d > 1e-6 || d < -1e-6 {
				t.Fatalf("%s[%d] = %v, want %v", name, i, v, want)
			}
		}
	}
	one, err := Average(a)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range one.Params {
		for i, v := range p.Data {
			if v != a.Params[name].Data[i] {
				t.Fatalf("average of one model changed %s[%d]: %v → %v", name, i, a.Params[name].Data[i], v)
			}
		}
	}
	// The result owns its data.
	one.Params["model.1.ffc.convl2l.weight"].Data[0] += 1
	if one.Params["model.1.ffc.convl2l.weight"].Data[0] == a.Params["model.1.ffc.convl2l.weight"].Data[0] {
		t.Fatal("average shares memory with its input")
	}

	other := cfg
	other.NGF = 16
	d, _ := RandomWeights(other, 4)
	d.Meta = a.Meta
	e, _ := RandomWeights(cfg, 5) // no pre-fill
	for _, tc := range []struct {
		in   []*Weights
		want string
	}{
		{nil, "no models"},
		{[]*Weights{a, d}, "model 2 is"},
		{[]*Weights{a, e}, "pre-fills"},
	} {
		if _, err := Average(tc.in...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Average(%d models): error %v, want one containing %q", len(tc.in), err, tc.want)
		}
	}
}
