package events

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// ViewOptions are the named parameters of events/view that Cairn honours.
type ViewOptions struct {
	// Deleted includes soft-deleted attributes, objects, references and reports.
	Deleted bool
	// ExcludeLocalTags leaves local tags out (sync users always get this).
	ExcludeLocalTags bool
	// IncludeAttachments adds the base64 data of attachment attributes.
	IncludeAttachments bool
	// NoEventCorrelations leaves RelatedEvent empty (includeEventCorrelations:0).
	NoEventCorrelations bool
	// GranularCorrelations adds each attribute's RelatedAttribute and correlation flags
	// (includeGranularCorrelations:1).
	GranularCorrelations bool
	// IncludeAllTags keeps the tags that are not exportable, which MISP leaves out of the
	// event JSON it sends otherwise.
	IncludeAllTags bool
	// Sightings attaches to each attribute the sightings the reader is shown (events/view
	// unless noSightings:1, events/restSearch in json).
	Sightings bool
}

// exportableTags drops the tags that are not exportable unless all are asked for.
func exportableTags(tags []model.AttachedTag, all bool) []model.AttachedTag {
	if all {
		return tags
	}
	keep := tags[:0]
	for _, t := range tags {
		if t.Exportable {
			keep = append(keep, t)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return keep
}

// ViewEvent returns the event ref names with everything in it the actor may see, or 404
// "Invalid event" when it does not exist or is not visible.
func (s *Service) ViewEvent(ctx context.Context, a *Actor, ref store.EventRef, opt ViewOptions) (
	*model.Event, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		return nil, notFoundAs(err, msgInvalidEvent)
	}
	if bool(a.Role.Sync) && !a.SiteAdmin() {
		opt.ExcludeLocalTags = true
	}
	related := s.readCorrelations(ctx, s.db, v, int64(e.ID), opt)
	c, err := s.loadContent(ctx, s.db, a, v, &e, opt, !opt.GranularCorrelations)
	if err != nil {
		related.stop()
		return nil, fmt.Errorf("events: view: %w", err)
	}
	if !c.stream {
		defer related.stop()
		if err := s.fillCorrelations(ctx, s.db, &e, opt, related, true); err != nil {
			return nil, fmt.Errorf("events: view: %w", err)
		}
		return &e, nil
	}

	// The attributes outside objects are not in memory: the correlations read those of
	// them that the index pairs name. They are worked out while the attributes are written,
	// which RelatedEvent follows in the answer.
	related.own = func(ids []int64) ([]model.Attribute, error) {
		var out []model.Attribute
		err := c.some(ids, nil, func(a *model.Attribute) error {
			out = append(out, *a)
			return nil
		})
		return out, err
	}
	// fillCorrelations sets RelatedEvent on a copy: the answer reads e meanwhile.
	work := e
	done := make(chan struct{})
	var relErr error
	go func() {
		defer close(done)
		defer related.stop()
		relErr = s.fillCorrelations(ctx, s.db, &work, opt, related, true)
	}()
	e.RelatedEventSource = func() ([]any, error) {
		<-done
		if relErr != nil {
			return nil, fmt.Errorf("events: view: %w", relErr)
		}
		return work.RelatedEvent, nil
	}
	return &e, nil
}

// EventExists reports whether the event ref names exists and is visible to the actor, as
// HEAD events/view checks it.
func (s *Service) EventExists(ctx context.Context, a *Actor, ref store.EventRef) (bool, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return false, err
	}
	_, err = store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// content is where the children of an event come from: the database for a view, or what a
// write has just stored, so that events/add answers without reading it all back.
type content struct {
	objects []model.Object
	refs    []model.ObjectReference
	reports []model.EventReport
	// sightings holds the sightings to attach, by attribute id.
	sightings map[int64][]model.Sighting
	// attributes calls fn with the attributes outside objects (inObjects false) or inside
	// them (true), in id order.
	attributes func(inObjects bool, fn func(*model.Attribute) error) error
	// stream leaves the attributes outside objects in the database until the answer is
	// written (model.Event.AttributeStream); some then reads those of them with the given
	// ids or uuids.
	stream bool
	some   func(ids []int64, uuids []string, fn func(*model.Attribute) error) error
}

// loadContent fills a visible event with its tags, objects, references, attributes, reports
// and sharing groups, as v may see them: one query per child table, attributes in id order.
//
// With stream, the attributes outside objects, the bulk of a large event, are read from the
// database as the answer is written (events/view without granular correlations, which are
// computed over the attributes in memory).
func (s *Service) loadContent(ctx context.Context, q store.Querier, a *Actor, v *acl.Viewer,
	e *model.Event, opt ViewOptions, stream bool) (*content, error) {
	id, owner := int64(e.ID), int64(e.OrgID)
	objects, err := store.EventObjects(ctx, q, id, v.ChildCondition("o", owner), opt.Deleted)
	if err != nil {
		return nil, err
	}
	refs, err := store.EventReferences(ctx, q, id, opt.Deleted)
	if err != nil {
		return nil, err
	}
	reports, err := store.EventReports(ctx, q, id, v.ChildCondition("r", owner), opt.Deleted)
	if err != nil {
		return nil, err
	}
	var sightings map[int64][]model.Sighting
	if opt.Sightings {
		if sightings, err = s.eventSightings(ctx, q, v, id); err != nil {
			return nil, err
		}
	}
	visible := v.ChildCondition("a", owner)
	c := &content{objects: objects, refs: refs, reports: reports, sightings: sightings,
		attributes: func(inObjects bool, fn func(*model.Attribute) error) error {
			return store.EventAttributes(ctx, q, store.AttributeQuery{EventID: id,
				Visible: visible, Deleted: opt.Deleted, InObjects: inObjects}, fn)
		},
		stream: stream,
		some: func(ids []int64, uuids []string, fn func(*model.Attribute) error) error {
			const batch = 500
			for len(ids) > 0 || len(uuids) > 0 {
				aq := store.AttributeQuery{EventID: id, Visible: visible, Deleted: opt.Deleted}
				if len(ids) > 0 {
					n := min(len(ids), 10*batch)
					aq.IDs, ids = ids[:n], ids[n:]
				} else {
					n := min(len(uuids), batch)
					aq.UUIDs, uuids = uuids[:n], uuids[n:]
				}
				if err := store.EventAttributes(ctx, q, aq, fn); err != nil {
					return err
				}
			}
			return nil
		}}
	return c, s.assemble(ctx, q, a, e, c, opt)
}

// assemble puts the children of c into e with their tags, attachments and sharing groups.
func (s *Service) assemble(ctx context.Context, q store.Querier, a *Actor, e *model.Event,
	c *content, opt ViewOptions) error {
	id := int64(e.ID)
	if acl.CanSeeCreatorEmail(a.Principal, e) {
		e.EventCreatorEmail = e.CreatorEmail
	}
	var err error
	if e.Tag, err = store.EventTags(ctx, q, id, !opt.ExcludeLocalTags); err != nil {
		return err
	}
	e.Tag = exportableTags(e.Tag, opt.IncludeAllTags)
	objects := c.objects
	objIndex := make(map[int64]int, len(objects))
	for i := range objects {
		objIndex[int64(objects[i].ID)] = i
	}
	wantAttr := map[string]*model.ReferencedAttribute{}
	for _, r := range c.refs {
		if r.ReferencedType == model.ReferencedAttributeType {
			wantAttr[r.ReferencedUUID] = nil
		}
	}

	attrTags := map[int64][]model.AttachedTag{}
	err = store.EventAttributeTags(ctx, q, id, !opt.ExcludeLocalTags,
		func(attrID int64, t model.AttachedTag) {
			if bool(t.Exportable) || opt.IncludeAllTags {
				attrTags[attrID] = append(attrTags[attrID], t)
			}
		})
	if err != nil {
		return err
	}
	var files map[int64][]byte
	if opt.IncludeAttachments {
		if files, err = store.Attachments(ctx, q, id); err != nil {
			return err
		}
	}
	sgIDs := map[int64]bool{}
	take := func(a *model.Attribute) model.Attribute {
		out := *a
		out.Tag = attrTags[int64(a.ID)]
		if list := c.sightings[int64(a.ID)]; len(list) > 0 {
			for i := range list {
				list[i].AttributeUUID = a.UUID
			}
			out.Sighting = list
		}
		if d, ok := files[int64(a.ID)]; ok {
			out.Data = base64.StdEncoding.EncodeToString(d)
		}
		if out.SharingGroupID != 0 {
			sgIDs[int64(out.SharingGroupID)] = true
		}
		if _, ok := wantAttr[out.UUID]; ok {
			wantAttr[out.UUID] = &model.ReferencedAttribute{Distribution: out.Distribution,
				SharingGroupID: out.SharingGroupID, UUID: out.UUID, Value: out.Value,
				Type: out.Type, Category: out.Category, ToIDs: out.ToIDs}
		}
		return out
	}

	if c.stream {
		groups, err := store.EventAttributeSharingGroups(ctx, q, id)
		if err != nil {
			return err
		}
		for _, g := range groups {
			sgIDs[g] = true
		}
	} else {
		e.Attribute = make([]model.Attribute, 0, min(int64(e.AttributeCount), 1<<20))
		err = c.attributes(false, func(a *model.Attribute) error {
			e.Attribute = append(e.Attribute, take(a))
			return nil
		})
		if err != nil {
			return err
		}
	}
	err = c.attributes(true, func(a *model.Attribute) error {
		if i, ok := objIndex[int64(a.ObjectID)]; ok {
			objects[i].Attribute = append(objects[i].Attribute, take(a))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.stream {
		// References to attributes outside objects: their targets are read now.
		var missing []string
		for u, a := range wantAttr {
			if a == nil {
				missing = append(missing, u)
			}
		}
		if len(missing) > 0 {
			err := c.some(nil, missing, func(a *model.Attribute) error {
				take(a)
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	attachReferences(objects, objIndex, c.refs, wantAttr)
	e.Object = objects
	e.EventReport = c.reports
	groups, err := s.attachSharingGroups(ctx, q, e, sgIDs)
	if err != nil {
		return err
	}
	if c.stream {
		e.Attribute = []model.Attribute{}
		e.AttributeStream = func(fn func(*model.Attribute) error) error {
			return c.attributes(false, func(a *model.Attribute) error {
				out := take(a)
				out.SharingGroup = groups[int64(out.SharingGroupID)]
				out.FillEmpty()
				return fn(&out)
			})
		}
	}
	return nil
}

// attachReferences puts each reference under its object, with a summary of its target
// when the target is visible.
func attachReferences(objects []model.Object, objIndex map[int64]int,
	refs []model.ObjectReference, attrs map[string]*model.ReferencedAttribute) {
	byUUID := make(map[string]*model.Object, len(objects))
	for i := range objects {
		byUUID[objects[i].UUID] = &objects[i]
	}
	for _, r := range refs {
		i, ok := objIndex[int64(r.ObjectID)]
		if !ok {
			continue
		}
		if r.ReferencedType == model.ReferencedObjectType {
			if t := byUUID[r.ReferencedUUID]; t != nil {
				r.Object = &model.ReferencedObject{Distribution: t.Distribution,
					SharingGroupID: t.SharingGroupID, UUID: t.UUID, Name: t.Name,
					MetaCategory: t.MetaCategory}
			}
		} else {
			r.Attribute = attrs[r.ReferencedUUID]
		}
		objects[i].ObjectReference = append(objects[i].ObjectReference, r)
	}
}

// attachSharingGroups embeds the sharing groups of the event and of its children with a
// distribution of 4.
//
// It returns the summaries by sharing group id, for children written later.
func (s *Service) attachSharingGroups(ctx context.Context, q store.Querier, e *model.Event,
	ids map[int64]bool) (map[int64]*model.SharingGroupSummary, error) {
	if e.SharingGroupID != 0 {
		ids[int64(e.SharingGroupID)] = true
	}
	for _, o := range e.Object {
		if o.SharingGroupID != 0 {
			ids[int64(o.SharingGroupID)] = true
		}
	}
	for _, r := range e.EventReport {
		if r.SharingGroupID != 0 {
			ids[int64(r.SharingGroupID)] = true
		}
	}
	if len(ids) == 0 {
		e.FillEmpty()
		return nil, nil
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sgs, err := store.SharingGroupSummaries(ctx, q, list, s.baseURL)
	if err != nil {
		return nil, err
	}
	e.SharingGroup = sgs[int64(e.SharingGroupID)]
	for i := range e.Attribute {
		e.Attribute[i].SharingGroup = sgs[int64(e.Attribute[i].SharingGroupID)]
	}
	for i := range e.Object {
		o := &e.Object[i]
		o.SharingGroup = sgs[int64(o.SharingGroupID)]
		for j := range o.Attribute {
			o.Attribute[j].SharingGroup = sgs[int64(o.Attribute[j].SharingGroupID)]
		}
	}
	e.FillEmpty()
	return sgs, nil
}
