package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"strings"
	"sync"
)

// batchRows is how many rows one multi-row INSERT carries. With the widest batched table
// (attributes, 17 columns) that is 4250 parameters, well under the limits of SQLite (32766)
// and PostgreSQL (65535), and large enough that a statement's round trip is paid once per
// few hundred rows.
const batchRows = 250

// batchWriter inserts the rows of one table many at a time inside a transaction: rows are
// buffered and written by multi-row INSERT statements. When the statement has a RETURNING
// clause, onRows reads what each statement returns.
//
// On SQLite the statements are prepared once per connection and kept (see stmtCache): a
// statement of hundreds of rows takes longer to parse than a small event takes to insert.
// So that few statements serve every size, what does not fill a whole batch is written by
// statements of power-of-two numbers of rows.
type batchWriter struct {
	tx     *Tx
	head   string // INSERT INTO t (c1, c2) VALUES
	tail   string // what follows the values: ON CONFLICT, RETURNING
	width  int
	onRows func(*sql.Rows) error

	// setID, for a writer of rows whose ids the database assigns (newIDWriter), receives
	// the id of each row by the row's place among those added. On PostgreSQL the rows
	// that RETURNING gives back are matched to the rows sent by their uuid: column uuidCol,
	// keyed in keys while the rows are buffered.
	setID   func(row int, id int64)
	uuidCol int
	keys    map[string]int
	written int // rows written before the buffered ones

	args []any
	n    int
}

func newBatchWriter(tx *Tx, table, columns, tail string, onRows func(*sql.Rows) error) *batchWriter {
	width := strings.Count(columns, ",") + 1
	// note: on SQLite a failing row of a multi-row INSERT normally undoes the rows before it
	// in the same statement, which costs a statement journal of every page the statement
	// changes. The whole transaction is rolled back on any failure here, so OR FAIL, which
	// keeps them, gives the same result without that journal.
	verb := "INSERT INTO "
	if tx.dialect == SQLite && !strings.Contains(tail, "ON CONFLICT") {
		verb = "INSERT OR FAIL INTO "
	}
	return &batchWriter{tx: tx, head: verb + table + " (" + columns + ") VALUES ",
		tail: tail, width: width, onRows: onRows, args: make([]any, 0, width*batchRows)}
}

// newIDWriter returns a writer of new rows whose ids the database assigns, one of whose
// columns is their uuid; setID receives the id of each row by its place among the rows
// added, 0 for the first.
//
// On SQLite the INSERT statements return nothing, which spares the rows' reading: the ids
// of the rows of one statement are consecutive, because the tables' ids are AUTOINCREMENT
// (each new id is one more than the largest yet) and the transaction is the only writer,
// and the last of them is the statement's last inserted rowid.
func newIDWriter(tx *Tx, table, columns string, setID func(row int, id int64)) *batchWriter {
	uuidCol := -1
	for i, c := range strings.Split(columns, ",") {
		if strings.TrimSpace(c) == "uuid" {
			uuidCol = i
		}
	}
	if uuidCol < 0 {
		panic("store: newIDWriter: no uuid column in " + table)
	}
	w := newBatchWriter(tx, table, columns, "", nil)
	w.setID, w.uuidCol = setID, uuidCol
	if tx.dialect != SQLite {
		w.tail = "RETURNING id, uuid"
		w.keys = make(map[string]int, batchRows)
		w.onRows = func(rows *sql.Rows) error {
			var id int64
			var uuid string
			if err := rows.Scan(&id, &uuid); err != nil {
				return err
			}
			row, ok := w.keys[uuid]
			if !ok {
				return fmt.Errorf("a row of %s came back with uuid %q, which was not sent", table, uuid)
			}
			delete(w.keys, uuid)
			w.setID(row, id)
			return nil
		}
	}
	return w
}

// add buffers one row, whose values come in the order of the columns, and writes the buffer
// when it is full.
func (w *batchWriter) add(ctx context.Context, values ...any) error {
	if len(values) != w.width {
		return fmt.Errorf("store: batch insert: %d values for %d columns", len(values), w.width)
	}
	if w.keys != nil {
		uuid, _ := values[w.uuidCol].(string)
		w.keys[uuid] = w.written + w.n
	}
	w.args = append(w.args, values...)
	w.n++
	if w.n == batchRows {
		return w.flush(ctx)
	}
	return nil
}

