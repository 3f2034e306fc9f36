package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how long the checkpointer lets commits gather before it copies them
// into the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpointer copies the write-ahead log of a SQLite database into the database file in
// the background, on a connection of its own, a moment after commits.
//
// SQLite otherwise checkpoints on the connection that commits, once the log passes
// wal_autocheckpoint pages: the writer then copies every page of the log into the database
// file and waits for both files to reach the disk, and every writer waits behind it. Under a
// stream of event adds that wait cost about a quarter of the ingest's throughput. A checkpoint on
// another connection runs beside the writer (SQLite lets readers and one writer go on while
// a PASSIVE checkpoint copies what they no longer need), so that when the writer's own turn
// comes the log is mostly copied already and its checkpoint is short; the writer's then
// lets the log start again from its beginning, once no read holds an older state of it.
type checkpointer struct {
	db   *sql.DB
	kick chan struct{} // holds one token when a commit came after the last checkpoint
	stop chan struct{}
	done chan struct{}
	once sync.Once
	runs atomic.Int64 // checkpoints that ran, for tests
}

func newCheckpointer(db *sql.DB) *checkpointer {
	c := &checkpointer{db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{})}
	go c.loop()
	return c
}

// committed tells the checkpointer that a transaction committed.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// close stops the checkpointer and waits for a checkpoint under way.
func (c *checkpointer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

func (c *checkpointer) loop() {
	defer close(c.done)
	timer := time.NewTimer(checkpointEvery)
	timer.Stop()
	for {
		select {
		case <-c.kick:
		case <-c.stop:
			return
		}
		timer.Reset(checkpointEvery)
		select {
		case <-timer.C:
		case <-c.stop:
			timer.Stop()
			return
		}
		var busy, logged, copied int
		err := c.db.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).
			Scan(&busy, &logged, &copied)
		if err != nil {
			// The writer's own checkpoints still bound the log; this one is only early.
			slog.Warn("SQLite checkpoint failed", "error", err)
			continue
		}
		c.runs.Add(1)
	}
}
