package serve_test

import (
	"context"
	"fmt"
	"image"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/aerofill/aerofill/serve"
)

// gray is a stand-in restorer: it paints damaged pixels mid-gray. The CLI's
// restorer adapts the restore engine in the same shape.
type gray struct{}

func (gray) Models() []serve.ModelInfo {
	return []serve.ModelInfo{{Name: "gray", Kind: "filler", Description: "Paints holes gray."}}
}

func (gray) Restore(ctx context.Context, job serve.Job) (serve.Output, error) {
	src := job.Image.(*image.RGBA)
	out := image.NewRGBA(src.Rect)
	copy(out.Pix, src.Pix)
	n := 0
	for i := 0; i < len(out.Pix); i += 4 {
		damaged := out.Pix[i]|out.Pix[i+1]|out.Pix[i+2] == 0
		if job.Mask != nil {
			damaged = job.Mask.Pix[i/4] != 0
		}
		if damaged {
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = 128, 128, 128
			n++
		}
	}
	return serve.Output{Image: out, FilledPixels: n}, ctx.Err()
}

// A command wires a Restorer into a server and serves until interrupted:
//
//	s := serve.New(restorer, serve.Config{Addr: *addr, Workers: *workers, Version: version})
//	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
//	defer stop()
//	return s.ListenAndServe(ctx)
//
// Here the server runs under httptest instead.
func ExampleNew() {
	s := serve.New(gray{}, serve.Config{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewServer(s)
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/api/models")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Print(string(body))
	// Output:
	// {
	//   "default": "gray",
	//   "models": [
	//     {
	//       "name": "gray",
	//       "kind": "filler",
	//       "description": "Paints holes gray."
	//     }
	//   ],
	//   "tta": [
	//     1,
	//     2,
	//     4,
	//     8
	//   ]
	// }
}
