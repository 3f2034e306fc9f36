package events

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

const msgStaleAttribute = "Attribute could not be saved: Attribute in the request not newer " +
	"than the local copy."

// AttributesResult is what attributes/add stored: the attributes, and per input index the
// ones that failed.
type AttributesResult struct {
	Attributes []model.Attribute
	// Errors maps "attribute_<i>" to the field errors of input i (several inputs), or
	// holds the field errors of the only input.
	Errors map[string]any
}

// AddAttributes adds attributes to an event (attributes/add): inputs, each of whose value may
// be a list that gives one attribute per item. Inputs that fail are reported and the others
// stored; when all fail the write is refused. A duplicate of an attribute of the event is a
// failure with breakOnDuplicate, and is stored as a new attribute without it, as MISP's
// breakOnDuplicate:0 does.
func (s *Service) AddAttributes(ctx context.Context, a *Actor, ref store.EventRef,
	inputs []AttributeInput, breakOnDuplicate bool) (*AttributesResult, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		return nil, notFoundAs(err, msgInvalidEvent)
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return nil, forbidden(msgNoPermission)
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}

	p := newPlan()
	n := 0
	for i := range inputs {
		for _, value := range expandValues(&inputs[i]) {
			in := inputs[i]
			in.Value = &Value{One: value}
			if err := p.addAttribute(b, &in, -1, 0, strconv.Itoa(n)); err != nil {
				return nil, err
			}
			n++
		}
	}
	taken, err := p.checkFreshUUIDs(ctx, s.db, nil)
	if err != nil {
		return nil, err
	}
	p.dropUUIDs(taken)
	existing, err := store.ExistingAttributeKeys(ctx, s.db, int64(e.ID), p.newKeys())
	if err != nil {
		return nil, err
	}
	if breakOnDuplicate {
		p.dropDuplicates(existing)
	}
	failed := mergeFailures(p.fatal, p.skipped, n)
	if len(p.attrs) == 0 {
		if n == 1 && len(failed) == 1 {
			for _, fe := range failed {
				return nil, invalid(fe)
			}
		}
		return nil, invalid(failed)
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
		return nil, fmt.Errorf("events: add attributes: %w", err)
	}
	out := &AttributesResult{}
	if err := s.attachedTags(ctx, p); err != nil {
		return nil, err
	}
	for _, at := range p.attrs {
		out.Attributes = append(out.Attributes, *at)
	}
	if len(failed) > 0 {
		out.Errors = failed
	}
	return out, nil
}

// attachedTags sets the Tag list of the plan's stored attributes that came with tags to the
// tags attached to them, local ones included: MISP answers attributes/add with the links it
// stored.
func (s *Service) attachedTags(ctx context.Context, p *plan) error {
	var ids []int64
	for i, at := range p.attrs {
		if len(p.attrTags[i]) > 0 {
			ids = append(ids, int64(at.ID))
		}
	}
	if len(ids) == 0 {
		return nil
	}
	tags, err := store.AttributeTagsOf(ctx, s.db, ids, true)
	if err != nil {
		return fmt.Errorf("events: add attributes: %w", err)
	}
	for _, at := range p.attrs {
		at.Tag = tags[int64(at.ID)]
	}
	return nil
}

// expandValues returns the values an attribute input stands for: one, or one per item.
func expandValues(in *AttributeInput) []string {
	if in.Value == nil {
		return []string{""}
	}
	if in.Value.Many {
		if len(in.Value.List) == 0 {
			return []string{""}
		}
		return in.Value.List
	}
	return []string{in.Value.One}
}

// dropUUIDs removes from the plan the attributes whose uuid is in taken.
func (p *plan) dropUUIDs(taken map[string]bool) {
	if len(taken) == 0 {
		return
	}
	keep := 0
	for i, a := range p.attrs {
		if taken[a.UUID] {
			continue
		}
		p.attrs[keep], p.objectOf[keep], p.pos[keep] = a, p.objectOf[i], p.pos[i]
		p.attrTags[keep] = p.attrTags[i]
		keep++
	}
	p.attrs, p.objectOf, p.pos = p.attrs[:keep], p.objectOf[:keep], p.pos[:keep]
	p.attrTags = p.attrTags[:keep]
}

