package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var quiet = slog.New(slog.DiscardHandler)

func newServer(t *testing.T, r Restorer, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	s := New(r, cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// texture is a w×h image with no black pixels and enough structure that a
// mean fill changes every pixel it touches.
func texture(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA(x, y, color.RGBA{uint8(40 + (x*37+y*11)%200), uint8(30 + (x*x+y*7)%180), uint8(50 + (x^y)%150), 255})
		}
	}
	return m
}

func pngBytes(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rectMask is a w×h mask with r damaged.
func rectMask(w, h int, r image.Rectangle) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			m.Pix[y*m.Stride+x] = 255
		}
	}
	return m
}

// form builds a multipart body from name → content (string or []byte).
func form(t testing.TB, fields ...any) (body *bytes.Buffer, contentType string) {
	t.Helper()
	body = new(bytes.Buffer)
	mw := multipart.NewWriter(body)
	for i := 0; i+1 < len(fields); i += 2 {
		name := fields[i].(string)
		switch v := fields[i+1].(type) {
		case []byte:
			fw, err := mw.CreateFormFile(name, name+".bin")
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(v)
		case string:
			mw.WriteField(name, v)
		}
	}
	mw.Close()
	return body, mw.FormDataContentType()
}

func post(t testing.TB, url, contentType string, body io.Reader) *http.Response {
	t.Helper()
	resp, err := http.Post(url, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readAll(t testing.TB, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jsonError decodes an error body, failing if it is not one.
func jsonError(t testing.TB, resp *http.Response) string {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	var e struct{ Error string }
	body := readAll(t, resp)
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Fatalf("error body %q is not {\"error\": ...}: %v", body, err)
	}
	return e.Error
}

func TestRestoreMultipartMeanFill(t *testing.T) {
	_, ts := newServer(t, meanFill{}, Config{})
	in := texture(64, 48)
	hole := image.Rect(20, 10, 31, 40)
	body, ct := form(t, "image", pngBytes(t, in), "mask", pngBytes(t, rectMask(64, 48, hole)), "model", "mean-again", "tta", "2")
	resp := post(t, ts.URL+"/api/restore", ct, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp))
	}
	if got := resp.Header.Get("Content-Type"); got != "image/png" {
		t.Errorf("Content-Type %q", got)
	}
	for h, want := range map[string]string{
		"X-Aerofill-Model":         "mean-again",
		"X-Aerofill-TTA":           "2",
		"X-Aerofill-Filled-Pixels": strconv.Itoa(hole.Dx() * hole.Dy()),
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if _, err := strconv.Atoi(resp.Header.Get("X-Aerofill-Duration-Ms")); err != nil {
		t.Errorf("X-Aerofill-Duration-Ms: %v", err)
	}
	out, err := png.Decode(bytes.NewReader(readAll(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	changedOutside, changedInside := 0, 0
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			r1, g1, b1, _ := in.At(x, y).RGBA()
			r2, g2, b2, _ := out.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				if (image.Point{x, y}).In(hole) {
					changedInside++
				} else {
					changedOutside++
				}
			}
		}
	}
	if changedOutside != 0 || changedInside < hole.Dx()*hole.Dy()/2 {
		t.Errorf("changed %d pixels outside the hole and %d of %d inside", changedOutside, changedInside, hole.Dx()*hole.Dy())
	}
}

func TestRestoreRawBodyWithQuery(t *testing.T) {
	fr := &fakeRestorer{}
	_, ts := newServer(t, fr, Config{})
	in := texture(9, 7)
	var jp bytes.Buffer
	jpeg.Encode(&jp, in, nil)
	tests := []struct {
		name, ctype string
		body        []byte
		query       string
		model       string
		tta         int
	}{
		{"png", "image/png", pngBytes(t, in), "?model=telea&tta=8", "telea", 8},
		{"jpeg", "image/jpeg", jp.Bytes(), "?tta=1", "", 1},
		{"octet-stream sniffed", "application/octet-stream", pngBytes(t, in), "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(t, ts.URL+"/api/restore"+tt.query, tt.ctype, bytes.NewReader(tt.body))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, readAll(t, resp))
			}
			job := fr.lastJob()
			if job.Model != tt.model || job.TTA != tt.tta || job.Mask != nil || job.GeoTIFF != nil {
				t.Errorf("job model %q tta %d mask %v geo %v; want %q %d nil nil", job.Model, job.TTA, job.Mask != nil, job.GeoTIFF != nil, tt.model, tt.tta)
			}
			if b := job.Image.Bounds(); b != image.Rect(0, 0, 9, 7) {
				t.Errorf("job image bounds %v", b)
			}
			wantModel := tt.model
			if wantModel == "" {
				wantModel = "lama" // the first listed is the default
			}
			if got := resp.Header.Get("X-Aerofill-Model"); got != wantModel {
				t.Errorf("X-Aerofill-Model %q, want %q", got, wantModel)
			}
		})
	}
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRestoreOutputFormats(t *testing.T) {
	geo := readFixture(t, "lzw_strips_rgb8.tif") // has GeoTIFF tags
	plain := readFixture(t, "baseline_rgb8.tif") // has none
	pngIn := pngBytes(t, texture(7, 1))
	madeGeo := []byte("II*\x00restored-geotiff")
	fr := &fakeRestorer{restore: func(ctx context.Context, job Job) (Output, error) {
		out := Output{Image: job.Image}
		if job.GeoTIFF != nil {
			out.GeoTIFF = madeGeo
		}
		return out, nil
	}}
	_, ts := newServer(t, fr, Config{})
	tests := []struct {
		name      string
		in        []byte
		format    string
		status    int
		ctype     string
		wantGeo   bool // body is the restorer's GeoTIFF
		jobHasGeo bool
	}{
		{"geotiff auto", geo, "", 200, "image/tiff", true, true},
		{"geotiff as geotiff", geo, "geotiff", 200, "image/tiff", true, true},
		{"geotiff as tiff", geo, "tiff", 200, "image/tiff", true, true},
		{"geotiff as png", geo, "png", 200, "image/png", false, true},
		{"plain tiff auto", plain, "", 200, "image/png", false, false},
		{"plain tiff as tiff", plain, "tiff", 200, "image/tiff", false, false},
		{"png as tiff", pngIn, "tiff", 200, "image/tiff", false, false},
		{"png as geotiff", pngIn, "geotiff", 400, "application/json", false, false},
		{"plain tiff as geotiff", plain, "geotiff", 400, "application/json", false, false},
		{"bad format", pngIn, "webp", 400, "application/json", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, ct := form(t, "image", tt.in, "format", tt.format)
			resp := post(t, ts.URL+"/api/restore", ct, body)
			got := readAll(t, resp)
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != tt.ctype {
				t.Fatalf("status %d %s, want %d %s: %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), tt.status, tt.ctype, got)
			}
			if tt.status != 200 {
				return
			}
			if job := fr.lastJob(); (job.GeoTIFF != nil) != tt.jobHasGeo {
				t.Errorf("job.GeoTIFF set = %v, want %v", job.GeoTIFF != nil, tt.jobHasGeo)
			}
			if isGeo := bytes.Equal(got, madeGeo); isGeo != tt.wantGeo {
				t.Errorf("body is the restorer's GeoTIFF: %v, want %v", isGeo, tt.wantGeo)
			}
			if tt.ctype == "image/tiff" && !tt.wantGeo {
				if m, err := decodeTIFF(got); err != nil {
					t.Errorf("plain TIFF answer does not decode: %v", err)
				} else if !sameRGB(m, fr.lastJob().Image) {
					t.Error("plain TIFF answer differs from the restored image")
				}
			}
		})
	}
}

