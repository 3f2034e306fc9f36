package api

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestRestSearchConcurrent runs many searches at once: each must finish. A search that
// held a connection while asking for another starved the connection pool and hung.
func TestRestSearchConcurrent(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "c.db"))
	for ev := 0; ev < 3; ev++ {
		var attrs []any
		for i := 0; i < 1500; i++ {
			attrs = append(attrs, map[string]any{"type": "ip-dst",
				"value": fmt.Sprintf("10.%d.%d.%d", ev, i/250, i%250)})
		}
		e.must(200, "POST", "/events/add", adminKey, map[string]any{"info": "many",
			"Attribute": attrs})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 24)
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := e.do("POST", "/attributes/restSearch", adminKey,
				map[string]any{"type": "ip-dst", "includeEventTags": 1})
			if res.Status != 200 || len(res.Raw) < 4500*50 {
				errs <- fmt.Sprintf("status %d, %d bytes", res.Status, len(res.Raw))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
