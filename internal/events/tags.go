package events

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// resolveTags finds the tags named by inputs (by name, case-insensitively, or by id) and
// creates the unknown names when the actor may create tags (MISP's Tag::quickAdd). Tags the
// actor may not use, and unknown names it may not create, are left out, as MISP leaves them
// out of an event it saves; create false creates nothing. The result is keyed by tagKey.
func (s *Service) resolveTags(ctx context.Context, q store.Querier, a *Actor, inputs []TagInput,
	create bool) (
	map[string]model.AttachedTag, error) {
	out := map[string]model.AttachedTag{}
	var names []string
	for _, in := range inputs {
		switch {
		case strings.TrimSpace(in.Name) != "":
			names = append(names, strings.TrimSpace(in.Name))
		case in.ID != nil:
			t, err := store.TagForAttachByID(ctx, q, int64(*in.ID))
			if err == nil && acl.CanUseTag(a.Principal, &t) {
				out[tagKey(in)] = t
			} else if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("events: tags: %w", err)
			}
		}
	}
	if len(names) == 0 {
		return out, nil
	}
	found, err := store.TagsForAttach(ctx, q, names)
	if err != nil {
		return nil, fmt.Errorf("events: tags: %w", err)
	}
	for _, name := range names {
		key := strings.ToLower(name)
		t, ok := found[key]
		if !ok {
			if !create || !acl.CanCreateTags(a.Principal) {
				continue
			}
			if t, err = store.CreateTagForAttach(ctx, q, name, tagColour(name)); err != nil {
				return nil, fmt.Errorf("events: tags: %w", err)
			}
			found[key] = t
		}
		if acl.CanUseTag(a.Principal, &t) {
			out[key] = t
		}
	}
	return out, nil
}

// tagKey is how resolveTags keys a tag input.
func tagKey(in TagInput) string {
	if n := strings.TrimSpace(in.Name); n != "" {
		return strings.ToLower(n)
	}
	if in.ID != nil {
		return "#" + strconv.FormatInt(int64(*in.ID), 10)
	}
	return ""
}

// tagColour gives a new tag a colour of its own, derived from its name so that replicas and
// reruns agree (MISP picks one at random).
func tagColour(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("#%06x", h.Sum32()&0xffffff)
}

// tagAttachments turns the tag inputs of an event (attributeID 0) or an attribute into
// links, given the resolved tags; inputs marked deleted are left out. Local-only tags are
// attached as local.
func tagAttachments(inputs []TagInput, tags map[string]model.AttachedTag, eventID,
	attributeID int64) []store.TagAttachment {
	var out []store.TagAttachment
	for _, in := range inputs {
		t, ok := tags[tagKey(in)]
		if !ok || bool(in.Deleted) {
			continue
		}
		out = append(out, store.TagAttachment{EventID: eventID, AttributeID: attributeID,
			TagID: int64(t.ID), Local: bool(in.Local) || bool(t.LocalOnly),
			RelationshipType: strOr(in.RelationshipType, "")})
	}
	return out
}

// eventTagInputs gathers the tags of an event input from both of MISP's forms.
func eventTagInputs(in *EventInput) []TagInput {
	tags := append([]TagInput(nil), in.Tag...)
	for _, et := range in.EventTag {
		t := et.Tag
		t.Local = t.Local || et.Local
		tags = append(tags, t)
	}
	return tags
}

// TagResult is the answer of events/addTag and attributes/addTag: MISP sends 200 with
// saved false and the reason in errors when it refuses.
type TagResult struct {
	Saved   bool
	Message string
}

// TagTarget names what events/addTag and attributes/addTag act on.
type TagTarget struct {
	Event     *store.EventRef
	Attribute *store.AttributeRef
}

// AddTag attaches a tag (by id or name) to an event or an attribute, as events/addTag and
// attributes/addTag do. A local tag needs only view access; a global one needs the right to
// tag the event, and unpublishes it.
func (s *Service) AddTag(ctx context.Context, a *Actor, target TagTarget, tag string, local bool) (
	TagResult, error) {
	ev, attrID, res, err := s.tagTarget(ctx, a, target)
	if err != nil || !res.Saved {
		return res, err
	}
	if !acl.CanTagLocally(a.Principal) || (!local && !acl.CanTag(a.Principal, ev)) {
		return TagResult{Message: msgNoPermission}, nil
	}

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res = TagResult{}
		t, ok, err := s.findTag(ctx, tx, a, tag, true)
		if err != nil || !ok {
			res.Message = "Invalid Tag."
			return err
		}
		if bool(t.LocalOnly) && !local {
			res.Message = "Local only tags can only be added as local tags."
			return nil
		}
		added, err := store.AttachTag(ctx, tx, store.TagAttachment{EventID: int64(ev.ID),
			AttributeID: attrID, TagID: int64(t.ID), Local: local})
		if err != nil {
			return err
		}
		res = TagResult{Saved: true, Message: "Tag added."}
		if !added {
			return nil
		}
		return s.afterTagChange(ctx, tx, a, ev, attrID, &t, local, actionTag)
	})
	if err != nil {
		return TagResult{}, fmt.Errorf("events: add tag: %w", err)
	}
	return res, nil
}