// pngHeaderOnly is the start of a PNG that claims w×h pixels: enough for
// image.DecodeConfig, nothing to decode.
func pngHeaderOnly(w, h int) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestRestoreBadInput(t *testing.T) {
	fr := &fakeRestorer{}
	_, ts := newServer(t, fr, Config{MaxUploadBytes: 64 << 10, MaxPixels: 100 * 100})
	img := pngBytes(t, texture(40, 30))
	var jp bytes.Buffer
	jpeg.Encode(&jp, image.NewGray(image.Rect(0, 0, 40, 30)), nil)
	big := make([]byte, 80<<10)
	copy(big, img)
	type req struct {
		ctype string
		body  []byte
	}
	multi := func(fields ...any) req {
		b, ct := form(t, fields...)
		return req{ct, b.Bytes()}
	}
	tests := []struct {
		name   string
		req    req
		status int
		substr string
	}{
		{"wrong content type", req{"text/plain", img}, 415, "Content-Type"},
		{"no content type", req{"", img}, 415, "Content-Type"},
		{"form urlencoded", req{"application/x-www-form-urlencoded", img}, 415, "multipart/form-data"},
		{"not an image", req{"image/png", []byte("GIF89a......")}, 415, "unrecognized format"},
		{"gif in form", multi("image", []byte("GIF89a......")), 415, "unrecognized format"},
		{"truncated png", req{"image/png", img[:len(img)/2]}, 400, "cannot decode"},
		{"truncated png header", req{"image/png", img[:20]}, 400, "cannot decode"},
		{"truncated tiff", req{"image/tiff", readFixture(t, "lzw_strips_rgb8.tif")[:4000]}, 400, "pass the end"},
		{"empty body", req{"image/png", nil}, 400, "empty"},
		{"bigtiff header only", req{"image/tiff", []byte("II+\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")}, 400, "cannot decode"},
		{"mask of another size", multi("image", img, "mask", pngBytes(t, rectMask(41, 30, image.Rect(0, 0, 1, 1)))), 400, "mask is 41×30, image is 40×30"},
		{"mask not png", multi("image", img, "mask", jp.Bytes()), 415, "mask must be a PNG"},
		{"mask truncated", multi("image", img, "mask", pngBytes(t, rectMask(40, 30, image.Rect(0, 0, 1, 1)))[:60]), 400, "mask"},
		{"too many bytes", req{"image/png", big}, 413, "limit"},
		{"too many bytes in form", multi("image", big), 413, "limit"},
		{"too many pixels", req{"image/png", pngHeaderOnly(101, 100)}, 413, "101×100 = 10100 pixels"},
		{"too many pixels tiff", req{"image/tiff", tiffHeaderOnly(t, 1000, 1000)}, 413, "1000×1000"},
		{"unknown model", multi("image", img, "model", "dalle"), 400, `unknown model "dalle"; valid models: lama, telea`},
		{"bad tta", multi("image", img, "tta", "3"), 400, "tta"},
		{"no image field", multi("model", "lama"), 400, `no "image" field`},
		{"two image fields", multi("image", img, "image", img), 400, `more than one "image"`},
		{"long field", multi("image", img, "model", strings.Repeat("x", 300)), 400, "longer than"},
		{"malformed multipart", req{"multipart/form-data; boundary=xyz", []byte("--xyz\r\nnonsense")}, 400, "multipart"},
		{"multipart without boundary", req{"multipart/form-data", []byte("x")}, 400, "multipart"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(fr.jobs)
			resp := post(t, ts.URL+"/api/restore", tt.req.ctype, bytes.NewReader(tt.req.body))
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if msg := jsonError(t, resp); !strings.Contains(msg, tt.substr) {
				t.Errorf("error %q does not contain %q", msg, tt.substr)
			}
			if len(fr.jobs) != n {
				t.Errorf("bad input reached the restorer")
			}
		})
	}
}

