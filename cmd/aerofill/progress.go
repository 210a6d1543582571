package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress shows how far a long job is: a bar redrawn in place on a
// terminal, plain lines at every 10 % otherwise (logs, CI).
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	tty      bool
	start    time.Time
	lastTen  int
	lastDraw time.Time
	drawn    bool
}

func newProgress(w io.Writer, label string) *progress {
	tty := false
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progress{w: w, label: label, tty: tty, start: time.Now(), lastTen: -1}
}

func (p *progress) update(done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	eta := time.Duration(0)
	if done > 0 {
		eta = time.Duration(float64(elapsed) * float64(total-done) / float64(done)).Round(time.Second)
	}
	if p.tty {
		if time.Since(p.lastDraw) < 100*time.Millisecond && done < total {
			return
		}
		p.lastDraw = time.Now()
		const width = 30
		n := width * done / max(total, 1)
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d  %s elapsed, ETA %s ", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n),
			done, total, elapsed.Round(time.Second), eta)
		p.drawn = true
		return
	}
	if ten := 10 * done / max(total, 1); ten != p.lastTen {
		p.lastTen = ten
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%), %s elapsed, ETA %s\n", p.label, done, total, 100*done/max(total, 1), elapsed.Round(time.Second), eta)
	}
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
