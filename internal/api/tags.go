package api

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// tagInput is the body of tags/add and tags/edit. Absent members are nil.
type tagInput struct {
	Name       *string      `json:"name"`
	Colour     *string      `json:"colour"`
	Exportable *misp.Bool   `json:"exportable"`
	OrgID      *misp.StrInt `json:"org_id"`
	UserID     *misp.StrInt `json:"user_id"`
	HideTag    *misp.Bool   `json:"hide_tag"`
	LocalOnly  *misp.Bool   `json:"local_only"`
	// NumericalValue is null to clear the value, absent to keep it.
	NumericalValue json.RawMessage `json:"numerical_value"`
}

func (in *tagInput) apply(t *model.Tag) error {
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
		if len(t.Name) > 255 {
			t.Name = truncateUTF8(t.Name, 255)
		}
	}
	if in.Colour != nil && *in.Colour != "" {
		t.Colour = strings.TrimSpace(*in.Colour)
	}
	for _, f := range []struct {
		dst *misp.Bool
		src *misp.Bool
	}{{&t.Exportable, in.Exportable}, {&t.HideTag, in.HideTag}, {&t.LocalOnly, in.LocalOnly}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.OrgID != nil {
		t.OrgID = *in.OrgID
	}
	if in.UserID != nil {
		t.UserID = *in.UserID
	}
	switch raw := bytes.TrimSpace(in.NumericalValue); {
	case len(raw) == 0:
	case string(raw) == "null" || string(raw) == `""`:
		t.NumericalValue = nil
	default:
		var n misp.StrInt
		if err := json.Unmarshal(raw, &n); err != nil {
			return badRequest("Invalid value for field numerical_value.")
		}
		t.NumericalValue = &n
	}
	return nil
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// MISP's patterns for galaxy cluster tags (Tag::RE_GALAXY, Tag::RE_CUSTOM_GALAXY).
var (
	reGalaxyTag       = regexp.MustCompile(`(?i)misp-galaxy:[^:="]+="[^:="]+`)
	reCustomGalaxyTag = regexp.MustCompile(`(?i)misp-galaxy:[^:="]+="[a-f0-9]{8}-[a-f0-9]{4}-` +
		`[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"`)
	reTagColour = regexp.MustCompile(`(?i)^#[0-9a-f]{6}$`)
)

// tagColour derives a tag's colour from its name, as MISP does (Tag::tagColor), so that a
// tag gets the same colour on every instance.
func tagColour(name string) string {
	sum := md5.Sum([]byte(name))
	return "#" + hex.EncodeToString(sum[:])[:6]
}

// finishTag sets what MISP derives from a tag's name and checks the rest, returning MISP's
// refusal: "Could not add the Tag. [field]: message".
func finishTag(t *model.Tag) error {
	t.IsGalaxy = misp.Bool(reGalaxyTag.MatchString(t.Name))
	t.IsCustomGalaxy = misp.Bool(reCustomGalaxyTag.MatchString(t.Name))
	if t.Colour == "" {
		t.Colour = tagColour(t.Name)
	}
	switch {
	case t.Name == "":
		return notAllowed("Could not add the Tag. [name]: This field is required.")
	case !reTagColour.MatchString(t.Colour):
		return notAllowed("Could not add the Tag. [colour]: Colour has to be in the RGB " +
			"format (#FFFFFF)")
	}
	return nil
}

var errTagNameTaken = notAllowed("Could not add the Tag. [name]: A similar name already exists.")

func (s *Server) addTag(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.TagEditor) {
		return noFunctionality()
	}
	body, err := s.decodeObject(w, r, "Tag")
	if err != nil {
		return err
	}
	if inner, found := body["request"]; found && isObject(inner) {
		if body, err = unwrapObject(inner, ""); err != nil {
			return err
		}
	}
	var in tagInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	t := model.Tag{Exportable: true}
	if err := in.apply(&t); err != nil {
		return err
	}
	// A name that exists already is not an error: MISP answers with the existing tag.
	if t.Name != "" {
		existing, err := store.TagByName(r.Context(), s.db, t.Name)
		if err == nil {
			return ok(w, map[string]any{"Tag": existing})
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if err := finishTag(&t); err != nil {
		return err
	}
	err = store.InsertTag(r.Context(), s.db, &t)
	if errors.Is(err, store.ErrConflict) {
		if existing, err := store.TagByName(r.Context(), s.db, t.Name); err == nil {
			return ok(w, map[string]any{"Tag": existing})
		}
		return errTagNameTaken
	}
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"Tag": t})
}

