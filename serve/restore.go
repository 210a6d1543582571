package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// apiError is an error with the HTTP status to answer it with.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status, fmt.Sprintf(format, args...)}
}

// upload is a parsed request body: the image and mask bytes as sent, and
// the form fields (or query parameters) as strings.
type upload struct {
	image, mask []byte
	model, tta  string
	format      string
}

// Output formats a client may ask for.
const (
	outAuto    = ""
	outPNG     = "png"
	outTIFF    = "tiff"
	outGeoTIFF = "geotiff"
)

// rawTypes are the Content-Types accepted for a raw image body.
var rawTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/jpg": true, "image/tiff": true,
	"image/geotiff": true, "application/octet-stream": true,
}

// maxFieldBytes bounds a form field other than image and mask.
const maxFieldBytes = 256

func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	release, err := s.admit(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	handedOff := false
	defer func() {
		if !handedOff {
			release()
		}
	}()

	up, err := s.readUpload(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	job, format, err := s.parseJob(up)
	if err != nil {
		writeErr(w, err)
		return
	}

	// The job runs on a worker in its own goroutine, so that a timeout or a
	// client that goes away gets an answer (or is let go) at once even if
	// the restorer is slow to notice ctx; the goroutine keeps the worker
	// and the admission slot until the restorer returns.
	type result struct {
		out      Output
		err      error
		ran      bool
		wait     time.Duration // for a worker
		duration time.Duration // of Restore
	}
	done := make(chan result, 1)
	queued := time.Now()
	handedOff = true
	go func() {
		defer release()
		var res result
		err := s.pool.run(ctx, func() {
			started := time.Now()
			res.wait = started.Sub(queued)
			// A panicking restorer fails its request, not the server: this
			// goroutine is outside net/http's per-request recovery.
			defer func() {
				if p := recover(); p != nil {
					s.log.Error("restorer panicked", "panic", p, "stack", string(debug.Stack()))
					res.err = fmt.Errorf("restorer panicked: %v", p)
				}
			}()
			res.out, res.err = s.restorer.Restore(ctx, job)
			res.ran, res.duration = true, time.Since(started)
		})
		if err != nil {
			res.err = err
		}
		done <- res
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		select {
		case res = <-done: // finished as the deadline struck
		default:
			res.err = ctx.Err()
		}
	}
	if res.err != nil {
		s.restoreFailed(w, r, ctx, res.err)
		return
	}
	if res.ran {
		s.metrics.observeRestore(res.duration, res.out.FilledPixels)
	}
	if err := s.writeOutput(w, job, format, res.out, res.wait, res.duration); err != nil {
		writeErr(w, err)
	}
}

// admit takes an admission slot or explains why not (503).
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (release func(), err error) {
	if s.stopping.Load() {
		w.Header().Set("Retry-After", "5")
		return nil, errorf(http.StatusServiceUnavailable, "server is shutting down")
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" && !rawTypes[ct] {
		// Checked before admission: a wrong request should not take a slot
		// or be told to retry.
		return nil, errorf(http.StatusUnsupportedMediaType,
			"Content-Type %q not supported: send multipart/form-data with an \"image\" field, or a raw body of type image/png, image/jpeg or image/tiff",
			r.Header.Get("Content-Type"))
	}
	release, ok := s.pool.admit()
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(s.pool.retryAfter()))
		return nil, errorf(http.StatusServiceUnavailable, "server busy: %d requests in progress; retry later", s.cfg.Workers+s.cfg.QueueSize)
	}
	return release, nil
}

// readUpload reads the request body (multipart or raw image) within the
// upload limit.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (*upload, error) {
	limit := s.cfg.MaxUploadBytes
	if r.ContentLength > limit {
		return nil, errorf(http.StatusRequestEntityTooLarge, "upload is %d bytes, more than the limit of %d", r.ContentLength, limit)
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	q := r.URL.Query()
	up := &upload{model: q.Get("model"), tta: q.Get("tta"), format: q.Get("format")}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		data, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, readError(err, limit)
		}
		up.image = data
		return up, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "malformed multipart request: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if ae := readError(err, limit); ae.status == http.StatusRequestEntityTooLarge {
				return nil, ae
			}
			return nil, errorf(http.StatusBadRequest, "malformed multipart body: %v", err)
		}
		name := part.FormName()
		switch name {
		case "image", "mask":
			data, err := io.ReadAll(part)
			if err != nil {
				return nil, readError(err, limit)
			}
			dst := &up.image
			if name == "mask" {
				dst = &up.mask
			}
			if *dst != nil {
				return nil, errorf(http.StatusBadRequest, "more than one %q field", name)
			}
			*dst = data
		case "model", "tta", "format":
			data, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, readError(err, limit)
			}
			if len(data) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "field %q is longer than %d bytes", name, maxFieldBytes)
			}
			v := strings.TrimSpace(string(data))
			switch name {
			case "model":
				up.model = v
			case "tta":
				up.tta = v
			case "format":
				up.format = v
			}
		default:
			// Unknown fields are ignored (but count toward the limit).
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, readError(err, limit)
			}
		}
		part.Close()
	}
	if up.image == nil {
		return nil, errorf(http.StatusBadRequest, "no \"image\" field in the form")
	}
	return up, nil
}

// readError maps a body read error: over the limit is 413, anything else
// (a truncated or malformed body) is 400.
func readError(err error, limit int64) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "upload is larger than the limit of %d bytes", limit)
	}
	return errorf(http.StatusBadRequest, "reading request body: %v", err)
}

