package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// eventsDescription is MISP's answer to GET events/add.
var eventsDescription = description{Name: "/events/add API description",
	Description: "POST a MISP Event JSON to this API to create an Event. Contained objects " +
		"can also be included (such as attributes, objects, tags, etc).",
	Mandatory: []string{"info"},
	Optional: []string{"threat_level_id", "analysis", "distribution", "sharing_group_id",
		"uuid", "published", "timestamp", "date", "Attribute", "Object", "Shadow_Attribute",
		"EventTag"},
	URL: "/events/add"}

// ops returns the event operations for this server.
func (s *Server) ops() *events.Service { return s.events }

// newOps returns the event operations for the server's configuration: one for the
// server's life, since they remember what readers learnt of the correlation index.
func newOps(cfg *config.Config, db *store.DB, st *settings.Store) *events.Service {
	base := cfg.BaseURL
	if base == "" {
		base = "http://" + cfg.Listen
	}
	return events.New(db, st, base)
}

// actor returns the caller of a request as the operations see it.
func actor(r *http.Request) *events.Actor {
	return &events.Actor{Principal: principal(r), IP: clientIP(r)}
}

// eventsError turns a refusal of package events into MISP's answer. name and url are the
// endpoint's save-failure name and url ("" for the request path).
func eventsError(err error, r *http.Request, name, url string) error {
	var e *events.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case events.NotFound:
		ae := notFound(e.Message)
		if e.Location != "" {
			ae.Header = http.Header{"Location": {e.Location}}
		}
		return ae
	case events.Forbidden:
		return forbidden(e.Message)
	case events.NotAllowed:
		return notAllowed(e.Message)
	}
	if url == "" {
		url = reqPath(r)
	}
	sf := saveFail(name, url, e.Errors)
	if e.ID != 0 {
		sf.ID = itoa(e.ID)
	}
	return sf
}

// eventRef reads an event id or uuid from the path; anything else is an unknown event.
func eventRef(s string, msg string) (store.EventRef, error) {
	id, uid, ok := idOrUUID(s)
	if !ok {
		return store.EventRef{}, notFound(msg)
	}
	return store.EventRef{ID: id, UUID: uid}, nil
}

// decodeEvent reads an events/add or events/edit body: {"Event":{...}}, the bare event, or
// either inside {"request":...} or {"response":...}. The body is decoded in one pass, so
// that a large event is not scanned and copied more than needed.
func (s *Server) decodeEvent(w http.ResponseWriter, r *http.Request) (*events.EventInput, error) {
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return decodeEventBody(raw)
}

// eventBody is the union of the forms of an event body.
type eventBody struct {
	events.EventInput
	Event    *events.EventInput `json:"Event"`
	Request  *eventBody         `json:"request"`
	Response *eventBody         `json:"response"`
}

func decodeEventBody(raw []byte) (*events.EventInput, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return &events.EventInput{}, nil
	}
	var b eventBody
	if err := json.Unmarshal(raw, &b); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, notAllowed(msgInvalidJSON)
		}
		return nil, inputError(err)
	}
	for {
		switch {
		case b.Event != nil:
			return b.Event, nil
		case b.Request != nil:
			b = *b.Request
		case b.Response != nil:
			b = *b.Response
		default:
			return &b.EventInput, nil
		}
	}
}

// writeEvent writes the answer of events/add and events/edit: the event (without its
// children under metadata:1), and the children that were left out.
func (s *Server) writeEvent(w http.ResponseWriter, r *http.Request, res *events.Result) error {
	metadata := named(r).Has("metadata") && named(r).Get("metadata") != "0"
	var errs any
	if len(res.Errors) > 0 {
		errs = res.Errors
	}
	return s.streamEvent(w, r, res.Event, metadata, errs)
}

// streamEvent writes {"Event":...} as it is encoded: an event of many attributes is not
// held twice in memory. Once the status is sent a failure can only cut the answer short;
// it is logged.
func (s *Server) streamEvent(w http.ResponseWriter, r *http.Request, e *model.Event,
	metadata bool, errs any) error {
	w.Header().Set("Content-Type", contentJSON)
	w.WriteHeader(http.StatusOK)
	if err := model.WriteEvent(w, e, metadata, errs); err != nil {
		s.log.Warn("event answer cut short", "path", reqPath(r), "event_id", int64(e.ID), "err", err)
	}
	return nil
}

