package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSQLiteForeignKeysDeferred checks that migration 9 took effect on the connection that
// writes: an attribute may be inserted before its event within a transaction, which an
// immediate foreign key refuses, and a transaction that commits an orphan fails whole. It
// runs on a file, whose writer may be a connection that ran the migrations, and in memory,
// whose one connection ran them.
func TestSQLiteForeignKeysDeferred(t *testing.T) {
	for name, url := range map[string]string{"file": filepath.Join(t.TempDir(), "cairn.db"),
		"memory": ":memory:"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := openTest(t, url)
			var tables int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema
				WHERE type = 'table' AND instr(sql, $1) > 0`, cascadeDeferred).Scan(&tables)
			if err != nil || tables < 10 {
				t.Fatalf("%d tables with deferred foreign keys (%v)", tables, err)
			}
			var leftover int
			err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema
				WHERE type = 'table' AND instr(replace(sql, $1, ''), $2) > 0`,
				cascadeDeferred, cascadeImmediate).Scan(&leftover)
			if err != nil || leftover != 0 {
				t.Fatalf("%d tables with immediate foreign keys (%v)", leftover, err)
			}

			insertAttribute := func(tx *Tx, eventID int64, uuid string) error {
				_, err := tx.ExecContext(ctx, `
					INSERT INTO attributes (event_id, category, type, value1, value2, uuid,
						sharing_group_id)
					VALUES ($1, 'Other', 'text', 'v', '', $2, 0)`, eventID, uuid)
				return err
			}
			err = db.Tx(ctx, func(tx *Tx) error {
				if err := insertAttribute(tx, 1, "5f1c2b3a-0000-4000-8000-000000000001"); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `
					INSERT INTO events (id, org_id, orgc_id, user_id, date, info, uuid, analysis,
						sharing_group_id, threat_level_id)
					VALUES (1, 1, 1, 1, '2024-10-21', 'test', $1, 0, 0, 4)`,
					"5f1c2b3a-0000-4000-8000-0000000000ff")
				return err
			})
			if err != nil {
				t.Fatalf("attribute before its event: %v", err)
			}

			err = db.Tx(ctx, func(tx *Tx) error {
				return insertAttribute(tx, 2, "5f1c2b3a-0000-4000-8000-000000000002")
			})
			if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
				t.Fatalf("orphan attribute committed: %v", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes`).Scan(&n); err != nil || n != 1 {
				t.Fatalf("%d attributes stored, want 1 (%v)", n, err)
			}
		})
	}
}

// TestCheckpointer checks that commits on a SQLite file are checkpointed in the background:
// a moment after a commit, the database file itself holds its pages, which would
// otherwise wait in the log until it reached wal_autocheckpoint pages.
func TestCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cairn.db")
	db := openTest(t, path)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the checkpoints of the migrations' writes finish first.
	time.Sleep(2 * checkpointEvery)
	before, runs := size(), db.ckpt.runs.Load()
	// One commit: the first checkpoint that ends after it has the whole of it to copy.
	value := strings.Repeat("x", 64<<10)
	err := db.Tx(ctx, func(tx *Tx) error {
		for i := range 5 {
			_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings (name, value) VALUES ($1, $2)`,
				fmt.Sprint("setting-", i), value)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.ckpt.runs.Load() == runs {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint ran after the commits")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if grown := size() - before; grown < 256<<10 {
		t.Errorf("the database file grew by %d bytes after 320 KiB of commits", grown)
	}

	// The log was copied whole while no write ran: the next write starts it again from its
	// beginning, so that it holds that write's pages alone.
	err = db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE admin_settings SET value = 'y' WHERE name = 'setting-0'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var busy, logged, copied int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied)
	if err != nil {
		t.Fatal(err)
	}
	if logged > 20 {
		t.Errorf("the log holds %d pages after a one-row write; it did not start again", logged)
	}
}
