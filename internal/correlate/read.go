package correlate

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// Reader answers correlation questions for one reader, from the index. It is used by one
// goroutine at a time.
//
// A correlation joins a value part of an attribute on the reading side with an attribute
// of another event that has the same value part. It is shown when the reader may see
// both attributes (the reading side passes only those it may see), when the value is not
// over-correlating (more than Limit rows of the index share its hash), and when the
// values are really equal: the hash only finds the candidates. With Advanced, the
// attributes that relate by advanced correlation are found in the advanced indexes and
// checked in the same way (see advanced.go).
type Reader struct {
	Q store.Querier
	// Visible is the reader's access condition on an attribute aliased a, its event e and
	// its object o (acl.AttributeCondition).
	Visible string
	// Limit is MISP.correlation_limit.
	Limit int
	// Exclusions are the correlation exclusions: the reading side's excluded values do
	// not correlate, whatever rows the index still holds.
	Exclusions *Exclusions
	// Advanced is MISP.enable_advanced_correlations: IP addresses correlate with the CIDR
	// blocks that contain them, ssdeep hashes with those that score SSDeepThreshold or more.
	Advanced bool
	// SSDeepThreshold is MISP.ssdeep_correlation_threshold (0: MISP's default, 40).
	SSDeepThreshold int
	// Over, if not nil, remembers the over-correlating values across reads.
	Over *OverCache

	adv *advancedRead // what Candidates read of the advanced indexes, for OverCorrelating
}

// Own looks up an attribute of the reading side, by id, among those the reader may see.
type Own func(id int64) (Attr, bool)

// OwnOf returns the lookup of attrs.
func OwnOf(attrs []Attr) Own {
	byID := make(map[int64]Attr, len(attrs))
	for _, a := range attrs {
		byID[a.ID] = a
	}
	return func(id int64) (Attr, bool) {
		a, ok := byID[id]
		return a, ok
	}
}

// Match is one correlation: an attribute of the reading side, the value part it shares,
// and the attribute of another event that has it.
type Match struct {
	AttributeID int64
	Value       string
	Other       *store.CorrelatedAttribute
}

// shared returns the value part of the reading side's attribute of pair p that the other
// side o has too, if the reader may see that attribute. For a pair of advanced correlation
// it is the value1 of o, if it relates to the value1 of the reading side's attribute.
func (r *Reader) shared(own Own, p store.CorrelationPair, o *store.CorrelatedAttribute) (
	string, bool) {
	a, ok := own(p.Own.AttributeID)
	if !ok {
		return "", false
	}
	if p.Advanced {
		v := Values(a, r.Exclusions)
		if r.Advanced && len(v) > 0 && v[0] == a.Value1 && !r.Exclusions.Excluded(o.Value1) &&
			advancedRelated(a.Type, a.Value1, o.Type, o.Value1, r.threshold()) {
			return o.Value1, true
		}
		return "", false
	}
	for _, v := range Values(a, r.Exclusions) {
		if (o.Value1 == v || o.Value2 == v && !misp.PrimaryOnlyCorrelating(o.Type)) &&
			Hash(v) == p.Own.ValueHash {
			return v, true
		}
	}
	return "", false
}

func (r *Reader) limit() int {
	if r.Limit <= 0 {
		return 20 // MISP's default, which it also uses for 0
	}
	return r.Limit
}

// Candidates returns the pairs of index rows that join an attribute of event eventID with
// an attribute of another event, for the values that are not over-correlating, and with
// Advanced the pairs the advanced indexes give. It reads the indexes only; RelatedEvents
// and EventMatches check them.
func (r *Reader) Candidates(ctx context.Context, eventID int64) ([]store.CorrelationPair, error) {
	var pairs []store.CorrelationPair
	err := store.EventCorrelationCandidates(ctx, r.Q, eventID, r.limit(), r.Over.memo(r.limit()),
		func(p store.CorrelationPair) error {
			pairs = append(pairs, p)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("correlate: candidates: %w", err)
	}
	if r.Advanced {
		adv, err := r.eventAdvanced(ctx, eventID)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, adv.pairs...)
	}
	return pairs, nil
}

// RelatedEvents returns the ids of the events that hold an attribute the reader may see
// and that correlates with one of own, among the candidate pairs.
//
// Only one correlation per event needs to be proven: the candidates of each event are
// checked a few at a time, first one, then more for the events whose first candidates
// were hidden from the reader or a collision of hashes.
func (r *Reader) RelatedEvents(ctx context.Context, own Own, pairs []store.CorrelationPair) (
	[]int64, error) {
	byEvent := map[int64][]store.CorrelationPair{}
	for _, p := range pairs {
		if _, ok := own(p.Own.AttributeID); ok {
			byEvent[p.Other.EventID] = append(byEvent[p.Other.EventID], p)
		}
	}
	var found []int64
	from, to := make(map[int64]int, len(byEvent)), make(map[int64]int, len(byEvent))
	for take := 1; len(byEvent) > 0; take = min(take*8, 512) {
		var ids []int64
		for ev, list := range byEvent {
			from[ev], to[ev] = to[ev], min(to[ev]+take, len(list))
			for _, p := range list[from[ev]:to[ev]] {
				ids = append(ids, p.Other.AttributeID)
			}
		}
		others, err := store.CorrelatedAttributes(ctx, r.Q, dedupe(ids), r.Visible)
		if err != nil {
			return nil, fmt.Errorf("correlate: related events: %w", err)
		}
		for ev, list := range byEvent {
			if r.proven(own, list[from[ev]:to[ev]], others) {
				found = append(found, ev)
				delete(byEvent, ev)
			} else if to[ev] == len(list) {
				delete(byEvent, ev)
			}
		}
	}
	return found, nil
}