func (s *Server) addEvent(w http.ResponseWriter, r *http.Request) error {
	in, err := s.decodeEvent(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().AddEvent(r.Context(), actor(r), in)
	if err != nil {
		return eventsError(err, r, "Could not add Event", "/events/add")
	}
	return s.writeEvent(w, r, res)
}

func (s *Server) editEvent(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("id"), "Invalid event")
	if err != nil {
		return err
	}
	in, err := s.decodeEvent(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().EditEvent(r.Context(), actor(r), ref, in)
	if err != nil {
		return eventsError(err, r, "Could not edit Event", "")
	}
	return s.writeEvent(w, r, res)
}

// viewEvent answers events/view by GET or POST; as in MISP, a POST body is ignored and only
// the named parameters of the path count.
func (s *Server) viewEvent(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("id"), "Invalid event")
	if err != nil {
		return err
	}
	n := named(r)
	deleted := namedTrue(n, "deleted")
	if r.Method == http.MethodPost {
		// MISP answers a POST like the GET and ignores its body (observed:
		// 042-events-view-post-params), except for "deleted", which PyMISP's get_event
		// sends there and relies on.
		body, err := s.decodeObject(w, r, "")
		if err != nil {
			return err
		}
		deleted = deleted || bodyTrue(body["deleted"])
	}
	opt := events.ViewOptions{
		Deleted:            deleted,
		ExcludeLocalTags:   namedTrue(n, "excludeLocalTags"),
		IncludeAllTags:     namedTrue(n, "includeAllTags"),
		IncludeAttachments: namedTrue(n, "includeAttachments") || namedTrue(n, "withAttachments"),
		NoEventCorrelations: n.Has("includeEventCorrelations") &&
			!namedTrue(n, "includeEventCorrelations"),
		GranularCorrelations: namedTrue(n, "includeGranularCorrelations"),
		Sightings:            !namedTrue(n, "noSightings"),
	}
	e, err := s.ops().ViewEvent(r.Context(), actor(r), ref, opt)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	return s.streamEvent(w, r, e, false, nil)
}

// bodyTrue reports whether a JSON member is true, 1, "1", or a list holding one of those.
func bodyTrue(raw json.RawMessage) bool {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case float64:
		return x == 1
	case string:
		return x == "1" || strings.EqualFold(x, "true")
	case []any:
		for _, item := range x {
			b, _ := json.Marshal(item)
			if bodyTrue(b) {
				return true
			}
		}
	}
	return false
}

// namedTrue reports whether a named parameter has a true value among its values
// (deleted[]:0/deleted[]:1 counts as true).
func namedTrue(n Named, key string) bool {
	for _, v := range n[key] {
		if v == "1" || strings.EqualFold(v, "true") {
			return true
		}
	}
	return false
}

func (s *Server) indexEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := s.indexQuery(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().Index(r.Context(), actor(r), q)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	w.Header().Set("X-Result-Count", strconv.FormatInt(res.Total, 10))
	if q.Minimal {
		return ok(w, res.Minimal)
	}
	return ok(w, res.Rows)
}

// indexQuery reads the filters and paging of events/index from the body (a filter's bare
// name or its "search" form) and from the named parameters (only the "search" form counts
// there, as in MISP).
func (s *Server) indexQuery(w http.ResponseWriter, r *http.Request) (events.IndexQuery, error) {
	q := events.IndexQuery{Filters: map[string][]string{}}
	params := map[string][]string{}
	for k, v := range named(r) {
		params[k] = v
	}
	if r.Method == http.MethodPost {
		body, err := s.decodeObject(w, r, "Event")
		if err != nil {
			return q, err
		}
		for k, raw := range body {
			params[k] = filterValues(raw)
		}
	}
	bodyKeys := map[string]bool{}
	if r.Method == http.MethodPost {
		for k := range params {
			if _, fromPath := named(r)[k]; !fromPath {
				bodyKeys[k] = true
			}
		}
	}
	for k, v := range params {
		key := strings.ToLower(k)
		switch key {
		case "limit":
			q.Limit, _ = strconv.Atoi(firstOf(v))
			continue
		case "page":
			q.Page, _ = strconv.Atoi(firstOf(v))
			continue
		case "sort":
			q.Sort = strings.ToLower(firstOf(v))
			continue
		case "direction":
			q.Desc = strings.EqualFold(firstOf(v), "desc")
			continue
		case "minimal":
			q.Minimal = firstOf(v) == "1" || strings.EqualFold(firstOf(v), "true")
			continue
		}
		name, prefixed := strings.CutPrefix(key, "search")
		if !events.IndexFilters[name] || (!prefixed && !bodyKeys[k]) {
			continue
		}
		q.Filters[name] = append(q.Filters[name], v...)
	}
	if q.Sort != "" && !store.IsEventSortColumn(q.Sort) {
		q.Sort = ""
	}
	return q, nil
}