// parseJob validates the fields and decodes the image and mask, checking
// the pixel limit before decoding either.
func (s *Server) parseJob(up *upload) (Job, string, error) {
	var job Job
	if up.model != "" {
		models := s.restorer.Models()
		names := make([]string, len(models))
		found := false
		for i, m := range models {
			names[i] = m.Name
			found = found || m.Name == up.model
		}
		if !found {
			return job, "", errorf(http.StatusBadRequest, "unknown model %q; valid models: %s", up.model, strings.Join(names, ", "))
		}
		job.Model = up.model
	}
	switch up.tta {
	case "", "0":
	case "1", "2", "4", "8":
		job.TTA, _ = strconv.Atoi(up.tta)
	default:
		return job, "", errorf(http.StatusBadRequest, "tta %q: want 1, 2, 4 or 8", up.tta)
	}
	format := strings.ToLower(up.format)
	switch format {
	case outAuto, outPNG, outTIFF, outGeoTIFF:
	default:
		return job, "", errorf(http.StatusBadRequest, "format %q: want png, tiff or geotiff", up.format)
	}

	h, err := readHeader("image", up.image)
	if err != nil {
		return job, "", err
	}
	if err := checkPixels("image", h, s.cfg.MaxPixels); err != nil {
		return job, "", err
	}
	if format == outGeoTIFF && !h.geo {
		return job, "", errorf(http.StatusBadRequest, "format=geotiff needs a GeoTIFF upload; this image is a %s without georeferencing", strings.ToUpper(h.format))
	}
	if up.mask != nil {
		// The mask must match the image, whose size passed the limit: so
		// the mask's does too, and is checked before decoding either.
		mask, err := decodeMask(up.mask, h.width, h.height)
		if err != nil {
			return job, "", err
		}
		job.Mask = mask
	}
	img, err := decodeRGB("image", up.image, h)
	if err != nil {
		return job, "", err
	}
	job.Image = img
	if h.geo {
		job.GeoTIFF = up.image
	}
	return job, format, nil
}

// restoreFailed answers a job that did not produce an output.
func (s *Server) restoreFailed(w http.ResponseWriter, r *http.Request, ctx context.Context, err error) {
	switch {
	case s.stopping.Load() && r.Context().Err() != nil:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "server shut down before the restore finished")
	case r.Context().Err() != nil:
		// The client went away: nobody to answer. Record it as 499.
		if rec, ok := w.(*statusRecorder); ok {
			rec.clientGone = true
		}
		s.log.Info("client went away; job cancelled", "path", r.URL.Path, "err", err)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "restore timed out after %v", s.cfg.RequestTimeout)
	case errors.Is(err, ErrInvalidJob):
		writeError(w, http.StatusBadRequest, "%v", err)
	default:
		s.log.Error("restore failed", "err", err)
		writeError(w, http.StatusInternalServerError, "restore failed: %v", err)
	}
}

// writeOutput encodes the restored image in the format asked for.
func (s *Server) writeOutput(w http.ResponseWriter, job Job, format string, out Output, wait, restore time.Duration) error {
	want := job.Image.Bounds()
	if out.Image == nil || out.Image.Bounds().Size() != want.Size() {
		got := image.Rectangle{}
		if out.Image != nil {
			got = out.Image.Bounds()
		}
		return errorf(http.StatusInternalServerError, "restorer returned a %d×%d image for a %d×%d input", got.Dx(), got.Dy(), want.Dx(), want.Dy())
	}
	var body []byte
	var err error
	ctype, ext := "image/png", "png"
	switch {
	case format == outGeoTIFF && out.GeoTIFF == nil:
		return errorf(http.StatusInternalServerError, "the restorer returned no GeoTIFF for this GeoTIFF input")
	case (format == outGeoTIFF || format == outTIFF || format == outAuto) && out.GeoTIFF != nil && job.GeoTIFF != nil:
		body, ctype, ext = out.GeoTIFF, "image/tiff", "tif"
	case format == outTIFF:
		body, err = encodeTIFF(out.Image)
		ctype, ext = "image/tiff", "tif"
	default:
		body, err = encodePNG(out.Image)
	}
	if err != nil {
		return errorf(http.StatusInternalServerError, "%v", err)
	}
	model := job.Model
	if model == "" {
		if ms := s.restorer.Models(); len(ms) > 0 {
			model = ms[0].Name
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Content-Disposition", fmt.Sprintf("inline; filename=\"restored.%s\"", ext))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Aerofill-Model", model)
	hd.Set("X-Aerofill-TTA", strconv.Itoa(job.TTA))
	hd.Set("X-Aerofill-Filled-Pixels", strconv.Itoa(out.FilledPixels))
	hd.Set("X-Aerofill-Duration-Ms", strconv.FormatInt(restore.Milliseconds(), 10))
	hd.Set("X-Aerofill-Queue-Ms", strconv.FormatInt(wait.Milliseconds(), 10))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return nil
}

// handleDecode decodes an upload to PNG, so the web page can show formats
// the browser cannot (TIFF). It takes an admission slot but no worker.
func (s *Server) handleDecode(w http.ResponseWriter, r *http.Request) {
	release, err := s.admit(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	defer release()
	up, err := s.readUpload(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	h, err := readHeader("image", up.image)
	if err == nil {
		err = checkPixels("image", h, s.cfg.MaxPixels)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	img, err := decodeRGB("image", up.image, h)
	if err != nil {
		writeErr(w, err)
		return
	}
	body, err := encodePNG(img)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "%v", err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Aerofill-Format", h.format)
	hd.Set("X-Aerofill-GeoTIFF", strconv.FormatBool(h.geo))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// writeErr writes err as a JSON error, with its status if it is an
// *apiError and 500 otherwise.
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	if errors.As(err, &ae) {
		writeError(w, ae.status, "%s", ae.msg)
		return
	}
	writeError(w, http.StatusInternalServerError, "%v", err)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"error": "encoding response"}`)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
