package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// Benchmarks of the event write and read paths over HTTP on SQLite. Run with:
//
//	go test ./internal/api -run '^$' -bench 'EventAdd|EventView' -benchtime 3x
//
// Each events/add iteration posts a new event whose attributes carry their own uuids, as
// PyMISP sends them; the answer (the whole stored event) is read to the end.

// newBenchEnv is newEnv with a request body limit large enough for big events.
func newBenchEnv(b *testing.B) *testEnv {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Opening the database logs the migrations through the default logger, and go test
	// prints its lines amid the benchmark's results.
	prev := slog.Default()
	slog.SetDefault(log)
	b.Cleanup(func() { slog.SetDefault(prev) })
	db, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	cfg := &config.Config{Listen: "127.0.0.1:0", BaseURL: "http://cairn.test",
		MaxBodyBytes: 1 << 30, LogLevel: "error",
		Admin: config.AdminBootstrap{Email: "admin@admin.test", Key: adminKey}}
	st := settings.New(db)
	if _, err := identity.Bootstrap(ctx, db, st, cfg.Admin); err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(New(Deps{Config: cfg, DB: db, Auth: auth.New(db), Settings: st, Log: log}))
	b.Cleanup(hs.Close)
	return &testEnv{t: b, srv: hs, db: db, url: hs.URL}
}

// benchEvent returns the JSON of an event with n distinct attributes of common types.
func benchEvent(n int) []byte {
	attrs := make([]map[string]any, n)
	for i := range attrs {
		attrs[i] = benchAttribute(i)
	}
	body, _ := json.Marshal(map[string]any{"Event": map[string]any{
		"info": fmt.Sprintf("benchmark event of %d attributes", n), "distribution": 1,
		"uuid": uuid.NewString(), "Attribute": attrs, "Tag": []any{map[string]any{"name": "tlp:green"}},
	}})
	return body
}

// benchAttribute returns attribute i of the benchmark events: its value depends on i only.
func benchAttribute(i int) map[string]any {
	a := map[string]any{"uuid": uuid.NewString(), "to_ids": i%2 == 0}
	switch i % 5 {
	case 0:
		a["type"], a["value"] = "ip-dst", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	case 1:
		a["type"], a["value"] = "domain", fmt.Sprintf("host-%d.bench.example", i)
	case 2:
		a["type"], a["value"] = "md5", fmt.Sprintf("%032x", i)
	case 3:
		a["type"], a["value"] = "url", fmt.Sprintf("https://bench.example/path/%d", i)
	default:
		a["type"], a["value"] = "filename|sha256", fmt.Sprintf("file%d.exe|%064x", i, i)
	}
	return a
}

func (e *testEnv) post(b *testing.B, client *http.Client, path string, body []byte) []byte {
	res, err := client.Do(benchRequest(e, path, body))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		b.Fatalf("status %d: %.300s", res.StatusCode, out)
	}
	return out
}

func benchmarkEventAdd(b *testing.B, n int) {
	e := newBenchEnv(b)
	client := &http.Client{}
	var peak, live uint64
	var bodyBytes int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// One body at a time, made with the timer stopped, and sent without a copy; the
		// answer (the whole stored event) is read and dropped as it arrives. The heap's
		// peak is then the server's plus this one body, which is reported beside it.
		b.StopTimer()
		body := benchEvent(n)
		bodyBytes = len(body)
		runtime.GC()
		stop := sampleHeaps(&peak, &live)
		b.StartTimer()
		exportAll(b, e, client, "/events/add", body)
		b.StopTimer()
		stop()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "attributes/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
	b.ReportMetric(float64(bodyBytes)/(1<<20), "body-MB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "process-peak-RSS-MB")
	}
}

// peakRSS returns the largest resident size the process has had (Linux's VmHWM), or 0 where
// it cannot be read. It counts the client's side too, so it bounds the server's from above.
func peakRSS() uint64 { return procStatus("VmHWM:") }

// procStatus returns the size that the line of /proc/self/status with this prefix gives, in
// bytes, or 0 where it cannot be read.
func procStatus(prefix string) uint64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, prefix); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func BenchmarkEventAdd10k(b *testing.B)  { benchmarkEventAdd(b, 10_000) }
func BenchmarkEventAdd100k(b *testing.B) { benchmarkEventAdd(b, 100_000) }

func BenchmarkEventView10k(b *testing.B) { benchmarkEventView(b, 10_000) }

// BenchmarkEventView1M views an event of 1,000,000 attributes (written as one events/add of
// 100,000 and nine attributes/add of 100,000 each). The attributes are streamed from the
// database as the answer is written: the heap's peak during the view stays that of a small
// event. Run with -benchtime 2x.
func BenchmarkEventView1M(b *testing.B) { benchmarkEventView(b, viewSize(1_000_000)) }

func viewSize(n int) int {
	if s := os.Getenv("CAIRN_BENCH_ATTRIBUTES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	return n
}

func benchmarkEventView(b *testing.B, n int) {
	e := newBenchEnv(b)
	client := &http.Client{}
	const part = 100_000
	out := e.post(b, client, "/events/add", benchEvent(min(n, part)))
	var added struct{ Event struct{ ID string } }
	if err := json.Unmarshal(out, &added); err != nil {
		b.Fatal(err)
	}
	for from := part; from < n; from += part {
		attrs := make([]map[string]any, 0, part)
		for i := from; i < min(from+part, n); i++ {
			attrs = append(attrs, benchAttribute(i))
		}
		body, _ := json.Marshal(attrs)
		exportAll(b, e, client, "/attributes/add/"+added.Event.ID, body)
	}
	out = nil
	runtime.GC()
	// The live heap before the views, and its largest value at the collections during them:
	// what the views hold, apart from what the loading left.
	base := liveHeapBytes()
	var peak, live uint64
	stop := sampleHeaps(&peak, &live)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", e.url+"/events/view/"+added.Event.ID, nil)
		req.Header.Set("Authorization", adminKey)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		size, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || size < int64(n)*100 {
			b.Fatalf("status %d, %d bytes", res.StatusCode, size)
		}
	}
	b.StopTimer()
	stop()
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "attributes/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
	b.ReportMetric(float64(live-min(base, live))/(1<<20), "view-live-heap-MB")
}
