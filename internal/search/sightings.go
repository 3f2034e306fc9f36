package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SightingParams is a parsed sightings/restSearch (reference §6.1, Sighting scope).
type SightingParams struct {
	// ReturnFormat is json, csv or xml.
	ReturnFormat string
	// Context is "attribute" or "event" when the search is about some attributes or
	// events, named by IDs or UUIDs; "" searches the whole instance.
	Context string
	IDs     []int64
	UUIDs   []string

	// Types, Sources, OrgIDs and OrgUUIDs keep the sightings that match one of their
	// values when not empty; NotOrgIDs and NotOrgUUIDs drop those of the organisations.
	Types                 []int64
	Sources               []string
	OrgIDs, NotOrgIDs     []int64
	OrgUUIDs, NotOrgUUIDs []string
	// Since and Until bound the date of the sightings, when not nil.
	Since, Until *int64
	// MatchNothing is set by a filter that can match no sighting (a type that is not a
	// number, an organisation given by neither id nor uuid).
	MatchNothing bool

	// IncludeAttribute, IncludeEvent and IncludeUUID add the attribute, the event and
	// both uuids to each sighting.
	IncludeAttribute, IncludeEvent, IncludeUUID bool
}

// ErrSightingFormat is returned for a returnFormat sightings/restSearch does not know;
// MISP answers it with 404 "Invalid output format.".
var ErrSightingFormat = errors.New("Invalid output format.")

// sightingWindow is how far back sightings/restSearch looks without a time filter.
const sightingWindow = 30 * 24 * time.Hour

// ParseSightings reads the filters of a sightings/restSearch from a JSON body (already
// unwrapped) and from the path: url holds the values given as path arguments (context,
// returnFormat) and as named parameters, which win over the body as in MISP. now anchors
// relative times. The refusals MISP sends with 400 come back as *Error, in MISP's words;
// an unknown returnFormat as ErrSightingFormat.
func ParseSightings(body map[string]json.RawMessage, url map[string]string, now time.Time) (
	*SightingParams, error) {
	f := map[string]json.RawMessage{}
	for k, v := range body {
		f[k] = v
	}
	for k, v := range url {
		f[k] = mustJSON(v)
	}
	p := &SightingParams{ReturnFormat: "json"}

	if raw, ok := present(f, "context"); ok {
		s, _ := parseString(raw)
		if s != "event" && s != "attribute" {
			return nil, &Error{Msg: fmt.Sprintf("Invalid context %s.", s)}
		}
		p.Context = s
	}
	_, hasID := present(f, "id")
	_, hasUUID := present(f, "uuid")
	if p.Context != "" && !hasID && !hasUUID {
		return nil, &Error{Msg: "An ID or UUID must be provided if the context is set."}
	}
	if raw, ok := present(f, "returnFormat"); ok {
		s, _ := parseString(raw)
		p.ReturnFormat = strings.ToLower(s)
	}
	switch p.ReturnFormat {
	case "", "download":
		p.ReturnFormat = "json"
	case "json", "csv", "xml":
	default:
		return nil, ErrSightingFormat
	}

	p.setTime(f, now)
	if raw, ok := present(f, "type"); ok {
		for _, s := range stringList(raw) {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				p.MatchNothing = true
				continue
			}
			p.Types = append(p.Types, n)
		}
	}
	if raw, ok := present(f, "org_id"); ok {
		p.setOrgs(raw)
	}
	if raw, ok := present(f, "source"); ok {
		p.Sources = stringList(raw)
		if len(p.Sources) == 0 {
			p.Sources = []string{""}
		}
	}
	if raw, ok := f["id"]; ok {
		ids, err := sightingIDs(raw)
		if err != nil {
			return nil, err
		}
		if p.Context != "" {
			p.IDs = ids
		}
	}
	if raw, ok := f["uuid"]; ok && p.Context != "" {
		p.UUIDs = stringList(raw)
	}
	for key, dst := range map[string]*bool{"includeAttribute": &p.IncludeAttribute,
		"includeEvent": &p.IncludeEvent, "includeUuid": &p.IncludeUUID} {
		if raw, ok := f[key]; ok {
			b, err := parseBool(raw)
			if err != nil {
				return nil, &Error{Msg: fmt.Sprintf("Invalid value for the filter %s.", key)}
			}
			*dst = b
		}
	}
	return p, nil
}

// present returns a filter that is given a value: MISP treats a null like a missing filter.
func present(f map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := f[key]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, false
	}
	return raw, true
}

