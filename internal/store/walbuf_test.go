package store

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openWALTest opens a pool on a new file database through walVFS, with the store's
// connection settings; cacheKiB sizes the page cache of every connection.
func openWALTest(t testing.TB, path string, cacheKiB int) *sql.DB {
	t.Helper()
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	url := path + fmt.Sprintf("?_pragma=cache_size(-%d)", cacheKiB)
	for _, p := range sqlitePragmas[1:] { // the store's, but for the cache size
		url += "&_pragma=" + p
	}
	dsn, _, err := sqliteDSN(url)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openWALWriter opens a pool as openWALTest does, creates the test's tables, and takes the
// connection that writes them.
func openWALWriter(t testing.TB, path string, cacheKiB int) (*sql.DB, *sql.Conn) {
	t.Helper()
	ctx := context.Background()
	db := openWALTest(t, path, cacheKiB)
	if _, err := db.ExecContext(ctx, walTestSchema); err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return db, conn
}

const walTestSchema = `
CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, k INTEGER NOT NULL, v BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS rows_k ON rows (k);
CREATE TABLE IF NOT EXISTS total (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO total VALUES (1, 0);`

// walTestTx adds n rows with random keys in one transaction, changes rows it added early
// in the transaction again after the page cache has spilled them to the log, and keeps
// total.n equal to the number of rows. With rollback, it undoes everything instead.
func walTestTx(ctx context.Context, conn *sql.Conn, rng *rand.Rand, n int, rollback bool) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var first int64
	for i := range n {
		v := make([]byte, 100+rng.IntN(400))
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO rows (k, v) VALUES (?, ?)`, rng.Int64(), v)
		if err != nil {
			return err
		}
		if i == 0 {
			if first, err = res.LastInsertId(); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rows SET k = k / 2 WHERE id BETWEEN ? AND ?`,
		first, first+int64(n/4)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE total SET n = n + ?`, n); err != nil {
		return err
	}
	if rollback {
		return tx.Rollback()
	}
	return tx.Commit()
}

// walTestCheck reads, in one read transaction, every row and the total, and says whether
// they agree.
func walTestCheck(ctx context.Context, db *sql.DB) (rows int64, err error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var total, bytes int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(length(v)), 0) FROM rows`).
		Scan(&rows, &bytes); err != nil {
		return 0, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT n FROM total`).Scan(&total); err != nil {
		return 0, err
	}
	var byKey int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM rows INDEXED BY rows_k WHERE k IS NOT NULL`).
		Scan(&byKey); err != nil {
		return 0, err
	}
	if total != rows || byKey != rows {
		return 0, fmt.Errorf("a snapshot holds %d rows, %d by the index, and says %d", rows, byKey, total)
	}
	return rows, nil
}

// TestWALBufferConcurrent runs one writer, whose transactions spill to the log, change
// spilled pages again and sometimes roll back, beside readers that check every snapshot
// they see and a connection that checkpoints. A frame that a reader may read but that
// is still in the writer's buffer fails a read (SQLite reports a short read) or shows an
// inconsistent snapshot.
func TestWALBufferConcurrent(t *testing.T) {
	// Small buffers fill at every place in a transaction's frames, the commit frame's
	// header and page among them.
	for _, size := range []int{walBufferSize, 3*4120 + 100, 2*4120 + 30} {
		t.Run(strconv.Itoa(size), func(t *testing.T) { walBufferConcurrent(t, size) })
	}
}

