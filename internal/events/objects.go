package events

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/library"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

const (
	msgStaleObject = "Object could not be saved: Object in the request not newer than the " +
		"local copy."
	msgDuplicateObject = "Duplicate object found. Since breakOnDuplicate is set the object " +
		"will not be added."
	msgInvalidTarget    = "Invalid target. Target has to be within the same event or extending it."
	msgInvalidReference = "Invalid object reference."
)

// validateAgainstTemplate checks an object against its template, as MISP does: the elements
// it requires, requires one of, and allows more than once (reference §1.3). templateRef is
// the template named in the path of objects/add (id, uuid or name), or "" to use the
// object's template_uuid and template_version; a template named in the path must exist.
// An object whose template the instance does not know is saved unchecked when it carries
// the template's members itself (see templateInformation), as MISP saves it.
func (s *Service) validateAgainstTemplate(ctx context.Context, eventID int64, templateRef string,
	in *ObjectInput, o *model.Object, attrs []*model.Attribute) error {
	var t *library.Template
	var err error
	switch {
	case templateRef != "":
		t, err = library.LookupTemplate(ctx, s.db, templateRef)
		if errors.Is(err, store.ErrNotFound) {
			return unknownTemplate(eventID, templateRef)
		}
	case o.TemplateUUID != "":
		t, err = library.LookupTemplateVersion(ctx, s.db, o.TemplateUUID, int64(o.TemplateVersion))
		if errors.Is(err, store.ErrNotFound) {
			t, err = library.LookupTemplate(ctx, s.db, o.TemplateUUID)
		}
	default:
		err = store.ErrNotFound
	}
	if errors.Is(err, store.ErrNotFound) {
		return templateInformation(in)
	}
	if err != nil {
		return err
	}
	elems := make([]library.ObjectAttr, 0, len(attrs))
	for _, a := range attrs {
		rel := ""
		if a.ObjectRelation != nil {
			rel = *a.ObjectRelation
		}
		elems = append(elems, library.ObjectAttr{Relation: rel, Type: a.Type})
	}
	var oe *library.ObjectError
	// note: only the rules MISP enforces refuse an object; the stricter checks of
	// ValidateObject (relation missing, type differing from the template) would refuse
	// objects that MISP and its peers accept.
	if err := library.ValidateObject(t, elems); errors.As(err, &oe) && oe.Kind <= library.NotMultiple {
		return invalid(oe.Message)
	}
	return nil
}

// unknownTemplate is MISP's refusal of objects/add with a template in its path that the
// instance does not have: 404 for a uuid, a save failure naming the event and template
// otherwise.
func unknownTemplate(eventID int64, templateRef string) error {
	if _, err := uuid.Parse(templateRef); err == nil {
		return notFound("Invalid template.")
	}
	return &Error{Kind: Invalid, Errors: "No valid template found to edit the object.",
		Target: fmt.Sprintf("%d/%s", eventID, templateRef)}
}

// templateInformation refuses an object of a template the instance does not know unless it
// names the template itself: MISP saves such an object only with its name, meta-category,
// description, template_version and template_uuid set, and names the first one missing.
func templateInformation(in *ObjectInput) error {
	for _, m := range []struct {
		field string
		set   bool
	}{{"name", in.Name != nil}, {"meta-category", in.MetaCategory != nil},
		{"description", in.Description != nil}, {"template_version", in.TemplateVersion != nil},
		{"template_uuid", in.TemplateUUID != nil}} {
		if !m.set {
			return invalid("Object could not be saved.\ntemplate: No valid template found " +
				"and object lacking template information. (" + m.field + ")")
		}
	}
	return nil
}

// ObjectResult is an object with its attributes and its event's short form.
type ObjectResult struct {
	Object model.Object
	Event  model.EventBrief
}

func brief(e *model.Event) model.EventBrief {
	return model.EventBrief{ID: e.ID, Info: e.Info, OrgID: e.OrgID, OrgcID: e.OrgcID}
}

// AddObject adds an object with its attributes and references to an event (objects/add).
func (s *Service) AddObject(ctx context.Context, a *Actor, ref store.EventRef, templateRef string,
	in *ObjectInput, breakOnDuplicate bool) (*ObjectResult, error) {
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
	if err := p.addObject(b, in, "Object"); err != nil {
		return nil, err
	}
	if _, err := p.checkFreshUUIDs(ctx, s.db, nil); err != nil {
		return nil, err
	}
	if len(p.fatal) > 0 {
		errs, ok := p.fatal["Object"]
		if !ok {
			errs = p.fatal
		}
		return nil, invalid(errs)
	}
	err = s.validateAgainstTemplate(ctx, int64(e.ID), templateRef, in, p.objs[0], p.attrs)
	if err != nil {
		return nil, err
	}
	if breakOnDuplicate || boolOr(in.BreakOnDuplicate, false) {
		dup, err := s.duplicateObject(ctx, int64(e.ID), p.objs[0], p.attrs)
		if err != nil {
			return nil, err
		}
		if dup {
			return nil, invalid(msgDuplicateObject)
		}
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
		return nil, fmt.Errorf("events: add object: %w", err)
	}
	o := *p.objs[0]
	for _, at := range p.attrs {
		o.Attribute = append(o.Attribute, *at)
	}
	return &ObjectResult{Object: o, Event: brief(&e)}, nil
}