// findTag returns the tag a client names: by id, or by name matched case-insensitively.
func (s *Server) findTag(r *http.Request, ref string) (model.Tag, error) {
	if id, isID := pathInt(ref); isID {
		return store.TagByID(r.Context(), s.db, id)
	}
	return store.TagByName(r.Context(), s.db, strings.TrimSpace(ref))
}

// loadTag is findTag with missing, MISP's refusal for that endpoint, for an unknown tag.
func (s *Server) loadTag(r *http.Request, ref string, missing *Error) (model.Tag, error) {
	t, err := s.findTag(r, ref)
	if errors.Is(err, store.ErrNotFound) {
		return t, missing
	}
	return t, err
}

func (s *Server) editTag(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	t, err := s.loadTag(r, r.PathValue("id"), notFound("Invalid tag"))
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "Tag")
	if err != nil {
		return err
	}
	var in tagInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	if err := in.apply(&t); err != nil {
		return err
	}
	if err := finishTag(&t); err != nil {
		return err
	}
	other, err := store.TagByName(r.Context(), s.db, t.Name)
	switch {
	case err == nil && other.ID != t.ID:
		return errTagNameTaken
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	err = store.UpdateTag(r.Context(), s.db, &t)
	if errors.Is(err, store.ErrConflict) {
		return errTagNameTaken
	}
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"Tag": t})
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	t, err := s.loadTag(r, r.PathValue("id"), notFound("Invalid tag"))
	if err != nil {
		return err
	}
	if err := store.DeleteTag(r.Context(), s.db, int64(t.ID)); err != nil {
		return err
	}
	// MISP sends name, message and url; the saved/success members make it the common
	// success envelope too.
	return saveSuccess(w, "/tags/delete/"+itoa(int64(t.ID)), "Tag deleted.", itoa(int64(t.ID)))
}

// tagRow is a tag of tags/index and tags/view, with its counts as JSON numbers.
type tagRow struct {
	model.Tag
	Favourite      *bool  `json:"favourite,omitempty"`
	Count          *int64 `json:"count,omitempty"`
	AttributeCount *int64 `json:"attribute_count,omitempty"`
}

func (s *Server) viewTag(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	t, err := s.loadTag(r, r.PathValue("id"), notAllowed("Invalid Tag"))
	if err != nil {
		return err
	}
	if !p.SiteAdmin() && !t.UsableBy(p.OrgID(), p.UserID()) {
		return notAllowed("Invalid Tag")
	}
	rd, err := s.tagReader(r)
	if err != nil {
		return err
	}
	counts, err := s.tagCounts(r, rd, int64(t.ID))
	if err != nil {
		return err
	}
	c := counts[int64(t.ID)]
	return ok(w, tagRow{Tag: t, Count: &c.events, AttributeCount: &c.attributes})
}

