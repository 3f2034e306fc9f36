package correlate

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cairn-project/cairn/internal/store"
)

// TestOverCache checks what the readers of the index may keep of the over-correlating
// values: what one read found, the next knows; a deletion from the index, or another
// limit, forgets it; and what a read found while a deletion was under way is not kept.
func TestOverCache(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := NewOverCache(db)

	c.memo(20).Found([]int64{1, 2})
	m := c.memo(20)
	if !m.Known(1) || !m.Known(2) || m.Known(3) {
		t.Fatal("the next read does not know what the first found")
	}
	if c.memo(30).Known(1) {
		t.Error("another limit knows what was found under the first")
	}
	if c.memo(20).Known(1) {
		t.Error("the first limit still knows after another reset the cache")
	}

	c.memo(20).Found([]int64{1})
	during := c.memo(20)
	if err := store.DeleteCorrelations(ctx, db, []store.CorrelationRow{{ValueHash: 9, EventID: 1,
		AttributeID: 1}}); err != nil {
		t.Fatal(err)
	}
	if during.Known(1) || c.memo(20).Known(1) {
		t.Error("known after a deletion")
	}
	during.Found([]int64{5})
	if c.memo(20).Known(5) {
		t.Error("kept what a read that began before a deletion found")
	}

	var none *OverCache
	if none.memo(20) != nil {
		t.Error("no cache gives a memo")
	}
}
