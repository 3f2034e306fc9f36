package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// groupCommit runs the write transactions of one SQLite database, several at a time in one
// SQLite transaction.
//
// SQLite has one writer, and most of the cost of a small write transaction is its commit:
// every page it dirtied is written to the WAL, and a stream of events with random UUIDs and
// values dirties hundreds of index pages each. Transactions that queue while another commits
// therefore run together in one SQLite transaction, and one commit covers them all; when one
// of them fails, each runs again alone (see commit), so that each still succeeds or fails
// alone. A caller's Tx returns only after the commit that holds its writes, so what it
// reports is durable as before.
//
// Transactions of a group run one after another on the group's goroutine, in the order they
// came; each sees the writes of those before it in the group, as it would have after their
// commits.
type groupCommit struct {
	db    *sql.DB
	stmts *stmtCache
	// own says the group keeps a connection of the pool for its transactions, conn, taken
	// at the first and given a page cache of writerCacheKiB; without it each transaction
	// takes any connection.
	own  bool
	conn *sql.Conn
	// onCommit is called after each commit that succeeded.
	onCommit func()
	// deletions is given to each transaction (see Tx.deletions).
	deletions *deletionCount
	queue     chan *txRequest
	stop      chan struct{}
	once      sync.Once
}

// maxGroup bounds the transactions one commit covers, so that the first of a group does not
// wait for a long queue behind it.
const maxGroup = 32

type txRequest struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan txResult
}

type txResult struct {
	err error
	// panicked carries a panic of fn to its caller's goroutine, which panics again with it.
	panicked any
}

var errClosed = errors.New("store: database closed")

func newGroupCommit(db *sql.DB, stmts *stmtCache, own bool, onCommit func(),
	deletions *deletionCount) *groupCommit {
	g := &groupCommit{db: db, stmts: stmts, own: own, onCommit: onCommit, deletions: deletions,
		queue: make(chan *txRequest, maxGroup), stop: make(chan struct{})}
	go g.loop()
	return g
}

// close stops the group's goroutine; transactions still queued fail.
//
// note: the writer's connection goes back to the pool when the group's goroutine ends, and
// closing the pool closes it.
func (g *groupCommit) close() { g.once.Do(func() { close(g.stop) }) }

// begin starts a transaction on the writer's connection, taking one first if the group has
// none (or lost the one it had). Without a connection of its own, the group takes one of
// the pool for each transaction and gives it back in end.
func (g *groupCommit) begin() (*sql.Tx, error) {
	ctx := context.Background()
	for attempt := 0; ; attempt++ {
		if g.conn == nil {
			conn, err := g.db.Conn(ctx)
			if err != nil {
				return nil, err
			}
			if g.own {
				pragma := fmt.Sprintf("PRAGMA cache_size = -%d", writerCacheKiB)
				if _, err := conn.ExecContext(ctx, pragma); err != nil {
					conn.Close()
					return nil, err
				}
			}
			g.conn = conn
		}
		tx, err := g.conn.BeginTx(ctx, nil)
		if err == nil || attempt > 0 {
			if err != nil && !g.own {
				g.release()
			}
			return tx, err
		}
		// The connection may be broken: give it back and take another once.
		g.release()
	}
}

// commitTx commits sqlTx and ends it. SQLite refuses a COMMIT while a deferred foreign key
// is violated and keeps its transaction open on the connection, although database/sql
// counts the transaction done: it is rolled back there, so that the connection is clean for
// the next one.
func (g *groupCommit) commitTx(sqlTx *sql.Tx) error {
	err := sqlTx.Commit()
	if err != nil && g.conn != nil {
		_, _ = g.conn.ExecContext(context.Background(), "ROLLBACK")
	}
	if err == nil {
		g.onCommit()
	}
	g.end()
	return err
}

// tx wraps a transaction of the group's.
func (g *groupCommit) tx(sqlTx *sql.Tx) *Tx {
	return &Tx{tx: sqlTx, dialect: SQLite, stmts: g.stmts, detached: true, deletions: g.deletions}
}

// rollbackTx rolls sqlTx back and ends it.
func (g *groupCommit) rollbackTx(sqlTx *sql.Tx) {
	_ = sqlTx.Rollback()
	g.end()
}

// end gives back, after a transaction, a connection the group does not keep.
func (g *groupCommit) end() {
	if !g.own {
		g.release()
	}
}

// release gives the writer's connection back to the pool.
func (g *groupCommit) release() {
	if g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
}