// mergeFailures turns the plan's failures, keyed by input index, into attributes/add's
// {"attribute_<i>": {field: [messages]}}.
func mergeFailures(fatal, skipped map[string]any, n int) map[string]any {
	out := map[string]any{}
	for _, m := range []map[string]any{fatal, skipped} {
		for k, v := range m {
			if k == "Attribute" {
				for i, fe := range v.(map[string]any) {
					out["attribute_"+i] = fe
				}
				continue
			}
			if _, err := strconv.Atoi(k); err == nil {
				out["attribute_"+k] = v
			} else {
				out[k] = v
			}
		}
	}
	return out
}

// contentChanged records a change of an event's content (Q14): it is unpublished, its
// timestamp moves to now, and its attribute count is refreshed.
func (s *Service) contentChanged(ctx context.Context, tx *store.Tx, eventID int64) error {
	if err := store.TouchEvent(ctx, tx, eventID, s.unix()); err != nil {
		return err
	}
	_, err := store.RefreshAttributeCount(ctx, tx, eventID)
	return err
}

// findWritableAttribute loads an attribute the actor may see and its event, and checks that
// the actor may change it.
func (s *Service) findWritableAttribute(ctx context.Context, a *Actor, ref store.AttributeRef) (
	*acl.Viewer, model.Attribute, model.Event, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, model.Attribute{}, model.Event{}, err
	}
	at, err := store.FindAttribute(ctx, s.db, ref, v.AttributeCondition("e", "a", "o"))
	if err != nil {
		return nil, at, model.Event{}, notFoundAs(err, msgInvalidAttribute)
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: int64(at.EventID)}, "true")
	if err != nil {
		return nil, at, e, err
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return nil, at, e, forbidden(msgNoPermission)
	}
	return v, at, e, nil
}

// EditAttribute changes an attribute (attributes/edit) with the members in is; a timestamp,
// when sent, must be newer than the stored one.
func (s *Service) EditAttribute(ctx context.Context, a *Actor, ref store.AttributeRef,
	in *AttributeInput) (model.Attribute, error) {
	v, old, e, err := s.findWritableAttribute(ctx, a, ref)
	if err != nil {
		return old, err
	}
	if bool(old.Deleted) && (in.Deleted == nil || bool(*in.Deleted)) {
		return old, notFound(msgInvalidAttribute)
	}
	if !newer(in.Timestamp, old.Timestamp) {
		return old, &Error{Kind: Invalid, Errors: msgStaleAttribute, ID: int64(old.ID)}
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return old, err
	}
	at, data, fe, err := b.editAttribute(old, in)
	if err != nil {
		return old, err
	}
	if fe != nil {
		return old, invalid(map[string][]string(fe))
	}
	if at.ObjectID == 0 && !at.Deleted && store.AttributeKeyOf(&at) != store.AttributeKeyOf(&old) {
		existing, err := store.ExistingAttributeKeys(ctx, s.db, int64(e.ID),
			[]store.AttributeKey{store.AttributeKeyOf(&at)})
		if err != nil {
			return old, err
		}
		if id, dup := existing[store.AttributeKeyOf(&at)]; dup && id != int64(old.ID) {
			return old, invalid(fieldErrors{"value": {msgDuplicate}})
		}
	}

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.UpdateAttribute(ctx, tx, &at); err != nil {
			return err
		}
		err := reindexAttributes(ctx, tx, &e, []*model.Attribute{&old}, []*model.Attribute{&at})
		if err != nil {
			return err
		}
		if data != nil {
			if err := store.InsertAttachments(ctx, tx, map[int64][]byte{int64(at.ID): data}); err != nil {
				return err
			}
		}
		au := s.newAudit(a)
		au.record(actionEdit, "Attribute", int64(at.ID), int64(e.ID), at.Type+"/"+at.Value,
			attributeChange(&old, &at))
		if err := s.tagUpdatedAttributes(ctx, tx, a, &e,
			[]attrUpdate{{new: at, tags: in.Tag}}, in.Tag); err != nil {
			return err
		}
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return old, fmt.Errorf("events: edit attribute: %w", err)
	}
	return at, nil
}

