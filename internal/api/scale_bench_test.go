package api

import (
	"bytes"
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
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/library"
	"github.com/cairn-project/cairn/internal/loadgen"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// BenchmarkScale measures the figures of the correlation and restSearch work on one
// dataset of MISP-shaped events from package loadgen (median 300 attributes an event, a
// long tail, 87 % unique values, objects and composite types), on SQLite, over HTTP:
//
//   - search-exact: attributes/restSearch of one existing value, 500 times;
//   - search-bulk: attributes/restSearch of 1,000 IPs (a quarter of them present), 20 times;
//   - related-100k: events/view of an event of 100,000 attributes, with its related events;
//   - storage: the correlation index's pages per attribute;
//   - export-json: attributes/restSearch of every attribute as JSON, with the heap's peak.
//
// The size is CAIRN_BENCH_ATTRIBUTES (default 10^6). Loading 10^7 attributes takes a
// while, so CAIRN_BENCH_DB may name a SQLite file that is kept: the first run fills it and
// later runs measure it again without loading (the generator is replayed, without writing,
// for the values to search). Each sub-benchmark runs a fixed number of requests; run with
//
//	CAIRN_BENCH_ATTRIBUTES=10000000 CAIRN_BENCH_DB=/var/tmp/cairn-1e7.db \
//	  go test ./internal/api -run '^$' -bench Scale -benchtime 1x -timeout 3h
func BenchmarkScale(b *testing.B) {
	n := int64(1_000_000)
	if s := os.Getenv("CAIRN_BENCH_ATTRIBUTES"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 200_000 {
			b.Fatalf("CAIRN_BENCH_ATTRIBUTES=%q: want a number of at least 200000", s)
		}
		n = int64(v)
	}
	path := os.Getenv("CAIRN_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "scale.db")
	}
	e := newScaleEnv(b, path)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

	ds := loadScale(b, e, client, n)
	b.Logf("dataset: %d attributes in %s", ds.attributes, path)

	b.Run("search-exact", func(b *testing.B) {
		var lat []time.Duration
		for i := 0; i < 500; i++ {
			v := ds.sample.Values[i%len(ds.sample.Values)]
			body := fmt.Sprintf(`{"returnFormat":"json","value":%q}`, v.Value)
			start := time.Now()
			out := scalePost(b, e, client, "/attributes/restSearch", body)
			lat = append(lat, time.Since(start))
			if !bytes.Contains(out, []byte(`"uuid"`)) {
				b.Fatalf("no attribute found for %s %q", v.Type, v.Value)
			}
		}
		reportLatency(b, lat)
	})

	b.Run("search-bulk-1000-ips", func(b *testing.B) {
		ips := make([]string, len(ds.sample.IPs))
		for i, v := range ds.sample.IPs {
			ips[i] = v.Value
		}
		raw, _ := json.Marshal(map[string]any{"returnFormat": "json", "value": ips})
		var lat []time.Duration
		for i := 0; i < 20; i++ {
			start := time.Now()
			out := scalePost(b, e, client, "/attributes/restSearch", string(raw))
			lat = append(lat, time.Since(start))
			if !bytes.Contains(out, []byte(`"uuid"`)) {
				b.Fatal("no attribute found for the 1,000 IPs")
			}
		}
		reportLatency(b, lat)
	})

	b.Run("related-100k", func(b *testing.B) {
		var lat []time.Duration
		var related int
		for i := 0; i < 5; i++ {
			start := time.Now()
			out := scaleGet(b, e, client, "/events/view/"+ds.hugeUUID)
			lat = append(lat, time.Since(start))
			var view struct {
				Event struct{ RelatedEvent []json.RawMessage }
			}
			if err := json.Unmarshal(out, &view); err != nil {
				b.Fatal(err)
			}
			related = len(view.Event.RelatedEvent)
		}
		if related == 0 {
			b.Fatal("the 100,000-attribute event has no related event")
		}
		reportLatency(b, lat)
		b.ReportMetric(float64(related), "related-events")
	})

	b.Run("storage", func(b *testing.B) {
		// The exact index, and the advanced one (CIDR and ssdeep side tables), each with its
		// indexes.
		var exact, advanced, rows int64
		ctx := context.Background()
		err := e.db.QueryRowContext(ctx, `SELECT SUM(pgsize) FROM dbstat
			WHERE name IN ('correlations', 'correlations_event')`).Scan(&exact)
		if err == nil {
			err = e.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pgsize), 0) FROM dbstat
				WHERE name LIKE 'correlation\_%' ESCAPE '\'
					AND name NOT LIKE 'correlation\_exclusions%' ESCAPE '\'`).Scan(&advanced)
		}
		if err == nil {
			err = e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlations`).Scan(&rows)
		}
		if err != nil {
			b.Fatal(err)
		}
		n := float64(ds.attributes)
		b.ReportMetric(float64(exact)/n, "bytes/attribute")
		b.ReportMetric(float64(advanced)/n, "advanced-bytes/attribute")
		b.ReportMetric(float64(rows)/n, "rows/attribute")
	})

	b.Run("export-json", func(b *testing.B) {
		runtime.GC()
		var peak, live, rss uint64
		const runs = 2
		start := time.Now()
		for range runs {
			stop := sampleHeaps(&peak, &live)
			stopRSS := sampleRSS(&rss)
			size := exportAll(b, e, client, "/attributes/restSearch", []byte(`{"returnFormat":"json"}`))
			stopRSS()
			stop()
			if size < ds.attributes*50 {
				b.Fatalf("%d bytes for %d attributes", size, ds.attributes)
			}
		}
		b.ReportMetric(float64(ds.attributes*runs)/time.Since(start).Seconds(), "attributes/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(live)/(1<<20), "peak-live-heap-MB")
		b.ReportMetric(float64(rss)/(1<<20), "process-peak-RSS-MB")
	})
}

// scaleDataset is what a BenchmarkScale run knows of its data.
type scaleDataset struct {
	attributes int64
	hugeUUID   string
	sample     loadgen.Sample
}

// loadScale writes the generated stream of n attributes with eight clients, the event of
// 100,000 attributes half-way, unless the database holds it already; it then only replays
// the generator for the sample of values. A database that holds part of the stream (a load
// that was cut short, or whose server refused an event) gets the events it lacks.
func loadScale(b *testing.B, e *testEnv, client *http.Client, n int64) scaleDataset {
	ctx := context.Background()
	var have int64
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	load := have != n
	resume := load && have > 0
	if resume {
		b.Logf("the database holds %d attributes, not %d: adding the events it lacks", have, n)
	}

	gen := loadgen.New(loadgen.Config{Seed: 1, TotalAttributes: n})
	var ds scaleDataset
	bodies := make(chan []byte, 16)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	if load {
		for range 8 {
			wg.Go(func() {
				for body := range bodies {
					if err := scaleAdd(e, client, body); err != nil {
						mu.Lock()
						failed = err
						mu.Unlock()
					}
				}
			})
		}
	}
	start := time.Now()
	for {
		var ev loadgen.Event
		var ok bool
		if ds.hugeUUID == "" && gen.Config().TotalAttributes-gen.Remaining() >= n/2 {
			ev, ok = gen.Huge(100_000)
			ds.hugeUUID = ev.UUID
		} else {
			ev, ok = gen.Next()
		}
		if !ok {
			break
		}
		if resume {
			var found int
			err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE uuid = $1`,
				ev.UUID).Scan(&found)
			if err != nil {
				b.Fatal(err)
			}
			if found > 0 {
				continue
			}
		}
		if load {
			body, err := ev.MarshalBody()
			if err != nil {
				b.Fatal(err)
			}
			bodies <- body
		}
	}
	close(bodies)
	wg.Wait()
	if failed != nil {
		b.Fatalf("loading: %v", failed)
	}
	if load {
		b.Logf("loaded %d attributes in %s", n, time.Since(start).Round(time.Second))
	}
	ds.attributes = n
	ds.sample = gen.Sample()
	return ds
}

