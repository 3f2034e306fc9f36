package events

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// plan holds the new children of an event, built and validated before the transaction that
// writes them. Attributes inside objects point at their object through objectOf.
type plan struct {
	attrs    []*model.Attribute
	objectOf []int    // index into objs, -1 outside the plan's objects
	pos      []string // the attribute's index in the input, for the error maps
	attrTags [][]TagInput
	files    map[*model.Attribute][]byte
	objs     []*model.Object
	refs     []plannedRef
	reports  []*model.EventReport
	tags     []TagInput // event tags

	// fatal holds the validation failures that refuse the whole write, in MISP's nesting:
	// {"Attribute":{"0":{"value":[...]}},"Object":{"1":{"Attribute":{...}}}}.
	fatal map[string]any
	// skipped holds the children that were left out without refusing the write
	// (duplicates, references to unknown targets), sent back beside the event.
	skipped map[string]any

	// newEvent is set when the plan is the content of an event created with it: the audit
	// log then records the event's row only (see writePlan).
	newEvent bool
	// stored holds the references written, for the answer.
	stored []*model.ObjectReference
}

// plannedRef is a new reference from object objIndex of the plan (or from an existing
// object, objIndex -1 and objectID set).
type plannedRef struct {
	objIndex   int
	objectID   int64
	objectUUID string
	in         ReferenceInput
}

func newPlan() *plan {
	return &plan{files: map[*model.Attribute][]byte{}, fatal: map[string]any{},
		skipped: map[string]any{}}
}

// nest sets m[k1][k2]... = v, creating the maps on the way.
func nest(m map[string]any, v any, keys ...string) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// addAttribute builds and adds one attribute of the plan, inside object objIndex of the plan
// or inside the stored object objectID (neither: -1 and 0); path locates it in the input for
// the error maps (["Attribute","3"] or ["Object","1","Attribute","0"]).
func (p *plan) addAttribute(b *builder, in *AttributeInput, objIndex int, objectID int64,
	path ...string) error {
	value := ""
	if in.Value != nil {
		value = in.Value.One
		if in.Value.Many && len(in.Value.List) > 0 {
			value = in.Value.List[0]
		}
	}
	a, data, fe, err := b.attribute(in, value, 0, objIndex >= 0 || objectID != 0)
	if err != nil {
		return err
	}
	if fe != nil {
		nest(p.fatal, map[string][]string(fe), path...)
		return nil
	}
	a.ObjectID = misp.StrInt(objectID)
	p.attrs = append(p.attrs, &a)
	p.objectOf = append(p.objectOf, objIndex)
	p.pos = append(p.pos, path[len(path)-1])
	p.attrTags = append(p.attrTags, in.Tag)
	if data != nil {
		p.files[&a] = data
	}
	return nil
}

// addObject builds and adds an object with its attributes and references.
func (p *plan) addObject(b *builder, in *ObjectInput, path ...string) error {
	o, fe, err := b.object(in, 0)
	if err != nil {
		return err
	}
	if fe != nil {
		nest(p.fatal, map[string][]string(fe), path...)
		return nil
	}
	p.objs = append(p.objs, &o)
	idx := len(p.objs) - 1
	for j := range in.Attribute {
		sub := append(append([]string{}, path...), "Attribute", strconv.Itoa(j))
		if err := p.addAttribute(b, &in.Attribute[j], idx, 0, sub...); err != nil {
			return err
		}
	}
	for _, r := range in.ObjectReference {
		p.refs = append(p.refs, plannedRef{objIndex: idx, in: r})
	}
	return nil
}

