package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// The indexes of advanced correlation (MISP.enable_advanced_correlations), beside the
// correlation index and like it one row per value of an attribute, never per pair: the
// single IP addresses and the CIDR blocks of IP attributes, keyed so that an address finds
// the blocks that contain it and a block the addresses inside it by index lookups, and the
// keys of ssdeep hashes. Package correlate decides what goes in and checks the candidates.

// AddressRow is a row of correlation_addresses: the single address of an attribute, as its
// family byte (4 or 6) followed by its bytes.
type AddressRow struct {
	Address     []byte
	EventID     int64
	AttributeID int64
}

// BlockRow is a row of correlation_blocks: the CIDR block of an attribute, as its prefix
// length and its first address (written as AddressRow.Address).
type BlockRow struct {
	Bits        int
	Start       []byte
	EventID     int64
	AttributeID int64
}

// AdvancedRows are rows of the advanced correlation indexes. The rows of correlation_ssdeep
// are CorrelationRows whose ValueHash is a key of the hash.
type AdvancedRows struct {
	Addresses []AddressRow
	Blocks    []BlockRow
	SSDeep    []CorrelationRow
}

// Empty reports whether r holds no row.
func (r *AdvancedRows) Empty() bool {
	return len(r.Addresses)+len(r.Blocks)+len(r.SSDeep) == 0
}

// advancedBatch keeps the statements that list rows one condition each short.
const advancedBatch = 100

// InsertAdvancedCorrelations adds rows to the advanced correlation indexes inside tx,
// keeping those already there.
func InsertAdvancedCorrelations(ctx context.Context, tx *Tx, rows AdvancedRows) error {
	if rows.Empty() {
		return nil
	}
	const tail = "ON CONFLICT DO NOTHING"
	w := newBatchWriter(tx, "correlation_addresses", "address, event_id, attribute_id", tail, nil)
	for _, r := range rows.Addresses {
		if err := w.add(ctx, r.Address, r.EventID, r.AttributeID); err != nil {
			return fmt.Errorf("store: insert advanced correlations: %w", err)
		}
	}
	if err := w.close(ctx); err != nil {
		return fmt.Errorf("store: insert advanced correlations: %w", err)
	}
	w = newBatchWriter(tx, "correlation_blocks", "bits, start, event_id, attribute_id", tail, nil)
	for _, r := range rows.Blocks {
		if err := w.add(ctx, r.Bits, r.Start, r.EventID, r.AttributeID); err != nil {
			return fmt.Errorf("store: insert advanced correlations: %w", err)
		}
	}
	if err := w.close(ctx); err != nil {
		return fmt.Errorf("store: insert advanced correlations: %w", err)
	}
	w = newBatchWriter(tx, "correlation_ssdeep", "key_hash, event_id, attribute_id", tail, nil)
	for _, r := range rows.SSDeep {
		if err := w.add(ctx, r.ValueHash, r.EventID, r.AttributeID); err != nil {
			return fmt.Errorf("store: insert advanced correlations: %w", err)
		}
	}
	if err := w.close(ctx); err != nil {
		return fmt.Errorf("store: insert advanced correlations: %w", err)
	}
	return nil
}

// DeleteAdvancedCorrelations removes the given rows from the advanced correlation indexes,
// found by their key; rows that are not there are no error.
func DeleteAdvancedCorrelations(ctx context.Context, q Querier, rows AdvancedRows) error {
	err := eachBatch(len(rows.Addresses), func(from, to int) error {
		cond, args := addressKeys(rows.Addresses[from:to])
		_, err := q.ExecContext(ctx, `DELETE FROM correlation_addresses WHERE `+cond, args...)
		return err
	})
	if err == nil {
		err = eachBatch(len(rows.Blocks), func(from, to int) error {
			cond, args := blockKeys(rows.Blocks[from:to])
			_, err := q.ExecContext(ctx, `DELETE FROM correlation_blocks WHERE `+cond, args...)
			return err
		})
	}
	for list := rows.SSDeep; err == nil && len(list) > 0; list = list[min(len(list), corrBatch):] {
		_, err = q.ExecContext(ctx, `DELETE FROM correlation_ssdeep
			WHERE (key_hash, event_id, attribute_id) IN (`+
			rowValues(list[:min(len(list), corrBatch)])+`)`)
	}
	if err != nil {
		return fmt.Errorf("store: delete advanced correlations: %w", err)
	}
	return nil
}

