package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pressly/goose/v3"
)

// The foreign keys of the SQLite schema as 00001 wrote them, and as migration 9 makes them.
const (
	cascadeImmediate = "ON DELETE CASCADE"
	cascadeDeferred  = "ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
)

// sqliteGoMigrations are the SQLite migrations written in Go, beside the SQL files of
// migrations/sqlite.
//
// Migration 9 has SQLite check the foreign keys when a transaction commits rather than
// after each statement. An immediate check makes SQLite keep a statement journal, a copy of
// every page a multi-row INSERT changes, so that a failing row can undo its statement
// alone; every write here is undone whole on any failure, so the journal was pure cost
// (about a sixth of the writer's time during an ingest). Deferral changes no table's
// format, only the text of its definition, which SQLite lets a transaction rewrite in
// place, with the schema's version raised so that every connection reads the new text.
func sqliteGoMigrations() []*goose.Migration {
	return []*goose.Migration{goose.NewGoMigration(9,
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return rewriteTableDefinitions(ctx, tx, cascadeImmediate, cascadeDeferred)
		}},
		&goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
			return rewriteTableDefinitions(ctx, tx, cascadeDeferred, cascadeImmediate)
		}})}
}

// rewriteTableDefinitions replaces old with new in the definitions of the tables that hold
// old, in the schema of a SQLite database, and raises the schema's version.
func rewriteTableDefinitions(ctx context.Context, tx *sql.Tx, old, new string) error {
	var version int64
	if err := tx.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	steps := []struct {
		query string
		args  []any
	}{
		{`PRAGMA writable_schema = ON`, nil},
		// note: instr, not LIKE: a definition that holds new already holds old too, and
		// rewriting it again would repeat the words.
		{`UPDATE sqlite_schema SET sql = replace(sql, $1, $2)
			WHERE type = 'table' AND instr(sql, $1) > 0 AND instr(sql, $2) = 0`, []any{old, new}},
		{fmt.Sprintf(`PRAGMA schema_version = %d`, version+1), nil},
		{`PRAGMA writable_schema = OFF`, nil},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
			return fmt.Errorf("rewrite table definitions: %w", err)
		}
	}
	return nil
}