func walBufferConcurrent(t *testing.T, size int) {
	ctx := context.Background()
	prev := walBufferSize
	walBufferSize = size
	t.Cleanup(func() { walBufferSize = prev })
	db, writer := openWALWriter(t, filepath.Join(t.TempDir(), "wal.db"), 64)

	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var reads atomic.Int64
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if _, err := walTestCheck(ctx, db); err != nil {
					errs <- err
					return
				}
				reads.Add(1)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				errs <- fmt.Errorf("checkpoint: %w", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()

	rng := rand.New(rand.NewPCG(1, 2))
	var committed int64
	for i := 0; i < 150 && len(errs) == 0; i++ {
		// From one row to some thousands: transactions of every size, so that the commit
		// frame falls at every place in the buffer.
		n := 1 + rng.IntN(1+i*6)
		rollback := i%7 == 3
		// Half the transactions fit in the page cache and write all their frames at the
		// commit, filling the buffer many times over; the others spill to the log first.
		cache := 64
		if i%2 == 0 {
			cache = 32 << 10
		}
		if _, err := writer.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = -%d`, cache)); err != nil {
			t.Fatal(err)
		}
		if err := walTestTx(ctx, writer, rng, n, rollback); err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
		if !rollback {
			committed += int64(n)
		}
		// Until the writer's next write, what it left buffered stays there: readers get
		// the time to come across it.
		time.Sleep(2 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rows, err := walTestCheck(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if rows != committed {
		t.Errorf("%d rows, want the %d committed", rows, committed)
	}
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	if reads.Load() == 0 {
		t.Error("the readers read nothing")
	}
	t.Logf("%d rows committed, %d snapshots checked", committed, reads.Load())
}

// walCrashEnv names the database that the child process of TestWALBufferCrash writes.
const walCrashEnv = "CAIRN_TEST_WAL_CRASH_DB"

// TestWALBufferCrash kills a process that commits transaction after transaction, and
// checks that every commit it had reported is in the database afterwards, whole: a
// commit returns only once its frames are with the operating system.
func TestWALBufferCrash(t *testing.T) {
	if path := os.Getenv(walCrashEnv); path != "" {
		walCrashChild(t, path)
		return
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run", "^TestWALBufferCrash$")
	cmd.Env = append(os.Environ(), walCrashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child prints the number of rows after each commit; it is killed after a while.
	var reported int64
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for lines.Scan() {
		if n, err := strconv.ParseInt(lines.Text(), 10, 64); err == nil {
			reported = n
		}
		if time.Now().After(deadline) {
			break
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if reported == 0 {
		t.Fatal("the child reported no commit")
	}

	db := openWALTest(t, path, 2048)
	rows, err := walTestCheck(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if rows < reported {
		t.Errorf("%d rows after the crash, but %d were reported committed", rows, reported)
	}
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
	t.Logf("%d rows reported, %d found", reported, rows)
}

func walCrashChild(t *testing.T, path string) {
	ctx := context.Background()
	// A page cache that holds a whole transaction: its frames are all written at the
	// commit, which then reads nothing back from the log.
	_, conn := openWALWriter(t, path, 32<<10)
	rng := rand.New(rand.NewPCG(3, 4))
	var rows int64
	for {
		n := 1 + rng.IntN(2000)
		if err := walTestTx(ctx, conn, rng, n, false); err != nil {
			t.Fatal(err)
		}
		rows += int64(n)
		fmt.Println(rows)
		// The parent kills the process after a report: most likely in this pause, right
		// after a commit, when anything the commit left in the buffer would be lost.
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWALBufferCommitOnDisk copies the database and its log, as the operating system has
// them, each time a commit returns, and opens the copy, which recovers from the log alone:
// each copy holds every commit so far. This is what a process that crashed right after
// the commit would leave; among the frames are those whose checksums SQLite rewrites
// after the commit frame, when a transaction changes pages it had already spilled.
func TestWALBufferCommitOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "live.db")
	_, conn := openWALWriter(t, path, 64)
	rng := rand.New(rand.NewPCG(5, 6))
	var committed int64
	for i := range 12 {
		n := 50 + rng.IntN(1500)
		if err := walTestTx(ctx, conn, rng, n, false); err != nil {
			t.Fatal(err)
		}
		committed += int64(n)

		copyPath := filepath.Join(dir, fmt.Sprintf("copy%d.db", i))
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(path + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(copyPath+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cp := openWALTest(t, copyPath, 2048)
		rows, err := walTestCheck(ctx, cp)
		if err != nil {
			t.Fatalf("copy after commit %d: %v", i, err)
		}
		if rows != committed {
			t.Fatalf("copy after commit %d holds %d rows, want %d", i, rows, committed)
		}
		cp.Close()
	}
}
