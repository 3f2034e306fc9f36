package store

import (
	"context"
	"fmt"
	"strings"
)

// CorrelationRow is one row of the correlation index.
type CorrelationRow struct {
	ValueHash   int64
	EventID     int64
	AttributeID int64
}

// corrBatch keeps a statement with an IN list of ids short.
const corrBatch = 300

// InsertCorrelations adds rows to the correlation index inside tx; rows already there are
// kept.
func InsertCorrelations(ctx context.Context, tx *Tx, rows []CorrelationRow) error {
	w := newBatchWriter(tx, "correlations", "value_hash, event_id, attribute_id",
		" ON CONFLICT DO NOTHING", nil)
	for _, r := range rows {
		if err := w.add(ctx, r.ValueHash, r.EventID, r.AttributeID); err != nil {
			return fmt.Errorf("store: insert correlations: %w", err)
		}
	}
	if err := w.close(ctx); err != nil {
		return fmt.Errorf("store: insert correlations: %w", err)
	}
	return nil
}

// DeleteAttributeCorrelations removes the index rows of some attributes of one event.
func DeleteAttributeCorrelations(ctx context.Context, q Querier, eventID int64, attrIDs []int64) error {
	for len(attrIDs) > 0 {
		n := min(len(attrIDs), corrBatch)
		args := []any{eventID}
		var b strings.Builder
		for i, id := range attrIDs[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", i+2)
			args = append(args, id)
		}
		_, err := q.ExecContext(ctx, `DELETE FROM correlations WHERE event_id = $1
			AND attribute_id IN (`+b.String()+`)`, args...)
		if err != nil {
			return fmt.Errorf("store: delete correlations: %w", err)
		}
		attrIDs = attrIDs[n:]
	}
	return nil
}

// DeleteEventCorrelations removes the index rows of every attribute of an event.
func DeleteEventCorrelations(ctx context.Context, q Querier, eventID int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM correlations WHERE event_id = $1`, eventID); err != nil {
		return fmt.Errorf("store: delete event correlations: %w", err)
	}
	return nil
}

// CorrelationExclusionValues returns every correlation exclusion pattern.
func CorrelationExclusionValues(ctx context.Context, q Querier) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT value FROM correlation_exclusions ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: correlation exclusions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
