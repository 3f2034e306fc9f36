package events

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

const msgStaleEvent = "Event could not be saved: Event in the request not newer than the local copy."

// changes is an edit of an event's content: the plan of new children and the updates of
// stored ones, matched by uuid.
type changes struct {
	*plan
	attrs   []attrUpdate
	objs    []objUpdate
	reports []reportUpdate
}

type attrUpdate struct {
	old, new model.Attribute
	tags     []TagInput
	data     []byte
}

type objUpdate struct{ old, new model.Object }

type reportUpdate struct{ old, new model.EventReport }

func (c *changes) empty() bool {
	return len(c.plan.attrs)+len(c.plan.objs)+len(c.plan.refs)+len(c.plan.reports)+
		len(c.attrs)+len(c.objs)+len(c.reports) == 0
}

// EditEvent applies an events/edit: the event's own members, then its children matched by
// uuid (stored ones updated when the input is newer, new ones added, none removed; deleted
// true soft-deletes), then its tags. A missing published unpublishes the event.
func (s *Service) EditEvent(ctx context.Context, a *Actor, ref store.EventRef, in *EventInput) (
	*Result, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		return nil, notFoundAs(err, msgInvalidEvent)
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return nil, forbidden(msgNotAuthorised)
	}
	if !newer(in.Timestamp, e.Timestamp) {
		return nil, &Error{Kind: Invalid, Errors: msgStaleEvent, ID: int64(e.ID)}
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}

	old := e
	fe, err := b.eventFields(in, &e, false, 0, 0)
	if err != nil {
		return nil, err
	}
	if fe != nil {
		return nil, invalid(map[string]any{"Event": map[string][]string(fe)})
	}
	if in.ExtendsUUID != nil {
		if e.ExtendsUUID, err = s.extendsUUID(ctx, in.ExtendsUUID); err != nil {
			return nil, err
		}
	}
	e.Timestamp = misp.StrInt(intOr(in.Timestamp, b.now))
	e.Published = misp.Bool(boolOr(in.Published, false) && acl.CanPublish(a.Principal, &e))
	if e.Published && !old.Published {
		e.PublishTimestamp = misp.StrInt(b.now)
	}

	c, err := s.planChanges(ctx, b, &e, in)
	if err != nil {
		return nil, err
	}
	if len(c.fatal) > 0 {
		return nil, invalid(c.fatal)
	}
	tagsIn := eventTagInputs(in)
	if !acl.CanTag(a.Principal, &e) {
		tagsIn = nil
	}
	c.plan.tags = tagsIn

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.UpdateEvent(ctx, tx, &e); err != nil {
			return err
		}
		au := s.newAudit(a)
		au.record(actionEdit, "Event", int64(e.ID), int64(e.ID), e.Info, eventChange(&old, &e))
		if err := s.writeChanges(ctx, tx, a, &e, c, au); err != nil {
			return err
		}
		if e.DisableCorrelation != old.DisableCorrelation {
			if err := reindexEvent(ctx, tx, &e); err != nil {
				return err
			}
		}
		if err := s.detachTags(ctx, tx, a, int64(e.ID), 0, tagsIn, au); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("events: edit: %w", err)
	}
	// As MISP, the edited event comes back as events/view sends it, sightings included.
	out, err := s.ViewEvent(ctx, a, store.EventRef{ID: int64(e.ID)},
		ViewOptions{Sightings: true})
	if err != nil {
		return nil, err
	}
	return &Result{Event: out, Errors: c.skipped}, nil
}