// tiffHeaderOnly is a valid TIFF header and IFD claiming w×h pixels of
// 8-bit gray in one strip, which is absent.
func tiffHeaderOnly(t testing.TB, w, h int) []byte {
	t.Helper()
	return tiffHeader(t, w, h, 1<<31)
}

func TestRestoreLargeContentLengthRejectedUnread(t *testing.T) {
	_, ts := newServer(t, &fakeRestorer{}, Config{MaxUploadBytes: 1000})
	// A body that would block forever if the server tried to read it.
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/api/restore", pr)
	req.ContentLength = 1 << 30
	req.Header.Set("Content-Type", "image/png")
	go pw.Write(make([]byte, 100))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
}

func TestMethodNotAllowedAndNotFound(t *testing.T) {
	_, ts := newServer(t, &fakeRestorer{}, Config{})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/restore", 405, "POST"},
		{"PUT", "/api/decode", 405, "POST"},
		{"POST", "/api/models", 405, "GET, HEAD"},
		{"DELETE", "/metrics", 405, "GET, HEAD"},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"POST", "/", 405, "GET, HEAD"},
		{"GET", "/api/nothing", 404, ""},
		{"GET", "/nothing.js", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.status || resp.Header.Get("Allow") != tt.allow {
				t.Errorf("status %d Allow %q, want %d %q", resp.StatusCode, resp.Header.Get("Allow"), tt.status, tt.allow)
			}
			if strings.HasPrefix(tt.path, "/api/") || tt.status == 405 {
				jsonError(t, resp)
			}
		})
	}
}