func (s *Server) indexTags(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	n := named(r)
	f := store.TagFilter{Contains: n.Get("searchall")}
	for _, k := range []string{"name", "filter", "search"} {
		if v := n.Get(k); v != "" {
			f.Name = v
		}
	}
	if !p.SiteAdmin() {
		f.UsableBy = &store.TagUser{OrgID: p.OrgID(), UserID: p.UserID()}
	}
	tags, err := store.Tags(r.Context(), s.db, f)
	if err != nil {
		return err
	}
	// TODO: favourite tags need MISP's favourite_tags table, which Cairn does not have yet;
	// no tag is a favourite and favouritesOnly lists nothing.
	if truthy(n.Get("favouritesOnly")) {
		tags = nil
	}
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })

	var counts map[int64]tagCount
	if !truthy(n.Get("exclude_statistics")) {
		rd, err := s.tagReader(r)
		if err != nil {
			return err
		}
		if counts, err = s.tagCounts(r, rd, 0); err != nil {
			return err
		}
	}
	no := false
	rows := make([]tagRow, 0, len(tags))
	for _, t := range tags {
		row := tagRow{Tag: t, Favourite: &no}
		if counts != nil {
			c := counts[int64(t.ID)]
			row.Count, row.AttributeCount = &c.events, &c.attributes
		}
		rows = append(rows, row)
	}
	return ok(w, map[string]any{"Tag": rows})
}

func truthy(v string) bool { return v == "1" || strings.EqualFold(v, "true") }

type tagCount struct{ events, attributes int64 }

// tagCounts counts, per tag, the events and attributes the reader can see that carry it
// (of tagID only, unless 0).
func (s *Server) tagCounts(r *http.Request, rd *tagReader, tagID int64) (
	map[int64]tagCount, error) {
	events, err := store.EventTagUsage(r.Context(), s.db, tagID)
	if err != nil {
		return nil, err
	}
	attrs, err := store.AttributeTagUsage(r.Context(), s.db, tagID)
	if err != nil {
		return nil, err
	}
	out := map[int64]tagCount{}
	for _, u := range events {
		if rd.eventVisible(u.Event) {
			c := out[u.TagID]
			c.events += u.Count
			out[u.TagID] = c
		}
	}
	for _, u := range attrs {
		// note: attributes inside objects are counted without the object's own
		// distribution, which the usage rows do not carry.
		a := store.TaggedAttribute{Distribution: u.Distribution, SharingGroupID: u.SharingGroupID,
			Event: u.Event}
		if rd.attributeVisible(a) {
			c := out[u.TagID]
			c.attributes += u.Count
			out[u.TagID] = c
		}
	}
	return out, nil
}

// tagSearchResult is one answer of tags/search.
type tagSearchResult struct {
	Tag               model.Tag `json:"Tag"`
	Taxonomy          struct{}  `json:"Taxonomy"`
	TaxonomyPredicate struct{}  `json:"TaxonomyPredicate"`
}

// searchTags answers tags/search: the tags whose name matches one of the terms, % being a
// wildcard, case-insensitively; unless strict, also the tags of the galaxy clusters that
// a term names (by value or synonym).
func (s *Server) searchTags(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	terms, strict, err := s.tagSearchTerms(w, r)
	if err != nil {
		return err
	}
	out := []tagSearchResult{}
	if len(terms) == 0 {
		return ok(w, out)
	}
	f := store.TagFilter{}
	var ids []int64
	for _, t := range terms {
		if id, isID := pathInt(t); isID && strict {
			ids = append(ids, id)
			continue
		}
		if strict {
			t = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(t)
		}
		f.Patterns = append(f.Patterns, t)
	}
	if !strict {
		names, err := store.GalaxyTagNames(r.Context(), s.db, f.Patterns)
		if err != nil {
			return err
		}
		f.Patterns = append(f.Patterns, names...)
	}
	if !p.SiteAdmin() {
		f.UsableBy = &store.TagUser{OrgID: p.OrgID(), UserID: p.UserID()}
	}
	var tags []model.Tag
	if len(f.Patterns) > 0 {
		if tags, err = store.Tags(r.Context(), s.db, f); err != nil {
			return err
		}
	}
	for _, id := range ids {
		t, err := store.TagByID(r.Context(), s.db, id)
		if err == nil && (p.SiteAdmin() || t.UsableBy(p.OrgID(), p.UserID())) {
			tags = append(tags, t)
		}
	}
	// TODO: fill Taxonomy and TaxonomyPredicate from the taxonomies once they are loaded;
	// they are sent empty for now.
	for _, t := range tags {
		out = append(out, tagSearchResult{Tag: t})
	}
	return ok(w, out)
}