// duplicateObject reports whether the event has an object with the same name, template and
// attributes (relation, type and value) as o.
func (s *Service) duplicateObject(ctx context.Context, eventID int64, o *model.Object,
	attrs []*model.Attribute) (bool, error) {
	objs, err := store.EventObjects(ctx, s.db, eventID, "true", false)
	if err != nil {
		return false, err
	}
	var ids []int64
	for _, x := range objs {
		if x.Name == o.Name && x.TemplateUUID == o.TemplateUUID {
			ids = append(ids, int64(x.ID))
		}
	}
	stored, err := store.ObjectAttributes(ctx, s.db, ids, false, "true")
	if err != nil {
		return false, err
	}
	want := objectSignature(attrs)
	byObject := map[misp.StrInt][]*model.Attribute{}
	for i := range stored {
		byObject[stored[i].ObjectID] = append(byObject[stored[i].ObjectID], &stored[i])
	}
	for _, list := range byObject {
		if objectSignature(list) == want {
			return true, nil
		}
	}
	return false, nil
}

func objectSignature(attrs []*model.Attribute) string {
	parts := make([]string, 0, len(attrs))
	for _, a := range attrs {
		parts = append(parts, strOr(a.ObjectRelation, "")+"\x00"+a.Type+"\x00"+a.Value)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

// findWritableObject loads an object the actor may see (not soft-deleted unless deleted) and
// its event, and checks that the actor may change it.
func (s *Service) findWritableObject(ctx context.Context, a *Actor, ref store.ObjectRef,
	deleted bool) (*acl.Viewer, model.Object, model.Event, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, model.Object{}, model.Event{}, err
	}
	o, err := store.FindObject(ctx, s.db, ref, v.ObjectCondition("e", "o"))
	if err != nil {
		return nil, o, model.Event{}, notFoundAs(err, msgInvalidObject)
	}
	if bool(o.Deleted) && !deleted {
		return nil, o, model.Event{}, notFound(msgInvalidObject)
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: int64(o.EventID)}, "true")
	if err != nil {
		return nil, o, e, err
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return nil, o, e, forbidden(msgNoPermission)
	}
	return v, o, e, nil
}

// EditObject changes an object (objects/edit) as MISP's delta merge does: the object's own
// members, then its attributes, matched by uuid (or, without one, by relation, type and
// value) and updated when newer; new ones are added and those missing from the input are
// soft-deleted. The input's references are ignored, as MISP ignores them.
func (s *Service) EditObject(ctx context.Context, a *Actor, ref store.ObjectRef, in *ObjectInput) (
	*ObjectResult, error) {
	v, ex, e, err := s.findWritableObject(ctx, a, ref, false)
	if err != nil {
		return nil, err
	}
	if !newer(in.Timestamp, ex.Timestamp) {
		return nil, &Error{Kind: Invalid, Errors: msgStaleObject, ID: int64(ex.ID)}
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}
	o, fe, err := b.editObject(ex, in)
	if err != nil {
		return nil, err
	}
	if fe != nil {
		return nil, invalid(map[string][]string(fe))
	}
	stored, err := store.ObjectAttributes(ctx, s.db, []int64{int64(ex.ID)}, false, "true")
	if err != nil {
		return nil, err
	}
	c, gone, err := s.planObjectAttributes(ctx, b, &e, &ex, stored, in)
	if err != nil {
		return nil, err
	}
	if len(c.fatal) > 0 {
		return nil, invalid(c.fatal)
	}
	e.Published, e.Timestamp = false, misp.StrInt(b.now)

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.UpdateObject(ctx, tx, &o); err != nil {
			return err
		}
		au := s.newAudit(a)
		au.record(actionEdit, "Object", int64(o.ID), int64(e.ID), o.Name, objectChange(&ex, &o))
		for _, g := range gone {
			old := g
			g.Deleted, g.Timestamp = true, misp.StrInt(b.now)
			if err := store.UpdateAttribute(ctx, tx, &g); err != nil {
				return err
			}
			if err := unindexAttributes(ctx, tx, &e, &old); err != nil {
				return err
			}
			au.record(actionSoftDel, "Attribute", int64(g.ID), int64(e.ID), g.Type+"/"+g.Value,
				attributeChange(&old, &g))
		}
		if err := s.writeChanges(ctx, tx, a, &e, c, au); err != nil {
			return err
		}
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("events: edit object: %w", err)
	}
	return s.objectWithAttributes(ctx, a, v, &o, &e)
}