// blocker is a restorer whose jobs wait until released or cancelled.
type blocker struct {
	fakeRestorer
	started chan struct{}
	release chan struct{}
	errs    chan error // ctx.Err() seen by cancelled jobs
}

func newBlocker() *blocker {
	b := &blocker{started: make(chan struct{}, 100), release: make(chan struct{}), errs: make(chan error, 100)}
	b.restore = func(ctx context.Context, job Job) (Output, error) {
		b.started <- struct{}{}
		select {
		case <-b.release:
			return Output{Image: job.Image, FilledPixels: 1}, nil
		case <-ctx.Done():
			b.errs <- ctx.Err()
			return Output{}, fmt.Errorf("blocker: %w", ctx.Err())
		}
	}
	return b
}

func TestQueueFull(t *testing.T) {
	b := newBlocker()
	s, ts := newServer(t, b, Config{Workers: 1, QueueSize: 2})
	img := pngBytes(t, texture(8, 8))
	var wg sync.WaitGroup
	statuses := make(chan int, 3)
	for i := 0; i < 3; i++ { // one runs, two wait
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(ts.URL+"/api/restore", "image/png", bytes.NewReader(img))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	<-b.started
	waitFor(t, func() bool { return s.pool.waiting.Load() == 2 })
	if m := scrape(t, ts.URL); m["aerofill_queue_length"] != 2 || m["aerofill_workers_busy"] != 1 {
		t.Errorf("queue length %v busy %v, want 2 1", m["aerofill_queue_length"], m["aerofill_workers_busy"])
	}
	for _, path := range []string{"/api/restore", "/api/decode"} {
		resp := post(t, ts.URL+path, "image/png", bytes.NewReader(img))
		if resp.StatusCode != 503 {
			t.Errorf("%s: status %d with the queue full, want 503", path, resp.StatusCode)
		}
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
		jsonError(t, resp)
	}
	close(b.release)
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 {
			t.Errorf("admitted request got %d", st)
		}
	}
	// With the queue drained, requests are admitted again.
	if resp := post(t, ts.URL+"/api/restore", "image/png", bytes.NewReader(img)); resp.StatusCode != 200 {
		t.Errorf("after draining: status %d", resp.StatusCode)
	}
}

func TestRequestTimeout(t *testing.T) {
	img := pngBytes(t, texture(8, 8))
	t.Run("restorer honours ctx", func(t *testing.T) {
		b := newBlocker()
		_, ts := newServer(t, b, Config{RequestTimeout: 100 * time.Millisecond})
		resp := post(t, ts.URL+"/api/restore", "image/png", bytes.NewReader(img))
		if resp.StatusCode != 504 {
			t.Errorf("status %d, want 504", resp.StatusCode)
		}
		if msg := jsonError(t, resp); !strings.Contains(msg, "timed out") {
			t.Errorf("message %q", msg)
		}
		if err := <-b.errs; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("restorer saw %v", err)
		}
	})
	t.Run("restorer ignores ctx", func(t *testing.T) {
		release := make(chan struct{})
		fr := &fakeRestorer{restore: func(ctx context.Context, job Job) (Output, error) {
			<-release
			return Output{Image: job.Image}, nil
		}}
		s, ts := newServer(t, fr, Config{RequestTimeout: 100 * time.Millisecond, Workers: 1, QueueSize: -1})
		start := time.Now()
		resp := post(t, ts.URL+"/api/restore", "image/png", bytes.NewReader(img))
		if resp.StatusCode != 504 || time.Since(start) > 5*time.Second {
			t.Errorf("status %d after %v, want 504 soon after 100ms", resp.StatusCode, time.Since(start))
		}
		// The worker stays taken until the restorer returns.
		if resp := post(t, ts.URL+"/api/restore", "image/png", bytes.NewReader(img)); resp.StatusCode != 503 {
			t.Errorf("with the only worker stuck: status %d, want 503", resp.StatusCode)
		}
		close(release)
		waitFor(t, func() bool { return len(s.pool.slots) == 0 })
	})
}

