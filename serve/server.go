// Package serve is aerofill's HTTP server: a JSON/binary API that restores
// damaged aerial images and an embedded single-page web editor for painting
// damage masks and comparing results (what `aerofill serve` runs).
//
// It does the HTTP side only: upload limits, format sniffing and decoding,
// a bounded job queue, metrics and graceful shutdown. It does not restore
// anything itself: the restore engine comes in through the Restorer
// interface, so this package imports neither the engine nor the models.
//
// Routes:
//
//	POST /api/restore       restore an image (multipart form or raw image body)
//	POST /api/decode        decode an upload (e.g. a GeoTIFF) to PNG for display
//	GET  /api/models        models and classical fillers the restorer offers
//	GET  /api/version       server version and limits
//	GET  /api/openapi.json  the OpenAPI 3 description of this API
//	GET  /healthz           liveness (503 while shutting down)
//	GET  /metrics           Prometheus text exposition
//	GET  /                  the web editor
//
// Errors are JSON objects {"error": "..."} with a status code that says
// whose fault it was: 400 bad input, 413 too large, 415 unsupported type,
// 503 queue full (with Retry-After) or shutting down, 504 restore timed out,
// 500 restorer failure.
package serve

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// ModelInfo describes one way of restoring an image.
type ModelInfo struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // "model" (a network) or "filler" (classical)
	Description string `json:"description"`
}

// Job is one restore request, decoded and validated.
type Job struct {
	Image image.Image // decoded input, opaque 8-bit RGB (*image.RGBA)
	// Mask marks damaged pixels in white (255), same bounds as Image. Nil
	// means the restorer finds the damage itself (black or nodata pixels).
	Mask  *image.Gray
	Model string // one of Models()' names; "" means the restorer's default
	TTA   int    // test-time augmentation passes: 0 (default), 1, 2, 4 or 8
	// GeoTIFF holds the uploaded bytes when the upload was a GeoTIFF, so
	// the restorer can return a GeoTIFF with the georeferencing kept.
	GeoTIFF []byte
}

// Output is a restored image. GeoTIFF, if non-nil, is the restored image
// encoded as a GeoTIFF with the input's georeferencing; the server sends it
// when the client accepts TIFF. FilledPixels counts the pixels changed.
type Output struct {
	Image        image.Image
	GeoTIFF      []byte
	FilledPixels int
}

// Restorer restores images. Restore must return promptly once ctx is done
// (the client went away, the request timed out or the server is stopping),
// with an error wrapping ctx.Err(). It is called from up to Config.Workers
// goroutines at once.
type Restorer interface {
	// Models lists the available models and fillers; the first is the
	// default, used when a job names none.
	Models() []ModelInfo
	Restore(ctx context.Context, job Job) (Output, error)
}

// ErrInvalidJob may be wrapped by a Restorer's error to say that the job,
// not the restorer, is at fault; the client then gets 400 and the message.
var ErrInvalidJob = errors.New("serve: invalid job")

// Config sets the server's address and limits. Zero fields take the
// defaults given in their comments.
type Config struct {
	Addr           string        // listen address; "127.0.0.1:8080"
	Workers        int           // restores running at once; 1
	QueueSize      int           // requests waiting for a worker before 503; 8
	MaxUploadBytes int64         // request body limit; 256 MiB
	MaxPixels      int           // width×height limit, checked before decoding; 64 Mpx
	RequestTimeout time.Duration // whole-request limit; 5 minutes; negative: none
	// ShutdownTimeout bounds how long ListenAndServe waits for running
	// requests after its context is cancelled; 30 seconds.
	ShutdownTimeout time.Duration
	Version         string       // reported by /api/version; "dev"
	Logger          *slog.Logger // request and lifecycle logs; slog.Default()
}