// eachBatch calls fn with the bounds of successive batches of n items.
func eachBatch(n int, fn func(from, to int) error) error {
	for from := 0; from < n; from += advancedBatch {
		if err := fn(from, min(n, from+advancedBatch)); err != nil {
			return err
		}
	}
	return nil
}

// addressKeys returns the condition that a row of correlation_addresses is one of rows.
func addressKeys(rows []AddressRow) (string, []any) {
	var b condBuilder
	or := make([]string, len(rows))
	for i, r := range rows {
		or[i] = "(address = " + b.param(r.Address) + " AND event_id = " + b.param(r.EventID) +
			" AND attribute_id = " + b.param(r.AttributeID) + ")"
	}
	return "(" + strings.Join(or, " OR ") + ")", b.args
}

// blockKeys returns the condition that a row of correlation_blocks is one of rows.
func blockKeys(rows []BlockRow) (string, []any) {
	var b condBuilder
	or := make([]string, len(rows))
	for i, r := range rows {
		or[i] = "(bits = " + b.param(r.Bits) + " AND start = " + b.param(r.Start) +
			" AND event_id = " + b.param(r.EventID) + " AND attribute_id = " +
			b.param(r.AttributeID) + ")"
	}
	return "(" + strings.Join(or, " OR ") + ")", b.args
}

// advancedTables are the tables of advanced correlation.
var advancedTables = []string{"correlation_addresses", "correlation_blocks", "correlation_ssdeep"}

