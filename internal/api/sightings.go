package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/export"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// The sightings endpoints (reference §5.8). MISP lets any user read sightings, asks
// perm_sighting to add them and perm_sighting with perm_modify_org to delete them; what a
// user reads and sights is limited by the access rules of the attributes and by
// Plugin.Sightings_policy (package events).

// sightingsAddDescription is MISP's answer to a GET on sightings/add.
var sightingsAddDescription = struct {
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Mandatory   map[string][]string `json:"mandatory_fields"`
	Optional    []string            `json:"optional_fields"`
	URL         string              `json:"url"`
}{Name: "/sightings/add API description",
	Description: "POST a simplified sighting object in JSON format to this API to add a or a " +
		"list of sightings. Pass either value(s) or attribute IDs (can be uuids) to identify " +
		"the target sightings.",
	Mandatory: map[string][]string{"OR": {"values", "id"}},
	Optional:  []string{"type", "source", "timestamp", "date", "time", "filters"},
	URL:       "/sightings/add"}

const msgAddSightingFailed = "Could not add the Sighting. Reason: "

// addSighting answers sightings/add[/{id}]: a sighting on the attribute named in the path,
// by "uuid" or "id" in the body, or on every readable attribute that carries one of
// "value"/"values". The answer is the last sighting added; a request that sights nothing
// is answered with 200 and MISP's message.
func (s *Server) addSighting(w http.ResponseWriter, r *http.Request) error {
	if !acl.CanAddSightings(principal(r)) {
		return noFunctionality()
	}
	if r.Method == http.MethodGet {
		return ok(w, sightingsAddDescription)
	}
	body, err := s.sightingBody(w, r)
	if err != nil {
		return err
	}
	in, err := sightingInput(body, r.PathValue("id"), time.Now())
	if err != nil {
		return err
	}
	sg, err := s.ops().AddSightings(r.Context(), actor(r), in)
	var refused *events.SightingRefusal
	if errors.As(err, &refused) {
		return ok(w, map[string]string{"message": msgAddSightingFailed + refused.Reason})
	}
	if err != nil {
		return eventsError(err, r, "", "")
	}
	return ok(w, map[string]*model.Sighting{"Sighting": sg})
}

// sightingBody reads the body of sightings/add: an object, bare or inside {"request":...}
// and then {"Sighting":...}. Any other JSON value (PyMISP may send a list) is an empty
// request.
func (s *Server) sightingBody(w http.ResponseWriter, r *http.Request) (
	map[string]json.RawMessage, error) {
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if !json.Valid(raw) {
		return nil, notAllowed(msgInvalidJSON)
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil || body == nil {
		return map[string]json.RawMessage{}, nil
	}
	for _, env := range []string{"request", "Sighting"} {
		var inner map[string]json.RawMessage
		if v, ok := body[env]; ok && json.Unmarshal(v, &inner) == nil && inner != nil {
			body = inner
		}
	}
	return body, nil
}

// sightingInput reads a sightings/add request. pathID is the attribute named in the path.
func sightingInput(body map[string]json.RawMessage, pathID string, now time.Time) (
	events.SightingInput, error) {
	in := events.SightingInput{Attribute: strings.TrimSpace(pathID), Type: "0"}
	if raw, ok := given(body, "value"); ok {
		in.Values = []string{scalarString(raw)}
	} else if raw, ok := given(body, "values"); ok {
		in.Values = stringValues(raw)
	}
	for _, key := range []string{"uuid", "id"} {
		if raw, ok := given(body, key); ok && in.Attribute == "" {
			in.Attribute = strings.TrimSpace(scalarString(raw))
		}
	}
	if raw, ok := given(body, "type"); ok {
		in.Type = scalarString(raw)
	}
	if raw, ok := given(body, "source"); ok {
		in.Source = strings.TrimSpace(scalarString(raw))
	}
	date, _ := given(body, "date")
	clock, _ := given(body, "time")
	if d, c := scalarString(date), scalarString(clock); d != "" && c != "" {
		t, err := time.ParseInLocation("2006-01-02:15:04:05", d+":"+c, time.UTC)
		ts := t.Unix()
		in.Timestamp, in.BadTimestamp = &ts, err != nil
	} else if raw, ok := given(body, "timestamp"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(scalarString(raw)), 64)
		ts := int64(f)
		in.Timestamp, in.BadTimestamp = &ts, err != nil
	}
	if raw, ok := given(body, "filters"); ok {
		var filters map[string]json.RawMessage
		if json.Unmarshal(raw, &filters) == nil && len(filters) > 0 {
			p, err := search.Parse(filters, nil, now)
			var se *search.Error
			if errors.As(err, &se) {
				return in, badRequest(se.Msg)
			}
			if err != nil {
				return in, err
			}
			in.Filters = p
		}
	}
	return in, nil
}

