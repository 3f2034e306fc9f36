package store

import (
	"cmp"
	"context"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

// memo is an OverCorrelationMemo that knows some hashes and records what it is told.
type memo struct {
	known map[int64]bool
	found []int64
}

func (m *memo) Known(h int64) bool   { return m.known[h] }
func (m *memo) Found(hashes []int64) { m.found = append(m.found, hashes...) }

// TestEventCorrelationCandidates reads the candidates of an event whose values are shared
// by no other row, by rows of another event, by rows of its own only, and by more rows than
// the limit; and with a memo that knows a hash over the limit already, and one that
// wrongly says so of a shared hash, which is then left out unread.
func TestEventCorrelationCandidates(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		const limit = 3
		// Event 1: attribute 10 alone with hash 100; 11 and 12 share 200 with event 2's
		// attribute 20; 13 and 14 share 300 inside the event; 15 has 400, which events 3
		// and 4 have too, over the limit.
		rows := []CorrelationRow{
			{100, 1, 10}, {200, 1, 11}, {200, 1, 12}, {300, 1, 13}, {300, 1, 14},
			{400, 1, 15}, {200, 2, 20}, {400, 3, 30}, {400, 3, 31}, {400, 4, 40},
		}
		if err := db.Tx(ctx, func(tx *Tx) error { return InsertCorrelations(ctx, tx, rows) }); err != nil {
			t.Fatal(err)
		}
		read := func(m *memo) []CorrelationPair {
			var over OverCorrelationMemo
			if m != nil {
				over = m
			}
			var pairs []CorrelationPair
			err := EventCorrelationCandidates(ctx, db, 1, limit, over, func(p CorrelationPair) error {
				pairs = append(pairs, p)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(pairs, func(a, b CorrelationPair) int {
				return cmp.Compare(a.Own.AttributeID, b.Own.AttributeID)
			})
			return pairs
		}
		shared := []CorrelationPair{
			{Own: CorrelationRow{200, 1, 11}, Other: CorrelationRow{200, 2, 20}},
			{Own: CorrelationRow{200, 1, 12}, Other: CorrelationRow{200, 2, 20}},
		}
		if diff := gocmp.Diff(shared, read(nil)); diff != "" {
			t.Errorf("without a memo (-want +got):\n%s", diff)
		}
		m := &memo{}
		if diff := gocmp.Diff(shared, read(m)); diff != "" {
			t.Errorf("with an empty memo (-want +got):\n%s", diff)
		}
		if diff := gocmp.Diff([]int64{400}, m.found); diff != "" {
			t.Errorf("found over the limit (-want +got):\n%s", diff)
		}
		m = &memo{known: map[int64]bool{400: true}}
		if diff := gocmp.Diff(shared, read(m)); diff != "" {
			t.Errorf("with 400 known (-want +got):\n%s", diff)
		}
		if len(m.found) != 0 {
			t.Errorf("found %v again", m.found)
		}
		if got := read(&memo{known: map[int64]bool{200: true}}); len(got) != 0 {
			t.Errorf("a hash the memo says is over was read: %v", got)
		}
	})
}

// TestCorrelationDeletions checks that the count of deletions from the correlation index
// moves when a transaction deletes rows and again at its commit, and when the pool deletes
// some; and that PostgreSQL, whose other replicas delete too, does not claim to count.
func TestCorrelationDeletions(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		n, ok := db.CorrelationDeletions()
		if db.Dialect() == Postgres {
			if ok {
				t.Fatal("PostgreSQL claims to count the deletions")
			}
			return
		}
		if !ok {
			t.Fatal("SQLite does not count the deletions")
		}
		rows := []CorrelationRow{{100, 1, 10}, {100, 2, 20}}
		if err := db.Tx(ctx, func(tx *Tx) error { return InsertCorrelations(ctx, tx, rows) }); err != nil {
			t.Fatal(err)
		}
		if now, _ := db.CorrelationDeletions(); now != n {
			t.Fatalf("an insertion moved the count from %d to %d", n, now)
		}
		var during uint64
		err := db.Tx(ctx, func(tx *Tx) error {
			if err := DeleteCorrelations(ctx, tx, rows[:1]); err != nil {
				return err
			}
			during, _ = db.CorrelationDeletions()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := db.CorrelationDeletions()
		if during == n || after == during {
			t.Errorf("count %d before, %d during the deletion, %d after its commit", n, during,
				after)
		}
		if err := DeleteEventCorrelations(ctx, db, 2); err != nil {
			t.Fatal(err)
		}
		if last, _ := db.CorrelationDeletions(); last == after {
			t.Errorf("a deletion by the pool left the count at %d", last)
		}
	})
}
