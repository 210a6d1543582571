package fill

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aerofill/aerofill/internal/cpuclock"
)

// Speed, ours and the peers' side by side:
//
//	go test ./fill -run PeerSpeed -peerbench -v -timeout 60m
//
// times each filler on a 256×256 chip and a 2000×2000 mosaic of chips with
// line damage (medians of repeats), then runs testdata/peer_bench.py on the
// same inputs for cv2.inpaint and gdal.FillNodata and prints the ratios.
// BenchmarkFill times the fillers alone.

var peerBench = flag.Bool("peerbench", false, "time the fillers against OpenCV and GDAL (needs /usr/bin/python3 with cv2 and osgeo)")

// benchChips are tiled into the benchmark images.
var benchChips = []string{"neon_0005.png", "caliterra_0010.png", "oam_0007.png", "nlortho_0003.png"}

// benchImage returns a size×size RGB image with line damage blacked out,
// and its mask: chips tiled in a 2×2 pattern if available, else a
// synthetic texture.
func benchImage(tb testing.TB, size int) (*image.NRGBA, []uint8) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	var chips []*image.NRGBA
	for _, c := range benchChips {
		if _, err := os.Stat(filepath.Join(chipsDir(), c)); err == nil {
			chips = append(chips, readRGB(tb, filepath.Join(chipsDir(), c)))
		}
	}
	for y := range size {
		for x := range size {
			o := img.PixOffset(x, y)
			if len(chips) > 0 {
				c := chips[((y/256)*2+x/256)%len(chips)]
				copy(img.Pix[o:o+4], c.Pix[c.PixOffset(x%256, y%256):])
			} else {
				img.Pix[o], img.Pix[o+1], img.Pix[o+2] = uint8(x*7^y*3), uint8(x+y), uint8(x*y>>4)
			}
			img.Pix[o+3] = 255
		}
	}
	// Eight lines on a 256×256 chip, about 5% of the pixels; as many lines
	// per unit of length on bigger images.
	mask := lineMask(size, size, 7, 8*size/256)
	return damage(img, mask), mask
}

func planar(img *image.NRGBA) [][]float32 {
	n := img.Bounds().Dx() * img.Bounds().Dy()
	bands := [][]float32{make([]float32, n), make([]float32, n), make([]float32, n)}
	for i := range n {
		for c := range 3 {
			bands[c][i] = float32(img.Pix[4*i+c])
		}
	}
	return bands
}

func BenchmarkFill(b *testing.B) {
	for _, size := range []int{256, 2000} {
		img, mask := benchImage(b, size)
		src := planar(img)
		for _, tf := range toolFillers {
			b.Run(fmt.Sprintf("%s/%d", tf.name, size), func(b *testing.B) {
				bands := cloneBands(src)
				b.SetBytes(int64(3 * size * size))
				for b.Loop() {
					b.StopTimer()
					for i := range bands {
						copy(bands[i], src[i])
					}
					b.StartTimer()
					if err := tf.f.Fill(bands, size, size, mask); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestPeerSpeed prints the speed table; see the comment at the top.
func TestPeerSpeed(t *testing.T) {
	if !*peerBench {
		t.Skip("run with -peerbench")
	}
	if !havePeers() {
		t.Skip("peer tools not available")
	}
	dir := t.TempDir()
	type result struct {
		Size     int                `json:"size"`
		Peers    map[string]float64 `json:"peers"`     // median wall ms
		PeersCPU map[string]float64 `json:"peers_cpu"` // median CPU ms
	}
	ours := map[string]map[int][2]float64{} // median wall ms, median CPU ms
	var jobs []map[string]any
	for _, size := range []int{256, 2000} {
		img, mask := benchImage(t, size)
		src := planar(img)
		repeats := 15
		if size > 1000 {
			repeats = 3
		}
		for _, tf := range toolFillers {
			var ms, cpu []float64
			bands := cloneBands(src)
			for range repeats {
				for i := range bands {
					copy(bands[i], src[i])
				}
				start, c0 := time.Now(), cpuclock.Process()
				if err := tf.f.Fill(bands, size, size, mask); err != nil {
					t.Fatal(err)
				}
				ms = append(ms, float64(time.Since(start).Microseconds())/1000)
				cpu = append(cpu, float64((cpuclock.Process()-c0).Microseconds())/1000)
			}
			if ours[tf.name] == nil {
				ours[tf.name] = map[int][2]float64{}
			}
			ours[tf.name][size] = [2]float64{median(ms), median(cpu)}
		}
		ip := filepath.Join(dir, fmt.Sprintf("img%d.png", size))
		mp := filepath.Join(dir, fmt.Sprintf("mask%d.png", size))
		writeRGBPNG(t, ip, img)
		writeGray(t, mp, binarize(mask), size, size)
		jobs = append(jobs, map[string]any{"image": ip, "mask": mp, "size": size, "repeats": repeats})
	}
	jb, _ := json.Marshal(jobs)
	jp := filepath.Join(dir, "jobs.json")
	writeFile(t, jp, jb)
	// Kill the peers if the test runs out of time.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-10*time.Second))
		defer cancel()
	}
	out, err := exec.CommandContext(ctx, peerPython, "testdata/peer_bench.py", jp).Output()
	if err != nil {
		t.Fatalf("peer_bench.py: %v", err)
	}
	var res []result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("peer_bench.py output: %v\n%s", err, out)
	}
	t.Logf("medians of repeats in ms, one run, same machine and inputs (3-band 8-bit images, line damage ~5%%);")
	t.Logf("wall time, and CPU time summed over threads (ours uses up to GOMAXPROCS=%d threads, the peers one)", runtime.GOMAXPROCS(0))
	t.Logf("%-6s %5s | %8s %8s | %-20s %8s %8s | %9s %9s", "filler", "size", "ours", "ours CPU", "peer", "peer", "peer CPU", "peer/ours", "CPU ratio")
	peerOf := map[string][]string{"telea": {"cv2.inpaint TELEA"}, "ns": {"cv2.inpaint NS"}, "idw": {"gdal.FillNodata", "gdal.FillNodata MEM"}}
	for _, r := range res {
		for _, tf := range toolFillers {
			for _, p := range peerOf[tf.name] {
				o := ours[tf.name][r.Size]
				t.Logf("%-6s %5d | %8.2f %8.2f | %-20s %8.2f %8.2f | %9.2f %9.2f", tf.name, r.Size, o[0], o[1], p,
					r.Peers[p], r.PeersCPU[p], r.Peers[p]/o[0], r.PeersCPU[p]/o[1])
			}
		}
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// havePeers reports whether /usr/bin/python3 can import cv2 and osgeo.
func havePeers() bool {
	return exec.Command(peerPython, "-c", "import cv2, numpy; from osgeo import gdal").Run() == nil
}
