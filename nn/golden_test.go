package nn

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/aerofill/aerofill/tensor"
)

// The golden cases in testdata/torch_conv.{json,bin} were computed by
// PyTorch (torch.nn.Conv2d and ConvTranspose2d, float32) with
// testdata/gen.py; see that script for how to regenerate them.

type goldenConv struct {
	Name          string `json:"name"`
	N             int    `json:"n"`
	InC           int    `json:"in_c"`
	OutC          int    `json:"out_c"`
	H             int    `json:"h"`
	W             int    `json:"w"`
	KH            int    `json:"kh"`
	KW            int    `json:"kw"`
	K             int    `json:"k"`
	Stride        int    `json:"stride"`
	Pad           int    `json:"pad"`
	Dilation      int    `json:"dilation"`
	OutputPadding int    `json:"output_padding"`
	Padding       string `json:"padding"` // "zeros" or "reflect"
	Input         []int  `json:"input"`   // [offset, length] in floats
	Weight        []int  `json:"weight"`
	Bias          []int  `json:"bias"`
	Output        []int  `json:"output"`
	OutH          int    `json:"out_h"`
	OutW          int    `json:"out_w"`
}

type goldenIndex struct {
	Conv2D          []goldenConv `json:"conv2d"`
	ConvTranspose2D []goldenConv `json:"conv_transpose2d"`
}

func loadGolden(t *testing.T) (*goldenIndex, []float32) {
	t.Helper()
	js, err := os.ReadFile("testdata/torch_conv.json")
	if err != nil {
		t.Fatal(err)
	}
	var idx goldenIndex
	if err := json.Unmarshal(js, &idx); err != nil {
		t.Fatalf("testdata/torch_conv.json: %v", err)
	}
	raw, err := os.ReadFile("testdata/torch_conv.bin")
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float32, len(raw)/4)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &idx, data
}

// slice returns the array at [offset, length], or nil for a missing one.
func goldenSlice(t *testing.T, data []float32, ol []int) []float32 {
	t.Helper()
	if ol == nil {
		return nil
	}
	if len(ol) != 2 || ol[0] < 0 || ol[1] < 0 || ol[0]+ol[1] > len(data) {
		t.Fatalf("golden array %v outside %d floats", ol, len(data))
	}
	return append([]float32(nil), data[ol[0]:ol[0]+ol[1]]...)
}

// TestConv2DGolden checks Conv2DRef and Conv2D.Forward against PyTorch.
func TestConv2DGolden(t *testing.T) {
	idx, data := loadGolden(t)
	if len(idx.Conv2D) == 0 {
		t.Fatal("no Conv2d cases")
	}
	for _, g := range idx.Conv2D {
		t.Run(g.Name, func(t *testing.T) {
			c := &Conv2D{InC: g.InC, OutC: g.OutC, KH: g.KH, KW: g.KW, Stride: g.Stride, Pad: g.Pad, Dilation: g.Dilation,
				Weight: goldenSlice(t, data, g.Weight), Bias: goldenSlice(t, data, g.Bias)}
			switch g.Padding {
			case "zeros":
				c.Padding = PadZeros
			case "reflect":
				c.Padding = PadReflect
			default:
				t.Fatalf("padding %q", g.Padding)
			}
			src := tensor.FromData(g.N, g.InC, g.H, g.W, goldenSlice(t, data, g.Input))
			want := tensor.FromData(g.N, g.OutC, g.OutH, g.OutW, goldenSlice(t, data, g.Output))
			scale := Conv2DRef(absConv(c), absTensor(src))
			k := g.InC * g.KH * g.KW
			if ho, wo := c.OutSize(g.H, g.W); ho != g.OutH || wo != g.OutW {
				t.Fatalf("OutSize = %d×%d, PyTorch %d×%d", ho, wo, g.OutH, g.OutW)
			}
			compareTensors(t, "Conv2DRef", Conv2DRef(c, src), want, scale, 2*k)
			got := tensor.New(g.N, g.OutC, g.OutH, g.OutW)
			c.Forward(got, 0, src, 0, Epilogue{})
			compareTensors(t, "Forward", got, want, scale, 2*k)
		})
	}
}

// TestConvTranspose2DGolden checks ConvTranspose2DRef and
// ConvTranspose2D.Forward against PyTorch.
func TestConvTranspose2DGolden(t *testing.T) {
	idx, data := loadGolden(t)
	if len(idx.ConvTranspose2D) == 0 {
		t.Fatal("no ConvTranspose2d cases")
	}
	for _, g := range idx.ConvTranspose2D {
		t.Run(g.Name, func(t *testing.T) {
			c := &ConvTranspose2D{InC: g.InC, OutC: g.OutC, K: g.K, Stride: g.Stride, Pad: g.Pad, OutputPadding: g.OutputPadding,
				Weight: goldenSlice(t, data, g.Weight), Bias: goldenSlice(t, data, g.Bias)}
			src := tensor.FromData(g.N, g.InC, g.H, g.W, goldenSlice(t, data, g.Input))
			want := tensor.FromData(g.N, g.OutC, g.OutH, g.OutW, goldenSlice(t, data, g.Output))
			abs := &ConvTranspose2D{InC: c.InC, OutC: c.OutC, K: c.K, Stride: c.Stride, Pad: c.Pad, OutputPadding: c.OutputPadding,
				Weight: absSlice(c.Weight), Bias: absSlice(c.Bias)}
			scale := ConvTranspose2DRef(abs, absTensor(src))
			if ho, wo := c.OutSize(g.H, g.W); ho != g.OutH || wo != g.OutW {
				t.Fatalf("OutSize = %d×%d, PyTorch %d×%d", ho, wo, g.OutH, g.OutW)
			}
			k := g.InC * g.K * g.K
			compareTensors(t, "ConvTranspose2DRef", ConvTranspose2DRef(c, src), want, scale, 2*k)
			got := tensor.New(g.N, g.OutC, g.OutH, g.OutW)
			c.Forward(got, 0, src, 0, Epilogue{})
			compareTensors(t, "Forward", got, want, scale, 2*k)
		})
	}
}
