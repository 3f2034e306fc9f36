package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

// TestBatchWriterSizes writes batches of sizes around the full batch and between powers of
// two, so that every statement size of the cache runs, and checks that each row arrived
// once with what RETURNING gave back.
func TestBatchWriterSizes(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		total := 0
		for _, n := range []int{1, 2, 3, 7, 64, 127, 249, 250, 251, 517, 1000} {
			var returned []string
			err := db.Tx(ctx, func(tx *Tx) error {
				returned = returned[:0]
				w := newBatchWriter(tx, "admin_settings", "name, value", "RETURNING name",
					func(rows *sql.Rows) error {
						var name string
						if err := rows.Scan(&name); err != nil {
							return err
						}
						returned = append(returned, name)
						return nil
					})
				for i := range n {
					if err := w.add(ctx, fmt.Sprintf("batch-%d-%d", n, i), "v"); err != nil {
						return err
					}
				}
				return w.close(ctx)
			})
			if err != nil {
				t.Fatalf("%d rows: %v", n, err)
			}
			total += n
			if len(returned) != n {
				t.Errorf("%d rows: RETURNING gave %d", n, len(returned))
			}
			seen := map[string]bool{}
			for _, name := range returned {
				if seen[name] {
					t.Errorf("%d rows: %s returned twice", n, name)
				}
				seen[name] = true
			}
		}
		var stored int
		err := db.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM admin_settings WHERE name LIKE 'batch-%'`).Scan(&stored)
		if err != nil {
			t.Fatal(err)
		}
		if stored != total {
			t.Errorf("%d rows stored, want %d", stored, total)
		}
	})
}
