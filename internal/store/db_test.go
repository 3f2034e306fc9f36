package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openTest opens the database at url and closes it when the test ends.
func openTest(t *testing.T, url string) *DB {
	t.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpen(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		want := SQLite
		if strings.HasPrefix(url, "postgres") {
			want = Postgres
		}
		if got := db.Dialect(); got != want {
			t.Errorf("Dialect() = %v, want %v", got, want)
		}
		if err := db.SQL().PingContext(context.Background()); err != nil {
			t.Error(err)
		}
	})
}

func TestOpenSQLiteForms(t *testing.T) {
	for _, form := range []string{"%s", "sqlite://%s", "file:%s", "file:%s?mode=rwc"} {
		t.Run(form, func(t *testing.T) {
			db := openTest(t, fmt.Sprintf(form, pgtest.SQLitePath(t)))
			var mode string
			if err := db.QueryRowContext(context.Background(), `PRAGMA journal_mode`).
				Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if mode != "wal" {
				t.Errorf("journal_mode = %q, want wal", mode)
			}
		})
	}
	t.Run("memory", func(t *testing.T) {
		db := openTest(t, ":memory:")
		var n int
		err := db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM threat_levels`).Scan(&n)
		if err != nil || n != 4 {
			t.Errorf("threat levels in memory: %d, %v; want 4", n, err)
		}
	})
}

func TestSQLiteDSN(t *testing.T) {
	const defaults = "_busy_timeout=10000&_foreign_keys=on&_journal_mode=WAL&" +
		"_pragma=cache_size%28-8192%29&_pragma=temp_store%28memory%29&" +
		"_pragma=wal_autocheckpoint%28100000%29&_synchronous=NORMAL&_txlock=immediate"
	const vfs = "&vfs=" + walVFS
	tests := []struct {
		url, want  string
		wantMemory bool
	}{
		{"cairn.db", "cairn.db?" + defaults + vfs, false},
		{"/var/lib/cairn/cairn.db", "/var/lib/cairn/cairn.db?" + defaults + vfs, false},
		{"sqlite://data/cairn.db", "data/cairn.db?" + defaults + vfs, false},
		{"sqlite:///var/lib/cairn.db", "/var/lib/cairn.db?" + defaults + vfs, false},
		{"file:cairn.db?cache=private", "file:cairn.db?" + defaults + vfs + "&cache=private", false},
		{"cairn.db?_busy_timeout=50", "cairn.db?" + strings.Replace(defaults, "10000", "50", 1) + vfs, false},
		{"cairn.db?vfs=unix-excl", "cairn.db?" + defaults + "&vfs=unix-excl", false},
		{":memory:", ":memory:?" + defaults, true},
		{"file::memory:", "file::memory:?" + defaults, true},
	}
	for _, tt := range tests {
		got, memory, err := sqliteDSN(tt.url)
		if err != nil {
			t.Errorf("sqliteDSN(%q): %v", tt.url, err)
			continue
		}
		// url.Values.Encode sorts the keys.
		want := sortQuery(tt.want)
		if got != want || memory != tt.wantMemory {
			t.Errorf("sqliteDSN(%q) = %q, %v; want %q, %v", tt.url, got, memory, want, tt.wantMemory)
		}
	}
	if _, _, err := sqliteDSN("sqlite://"); err == nil {
		t.Error(`sqliteDSN("sqlite://") succeeded, want an error`)
	}
}

func sortQuery(dsn string) string {
	path, query, _ := strings.Cut(dsn, "?")
	params := strings.Split(query, "&")
	for i := range params {
		for j := i + 1; j < len(params); j++ {
			if params[j] < params[i] {
				params[i], params[j] = params[j], params[i]
			}
		}
	}
	return path + "?" + strings.Join(params, "&")
}

func TestMigrationsTwice(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		first := openTest(t, url)
		version := func(db *DB) (n, max int64) {
			t.Helper()
			err := db.QueryRowContext(ctx,
				`SELECT COUNT(*), MAX(version_id) FROM goose_db_version`).Scan(&n, &max)
			if err != nil {
				t.Fatal(err)
			}
			return n, max
		}
		rows, max := version(first)
		first.Close()

		again := openTest(t, url)
		gotRows, gotMax := version(again)
		if gotRows != rows || gotMax != max {
			t.Errorf("after a second Open: %d rows up to version %d, want %d up to %d",
				gotRows, gotMax, rows, max)
		}
		if max < 1 {
			t.Errorf("schema version %d, want at least 1", max)
		}
	})
}

// TestSchemaSameInBothDialects checks that the two migration folders create the same tables
// with the same columns.
func TestSchemaSameInBothDialects(t *testing.T) {
	ctx := context.Background()
	lite := openTest(t, pgtest.SQLitePath(t))
	pg := openTest(t, pgtest.URL(t))

	columns := func(db *DB, query string) map[string][]string {
		t.Helper()
		rows, err := db.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[string][]string{}
		for rows.Next() {
			var table, column string
			if err := rows.Scan(&table, &column); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], column)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := columns(lite, `
		SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT IN ('sqlite_sequence', 'goose_db_version')
		ORDER BY m.name, c.cid`)
	want := columns(pg, `
		SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version'
		ORDER BY table_name, ordinal_position`)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SQLite schema differs from PostgreSQL's (-postgres +sqlite):\n%s", diff)
	}
	if len(got) < 50 {
		t.Errorf("%d tables, want the whole MISP data model", len(got))
	}
}

func TestThreatLevelsSeeded(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		rows, err := db.QueryContext(context.Background(),
			`SELECT id, name FROM threat_levels ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int64]string{}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				t.Fatal(err)
			}
			got[id] = name
		}
		want := map[int64]string{1: "High", 2: "Medium", 3: "Low", 4: "Undefined"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("threat levels (-want +got):\n%s", diff)
		}

		// The seed must not hold back the id sequence.
		var id int64
		err = db.QueryRowContext(context.Background(), `
			INSERT INTO threat_levels (name, form_description) VALUES ('Test', 'Test')
			RETURNING id`).Scan(&id)
		if err != nil || id != 5 {
			t.Errorf("next threat level id = %d, %v; want 5", id, err)
		}
	})
}

