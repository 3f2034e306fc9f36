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

// Index adds the correlating values of attrs to the index (and to the advanced indexes),
// inside the caller's transaction:
// attrs have no rows there yet (new attributes, or attributes whose rows were just
// removed). Attributes that do not correlate add nothing.
func Index(ctx context.Context, tx *store.Tx, attrs []Attr, ex *Exclusions) error {
	if err := store.InsertCorrelations(ctx, tx, Rows(attrs, ex)); err != nil {
		return fmt.Errorf("correlate: index: %w", err)
	}
	if err := store.InsertAdvancedCorrelations(ctx, tx, advancedRows(attrs, ex)); err != nil {
		return fmt.Errorf("correlate: index: %w", err)
	}
	return nil
}

// Remove takes the rows of attrs out of the index: every row their values could have
// given, whatever their flags and the exclusions.
func Remove(ctx context.Context, q store.Querier, attrs []Attr) error {
	all := make([]Attr, len(attrs))
	for i, a := range attrs {
		all[i] = a
		all[i].Off = false
	}
	if err := store.DeleteCorrelations(ctx, q, Rows(all, nil)); err != nil {
		return fmt.Errorf("correlate: remove: %w", err)
	}
	if err := store.DeleteAdvancedCorrelations(ctx, q, advancedRows(all, nil)); err != nil {
		return fmt.Errorf("correlate: remove: %w", err)
	}
	return nil
}

// Reindex replaces the index rows of attributes after a change of their value, type,
// flags or deletion: old are the attributes as they were, changed as they are now.
func Reindex(ctx context.Context, tx *store.Tx, old, changed []Attr, ex *Exclusions) error {
	if err := Remove(ctx, tx, old); err != nil {
		return err
	}
	return Index(ctx, tx, changed, ex)
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