func TestClientDisconnectCancelsJob(t *testing.T) {
	b := newBlocker()
	_, ts := newServer(t, b, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/api/restore", bytes.NewReader(pngBytes(t, texture(8, 8))))
	req.Header.Set("Content-Type", "image/png")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-b.started
	cancel()
	select {
	case err := <-b.errs:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("restorer saw %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("job not cancelled 5s after the client went away")
	}
	<-errc
	waitFor(t, func() bool {
		return scrape(t, ts.URL)[`aerofill_http_requests_total{route="/api/restore",code="499"}`] == 1
	})
}

func TestRestorerErrors(t *testing.T) {
	img := pngBytes(t, texture(8, 8))
	tests := []struct {
		name   string
		out    Output
		err    error
		status int
		substr string
	}{
		{"invalid job", Output{}, fmt.Errorf("model telea: %w: needs a mask", ErrInvalidJob), 400, "needs a mask"},
		{"failure", Output{}, errors.New("out of memory"), 500, "restore failed: out of memory"},
		{"wrong size", Output{Image: image.NewRGBA(image.Rect(0, 0, 3, 3))}, nil, 500, "3×3 image for a 8×8 input"},
		{"no image", Output{}, nil, 500, "0×0 image"},
		{"panic", Output{}, nil, 500, "restorer panicked: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fr := &fakeRestorer{restore: func(context.Context, Job) (Output, error) {
				if tt.name == "panic" {
					panic("boom")
				}
				return tt.out, tt.err
			}}
			_, ts := newServer(t, fr, Config{})
			resp := post(t, ts.URL+"/api/restore", "image/png", bytes.NewReader(img))
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if msg := jsonError(t, resp); !strings.Contains(msg, tt.substr) {
				t.Errorf("error %q does not contain %q", msg, tt.substr)
			}
		})
	}
}

func TestMaskDecoding(t *testing.T) {
	const w, h = 5, 3
	want := rectMask(w, h, image.Rect(1, 0, 3, 2))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White})
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if want.GrayAt(x, y).Y != 0 {
				nrgba.Set(x, y, color.NRGBA{255, 40, 40, 200}) // the page's red, light enough? no: luma 107
				nrgba.Set(x, y, color.NRGBA{250, 250, 250, 200})
				rgba.Set(x, y, color.RGBA{200, 200, 200, 200})
				pal.SetColorIndex(x, y, 1)
			} else {
				nrgba.Set(x, y, color.NRGBA{255, 255, 255, 10}) // white but transparent
				rgba.Set(x, y, color.RGBA{60, 60, 60, 255})
			}
		}
	}
	for name, m := range map[string]image.Image{"gray": want, "nrgba": nrgba, "rgba": rgba, "paletted": pal} {
		got, err := decodeMask(pngBytes(t, m), w, h)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got.Pix, want.Pix) {
			t.Errorf("%s: mask %v, want %v", name, got.Pix, want.Pix)
		}
	}
}

func TestInfoRoutes(t *testing.T) {
	_, ts := newServer(t, &fakeRestorer{}, Config{Version: "v1.2.3", MaxPixels: 1234})
	get := func(path string, v any) *http.Response {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d", path, resp.StatusCode)
		}
		if v != nil {
			if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
				t.Errorf("%s: %v", path, err)
			}
		}
		return resp
	}
	var models struct {
		Default string
		Models  []ModelInfo
	}
	get("/api/models", &models)
	if models.Default != "lama" || len(models.Models) != 2 || models.Models[1] != (ModelInfo{"telea", "filler", "Telea fast marching"}) {
		t.Errorf("models = %+v", models)
	}
	var version struct {
		Version string
		Limits  struct{ MaxPixels int }
	}
	get("/api/version", &version)
	if version.Version != "v1.2.3" || version.Limits.MaxPixels != 1234 {
		t.Errorf("version = %+v", version)
	}
	var health struct{ Status string }
	get("/healthz", &health)
	if health.Status != "ok" {
		t.Errorf("healthz = %+v", health)
	}
	resp := get("/", nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("/ Content-Type %q", ct)
	}
	for _, f := range []string{"/app.js", "/style.css"} {
		if resp := get(f, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d", f, resp.StatusCode)
		}
	}
}

