package fft

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

var torchPeer = flag.Bool("torch", false, "run TestTorchPeer: time Forward+Inverse against PyTorch (/usr/bin/python3)")

// TestTorchPeer compares the speed of Forward then Inverse over a batch of
// C = 192 planes (LaMa-Fourier's FourierUnit width) with PyTorch's
// rfft2/irfft2 on one thread, alternating the two in one run. Run with
//
//	go test -run TorchPeer -torch -v ./fft/
//
// It reports per-plane medians of thread CPU time (which leaves out time
// spent waiting for a core on a shared machine) and of wall time.
func TestTorchPeer(t *testing.T) {
	if !*torchPeer {
		t.Skip("speed comparison; enable with -torch")
	}
	const python = "/usr/bin/python3"
	cmd := exec.Command(python, "testdata/torch_peer.py")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("no peer: %v", err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	out := bufio.NewScanner(stdout)
	if !out.Scan() || !strings.HasPrefix(out.Text(), "ready") {
		t.Skipf("peer did not start (is python3-torch installed?): %q", out.Text())
	}
	t.Logf("peer: torch %s", strings.TrimPrefix(out.Text(), "ready "))
	peer := func(h, w, c, reps int) (cpu, wall float64) {
		fmt.Fprintf(stdin, "%d %d %d %d\n", h, w, c, reps)
		if !out.Scan() {
			t.Fatalf("peer: %v", out.Err())
		}
		if _, err := fmt.Sscan(out.Text(), &cpu, &wall); err != nil {
			t.Fatalf("peer said %q: %v", out.Text(), err)
		}
		return cpu, wall
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const C, rounds = 192, 5
	sizes := [][2]int{{32, 32}, {64, 64}, {33, 25}, {128, 128}, {17, 13}, {96, 96}, {125, 125}, {97, 89}}
	t.Logf("%-9s %12s %12s %7s %12s %12s %7s", "H×W", "Go cpu µs", "torch cpu µs", "ratio", "Go wall µs", "torch wall", "ratio")
	for _, sz := range sizes {
		h, w := sz[0], sz[1]
		p := Plan(h, w)
		b := p.Bins()
		x := newStream(3).fill(C * h * w)
		y := make([]float32, C*h*w)
		re, im := make([]float32, C*h*b), make([]float32, C*h*b)
		// Repeats so that one measurement takes ≥ ~20 ms.
		reps := max(3, int(20e6/(float64(C)*float64(h*w)*8)))
		var gc, gw, tc, tw []float64
		for range rounds {
			c, wl := peer(h, w, C, reps)
			tc, tw = append(tc, c), append(tw, wl)
			var cs, ws []float64
			for r := 0; r <= reps; r++ {
				c0, w0 := threadCPU(), time.Now()
				for i := range C {
					p.Forward(re[i*h*b:(i+1)*h*b], im[i*h*b:(i+1)*h*b], x[i*h*w:(i+1)*h*w])
				}
				for i := range C {
					p.Inverse(y[i*h*w:(i+1)*h*w], re[i*h*b:(i+1)*h*b], im[i*h*b:(i+1)*h*b])
				}
				if r > 0 {
					cs = append(cs, float64(threadCPU()-c0)/C)
					ws = append(ws, float64(time.Since(w0))/C)
				}
			}
			gc, gw = append(gc, median(cs)), append(gw, median(ws))
		}
		mgc, mtc, mgw, mtw := median(gc), median(tc), median(gw), median(tw)
		t.Logf("%-9s %12.2f %12.2f %7.2f %12.2f %12.2f %7.2f", fmt.Sprintf("%d×%d", h, w),
			mgc/1e3, mtc/1e3, mgc/mtc, mgw/1e3, mtw/1e3, mgw/mtw)
	}
	io.WriteString(stdin, "")
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
