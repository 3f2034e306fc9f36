package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// attributesDescription is MISP's answer to GET attributes/add.
var attributesDescription = description{Name: "/attributes/add API description",
	Description: "POST a MISP Attribute JSON to this API to create an Attribute.",
	Mandatory:   []string{"value", "type"},
	Optional: []string{"category", "to_ids", "uuid", "distribution", "sharing_group_id",
		"timestamp", "comment", "data", "encrypt", "first_seen", "last_seen"},
	URL: "/attributes/add/[event_id]"}

// attributeRef reads an attribute id or uuid from the path.
func attributeRef(s string, err *Error) (store.AttributeRef, error) {
	id, uid, ok := idOrUUID(s)
	if !ok {
		return store.AttributeRef{}, err
	}
	return store.AttributeRef{ID: id, UUID: uid}, nil
}

// decodeAttributes reads the body of attributes/add: one attribute, bare or in
// {"Attribute":...}, or a list of them. many tells a list (or a list of values) from one.
func (s *Server) decodeAttributes(w http.ResponseWriter, r *http.Request) (
	inputs []events.AttributeInput, many bool, err error) {
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, false, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && !json.Valid(raw) {
		return nil, false, notAllowed(msgInvalidJSON)
	}
	if len(raw) > 0 && raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, false, inputError(err)
		}
		for _, item := range list {
			in, err := decodeAttribute(item)
			if err != nil {
				return nil, false, err
			}
			inputs = append(inputs, in)
		}
		return inputs, true, nil
	}
	obj, err := unwrapObject(raw, "Attribute")
	if err != nil {
		return nil, false, err
	}
	if list, isList := obj["Attribute"]; isList && len(obj) == 1 {
		var items []json.RawMessage
		if json.Unmarshal(list, &items) == nil {
			for _, item := range items {
				in, err := decodeAttribute(item)
				if err != nil {
					return nil, false, err
				}
				inputs = append(inputs, in)
			}
			return inputs, true, nil
		}
	}
	var in events.AttributeInput
	if err := decodeInto(obj, &in); err != nil {
		return nil, false, err
	}
	return []events.AttributeInput{in}, in.Value != nil && in.Value.Many, nil
}

func decodeAttribute(raw json.RawMessage) (events.AttributeInput, error) {
	var in events.AttributeInput
	obj, err := unwrapObject(raw, "Attribute")
	if err != nil {
		return in, err
	}
	return in, decodeInto(obj, &in)
}

func (s *Server) addAttributes(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("event"), "Invalid event")
	if err != nil {
		return err
	}
	inputs, many, err := s.decodeAttributes(w, r)
	if err != nil {
		return err
	}
	breakOnDuplicate := true
	if v := named(r).Get("breakOnDuplicate"); v == "0" || strings.EqualFold(v, "false") {
		breakOnDuplicate = false
	}
	res, err := s.ops().AddAttributes(r.Context(), actor(r), ref, inputs, breakOnDuplicate)
	if err != nil {
		return eventsError(err, r, "Could not add Attribute", "/attributes/add")
	}
	// A list of one attribute is answered like a single attribute, as MISP does.
	if (!many || len(inputs) == 1) && len(res.Attributes) == 1 {
		at := &res.Attributes[0]
		return ok(w, map[string]any{"Attribute": at.Record(true),
			"AttributeTag": attributeTagRows(at)})
	}
	list := make([]addedAttribute, 0, len(res.Attributes))
	for i := range res.Attributes {
		at := &res.Attributes[i]
		rec := addedAttribute{AttributeRecord: at.Record(true)}
		for _, t := range at.Tag {
			rec.Tag = append(rec.Tag, tagBrief(t))
		}
		list = append(list, rec)
	}
	out := map[string]any{"Attribute": list}
	if len(res.Errors) > 0 {
		out["errors"] = res.Errors
	}
	return ok(w, out)
}

// addedAttribute is one attribute of attributes/add's answer to a list: MISP adds the tags
// attached to it, in their short form, and only when there are some.
type addedAttribute struct {
	model.AttributeRecord
	Tag []attachedTagBrief `json:"Tag,omitempty"`
}

// attachedTagBrief is the short form of a tag in attributes/add's answers.
type attachedTagBrief struct {
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
}

func tagBrief(t model.AttachedTag) attachedTagBrief {
	return attachedTagBrief{ID: t.ID, Name: t.Name, Colour: t.Colour,
		NumericalValue: t.NumericalValue}
}

