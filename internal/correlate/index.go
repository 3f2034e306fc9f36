package correlate

import (
	"context"
	"fmt"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// AttrOf returns what the index needs of a stored attribute; eventOff is its event's
// disable_correlation flag.
func AttrOf(a *model.Attribute, eventOff bool) Attr {
	v1, v2 := a.Values()
	return Attr{ID: int64(a.ID), EventID: int64(a.EventID), Type: a.Type, Value1: v1, Value2: v2,
		Off: eventOff || bool(a.Deleted) || bool(a.DisableCorrelation)}
}

// Rows returns the index rows of attrs.
func Rows(attrs []Attr, ex *Exclusions) []store.CorrelationRow {
	rows := make([]store.CorrelationRow, 0, len(attrs))
	for _, a := range attrs {
		for _, v := range Values(a, ex) {
			rows = append(rows, store.CorrelationRow{ValueHash: Hash(v), EventID: a.EventID,
				AttributeID: a.ID})
		}
	}
	return rows
}

// Index adds the correlating values of attrs to the index, inside the caller's transaction:
// attrs have no rows there yet (new attributes, or attributes whose rows were just
// removed). Attributes that do not correlate add nothing.
func Index(ctx context.Context, tx *store.Tx, attrs []Attr, ex *Exclusions) error {
	if err := store.InsertCorrelations(ctx, tx, Rows(attrs, ex)); err != nil {
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

// ReindexEvent rebuilds the index rows of a whole event, after a change of its
// disable_correlation flag: off removes them all.
func ReindexEvent(ctx context.Context, tx *store.Tx, eventID int64, off bool,
	ex *Exclusions) error {
	if err := store.DeleteEventCorrelations(ctx, tx, eventID); err != nil {
		return err
	}
	if off {
		return nil
	}
	var attrs []Attr
	for _, inObjects := range []bool{false, true} {
		q := store.AttributeQuery{EventID: eventID, InObjects: inObjects}
		err := store.EventAttributes(ctx, tx, q, func(a *model.Attribute) error {
			attrs = append(attrs, AttrOf(a, false))
			return nil
		})
		if err != nil {
			return fmt.Errorf("correlate: reindex event: %w", err)
		}
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