// flush writes the buffered rows.
func (w *batchWriter) flush(ctx context.Context) error {
	if w.n == 0 {
		return nil
	}
	defer func() { w.args, w.written, w.n = w.args[:0], w.written+w.n, 0 }()
	if w.keys != nil {
		defer clear(w.keys)
	}
	if w.tx.stmts == nil {
		return w.run(ctx, nil, w.statement(w.n), w.args, 0)
	}
	// Rows in runs of batchRows, then of powers of two: at most a handful of statements.
	args, n, first := w.args, w.n, 0
	for n > 0 {
		k := batchRows
		if n < batchRows {
			k = 1 << (bits.Len(uint(n)) - 1)
		}
		stmt, err := w.tx.stmts.get(ctx, w.tx, w.statement(k))
		if err != nil {
			return fmt.Errorf("store: prepare batch insert: %w", err)
		}
		if err := w.run(ctx, stmt, "", args[:k*w.width], first); err != nil {
			return err
		}
		args, n, first = args[k*w.width:], n-k, first+k
	}
	return nil
}

// run writes rows of the buffer, the first of which is row first of the buffer.
func (w *batchWriter) run(ctx context.Context, stmt *sql.Stmt, query string, args []any,
	first int) error {
	if stmt != nil {
		ctx = w.tx.statementCtx(ctx) // the Tx methods below apply it themselves
	}
	if w.onRows == nil {
		var res sql.Result
		var err error
		if stmt != nil {
			res, err = stmt.ExecContext(ctx, args...)
		} else {
			res, err = w.tx.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return fmt.Errorf("store: batch insert: %w", uniqueErr(err))
		}
		if w.setID != nil {
			return w.consecutiveIDs(res, first, len(args)/w.width)
		}
		return nil
	}

	var rows *sql.Rows
	var err error
	if stmt != nil {
		rows, err = stmt.QueryContext(ctx, args...)
	} else {
		rows, err = w.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return fmt.Errorf("store: batch insert: %w", uniqueErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := w.onRows(rows); err != nil {
			return fmt.Errorf("store: batch insert: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: batch insert: %w", uniqueErr(err))
	}
	return nil
}

// consecutiveIDs reports the ids of the n rows of a SQLite INSERT that res describes, which
// were the rows first and after of the buffer (see newIDWriter).
func (w *batchWriter) consecutiveIDs(res sql.Result, first, n int) error {
	affected, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: batch insert: %w", err)
	}
	last, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("store: batch insert: %w", err)
	}
	if affected != int64(n) {
		return fmt.Errorf("store: batch insert: %d rows inserted of %d", affected, n)
	}
	for i := range n {
		w.setID(w.written+first+i, last-int64(n-1-i))
	}
	return nil
}

// close writes what is left.
func (w *batchWriter) close(ctx context.Context) error { return w.flush(ctx) }

// statement builds the INSERT of n rows.
//
// note: on SQLite the placeholders are anonymous "?": modernc.org/sqlite looks each
// parameter's name up in a list that SQLite scans linearly, which makes binding a statement
// with thousands of numbered "$n" parameters quadratic, and costs more than the insert.
func (w *batchWriter) statement(n int) string {
	var b strings.Builder
	b.Grow(len(w.head) + len(w.tail) + n*w.width*6)
	b.WriteString(w.head)
	p := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := 0; j < w.width; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			if w.tx.dialect == SQLite {
				b.WriteByte('?')
			} else {
				fmt.Fprintf(&b, "$%d", p)
			}
			p++
		}
		b.WriteByte(')')
	}
	if w.tail != "" {
		b.WriteByte(' ')
		b.WriteString(w.tail)
	}
	return b.String()
}

// stmtCache keeps the batch INSERT statements of a SQLite database, each prepared once on
// each connection that runs it (database/sql keeps a statement's per-connection copies).
// Their number is bounded: a few sizes for each batched table.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

// get returns the statement query bound to tx, preparing it on the database first if it
// is new.
func (c *stmtCache) get(ctx context.Context, tx *Tx, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	stmt, ok := c.m[query]
	if !ok {
		var err error
		if stmt, err = c.db.PrepareContext(ctx, query); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.m[query] = stmt
	}
	c.mu.Unlock()
	return tx.tx.StmtContext(tx.statementCtx(ctx), stmt), nil
}

// close releases every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, stmt := range c.m {
		stmt.Close()
	}
	clear(c.m)
}

// growCache prepares a SQLite connection for a write of many rows. With SQLite's default
// page cache of 2 MB, the pages of the indexes a large insert touches do not fit, and SQLite
// writes them out to the WAL again and again before the commit; and the statement journal
// that lets a multi-row INSERT fail alone goes to a temporary file, a write per page;
// deferring the foreign key checks to the commit (for this transaction only) spares it.
//
// note: the settings stay with the pooled connection; the cache size is a ceiling, not an
// allocation.
func (tx *Tx) growCache(ctx context.Context, rows int) error {
	if tx.dialect != SQLite || rows < 1000 {
		return nil
	}
	pragmas := []string{`PRAGMA cache_size = -65536`, `PRAGMA temp_store = MEMORY`,
		`PRAGMA defer_foreign_keys = ON`}
	for _, pragma := range pragmas {
		if _, err := tx.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("store: %s: %w", pragma, err)
		}
	}
	return nil
}
