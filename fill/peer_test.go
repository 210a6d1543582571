package fill

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aerofill/aerofill/mask"
)

// TestPeerLive runs OpenCV and GDAL now, through testdata/peer.py, on chips
// the stored goldens do not cover, with the project's damage masks (package
// mask: lines 3–16 px thick, strokes; 3–35 % coverage), and checks the same claims as
// the golden tests: on float32 bands the reference reproduces cv2.inpaint
// and IDW reproduces gdal.FillNodata exactly; on 8-bit RGB chips IDW equals
// GDAL, the reference in OpenCV mode reproduces cv2.inpaint, and Telea and
// NavierStokes are not worse than OpenCV by more than 0.3 dB on average
// (they are better: see TestGoldenToolPSNR). With these thicker masks
// OpenCV's edge errors reach far into the image, so our output is only
// required to be within 30 dB PSNR of its output. It skips when the tools
// or chips are missing.
func TestPeerLive(t *testing.T) {
	if !havePeers() {
		t.Skip("/usr/bin/python3 with cv2 and osgeo not available")
	}
	if _, err := os.Stat(chipsDir()); err != nil {
		t.Skipf("chips not available: %v", err)
	}
	dir := t.TempDir()
	chips := []string{"neon_0100.png", "caliterra_0140.png", "oam_0040.png", "nlortho_0008.png", "landsat8_0001.png", "audrone_0003.png"}
	if testing.Short() {
		chips = chips[:2]
	}

	type rgbCase struct {
		chip, kind string
		truth, dmg string // PNG paths
		mask       []uint8
	}
	var jobs []map[string]any
	var rgb []rgbCase
	for k, chip := range chips {
		img := readRGB(t, filepath.Join(chipsDir(), chip))
		for _, fam := range []mask.Family{mask.Lines, mask.Strokes} {
			kind := string(fam)
			g, err := mask.Generate(fam, 256, 256, uint64(5000+10*k), mask.DefaultCoverage(fam))
			if err != nil {
				t.Fatal(err)
			}
			mask := g.Pix
			dmg := filepath.Join(dir, fmt.Sprintf("%d_%s.png", k, kind))
			mp := filepath.Join(dir, fmt.Sprintf("%d_%s_mask.png", k, kind))
			writeRGBPNG(t, dmg, damage(img, mask))
			writeGray(t, mp, binarize(mask), 256, 256)
			rgb = append(rgb, rgbCase{chip, kind, filepath.Join(chipsDir(), chip), dmg, mask})
			for _, tf := range toolFillers {
				tool := "opencv"
				if tf.name == "idw" {
					tool = "gdal"
				}
				jobs = append(jobs, map[string]any{"tool": tool, "filler": tf.name, "radius": 5, "md": 100, "si": 0,
					"image": dmg, "mask": mp, "out": dmg + "." + tf.name + ".png"})
			}
		}
	}

	// Float32 crops: 40×40 green channel, with the mask clear of the border
	// for OpenCV and touching it for GDAL.
	type floatCase struct {
		name   string
		band   []float32
		inner  []uint8
		edge   []uint8
		prefix string
	}
	var floats []floatCase
	const fs = 40
	for k, chip := range chips[:min(3, len(chips))] {
		img := readRGB(t, filepath.Join(chipsDir(), chip))
		band := make([]float32, fs*fs)
		for y := range fs {
			for x := range fs {
				band[y*fs+x] = float32(img.Pix[img.PixOffset(60+x, 90+y)+1]) * 0.37 // not integer-valued
			}
		}
		edge := strokeMask(fs, fs, uint64(k), 2)
		inner := clipMask(append([]uint8(nil), edge...), fs, fs, 7)
		p := filepath.Join(dir, fmt.Sprintf("f%d", k))
		writeF32(t, p+".f32", band)
		writeGray(t, p+"_inner.png", binarize(inner), fs, fs)
		writeGray(t, p+"_edge.png", binarize(edge), fs, fs)
		floats = append(floats, floatCase{chip, band, inner, edge, p})
		for _, j := range []map[string]any{
			{"tool": "opencv", "filler": "telea", "radius": 4, "mask": p + "_inner.png", "out": p + "_telea.f32"},
			{"tool": "opencv", "filler": "ns", "radius": 4, "mask": p + "_inner.png", "out": p + "_ns.f32"},
			{"tool": "gdal", "filler": "idw", "md": 9, "si": 3, "mask": p + "_edge.png", "out": p + "_idw.f32"},
		} {
			j["image"], j["w"], j["h"] = p+".f32", fs, fs
			jobs = append(jobs, j)
		}
	}

	jb, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "jobs.json"), jb)
	cmd := exec.Command(peerPython, "testdata/peer.py", filepath.Join(dir, "jobs.json"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("peer.py: %v\n%s", err, out)
	}

	for _, fc := range floats {
		for _, fl := range []string{"telea", "ns"} {
			want := readF32(t, fc.prefix+"_"+fl+".f32", fs*fs)
			got := append([]float32(nil), fc.band...)
			refInpaint(got, fs, fs, fc.inner, 4, fl == "telea", refMode{opencv: true})
			if d, at := maxAbsDiff(got, want); d > 1e-4 {
				t.Errorf("%s float32 %s: OpenCV reference differs from cv2 by %g at %d", fc.name, fl, d, at)
			}
		}
		want := readF32(t, fc.prefix+"_idw.f32", fs*fs)
		got := append([]float32(nil), fc.band...)
		if err := (IDW{MaxDistance: 9, SmoothingIterations: 3}).Fill([][]float32{got}, fs, fs, fc.edge); err != nil {
			t.Fatal(err)
		}
		for i, v := range want {
			if v == gdalNodata {
				want[i] = fc.band[i]
			}
		}
		if i := firstDiff(got, want); i >= 0 {
			t.Errorf("%s float32 idw: pixel %d = %v, GDAL %v", fc.name, i, got[i], want[i])
		}
	}

	sum := map[string][3]float64{} // ours, tool, n
	for _, c := range rgb {
		truth := readRGB(t, c.truth)
		dmg := readRGB(t, c.dmg)
		for _, tf := range toolFillers {
			ours, err := FillImage(tf.f, dmg, grayImage(c.mask, 256, 256))
			if err != nil {
				t.Fatal(err)
			}
			tool := readRGB(t, c.dmg+"."+tf.name+".png")
			po, pt, direct := psnrFrame(ours, truth, 0), psnrFrame(tool, truth, 0), psnrFrame(ours, tool, 0)
			t.Logf("%-18s %-7s %-5s ours %6.2f dB  tool %6.2f dB  ours↔tool %6.1f dB", c.chip, c.kind, tf.name, po, pt, direct)
			switch {
			case tf.name == "idw" && !math.IsInf(direct, 1):
				t.Errorf("%s %s idw: output differs from GDAL's (%.1f dB)", c.chip, c.kind, direct)
			case tf.name != "idw":
				// The whole difference must be the documented one:
				// OpenCV's own arithmetic, reproduced, gives its output.
				diff := 0
				for ch := range 3 {
					v := make([]float32, 256*256)
					for i := range v {
						v[i] = float32(dmg.Pix[4*i+ch])
					}
					refInpaint(v, 256, 256, c.mask, 5, tf.name == "telea", refMode{opencv: true, round8: true, rgb: true})
					for i, m := range c.mask {
						if m != 0 && uint8(v[i]) != tool.Pix[4*i+ch] {
							diff++
						}
					}
				}
				if diff > len(c.mask)*3/1000 {
					t.Errorf("%s %s %s: OpenCV emulation differs from cv2 in %d values", c.chip, c.kind, tf.name, diff)
				}
				if direct < 30 {
					t.Errorf("%s %s %s: output only %.1f dB from the tool's", c.chip, c.kind, tf.name, direct)
				}
			}
			s := sum[tf.name]
			sum[tf.name] = [3]float64{s[0] + po, s[1] + pt, s[2] + 1}
		}
	}
	for _, tf := range toolFillers {
		s := sum[tf.name]
		mo, mt := s[0]/s[2], s[1]/s[2]
		t.Logf("%-5s mean over %d: ours %.3f dB, tool %.3f dB, Δ %+.3f dB", tf.name, int(s[2]), mo, mt, mo-mt)
		if mo < mt-0.3 || tf.name == "idw" && mo != mt {
			t.Errorf("%s: mean PSNR %.3f dB, tool %.3f dB", tf.name, mo, mt)
		}
	}
}

func writeF32(t testing.TB, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		u := math.Float32bits(x)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
	writeFile(t, path, b)
}
