package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

// TestGroupCommitMembersAlone runs many transactions at once, so that SQLite groups them
// under shared commits: each must still succeed or fail alone. Every third one fails after its
// write, every seventh panics; only the writes of the others may remain.
func TestGroupCommitMembersAlone(t *testing.T) {
	const n = 200
	db := openTest(t, pgtest.SQLitePath(t))
	ctx := context.Background()
	errBoom := errors.New("boom")

	var wg sync.WaitGroup
	outcomes := make([]error, n)
	panics := make([]any, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			outcomes[i] = db.Tx(ctx, func(tx *Tx) error {
				_, err := tx.ExecContext(ctx,
					`INSERT INTO admin_settings (name, value) VALUES ($1, '1')`, fmt.Sprint("k", i))
				switch {
				case err != nil:
					return err
				case i%7 == 0:
					panic(fmt.Sprint("panic ", i))
				case i%3 == 0:
					return errBoom
				}
				return nil
			})
		})
	}
	wg.Wait()

	for i := range n {
		var stored int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM admin_settings WHERE name = $1`,
			fmt.Sprint("k", i)).Scan(&stored)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case i%7 == 0:
			if panics[i] != fmt.Sprint("panic ", i) {
				t.Errorf("tx %d: panic %v reached its caller, want its own", i, panics[i])
			}
			if stored != 0 {
				t.Errorf("tx %d panicked but its write was kept", i)
			}
		case i%3 == 0:
			if !errors.Is(outcomes[i], errBoom) {
				t.Errorf("tx %d = %v, want boom", i, outcomes[i])
			}
			if stored != 0 {
				t.Errorf("tx %d failed but its write was kept", i)
			}
		default:
			if outcomes[i] != nil || panics[i] != nil {
				t.Errorf("tx %d = %v, %v; want success", i, outcomes[i], panics[i])
			}
			if stored != 1 {
				t.Errorf("tx %d succeeded but its write is missing", i)
			}
		}
	}
}

// TestGroupCommitSeesEarlierMembers checks that a transaction grouped after another sees its
// writes, as it would after that one's commit: read-then-write counters lose no update.
func TestGroupCommitSeesEarlierMembers(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t))
	ctx := context.Background()
	if _, err := db.ExecContext(ctx,
		`INSERT INTO admin_settings (name, value) VALUES ('counter', '0')`); err != nil {
		t.Fatal(err)
	}
	const n = 300
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := db.Tx(ctx, func(tx *Tx) error {
				if err := incrementCounter(tx); err != nil {
					return err
				}
				if i%2 == 0 {
					return errors.New("undo this increment")
				}
				return nil
			})
			if (err == nil) != (i%2 == 1) {
				t.Errorf("tx %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	var got string
	if err := db.QueryRowContext(ctx,
		`SELECT value FROM admin_settings WHERE name = 'counter'`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint(n / 2); got != want {
		t.Errorf("counter = %s, want %s", got, want)
	}
}

// TestGroupCommitCancelledCaller has a caller whose context ends while its transaction
// waits: it must fail with the context's error and leave nothing, without harming the others.
func TestGroupCommitCancelledCaller(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t))
	ctx := context.Background()
	hold, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Tx(ctx, func(tx *Tx) error {
			close(hold)
			<-release
			_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings VALUES ('first', '1')`)
			return err
		})
	}()
	<-hold
	cctx, cancel := context.WithCancel(ctx)
	second := make(chan error, 1)
	go func() {
		second <- db.Tx(cctx, func(tx *Tx) error {
			_, err := tx.ExecContext(cctx, `INSERT INTO admin_settings VALUES ('second', '1')`)
			return err
		})
	}()
	cancel()
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("second = %v, want context.Canceled", err)
	}
	var n int
	if err := db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM admin_settings WHERE name IN ('first', 'second')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows, want only the first's", n)
	}
}