// tagSearchTerms reads the terms of tags/search from the path (tags/search/{term}) or the
// body: {"tag":...}, {"value":...}, {"name":...}, PyMISP's {"tagname":...,
// "strict_tagname":...}, or a bare list of terms. A term may be a string or a list.
func (s *Server) tagSearchTerms(w http.ResponseWriter, r *http.Request) ([]string, bool, error) {
	strict := truthy(r.PathValue("strict"))
	if term := r.PathValue("term"); term != "" {
		return []string{term}, strict, nil
	}
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, false, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, strict, nil
	}
	if !json.Valid(raw) {
		return nil, false, notAllowed(msgInvalidJSON)
	}
	if raw[0] == '[' {
		return jsonStrings(raw), strict, nil
	}
	body, err := unwrapObject(raw, "Tag")
	if err != nil {
		return nil, false, err
	}
	var st misp.Bool
	if v, found := body["strict_tagname"]; found && json.Unmarshal(v, &st) == nil && bool(st) {
		strict = true
	}
	for _, k := range []string{"tag", "tagname", "value", "name"} {
		if v, found := body[k]; found {
			return jsonStrings(v), strict, nil
		}
	}
	return nil, strict, nil
}

// jsonStrings reads a JSON string, number or list of them as strings; anything else is
// dropped.
func jsonStrings(raw json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	var out []string
	for _, item := range list {
		var s string
		if json.Unmarshal(item, &s) == nil {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
			continue
		}
		var n json.Number
		if json.Unmarshal(item, &n) == nil {
			out = append(out, n.String())
		}
	}
	return out
}

// tagReader is who reads: the principal with the access rules of package acl.
type tagReader struct {
	p *auth.Principal
	v *acl.Viewer
}

func (s *Server) tagReader(r *http.Request) (*tagReader, error) {
	v, err := s.viewer(r)
	if err != nil {
		return nil, err
	}
	return &tagReader{p: principal(r), v: v}, nil
}

func eventFacts(e store.TaggedEvent) acl.EventFacts {
	return acl.EventFacts{OrgID: e.OrgID, Distribution: int64(e.Distribution),
		SharingGroupID: e.SharingGroupID, Published: e.Published}
}

// eventVisible reports whether the reader may see an event, by the shared rules.
func (rd *tagReader) eventVisible(e store.TaggedEvent) bool {
	return rd.v.SeesEvent(eventFacts(e))
}

// attributeVisible reports whether the reader may see an attribute, its event and its
// object, if any, by the shared rules.
func (rd *tagReader) attributeVisible(a store.TaggedAttribute) bool {
	var obj *acl.ChildFacts
	if a.ObjectID != 0 {
		obj = &acl.ChildFacts{Distribution: int64(a.ObjectDistribution),
			SharingGroupID: a.ObjectSharingGroupID}
	}
	return rd.v.SeesAttribute(eventFacts(a.Event),
		acl.ChildFacts{Distribution: int64(a.Distribution), SharingGroupID: a.SharingGroupID}, obj)
}

// tagTarget is the event or attribute that tags/attachTagToObject and
// tags/removeTagFromObject work on.
type tagTarget struct {
	kind  string // "Event" or "Attribute"
	id    int64
	event store.TaggedEvent
}