// filterValues reads a filter value: a string, a number, a boolean or a list of them.
func filterValues(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var add func(any)
	add = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case float64:
			out = append(out, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			out = append(out, map[bool]string{true: "1", false: "0"}[v])
		case []any:
			for _, x := range v {
				add(x)
			}
		case map[string]any:
			for _, key := range []string{"OR", "AND"} {
				if x, ok := v[key]; ok {
					add(x)
				}
			}
			if x, ok := v["NOT"]; ok {
				before := len(out)
				add(x)
				for i := before; i < len(out); i++ {
					out[i] = "!" + out[i]
				}
			}
		}
	}
	add(v)
	return out
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// deleteEvent answers events/delete/{id} and events/delete with {"id":[...]} in the body.
func (s *Server) deleteEvent(w http.ResponseWriter, r *http.Request) error {
	refs := []string{r.PathValue("id")}
	single := refs[0] != ""
	if !single {
		body, err := s.decodeObject(w, r, "Event")
		if err != nil {
			return err
		}
		refs = filterValues(body["id"])
		if len(refs) == 0 {
			return notFound("Invalid input.")
		}
	}
	var done, failed int
	var lastID int64
	for _, ref := range refs {
		er, err := eventRef(ref, "")
		if err != nil {
			failed++
			continue
		}
		id, err := s.ops().DeleteEvent(r.Context(), actor(r), er)
		var e *events.Error
		if errors.As(err, &e) {
			failed++
			continue
		}
		if err != nil {
			return err
		}
		done, lastID = done+1, id
	}
	if len(refs) == 1 {
		if done == 0 {
			return saveFail("Could not delete Event", "/events/delete", "Event was not deleted.")
		}
		return saveSuccess(w, "/events/delete/"+itoa(lastID), "Event deleted.", itoa(lastID))
	}
	msg := ""
	if done > 0 {
		msg += strconv.Itoa(done) + " event(s) deleted."
	}
	if failed > 0 {
		msg += strconv.Itoa(failed) + " event(s) could not be deleted due to insufficient " +
			"privileges or the event not being found."
	}
	if done == 0 {
		return saveFail("Could not delete Event", "/events/delete", msg)
	}
	return saveSuccess(w, "/events/delete", msg, "")
}

// eventID reads the event of events/publish and events/unpublish: an id or a uuid.
func (s *Server) eventID(r *http.Request) (int64, error) {
	ref, err := eventRef(r.PathValue("id"), "Invalid event.")
	if err != nil {
		return 0, err
	}
	if ref.UUID == "" {
		return ref.ID, nil
	}
	id, err := store.EventIDByUUID(r.Context(), s.db, ref.UUID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, notFound("Invalid event.")
	}
	return id, err
}

func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := s.eventID(r)
	if err != nil {
		return err
	}
	if err := s.ops().PublishEvent(r.Context(), actor(r), id); err != nil {
		return eventsError(err, r, "", "")
	}
	msg := "Job queued"
	if bg, err := s.settings.Bool(r.Context(), "MISP.background_jobs"); err != nil {
		return err
	} else if !bg {
		msg = "Event published without alerts"
	}
	return saveSuccess(w, "/events/publish/"+itoa(id), msg, itoa(id))
}

func (s *Server) unpublishEvent(w http.ResponseWriter, r *http.Request) error {
	id, err := s.eventID(r)
	if err != nil {
		return err
	}
	if err := s.ops().UnpublishEvent(r.Context(), actor(r), id); err != nil {
		return eventsError(err, r, "", "")
	}
	return saveSuccess(w, "/events/unpublish/"+itoa(id), "Event unpublished.", itoa(id))
}

// tagRequest reads the tag and the local flag of events/addTag and attributes/addTag: the
// tag from the path or the body's "tag" (or "Tag"), local from the named parameter or the
// body. A path segment "local:1" after the id is the named parameter, not a tag.
func (s *Server) tagRequest(w http.ResponseWriter, r *http.Request) (string, bool, error) {
	tag := r.PathValue("tag")
	local := namedTrue(named(r), "local")
	if v, found := strings.CutPrefix(tag, "local:"); found {
		tag, local = "", local || v == "1" || v == "true"
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return "", false, err
	}
	if tag == "" {
		for _, key := range []string{"tag", "Tag", "tag_id"} {
			if v := filterValues(body[key]); len(v) > 0 {
				tag = v[0]
				break
			}
		}
	}
	if v := filterValues(body["local"]); len(v) > 0 && v[0] == "1" {
		local = true
	}
	return tag, local, nil
}

// tagAnswer writes MISP's answer to addTag and removeTag: 200 either way, saved telling.
func tagAnswer(w http.ResponseWriter, res events.TagResult) error {
	if !res.Saved {
		return ok(w, map[string]any{"saved": false, "errors": res.Message})
	}
	return ok(w, map[string]any{"saved": true, "success": res.Message, "check_publish": true})
}

func (s *Server) tagEvent(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("id"), "Invalid event.")
	if err != nil {
		return err
	}
	tag, local, err := s.tagRequest(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().AddTag(r.Context(), actor(r), events.TagTarget{Event: &ref}, tag, local)
	if err != nil {
		return err
	}
	return tagAnswer(w, res)
}

func (s *Server) untagEvent(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("id"), "Invalid event.")
	if err != nil {
		return err
	}
	tag, _, err := s.tagRequest(w, r)
	if err != nil {
		return err
	}
	res, err := s.ops().RemoveTag(r.Context(), actor(r), events.TagTarget{Event: &ref}, tag)
	if err != nil {
		return err
	}
	return tagAnswer(w, res)
}
