package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Benchmarks of the correlation index on SQLite, over HTTP. Run with:
//
//	go test ./internal/api -run '^$' -bench RelatedEvents100k -benchtime 5x
//	go test ./internal/api -run '^$' -bench CorrelationStorage -benchtime 1x

// benchEventOf returns the JSON of an event with the benchmark attributes from to to.
func benchEventOf(info string, date time.Time, from, to int) []byte {
	attrs := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		attrs = append(attrs, benchAttribute(i))
	}
	body, _ := json.Marshal(map[string]any{"Event": map[string]any{
		"info": info, "distribution": 1, "uuid": uuid.NewString(),
		"date": date.Format(time.DateOnly), "Attribute": attrs}})
	return body
}

// BenchmarkRelatedEvents100k reads events/view of an event of 100,000 attributes, each of
// which correlates with one attribute of 2,000 other events of 50 attributes: as the site
// admin, as a user of another organisation (the access rules apply to both sides), and
// without correlations (includeEventCorrelations:0) for comparison.
func BenchmarkRelatedEvents100k(b *testing.B) {
	const n, others = 100_000, 2_000
	e := newBenchEnv(b)
	client := &http.Client{}
	per := n / others
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for k := range others {
		e.post(b, client, "/events/add", benchEventOf(fmt.Sprintf("other %d", k),
			day.AddDate(0, 0, k%365), k*per, (k+1)*per))
	}
	var added struct{ Event struct{ ID string } }
	if err := json.Unmarshal(e.post(b, client, "/events/add", benchEvent(n)), &added); err != nil {
		b.Fatal(err)
	}
	org := e.must(200, "POST", "/admin/organisations/add", adminKey,
		map[string]any{"name": "Bench Partner"}).Raw
	var o struct{ Organisation struct{ ID string } }
	_ = json.Unmarshal(org, &o)
	var u struct{ User struct{ Authkey string } }
	_ = json.Unmarshal(e.must(200, "POST", "/admin/users/add", adminKey, map[string]any{
		"email": "bench@partner.test", "org_id": o.Organisation.ID, "role_id": 3}).Raw, &u)

	path := "/events/view/" + added.Event.ID
	var view struct{ Event struct{ RelatedEvent []any } }
	if err := json.Unmarshal(e.must(200, "GET", path, adminKey, nil).Raw, &view); err != nil {
		b.Fatal(err)
	}
	if len(view.Event.RelatedEvent) != others {
		b.Fatalf("%d related events, want %d", len(view.Event.RelatedEvent), others)
	}
	get := func(b *testing.B, key, path string) {
		for range b.N {
			req, _ := http.NewRequest("GET", e.url+path, nil)
			req.Header.Set("Authorization", key)
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			size, _ := io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || size < n*100 {
				b.Fatalf("status %d, %d bytes", res.StatusCode, size)
			}
		}
	}
	b.Run("admin", func(b *testing.B) { get(b, adminKey, path) })
	b.Run("partner", func(b *testing.B) { get(b, u.User.Authkey, path) })
	b.Run("without", func(b *testing.B) { get(b, adminKey, path+"/includeEventCorrelations:0") })
}

// BenchmarkCorrelationStorage adds events of 10,000 attributes up to 10^5 and 10^6
// attributes (each event shares a tenth of its values with the one before) and reports the
// size of the correlation index, table and index pages together, per attribute.
func BenchmarkCorrelationStorage(b *testing.B) {
	for _, total := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(total), func(b *testing.B) {
			for range b.N {
				e := newBenchEnv(b)
				client := &http.Client{}
				const per = 10_000
				for k := 0; k*per < total; k++ {
					from := k * (per - per/10)
					e.post(b, client, "/events/add", benchEventOf(fmt.Sprintf("storage %d", k),
						time.Now(), from, from+per))
				}
				var bytes, rows, attrs int64
				ctx := context.Background()
				err := e.db.QueryRowContext(ctx, `SELECT SUM(pgsize) FROM dbstat
					WHERE name IN ('correlations', 'correlations_event')`).Scan(&bytes)
				if err == nil {
					err = e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlations`).Scan(&rows)
				}
				if err == nil {
					err = e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes`).Scan(&attrs)
				}
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(bytes)/float64(attrs), "bytes/attribute")
				b.ReportMetric(float64(rows)/float64(attrs), "rows/attribute")
			}
		})
	}
}