// dropDuplicates leaves out the attributes outside objects that repeat another of the plan
// or one already stored (existing, by key), as MISP refuses them one by one, and notes them
// in skipped under their input index.
func (p *plan) dropDuplicates(existing map[store.AttributeKey]int64) {
	seen := make(map[store.AttributeKey]bool, len(p.attrs))
	keep := 0
	for i, a := range p.attrs {
		if p.objectOf[i] < 0 && a.ObjectID == 0 && !a.Deleted {
			k := store.AttributeKeyOf(a)
			_, stored := existing[k]
			if seen[k] || stored {
				nest(p.skipped, map[string][]string{"value": {msgDuplicate}}, "Attribute", p.pos[i])
				delete(p.files, a)
				continue
			}
			seen[k] = true
		}
		p.attrs[keep], p.objectOf[keep], p.pos[keep] = a, p.objectOf[i], p.pos[i]
		p.attrTags[keep] = p.attrTags[i]
		keep++
	}
	p.attrs, p.objectOf, p.pos = p.attrs[:keep], p.objectOf[:keep], p.pos[:keep]
	p.attrTags = p.attrTags[:keep]
}

// newKeys returns the duplicate keys of the plan's attributes outside objects.
func (p *plan) newKeys() []store.AttributeKey {
	var keys []store.AttributeKey
	for i, a := range p.attrs {
		if p.objectOf[i] < 0 && a.ObjectID == 0 {
			keys = append(keys, store.AttributeKeyOf(a))
		}
	}
	return keys
}

// checkFreshUUIDs refuses uuids that the plan uses twice or that are taken elsewhere on the
// instance (except by the rows in own, which the write updates), and returns them.
func (p *plan) checkFreshUUIDs(ctx context.Context, q store.Querier, own map[string]bool) (
	map[string]bool, error) {
	refused := map[string]bool{}
	type group struct {
		table string
		uuids []string
		path  func(i int) []string
	}
	groups := []group{
		{table: "attributes"}, {table: "objects"}, {table: "event_reports"},
	}
	for _, a := range p.attrs {
		groups[0].uuids = append(groups[0].uuids, a.UUID)
	}
	for _, o := range p.objs {
		groups[1].uuids = append(groups[1].uuids, o.UUID)
	}
	for _, r := range p.reports {
		groups[2].uuids = append(groups[2].uuids, r.UUID)
	}
	for _, g := range groups {
		seen := make(map[string]bool, len(g.uuids))
		var dup []string
		for _, u := range g.uuids {
			if seen[u] {
				dup = append(dup, u)
			}
			seen[u] = true
		}
		taken, err := store.UUIDsTaken(ctx, q, g.table, g.uuids)
		if err != nil {
			return nil, fmt.Errorf("events: uuids: %w", err)
		}
		for _, u := range dup {
			taken[u] = true
		}
		for u := range taken {
			if !own[u] {
				nest(p.fatal, map[string][]string{"uuid": {msgUUIDNotFresh}}, tableModel(g.table), u)
				refused[u] = true
			}
		}
	}
	return refused, nil
}

func tableModel(table string) string {
	switch table {
	case "objects":
		return "Object"
	case "event_reports":
		return "EventReport"
	}
	return "Attribute"
}

// attributeCount is the number of attributes of the plan that are not deleted.
func (p *plan) attributeCount() int64 {
	var n int64
	for _, a := range p.attrs {
		if !a.Deleted {
			n++
		}
	}
	return n
}

