package serve

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// metrics holds the counters behind /metrics, written in the Prometheus
// text exposition format (version 0.0.4) by hand: the format is a few
// lines of text and not worth a dependency.
type metrics struct {
	pool *pool

	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[string]*histogram // by route
	restore  histogram             // time inside Restore
	images   uint64
	pixels   uint64
}

type requestKey struct {
	route string
	code  int
}

// Histogram bucket upper bounds, in seconds: from a metrics scrape to a
// large scene on a slow model.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// histogram counts observations per bucket (not cumulative; made so when
// written).
type histogram struct {
	counts [16]uint64 // len(latencyBuckets)+1, the last for +Inf
	sum    float64
	n      uint64
}

func (h *histogram) observe(secs float64) {
	i, _ := slices.BinarySearch(latencyBuckets, secs)
	h.counts[i]++
	h.sum += secs
	h.n++
}

func newMetrics(p *pool) *metrics {
	return &metrics{pool: p, requests: map[requestKey]uint64{}, latency: map[string]*histogram{}}
}

func (m *metrics) observeRequest(route string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, code}]++
	h := m.latency[route]
	if h == nil {
		h = new(histogram)
		m.latency[route] = h
	}
	h.observe(d.Seconds())
}

func (m *metrics) observeRestore(d time.Duration, filled int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.restore.observe(d.Seconds())
	m.images++
	m.pixels += uint64(max(filled, 0))
}

// write writes every metric, sorted, so that scrapes are stable.
func (m *metrics) write(w io.Writer, version string) error {
	bw := bufio.NewWriter(w)
	m.mu.Lock()
	header := func(name, typ, help string) {
		fmt.Fprintf(bw, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}

	header("aerofill_http_requests_total", "counter", "HTTP requests served, by route and status code (499: client went away).")
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b requestKey) int {
		if c := strings.Compare(a.route, b.route); c != 0 {
			return c
		}
		return a.code - b.code
	})
	for _, k := range keys {
		fmt.Fprintf(bw, "aerofill_http_requests_total{route=%s,code=\"%d\"} %d\n", quote(k.route), k.code, m.requests[k])
	}

	header("aerofill_http_request_duration_seconds", "histogram", "HTTP request latency, by route.")
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		writeHistogram(bw, "aerofill_http_request_duration_seconds", "route="+quote(r)+",", m.latency[r])
	}

	header("aerofill_restore_duration_seconds", "histogram", "Time spent in the restorer per image.")
	writeHistogram(bw, "aerofill_restore_duration_seconds", "", &m.restore)

	header("aerofill_images_restored_total", "counter", "Images restored successfully.")
	fmt.Fprintf(bw, "aerofill_images_restored_total %d\n", m.images)
	header("aerofill_pixels_filled_total", "counter", "Pixels filled by the restorer.")
	fmt.Fprintf(bw, "aerofill_pixels_filled_total %d\n", m.pixels)
	m.mu.Unlock()

	header("aerofill_queue_length", "gauge", "Requests waiting for a worker.")
	fmt.Fprintf(bw, "aerofill_queue_length %d\n", m.pool.waiting.Load())
	header("aerofill_queue_capacity", "gauge", "Requests admitted at most (workers plus queue); beyond it the server answers 503.")
	fmt.Fprintf(bw, "aerofill_queue_capacity %d\n", cap(m.pool.slots))
	header("aerofill_workers_busy", "gauge", "Workers running a restore.")
	fmt.Fprintf(bw, "aerofill_workers_busy %d\n", m.pool.busy.Load())
	header("aerofill_workers", "gauge", "Workers, the restores that may run at once.")
	fmt.Fprintf(bw, "aerofill_workers %d\n", cap(m.pool.workers))
	header("aerofill_build_info", "gauge", "Version of the server; the value is always 1.")
	fmt.Fprintf(bw, "aerofill_build_info{version=%s,goversion=%s} 1\n", quote(version), quote(runtime.Version()))
	return bw.Flush()
}

func writeHistogram(w io.Writer, name, labels string, h *histogram) {
	var cum uint64
	for i, le := range latencyBuckets {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%sle=\"%s\"} %d\n", name, labels, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	cum += h.counts[len(latencyBuckets)]
	fmt.Fprintf(w, "%s_bucket{%sle=\"+Inf\"} %d\n", name, labels, cum)
	trimmed := strings.TrimSuffix(labels, ",")
	if trimmed != "" {
		trimmed = "{" + trimmed + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n", name, trimmed, strconv.FormatFloat(h.sum, 'g', -1, 64))
	fmt.Fprintf(w, "%s_count%s %d\n", name, trimmed, h.n)
}

// quote writes a label value with the escapes the text format defines:
// backslash, double quote and newline.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}