// Default limits.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultWorkers         = 1
	DefaultQueueSize       = 8
	DefaultMaxUploadBytes  = 256 << 20
	DefaultMaxPixels       = 64 << 20
	DefaultRequestTimeout  = 5 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.QueueSize < 0 {
		c.QueueSize = 0
	} else if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.MaxUploadBytes <= 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.MaxPixels <= 0 {
		c.MaxPixels = DefaultMaxPixels
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Server is the aerofill HTTP handler. Create it with New; serve it with
// ListenAndServe, Serve, or any http.Server (it is an http.Handler).
type Server struct {
	restorer Restorer
	cfg      Config
	log      *slog.Logger
	routes   map[string]route
	static   http.Handler
	pool     *pool
	metrics  *metrics
	stopping atomic.Bool
}

// route maps methods to handlers for one path; name labels its metrics.
type route struct {
	name    string
	methods map[string]http.HandlerFunc
}

//go:embed web
var webFS embed.FS

//go:embed openapi.json
var openAPI []byte

// New returns a server that restores with r. A QueueSize below zero in cfg
// means no queue: a request that finds every worker busy gets 503 at once.
func New(r Restorer, cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{
		restorer: r,
		cfg:      cfg,
		log:      cfg.Logger,
		pool:     newPool(cfg.Workers, cfg.QueueSize),
	}
	s.metrics = newMetrics(s.pool)
	web, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	s.static = http.FileServerFS(web)
	get := func(h http.HandlerFunc) map[string]http.HandlerFunc {
		return map[string]http.HandlerFunc{http.MethodGet: h, http.MethodHead: h}
	}
	s.routes = map[string]route{
		"/api/restore":      {"/api/restore", map[string]http.HandlerFunc{http.MethodPost: s.handleRestore}},
		"/api/decode":       {"/api/decode", map[string]http.HandlerFunc{http.MethodPost: s.handleDecode}},
		"/api/models":       {"/api/models", get(s.handleModels)},
		"/api/version":      {"/api/version", get(s.handleVersion)},
		"/api/openapi.json": {"/api/openapi.json", get(s.handleOpenAPI)},
		"/healthz":          {"/healthz", get(s.handleHealth)},
		"/metrics":          {"/metrics", get(s.handleMetrics)},
	}
	return s
}

// ServeHTTP routes the request, answering 404 and 405 as JSON, and records
// its status and latency in the metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	name := s.serve(rec, r)
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if rec.clientGone {
		status = statusClientClosed
	}
	d := time.Since(start)
	s.metrics.observeRequest(name, status, d)
	if name != "/metrics" && name != "/healthz" {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.Duration("duration", d),
			slog.String("remote", r.RemoteAddr))
	}
}

// serve dispatches r and returns the route name for metrics.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) string {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	rt, ok := s.routes[r.URL.Path]
	if !ok {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, http.StatusNotFound, "no such API endpoint: %s", r.URL.Path)
			return "other"
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, "method %s not allowed for %s", r.Method, r.URL.Path)
			return "static"
		}
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'")
		s.static.ServeHTTP(w, r)
		return "static"
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		allow := make([]string, 0, len(rt.methods))
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			if rt.methods[m] != nil {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method %s not allowed for %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
		return rt.name
	}
	h(w, r)
	return rt.name
}

// ListenAndServe listens on cfg.Addr and serves until ctx is cancelled,
// then shuts down gracefully: it stops accepting connections, lets running
// requests finish for up to cfg.ShutdownTimeout, then cancels the jobs still
// running and closes the remaining connections. It returns nil after a
// shutdown caused by ctx, or the error that stopped it.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener, which it closes.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	// Jobs get a context that outlives ctx by the shutdown grace period:
	// cancelling ctx must not abort the requests we promise to finish.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large uploads over slow links
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return jobCtx },
	}
	if s.cfg.RequestTimeout > 0 {
		hs.WriteTimeout = s.cfg.RequestTimeout + 30*time.Second
	}
	s.log.Info("serving", "addr", "http://"+ln.Addr().String(), "workers", s.cfg.Workers,
		"queue", s.cfg.QueueSize, "version", s.cfg.Version)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Warn("shutdown grace period over; cancelling running jobs", "err", err)
		cancelJobs()
		hs.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", serr)
	}
	return nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	models := s.restorer.Models()
	def := ""
	if len(models) > 0 {
		def = models[0].Name
	}
	if models == nil {
		models = []ModelInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"default": def, "models": models, "tta": []int{1, 2, 4, 8}})
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"version": s.cfg.Version,
		"go":      runtime.Version(),
		"limits": map[string]any{
			"maxUploadBytes":   s.cfg.MaxUploadBytes,
			"maxPixels":        s.cfg.MaxPixels,
			"workers":          s.cfg.Workers,
			"queueSize":        s.cfg.QueueSize,
			"requestTimeoutMs": s.cfg.RequestTimeout.Milliseconds(),
		},
	})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() {
		writeError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, s.cfg.Version)
}

// statusClientClosed is recorded (never sent) when the client went away
// before the response: nginx's 499.
const statusClientClosed = 499

// statusRecorder remembers the status code for metrics and logs.
type statusRecorder struct {
	http.ResponseWriter
	status     int
	clientGone bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
