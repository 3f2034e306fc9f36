package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Tx is a database transaction, handed to the function given to [DB.Tx].
type Tx struct {
	tx      *sql.Tx
	dialect Dialect
	stmts   *stmtCache // the batch statements of a SQLite database; nil on PostgreSQL
	// detached says that the statements run under their context less its cancellation
	// (see statementCtx). The SQLite writer's transactions are detached.
	detached bool
	// deletions counts the deletions from the correlation index; nil on PostgreSQL.
	deletions *deletionCount
}

// statementCtx is the context a statement of the transaction runs under. In a detached
// transaction a context that has not ended yet loses its cancellation: for each statement
// under a cancellable context, the SQLite driver starts a goroutine that watches it, and
// database/sql another for each query's rows. On the writer, which runs a statement every
// few hundred rows, those goroutines competed with it for the two processors. The
// statement still fails at once if its context has ended already; one that ends while
// the statement runs lets it finish, and the transaction fails at its next statement.
func (tx *Tx) statementCtx(ctx context.Context) context.Context {
	if !tx.detached || ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// Dialect returns the SQL dialect of the transaction's database.
func (tx *Tx) Dialect() Dialect { return tx.dialect }

// ExecContext runs a statement in the transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(tx.statementCtx(ctx), query, args...)
}

// QueryContext runs a query in the transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(tx.statementCtx(ctx), query, args...)
}

// QueryRowContext runs a query that returns at most one row in the transaction.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(tx.statementCtx(ctx), query, args...)
}

// How often, and after how long, [DB.Tx] runs a transaction again that lost to another.
const (
	txAttempts   = 5
	txRetryDelay = 25 * time.Millisecond // doubled at each attempt, plus up to as much jitter
)

// Tx runs fn in one transaction. It commits when fn returns nil, and rolls back when fn returns
// an error or panics (the panic goes on). fn must use tx, never db: on SQLite a write through db
// would wait for the lock tx holds.
//
// When the transaction fails for contention (SQLite's SQLITE_BUSY or SQLITE_LOCKED, a
// PostgreSQL serialization failure or deadlock), Tx runs fn again in a new transaction, up to
// five times in all, so fn must not have effects outside the database. Tx returns fn's error
// unchanged, or the last contention error once the attempts are spent.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tx(ctx, fn)
		if err == nil || attempt == txAttempts || !retryable(err) {
			return err
		}

		delay := txRetryDelay << (attempt - 1)
		delay += rand.N(delay)
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
}

func (db *DB) tx(ctx context.Context, fn func(tx *Tx) error) error {
	if db.group != nil {
		return db.group.run(ctx, fn)
	}
	sqlTx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin transaction: %w", err)
	}
	// Rolls back on an error, a panic or runtime.Goexit (t.FailNow in a test); after a
	// commit, Rollback does nothing.
	defer sqlTx.Rollback()

	if err := fn(&Tx{tx: sqlTx, dialect: db.dialect, stmts: db.stmts}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit transaction: %w", err)
	}
	return nil
}

// SQLite's primary result codes for a lock held by another connection (BUSY) or by this one
// or a shared cache (LOCKED); the extended codes carry them in their low byte.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// retryable reports whether err is a transaction that lost to a concurrent one and may succeed
// if run again.
func retryable(err error) bool {
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code() & 0xff
		return code == sqliteBusy || code == sqliteLocked
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// serialization_failure, deadlock_detected
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}
