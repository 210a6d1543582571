package serve

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad drives a real server on loopback with concurrent clients. It is
// bounded in requests and time, and runs only when AEROFILL_LOADTEST is set:
//
//	AEROFILL_LOADTEST=1 go test -run TestLoad -v ./serve/
//
// Knobs (environment): AEROFILL_LOADTEST_CLIENTS (16), _REQUESTS (400),
// _SIZE (image side, 256), _WORKERS (2), _QUEUE (8). Every answer must be
// 200, or 503 with Retry-After (the documented overload answer).
func TestLoad(t *testing.T) {
	if os.Getenv("AEROFILL_LOADTEST") == "" {
		t.Skip("set AEROFILL_LOADTEST=1 to run the load test")
	}
	clients := envInt("AEROFILL_LOADTEST_CLIENTS", 16)
	requests := envInt("AEROFILL_LOADTEST_REQUESTS", 400)
	size := envInt("AEROFILL_LOADTEST_SIZE", 256)
	workers := envInt("AEROFILL_LOADTEST_WORKERS", 2)
	queue := envInt("AEROFILL_LOADTEST_QUEUE", 8)

	s := New(meanFill{}, Config{Logger: quiet, Workers: workers, QueueSize: queue, RequestTimeout: time.Minute})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srvCtx, stopServer := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(srvCtx, ln) }()
	url := "http://" + ln.Addr().String() + "/api/restore"

	// One request body: a textured image with a 9-pixel black-line mask
	// across it, the kind of damage the service exists for.
	img := texture(size, size)
	mask := rectMask(size, size, image.Rect(0, size/2-4, size, size/2+5))
	body, ctype := form(t, "image", pngBytes(t, img), "mask", pngBytes(t, mask))
	payload := body.Bytes()

	// Peak heap while the test runs (server and clients share the process;
	// the clients hold little: one payload and one response each).
	var peakHeap atomic.Uint64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	type result struct {
		status  int
		latency time.Duration
		retry   string
		err     error
	}
	results := make(chan result, requests)
	var next atomic.Int64
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(requests) && ctx.Err() == nil {
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(payload))
				req.Header.Set("Content-Type", ctype)
				resp, err := client.Do(req)
				r := result{err: err}
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status, r.retry = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				r.latency = time.Since(t0)
				results <- r
				if r.status == http.StatusServiceUnavailable {
					// A polite client waits before trying again; a short
					// wait keeps the pressure on for the test.
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(results)
	close(stopSampling)
	sampler.Wait()
	stopServer()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	tr.CloseIdleConnections()

	var ok []time.Duration
	byStatus := map[int]int{}
	for r := range results {
		switch {
		case r.err != nil:
			t.Errorf("request failed: %v", r.err)
		case r.status == http.StatusOK:
			ok = append(ok, r.latency)
		case r.status == http.StatusServiceUnavailable:
			if n, err := strconv.Atoi(r.retry); err != nil || n < 1 {
				t.Errorf("503 without a valid Retry-After: %q", r.retry)
			}
		default:
			t.Errorf("undocumented status %d under load", r.status)
		}
		byStatus[r.status]++
	}
	slices.Sort(ok)
	pct := func(p float64) time.Duration {
		if len(ok) == 0 {
			return 0
		}
		return ok[min(len(ok)-1, int(math.Ceil(p*float64(len(ok))))-1)]
	}
	var codes []string
	for code, n := range byStatus {
		codes = append(codes, fmt.Sprintf("%d×%d", n, code))
	}
	slices.Sort(codes)
	t.Logf("load: %d clients, %d requests of %d×%d PNG + mask (%d KiB), %d workers, queue %d, GOMAXPROCS %d",
		clients, requests, size, size, len(payload)>>10, workers, queue, runtime.GOMAXPROCS(0))
	t.Logf("load: %v elapsed; %.1f restores/s; answers %s", elapsed.Round(time.Millisecond),
		float64(len(ok))/elapsed.Seconds(), strings.Join(codes, ", "))
	t.Logf("load: latency of 200s p50 %v p90 %v p99 %v max %v", pct(0.5).Round(time.Millisecond),
		pct(0.9).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	t.Logf("load: peak Go heap in use %.1f MiB; process peak RSS %s", float64(peakHeap.Load())/(1<<20), peakRSS())
	if len(ok) == 0 {
		t.Error("no request succeeded")
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// peakRSS reads the process's peak resident set size (VmHWM) on Linux.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return fmt.Sprintf("%.1f MiB", float64(kb)/1024)
			}
		}
	}
	return "unknown"
}