// given returns a member of a body that is set and not null.
func given(body map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := body[key]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil, false
	}
	return raw, true
}

// scalarString reads a JSON string, number or boolean as text (true is "1", false "").
func scalarString(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "1"
		}
	}
	return ""
}

// stringValues reads one value or a list of them as text.
func stringValues(raw json.RawMessage) []string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return []string{scalarString(raw)}
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, scalarString(item))
	}
	return out
}

// deleteSighting answers sightings/delete/{id}: the sighting by id or uuid.
func (s *Server) deleteSighting(w http.ResponseWriter, r *http.Request) error {
	if !acl.CanDeleteSightings(principal(r)) {
		return noFunctionality()
	}
	if r.Method != http.MethodPost {
		return notAllowed("This action can only be accessed via a post request.")
	}
	raw := strings.TrimSpace(r.PathValue("id"))
	id, uid, valid := idOrUUID(raw)
	if !valid {
		return notFound("Invalid sighting.")
	}
	err := s.ops().DeleteSighting(r.Context(), actor(r), store.SightingRef{ID: id, UUID: uid})
	if err != nil {
		return eventsError(err, r, "", "")
	}
	return saveSuccess(w, "/sightings/delete/"+raw, "Sighting successfully deleted.", raw)
}

// viewSighting answers sightings/view/{id}: the sighting by id or uuid, as
// sightings/listSightings lists it.
func (s *Server) viewSighting(w http.ResponseWriter, r *http.Request) error {
	id, uid, valid := idOrUUID(r.PathValue("id"))
	if !valid {
		return notFound("Invalid sighting.")
	}
	ls, err := s.ops().ViewSighting(r.Context(), actor(r), store.SightingRef{ID: id, UUID: uid})
	if err != nil {
		return eventsError(err, r, "", "")
	}
	return ok(w, ls)
}

// indexSightings answers sightings/index[/{event id}]: the sightings of the event, or of
// every event, that the caller is shown, as a list written while it is read.
func (s *Server) indexSightings(w http.ResponseWriter, r *http.Request) error {
	var eventID int64
	if raw := strings.TrimSpace(r.PathValue("event")); raw != "" && raw != "0" {
		var valid bool
		if eventID, valid = pathInt(raw); !valid {
			// MISP compares the event id with whatever it is given: nothing matches.
			return ok(w, []any{})
		}
	}
	w.Header().Set("Content-Type", contentJSON)
	out := &sentWriter{w: w}
	bw := bufio.NewWriterSize(out, 64<<10)
	bw.WriteByte('[')
	first := true
	var buf []byte
	err := s.ops().EachSighting(r.Context(), actor(r), eventID, func(sg *model.Sighting) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		var err error
		if buf, err = appendEncoded(buf[:0], sg); err != nil {
			return err
		}
		_, err = bw.Write(buf)
		return err
	})
	if err == nil {
		bw.WriteString("]\n")
		err = bw.Flush()
	}
	return s.streamEnd(r, out, err)
}

