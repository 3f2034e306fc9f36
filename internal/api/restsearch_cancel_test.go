package api

import (
	"context"
	"errors"
	"testing"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// TestSearchStopsWhenTheClientGoes checks that a search whose request ends (the client went
// away) stops reading: the rest of the chunk in hand is handed over, nothing after it, and
// the reader that ran ahead gives its connection back.
func TestSearchStopsWhenTheClientGoes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		const n = 6000 // six chunks
		e.must(200, "POST", "/events/add", adminKey, string(benchEvent(n)))

		// On SQLite the writer keeps a connection of its own.
		before := e.db.SQL().Stats().InUse
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		q := store.AttributeSearch{P: &search.Params{}, Visible: "true", SiteAdmin: true,
			Dialect: e.db.Dialect()}
		seen := 0
		err := store.SearchAttributes(ctx, e.db, q, func(*model.Attribute, *store.EventStub) error {
			seen++
			if seen == 10 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("search after the request ended: %v, want context.Canceled", err)
		}
		if seen > 1000 {
			t.Errorf("%d attributes handed over after the request ended at the 10th", seen)
		}
		if inUse := e.db.SQL().Stats().InUse; inUse != before {
			t.Errorf("%d connections in use after the search, %d before", inUse, before)
		}

		// Without the cancellation the same search hands over all of them.
		seen = 0
		err = store.SearchAttributes(context.Background(), e.db, q,
			func(*model.Attribute, *store.EventStub) error { seen++; return nil })
		if err != nil || seen != n {
			t.Fatalf("whole search: %d attributes, %v", seen, err)
		}
	})
}