// planChanges sorts the children of an edit input into updates of stored children and new
// ones, and validates them.
func (s *Service) planChanges(ctx context.Context, b *builder, e *model.Event, in *EventInput) (
	*changes, error) {
	c := &changes{plan: newPlan()}
	eventID := int64(e.ID)

	var attrUUIDs, objUUIDs, reportUUIDs []string
	for i := range in.Attribute {
		attrUUIDs = append(attrUUIDs, lowerTrim(in.Attribute[i].UUID))
	}
	for i := range in.Object {
		objUUIDs = append(objUUIDs, lowerTrim(in.Object[i].UUID))
		for j := range in.Object[i].Attribute {
			attrUUIDs = append(attrUUIDs, lowerTrim(in.Object[i].Attribute[j].UUID))
		}
	}
	for i := range in.EventReport {
		reportUUIDs = append(reportUUIDs, lowerTrim(in.EventReport[i].UUID))
	}
	attrs, err := store.AttributesByUUID(ctx, s.db, eventID, nonEmpty(attrUUIDs))
	if err != nil {
		return nil, err
	}
	objs, err := store.ObjectsByUUID(ctx, s.db, eventID, nonEmpty(objUUIDs))
	if err != nil {
		return nil, err
	}
	reports, err := store.ReportsByUUID(ctx, s.db, eventID, nonEmpty(reportUUIDs))
	if err != nil {
		return nil, err
	}

	for i := range in.Attribute {
		if err := c.attribute(b, attrs, &in.Attribute[i], 0, "Attribute", strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	for i := range in.Object {
		if err := c.object(b, objs, attrs, &in.Object[i], "Object", strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	for i := range in.EventReport {
		ri := &in.EventReport[i]
		if ex, ok := reports[lowerTrim(ri.UUID)]; ok {
			if !newer(ri.Timestamp, ex.Timestamp) {
				continue
			}
			r, fe, err := b.editReport(ex, ri)
			if err != nil {
				return nil, err
			}
			if fe != nil {
				nest(c.fatal, map[string][]string(fe), "EventReport", strconv.Itoa(i))
				continue
			}
			c.reports = append(c.reports, reportUpdate{old: ex, new: r})
			continue
		}
		r, fe, err := b.report(ri, eventID)
		if err != nil {
			return nil, err
		}
		if fe != nil {
			nest(c.fatal, map[string][]string(fe), "EventReport", strconv.Itoa(i))
			continue
		}
		c.plan.reports = append(c.plan.reports, &r)
	}
	return c, s.finishPlan(ctx, c.plan, eventID)
}

// finishPlan checks the new children of a plan for an event that exists: uuids taken
// elsewhere refuse the write, duplicates of stored attributes are left out.
func (s *Service) finishPlan(ctx context.Context, p *plan, eventID int64) error {
	if _, err := p.checkFreshUUIDs(ctx, s.db, nil); err != nil {
		return err
	}
	existing, err := store.ExistingAttributeKeys(ctx, s.db, eventID, p.newKeys())
	if err != nil {
		return err
	}
	p.dropDuplicates(existing)
	return nil
}

// attribute sorts one attribute input of an edit: an update of the stored attribute with
// its uuid when newer, or a new attribute (of the stored object objectID, if not 0).
func (c *changes) attribute(b *builder, stored map[string]model.Attribute, in *AttributeInput,
	objectID int64, path ...string) error {
	if ex, ok := stored[lowerTrim(in.UUID)]; ok {
		if !newer(in.Timestamp, ex.Timestamp) {
			return nil
		}
		a, data, fe, err := b.editAttribute(ex, in)
		if err != nil {
			return err
		}
		if fe != nil {
			nest(c.fatal, map[string][]string(fe), path...)
			return nil
		}
		c.attrs = append(c.attrs, attrUpdate{old: ex, new: a, tags: in.Tag, data: data})
		return nil
	}
	return c.plan.addAttribute(b, in, -1, objectID, path...)
}

// object sorts one object input of an edit: an update of the stored object with its uuid
// (with its attributes sorted in turn) or a new object.
func (c *changes) object(b *builder, stored map[string]model.Object,
	attrs map[string]model.Attribute, in *ObjectInput, path ...string) error {
	ex, ok := stored[lowerTrim(in.UUID)]
	if !ok {
		return c.plan.addObject(b, in, path...)
	}
	if !newer(in.Timestamp, ex.Timestamp) {
		return nil
	}
	o, fe, err := b.editObject(ex, in)
	if err != nil {
		return err
	}
	if fe != nil {
		nest(c.fatal, map[string][]string(fe), path...)
		return nil
	}
	c.objs = append(c.objs, objUpdate{old: ex, new: o})
	for j := range in.Attribute {
		sub := append(append([]string{}, path...), "Attribute", strconv.Itoa(j))
		if err := c.attribute(b, attrs, &in.Attribute[j], int64(ex.ID), sub...); err != nil {
			return err
		}
	}
	for _, r := range in.ObjectReference {
		c.plan.refs = append(c.plan.refs, plannedRef{objIndex: -1, objectID: int64(ex.ID),
			objectUUID: ex.UUID, in: r})
	}
	return nil
}

// writeChanges stores an edit's updates and new children, touches the event when anything
// changed and refreshes its attribute count.
func (s *Service) writeChanges(ctx context.Context, tx *store.Tx, a *Actor, e *model.Event,
	c *changes, au *audit) error {
	eventID := int64(e.ID)
	for _, u := range c.objs {
		if err := store.UpdateObject(ctx, tx, &u.new); err != nil {
			return err
		}
		if u.new.Deleted && !u.old.Deleted {
			err := store.SoftDeleteObjectAttributes(ctx, tx, int64(u.new.ID), int64(u.new.Timestamp))
			if err != nil {
				return err
			}
			if err := store.DeleteObjectCorrelations(ctx, tx, eventID, int64(u.new.ID)); err != nil {
				return err
			}
		}
		au.record(actionEdit, "Object", int64(u.new.ID), eventID, u.new.Name, objectChange(&u.old, &u.new))
	}
	files := map[int64][]byte{}
	var tagInputs []TagInput
	old, updated := make([]*model.Attribute, len(c.attrs)), make([]*model.Attribute, len(c.attrs))
	for i, u := range c.attrs {
		if err := store.UpdateAttribute(ctx, tx, &u.new); err != nil {
			return err
		}
		old[i], updated[i] = &c.attrs[i].old, &c.attrs[i].new
		if u.data != nil {
			files[int64(u.new.ID)] = u.data
		}
		tagInputs = append(tagInputs, u.tags...)
		au.record(actionEdit, "Attribute", int64(u.new.ID), eventID,
			u.new.Type+"/"+u.new.Value, attributeChange(&u.old, &u.new))
	}
	if len(files) > 0 {
		if err := store.InsertAttachments(ctx, tx, files); err != nil {
			return err
		}
	}
	if err := reindexAttributes(ctx, tx, e, old, updated); err != nil {
		return err
	}
	if err := s.tagUpdatedAttributes(ctx, tx, a, e, c.attrs, tagInputs); err != nil {
		return err
	}
	for _, u := range c.reports {
		if err := store.UpdateReport(ctx, tx, &u.new); err != nil {
			return err
		}
		au.record(actionEdit, "EventReport", int64(u.new.ID), eventID, u.new.Name,
			(&change{}).diff("name", u.old.Name, u.new.Name).diff("deleted", u.old.Deleted, u.new.Deleted))
	}
	if err := s.writePlan(ctx, tx, a, e, c.plan, au); err != nil {
		return err
	}
	if !c.empty() {
		if err := store.TouchEvent(ctx, tx, eventID, int64(e.Timestamp)); err != nil {
			return err
		}
		if e.Published {
			if err := store.SetEventPublished(ctx, tx, eventID, true, int64(e.PublishTimestamp)); err != nil {
				return err
			}
		}
	}
	_, err := store.RefreshAttributeCount(ctx, tx, eventID)
	return err
}

// tagUpdatedAttributes attaches (and detaches, for entries marked deleted) the tags sent
// with updated attributes, when the actor may tag the event.
func (s *Service) tagUpdatedAttributes(ctx context.Context, tx *store.Tx, a *Actor,
	e *model.Event, updates []attrUpdate, all []TagInput) error {
	if len(all) == 0 || !acl.CanTag(a.Principal, e) {
		return nil
	}
	tags, err := s.resolveTags(ctx, tx, a, all, true)
	if err != nil {
		return err
	}
	var links []store.TagAttachment
	for _, u := range updates {
		links = append(links, tagAttachments(u.tags, tags, int64(e.ID), int64(u.new.ID))...)
		for _, in := range u.tags {
			if t, ok := tags[tagKey(in)]; ok && bool(in.Deleted) {
				if _, _, err := store.DetachTag(ctx, tx, int64(e.ID), int64(u.new.ID), int64(t.ID)); err != nil {
					return err
				}
			}
		}
	}
	return store.AttachTags(ctx, tx, links)
}

// detachTags removes the tags marked deleted in inputs from an event (attributeID 0) or an
// attribute.
func (s *Service) detachTags(ctx context.Context, tx *store.Tx, a *Actor, eventID,
	attributeID int64, inputs []TagInput, au *audit) error {
	var gone []TagInput
	for _, in := range inputs {
		if in.Deleted {
			gone = append(gone, in)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	tags, err := s.resolveTags(ctx, tx, a, gone, false)
	if err != nil {
		return err
	}
	for _, in := range gone {
		t, ok := tags[tagKey(in)]
		if !ok {
			continue
		}
		found, _, err := store.DetachTag(ctx, tx, eventID, attributeID, int64(t.ID))
		if err != nil {
			return err
		}
		if found {
			au.record(actionUntag, "EventTag", eventID, eventID, t.Name,
				(&change{}).set("tag", t.Name, nil))
		}
	}
	return nil
}

func nonEmpty(list []string) []string {
	out := list[:0:0]
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
