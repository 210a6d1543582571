package lama

import (
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aerofill/aerofill/internal/shared"
	"github.com/aerofill/aerofill/modelio"
	"github.com/aerofill/aerofill/tensor"
)

var oracleCases = []string{"fourier-small", "odd-fft", "lfu", "two-down"}

type oracleCase struct {
	NGF      int     `json:"ngf"`
	Down     int     `json:"n_downsampling"`
	Blocks   int     `json:"n_blocks"`
	LFU      bool    `json:"enable_lfu"`
	Params   int     `json:"params"`
	F32Error float64 `json:"f32_vs_f64_max_abs"`
}

func readCase(t *testing.T, dir string) oracleCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "case.json"))
	if err != nil {
		t.Fatal(err)
	}
	var c oracleCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func readNPY(t *testing.T, path string) *tensor.Tensor {
	t.Helper()
	a, err := modelio.ReadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 4 {
		t.Fatalf("%s: shape %v, want 4-D", path, a.Shape)
	}
	d, err := a.Float32()
	if err != nil {
		t.Fatal(err)
	}
	return tensor.FromData(a.Shape[0], a.Shape[1], a.Shape[2], a.Shape[3], d)
}

// TestOracleRaw checks the raw generator against LaMa's float64 output,
// loading each case from every checkpoint format.
func TestOracleRaw(t *testing.T) {
	for _, name := range oracleCases {
		dir := shared.Path(t, "oracle", name)
		oc := readCase(t, dir)
		x := readNPY(t, filepath.Join(dir, "input_raw.npy"))
		want := readNPY(t, filepath.Join(dir, "output_raw_f64.npy"))
		for _, file := range []string{"model.ckpt", "model_pl.ckpt", "model.safetensors", "model.pt"} {
			t.Run(name+"/"+file, func(t *testing.T) {
				w, err := LoadWeights(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				c := w.Config
				if c.NGF != oc.NGF || c.Downsamplings != oc.Down || c.Blocks != oc.Blocks || c.LFU != oc.LFU || c.Ratio != 0.75 {
					t.Fatalf("inferred %v, case.json says ngf %d, %d down, %d blocks, LFU %v", c, oc.NGF, oc.Down, oc.Blocks, oc.LFU)
				}
				if got := w.NumParams(); got != oc.Params {
					t.Errorf("NumParams = %d, want %d", got, oc.Params)
				}
				g, err := New(w)
				if err != nil {
					t.Fatal(err)
				}
				y, err := g.Forward(x)
				if err != nil {
					t.Fatal(err)
				}
				if !y.SameShape(want) {
					t.Fatalf("output %v, want %v", y, want)
				}
				maxAbs := 0.0
				for i, v := range y.Data {
					maxAbs = math.Max(maxAbs, math.Abs(float64(v)-float64(want.Data[i])))
				}
				t.Logf("max |aerofill − float64 oracle| = %.3g (PyTorch float32: %.3g)", maxAbs, oc.F32Error)
				if maxAbs > 1e-5 {
					t.Errorf("max abs error %.3g > 1e-5", maxAbs)
				}
			})
		}
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOracleInpaint runs LaMa's predict pipeline (pad, composite, crop,
// truncate) and compares with the official inpainted.png.
func TestOracleInpaint(t *testing.T) {
	for _, name := range oracleCases {
		t.Run(name, func(t *testing.T) {
			dir := shared.Path(t, "oracle", name)
			w, err := LoadWeights(filepath.Join(dir, "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			g, err := New(w)
			if err != nil {
				t.Fatal(err)
			}
			img := readPNG(t, filepath.Join(dir, "image.png"))
			msk := readPNG(t, filepath.Join(dir, "mask.png"))
			want := readPNG(t, filepath.Join(dir, "inpainted.png"))
			b := img.Bounds()
			x := tensor.New(1, 3, b.Dy(), b.Dx())
			m := tensor.New(1, 1, b.Dy(), b.Dx())
			for y := 0; y < b.Dy(); y++ {
				for xx := 0; xx < b.Dx(); xx++ {
					r, gg, bb, _ := img.At(b.Min.X+xx, b.Min.Y+y).RGBA()
					x.Set(0, 0, y, xx, float32(r>>8)/255)
					x.Set(0, 1, y, xx, float32(gg>>8)/255)
					x.Set(0, 2, y, xx, float32(bb>>8)/255)
					mr, _, _, _ := msk.At(b.Min.X+xx, b.Min.Y+y).RGBA()
					if mr > 0 {
						m.Set(0, 0, y, xx, 1)
					}
				}
			}
			out, err := g.Inpaint(x, m)
			if err != nil {
				t.Fatal(err)
			}
			worst, differing := 0, 0
			for y := 0; y < b.Dy(); y++ {
				for xx := 0; xx < b.Dx(); xx++ {
					r, gg, bb, _ := want.At(b.Min.X+xx, b.Min.Y+y).RGBA()
					for c, wv := range []uint32{r >> 8, gg >> 8, bb >> 8} {
						got := int(min(max(out.At(0, c, y, xx)*255, 0), 255))
						d := got - int(wv)
						if d < 0 {
							d = -d
						}
						if d > 0 {
							differing++
						}
						worst = max(worst, d)
					}
				}
			}
			t.Logf("max grey-level difference %d, %d channel values differ", worst, differing)
			if worst > 1 {
				t.Errorf("inpainted differs from LaMa's by up to %d grey levels (> 1)", worst)
			}
		})
	}
}

// TestRejectsNonLama checks that a checkpoint missing a tensor is refused
// with the tensor named.
func TestRejectsNonLama(t *testing.T) {
	dir := shared.Path(t, "oracle", "fourier-small")
	f, err := modelio.Load(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	delete(f.Tensors, "model.5.conv1.ffc.convg2l.weight")
	_, err = WeightsFromTensors(f.Tensors)
	if err == nil {
		t.Fatal("missing tensor accepted")
	}
	t.Log(err)
	if want := "model.5.conv1.ffc.convg2l.weight"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
	if _, err := WeightsFromTensors(map[string]*modelio.Tensor{}); err == nil {
		t.Error("empty state dict accepted")
	}
}

func TestSpecsMatchLamaFourier(t *testing.T) {
	n := 0
	for _, s := range LamaFourier.Specs() {
		if !strings.Contains(s.Name, "running_") {
			n += product(s.Shape)
		}
	}
	// docs/lama-architecture.md: lama-fourier has 27.0 M parameters.
	if n < 26_950_000 || n > 27_050_000 {
		t.Errorf("lama-fourier has %d parameters, want ≈27.0 M", n)
	}
}