// run queues fn and waits for the commit, or the failure, of the group it ran in.
func (g *groupCommit) run(ctx context.Context, fn func(tx *Tx) error) error {
	r := &txRequest{ctx: ctx, fn: fn, done: make(chan txResult, 1)}
	select {
	case g.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errClosed
	}
	// Once queued, fn may run: the caller waits for the outcome even if ctx ends meanwhile
	// (fn's statements then fail on ctx, and its writes are rolled back), so that it never
	// reports a failure for writes that were committed.
	res := <-r.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

func (g *groupCommit) loop() {
	// A transaction's fn may end this goroutine (runtime.Goexit, as t.FailNow does): commit
	// fails its group then, and another goroutine takes over the queue.
	stopped := false
	defer func() {
		if !stopped {
			go g.loop()
		}
	}()
	var group []*txRequest
	for {
		select {
		case r := <-g.queue:
			group = append(group[:0], r)
		case <-g.stop:
			g.drain()
			g.release()
			stopped = true
			return
		}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-g.queue:
				group = append(group, r)
			default:
				break gather
			}
		}
		group = g.commit(group)
		// The requests hold their callers' closures and all they reference: drop them
		// until the next group overwrites the slots.
		clear(group)
	}
}

// join returns a transaction that queued while the group of n ran, to run in it too; ok is
// false if none is waiting or the group is full.
func (g *groupCommit) join(n int) (r *txRequest, ok bool) {
	if n >= maxGroup {
		return nil, false
	}
	select {
	case r = <-g.queue:
		return r, true
	default:
		return nil, false
	}
}

func (g *groupCommit) drain() {
	for {
		select {
		case r := <-g.queue:
			r.done <- txResult{err: errClosed}
		default:
			return
		}
	}
}

// commit runs a group and tells each member its outcome, and returns the group as it ran:
// the transactions that queued while it ran join it (see join), so that its one commit,
// which costs about as much however many it covers, covers them too.
//
// The members run one after another in one transaction, with no savepoint between them: a
// savepoint makes SQLite copy every page a member changes into a journal, in case that
// member alone must be undone, and that copy cost about a quarter of the writer's time. If
// a member fails instead, the transaction is rolled back and every member of the group runs
// again, each in a transaction of its own, so that each still succeeds or fails alone. Like
// [DB.Tx] after a lost race, this may run a member's fn twice.
func (g *groupCommit) commit(group []*txRequest) []*txRequest {
	results := make([]txResult, len(group), maxGroup)
	delivered := false
	deliver := func() {
		delivered = true
		for i, r := range group {
			r.done <- results[i]
		}
	}
	var sqlTx *sql.Tx
	defer func() {
		if delivered {
			return
		}
		// fn called runtime.Goexit: nothing of the group is committed.
		if sqlTx != nil {
			g.rollbackTx(sqlTx)
		}
		for i := range results {
			results[i] = txResult{err: errors.New("store: transaction abandoned by its caller")}
		}
		deliver()
	}()

	// begin starts the transaction that sqlTx holds. It belongs to no caller: one caller's
	// context ending must not roll back the others' writes. Each fn's statements run under
	// its own context.
	begin := func() error {
		var err error
		if sqlTx, err = g.begin(); err != nil {
			sqlTx = nil
			return fmt.Errorf("store: begin transaction: %w", err)
		}
		return nil
	}
	ok := func(r txResult) bool { return r.err == nil && r.panicked == nil }

	if err := begin(); err != nil {
		failAll(results, err)
		deliver()
		return group
	}
	tx := g.tx(sqlTx)
	all := true
	for i := 0; i < len(group); i++ {
		if err := group[i].ctx.Err(); err != nil {
			results[i].err = err
		} else if results[i] = call(group[i].fn, tx); !ok(results[i]) {
			all = false
			break
		}
		if i == len(group)-1 {
			if r, ok := g.join(len(group)); ok {
				group = append(group, r)
				results = append(results, txResult{})
			}
		}
	}
	var err error
	if all {
		err = g.commitTx(sqlTx)
	} else {
		g.rollbackTx(sqlTx)
	}
	sqlTx = nil
	switch {
	case all && err == nil:
		deliver()
		return group
	case len(group) == 1:
		// A member alone has had its outcome already.
		if all {
			results[0] = txResult{err: fmt.Errorf("store: commit transaction: %w", err)}
		}
		deliver()
		return group
	}
	// A member failed, or the commit did (it found a member's deferred foreign key broken,
	// or failed for all): each runs again alone, and only the culprit fails then.
	clear(results)
	for i, r := range group {
		if r.ctx.Err() != nil {
			results[i] = txResult{err: r.ctx.Err()}
			continue
		}
		if err := begin(); err != nil {
			results[i] = txResult{err: err}
			continue
		}
		results[i] = call(r.fn, g.tx(sqlTx))
		if !ok(results[i]) {
			g.rollbackTx(sqlTx)
		} else if err := g.commitTx(sqlTx); err != nil {
			results[i] = txResult{err: fmt.Errorf("store: commit transaction: %w", err)}
		}
		sqlTx = nil
	}
	deliver()
	return group
}

// failAll sets err as the outcome of every member that had succeeded so far; members that
// failed on their own keep their own error.
func failAll(results []txResult, err error) {
	for i := range results {
		if results[i].err == nil && results[i].panicked == nil {
			results[i].err = err
		}
	}
}

// call runs fn, turning a panic into a result for its caller's goroutine.
func call(fn func(tx *Tx) error, tx *Tx) (res txResult) {
	defer func() {
		if p := recover(); p != nil {
			res = txResult{panicked: p}
		}
	}()
	return txResult{err: fn(tx)}
}
