package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/freetext"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// freetextBody is the body of events/freeTextImport, bare or under "Attribute"; a JSON
// string alone is the text.
type freetextBody struct {
	Value                *events.Text    `json:"value"`
	Distribution         json.RawMessage `json:"distribution"`
	SharingGroupID       *misp.StrInt    `json:"sharing_group_id"`
	ReturnMetaAttributes json.RawMessage `json:"returnMetaAttributes"`
	// AdhereToWarninglists (0, 1 or "soft", also the second path argument) asks MISP to
	// leave out the values on enabled warninglists, or to keep them without the IDS flag.
	// Cairn has no warninglists yet, so nothing can be on one: the member is accepted and
	// every value is kept as detected.
	AdhereToWarninglists json.RawMessage `json:"adhereToWarninglists"`
}

func (s *Server) decodeFreetext(w http.ResponseWriter, r *http.Request) (*freetextBody, error) {
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	body := &freetextBody{}
	if raw = bytes.TrimSpace(raw); len(raw) > 0 && raw[0] == '"' {
		var text events.Text
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, notAllowed(msgInvalidJSON)
		}
		body.Value = &text
		return body, nil
	}
	obj, err := unwrapObject(raw, "Attribute")
	if err != nil {
		return nil, err
	}
	if err := decodeInto(obj, body); err != nil {
		return nil, err
	}
	return body, nil
}

// freeTextImport answers events/freeTextImport/{id}[/{adhereToWarninglists}
// [/{returnMetaAttributes}]]: the indicators found in the text, as candidates when
// returnMetaAttributes is set, otherwise stored in the event and listed as MISP lists them.
func (s *Server) freeTextImport(w http.ResponseWriter, r *http.Request) error {
	ref, err := eventRef(r.PathValue("id"), "Invalid event.")
	if err != nil {
		return err
	}
	body, err := s.decodeFreetext(w, r)
	if err != nil {
		return err
	}
	target, err := s.ops().FindFreetextTarget(r.Context(), actor(r), ref)
	if err != nil {
		return eventsError(err, r, "", "")
	}
	text := ""
	if body.Value != nil {
		text = string(*body.Value)
	}
	found := freetext.Detect(text)
	if phpTruthy(r.PathValue("meta")) || !jsonEmpty(body.ReturnMetaAttributes) {
		return ok(w, freetextCandidates(found))
	}

	dist, distJSON, err := freetextDistribution(body.Distribution, target.Distribution)
	if err != nil {
		return err
	}
	inputs := make([]events.AttributeInput, len(found))
	answer := make([]freetextAttribute, len(found))
	eventID := itoa(target.EventID)
	for i := range found {
		inputs[i], answer[i] = freetextOffer(&found[i], &dist, body.SharingGroupID)
		answer[i].Distribution, answer[i].EventID = distJSON, eventID
	}
	// MISP's answer lists every candidate as it was offered for saving, whether it was
	// saved or refused (a duplicate, say); the failures are not reported.
	if _, err := s.ops().AddFreetextAttributes(r.Context(), actor(r),
		store.EventRef{ID: target.EventID}, inputs); err != nil {
		return eventsError(err, r, "Could not add Attribute", "/attributes/add")
	}
	return ok(w, answer)
}

// freetextOffer turns a candidate into the attribute to store, with its proposed type, the
// type's default category and IDS flag, and its port as comment, and into its entry of
// the answer (but for the distribution and event id).
func freetextOffer(c *freetext.Candidate, dist, sg *misp.StrInt) (
	events.AttributeInput, freetextAttribute) {
	info, _ := misp.LookupType(c.DefaultType)
	typ, category, comment := c.DefaultType, info.DefaultCategory, events.Text(c.CommentText())
	toIDs := misp.Bool(info.ToIDs)
	in := events.AttributeInput{Type: &typ, Category: &category,
		Value: &events.Value{One: c.Value}, ToIDs: &toIDs, Distribution: dist,
		SharingGroupID: sg, Comment: &comment}
	return in, freetextAttribute{Comment: commentJSON(c), Value: c.Value,
		OriginalValue: c.OriginalValue, ToIDs: flag(info.ToIDs), Type: typ, Category: category}
}

