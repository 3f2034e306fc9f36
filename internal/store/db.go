// Package store holds all SQL of Cairn, for SQLite and PostgreSQL: the connection pool,
// transactions, the schema and its embedded migrations, and the queries of every entity.
//
// Queries are written once for both dialects: placeholders are $1, $2, ... (the SQLite driver
// binds $N to the Nth argument, so no rebinding is needed), booleans are compared with the
// true/false literals, ids come back through INSERT ... RETURNING id, and upserts use
// ON CONFLICT. Column types are chosen so that the same Go types scan from both (see the
// header of migrations/*/00001_schema.sql).
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Dialect is the SQL dialect of a database.
type Dialect int

// The dialects Cairn runs on.
const (
	SQLite Dialect = iota + 1
	Postgres
)

func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// DB is a pool of connections to Cairn's database, whose schema [Open] brought up to date.
// It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	// group runs the write transactions of a SQLite database, one group at a time. SQLite has
	// a single writer anyway; queueing here instead of in SQLite's busy handler, which sleeps
	// and polls, keeps the write path busy, and lets transactions that queue share a commit.
	group *groupCommit
	// stmts holds the prepared batch INSERT statements of a SQLite database.
	stmts *stmtCache
	// ckpt checkpoints the write-ahead log of a SQLite file in the background.
	ckpt *checkpointer
	// deletions counts the deletions from the correlation index of a SQLite database (see
	// CorrelationDeletions).
	deletions *deletionCount
}

// committed is called after each commit of the SQLite writer.
func (db *DB) committed() {
	if db.ckpt != nil {
		db.ckpt.committed()
	}
	db.deletions.committed()
}

// Dialect returns the SQL dialect of the database.
func (db *DB) Dialect() Dialect { return db.dialect }

// SQL returns the underlying pool, for what the methods of DB do not cover.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes every connection of the pool.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	if db.stmts != nil {
		db.stmts.close()
	}
	if db.ckpt != nil {
		db.ckpt.close()
	}
	return db.sql.Close()
}

// ExecContext runs a statement outside any transaction.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, query, args...)
}

// QueryContext runs a query outside any transaction.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.sql.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query that returns at most one row, outside any transaction.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return db.sql.QueryRowContext(ctx, query, args...)
}

// Querier runs SQL; *DB, *Tx, *sql.DB and *sql.Tx all satisfy it, so a store function that
// takes a Querier works inside or outside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

//go:embed migrations
var migrations embed.FS

// Open connects to the database that url names and applies the migrations it lacks.
//
// A url that starts with postgres:// or postgresql:// names a PostgreSQL database (any
// connection string pgx accepts). Anything else names a SQLite database: a file path, the same
// path written sqlite://path (sqlite:///abs/path for an absolute one), or a file: URI. The file
// is created if missing. SQLite connections run in WAL mode with foreign keys on, synchronous
// NORMAL and a busy timeout, and their write transactions take the write lock at BEGIN, so that
// concurrent writers queue instead of failing; parameters already in the url are kept.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := open(url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("store: open %s database: %w", db.dialect, err)
	}
	if err := db.migrate(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("store: migrate %s database: %w", db.dialect, err)
	}
	return db, nil
}

func open(url string) (*DB, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		pool, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		// note: PostgreSQL allows 100 connections by default; 20 a process leaves room for a
		// few replicas and the operator's tools.
		pool.SetMaxOpenConns(20)
		pool.SetMaxIdleConns(20)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{sql: pool, dialect: Postgres}, nil
	}

	dsn, memory, err := sqliteDSN(url)
	if err != nil {
		return nil, err
	}
	if !memory {
		if err := registerWALVFS(); err != nil {
			return nil, err
		}
	}
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// WAL lets readers run beside the one writer; the writers queue on the write lock. Every
	// connection of an in-memory database is a database of its own, so it gets one.
	// note: a request may use two connections at once (events/view reads correlations in a
	// goroutine beside its content), so the pool is kept well above the cores.
	conns := max(32, 4*runtime.GOMAXPROCS(0))
	if memory {
		conns = 1
	}
	pool.SetMaxOpenConns(conns)
	pool.SetMaxIdleConns(conns)
	db := &DB{sql: pool, dialect: SQLite, deletions: &deletionCount{}}
	// note: preparing a statement for the cache takes a connection of its own, which an
	// in-memory database, a single connection, cannot give while a transaction holds it;
	// and an in-memory database has no log to checkpoint.
	if !memory {
		db.stmts = newStmtCache(pool)
		db.ckpt = newCheckpointer(pool)
	}
	// An in-memory database has one connection, which the writer cannot keep for itself.
	db.group = newGroupCommit(pool, db.stmts, !memory, db.committed, db.deletions)
	return db, nil
}