// write stores the plan's children in event e: objects, attributes, references,
// attachments, reports and tags, and notes them in the audit log.
func (s *Service) writePlan(ctx context.Context, tx *store.Tx, a *Actor, e *model.Event,
	p *plan, au *audit) error {
	eventID := int64(e.ID)
	for _, o := range p.objs {
		o.EventID = e.ID
	}
	if err := store.InsertObjects(ctx, tx, p.objs); err != nil {
		return err
	}
	for i, at := range p.attrs {
		at.EventID = e.ID
		if j := p.objectOf[i]; j >= 0 {
			at.ObjectID = p.objs[j].ID
		}
	}
	if err := store.InsertAttributes(ctx, tx, p.attrs); err != nil {
		return err
	}
	err := indexAttributes(ctx, tx, e, p.attrs, func(i int) bool {
		j := p.objectOf[i]
		return j >= 0 && bool(p.objs[j].Deleted)
	})
	if err != nil {
		return err
	}
	if err := s.writeReferences(ctx, tx, e, p, au); err != nil {
		return err
	}
	if len(p.files) > 0 {
		files := make(map[int64][]byte, len(p.files))
		for at, d := range p.files {
			files[int64(at.ID)] = d
		}
		if err := store.InsertAttachments(ctx, tx, files); err != nil {
			return err
		}
	}
	for _, r := range p.reports {
		r.EventID = e.ID
	}
	if err := store.InsertReports(ctx, tx, p.reports); err != nil {
		return err
	}
	if err := s.writeTags(ctx, tx, a, eventID, p); err != nil {
		return err
	}

	// note: the children of a new event are not audited one row each: the event's own row
	// records the add, with their numbers, and the children are in the event. An ingest of
	// a hundred thousand attributes would otherwise write as many audit rows as attributes.
	if p.newEvent {
		return nil
	}
	for _, o := range p.objs {
		au.record(actionAdd, "Object", int64(o.ID), eventID, o.Name, objectChange(nil, o))
	}
	for _, at := range p.attrs {
		au.record(actionAdd, "Attribute", int64(at.ID), eventID, at.Type+"/"+at.Value,
			attributeChange(nil, at))
	}
	for _, r := range p.reports {
		au.record(actionAdd, "EventReport", int64(r.ID), eventID, r.Name,
			(&change{}).set("name", nil, r.Name).set("uuid", nil, r.UUID))
	}
	return nil
}

// writeTags attaches the event's and the attributes' tags of the plan, when the actor is a
// tagger (as MISP, which ignores the Tag lists of other users).
func (s *Service) writeTags(ctx context.Context, tx *store.Tx, a *Actor, eventID int64, p *plan) error {
	if !a.SiteAdmin() && !bool(a.Role.Tagger) && !bool(a.Role.Sync) {
		return nil
	}
	all := append([]TagInput(nil), p.tags...)
	for _, t := range p.attrTags {
		all = append(all, t...)
	}
	if len(all) == 0 {
		return nil
	}
	tags, err := s.resolveTags(ctx, tx, a, all, true)
	if err != nil {
		return err
	}
	links := tagAttachments(p.tags, tags, eventID, 0)
	for i, t := range p.attrTags {
		links = append(links, tagAttachments(t, tags, eventID, int64(p.attrs[i].ID))...)
	}
	return store.AttachTags(ctx, tx, links)
}

// writeReferences stores the plan's references. A target is looked up among the plan's
// objects and attributes, then among the event's stored ones; a reference to anything
// outside the event is left out and noted in skipped. A reference whose uuid is stored
// already updates the stored one (see updateReference) instead of being added again.
func (s *Service) writeReferences(ctx context.Context, tx *store.Tx, e *model.Event, p *plan,
	au *audit) error {
	if len(p.refs) == 0 {
		return nil
	}
	known, err := storedReferences(ctx, tx, p.refs)
	if err != nil {
		return err
	}
	targets := map[string]store.ReferenceTarget{}
	for _, o := range p.objs {
		targets[o.UUID] = store.ReferenceTarget{ID: int64(o.ID), EventID: int64(e.ID), UUID: o.UUID,
			Type: model.ReferencedObjectType}
	}
	for _, at := range p.attrs {
		targets[at.UUID] = store.ReferenceTarget{ID: int64(at.ID), EventID: int64(e.ID),
			UUID: at.UUID, Type: model.ReferencedAttributeType}
	}
	now := s.unix()
	var refs []*model.ObjectReference
	for i, pr := range p.refs {
		if old, ok := known[lowerTrim(pr.in.UUID)]; ok {
			if err := updateReference(ctx, tx, e, old, &pr.in, now, au); err != nil {
				return err
			}
			continue
		}
		if pr.objIndex >= 0 {
			pr.objectID, pr.objectUUID = int64(p.objs[pr.objIndex].ID), p.objs[pr.objIndex].UUID
		}
		r, ok, err := s.buildReference(ctx, tx, e, pr, targets, now)
		if err != nil {
			return err
		}
		if !ok {
			nest(p.skipped, "Invalid target. Target has to be within the same event or extending it.",
				"ObjectReference", strconv.Itoa(i))
			continue
		}
		refs = append(refs, r)
	}
	if err := store.InsertReferences(ctx, tx, refs); err != nil {
		return err
	}
	p.stored = refs
	if p.newEvent {
		return nil
	}
	for _, r := range refs {
		au.record(actionAdd, "ObjectReference", int64(r.ID), int64(e.ID), r.RelationshipType,
			(&change{}).set("referenced_uuid", nil, r.ReferencedUUID).
				set("relationship_type", nil, r.RelationshipType))
	}
	return nil
}