func TestTx(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		fn        func(tx *Tx) error // after it inserted the setting
		wantErr   error
		wantPanic bool
		wantRow   bool
	}{
		{"commit", func(*Tx) error { return nil }, nil, false, true},
		{"rollback on error", func(*Tx) error { return errBoom }, errBoom, false, false},
		{"rollback on panic", func(*Tx) error { panic("boom") }, nil, true, false},
	}
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var err error
				panicked := func() (panicked bool) {
					defer func() { panicked = recover() != nil }()
					err = db.Tx(ctx, func(tx *Tx) error {
						_, err := tx.ExecContext(ctx,
							`INSERT INTO admin_settings (name, value) VALUES ($1, '1')`, tt.name)
						if err != nil {
							return err
						}
						return tt.fn(tx)
					})
					return false
				}()
				if panicked != tt.wantPanic {
					t.Errorf("panicked = %v, want %v", panicked, tt.wantPanic)
				}
				if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
					t.Errorf("Tx() = %v, want %v", err, tt.wantErr)
				}
				var n int
				err = db.QueryRowContext(ctx,
					`SELECT COUNT(*) FROM admin_settings WHERE name = $1`, tt.name).Scan(&n)
				if err != nil {
					t.Fatal(err)
				}
				if got := n == 1; got != tt.wantRow {
					t.Errorf("row stored = %v, want %v", got, tt.wantRow)
				}
			})
		}
	})
}

// TestTxConcurrentWriters has writers race on one database: every transaction must land,
// whether it waits for the lock (PostgreSQL row locks, SQLite's busy timeout) or is retried.
func TestTxConcurrentWriters(t *testing.T) {
	const writers, writes = 4, 25
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		if _, err := db.ExecContext(ctx,
			`INSERT INTO admin_settings (name, value) VALUES ('counter', '0')`); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		errs := make(chan error, writers*writes)
		for range writers {
			wg.Go(func() {
				for range writes {
					errs <- db.Tx(ctx, incrementCounter)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}

		var got string
		err := db.QueryRowContext(ctx,
			`SELECT value FROM admin_settings WHERE name = 'counter'`).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint(writers * writes); got != want {
			t.Errorf("counter = %s, want %s: updates were lost", got, want)
		}
	})
}

// incrementCounter reads, then writes: the pattern that loses updates unless writers are
// serialised.
func incrementCounter(tx *Tx) error {
	ctx := context.Background()
	query := `SELECT CAST(value AS INTEGER) FROM admin_settings WHERE name = 'counter'`
	if tx.Dialect() == Postgres {
		query += ` FOR UPDATE` // SQLite's writers hold the database's write lock from BEGIN
	}
	var n int
	if err := tx.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx,
		`UPDATE admin_settings SET value = $1 WHERE name = 'counter'`, fmt.Sprint(n+1))
	return err
}

