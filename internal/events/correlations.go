package events

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// The correlation index is kept by every write of attributes, in the write's transaction
// (package correlate); the reads answer from it with the reader's rights.
//
// note: the index is kept even while MISP.completely_disable_correlation is on, and the
// setting hides correlations from the readers: turning it off again then needs no
// rebuild, at the cost of the index's writes during ingest.

// indexAttributes adds the new attributes attrs of event e to the index; off(i) tells
// whether attrs[i] must stay out of it for another reason than its own flags (it is inside
// a deleted object).
func indexAttributes(ctx context.Context, tx *store.Tx, e *model.Event, attrs []*model.Attribute,
	off func(i int) bool) error {
	if len(attrs) == 0 {
		return nil
	}
	ex, err := correlate.LoadExclusions(ctx, tx)
	if err != nil {
		return err
	}
	list := make([]correlate.Attr, len(attrs))
	for i, a := range attrs {
		list[i] = correlate.AttrOf(a, bool(e.DisableCorrelation))
		list[i].Off = list[i].Off || off(i)
	}
	return correlate.Index(ctx, tx, list, ex)
}

// reindexAttributes replaces the index rows of stored attributes of event e after a
// change: old[i] is changed[i] as it was.
func reindexAttributes(ctx context.Context, tx *store.Tx, e *model.Event,
	old, changed []*model.Attribute) error {
	if len(changed) == 0 {
		return nil
	}
	ex, err := correlate.LoadExclusions(ctx, tx)
	if err != nil {
		return err
	}
	return correlate.Reindex(ctx, tx, attrsOf(e, old), attrsOf(e, changed), ex)
}

// unindexAttributes takes the rows of stored attributes of event e out of the index.
func unindexAttributes(ctx context.Context, tx *store.Tx, e *model.Event,
	attrs ...*model.Attribute) error {
	return correlate.Remove(ctx, tx, attrsOf(e, attrs))
}

func attrsOf(e *model.Event, attrs []*model.Attribute) []correlate.Attr {
	list := make([]correlate.Attr, len(attrs))
	for i, a := range attrs {
		list[i] = correlate.AttrOf(a, bool(e.DisableCorrelation))
	}
	return list
}

// reindexEvent rebuilds the index rows of event e after its disable_correlation changed.
func reindexEvent(ctx context.Context, tx *store.Tx, e *model.Event) error {
	ex, err := correlate.LoadExclusions(ctx, tx)
	if err != nil {
		return err
	}
	return correlate.ReindexEvent(ctx, tx, int64(e.ID), bool(e.DisableCorrelation), ex)
}

// correlationSettings are the settings the readers of correlations apply.
type correlationSettings struct {
	limit, maxPerEvent int
	disabled           bool
	advanced           bool
	ssdeepThreshold    int
}

func (s *Service) correlationSettings(ctx context.Context) (correlationSettings, error) {
	var cs correlationSettings
	limit, err := s.settings.Int(ctx, "MISP.correlation_limit")
	if err != nil {
		return cs, fmt.Errorf("events: settings: %w", err)
	}
	max, err := s.settings.Int(ctx, "MISP.max_correlations_per_event")
	if err != nil {
		return cs, fmt.Errorf("events: settings: %w", err)
	}
	if cs.disabled, err = s.settings.Bool(ctx, "MISP.completely_disable_correlation"); err != nil {
		return cs, fmt.Errorf("events: settings: %w", err)
	}
	if cs.advanced, err = s.settings.Bool(ctx, "MISP.enable_advanced_correlations"); err != nil {
		return cs, fmt.Errorf("events: settings: %w", err)
	}
	threshold, err := s.settings.Int(ctx, "MISP.ssdeep_correlation_threshold")
	if err != nil {
		return cs, fmt.Errorf("events: settings: %w", err)
	}
	cs.ssdeepThreshold = int(threshold)
	cs.limit, cs.maxPerEvent = int(limit), int(max)
	if cs.maxPerEvent <= 0 {
		cs.maxPerEvent = 5000
	}
	return cs, nil
}

// correlationRead reads the index for an event's correlations. It starts before the event's
// content is loaded, and reads the index meanwhile: the candidates depend on the event
// only; what the reader may see of them is decided once the content is there.
type correlationRead struct {
	done   chan struct{}
	cancel context.CancelFunc
	skip   bool
	cs     correlationSettings
	r      *correlate.Reader
	pairs  []store.CorrelationPair
	err    error
	// own, when set, reads the attributes of the event with the given ids that are not in
	// the event in memory (a view that streams them).
	own func(ids []int64) ([]model.Attribute, error)
}

// relate fills the correlations of e for the reader v, as fillCorrelations does, reading
// the index now.
func (s *Service) relate(ctx context.Context, q store.Querier, v *acl.Viewer, e *model.Event,
	opt ViewOptions, inbound bool) error {
	cr := s.readCorrelations(ctx, q, v, int64(e.ID), opt)
	defer cr.stop()
	return s.fillCorrelations(ctx, q, e, opt, cr, inbound)
}

// readCorrelations starts reading the correlations of event eventID for the reader v,
// from q, which the read uses meanwhile (a *store.DB, not a transaction). The caller calls
// stop when done with it, whatever happens.
func (s *Service) readCorrelations(ctx context.Context, q store.Querier, v *acl.Viewer,
	eventID int64, opt ViewOptions) *correlationRead {
	cr := &correlationRead{done: make(chan struct{}), cancel: func() {}}
	if opt.NoEventCorrelations && !opt.GranularCorrelations {
		cr.skip = true
		close(cr.done)
		return cr
	}
	ctx, cr.cancel = context.WithCancel(ctx)
	go func() {
		defer close(cr.done)
		cr.err = cr.read(ctx, s, q, v, eventID)
	}()
	return cr
}

