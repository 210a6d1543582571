package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)`)
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// parseMetrics checks text against the Prometheus text format 0.0.4 (line
// syntax, TYPE before samples, no duplicate series, histograms cumulative
// and ending in +Inf = _count) and returns series → value.
func parseMetrics(text []byte) (map[string]float64, error) {
	series := map[string]float64{}
	types := map[string]string{}
	helps := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			f := strings.SplitN(line, " ", 4)
			if len(f) < 3 || (f[1] != "HELP" && f[1] != "TYPE") || !metricName.MatchString(f[2]) {
				return nil, fmt.Errorf("line %d: bad comment %q", n, line)
			}
			if f[1] == "TYPE" {
				if len(f) != 4 || !strings.Contains(" counter gauge histogram summary untyped ", " "+f[3]+" ") {
					return nil, fmt.Errorf("line %d: bad TYPE %q", n, line)
				}
				if types[f[2]] != "" {
					return nil, fmt.Errorf("line %d: second TYPE for %s", n, f[2])
				}
				types[f[2]] = f[3]
			} else {
				helps[f[2]] = true
			}
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("line %d: bad sample %q", n, line)
		}
		name, labels, value := m[1], m[3], m[4]
		for rest := labels; rest != ""; {
			lm := labelPair.FindStringSubmatch(rest)
			if lm == nil {
				return nil, fmt.Errorf("line %d: bad labels %q", n, labels)
			}
			rest = rest[len(lm[0]):]
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad value %q", n, value)
		}
		family := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if f := strings.TrimSuffix(name, suf); f != name && types[f] == "histogram" {
				family = f
			}
		}
		if types[family] == "" || !helps[family] {
			return nil, fmt.Errorf("line %d: sample of %s before its TYPE and HELP", n, family)
		}
		if types[family] == "counter" && v < 0 {
			return nil, fmt.Errorf("line %d: negative counter", n)
		}
		key := name
		if m[2] != "" {
			key += m[2]
		}
		if _, dup := series[key]; dup {
			return nil, fmt.Errorf("line %d: duplicate series %s", n, key)
		}
		series[key] = v
	}
	// Histograms: buckets rise and end with +Inf equal to _count.
	for key, v := range series {
		i := strings.Index(key, "_bucket{")
		if i < 0 {
			continue
		}
		base, labels := key[:i], key[i+len("_bucket{"):len(key)-1]
		j := strings.LastIndex(labels, `le="`)
		if j < 0 {
			return nil, fmt.Errorf("%s: bucket without le", key)
		}
		le, err := strconv.ParseFloat(strings.TrimSuffix(labels[j+4:], `"`), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: bad le", key)
		}
		others := strings.TrimSuffix(labels[:j], ",")
		sel := ""
		if others != "" {
			sel = "{" + others + "}"
		}
		count, ok := series[base+"_count"+sel]
		if !ok {
			return nil, fmt.Errorf("%s: no %s_count%s", key, base, sel)
		}
		if math.IsInf(le, 1) && v != count {
			return nil, fmt.Errorf("%s = %v, _count = %v", key, v, count)
		}
		if v > count {
			return nil, fmt.Errorf("%s = %v exceeds _count %v", key, v, count)
		}
		for k2, v2 := range series {
			if i2 := strings.Index(k2, "_bucket{"); i2 >= 0 && k2[:i2] == base {
				l2 := k2[i2+len("_bucket{") : len(k2)-1]
				j2 := strings.LastIndex(l2, `le="`)
				le2, _ := strconv.ParseFloat(strings.TrimSuffix(l2[j2+4:], `"`), 64)
				if strings.TrimSuffix(l2[:j2], ",") == others && le2 < le && v2 > v {
					return nil, fmt.Errorf("buckets of %s%s not cumulative: le=%v has %v, le=%v has %v", base, sel, le2, v2, le, v)
				}
			}
		}
	}
	return series, sc.Err()
}

