package api

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkSustainedIngest measures events/add of many events of 300 attributes (the median
// size of real feeds) posted by concurrent clients over HTTP, on SQLite: 8 of them, and 32,
// as when many feeds and sync peers push at once. Run with:
//
//	go test ./internal/api -run '^$' -bench SustainedIngest -benchtime 400x
func BenchmarkSustainedIngest(b *testing.B) {
	for _, clients := range []int{8, 32} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { sustainedIngest(b, clients) })
	}
}

func sustainedIngest(b *testing.B, clients int) {
	const perEvent = 300
	e := newBenchEnv(b)
	// Every event needs fresh uuids. The bodies are made before the timer starts: making
	// them costs the clients about as much CPU as parsing them costs the server, and on a
	// small machine that would be measured as the server's.
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = benchEvent(perEvent)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	// A server that ingests without pause has the key's bcrypt check cached: the first
	// request pays it (about 60 ms, 2 % of a short run) before the timer starts.
	warm, _ := http.NewRequest("GET", e.url+"/servers/getVersion", nil)
	warm.Header.Set("Authorization", adminKey)
	if res, err := client.Do(warm); err != nil {
		b.Fatal(err)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	var next atomic.Int64
	// The heap the bodies take is not the server's.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			body := bodies[i]
			req, _ := http.NewRequest("POST", e.url+"/events/add", bytesReader(body))
			req.Header.Set("Authorization", adminKey)
			req.Header.Set("Accept", "application/json")
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			if res.StatusCode != 200 {
				out, _ := io.ReadAll(res.Body)
				res.Body.Close()
				b.Errorf("status %d: %.300s", res.StatusCode, out)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			var ms runtime.MemStats
			if i%50 == 0 {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	})
	b.ReportMetric(float64(b.N*perEvent)/b.Elapsed().Seconds(), "attrs/s")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MiB")
}

func bytesReader(b []byte) io.Reader { return &sliceReader{b: b} }

// sliceReader reads a byte slice; one per request, so that concurrent requests may share
// the slice.
type sliceReader struct {
	b []byte
	i int
}

func (r *sliceReader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.i:])
	r.i += n
	return n, nil
}