// planObjectAttributes sorts the attributes of an objects/edit input against the stored
// attributes of the object; it returns the changes and the stored attributes to delete.
func (s *Service) planObjectAttributes(ctx context.Context, b *builder, e *model.Event,
	o *model.Object, stored []model.Attribute, in *ObjectInput) (*changes, []model.Attribute, error) {
	c := &changes{plan: newPlan()}
	byUUID := make(map[string]model.Attribute, len(stored))
	kept := map[misp.StrInt]bool{}
	for _, at := range stored {
		byUUID[at.UUID] = at
	}
	for j := range in.Attribute {
		ai := &in.Attribute[j]
		if ex, ok := byUUID[lowerTrim(ai.UUID)]; ok {
			kept[ex.ID] = true
		} else if ex, ok := sameAttribute(stored, ai); ok {
			kept[ex.ID] = true
			continue
		}
		if err := c.attribute(b, byUUID, ai, int64(o.ID), "Attribute", fmt.Sprint(j)); err != nil {
			return nil, nil, err
		}
	}
	// note: the object's ObjectReference list is left alone, as MISP's objects/edit leaves
	// it: clients such as PyMISP send the stored references back with every edit, and
	// references are written through objectReferences/add and events/edit.
	if err := s.finishPlan(ctx, c.plan, int64(e.ID)); err != nil {
		return nil, nil, err
	}
	var gone []model.Attribute
	if len(in.Attribute) > 0 {
		for _, at := range stored {
			if !kept[at.ID] {
				gone = append(gone, at)
			}
		}
	}
	return c, gone, nil
}

// sameAttribute finds a stored attribute with the relation, type and value of an input
// that has no uuid.
func sameAttribute(stored []model.Attribute, in *AttributeInput) (model.Attribute, bool) {
	if lowerTrim(in.UUID) != "" || in.Value == nil {
		return model.Attribute{}, false
	}
	typ := strings.TrimSpace(strOr(in.Type, ""))
	value := misp.Normalize(typ, in.Value.One)
	for _, at := range stored {
		if strOr(at.ObjectRelation, "") == strOr(in.ObjectRelation, "") && at.Type == typ &&
			at.Value == value {
			return at, true
		}
	}
	return model.Attribute{}, false
}

// objectWithAttributes returns an object with its visible attributes and their tags.
func (s *Service) objectWithAttributes(ctx context.Context, a *Actor, v *acl.Viewer,
	o *model.Object, e *model.Event) (*ObjectResult, error) {
	attrs, err := store.ObjectAttributes(ctx, s.db, []int64{int64(o.ID)}, false,
		v.ChildCondition("a", int64(e.OrgID)))
	if err != nil {
		return nil, err
	}
	withLocal := !bool(a.Role.Sync) || a.SiteAdmin()
	for i := range attrs {
		if attrs[i].Tag, err = store.AttributeTags(ctx, s.db, int64(attrs[i].ID), withLocal); err != nil {
			return nil, err
		}
	}
	out := *o
	out.Attribute = attrs
	return &ObjectResult{Object: out, Event: brief(e)}, nil
}

// ViewObject returns an object the actor may see, with its attributes (objects/view).
func (s *Service) ViewObject(ctx context.Context, a *Actor, ref store.ObjectRef) (
	*ObjectResult, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	o, err := store.FindObject(ctx, s.db, ref, v.ObjectCondition("e", "o"))
	if isNotFound(err) || (err == nil && bool(o.Deleted)) {
		return nil, notFound(msgInvalidObject)
	}
	if err != nil {
		return nil, err
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: int64(o.EventID)}, "true")
	if err != nil {
		return nil, err
	}
	return s.objectWithAttributes(ctx, a, v, &o, &e)
}

// DeleteObject deletes an object with its attributes: soft unless hard. It returns the id
// of the object's event.
func (s *Service) DeleteObject(ctx context.Context, a *Actor, ref store.ObjectRef, hard bool) (
	int64, error) {
	// A soft-deleted object may be deleted again, softly or for good, as MISP allows.
	_, o, e, err := s.findWritableObject(ctx, a, ref, true)
	if err != nil {
		return 0, err
	}
	now := s.unix()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		au := s.newAudit(a)
		if err := store.DeleteObjectCorrelations(ctx, tx, int64(e.ID), int64(o.ID)); err != nil {
			return err
		}
		if hard {
			if err := store.DeleteObject(ctx, tx, int64(o.ID)); err != nil {
				return err
			}
			au.record(actionDelete, "Object", int64(o.ID), int64(e.ID), o.Name,
				(&change{}).set("uuid", o.UUID, nil).set("name", o.Name, nil))
		} else {
			old := o
			o.Deleted, o.Timestamp = true, maxStrInt(o.Timestamp, now)
			if err := store.UpdateObject(ctx, tx, &o); err != nil {
				return err
			}
			if err := store.SoftDeleteObjectAttributes(ctx, tx, int64(o.ID), now); err != nil {
				return err
			}
			au.record(actionSoftDel, "Object", int64(o.ID), int64(e.ID), o.Name, objectChange(&old, &o))
		}
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("events: delete object: %w", err)
	}
	return int64(e.ID), nil
}