// The OpenAPI document must describe exactly the routes the server has,
// with the methods it accepts.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	s, ts := newServer(t, &fakeRestorer{}, Config{})
	resp, err := http.Get(ts.URL + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string
		Paths   map[string]map[string]json.RawMessage
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	for path, rt := range s.routes {
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("route %s not documented", path)
			continue
		}
		for m := range rt.methods {
			if _, ok := ops[strings.ToLower(m)]; !ok && m != "HEAD" {
				t.Errorf("%s %s not documented", m, path)
			}
		}
		for m := range ops {
			if rt.methods[strings.ToUpper(m)] == nil {
				t.Errorf("documented %s %s not served", m, path)
			}
		}
	}
	for path := range doc.Paths {
		if _, ok := s.routes[path]; !ok {
			t.Errorf("documented path %s not served", path)
		}
	}
}

func TestDecodeRoute(t *testing.T) {
	_, ts := newServer(t, &fakeRestorer{}, Config{})
	data := readFixture(t, "deflate_tiles_rgb8.tif")
	body, ct := form(t, "image", data)
	resp := post(t, ts.URL+"/api/decode", ct, body)
	if resp.StatusCode != 200 || resp.Header.Get("X-Aerofill-GeoTIFF") != "true" || resp.Header.Get("X-Aerofill-Format") != "tiff" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	got, err := png.Decode(bytes.NewReader(readAll(t, resp)))
	if err != nil {
		t.Fatal(err)
	}
	want := readPNG(t, "deflate_tiles_rgb8.png")
	if !sameRGB(got, want) {
		t.Error("decoded PNG differs from the TIFF")
	}
	if resp := post(t, ts.URL+"/api/decode", "text/plain", strings.NewReader("x")); resp.StatusCode != 415 {
		t.Errorf("text/plain: %d", resp.StatusCode)
	}
}

func sameRGB(a, b image.Image) bool {
	if a.Bounds().Size() != b.Bounds().Size() {
		return false
	}
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			r1, g1, b1, _ := a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y).RGBA()
			if r1>>8 != r2>>8 || g1>>8 != g2>>8 || b1>>8 != b2>>8 {
				return false
			}
		}
	}
	return true
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	t.Run("running job finishes", func(t *testing.T) {
		b := newBlocker()
		s := New(b, Config{Logger: quiet, ShutdownTimeout: 5 * time.Second})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()
		url := "http://" + ln.Addr().String()
		status := make(chan int, 1)
		go func() {
			resp, err := http.Post(url+"/api/restore", "image/png", bytes.NewReader(pngBytes(t, texture(8, 8))))
			if err != nil {
				t.Error(err)
				status <- 0
				return
			}
			resp.Body.Close()
			status <- resp.StatusCode
		}()
		<-b.started
		cancel()
		waitFor(t, func() bool { return s.stopping.Load() })
		if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			t.Error("still accepting connections while shutting down")
		}
		time.Sleep(50 * time.Millisecond)
		close(b.release)
		if st := <-status; st != 200 {
			t.Errorf("running job answered %d, want 200", st)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	t.Run("grace period over", func(t *testing.T) {
		b := newBlocker()
		s := New(b, Config{Logger: quiet, ShutdownTimeout: 100 * time.Millisecond})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()
		go func() {
			resp, err := http.Post("http://"+ln.Addr().String()+"/api/restore", "image/png", bytes.NewReader(pngBytes(t, texture(8, 8))))
			if err == nil {
				resp.Body.Close()
			}
		}()
		<-b.started
		start := time.Now()
		cancel()
		select {
		case err := <-b.errs:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("job saw %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("job not cancelled after the grace period")
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("shutdown took %v", d)
		}
	})
	t.Run("address in use", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		s := New(&fakeRestorer{}, Config{Logger: quiet, Addr: ln.Addr().String()})
		if err := s.ListenAndServe(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "serve: ") {
			t.Errorf("ListenAndServe on a used port: %v", err)
		}
	})
}

func TestDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Addr != "127.0.0.1:8080" || c.Workers != 1 || c.QueueSize != 8 || c.RequestTimeout != 5*time.Minute {
		t.Errorf("defaults %+v", c)
	}
	if c := (Config{QueueSize: -1, RequestTimeout: -1}).withDefaults(); c.QueueSize != 0 || c.RequestTimeout != -1 {
		t.Errorf("QueueSize -1 → %d, RequestTimeout -1 → %v", c.QueueSize, c.RequestTimeout)
	}
}