// proven reports whether one of pairs, whose other attributes were read into others
// (those the reader may not see are missing), is a correlation.
func (r *Reader) proven(own Own, pairs []store.CorrelationPair,
	others map[int64]*store.CorrelatedAttribute) bool {
	for _, p := range pairs {
		if o := others[p.Other.AttributeID]; o != nil {
			if _, ok := r.shared(own, p, o); ok {
				return true
			}
		}
	}
	return false
}

// EventMatches returns the correlations of own among the candidate pairs: at most max, in
// the order of the other events and attributes.
func (r *Reader) EventMatches(ctx context.Context, own Own, pairs []store.CorrelationPair,
	max int) ([]Match, error) {
	var list []store.CorrelationPair
	for _, p := range pairs {
		if _, ok := own(p.Own.AttributeID); ok {
			list = append(list, p)
		}
	}
	slices.SortFunc(list, func(a, b store.CorrelationPair) int {
		return cmp.Or(cmp.Compare(a.Other.EventID, b.Other.EventID),
			cmp.Compare(a.Other.AttributeID, b.Other.AttributeID),
			cmp.Compare(a.Own.AttributeID, b.Own.AttributeID))
	})
	return r.matches(ctx, own, list, max)
}

// matches checks pairs, in batches, and returns the correlations among them, at most max.
func (r *Reader) matches(ctx context.Context, own Own, pairs []store.CorrelationPair, max int) (
	[]Match, error) {
	var out []Match
	for len(pairs) > 0 && len(out) < max {
		batch := pairs[:min(len(pairs), 2000)]
		pairs = pairs[len(batch):]
		ids := make([]int64, len(batch))
		for i, p := range batch {
			ids[i] = p.Other.AttributeID
		}
		others, err := store.CorrelatedAttributes(ctx, r.Q, dedupe(ids), r.Visible)
		if err != nil {
			return nil, fmt.Errorf("correlate: related attributes: %w", err)
		}
		for _, p := range batch {
			o := others[p.Other.AttributeID]
			if o == nil || len(out) == max {
				continue
			}
			if v, ok := r.shared(own, p, o); ok {
				out = append(out, Match{AttributeID: p.Own.AttributeID, Value: v, Other: o})
			}
		}
	}
	return out, nil
}

// AttributeMatches returns the correlations of attrs, attributes the reader may see of any
// events, with attributes of other events the reader may see: at most max.
func (r *Reader) AttributeMatches(ctx context.Context, attrs []Attr, max int) ([]Match, error) {
	var pairs []store.CorrelationPair
	err := store.CorrelationCandidates(ctx, r.Q, Rows(attrs, r.Exclusions), r.limit(),
		func(p store.CorrelationPair) error {
			pairs = append(pairs, p)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("correlate: related attributes: %w", err)
	}
	if r.Advanced {
		// Only the rows in the indexes: an attribute of an event that disables
		// correlation has none.
		own, err := store.PresentAdvancedRows(ctx, r.Q, advancedRows(attrs, r.Exclusions))
		if err != nil {
			return nil, err
		}
		adv, err := r.advanced(ctx, own)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, adv.pairs...)
	}
	return r.matches(ctx, OwnOf(attrs), pairs, max)
}

// OverCorrelating returns the value hashes of event eventID that are over the limit: those
// that too many rows of the index share, and with Advanced the value1 of the attributes
// that relate by advanced correlation to too many others.
func (r *Reader) OverCorrelating(ctx context.Context, eventID int64) (map[int64]bool, error) {
	over, err := store.EventOverCorrelating(ctx, r.Q, eventID, r.limit())
	if err != nil || !r.Advanced {
		return over, err
	}
	adv, err := r.eventAdvanced(ctx, eventID)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(adv.over))
	for id := range adv.over {
		ids = append(ids, id)
	}
	values, err := store.AttributeValues(ctx, r.Q, ids)
	if err != nil {
		return nil, err
	}
	for _, v := range values {
		over[Hash(v[1])] = true
	}
	return over, nil
}

func dedupe(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// OverCorrelation is a value that correlates too widely: Count attributes carry it, more
// than the limit.
type OverCorrelation struct {
	Value string
	Count int64
}

// OverCorrelations lists the over-correlating values, most common first, page (from 1) of
// perPage.
func OverCorrelations(ctx context.Context, q store.Querier, limit, page, perPage int) (
	[]OverCorrelation, error) {
	if limit <= 0 {
		limit = 20
	}
	hashes, err := store.OverCorrelatingHashes(ctx, q, limit, page, perPage)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(hashes))
	for i, h := range hashes {
		ids[i] = h.AttributeID
	}
	values, err := store.AttributeValues(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]OverCorrelation, 0, len(hashes))
	for _, h := range hashes {
		v := values[h.AttributeID]
		a := &store.IndexedAttribute{Type: v[0], Value1: v[1], Value2: v[2]}
		if part, ok := partOf(a, h.ValueHash); ok {
			out = append(out, OverCorrelation{Value: part, Count: h.Count})
		}
	}
	return out, nil
}