// findTagTarget finds the event, or else the attribute, with the given uuid among those
// the reader can see. With modify set the caller must also be allowed to change its
// global tags (see [Server.mayChangeGlobalTags]).
func (s *Server) findTagTarget(r *http.Request, rd *tagReader, uuid string, modify bool) (
	*tagTarget, error) {
	var t *tagTarget
	ev, err := store.TaggedEventByUUID(r.Context(), s.db, uuid)
	switch {
	case err == nil && rd.eventVisible(ev):
		t = &tagTarget{kind: "Event", id: ev.ID, event: ev}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, err
	default:
		a, err := store.TaggedAttributeByUUID(r.Context(), s.db, uuid)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err != nil || !rd.attributeVisible(a) {
			return nil, notFound("Invalid Target.")
		}
		t = &tagTarget{kind: "Attribute", id: a.ID, event: a.Event}
	}
	if modify {
		return t, s.mayChangeGlobalTags(r, rd.p, t)
	}
	return t, nil
}

// mayChangeGlobalTags refuses, with MISP's message, a change of the global tags of the
// target by anyone but a site admin or a user of the creator organisation (orgc).
func (s *Server) mayChangeGlobalTags(r *http.Request, p *auth.Principal, t *tagTarget) error {
	if p.SiteAdmin() || t.event.OrgcID == p.OrgID() {
		return nil
	}
	msg := "Cannot alter the tags of this data, only the organisation that has created " +
		"the data (orgc) can modify global tags."
	if host, err := s.settings.Int(r.Context(), "MISP.host_org_id"); err == nil &&
		host == p.OrgID() {
		msg += " Please consider using local tags if you are in the host organisation of " +
			"the instance."
	}
	return forbidden(msg)
}

// taggingInput is the body of tags/attachTagToObject and tags/removeTagFromObject.
type taggingInput struct {
	UUID         string
	Tags         []string
	Local        bool
	Relationship string
}

func (s *Server) decodeTagging(w http.ResponseWriter, r *http.Request) (*taggingInput, error) {
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return nil, err
	}
	in := &taggingInput{UUID: r.PathValue("uuid")}
	if in.UUID == "" {
		_ = json.Unmarshal(body["uuid"], &in.UUID)
	}
	if in.UUID = strings.TrimSpace(in.UUID); in.UUID == "" {
		return nil, notAllowed("Invalid object uuid")
	}
	if _, uid, isUUID := idOrUUID(in.UUID); isUUID && uid != "" {
		in.UUID = uid
	} else {
		return nil, notAllowed("Invalid UUID")
	}
	if tag := r.PathValue("tag"); tag != "" {
		in.Tags = []string{tag}
	} else if raw, found := body["tag"]; found {
		in.Tags = jsonStrings(raw)
	}
	if len(in.Tags) == 0 {
		return nil, notAllowed("Invalid tag")
	}
	var local misp.Bool
	if v := named(r).Get("local"); v != "" {
		in.Local = truthy(v)
	} else if v := r.PathValue("local"); v != "" {
		in.Local = truthy(v)
	} else if raw, found := body["local"]; found && json.Unmarshal(raw, &local) == nil {
		in.Local = bool(local)
	}
	_ = json.Unmarshal(body["relationship_type"], &in.Relationship)
	return in, nil
}