func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("metrics Content-Type %q", ct)
	}
	body, _ := io.ReadAll(resp.Body)
	m, err := parseMetrics(body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, body)
	}
	return m
}

func TestMetrics(t *testing.T) {
	_, ts := newServer(t, meanFill{}, Config{Version: "v0.1 \"quoted\"\\"})
	img := texture(20, 10)
	for i := 0; i < 3; i++ {
		body, ct := form(t, "image", pngBytes(t, img), "mask", pngBytes(t, rectMask(20, 10, image.Rect(2*i, 0, 2*i+2, 5))))
		resp := post(t, ts.URL+"/api/restore", ct, body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	post(t, ts.URL+"/api/restore", "text/plain", strings.NewReader("x"))
	http.Get(ts.URL + "/api/nope")
	m := scrape(t, ts.URL)
	want := map[string]float64{
		`aerofill_http_requests_total{route="/api/restore",code="200"}`:                 3,
		`aerofill_http_requests_total{route="/api/restore",code="415"}`:                 1,
		`aerofill_http_requests_total{route="other",code="404"}`:                        1,
		`aerofill_http_request_duration_seconds_count{route="/api/restore"}`:            4,
		`aerofill_http_request_duration_seconds_bucket{route="/api/restore",le="+Inf"}`: 4,
		`aerofill_restore_duration_seconds_count`:                                       3,
		`aerofill_images_restored_total`:                                                3,
		`aerofill_pixels_filled_total`:                                                  3 * 2 * 5,
		`aerofill_queue_length`:                                                         0,
		`aerofill_workers_busy`:                                                         0,
		`aerofill_workers`:                                                              1,
		`aerofill_queue_capacity`:                                                       9,
	}
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	if _, ok := m[`aerofill_build_info{version="v0.1 \"quoted\"\\",goversion="`+runtime.Version()+`"}`]; !ok {
		t.Errorf("build_info with escaped version missing")
	}
	// The scrape itself is counted by the next one.
	if m2 := scrape(t, ts.URL); m2[`aerofill_http_requests_total{route="/metrics",code="200"}`] != 1 {
		t.Errorf("metrics scrape not counted")
	}
}

func TestParseMetricsRejects(t *testing.T) {
	bad := []string{
		"aerofill_x 1\n", // no TYPE
		"# TYPE a counter\n# HELP a h\na{b=\"c} 1\n",
		"# TYPE a counter\n# HELP a h\na 1 2 3\n",
		"# TYPE a counter\n# HELP a h\na 1\na 2\n",
		"# TYPE h histogram\n# HELP h h\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
		"# TYPE h histogram\n# HELP h h\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n",
	}
	for _, text := range bad {
		if _, err := parseMetrics([]byte(text)); err == nil {
			t.Errorf("accepted %q", text)
		}
	}
}

func TestHistogramBuckets(t *testing.T) {
	var h histogram
	for _, s := range []float64{0, 0.005, 0.0051, 1, 299, 300, 301, 1e9} {
		h.observe(s)
	}
	// le=0.005 holds 0 and 0.005; 0.01 adds 0.0051; le=1 adds 1; le=300 adds 299, 300; +Inf the rest.
	want := map[int]uint64{0: 2, 1: 1, 7: 1, 14: 2, 15: 2}
	for i, c := range h.counts {
		if c != want[i] {
			t.Errorf("bucket %d (le %v) = %d, want %d", i, bucketLE(i), c, want[i])
		}
	}
	var buf bytes.Buffer
	writeHistogram(&buf, "x", "", &h)
	if !strings.Contains(buf.String(), "x_bucket{le=\"+Inf\"} 8\n") || !strings.Contains(buf.String(), "x_count 8\n") {
		t.Errorf("histogram text:\n%s", buf.String())
	}
}

func bucketLE(i int) float64 {
	if i < len(latencyBuckets) {
		return latencyBuckets[i]
	}
	return math.Inf(1)
}