// attributeTagRow is a row of attribute_tags with its tag, as attributes/add sends the tags
// of a single attribute beside it.
type attributeTagRow struct {
	ID               misp.StrInt      `json:"id"`
	AttributeID      misp.StrInt      `json:"attribute_id"`
	EventID          misp.StrInt      `json:"event_id"`
	TagID            misp.StrInt      `json:"tag_id"`
	Local            misp.Bool        `json:"local"`
	RelationshipType *string          `json:"relationship_type"`
	Tag              attachedTagBrief `json:"Tag"`
}

func attributeTagRows(at *model.Attribute) []attributeTagRow {
	rows := make([]attributeTagRow, 0, len(at.Tag))
	for _, t := range at.Tag {
		rows = append(rows, attributeTagRow{ID: t.LinkID, AttributeID: at.ID,
			EventID: at.EventID, TagID: t.ID, Local: t.Local,
			RelationshipType: t.RelationshipType, Tag: tagBrief(t)})
	}
	return rows
}

func (s *Server) editAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err != nil {
		return err
	}
	obj, err := s.decodeObject(w, r, "Attribute")
	if err != nil {
		return err
	}
	var in events.AttributeInput
	if err := decodeInto(obj, &in); err != nil {
		return err
	}
	a, err := s.ops().EditAttribute(r.Context(), actor(r), ref, &in)
	if err != nil {
		return eventsError(err, r, "Could not edit Attribute", "/attributes/edit")
	}
	return ok(w, map[string]any{"Attribute": a.Record(false)})
}

// deleteAttribute answers attributes/delete/{id}[/{hard}], hard also from {"hard":1}.
func (s *Server) deleteAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return err
	}
	hard := isTrue(r.PathValue("hard")) || isTrue(firstOf(filterValues(body["hard"])))
	if err := s.ops().DeleteAttribute(r.Context(), actor(r), ref, hard); err != nil {
		return eventsError(err, r, "Could not delete Attribute", "/attributes/delete")
	}
	return ok(w, map[string]string{"message": "Attribute deleted."})
}

func isTrue(s string) bool { return s == "1" || strings.EqualFold(s, "true") }

func (s *Server) restoreAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err != nil {
		return err
	}
	a, err := s.ops().RestoreAttribute(r.Context(), actor(r), ref)
	if err != nil {
		return eventsError(err, r, "Could not restore Attribute", "/attributes/restore")
	}
	return ok(w, map[string]any{"Attribute": a.Record(false)})
}

// indexAttributes answers attributes/index: a bare list of attribute rows, a page at a
// time (named parameters limit and page).
func (s *Server) indexAttributes(w http.ResponseWriter, r *http.Request) error {
	n := named(r)
	limit, _ := strconv.Atoi(n.Get("limit"))
	page, _ := strconv.Atoi(n.Get("page"))
	list, err := s.ops().IndexAttributes(r.Context(), actor(r), limit, page)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	rows := make([]model.AttributeRecord, len(list))
	for i := range list {
		rows[i] = list[i].Record(true)
	}
	return ok(w, rows)
}

// viewAttribute answers attributes/view: 405 "Invalid attribute" for anything it cannot show.
func (s *Server) viewAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notAllowed("Invalid attribute"))
	if err != nil {
		return err
	}
	n := named(r)
	withData := namedTrue(n, "withAttachments") || namedTrue(n, "includeAttachments")
	v, err := s.ops().ViewAttribute(r.Context(), actor(r), ref, withData)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	rec := v.Attribute.Record(false)
	rec.EventUUID, rec.Tag = v.EventUUID, v.Attribute.Tag
	return ok(w, map[string]any{"Attribute": rec})
}

// headAttribute answers HEAD attributes/view as PyMISP's attribute_exists expects: 200 when
// the attribute is there and visible, 404 otherwise (GET answers MISP's 405 instead).
func (s *Server) headAttribute(w http.ResponseWriter, r *http.Request) error {
	status := http.StatusOK
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err == nil {
		_, err = s.ops().ViewAttribute(r.Context(), actor(r), ref, false)
	}
	var e *events.Error
	switch {
	case errors.As(err, &e), errors.As(err, new(*Error)):
		status = http.StatusNotFound
	case err != nil:
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

func (s *Server) tagAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err != nil {
		return err
	}
	tag, local, err := s.tagRequest(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().AddTag(r.Context(), actor(r), events.TagTarget{Attribute: &ref}, tag, local)
	if err != nil {
		return err
	}
	return tagAnswer(w, res)
}

func (s *Server) untagAttribute(w http.ResponseWriter, r *http.Request) error {
	ref, err := attributeRef(r.PathValue("id"), notFound("Invalid attribute"))
	if err != nil {
		return err
	}
	tag, _, err := s.tagRequest(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().RemoveTag(r.Context(), actor(r), events.TagTarget{Attribute: &ref}, tag)
	if err != nil {
		return err
	}
	return tagAnswer(w, res)
}
