package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aerofill/aerofill/fill"
	"github.com/aerofill/aerofill/restore"
	"github.com/aerofill/aerofill/serve"
)

func init() {
	commands["serve"] = command{"HTTP API and web page for restoring images (localhost by default)", cmdServe}
}

const serveUsage = "aerofill serve [--addr HOST:PORT] [--model FILE]... [--workers N] [--queue N]"

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func cmdServe(args []string, stdout io.Writer) error {
	fs := newFlags("serve", serveUsage)
	addr := fs.String("addr", serve.DefaultAddr, "listen address (localhost unless told otherwise)")
	var models multiFlag
	fs.Var(&models, "model", "extra model checkpoint to offer (repeatable)")
	workers := fs.Int("workers", 1, "restores running at once")
	queue := fs.Int("queue", 8, "requests waiting for a worker before 503")
	maxMB := fs.Int64("max-upload-mb", 256, "request body limit in MiB")
	maxMP := fs.Int("max-megapixels", 64, "image size limit in megapixels, checked before decoding")
	timeout := fs.Duration("timeout", 5*time.Minute, "per-request time limit")
	threads := fs.Int("threads", 0, "threads to use (0 = all cores)")
	rest, err := parseFlags(fs, serveUsage, args, stdout)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("usage: %s", serveUsage)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	svc, err := newService(models)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv := serve.New(svc, serve.Config{Addr: *addr, Workers: *workers, QueueSize: *queue,
		MaxUploadBytes: *maxMB << 20, MaxPixels: *maxMP * 1_000_000, RequestTimeout: *timeout, Version: version,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	fmt.Fprintf(stdout, "aerofill serve: http://%s/ (Ctrl-C to stop)\n", *addr)
	return srv.ListenAndServe(ctx)
}

// service is the restore engine behind the HTTP server.
type service struct {
	infos   []serve.ModelInfo
	methods map[string]restore.Method
}

func newService(extra []string) (*service, error) {
	s := &service{methods: map[string]restore.Method{}}
	def, err := restore.Open("default")
	if err != nil {
		return nil, err
	}
	s.add("default", "model", "aerofill's default: "+def.Name(), def)
	for _, m := range extra {
		meth, err := restore.Open(m)
		if err != nil {
			return nil, err
		}
		s.add(filepath.Base(m), "model", "LaMa checkpoint "+m, meth)
	}
	for _, n := range fill.Names() {
		f, _ := fill.ByName(n)
		s.add(n, "filler", "classical filler: "+n, restore.Filler{F: f})
	}
	return s, nil
}

func (s *service) add(name, kind, desc string, m restore.Method) {
	s.infos = append(s.infos, serve.ModelInfo{Name: name, Kind: kind, Description: desc})
	s.methods[name] = m
}

func (s *service) Models() []serve.ModelInfo { return s.infos }

func (s *service) Restore(ctx context.Context, job serve.Job) (serve.Output, error) {
	name := job.Model
	if name == "" {
		name = s.infos[0].Name
	}
	m, ok := s.methods[name]
	if !ok {
		return serve.Output{}, fmt.Errorf("%w: unknown model %q", serve.ErrInvalidJob, name)
	}
	if job.TTA > 1 {
		m = restore.TTA{M: m, N: job.TTA}
	}
	if err := ctx.Err(); err != nil {
		return serve.Output{}, err
	}
	if job.GeoTIFF != nil {
		return s.restoreGeoTIFF(ctx, m, job)
	}
	x := restore.ImageTensor(job.Image)
	var mask = restore.BlackMask
	mt, holes := mask(x)
	if job.Mask != nil {
		mt, holes = restore.MaskTensor(job.Mask)
		if err := restore.CheckSizes(x, mt); err != nil {
			return serve.Output{}, fmt.Errorf("%w: %v", serve.ErrInvalidJob, err)
		}
	}
	y := x
	if holes > 0 {
		var err error
		if y, err = m.Restore(x, mt); err != nil {
			return serve.Output{}, err
		}
	}
	if err := ctx.Err(); err != nil {
		return serve.Output{}, err
	}
	return serve.Output{Image: restore.TensorImage(y, 0), FilledPixels: holes}, nil
}

// restoreGeoTIFF runs the scene pipeline on the uploaded file, so bands,
// sample type, nodata and georeferencing survive.
func (s *service) restoreGeoTIFF(ctx context.Context, m restore.Method, job serve.Job) (serve.Output, error) {
	dir, err := os.MkdirTemp("", "aerofill-serve-")
	if err != nil {
		return serve.Output{}, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.tif"), filepath.Join(dir, "out.tif")
	if err := os.WriteFile(in, job.GeoTIFF, 0o600); err != nil {
		return serve.Output{}, err
	}
	opt := restore.SceneOptions{Method: m}
	if job.Mask != nil {
		opt.Mask, opt.MaskPath = restore.MaskFile, filepath.Join(dir, "mask.png")
		f, err := os.Create(opt.MaskPath)
		if err != nil {
			return serve.Output{}, err
		}
		err = png.Encode(f, job.Mask)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return serve.Output{}, err
		}
	}
	st, err := restore.RestoreScene(ctx, in, out, opt)
	if errors.Is(err, restore.ErrNoDamage) {
		return serve.Output{Image: job.Image, GeoTIFF: job.GeoTIFF}, nil
	}
	if err != nil {
		return serve.Output{}, fmt.Errorf("%w: %v", serve.ErrInvalidJob, err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return serve.Output{}, err
	}
	var img image.Image
	if img, err = decodeImage(out); err != nil {
		return serve.Output{}, err
	}
	return serve.Output{Image: img, GeoTIFF: b, FilledPixels: int(st.Filled)}, nil
}