func (s *Server) attachTagToObject(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Tagger) {
		return noFunctionality()
	}
	in, err := s.decodeTagging(w, r)
	if err != nil {
		return err
	}
	host, err := s.settings.Int(r.Context(), "MISP.host_org_id")
	if err != nil {
		return err
	}
	rd, err := s.tagReader(r)
	if err != nil {
		return err
	}

	var target *tagTarget
	var fails, already []string
	var message string
	successes := 0
	for _, name := range in.Tags {
		if in.Local && p.OrgID() != host {
			fails = append(fails, "Local tags can only be added by users of the host organisation.")
			continue
		}
		if target == nil {
			if target, err = s.findTagTarget(r, rd, in.UUID, !in.Local); err != nil {
				return err
			}
		}
		tag, reason, err := s.tagToAttach(r, p, name, in.Local)
		if err != nil {
			return err
		}
		if reason != "" {
			fails = append(fails, reason)
			continue
		}
		added, err := s.attachTag(r, target, tag, in)
		if err != nil {
			return err
		}
		successes++
		scope := "Global"
		if in.Local {
			scope = "Local"
		}
		if added {
			message = fmt.Sprintf("%s tag %s(%d) successfully attached to %s(%d).", scope,
				tag.Name, tag.ID, target.kind, target.id)
		} else {
			message = fmt.Sprintf("%s already has the requested tag attached, no changes had "+
				"to be made for tag %s.", target.kind, tag.Name)
			already = append(already, tag.Name)
		}
	}

	var failed string
	if len(fails) > 0 {
		failed = fmt.Sprintf("Failed to attach %d tags. Reasons: %s", len(fails),
			phpJSONObject(fails))
	}
	if successes == 0 {
		return saveFail("Could not attachTagToObject Tag", "/tags/attachTagToObject", failed)
	}
	if successes > 1 {
		message = fmt.Sprintf("Successfully attached %d tags to %s (%d)", successes, target.kind,
			target.id)
		if len(already) > 0 {
			message += fmt.Sprintf(". %d already has the requested tag attached, no changes had "+
				"to be made for tags %s.", target.id, phpJSONList(already))
		}
	}
	if failed != "" {
		message += "\n" + failed
	}
	return saveSuccess(w, "/tags/attachTagToObject", message, "")
}

// tagToAttach finds the tag a user names (an id, or a name matched case-insensitively),
// creating an unknown name when the user may create tags. A tag the user may not use
// gives MISP's reason instead.
func (s *Server) tagToAttach(r *http.Request, p *auth.Principal, name string, local bool) (
	model.Tag, string, error) {
	tag, err := s.findTag(r, name)
	if errors.Is(err, store.ErrNotFound) {
		if _, isID := pathInt(name); isID {
			return tag, "Invalid Tag.", nil
		}
		if !p.SiteAdmin() && !bool(p.Role.TagEditor) {
			return tag, "Tag not found and insufficient privileges to create it.", nil
		}
		tag = model.Tag{Name: strings.TrimSpace(name), Exportable: true}
		if err := finishTag(&tag); err != nil {
			return tag, "Unable to create tag. Reason: " + asError(err).Message, nil
		}
		err = store.InsertTag(r.Context(), s.db, &tag)
		if errors.Is(err, store.ErrConflict) {
			tag, err = store.TagByName(r.Context(), s.db, tag.Name)
		}
	}
	if err != nil {
		return tag, "", err
	}
	if !p.SiteAdmin() {
		if tag.OrgID != 0 && int64(tag.OrgID) != p.OrgID() {
			return tag, "Invalid Tag. This tag can only be set by a fixed organisation.", nil
		}
		if tag.UserID != 0 && int64(tag.UserID) != p.UserID() {
			return tag, "Invalid Tag. This tag can only be set by a fixed user.", nil
		}
	}
	if bool(tag.LocalOnly) && !local {
		return tag, "Invalid Tag. This tag can only be set as a local tag.", nil
	}
	return tag, "", nil
}

// attachTag attaches tag to the target in one transaction. A global tag changes the event:
// it is unpublished and its timestamp (and the attribute's) bumped (Q14); a local tag
// changes nothing. It reports false when the tag was attached already.
func (s *Server) attachTag(r *http.Request, t *tagTarget, tag model.Tag, in *taggingInput) (
	bool, error) {
	var added bool
	err := s.db.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		if t.kind == "Event" {
			added, err = store.AttachEventTag(r.Context(), tx, t.id, int64(tag.ID), in.Local,
				in.Relationship)
		} else {
			added, err = store.AttachAttributeTag(r.Context(), tx, t.id, t.event.ID,
				int64(tag.ID), in.Local, in.Relationship)
		}
		if err != nil || !added || in.Local {
			return err
		}
		return s.touchTagTarget(r, tx, t)
	})
	return added, err
}

