package correlate

import (
	"context"
	"fmt"

	"github.com/cairn-project/cairn/internal/store"
)

// Index adds the correlating values of attrs to the index, inside the caller's transaction.
// Attributes that do not correlate add nothing.
func Index(ctx context.Context, tx *store.Tx, attrs []Attr, ex *Exclusions) error {
	rows := make([]store.CorrelationRow, 0, len(attrs))
	for _, a := range attrs {
		for _, v := range Values(a, ex) {
			rows = append(rows, store.CorrelationRow{ValueHash: Hash(v), EventID: a.EventID,
				AttributeID: a.ID})
		}
	}
	if err := store.InsertCorrelations(ctx, tx, rows); err != nil {
		return fmt.Errorf("correlate: index: %w", err)
	}
	return nil
}

// Reindex replaces the index rows of attrs, after a change to their value, type, flags or
// deletion. They must belong to one event.
func Reindex(ctx context.Context, tx *store.Tx, attrs []Attr, ex *Exclusions) error {
	if len(attrs) == 0 {
		return nil
	}
	ids := make([]int64, len(attrs))
	for i, a := range attrs {
		ids[i] = a.ID
	}
	if err := store.DeleteAttributeCorrelations(ctx, tx, attrs[0].EventID, ids); err != nil {
		return err
	}
	return Index(ctx, tx, attrs, ex)
}

// LoadExclusions reads the correlation exclusions.
func LoadExclusions(ctx context.Context, q store.Querier) (*Exclusions, error) {
	values, err := store.CorrelationExclusionValues(ctx, q)
	if err != nil {
		return nil, err
	}
	return NewExclusions(values), nil
}
