package api

import (
	"io"
	"net/http"
	"path/filepath"
	"testing"
)

// BenchmarkGetVersion measures authenticated servers/getVersion over a real loopback
// listener with keep-alive connections, clients and server sharing the machine. Report
// requests per second with: go test ./internal/api -run '^$' -bench GetVersion -benchtime 5s
func BenchmarkGetVersion(b *testing.B) {
	e := newEnv(b, filepath.Join(b.TempDir(), "bench.db"))
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	url := e.url + "/servers/getVersion"

	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", adminKey)
		req.Header.Set("Accept", "application/json")
		for pb.Next() {
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