func (s *Server) touchTagTarget(r *http.Request, tx *store.Tx, t *tagTarget) error {
	now := time.Now().Unix()
	if t.kind == "Event" {
		return store.TouchTaggedEvent(r.Context(), tx, t.id, now)
	}
	return store.TouchTaggedAttribute(r.Context(), tx, t.id, t.event.ID, now)
}

func (s *Server) removeTagFromObject(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Tagger) {
		return noFunctionality()
	}
	in, err := s.decodeTagging(w, r)
	if err != nil {
		return err
	}
	tag, err := s.loadTag(r, in.Tags[0], notAllowed("Invalid Tag."))
	if err != nil {
		return err
	}
	rd, err := s.tagReader(r)
	if err != nil {
		return err
	}
	target, err := s.findTagTarget(r, rd, in.UUID, false)
	if err != nil {
		return err
	}
	var link store.TagLink
	if target.kind == "Event" {
		link, err = store.EventTagLink(r.Context(), s.db, target.id, int64(tag.ID))
	} else {
		link, err = store.AttributeTagLink(r.Context(), s.db, target.id, int64(tag.ID))
	}
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Could not remove tag as it is not attached to the target " + target.kind)
	}
	if err != nil {
		return err
	}
	if !link.Local {
		if err := s.mayChangeGlobalTags(r, p, target); err != nil {
			return err
		}
	} else {
		allowed, err := s.mayChangeLocalTags(r, p, target.event)
		if err != nil {
			return err
		}
		if !allowed {
			return forbidden("Insufficient privileges to remove local tags from events you " +
				"do not own.")
		}
	}

	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		if target.kind == "Event" {
			err = store.DetachEventTag(r.Context(), tx, link.ID)
		} else {
			err = store.DetachAttributeTag(r.Context(), tx, link.ID)
		}
		if err != nil || link.Local {
			return err
		}
		return s.touchTagTarget(r, tx, target)
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Could not remove tag as it is not attached to the target " + target.kind)
	}
	if err != nil {
		return err
	}
	scope := "Global"
	if link.Local {
		scope = "Local"
	}
	msg := fmt.Sprintf("%s tag %s (%d) successfully removed from %s(%d).", scope, tag.Name,
		tag.ID, target.kind, target.id)
	return saveSuccess(w, "/tags/removeTagFromObject", msg, "")
}

// mayChangeLocalTags reports whether p may remove local tags from an event (MISP's
// __canModifyTag for local tags): site admins; taggers and sync users who may modify the
// event or who belong to the host organisation.
func (s *Server) mayChangeLocalTags(r *http.Request, p *auth.Principal, e store.TaggedEvent) (
	bool, error) {
	if p.SiteAdmin() {
		return true, nil
	}
	if !bool(p.Role.Tagger) && !bool(p.Role.Sync) {
		return false, nil
	}
	if (bool(p.Role.ModifyOrg) && e.OrgcID == p.OrgID()) ||
		(bool(p.Role.Modify) && e.UserID == p.UserID()) {
		return true, nil
	}
	host, err := s.settings.Int(r.Context(), "MISP.host_org_id")
	return host == p.OrgID(), err
}

// phpJSONObject encodes a list as PHP's json_encode with JSON_FORCE_OBJECT does:
// {"0":"...","1":"..."}, slashes and non-ASCII characters escaped.
func phpJSONObject(items []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strconv.Itoa(i) + `":`)
		b.WriteString(phpJSONString(s))
	}
	b.WriteByte('}')
	return b.String()
}

// phpJSONList encodes a list of strings as PHP's json_encode does.
func phpJSONList(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = phpJSONString(s)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// phpJSONString quotes s as PHP's json_encode does by default: "/" as "\/" and every
// character outside ASCII as \uXXXX (UTF-16).
func phpJSONString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r == '/':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r >= 0x80:
			if r > 0xffff {
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				continue
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
