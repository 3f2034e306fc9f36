package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

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

// TestGroupCommitDeferredForeignKey runs many transactions at once, every fifth of which adds
// an attribute to an event that does not exist. The foreign key is checked at the commit
// (migration 00009), so the shared commit of a group fails: each member must then succeed
// or fail alone, and the writer's connection must be clean for the transactions after.
func TestGroupCommitDeferredForeignKey(t *testing.T) {
	pgtest.Each(t, func(t *testing.T, url string) {
		const n = 100
		db := openTest(t, url)
		ctx := context.Background()
		var eventID int64
		err := db.Tx(ctx, func(tx *Tx) error {
			return tx.QueryRowContext(ctx, `
				INSERT INTO events (org_id, orgc_id, user_id, date, info, uuid, analysis,
					sharing_group_id, threat_level_id)
				VALUES (1, 1, 1, '2024-10-21', 'test', $1, 0, 0, 4)
				RETURNING id`, "5f1c2b3a-0000-4000-8000-0000000000ff").Scan(&eventID)
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		outcomes := make([]error, n)
		for i := range n {
			wg.Go(func() {
				event := eventID
				if i%5 == 0 {
					event = eventID + 1000
				}
				outcomes[i] = db.Tx(ctx, func(tx *Tx) error {
					_, err := tx.ExecContext(ctx, `
						INSERT INTO attributes (event_id, category, type, value1, value2, uuid,
							sharing_group_id)
						VALUES ($1, 'Other', 'text', $2, '', $3, 0)`,
						event, fmt.Sprint("v", i), fmt.Sprintf("5f1c2b3a-0000-4000-8000-%012d", i))
					return err
				})
			})
		}
		wg.Wait()
		for i := range n {
			var stored int
			err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes WHERE value1 = $1`,
				fmt.Sprint("v", i)).Scan(&stored)
			if err != nil {
				t.Fatal(err)
			}
			if i%5 == 0 {
				if outcomes[i] == nil || stored != 0 {
					t.Errorf("tx %d broke the foreign key: %v, %d rows kept", i, outcomes[i], stored)
				}
				continue
			}
			if outcomes[i] != nil || stored != 1 {
				t.Errorf("tx %d = %v, %d rows; want success", i, outcomes[i], stored)
			}
		}
		// The writer's connection is clean: another write works and is kept.
		err = db.Tx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO admin_settings (name, value) VALUES ('after', '1')`)
			return err
		})
		if err != nil {
			t.Fatalf("write after the failed commits: %v", err)
		}
	})
}

// TestGroupCommitJoin has transactions queue while a group runs: they join it, and none is
// committed before the last has run. The second and third find the first's write not yet
// visible outside the transaction, and the first returns only once they have run.
func TestGroupCommitJoin(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t))
	ctx := context.Background()
	insert := func(tx *Tx, name string) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings (name, value) VALUES ($1, '1')`,
			name)
		return err
	}
	committed := func(name string) bool {
		var n int
		if err := db.QueryRowContext(ctx,
			`SELECT COUNT(*) FROM admin_settings WHERE name = $1`, name).Scan(&n); err != nil {
			t.Error(err)
		}
		return n == 1
	}
	running := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.Tx(ctx, func(tx *Tx) error {
			close(running)
			// Wait until the two others are queued behind this one.
			for len(db.group.queue) < 2 {
				time.Sleep(time.Millisecond)
			}
			return insert(tx, "first")
		})
	}()
	<-running
	var wg sync.WaitGroup
	var seen [2]bool
	for i, name := range []string{"second", "third"} {
		wg.Go(func() {
			err := db.Tx(ctx, func(tx *Tx) error {
				seen[i] = committed("first")
				return insert(tx, name)
			})
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if seen[0] || seen[1] {
		t.Errorf("the first's write was committed before the others ran (%v): they did not join", seen)
	}
	for _, name := range []string{"first", "second", "third"} {
		if !committed(name) {
			t.Errorf("%s not committed", name)
		}
	}
}

// TestGroupCommitAloneRunsOnce checks that a transaction that fails, alone in its group,
// runs once: only a group of several runs its members again.
func TestGroupCommitAloneRunsOnce(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t))
	runs := 0
	errBoom := errors.New("boom")
	err := db.Tx(context.Background(), func(tx *Tx) error {
		runs++
		return errBoom
	})
	if !errors.Is(err, errBoom) || runs != 1 {
		t.Errorf("Tx = %v after %d runs, want boom after one", err, runs)
	}
}

// TestGroupCommitGoexit has a transaction end the writer's goroutine (as t.FailNow would in
// it): its caller is told, and the transactions after it still run.
func TestGroupCommitGoexit(t *testing.T) {
	db := openTest(t, pgtest.SQLitePath(t))
	ctx := context.Background()
	err := db.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO admin_settings (name, value) VALUES ('gone', '1')`); err != nil {
			return err
		}
		runtime.Goexit()
		return nil
	})
	if err == nil {
		t.Fatal("a transaction that ended the writer succeeded")
	}
	err = db.Tx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO admin_settings (name, value) VALUES ('after', '1')`)
		return err
	})
	if err != nil {
		t.Fatalf("write after: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM admin_settings WHERE name IN ('gone', 'after')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows, want only the one written after", n)
	}
}