// setTime reads from and to (a range, either end open), else last (a lower bound, or a
// range when it is a pair), else the last 30 days. Times are Unix seconds, durations back
// from now ("7d", "12h") or dates; one MISP cannot read lies in the future, as MISP makes
// it, so that a lower bound matches nothing.
func (p *SightingParams) setTime(f map[string]json.RawMessage, now time.Time) {
	resolve := func(raw json.RawMessage) int64 {
		s, err := parseString(raw)
		if err != nil || s == "" {
			return now.Unix() + 1
		}
		n, err := delta(s, now)
		if err != nil {
			return now.Unix() + 1
		}
		return n
	}
	from, hasFrom := present(f, "from")
	to, hasTo := present(f, "to")
	last, hasLast := present(f, "last")
	switch {
	case hasFrom || hasTo:
		var lo, hi *int64
		if hasFrom {
			v := resolve(from)
			lo = &v
		}
		if hasTo {
			v := resolve(to)
			hi = &v
		}
		p.setRange(lo, hi)
	case hasLast:
		var pair []json.RawMessage
		if json.Unmarshal(last, &pair) == nil && len(pair) == 2 {
			lo, hi := resolve(pair[0]), resolve(pair[1])
			p.setRange(&lo, &hi)
			return
		}
		if v := resolve(last); v != 0 {
			p.Since = &v
		}
	default:
		v := now.Add(-sightingWindow).Unix()
		p.Since = &v
	}
}

// setRange sets a range with its ends in order; a lower bound of 0 is open.
func (p *SightingParams) setRange(lo, hi *int64) {
	if lo != nil && hi != nil && *lo > *hi {
		lo, hi = hi, lo
	}
	if lo != nil && *lo != 0 {
		p.Since = lo
	}
	p.Until = hi
}

// setOrgs reads org_id: organisation ids or uuids, each negated by a leading "!".
func (p *SightingParams) setOrgs(raw json.RawMessage) {
	positive := false
	for _, s := range stringList(raw) {
		not := strings.HasPrefix(s, "!")
		s = strings.TrimPrefix(s, "!")
		id, idErr := strconv.ParseInt(s, 10, 64)
		_, uuidErr := uuid.Parse(s)
		isUUID := uuidErr == nil && len(s) == 36
		switch {
		case not && idErr == nil:
			p.NotOrgIDs = append(p.NotOrgIDs, id)
		case not && isUUID:
			p.NotOrgUUIDs = append(p.NotOrgUUIDs, s)
		case not:
		case idErr == nil:
			positive = true
			p.OrgIDs = append(p.OrgIDs, id)
		case isUUID:
			positive = true
			p.OrgUUIDs = append(p.OrgUUIDs, s)
		default:
			positive = true
		}
	}
	if positive && len(p.OrgIDs) == 0 && len(p.OrgUUIDs) == 0 {
		p.MatchNothing = true
	}
}

// stringList reads a filter that takes one value or a list: strings, numbers and booleans,
// with "||" joining several values in a string as MISP splits them. Empty values are
// dropped.
func stringList(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	var out []string
	for _, item := range items {
		s, err := parseString(mustJSON(item))
		if err != nil {
			continue
		}
		for _, part := range strings.Split(s, "||") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// sightingIDs reads the id filter, which MISP takes as a JSON integer or a list of them
// only: anything else is refused, a numeric string included. What PHP holds for empty
// (null, 0, "", "0", false, []) filters nothing.
func sightingIDs(raw json.RawMessage) ([]int64, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Msg: "Invalid ID provided."}
	}
	if phpEmpty(v) {
		return nil, nil
	}
	items, isList := v.([]any)
	if !isList {
		items = []any{v}
	}
	ids := make([]int64, 0, len(items))
	for _, item := range items {
		n, ok := item.(json.Number)
		id, err := n.Int64()
		if !ok || err != nil || strings.ContainsAny(n.String(), ".eE") {
			return nil, &Error{Msg: fmt.Sprintf("Invalid ID `%s` provided.", phpString(item))}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// phpEmpty reports whether PHP's empty() holds for a decoded JSON value.
func phpEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == "" || x == "0"
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// phpString writes a decoded JSON value as PHP turns it into a string.
func phpString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		if f, err := x.Float64(); err == nil && strings.ContainsAny(x.String(), ".eE") {
			return strconv.FormatFloat(f, 'G', 14, 64)
		}
		return x.String()
	case bool:
		if x {
			return "1"
		}
		return ""
	case []any, map[string]any:
		return "Array"
	}
	return ""
}