// FuzzRestoreRaw sends arbitrary bytes as a raw image: whatever they are,
// the answer is a success or a client error, never a panic or a 500.
func FuzzRestoreRaw(f *testing.F) {
	f.Add(pngBytes(f, texture(5, 4)))
	f.Add(pngHeaderOnly(10, 10))
	var jp bytes.Buffer
	jpeg.Encode(&jp, texture(9, 9), nil)
	f.Add(jp.Bytes())
	for _, name := range []string{"lzw_pred2_rgb8.tif", "packbits_gray8.tif", "palette8.tif", "jpeg_ycbcr_tiles.tif", "deflate_planar_rgb8.tif", "float32_pred3_rgb.tif"} {
		b, err := os.ReadFile("testdata/" + name)
		if err == nil {
			f.Add(b)
		}
	}
	s := New(meanFill{}, Config{Logger: quiet, MaxPixels: 1 << 16, MaxUploadBytes: 1 << 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		req := httptest.NewRequest("POST", "/api/restore", bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/octet-stream")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if !slices.Contains([]int{200, 400, 413, 415}, rec.Code) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	})
}

// FuzzMask sends arbitrary bytes as the mask of a 16×16 image.
func FuzzMask(f *testing.F) {
	f.Add(pngBytes(f, rectMask(16, 16, image.Rect(2, 2, 5, 9))))
	f.Add(pngBytes(f, texture(16, 16)))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMask(data, 16, 16)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || (ae.status != 400 && ae.status != 415) {
				t.Fatalf("error %v is not a 400 or 415", err)
			}
			return
		}
		for _, v := range m.Pix {
			if v != 0 && v != 255 {
				t.Fatalf("mask value %d", v)
			}
		}
	})
}

// The per-type fast paths of decodeMask must agree with the plain
// per-pixel conversion over awkward sizes and every PNG color type.
func TestMaskFastPathsMatchReference(t *testing.T) {
	rnd := func(seed, n int) func() uint8 {
		s := uint32(seed*7919 + n)
		return func() uint8 { s = s*1664525 + 1013904223; return uint8(s >> 24) }
	}
	for _, size := range []image.Point{{1, 1}, {7, 3}, {33, 257}, {257, 33}} {
		r := image.Rect(0, 0, size.X, size.Y)
		next := rnd(size.X, size.Y)
		gray, gray16 := image.NewGray(r), image.NewGray16(r)
		nrgba, rgba := image.NewNRGBA(r), image.NewRGBA(r)
		pal := image.NewPaletted(r, color.Palette{color.Black, color.White, color.NRGBA{200, 200, 200, 100}, color.NRGBA{90, 250, 90, 255}})
		for y := 0; y < size.Y; y++ {
			for x := 0; x < size.X; x++ {
				gray.SetGray(x, y, color.Gray{next()})
				gray16.SetGray16(x, y, color.Gray16{uint16(next()) << 8})
				nrgba.SetNRGBA(x, y, color.NRGBA{next(), next(), next(), next()})
				rgba.SetRGBA(x, y, color.RGBA{next(), next(), next(), 255}) // PNG stores RGB without alpha as *image.RGBA
				pal.SetColorIndex(x, y, next()%4)
			}
		}
		for name, m := range map[string]image.Image{"gray": gray, "gray16": gray16, "nrgba": nrgba, "rgba": rgba, "paletted": pal} {
			data := pngBytes(t, m)
			decoded, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeMask(data, size.X, size.Y)
			if err != nil {
				t.Fatalf("%s %v: %v", name, size, err)
			}
			for y := 0; y < size.Y; y++ {
				for x := 0; x < size.X; x++ {
					c := color.NRGBAModel.Convert(decoded.At(x, y)).(color.NRGBA)
					want := uint8(0)
					if damaged(c.R, c.G, c.B, c.A, false) {
						want = 255
					}
					if g := got.GrayAt(x, y).Y; g != want {
						t.Fatalf("%s %v (decoded as %T): pixel (%d,%d) %v → %d, want %d", name, size, decoded, x, y, c, g, want)
					}
				}
			}
		}
	}
}