// storedReferences returns, by uuid, the stored references that planned ones name.
func storedReferences(ctx context.Context, q store.Querier, refs []plannedRef) (
	map[string]model.ObjectReference, error) {
	var uuids []string
	for _, pr := range refs {
		if u := lowerTrim(pr.in.UUID); u != "" {
			uuids = append(uuids, u)
		}
	}
	if len(uuids) == 0 {
		return nil, nil
	}
	taken, err := store.UUIDsTaken(ctx, q, "object_references", uuids)
	if err != nil {
		return nil, err
	}
	known := make(map[string]model.ObjectReference, len(taken))
	for u := range taken {
		r, err := store.FindReference(ctx, q, 0, u)
		if err != nil {
			return nil, err
		}
		known[u] = r
	}
	return known, nil
}

// updateReference applies a reference of the input to the stored reference with its uuid,
// as MISP's events/add and events/edit do: unless the input's timestamp is not newer, its
// relationship type, comment and deleted flag replace the stored ones. A reference of
// another event is left as it is.
func updateReference(ctx context.Context, tx *store.Tx, e *model.Event,
	old model.ObjectReference, in *ReferenceInput, now int64, au *audit) error {
	if old.EventID != e.ID || (in.Timestamp != nil && *in.Timestamp <= old.Timestamp) {
		return nil
	}
	r := old
	r.RelationshipType = strOr(in.RelationshipType, r.RelationshipType)
	r.Comment = textOr(in.Comment, r.Comment)
	r.Deleted = misp.Bool(boolOr(in.Deleted, bool(r.Deleted)))
	if in.Timestamp == nil && r == old {
		return nil
	}
	r.Timestamp = misp.StrInt(intOr(in.Timestamp, now))
	if err := store.UpdateReference(ctx, tx, &r); err != nil {
		return err
	}
	au.record(actionEdit, "ObjectReference", int64(r.ID), int64(e.ID), r.RelationshipType,
		(&change{}).diff("relationship_type", old.RelationshipType, r.RelationshipType).
			diff("comment", old.Comment, r.Comment).diff("deleted", old.Deleted, r.Deleted))
	return nil
}

// buildReference resolves a planned reference's source and target.
func (s *Service) buildReference(ctx context.Context, q store.Querier, e *model.Event,
	pr plannedRef, targets map[string]store.ReferenceTarget, now int64) (
	*model.ObjectReference, bool, error) {
	in := pr.in
	target, ok := targets[lowerTrim(in.ReferencedUUID)]
	if !ok {
		t, err := store.FindReferenceTarget(ctx, q, lowerTrim(in.ReferencedUUID),
			intOr(in.ReferencedID, 0), intOr(in.ReferencedType, model.ReferencedAttributeType))
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		target = t
	}
	if target.EventID != int64(e.ID) {
		return nil, false, nil
	}
	u, okUUID := normalUUID(in.UUID)
	if !okUUID {
		return nil, false, nil
	}
	return &model.ObjectReference{UUID: u, Timestamp: misp.StrInt(intOr(in.Timestamp, now)),
		ObjectID: misp.StrInt(pr.objectID), EventID: e.ID, SourceUUID: pr.objectUUID,
		ReferencedUUID: target.UUID, ReferencedID: misp.StrInt(target.ID),
		ReferencedType:   misp.StrInt(target.Type),
		RelationshipType: strOr(in.RelationshipType, ""), Comment: textOr(in.Comment, ""),
		Deleted: misp.Bool(boolOr(in.Deleted, false))}, true, nil
}