// DeleteAttribute deletes an attribute: soft (deleted true) unless hard, which removes the
// row. An attribute already soft-deleted can only be deleted hard.
func (s *Service) DeleteAttribute(ctx context.Context, a *Actor, ref store.AttributeRef,
	hard bool) error {
	_, at, e, err := s.findWritableAttribute(ctx, a, ref)
	if err != nil {
		return err
	}
	if bool(at.Deleted) && !hard {
		return notFound(msgInvalidAttribute)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		au := s.newAudit(a)
		title := at.Type + "/" + at.Value
		if err := unindexAttributes(ctx, tx, &e, &at); err != nil {
			return err
		}
		if hard {
			if err := store.DeleteAttribute(ctx, tx, int64(at.ID)); err != nil {
				return err
			}
			au.record(actionDelete, "Attribute", int64(at.ID), int64(e.ID), title,
				(&change{}).set("uuid", at.UUID, nil).set("value", at.Value, nil))
		} else {
			old := at
			at.Deleted, at.Timestamp = true, maxStrInt(old.Timestamp, s.unix())
			if err := store.UpdateAttribute(ctx, tx, &at); err != nil {
				return err
			}
			au.record(actionSoftDel, "Attribute", int64(at.ID), int64(e.ID), title,
				attributeChange(&old, &at))
		}
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("events: delete attribute: %w", err)
	}
	return nil
}

// RestoreAttribute undoes the soft deletion of an attribute.
func (s *Service) RestoreAttribute(ctx context.Context, a *Actor, ref store.AttributeRef) (
	model.Attribute, error) {
	_, at, e, err := s.findWritableAttribute(ctx, a, ref)
	if err != nil {
		return at, err
	}
	if !at.Deleted {
		return at, nil
	}
	old := at
	at.Deleted, at.Timestamp = false, maxStrInt(old.Timestamp, s.unix())
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.UpdateAttribute(ctx, tx, &at); err != nil {
			return err
		}
		err := reindexAttributes(ctx, tx, &e, []*model.Attribute{&old}, []*model.Attribute{&at})
		if err != nil {
			return err
		}
		au := s.newAudit(a)
		au.record(actionRestore, "Attribute", int64(at.ID), int64(e.ID), at.Type+"/"+at.Value,
			attributeChange(&old, &at))
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return at, fmt.Errorf("events: restore attribute: %w", err)
	}
	return at, nil
}

// AttributeView is an attribute as attributes/view sends it.
type AttributeView struct {
	Attribute model.Attribute
	EventUUID string
}

// ViewAttribute returns an attribute the actor may see, with its tags (and its attachment
// when withData). A missing, invisible or soft-deleted attribute is refused with MISP's 405
// "Invalid attribute".
func (s *Service) ViewAttribute(ctx context.Context, a *Actor, ref store.AttributeRef,
	withData bool) (*AttributeView, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	at, err := store.FindAttribute(ctx, s.db, ref, v.AttributeCondition("e", "a", "o"))
	if isNotFound(err) || (err == nil && bool(at.Deleted)) {
		return nil, notAllowed(msgInvalidAttribute)
	}
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: int64(at.EventID)}, "true")
	if err != nil {
		return nil, err
	}
	withLocal := !bool(a.Role.Sync) || a.SiteAdmin()
	if at.Tag, err = store.AttributeTags(ctx, s.db, int64(at.ID), withLocal); err != nil {
		return nil, err
	}
	if withData && isAttachmentType(at.Type) {
		d, err := store.Attachment(ctx, s.db, int64(at.ID))
		if err != nil {
			return nil, err
		}
		if d != nil {
			at.Data = base64.StdEncoding.EncodeToString(d)
		}
	}
	return &AttributeView{Attribute: at, EventUUID: e.UUID}, nil
}

func maxStrInt[T ~int64](a T, b int64) T {
	if int64(a) > b {
		return a
	}
	return T(b)
}

// The page sizes of attributes/index: MISP's paginator for attributes gives 60 rows when
// the request sets no limit, and never more than 9999.
const (
	attributeIndexLimit    = 60
	attributeIndexMaxLimit = 9999
)

// IndexAttributes lists a page of the live attributes the actor may see (attributes/index),
// newest event first. A limit of 0 takes MISP's default page size; pages count from 1.
func (s *Service) IndexAttributes(ctx context.Context, a *Actor, limit, page int) (
	[]model.Attribute, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = attributeIndexLimit
	}
	limit = min(limit, attributeIndexMaxLimit)
	list, err := store.IndexAttributes(ctx, s.db, v.AttributeCondition("e", "a", "o"), limit,
		(max(page, 1)-1)*limit)
	if err != nil {
		return nil, fmt.Errorf("events: index attributes: %w", err)
	}
	return list, nil
}