func scaleAdd(e *testEnv, client *http.Client, body []byte) error {
	res, err := client.Do(benchRequest(e, "/events/add", body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		out, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return fmt.Errorf("events/add: status %d: %s", res.StatusCode, out)
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

func scalePost(b *testing.B, e *testEnv, client *http.Client, path, body string) []byte {
	return e.post(b, client, path, []byte(body))
}

func scaleGet(b *testing.B, e *testEnv, client *http.Client, path string) []byte {
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("Authorization", adminKey)
	req.Header.Set("Accept", "application/json")
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: status %d: %.300s", path, res.StatusCode, out)
	}
	return out
}

// reportLatency reports the median and 95th percentile of lat, in milliseconds.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	at := func(q float64) float64 {
		return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(0, "ns/op")
}

// newScaleEnv is newBenchEnv on the SQLite database at path, which may exist already, with
// the object templates of CAIRN_TEST_MISP_DATA when it is set.
func newScaleEnv(b *testing.B, path string) *testEnv {
	b.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path)
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
	// As cairn serve does: attributes stored before the advanced correlation index existed
	// join it once.
	if err := correlate.Backfill(ctx, db); err != nil {
		b.Fatal(err)
	}
	if dir := os.Getenv("CAIRN_TEST_MISP_DATA"); dir != "" {
		if _, err := library.LoadObjectTemplates(ctx, db, dir, library.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	// The server's errors go to the benchmark's output: a refused event says why.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	hs := httptest.NewServer(New(Deps{Config: cfg, DB: db, Auth: auth.New(db), Settings: st, Log: log}))
	b.Cleanup(hs.Close)
	return &testEnv{t: b, srv: hs, db: db, url: hs.URL}
}