// deleteAdvancedWhere removes the rows of the advanced correlation indexes that pass cond,
// a condition on their event_id and attribute_id.
func deleteAdvancedWhere(ctx context.Context, q Querier, cond string, args ...any) error {
	for _, table := range advancedTables {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE `+cond, args...); err != nil {
			return fmt.Errorf("store: delete advanced correlations: %w", err)
		}
	}
	return nil
}

// EventAdvancedRows returns the rows of the advanced correlation indexes of event eventID.
func EventAdvancedRows(ctx context.Context, q Querier, eventID int64) (AdvancedRows, error) {
	var out AdvancedRows
	err := scanAll(ctx, q, `SELECT address, attribute_id FROM correlation_addresses
		WHERE event_id = $1`, []any{eventID}, func(rows *sql.Rows) error {
		r := AddressRow{EventID: eventID}
		err := rows.Scan(&r.Address, &r.AttributeID)
		out.Addresses = append(out.Addresses, r)
		return err
	})
	if err == nil {
		err = scanAll(ctx, q, `SELECT bits, start, attribute_id FROM correlation_blocks
			WHERE event_id = $1`, []any{eventID}, func(rows *sql.Rows) error {
			r := BlockRow{EventID: eventID}
			err := rows.Scan(&r.Bits, &r.Start, &r.AttributeID)
			out.Blocks = append(out.Blocks, r)
			return err
		})
	}
	if err == nil {
		err = scanAll(ctx, q, `SELECT key_hash, attribute_id FROM correlation_ssdeep
			WHERE event_id = $1`, []any{eventID}, func(rows *sql.Rows) error {
			r := CorrelationRow{EventID: eventID}
			err := rows.Scan(&r.ValueHash, &r.AttributeID)
			out.SSDeep = append(out.SSDeep, r)
			return err
		})
	}
	if err != nil {
		return out, fmt.Errorf("store: advanced correlation rows: %w", err)
	}
	return out, nil
}

// PresentAdvancedRows returns those of rows that are in the advanced correlation indexes.
func PresentAdvancedRows(ctx context.Context, q Querier, rows AdvancedRows) (AdvancedRows, error) {
	var out AdvancedRows
	err := eachBatch(len(rows.Addresses), func(from, to int) error {
		cond, args := addressKeys(rows.Addresses[from:to])
		return scanAll(ctx, q, `SELECT address, event_id, attribute_id FROM correlation_addresses
			WHERE `+cond, args, func(r *sql.Rows) error {
			var a AddressRow
			err := r.Scan(&a.Address, &a.EventID, &a.AttributeID)
			out.Addresses = append(out.Addresses, a)
			return err
		})
	})
	if err == nil {
		err = eachBatch(len(rows.Blocks), func(from, to int) error {
			cond, args := blockKeys(rows.Blocks[from:to])
			return scanAll(ctx, q, `SELECT bits, start, event_id, attribute_id
				FROM correlation_blocks WHERE `+cond, args, func(r *sql.Rows) error {
				var b BlockRow
				err := r.Scan(&b.Bits, &b.Start, &b.EventID, &b.AttributeID)
				out.Blocks = append(out.Blocks, b)
				return err
			})
		})
	}
	for list := rows.SSDeep; err == nil && len(list) > 0; list = list[min(len(list), corrBatch):] {
		err = scanAll(ctx, q, `SELECT key_hash, event_id, attribute_id FROM correlation_ssdeep
			WHERE (key_hash, event_id, attribute_id) IN (`+
			rowValues(list[:min(len(list), corrBatch)])+`)`, nil, func(r *sql.Rows) error {
			var c CorrelationRow
			err := r.Scan(&c.ValueHash, &c.EventID, &c.AttributeID)
			out.SSDeep = append(out.SSDeep, c)
			return err
		})
	}
	if err != nil {
		return out, fmt.Errorf("store: advanced correlation rows: %w", err)
	}
	return out, nil
}

// BlockLengths returns the prefix lengths of the CIDR blocks in the index, in order: one
// index lookup per length, however many blocks there are.
func BlockLengths(ctx context.Context, q Querier) ([]int, error) {
	var out []int
	err := scanAll(ctx, q, `
		WITH RECURSIVE lengths (bits) AS (
			SELECT MIN(bits) FROM correlation_blocks
			UNION ALL
			SELECT (SELECT MIN(b.bits) FROM correlation_blocks b WHERE b.bits > lengths.bits)
			FROM lengths WHERE lengths.bits IS NOT NULL
		)
		SELECT bits FROM lengths WHERE bits IS NOT NULL`, nil, func(rows *sql.Rows) error {
		var n int
		err := rows.Scan(&n)
		out = append(out, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: block lengths: %w", err)
	}
	return out, nil
}

// BlocksAt returns the rows of correlation_blocks of prefix length bits that start at one
// of starts.
func BlocksAt(ctx context.Context, q Querier, bits int, starts [][]byte) ([]BlockRow, error) {
	var out []BlockRow
	var err error
	for from := 0; from < len(starts) && err == nil; from += corrBatch {
		var b condBuilder
		list := b.params(toAny(starts[from:min(len(starts), from+corrBatch)]))
		err = scanAll(ctx, q, `SELECT start, event_id, attribute_id FROM correlation_blocks
			WHERE bits = `+b.param(bits)+` AND start IN (`+list+`)`, b.args,
			func(rows *sql.Rows) error {
				r := BlockRow{Bits: bits}
				err := rows.Scan(&r.Start, &r.EventID, &r.AttributeID)
				out = append(out, r)
				return err
			})
	}
	if err != nil {
		return nil, fmt.Errorf("store: blocks: %w", err)
	}
	return out, nil
}

// AddressesIn returns the rows of correlation_addresses from first to last (keys of one
// family) that are not of event exceptEvent, at most max of them.
func AddressesIn(ctx context.Context, q Querier, first, last []byte, exceptEvent int64,
	max int) ([]AddressRow, error) {
	var out []AddressRow
	err := scanAll(ctx, q, `SELECT address, event_id, attribute_id FROM correlation_addresses
		WHERE address >= $1 AND address <= $2 AND event_id <> $3 ORDER BY address LIMIT $4`,
		[]any{first, last, exceptEvent, max}, func(rows *sql.Rows) error {
			var r AddressRow
			err := rows.Scan(&r.Address, &r.EventID, &r.AttributeID)
			out = append(out, r)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("store: addresses in block: %w", err)
	}
	return out, nil
}

// SSDeepRowsByKey returns the rows of correlation_ssdeep that have one of keys.
func SSDeepRowsByKey(ctx context.Context, q Querier, keys []int64) ([]CorrelationRow, error) {
	var out []CorrelationRow
	for len(keys) > 0 {
		n := min(len(keys), corrBatch)
		err := scanAll(ctx, q, `SELECT key_hash, event_id, attribute_id FROM correlation_ssdeep
			WHERE key_hash IN (`+ints(keys[:n])+`)`, nil, func(rows *sql.Rows) error {
			var r CorrelationRow
			err := rows.Scan(&r.ValueHash, &r.EventID, &r.AttributeID)
			out = append(out, r)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("store: ssdeep keys: %w", err)
		}
		keys = keys[n:]
	}
	return out, nil
}

// AdvancedBackfillPending reports whether the attributes stored before the advanced
// correlation indexes existed are still to be added to them.
func AdvancedBackfillPending(ctx context.Context, q Querier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlation_backfills
		WHERE name = 'advanced'`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: advanced correlation backfill: %w", err)
	}
	return n > 0, nil
}