// AddReference adds a reference from an object to an object or attribute of the same
// event (objectReferences/add). source names the object when the path does; otherwise the
// input's object_uuid or object_id does.
func (s *Service) AddReference(ctx context.Context, a *Actor, source *store.ObjectRef,
	in *ReferenceInput) (*model.ObjectReference, error) {
	ref := store.ObjectRef{UUID: lowerTrim(in.ObjectUUID), ID: intOr(in.ObjectID, 0)}
	if source != nil {
		ref = *source
	}
	if ref.UUID != "" {
		ref.ID = 0
	}
	if ref.UUID == "" && ref.ID == 0 {
		return nil, notFound(msgInvalidObject)
	}
	_, o, e, err := s.findWritableObject(ctx, a, ref, false)
	if err != nil {
		return nil, err
	}
	target, err := store.FindReferenceTarget(ctx, s.db, lowerTrim(in.ReferencedUUID),
		intOr(in.ReferencedID, 0), intOr(in.ReferencedType, model.ReferencedAttributeType))
	if isNotFound(err) || (err == nil && target.EventID != int64(e.ID)) {
		return nil, notFound(msgInvalidTarget)
	}
	if err != nil {
		return nil, err
	}
	u, ok := normalUUID(in.UUID)
	if !ok {
		return nil, invalid(fieldErrors{"uuid": {msgUUID}})
	}
	now := s.unix()
	r := &model.ObjectReference{UUID: u, Timestamp: misp.StrInt(now), ObjectID: o.ID,
		EventID: e.ID, SourceUUID: o.UUID, ReferencedUUID: target.UUID,
		ReferencedID: misp.StrInt(target.ID), ReferencedType: misp.StrInt(target.Type),
		RelationshipType: strOr(in.RelationshipType, ""), Comment: textOr(in.Comment, "")}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.InsertReferences(ctx, tx, []*model.ObjectReference{r}); err != nil {
			return err
		}
		if err := store.TouchObject(ctx, tx, int64(o.ID), now); err != nil {
			return err
		}
		au := s.newAudit(a)
		au.record(actionAdd, "ObjectReference", int64(r.ID), int64(e.ID), r.RelationshipType,
			(&change{}).set("referenced_uuid", nil, r.ReferencedUUID).
				set("relationship_type", nil, r.RelationshipType))
		if err := s.contentChanged(ctx, tx, int64(e.ID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("events: add object reference: %w", err)
	}
	return r, nil
}

// DeleteReference deletes an object reference: soft unless hard.
func (s *Service) DeleteReference(ctx context.Context, a *Actor, id int64, uuid string, hard bool) (
	*model.ObjectReference, error) {
	r, err := store.FindReference(ctx, s.db, id, uuid)
	if err != nil {
		return nil, notFoundAs(err, msgInvalidReference)
	}
	_, _, _, err = s.findWritableObject(ctx, a, store.ObjectRef{ID: int64(r.ObjectID)}, true)
	if err != nil {
		if e, ok := err.(*Error); ok && e.Kind == NotFound {
			return nil, notFound(msgInvalidReference)
		}
		return nil, err
	}
	if bool(r.Deleted) && !hard {
		return nil, notFound(msgInvalidReference)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		au := s.newAudit(a)
		if hard {
			if err := store.DeleteReference(ctx, tx, int64(r.ID)); err != nil {
				return err
			}
			au.record(actionDelete, "ObjectReference", int64(r.ID), int64(r.EventID),
				r.RelationshipType, (&change{}).set("uuid", r.UUID, nil))
		} else {
			r.Deleted, r.Timestamp = true, maxStrInt(r.Timestamp, s.unix())
			if err := store.UpdateReference(ctx, tx, &r); err != nil {
				return err
			}
			au.record(actionSoftDel, "ObjectReference", int64(r.ID), int64(r.EventID),
				r.RelationshipType, (&change{}).set("deleted", false, true))
		}
		if err := s.contentChanged(ctx, tx, int64(r.EventID)); err != nil {
			return err
		}
		return au.write(ctx, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("events: delete object reference: %w", err)
	}
	return &r, nil
}