// RemoveTag detaches a tag from an event or an attribute (events/removeTag,
// attributes/removeTag).
func (s *Service) RemoveTag(ctx context.Context, a *Actor, target TagTarget, tag string) (
	TagResult, error) {
	ev, attrID, res, err := s.tagTarget(ctx, a, target)
	if err != nil || !res.Saved {
		return res, err
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res = TagResult{}
		t, ok, err := s.findTag(ctx, tx, a, tag, false)
		if err != nil || !ok {
			res.Message = "Invalid Tag."
			return err
		}
		found, local, err := store.DetachTag(ctx, tx, int64(ev.ID), attrID, int64(t.ID))
		if err != nil {
			return err
		}
		if !found {
			res.Message = "Invalid tag or tag not attached."
			return nil
		}
		if !acl.CanTagLocally(a.Principal) || (!local && !acl.CanTag(a.Principal, ev)) {
			res.Message = msgNoPermission
			return errRollback
		}
		res = TagResult{Saved: true, Message: "Tag removed."}
		return s.afterTagChange(ctx, tx, a, ev, attrID, &t, local, actionUntag)
	})
	if errors.Is(err, errRollback) {
		return res, nil
	}
	if err != nil {
		return TagResult{}, fmt.Errorf("events: remove tag: %w", err)
	}
	return res, nil
}

// errRollback undoes a transaction whose refusal is already in the result.
var errRollback = fmt.Errorf("events: rolled back")

// tagTarget loads the event (and the attribute) a tag operation acts on.
func (s *Service) tagTarget(ctx context.Context, a *Actor, target TagTarget) (
	*model.Event, int64, TagResult, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, 0, TagResult{}, err
	}
	ref := store.EventRef{}
	var attrID int64
	if target.Attribute != nil {
		attr, err := store.FindAttribute(ctx, s.db, *target.Attribute,
			v.AttributeCondition("e", "a", "o"))
		if errors.Is(err, store.ErrNotFound) || (err == nil && bool(attr.Deleted)) {
			return nil, 0, TagResult{Message: "Invalid attribute."}, nil
		}
		if err != nil {
			return nil, 0, TagResult{}, err
		}
		ref.ID, attrID = int64(attr.EventID), int64(attr.ID)
	} else if target.Event != nil {
		ref = *target.Event
	}
	ev, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, 0, TagResult{Message: msgInvalidEventDot}, nil
	}
	if err != nil {
		return nil, 0, TagResult{}, err
	}
	return &ev, attrID, TagResult{Saved: true}, nil
}

// findTag looks a tag up by id or name, creating a new name when create and the actor may.
func (s *Service) findTag(ctx context.Context, q store.Querier, a *Actor, ref string, create bool) (
	model.AttachedTag, bool, error) {
	ref = strings.TrimSpace(ref)
	in := TagInput{Name: ref}
	if n, err := strconv.ParseInt(ref, 10, 64); err == nil {
		id := misp.StrInt(n)
		in = TagInput{ID: &id}
	}
	if tagKey(in) == "" {
		return model.AttachedTag{}, false, nil
	}
	tags, err := s.resolveTags(ctx, q, a, []TagInput{in}, create)
	if err != nil {
		return model.AttachedTag{}, false, err
	}
	t, ok := tags[tagKey(in)]
	return t, ok, nil
}

// afterTagChange records a tag change: a global tag touches the attribute and the event
// (Q14); the audit log notes it either way.
func (s *Service) afterTagChange(ctx context.Context, tx *store.Tx, a *Actor, ev *model.Event,
	attrID int64, t *model.AttachedTag, local bool, action string) error {
	now := s.unix()
	if !local {
		if attrID != 0 {
			if err := store.TouchTaggedAttribute(ctx, tx, attrID, int64(ev.ID), now); err != nil {
				return err
			}
		} else if err := store.TouchEvent(ctx, tx, int64(ev.ID), now); err != nil {
			return err
		}
	}
	au := s.newAudit(a)
	model, id := "EventTag", int64(ev.ID)
	if attrID != 0 {
		model, id = "AttributeTag", attrID
	}
	c := (&change{}).set("tag", nil, t.Name).set("local", nil, local)
	if action == actionUntag {
		c = (&change{}).set("tag", t.Name, nil).set("local", local, nil)
	}
	au.record(action, model, id, int64(ev.ID), t.Name, c)
	return au.write(ctx, tx)
}