// listSightings answers sightings/listSightings[/{id}[/{context}[/{org}]]]: the sightings
// of attributes or events, latest first. The members id, context and org_id of a POSTed
// body win over the path.
func (s *Server) listSightings(w http.ResponseWriter, r *http.Request) error {
	ids := sightingIDList(json.RawMessage(strconv.Quote(r.PathValue("id"))))
	scope, org := r.PathValue("context"), r.PathValue("org")
	if scope == "" {
		scope = "attribute"
	}
	if r.Method == http.MethodPost {
		body, err := s.decodeObject(w, r, "")
		if err != nil {
			return err
		}
		if raw, ok := body["id"]; ok {
			ids = sightingIDList(raw)
		}
		if raw, ok := body["context"]; ok {
			scope = scalarString(raw)
		}
		if raw, ok := body["org_id"]; ok {
			org = scalarString(raw)
		}
	}
	ctx, ops, a := r.Context(), s.ops(), actor(r)
	var orgID int64
	if org = strings.TrimSpace(org); org != "" && org != "0" {
		var err error
		if orgID, err = ops.OrganisationID(ctx, org); err != nil {
			return eventsError(err, r, "", "")
		}
	}
	list, err := ops.ListSightings(ctx, a, ids, scope, orgID)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	return ok(w, list)
}

// sightingIDList reads the ids of listSightings: a number, ids joined with "|", or a list.
func sightingIDList(raw json.RawMessage) []int64 {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	var ids []int64
	for _, item := range list {
		for _, part := range strings.Split(scalarString(item), "|") {
			if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// restSearchSightings answers sightings/restSearch[/{context}[/{format}]] (reference
// §6.1): the sightings of the instance, of some attributes or of some events, in json, csv
// or xml, written while they are read.
func (s *Server) restSearchSightings(w http.ResponseWriter, r *http.Request) error {
	// The path arguments are the first filters of MISP's list, in order; the values PHP
	// holds for false are dropped.
	url := map[string]string{}
	for filter, arg := range map[string]string{"context": "context", "returnFormat": "format"} {
		v := strings.TrimSpace(r.PathValue(arg))
		switch strings.ToLower(v) {
		case "", "null", "0", "false":
			continue
		}
		url[filter] = v
	}
	for k, vs := range named(r) {
		if len(vs) > 0 {
			url[k] = vs[0]
		}
	}
	var body map[string]json.RawMessage
	if r.Method == http.MethodGet && len(url) == 0 {
		return badRequest("Restsearch queries using GET and no parameters are not allowed. " +
			"If you have passed parameters via a JSON body, make sure you use POST requests.")
	}
	if r.Method != http.MethodGet {
		var err error
		if body, err = s.decodeObject(w, r, ""); err != nil {
			return err
		}
		if len(body) == 0 {
			return &Error{Status: http.StatusBadRequest, URL: "/sightings/restSearch",
				Message: "Either specify the search terms in the url, or POST a json with " +
					"the filter parameters."}
		}
	}
	p, err := search.ParseSightings(body, url, time.Now())
	var se *search.Error
	switch {
	case errors.As(err, &se):
		return badRequest(se.Msg)
	case errors.Is(err, search.ErrSightingFormat):
		return notFound("Invalid output format.")
	case err != nil:
		return err
	}

	out := &sentWriter{w: w}
	var sw *export.SightingWriter
	start := func(n int64) error {
		h := w.Header()
		h.Set("Content-Type", export.SightingFormats[p.ReturnFormat])
		h.Set("X-Result-Count", strconv.FormatInt(n, 10))
		h.Set("X-Export-Module-Used", p.ReturnFormat)
		h.Set("X-Response-Format", p.ReturnFormat)
		h.Set("X-Skipped-Elements-Count", "0")
		sw = export.NewSightingWriter(out, p.ReturnFormat, p.IncludeAttribute, p.IncludeEvent)
		return nil
	}
	err = s.ops().SearchSightings(r.Context(), actor(r), p, start,
		func(sg *model.FoundSighting) error { return sw.Sighting(sg) })
	if err == nil {
		err = sw.Close()
	}
	return s.streamEnd(r, out, err)
}