func (cr *correlationRead) read(ctx context.Context, s *Service, q store.Querier, v *acl.Viewer,
	eventID int64) error {
	var err error
	if cr.cs, err = s.correlationSettings(ctx); err != nil || cr.cs.disabled {
		cr.skip = err == nil
		return err
	}
	ex, err := correlate.LoadExclusions(ctx, q)
	if err != nil {
		return err
	}
	cr.r = &correlate.Reader{Q: q, Visible: v.AttributeCondition("e", "a", "o"),
		Limit: cr.cs.limit, Exclusions: ex, Advanced: cr.cs.advanced,
		SSDeepThreshold: cr.cs.ssdeepThreshold, Over: s.over}
	cr.pairs, err = cr.r.Candidates(ctx, eventID)
	return err
}

// stop ends the read, if it still runs.
func (cr *correlationRead) stop() { cr.cancel() }

// fillCorrelations fills the correlations of an event the reader sees, from cr:
// RelatedEvent, unless opt leaves it out, and with granular correlations each attribute's
// RelatedAttribute and its exclusion and over-correlation flags. Only the attributes
// already in e, those the reader may see, take part. inbound adds events/view's empty
// RelationshipInbound to each related event.
func (s *Service) fillCorrelations(ctx context.Context, q store.Querier, e *model.Event,
	opt ViewOptions, cr *correlationRead, inbound bool) error {
	<-cr.done
	if cr.err != nil || cr.skip {
		return cr.err
	}
	attrs := eventAttributes(e)
	byID := make(map[int64]*model.Attribute, len(attrs))
	for _, a := range attrs {
		byID[int64(a.ID)] = a
	}
	if cr.own != nil {
		var ids []int64
		for _, p := range cr.pairs {
			if _, ok := byID[p.Own.AttributeID]; !ok {
				ids = append(ids, p.Own.AttributeID)
			}
		}
		if len(ids) > 0 {
			slices.Sort(ids)
			read, err := cr.own(slices.Compact(ids))
			if err != nil {
				return err
			}
			for i := range read {
				byID[int64(read[i].ID)] = &read[i]
			}
		}
	}
	own := func(id int64) (correlate.Attr, bool) {
		a, ok := byID[id]
		if !ok {
			return correlate.Attr{}, false
		}
		return correlate.AttrOf(a, bool(e.DisableCorrelation)), true
	}

	var related []int64
	var err error
	complete := false
	if opt.GranularCorrelations {
		if related, complete, err = relateAttributes(ctx, cr, int64(e.ID), byID, own); err != nil {
			return err
		}
	}
	if opt.NoEventCorrelations {
		return nil
	}
	if !complete {
		if related, err = cr.r.RelatedEvents(ctx, own, cr.pairs); err != nil {
			return err
		}
	}
	events, err := store.EventsByID(ctx, q, related)
	if err != nil {
		return fmt.Errorf("events: related events: %w", err)
	}
	slices.SortFunc(events, func(a, b model.Event) int {
		return cmp.Or(cmp.Compare(b.Date, a.Date), cmp.Compare(a.ID, b.ID))
	})
	e.RelatedEvent = make([]any, len(events))
	for i := range events {
		e.RelatedEvent[i] = events[i].Related(inbound)
	}
	return nil
}

// relateAttributes fills the granular correlations of the attributes byID and returns the
// events they name; complete is false when the number of correlations reached the setting
// MISP.max_correlations_per_event, so that the events are not all known.
func relateAttributes(ctx context.Context, cr *correlationRead, eventID int64,
	byID map[int64]*model.Attribute, own correlate.Own) (
	related []int64, complete bool, err error) {
	matches, err := cr.r.EventMatches(ctx, own, cr.pairs, cr.cs.maxPerEvent)
	if err != nil {
		return nil, false, err
	}
	over, err := cr.r.OverCorrelating(ctx, eventID)
	if err != nil {
		return nil, false, err
	}
	for _, a := range byID {
		flagCorrelation(a, cr.r.Exclusions, over)
	}
	seen := map[int64]bool{}
	for _, m := range matches {
		o := m.Other
		a := byID[m.AttributeID]
		a.RelatedAttribute = append(a.RelatedAttribute, model.RelatedAttribute{ID: o.ID,
			Value: m.Value, OrgID: o.Event.OrgID, Info: o.Event.Info, EventID: o.EventID})
		if !seen[int64(o.EventID)] {
			seen[int64(o.EventID)] = true
			related = append(related, int64(o.EventID))
		}
	}
	return related, len(matches) < cr.cs.maxPerEvent, nil
}

// flagCorrelation sets, as MISP does with granular correlations, whether a value part of a
// correlating attribute is excluded or over-correlating (its hash in over).
func flagCorrelation(a *model.Attribute, ex *correlate.Exclusions, over map[int64]bool) {
	if bool(a.DisableCorrelation) || misp.CorrelatesNever(a.Type) {
		return
	}
	v1, v2 := a.Values()
	parts := []string{v1}
	if v2 != "" && !misp.PrimaryOnlyCorrelating(a.Type) {
		parts = append(parts, v2)
	}
	for _, v := range parts {
		a.CorrelationExclusion = a.CorrelationExclusion || ex.Excluded(v)
		a.OverCorrelation = a.OverCorrelation || over[correlate.Hash(v)]
	}
}

// eventAttributes returns the attributes of e, those of its objects included.
func eventAttributes(e *model.Event) []*model.Attribute {
	out := make([]*model.Attribute, 0, len(e.Attribute))
	for i := range e.Attribute {
		out = append(out, &e.Attribute[i])
	}
	for i := range e.Object {
		for j := range e.Object[i].Attribute {
			out = append(out, &e.Object[i].Attribute[j])
		}
	}
	return out
}
