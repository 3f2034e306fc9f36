package correlate

import (
	"context"
	"fmt"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// The index follows the exclusions at once: adding one removes the rows of the values it
// matches, removing one puts back those that no other exclusion keeps out, and Clean
// removes whatever the exclusions match (rows written before an exclusion existed, by an
// older version or by hand).

// terms returns what a database must look for to find the values ex matches: exact values,
// and LIKE patterns (escaped with !) for the others. The database's LIKE may match more
// (SQLite folds ASCII case); Excluded decides.
func (ex *Exclusions) terms() (exact, like []string) {
	for v := range ex.exact {
		exact = append(exact, v)
	}
	for _, c := range ex.contains {
		like = append(like, "%"+store.EscapeLike(c)+"%")
	}
	for _, p := range ex.prefixes {
		like = append(like, store.EscapeLike(p)+"%")
	}
	for _, s := range ex.suffixes {
		like = append(like, "%"+store.EscapeLike(s))
	}
	return exact, like
}

// Clean removes from the index the rows whose value ex excludes.
func Clean(ctx context.Context, q store.Querier, ex *Exclusions) error {
	exact, like := ex.terms()
	var gone []store.CorrelationRow
	var goneValue1 []Attr // the attributes whose value1 is excluded, for the advanced indexes
	keep := func(a *store.IndexedAttribute) error {
		if v, ok := partOf(a, a.Row.ValueHash); ok && ex.Excluded(v) {
			gone = append(gone, a.Row)
			if v == a.Value1 {
				goneValue1 = append(goneValue1, Attr{ID: a.ID, EventID: a.EventID, Type: a.Type,
					Value1: a.Value1})
			}
		}
		return nil
	}
	hashes := make([]int64, len(exact))
	for i, v := range exact {
		hashes[i] = Hash(v)
	}
	if err := store.IndexedRowsByHash(ctx, q, hashes, keep); err != nil {
		return fmt.Errorf("correlate: clean: %w", err)
	}
	if err := store.IndexedRowsLike(ctx, q, like, keep); err != nil {
		return fmt.Errorf("correlate: clean: %w", err)
	}
	if err := store.DeleteCorrelations(ctx, q, gone); err != nil {
		return err
	}
	return store.DeleteAdvancedCorrelations(ctx, q, advancedRows(goneValue1, nil))
}

// Exclude removes from the index the rows of the values pattern matches, as a new
// exclusion takes effect.
func Exclude(ctx context.Context, q store.Querier, pattern string) error {
	return Clean(ctx, q, NewExclusions([]string{pattern}))
}

// Include puts back in the index the values pattern matched, now that it is removed, unless
// one of the remaining exclusions still matches them.
func Include(ctx context.Context, tx *store.Tx, pattern string, remaining *Exclusions) error {
	exact, like := NewExclusions([]string{pattern}).terms()
	var attrs []Attr
	err := store.AttributesWithValues(ctx, tx, exact, like, func(a *store.IndexedAttribute) error {
		attrs = append(attrs, Attr{ID: a.ID, EventID: a.EventID, Type: a.Type, Value1: a.Value1,
			Value2: a.Value2, Off: a.DisableCorrelation || a.EventDisableCorrelation})
		return nil
	})
	if err != nil {
		return fmt.Errorf("correlate: include: %w", err)
	}
	// Rows of values that another part of the attribute shares may be there already.
	if err := store.AddCorrelations(ctx, tx, Rows(attrs, remaining)); err != nil {
		return fmt.Errorf("correlate: include: %w", err)
	}
	if err := store.InsertAdvancedCorrelations(ctx, tx, advancedRows(attrs, remaining)); err != nil {
		return fmt.Errorf("correlate: include: %w", err)
	}
	return nil
}

// partOf returns the value part of a that has hash h.
func partOf(a *store.IndexedAttribute, h int64) (string, bool) {
	if Hash(a.Value1) == h {
		return a.Value1, true
	}
	if a.Value2 != "" && !misp.PrimaryOnlyCorrelating(a.Type) && Hash(a.Value2) == h {
		return a.Value2, true
	}
	return "", false
}

// AddExclusion stores a new exclusion and removes the index rows it matches, in one
// transaction. A value already excluded gives store.ErrConflict.
func AddExclusion(ctx context.Context, db *store.DB, x *store.CorrelationExclusion) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.InsertCorrelationExclusion(ctx, tx, x); err != nil {
			return err
		}
		return Exclude(ctx, tx, x.Value)
	})
}

// DeleteExclusion removes exclusion id and puts back in the index the values that no other
// exclusion keeps out, in one transaction.
func DeleteExclusion(ctx context.Context, db *store.DB, id int64) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		x, err := store.FindCorrelationExclusion(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := store.DeleteCorrelationExclusion(ctx, tx, id); err != nil {
			return err
		}
		remaining, err := LoadExclusions(ctx, tx)
		if err != nil {
			return err
		}
		return Include(ctx, tx, x.Value, remaining)
	})
}

// CleanAll removes from the index every row that the stored exclusions match.
func CleanAll(ctx context.Context, db *store.DB) error {
	return db.Tx(ctx, func(tx *store.Tx) error {
		ex, err := LoadExclusions(ctx, tx)
		if err != nil {
			return err
		}
		return Clean(ctx, tx, ex)
	})
}
