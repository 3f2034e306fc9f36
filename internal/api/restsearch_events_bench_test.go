package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkRestSearchExport exports every attribute of a SQLite database through
// restSearch, over HTTP, and reports the attributes written per second and the peak heap
// during an answer. The size is CAIRN_BENCH_ATTRIBUTES (default 100000), loaded as events
// of 10000 attributes with distinct values. Run with:
//
//	CAIRN_BENCH_ATTRIBUTES=1000000 go test ./internal/api -run '^$' \
//		-bench RestSearchExport -benchtime 3x -timeout 1h
func BenchmarkRestSearchExport(b *testing.B) {
	n := 100_000
	if s := os.Getenv("CAIRN_BENCH_ATTRIBUTES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("CAIRN_BENCH_ATTRIBUTES: %v", err)
		}
	}
	e := newBenchEnv(b)
	client := &http.Client{}
	const per = 10_000
	start := time.Now()
	for added := 0; added < n; added += per {
		e.post(b, client, "/events/add", distinctBenchEvent(added, min(per, n-added)))
	}
	b.Logf("loaded %d attributes in %s", n, time.Since(start).Round(time.Second))

	for _, c := range []struct{ name, path, body string }{
		{"attributes-json", "/attributes/restSearch", `{"returnFormat":"json"}`},
		{"attributes-csv", "/attributes/restSearch", `{"returnFormat":"csv"}`},
		{"events-json", "/events/restSearch", `{"returnFormat":"json"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			runtime.GC()
			base := heapBytes()
			var peak uint64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				stop := sampleHeap(&peak)
				size := exportAll(b, e, client, c.path, []byte(c.body))
				stop()
				if size < int64(n)*50 {
					b.Fatalf("%s: %d bytes for %d attributes", c.name, size, n)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "attributes/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(base)/(1<<20), "idle-heap-MB")
		})
	}
}

// distinctBenchEvent is benchEvent with values that no other event of the benchmark has:
// the attribute numbers start at first. Events that all share their values would measure
// the correlation of every event with every other instead of the export.
func distinctBenchEvent(first, n int) []byte {
	var ev map[string]map[string]any
	if err := json.Unmarshal(benchEvent(n), &ev); err != nil {
		panic(err)
	}
	for i, item := range ev["Event"]["Attribute"].([]any) {
		a := item.(map[string]any)
		k := first + i
		switch i % 5 {
		case 0:
			a["value"] = fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255)
		case 1:
			a["value"] = fmt.Sprintf("host-%d.bench.example", k)
		case 2:
			a["value"] = fmt.Sprintf("%032x", k)
		case 3:
			a["value"] = fmt.Sprintf("https://bench.example/path/%d", k)
		default:
			a["value"] = fmt.Sprintf("file%d.exe|%064x", k, k)
		}
	}
	body, _ := json.Marshal(ev)
	return body
}

// exportAll posts body to path and reads the answer to the end without keeping it,
// returning its size. The body is sent as it is, without a copy.
func exportAll(b *testing.B, e *testEnv, client *http.Client, path string, body []byte) int64 {
	res, err := client.Do(benchRequest(e, path, body))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	size, err := io.Copy(io.Discard, res.Body)
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("%s: status %d, %v", path, res.StatusCode, err)
	}
	return size
}

// benchRequest is a POST of the JSON body to path, as the site admin.
func benchRequest(e *testEnv, path string, body []byte) *http.Request {
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", adminKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	return req
}

// heapBytes returns the bytes of heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeapBytes returns the heap that the last garbage collection found live.
func liveHeapBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap records the largest heap seen into peak every 5 ms until stop is called.
func sampleHeap(peak *uint64) (stop func()) { return sampleHeaps(peak, new(uint64)) }

// sampleHeaps records every 5 ms the largest heap (garbage included) into peak and the
// largest live heap found by a collection into live, until stop is called.
func sampleHeaps(peak, live *uint64) (stop func()) {
	return sampleEvery(5*time.Millisecond, func() {
		*peak = max(*peak, heapBytes())
		*live = max(*live, liveHeapBytes())
	})
}

// sampleRSS records every 20 ms the largest resident size of the process (Linux's VmRSS)
// into peak, until stop is called. It counts the client's side too, so it bounds the
// server's from above.
func sampleRSS(peak *uint64) (stop func()) {
	return sampleEvery(20*time.Millisecond, func() {
		*peak = max(*peak, procStatus("VmRSS:"))
	})
}

// sampleEvery calls sample at once and then every d on a goroutine of its own, until stop
// is called; stop returns once the last call is over.
func sampleEvery(d time.Duration, sample func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