// AdvancedBackfillDone records that the advanced correlation indexes hold the attributes
// stored before they existed.
func AdvancedBackfillDone(ctx context.Context, q Querier) error {
	_, err := q.ExecContext(ctx, `DELETE FROM correlation_backfills WHERE name = 'advanced'`)
	if err != nil {
		return fmt.Errorf("store: advanced correlation backfill: %w", err)
	}
	return nil
}

// AdvancedCandidates calls fn with the attributes that may take part in advanced
// correlation (not deleted, of the given types), with their flags, in id order, a batch at
// a time.
//
// note: the type is compared as an expression so that the planner walks the attributes
// in id order; with the type index it would read every attribute of those types, then
// sort them, for each batch of a thousand.
func AdvancedCandidates(ctx context.Context, q Querier, types []string,
	fn func([]IndexedAttribute) error) error {
	after := int64(0)
	for {
		var b condBuilder
		list := b.params(toAny(types))
		var batch []IndexedAttribute
		err := scanAll(ctx, q, `
			SELECT a.id, a.event_id, a.type, a.value1, a.value2, a.disable_correlation,
				e.disable_correlation
			FROM attributes a JOIN events e ON e.id = a.event_id
			WHERE a.id > `+b.param(after)+` AND a.deleted = false
				AND (a.type || '') IN (`+list+`)
			ORDER BY a.id LIMIT 1000`, b.args, func(rows *sql.Rows) error {
			var a IndexedAttribute
			err := rows.Scan(&a.ID, &a.EventID, &a.Type, &a.Value1, &a.Value2,
				&a.DisableCorrelation, &a.EventDisableCorrelation)
			batch = append(batch, a)
			return err
		})
		if err != nil {
			return fmt.Errorf("store: advanced correlation candidates: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := fn(batch); err != nil {
			return err
		}
		after = batch[len(batch)-1].ID
	}
}

// scanAll runs a query and calls fn on each row.
func scanAll(ctx context.Context, q Querier, query string, args []any,
	fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