// TestTxRetriesBusySQLite takes SQLite's busy timeout away, so that a writer that meets a held
// write lock gets SQLITE_BUSY at BEGIN at once: Tx must retry it until the lock is free.
func TestTxRetriesBusySQLite(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t)+"?_busy_timeout=0")
	ctx := context.Background()

	locked, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error)
	go func() {
		holder <- db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings VALUES ('a', '1')`)
			close(locked)
			<-release
			return err
		})
	}()
	<-locked
	time.AfterFunc(60*time.Millisecond, func() { close(release) })

	calls := 0
	err := db.Tx(ctx, func(tx *Tx) error {
		calls++
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings VALUES ('b', '1')`)
		return err
	})
	if err != nil {
		t.Errorf("writer behind a held lock: %v", err)
	}
	if err := <-holder; err != nil {
		t.Errorf("writer holding the lock: %v", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times, want 1 (BEGIN is what waits)", calls)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "40001"}, true},
		{fmt.Errorf("store: commit transaction: %w", &pgconn.PgError{Code: "40P01"}), true},
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("database is locked"), false},
		{context.Canceled, false},
	}
	for _, tt := range tests {
		if got := retryable(tt.err); got != tt.want {
			t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestBooleans(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		_, err := db.ExecContext(ctx, `
			INSERT INTO roles (name, perm_add, perm_admin, perm_sync)
			VALUES ('both', $1, $2, true)`, true, false)
		if err != nil {
			t.Fatal(err)
		}

		var add, admin, sync, audit bool
		err = db.QueryRowContext(ctx, `
			SELECT perm_add, perm_admin, perm_sync, perm_audit FROM roles WHERE name = 'both'`).
			Scan(&add, &admin, &sync, &audit)
		if err != nil {
			t.Fatal(err)
		}
		got, want := []bool{add, admin, sync, audit}, []bool{true, false, true, false}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("perm_add, perm_admin, perm_sync, perm_audit (-want +got):\n%s", diff)
		}

		var n int
		err = db.QueryRowContext(ctx, `
			SELECT COUNT(*) FROM roles
			WHERE perm_add = true AND perm_admin = false AND perm_sync AND NOT perm_audit
				AND perm_add = $1`, true).Scan(&n)
		if err != nil || n != 1 {
			t.Errorf("rows matching true/false literals = %d, %v; want 1", n, err)
		}
	})
}

func TestPlaceholders(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		// Out of order, and $1 used twice.
		_, err := db.ExecContext(ctx,
			`INSERT INTO admin_settings (value, name) VALUES ($2, $1)`, "name", "value")
		if err != nil {
			t.Fatal(err)
		}
		var name, value string
		err = db.QueryRowContext(ctx, `
			SELECT name, value FROM admin_settings WHERE (name = $1 OR value = $1) AND value = $2`,
			"name", "value").Scan(&name, &value)
		if err != nil {
			t.Fatal(err)
		}
		if name != "name" || value != "value" {
			t.Errorf("got name %q, value %q; want name, value", name, value)
		}
	})
}

// TestEventChildrenCascade deletes an event and expects its children gone, and checks that an
// attribute value far beyond a btree entry's limit can be stored and found.
func TestEventChildrenCascade(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		db := openTest(t, url)
		ctx := context.Background()
		big := strings.Repeat("0123456789abcdef", 4096) // 64 KiB

		var eventID, attributeID int64
		err := db.Tx(ctx, func(tx *Tx) error {
			err := tx.QueryRowContext(ctx, `
				INSERT INTO events (org_id, orgc_id, user_id, date, info, uuid, analysis,
					sharing_group_id, threat_level_id)
				VALUES (1, 1, 1, '2024-10-21', 'test', $1, 0, 0, 4)
				RETURNING id`, "5f1c2b3a-0000-4000-8000-000000000001").Scan(&eventID)
			if err != nil {
				return err
			}
			err = tx.QueryRowContext(ctx, `
				INSERT INTO attributes (event_id, category, type, value1, value2, uuid,
					sharing_group_id)
				VALUES ($1, 'Other', 'text', $2, '', $3, 0)
				RETURNING id`, eventID, big, "5f1c2b3a-0000-4000-8000-000000000002").
				Scan(&attributeID)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `
				INSERT INTO sightings (attribute_id, event_id, org_id, date_sighting, uuid)
				VALUES ($1, $2, 1, 0, $3)`,
				attributeID, eventID, "5f1c2b3a-0000-4000-8000-000000000003")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		var found int64
		err = db.QueryRowContext(ctx, `SELECT id FROM attributes WHERE value1 = $1`, big).
			Scan(&found)
		if err != nil || found != attributeID {
			t.Errorf("attribute by its 64 KiB value: %d, %v; want %d", found, err, attributeID)
		}

		if _, err := db.ExecContext(ctx, `DELETE FROM events WHERE id = $1`, eventID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"attributes", "sightings"} {
			var n int
			err := db.QueryRowContext(ctx,
				`SELECT COUNT(*) FROM `+table+` WHERE event_id = $1`, eventID).Scan(&n)
			if err != nil || n != 0 {
				t.Errorf("%s left after the event was deleted: %d, %v", table, n, err)
			}
		}
	})
}

func TestSQLitePragmasApplied(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]int64{"cache_size": -8192, "temp_store": 2,
		"wal_autocheckpoint": 100000} {
		var got int64
		if err := db.QueryRowContext(context.Background(), "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %d, want %d", pragma, got, want)
		}
	}
}