// freetextCandidate is a candidate as events/freeTextImport sends it with
// returnMetaAttributes, with MISP's member order.
type freetextCandidate struct {
	Types         typeSet         `json:"types"`
	DefaultType   string          `json:"default_type"`
	Comment       json.RawMessage `json:"comment,omitempty"`
	Value         string          `json:"value"`
	OriginalValue string          `json:"original_value"`
	ToIDs         int             `json:"to_ids"`
}

// freetextAttribute is an attribute offered for saving, as events/freeTextImport lists it.
type freetextAttribute struct {
	Comment       json.RawMessage `json:"comment,omitempty"`
	Value         string          `json:"value"`
	OriginalValue string          `json:"original_value"`
	ToIDs         int             `json:"to_ids"`
	Type          string          `json:"type"`
	Category      string          `json:"category"`
	Distribution  json.RawMessage `json:"distribution"`
	EventID       string          `json:"event_id"`
}

func freetextCandidates(found []freetext.Candidate) []freetextCandidate {
	out := make([]freetextCandidate, len(found))
	for i := range found {
		c := &found[i]
		info, _ := misp.LookupType(c.DefaultType)
		out[i] = freetextCandidate{Types: c.Types, DefaultType: c.DefaultType,
			Comment: commentJSON(c), Value: c.Value, OriginalValue: c.OriginalValue,
			ToIDs: flag(info.ToIDs)}
	}
	return out
}

// typeSet is a candidate's types as MISP sends them: an object whose keys and values are
// both the type names, in order of likelihood.
type typeSet []string

// MarshalJSON implements [json.Marshaler].
func (ts typeSet) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		q, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		b.Write(q)
		b.WriteByte(':')
		b.Write(q)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// commentJSON is a candidate's comment member as MISP sends it: none, false, "" or the
// port note.
func commentJSON(c *freetext.Candidate) json.RawMessage {
	switch c.Comment {
	case freetext.NoPort:
		return json.RawMessage("false")
	case freetext.EmptyComment:
		return json.RawMessage(`""`)
	case freetext.PortComment:
		text, _ := json.Marshal(c.CommentText())
		return text
	}
	return nil
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// freetextDistribution returns the distribution of the attributes of a freetext import
// and its JSON in the answer: the one the request names, echoed as sent, or def. As in
// MISP, null and false name none.
func freetextDistribution(raw json.RawMessage, def int64) (misp.StrInt, json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "false" {
		return misp.StrInt(def), json.RawMessage(itoa(def)), nil
	}
	var d misp.StrInt
	if err := json.Unmarshal(raw, &d); err != nil {
		return 0, nil, badRequest("Invalid value for field distribution.")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return 0, nil, badRequest("Invalid value for field distribution.")
	}
	return d, compact.Bytes(), nil
}

// jsonEmpty reports whether a JSON member is empty as PHP's empty() sees it: absent, null,
// false, 0, "", "0", [] or {}.
func jsonEmpty(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "", "null", "false", `""`, `"0"`, "[]", "{}":
		return true
	}
	var n float64
	return json.Unmarshal(raw, &n) == nil && n == 0
}

// phpTruthy reports whether a path argument is true as PHP reads a string: anything but
// "" and "0".
func phpTruthy(s string) bool { return s != "" && s != "0" }

// phpIsOne reports whether a value equals 1 as PHP's == compares it: true, 1, "1", "1.0".
func phpIsOne(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "true" {
		return true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return numericOne(s)
	}
	return numericOne(string(raw))
}

func numericOne(s string) bool {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return err == nil && f == 1
}
