package events

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/store"
)

// FreetextTarget is the event a freetext import reads into.
type FreetextTarget struct {
	EventID int64
	// Distribution is what an imported attribute gets when the import names none: the
	// setting MISP.default_attribute_distribution, 5 ("inherit the event") for "event".
	Distribution int64
}

// FindFreetextTarget returns the event of events/freeTextImport when the actor may add
// attributes (perm_add) and see the event; an event the actor may not see is MISP's 404
// "Invalid event.". Looking for indicators needs no more than that; storing them does
// (see [Service.AddFreetextAttributes]).
func (s *Service) FindFreetextTarget(ctx context.Context, a *Actor, ref store.EventRef) (
	*FreetextTarget, error) {
	if !acl.CanAddEvent(a.Principal) {
		return nil, forbidden(msgNoFunctionality)
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		return nil, notFoundAs(err, msgInvalidEventDot)
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}
	return &FreetextTarget{EventID: int64(e.ID), Distribution: b.attrDistribution}, nil
}

// AddFreetextAttributes stores the attributes a freetext import proposes in an event the
// actor may modify, as attributes/add would store them, except that nothing is refused as
// a whole: attributes that fail validation, and those that repeat one of the event (or an
// earlier one of the import), are left out and reported under their index, as MISP counts
// them as failures and saves the rest. MISP files the attributes of an event the user may
// not modify as proposals; Cairn, which keeps no proposals, refuses them as attributes/add
// does.
func (s *Service) AddFreetextAttributes(ctx context.Context, a *Actor, ref store.EventRef,
	inputs []AttributeInput) (*AttributesResult, error) {
	if !acl.CanAddEvent(a.Principal) {
		return nil, forbidden(msgNoFunctionality)
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		return nil, notFoundAs(err, msgInvalidEventDot)
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return nil, forbidden(msgNoPermission)
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}

	p := newPlan()
	for i := range inputs {
		if err := p.addAttribute(b, &inputs[i], -1, 0, strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	existing, err := store.ExistingAttributeKeys(ctx, s.db, int64(e.ID), p.newKeys())
	if err != nil {
		return nil, err
	}
	p.dropDuplicates(existing)
	out := &AttributesResult{}
	if failed := mergeFailures(p.fatal, p.skipped, len(inputs)); len(failed) > 0 {
		out.Errors = failed
	}
	if len(p.attrs) == 0 {
		return out, nil
	}

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		au := s.newAudit(a)
		if err := s.writePlan(ctx, tx, a, &e, p, au); err != nil {
			return err
		}
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("events: freetext import: %w", err)
	}
	for _, at := range p.attrs {
		out.Attributes = append(out.Attributes, *at)
	}
	return out, nil
}