// sqliteParams are the modernc.org/sqlite connection parameters every connection gets unless
// the url sets them itself. A busy writer waits up to busy_timeout milliseconds for the lock
// before [DB.Tx] sees SQLITE_BUSY and retries.
var sqliteParams = [][2]string{
	{"_busy_timeout", "10000"},
	{"_foreign_keys", "on"},
	{"_journal_mode", "WAL"},
	{"_synchronous", "NORMAL"},
	{"_txlock", "immediate"},
}

// sqlitePragmas are set on every SQLite connection. Readers get a page cache of 8 MB: the
// operating system caches the file for all of them, and each of the pool's connections
// would otherwise keep a private copy of what it read (writerCacheKiB is the writer's).
// Temporary files (statement journals, sorts) stay in memory. The checkpointer copies the
// log into the database file a moment after commits (see checkpointer); the writer's own
// checkpoint, which holds up every write while it runs, waits for 100,000 pages (400 MB of
// log) rather than 1,000: under a stream of event adds, that checkpoint with its two waits
// for the disk at every 20,000 pages cost about 15 % of the ingest's throughput. When writes
// pause, the checkpointer's copy is complete and the next write starts the log again from
// its beginning, so the log reaches that size only under a sustained stream.
var sqlitePragmas = []string{"cache_size(-8192)", "temp_store(memory)", "wal_autocheckpoint(100000)"}

// writerCacheKiB is the page cache of the connection that runs SQLite's write transactions:
// 32 MB keeps the index pages a write touches in memory until the commit (SQLite's default
// of 2 MB spills them to the WAL mid-transaction).
const writerCacheKiB = 32768

// sqliteDSN turns a SQLite url into the driver's DSN and reports whether it names an
// in-memory database.
func sqliteDSN(url string) (dsn string, memory bool, err error) {
	path := url
	if rest, ok := strings.CutPrefix(url, "sqlite:"); ok {
		path = strings.TrimPrefix(rest, "//")
	}
	if path == "" {
		return "", false, fmt.Errorf("no SQLite database path in %q", url)
	}
	path, rawQuery, _ := strings.Cut(path, "?")
	query, err := neturl.ParseQuery(rawQuery)
	if err != nil {
		return "", false, fmt.Errorf("SQLite parameters of %q: %w", url, err)
	}
	for _, p := range sqliteParams {
		if !query.Has(p[0]) {
			query.Set(p[0], p[1])
		}
	}
	if !query.Has("_pragma") {
		for _, p := range sqlitePragmas {
			query.Add("_pragma", p)
		}
	}
	memory = path == ":memory:" || strings.HasPrefix(path, "file::memory:") ||
		query.Get("mode") == "memory"
	// A file database goes through the VFS that gathers the log's writes (see walVFS),
	// unless the url names a VFS of its own.
	if !memory && !query.Has("vfs") {
		query.Set("vfs", walVFS)
	}
	return path + "?" + query.Encode(), memory, nil
}

// migrate applies the embedded migrations of the database's dialect that it lacks, recording
// them in goose's own table. On PostgreSQL an advisory lock keeps replicas that start together
// from migrating at once.
func (db *DB) migrate(ctx context.Context) error {
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	} else {
		opts = append(opts, goose.WithGoMigrations(sqliteGoMigrations()...))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	provider, err := goose.NewProvider(dialect, db.sql, fsys, opts...)
	if err != nil {
		return err
	}
	// TODO: goose has no lock for SQLite, so two processes that open a new SQLite file at the
	// same moment may both run the first migration, and the loser's Open fails; it succeeds
	// when run again.
	results, err := provider.Up(ctx)
	for _, r := range results {
		if r.Error == nil {
			slog.InfoContext(ctx, "Applied database migration", "dialect", db.dialect.String(),
				"version", r.Source.Version, "duration", r.Duration)
		}
	}
	return err
}
