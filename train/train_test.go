package train

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/lama"
	"github.com/aerofill/aerofill/mask"
	"github.com/aerofill/aerofill/modelio"
	"github.com/aerofill/aerofill/tensor"
)

var tinyConfig = lama.Config{InChannels: 4, OutChannels: 3, NGF: 8, Downsamplings: 2, Blocks: 1, Ratio: 0.75}

// writeImages writes n smooth random RGB PNGs of size w×h named
// <source>_<i>.png into dir.
func writeImages(t *testing.T, dir, source string, n, w, h int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), uint64(w)))
	for i := 1; i <= n; i++ {
		img := image.NewNRGBA(image.Rect(0, 0, w, h))
		fx, fy, ph := rng.Float64()*0.3, rng.Float64()*0.3, rng.Float64()*6
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := 0.5 + 0.4*math.Sin(fx*float64(x)+ph)*math.Cos(fy*float64(y))
				img.Set(x, y, color.NRGBA{uint8(255 * v), uint8(200 * v), uint8(255 * (1 - v)), 255})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, source+"_"+itoa4(i)+".png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa4(i int) string {
	b := []byte("0000")
	for k := 3; k >= 0 && i > 0; k-- {
		b[k] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

func TestSplit(t *testing.T) {
	files := []string{"d/a_0001.png", "d/a_0002.png", "d/a_0003.png", "d/a_0004.png", "d/a_0005.png",
		"d/b_0001.png", "d/b_0002.png", "d/c.png", "e/b_0003.png"}
	train, val := Split(files, 2)
	wantVal := []string{"d/a_0002.png", "d/a_0004.png", "d/b_0002.png"}
	if !reflect.DeepEqual(val, wantVal) {
		t.Errorf("validation %v, want %v", val, wantVal)
	}
	if len(train)+len(val) != len(files) {
		t.Errorf("%d + %d files for %d", len(train), len(val), len(files))
	}
	// The split does not depend on the order files are given in.
	rev := append([]string(nil), files...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	if _, v2 := Split(rev, 2); !reflect.DeepEqual(v2, wantVal) {
		t.Errorf("reversed input: validation %v", v2)
	}
	if _, v := Split(files, 0); len(v) != 0 {
		t.Errorf("k = 0 gave validation %v", v)
	}
	for _, tc := range []struct{ path, source string }{
		{"x/neon_0012.png", "neon"}, {"landsat7_1.png", "landsat7"}, {"a_b_3.jpg", "a_b"}, {"plain.png", "plain"}, {"x_y.png", "x_y"},
	} {
		if got := SourceOf(tc.path); got != tc.source {
			t.Errorf("SourceOf(%q) = %q, want %q", tc.path, got, tc.source)
		}
	}
}

func TestMaskedMSE(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	out, truth := tensor.New(2, 3, 5, 4), tensor.New(2, 3, 5, 4)
	m := tensor.New(2, 1, 5, 4)
	for i := range out.Data {
		out.Data[i], truth.Data[i] = rng.Float32(), rng.Float32()
	}
	for i := range m.Data {
		if rng.IntN(3) == 0 {
			m.Data[i] = 1
		}
	}
	grad := tensor.New(2, 3, 5, 4)
	loss, err := MaskedMSE(grad, out, truth, m)
	if err != nil {
		t.Fatal(err)
	}
	// Reference: the formula in float64, and its gradient by differences.
	ref := func(o []float64) float64 {
		var s, ms float64
		for n := 0; n < 2; n++ {
			for i := 0; i < 20; i++ {
				mv := float64(m.Data[n*20+i])
				ms += mv
				for c := 0; c < 3; c++ {
					d := o[(n*3+c)*20+i] - float64(truth.Data[(n*3+c)*20+i])
					s += mv * d * d
				}
			}
		}
		return s / (3 * ms)
	}
	o := make([]float64, len(out.Data))
	for i, v := range out.Data {
		o[i] = float64(v)
	}
	if want := ref(o); math.Abs(loss-want) > 1e-12 {
		t.Errorf("loss %v, want %v", loss, want)
	}
	for i := range o {
		v := o[i]
		o[i] = v + 1e-6
		lp := ref(o)
		o[i] = v - 1e-6
		lm := ref(o)
		o[i] = v
		if want := (lp - lm) / 2e-6; math.Abs(float64(grad.Data[i])-want) > 1e-6 {
			t.Fatalf("gradient %d: %v, want %v", i, grad.Data[i], want)
		}
	}
	clear(m.Data)
	if loss, err := MaskedMSE(grad, out, truth, m); err != nil || loss != 0 {
		t.Errorf("empty mask: loss %v, %v", loss, err)
	}
	if _, err := MaskedMSE(nil, out, truth, tensor.New(2, 1, 5, 5)); err == nil {
		t.Error("mismatched mask accepted")
	}
}

// TestAdamMatchesFormula runs three steps on one parameter and compares
// with PyTorch's update written out in float64.
func TestAdamMatchesFormula(t *testing.T) {
	p := &Param{Name: "w", Data: []float32{0.5, -0.25, 0}, Grad: make([]float32, 3)}
	a := NewAdam(1e-2)
	grads := [][]float32{{0.1, -0.2, 1e-9}, {0.3, 0.1, -1e-9}, {-0.2, 0.05, 0}}
	w := []float64{0.5, -0.25, 0}
	m, v := make([]float64, 3), make([]float64, 3)
	for step, g := range grads {
		copy(p.Grad, g)
		if err := a.Update([]*Param{p}); err != nil {
			t.Fatal(err)
		}
		tt := float64(step + 1)
		for i := range w {
			gi := float64(g[i])
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			w[i] -= 1e-2 / (1 - math.Pow(0.9, tt)) * m[i] / (math.Sqrt(v[i])/math.Sqrt(1-math.Pow(0.999, tt)) + 1e-8)
			if math.Abs(float64(p.Data[i])-w[i]) > 1e-7 {
				t.Errorf("step %d, element %d: %v, want %v", step+1, i, p.Data[i], w[i])
			}
		}
	}
	if a.Step != 3 {
		t.Errorf("Step = %d", a.Step)
	}
}

func TestInitWeights(t *testing.T) {
	w, err := InitWeights(tinyConfig, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lama.New(w); err != nil {
		t.Fatalf("initial weights do not build a generator: %v", err)
	}
	for name, p := range w.Params {
		switch {
		case len(p.Shape) == 4:
			fan := p.Shape[1] * p.Shape[2] * p.Shape[3]
			bound, maxAbs := 1/math.Sqrt(float64(fan)), 0.0
			for _, v := range p.Data {
				maxAbs = math.Max(maxAbs, math.Abs(float64(v)))
			}
			if maxAbs > bound || maxAbs < bound/2 {
				t.Errorf("%s: max |w| %v for bound %v", name, maxAbs, bound)
			}
		case filepath.Ext(name) == ".running_var" || (filepath.Ext(name) == ".weight" && len(p.Shape) == 1):
			for _, v := range p.Data {
				if v != 1 {
					t.Fatalf("%s: %v, want 1", name, v)
				}
			}
		}
	}
	w2, _ := InitWeights(tinyConfig, 7)
	if !reflect.DeepEqual(w.Params, w2.Params) {
		t.Error("InitWeights is not deterministic")
	}
}

// TestModelMatchesInference checks that the training model and the
// inference generator agree once BatchNorm uses the statistics of the
// batch both ways: after one training forward pass with momentum 1, the
// running statistics are the batch's, so eval mode reproduces training mode.
func TestModelMatchesInference(t *testing.T) {
	for _, residual := range []bool{false, true} {
		modelMatchesInference(t, residual)
	}
}

func modelMatchesInference(t *testing.T, residual bool) {
	w, err := lama.RandomWeights(lama.Config{InChannels: 4, OutChannels: 3, NGF: 8, Downsamplings: 2, Blocks: 2, Ratio: 0.75, LFU: true, Residual: residual}, 3)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range m.norms {
		n.Momentum = 1
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(1, 4, 32, 32)
	for i := range x.Data {
		x.Data[i] = rng.Float32()
	}
	out, err := m.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	// Running variance was stored unbiased: undo that for eval mode.
	ev := m.Weights()
	for _, n := range m.norms {
		v := ev.Params[n.name+".running_var"].Data
		for c := range v {
			v[c] = float32(1/(n.st.InvStd[c]*n.st.InvStd[c]) - lama.BatchNormEps)
		}
	}
	g, err := lama.New(ev)
	if err != nil {
		t.Fatal(err)
	}
	want, err := g.Forward(x)
	if err != nil {
		t.Fatal(err)
	}
	var diff float64
	for i, v := range want.Data {
		diff = math.Max(diff, math.Abs(float64(v-out.Data[i])))
	}
	if diff > 1e-4 {
		t.Errorf("residual %v: training and inference outputs differ by %.3g", residual, diff)
	}
}

func TestSamplerDeterministic(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, dir, "src", 5, 48, 40)
	data, err := LoadDataset(context.Background(), []string{dir}, 0, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	s := &sampler{images: data.Train, batch: 3, aug: Augment{Crop: 32, ScaleMin: 0.7, ScaleMax: 1.5, FlipH: true, FlipV: true, Rotate: true},
		masks: mask.Mix{mask.Lines: 1, mask.Boxes: 1}, prefill: fill.IDW{}, seed: 9}
	a, err := s.batchAt(7)
	if err != nil {
		t.Fatal(err)
	}
	s2 := &sampler{images: data.Train, batch: 3, aug: s.aug, masks: s.masks, prefill: s.prefill, seed: 9}
	b, err := s2.batchAt(7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Input.Data, b.Input.Data) || !reflect.DeepEqual(a.Truth.Data, b.Truth.Data) {
		t.Error("the same step gave different batches")
	}
	c, _ := s.batchAt(8)
	if reflect.DeepEqual(a.Truth.Data, c.Truth.Data) {
		t.Error("consecutive steps gave the same batch")
	}
	// Known pixels are the truth (up to the rounding of restore's 0–255
	// round trip, as at inference); holes hold the IDW fill, not zeros.
	holes, zeros := 0, 0
	for n := 0; n < 3; n++ {
		mp := a.Mask.Plane(n, 0)
		for c := 0; c < 3; c++ {
			in, tr := a.Input.Plane(n, c), a.Truth.Plane(n, c)
			for i, mv := range mp {
				if mv == 0 && math.Abs(float64(in[i]-tr[i])) > 1e-6 {
					t.Fatalf("known pixel %d of image %d changed", i, n)
				}
				if mv != 0 {
					holes++
					if in[i] == 0 {
						zeros++
					}
				}
			}
		}
		if !reflect.DeepEqual(a.Input.Plane(n, 3), mp) {
			t.Errorf("image %d: channel 3 is not the mask", n)
		}
	}
	if holes == 0 || zeros > holes/10 {
		t.Errorf("%d hole values, %d of them zero", holes, zeros)
	}
}

func TestOrientAndResample(t *testing.T) {
	const s = 5
	src := make([]float32, s*s)
	for i := range src {
		src[i] = float32(i)
	}
	dst := make([]float32, s*s)
	// One quarter turn counter-clockwise: the top row becomes the left column.
	orient(dst, src, s, false, false, 1)
	for x := 0; x < s; x++ {
		if got, want := dst[(s-1-x)*s], src[x]; got != want {
			t.Fatalf("rot90: %v, want %v", got, want)
		}
	}
	orient(dst, src, s, true, false, 0)
	if dst[0] != src[s-1] {
		t.Error("horizontal flip")
	}
	orient(dst, src, s, false, true, 0)
	if dst[0] != src[(s-1)*s] {
		t.Error("vertical flip")
	}
	// Resampling the whole plane to its own size is the identity, and a
	// constant plane stays constant at any scale.
	resample(dst, s, s, src, s, s, 0, 0, s, s)
	for i := range src {
		if math.Abs(float64(dst[i]-src[i])) > 1e-5 {
			t.Fatalf("identity resample: %v, want %v", dst[i], src[i])
		}
	}
	flat := make([]float32, 33*7)
	for i := range flat {
		flat[i] = 0.25
	}
	for _, size := range [][2]int{{1, 1}, {7, 3}, {66, 14}, {257, 5}} {
		out := make([]float32, size[0]*size[1])
		resample(out, size[0], size[1], flat, 33, 7, 0.5, 0.25, 31.5, 6)
		for _, v := range out {
			if math.Abs(float64(v)-0.25) > 1e-6 {
				t.Fatalf("resampling a constant to %v gave %v", size, v)
			}
		}
	}
}

func TestModelCheckpointRoundTrip(t *testing.T) {
	w, _ := InitWeights(tinyConfig, 1)
	m, err := NewModel(w)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(2, 4, 16, 16)
	for i := range x.Data {
		x.Data[i] = float32(i%7) / 7
	}
	if _, err := m.Forward(x); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.SaveModel(path, map[string]string{MetaPrefill: "idw"}); err != nil {
		t.Fatal(err)
	}
	lw, err := lama.LoadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if lw.Prefill() != "idw" {
		t.Errorf("prefill %q", lw.Prefill())
	}
	if !reflect.DeepEqual(lw.Params, m.Weights().Params) {
		t.Error("lama.LoadWeights does not read back the saved weights")
	}
	m2, meta, err := LoadModel(path)
	if err != nil {
		t.Fatal(err)
	}
	if meta[MetaPrefill] != "idw" || !reflect.DeepEqual(m2.Counters(), m.Counters()) {
		t.Errorf("counters %v, want %v", m2.Counters(), m.Counters())
	}
	for _, c := range m.Counters() {
		if c != 1 {
			t.Fatalf("counter %d after one step", c)
		}
	}

	a := NewAdam(3e-4)
	for _, p := range m.Params() {
		for i := range p.Grad {
			p.Grad[i] = float32(i%5) - 2
		}
	}
	if err := a.Update(m.Params()); err != nil {
		t.Fatal(err)
	}
	opath := filepath.Join(t.TempDir(), "o.safetensors")
	if err := a.Save(opath, nil); err != nil {
		t.Fatal(err)
	}
	b, _, err := LoadAdam(opath)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("Adam state does not round-trip")
	}
	if _, _, err := LoadAdam(path); err == nil {
		t.Error("a model file loaded as optimizer state")
	}
}

// runOptions are the options of a tiny, fast run on dir.
func runOptions(data, out string) Options {
	o := DefaultOptions()
	o.Data, o.Out = []string{data}, out
	o.Config = tinyConfig
	o.Augment.Crop, o.Batch, o.ValSize = 32, 2, 32
	o.Augment.ScaleMin, o.Augment.ScaleMax, o.Augment.Rotate = 0.8, 1.25, true
	o.ValEvery, o.Steps, o.LRDropStep = 3, 4, 2
	o.CheckpointEvery, o.ValidateEvery, o.LogEvery = 2, 2, 1
	return o
}

// TestRunResumesExactly trains four steps at once and in two runs of two
// steps, and requires the same weights and optimizer state, bit for bit.
func TestRunResumesExactly(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "a", 5, 40, 40)
	writeImages(t, data, "b", 4, 48, 36)
	ctx := context.Background()
	one := filepath.Join(t.TempDir(), "one")
	res, err := Run(ctx, runOptions(data, one))
	if err != nil {
		t.Fatal(err)
	}
	if res.Step != 4 || res.Best == nil || res.ValImages != 2 || res.TrainImages != 7 {
		t.Fatalf("result %+v", res)
	}
	two := filepath.Join(t.TempDir(), "two")
	o := runOptions(data, two)
	o.Steps = 2
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	o, err = Resume(two)
	if err != nil {
		t.Fatal(err)
	}
	o.Steps = 4
	if res, err = Run(ctx, o); err != nil || res.Step != 4 {
		t.Fatalf("resumed run: %+v, %v", res, err)
	}
	for _, name := range []string{"checkpoints/" + checkpointName(4), "checkpoints/" + optimizerName(4)} {
		a, err := modelio.Load(filepath.Join(one, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := modelio.Load(filepath.Join(two, name))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Tensors, b.Tensors) {
			t.Errorf("%s differs between the straight and the resumed run", name)
		}
	}
	// Older checkpoints were pruned to Keep.
	entries, _ := os.ReadDir(filepath.Join(one, checkpointsDir))
	if len(entries) != 2*2 {
		t.Errorf("%d files in checkpoints/, want %d", len(entries), 4)
	}
	log, _ := os.ReadFile(filepath.Join(one, logFile))
	if n := bytes.Count(log, []byte("\n")); n != 1+4+2 {
		t.Errorf("log has %d lines, want 7 (start, 4 steps, 2 validations)", n)
	}
}

func TestRunInterrupted(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "a", 4, 32, 32)
	out := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithCancel(context.Background())
	o := runOptions(data, out)
	o.CheckpointEvery, o.ValEvery = 100, 0
	o.Progress = func(s Status) {
		if s.Step == 1 {
			cancel()
		}
	}
	res, err := Run(ctx, o)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("error %v, want ErrInterrupted", err)
	}
	if res.Step != 1 || res.Checkpoint == "" {
		t.Fatalf("result %+v", res)
	}
	if _, err := os.Stat(res.Checkpoint); err != nil {
		t.Fatal(err)
	}
	o2, err := Resume(out)
	if err != nil {
		t.Fatal(err)
	}
	if res, err = Run(context.Background(), o2); err != nil || res.Step != 4 {
		t.Fatalf("resumed: %+v, %v", res, err)
	}
}

func TestRunRejects(t *testing.T) {
	data := t.TempDir()
	writeImages(t, data, "a", 2, 32, 32)
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"crop not a multiple", func(o *Options) { o.Augment.Crop = 34 }},
		{"no data", func(o *Options) { o.Data = nil }},
		{"bad prefill", func(o *Options) { o.Prefill = "magic" }},
		{"bad lr", func(o *Options) { o.LR = 0 }},
		{"bad mix", func(o *Options) { o.Masks = mask.Mix{"blobs": 1} }},
		{"missing folder", func(o *Options) { o.Data = []string{filepath.Join(data, "nope")} }},
	} {
		o := runOptions(data, filepath.Join(t.TempDir(), "run"))
		tc.edit(&o)
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%s: accepted", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
}