// lowerTrim returns a client's uuid as stored: trimmed and lower-cased.
func lowerTrim(s *string) string {
	if s == nil {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(*s))
}

// attributeChange describes an attribute's change for the audit log; old is nil for a new one.
func attributeChange(old, a *model.Attribute) *change {
	c := &change{}
	if old == nil {
		old = &model.Attribute{}
		c.set("uuid", nil, a.UUID)
	}
	c.diff("type", old.Type, a.Type).diff("category", old.Category, a.Category).
		diff("value", old.Value, a.Value).diff("to_ids", old.ToIDs, a.ToIDs).
		diff("distribution", old.Distribution, a.Distribution).
		diff("sharing_group_id", old.SharingGroupID, a.SharingGroupID).
		diff("comment", old.Comment, a.Comment).diff("deleted", old.Deleted, a.Deleted).
		diff("disable_correlation", old.DisableCorrelation, a.DisableCorrelation).
		diff("first_seen", int64(old.FirstSeen), int64(a.FirstSeen)).
		diff("last_seen", int64(old.LastSeen), int64(a.LastSeen))
	if a.ObjectRelation != nil && (old.ObjectRelation == nil || *old.ObjectRelation != *a.ObjectRelation) {
		c.set("object_relation", old.ObjectRelation, *a.ObjectRelation)
	}
	return c
}

// objectChange describes an object's change for the audit log; old is nil for a new one.
func objectChange(old, o *model.Object) *change {
	c := &change{}
	if old == nil {
		old = &model.Object{}
		c.set("uuid", nil, o.UUID)
	}
	return c.diff("name", old.Name, o.Name).diff("meta-category", old.MetaCategory, o.MetaCategory).
		diff("template_uuid", old.TemplateUUID, o.TemplateUUID).
		diff("template_version", old.TemplateVersion, o.TemplateVersion).
		diff("distribution", old.Distribution, o.Distribution).
		diff("sharing_group_id", old.SharingGroupID, o.SharingGroupID).
		diff("comment", old.Comment, o.Comment).diff("deleted", old.Deleted, o.Deleted).
		diff("first_seen", int64(old.FirstSeen), int64(o.FirstSeen)).
		diff("last_seen", int64(old.LastSeen), int64(o.LastSeen))
}

// written returns what the plan stored as a view reads it: the children that are not
// deleted, attributes in id order.
func (p *plan) written() *content {
	c := &content{}
	for _, o := range p.objs {
		if !o.Deleted {
			c.objects = append(c.objects, *o)
		}
	}
	for _, r := range p.stored {
		if !r.Deleted {
			c.refs = append(c.refs, *r)
		}
	}
	for _, r := range p.reports {
		if !r.Deleted {
			c.reports = append(c.reports, *r)
		}
	}
	attrs := p.attrs
	if !slices.IsSortedFunc(attrs, byID) {
		attrs = slices.Clone(attrs)
		slices.SortFunc(attrs, byID)
	}
	c.attributes = func(inObjects bool, fn func(*model.Attribute) error) error {
		for _, a := range attrs {
			if a.Deleted || (a.ObjectID != 0) != inObjects {
				continue
			}
			if err := fn(a); err != nil {
				return err
			}
		}
		return nil
	}
	return c
}

func byID(a, b *model.Attribute) int { return cmp.Compare(a.ID, b.ID) }
