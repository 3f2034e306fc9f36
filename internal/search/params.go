package search

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/misp"
)

// Range is an inclusive range of Unix seconds (or µs for first_seen/last_seen); a zero bound
// is open.
type Range struct{ From, To int64 }

// Deleted selects soft-deleted rows.
type Deleted int

// The deleted modes: live rows only (MISP's default), deleted only, or both.
const (
	LiveOnly Deleted = iota
	DeletedOnly
	LiveAndDeleted
)

// Params is a parsed restSearch.
type Params struct {
	ReturnFormat string

	Value, Value1, Value2, Type, Category, ObjectRelation, Comment Terms
	Org, Tags, EventTags, EventID, UUID, EventInfo                 Terms
	ThreatLevel, Distribution, SharingGroup, Analysis              Terms
	ObjectName, ObjectTemplateUUID, ObjectTemplateVersion          Terms

	From, To                                      string // dates YYYY-MM-DD
	Last                                          int64  // publish_timestamp ≥ this (Unix s)
	Timestamp, PublishTimestamp, EventTimestamp   *Range
	AttributeTimestamp, FirstSeen, LastSeen, Date *Range

	// MatchNothing is set by a time filter MISP cannot read ("5x"): MISP then matches
	// nothing rather than refusing the search.
	MatchNothing bool

	Published, ToIDs *bool
	Deleted          Deleted
	Limit, Page      int
	SearchAll        string

	IncludeEventTags, IncludeContext, IncludeEventUUID, IncludeCorrelations bool
	IncludeSightings, WithAttachments, Metadata, ExcludeLocalTags           bool
	IncludeAllTags, EnforceWarninglist, IncludeWarninglistHits, Flatten     bool
	SGReferenceOnly, IncludeGalaxy, IncludeProposals, Headerless            bool
	IncludeGranularCorrelations, NoShadowAttributes, NoEventReports         bool
	ExcludeGalaxy, IncludeDecayScore                                        bool
	RequestedAttributes                                                     []string

	// Set holds the names of the filters the request gave, whatever their value: MISP
	// defaults some filters only when they are not given at all.
	Set map[string]bool
	// RPZ holds the options of the rpz format given by the request (policy, ns, ttl...).
	RPZ map[string]string
}

// Error is a filter MISP would refuse; its text is shown to the client.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Parse reads the filters of a restSearch from a JSON body (already unwrapped) and the
// named parameters of the path; the body wins where both set a filter. now anchors
// relative times ("1d").
func Parse(body map[string]json.RawMessage, named map[string][]string, now time.Time) (*Params, error) {
	merged := map[string]json.RawMessage{}
	for k, vs := range named {
		var v any = vs
		if len(vs) == 1 {
			v = vs[0]
		}
		b, _ := json.Marshal(v)
		merged[k] = b
	}
	for k, v := range body {
		merged[k] = v
	}
	p := &Params{ReturnFormat: "json", Set: make(map[string]bool, len(merged))}
	for k, raw := range merged {
		p.Set[k] = true
		if err := p.set(k, raw, now); err != nil {
			return nil, &Error{Msg: fmt.Sprintf("Invalid value for the filter %s: %v.", k, err)}
		}
	}
	if p.Limit < 0 || p.Page < 0 {
		return nil, &Error{Msg: "The limit and page filters take positive numbers."}
	}
	p.normaliseValues()
	return p, nil
}

func (p *Params) set(key string, raw json.RawMessage, now time.Time) error {
	terms := map[string]*Terms{
		"value": &p.Value, "value1": &p.Value1, "value2": &p.Value2, "type": &p.Type,
		"category": &p.Category, "object_relation": &p.ObjectRelation, "comment": &p.Comment,
		"org": &p.Org, "tags": &p.Tags, "tag": &p.Tags, "event_tags": &p.EventTags,
		"eventid": &p.EventID, "event_id": &p.EventID, "uuid": &p.UUID,
		"eventinfo": &p.EventInfo, "threat_level_id": &p.ThreatLevel,
		"distribution": &p.Distribution, "sharinggroup": &p.SharingGroup,
		"sharing_group_id": &p.SharingGroup, "analysis": &p.Analysis,
		"object_name": &p.ObjectName, "object_template_uuid": &p.ObjectTemplateUUID,
		"object_template_version": &p.ObjectTemplateVersion,
	}
	flags := map[string]*bool{
		"includeEventTags": &p.IncludeEventTags, "includeContext": &p.IncludeContext,
		"includeEventUuid": &p.IncludeEventUUID, "includeCorrelations": &p.IncludeCorrelations,
		"includeSightings": &p.IncludeSightings, "withAttachments": &p.WithAttachments,
		"includeAttachments": &p.WithAttachments, "metadata": &p.Metadata,
		"excludeLocalTags": &p.ExcludeLocalTags, "includeAllTags": &p.IncludeAllTags,
		"enforceWarninglist":     &p.EnforceWarninglist,
		"includeWarninglistHits": &p.IncludeWarninglistHits, "flatten": &p.Flatten,
		"sgReferenceOnly": &p.SGReferenceOnly, "includeGalaxy": &p.IncludeGalaxy,
		"includeProposals": &p.IncludeProposals, "headerless": &p.Headerless,
		"includeGranularCorrelations": &p.IncludeGranularCorrelations,
		"noShadowAttributes":          &p.NoShadowAttributes, "noEventReports": &p.NoEventReports,
		"excludeGalaxy": &p.ExcludeGalaxy, "includeDecayScore": &p.IncludeDecayScore,
	}
	ranges := map[string]**Range{
		"timestamp": &p.Timestamp, "publish_timestamp": &p.PublishTimestamp,
		"publishtimestamp": &p.PublishTimestamp, "event_timestamp": &p.EventTimestamp,
		"attribute_timestamp": &p.AttributeTimestamp, "date": &p.Date,
	}
	if t, ok := terms[key]; ok {
		parsed, err := parseTerms(raw)
		if err != nil {
			return err
		}
		t.OR, t.AND, t.NOT = append(t.OR, parsed.OR...), append(t.AND, parsed.AND...),
			append(t.NOT, parsed.NOT...)
		return nil
	}
	if f, ok := flags[key]; ok {
		b, err := parseBool(raw)
		*f = b
		return err
	}
	if r, ok := ranges[key]; ok {
		rg, err := parseRange(raw, now, false)
		*r = rg
		if err != nil {
			p.MatchNothing = true
		}
		return nil
	}
	switch key {
	case "returnFormat":
		s, err := parseString(raw)
		p.ReturnFormat = strings.ToLower(s)
		return err
	case "from", "to":
		s, err := parseString(raw)
		if err != nil || s == "" {
			return err
		}
		d, err := parseDate(s)
		if key == "from" {
			p.From = d
		} else {
			p.To = d
		}
		return err
	case "last":
		s, err := parseString(raw)
		if err != nil || s == "" {
			return err
		}
		secs, err := delta(s, now)
		p.Last = secs
		if err != nil {
			p.MatchNothing = true
		}
		return nil
	case "first_seen", "last_seen":
		rg, err := parseRange(raw, now, true)
		if key == "first_seen" {
			p.FirstSeen = rg
		} else {
			p.LastSeen = rg
		}
		return err
	case "published":
		return setOptBool(&p.Published, raw)
	case "to_ids":
		s, _ := parseString(raw)
		if s == "exclude" {
			f := false
			p.ToIDs = &f
			return nil
		}
		return setOptBool(&p.ToIDs, raw)
	case "deleted":
		return p.setDeleted(raw)
	case "limit", "page":
		s, err := parseString(raw)
		if err != nil || s == "" {
			return err
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("not a number")
		}
		if key == "limit" {
			p.Limit = n
		} else {
			p.Page = n
		}
		return nil
	case "searchall", "quickFilter":
		s, err := parseString(raw)
		p.SearchAll = s
		return err
	case "policy", "walled_garden", "ns", "ns_alt", "email", "serial", "refresh", "retry",
		"expiry", "minimum_ttl", "ttl":
		s, err := parseString(raw)
		if p.RPZ == nil {
			p.RPZ = map[string]string{}
		}
		p.RPZ[key] = s
		return err
	case "requested_attributes":
		t, err := parseTerms(raw)
		p.RequestedAttributes = t.OR
		return err
	}
	return nil // unknown parameters are ignored, as MISP ignores them
}

func (p *Params) setDeleted(raw json.RawMessage) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case []any:
		p.Deleted = LiveAndDeleted
		if len(x) == 1 {
			if b, _ := parseBool(mustJSON(x[0])); b {
				p.Deleted = DeletedOnly
			} else {
				p.Deleted = LiveOnly
			}
		}
	case string:
		if x == "only" {
			p.Deleted = DeletedOnly
			return nil
		}
		if strings.Contains(x, "&&") || strings.Contains(x, ",") {
			p.Deleted = LiveAndDeleted
			return nil
		}
		b, err := parseBool(raw)
		if b {
			p.Deleted = DeletedOnly
		}
		return err
	default:
		b, err := parseBool(raw)
		if b {
			p.Deleted = DeletedOnly
		}
		return err
	}
	return nil
}

// normaliseValues compresses IPv6 values as MISP does before matching.
func (p *Params) normaliseValues() {
	for _, list := range [][]string{p.Value.OR, p.Value.AND, p.Value.NOT} {
		for i, v := range list {
			if IsPattern(v) || !strings.Contains(v, ":") {
				continue
			}
			if a, err := netip.ParseAddr(v); err == nil && a.Is6() {
				list[i] = a.String()
			}
		}
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func parseString(raw json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case []any:
		if len(x) == 1 {
			return parseString(mustJSON(x[0]))
		}
	}
	return "", fmt.Errorf("a single value is expected")
}

func parseBool(raw json.RawMessage) (bool, error) {
	var b misp.Bool
	if err := json.Unmarshal(raw, &b); err != nil {
		s, serr := parseString(raw)
		if serr != nil {
			return false, err
		}
		return s != "" && s != "0" && !strings.EqualFold(s, "false"), nil
	}
	return bool(b), nil
}

// setOptBool reads a 0/1 filter. A list holding both values, as PyMISP sends
// "published": [0, 1], filters nothing.
func setOptBool(dst **bool, raw json.RawMessage) error {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil && len(list) > 1 {
		seen := map[bool]bool{}
		for _, item := range list {
			b, err := parseBool(item)
			if err != nil {
				return err
			}
			seen[b] = true
		}
		*dst = nil
		if len(seen) == 1 {
			b := seen[true]
			*dst = &b
		}
		return nil
	}
	s, err := parseString(raw)
	if err != nil || s == "" {
		return err
	}
	b, err := parseBool(raw)
	*dst = &b
	return err
}

// parseDate reads a date filter: YYYY-MM-DD, or a Unix timestamp turned into its date.
func parseDate(s string) (string, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC().Format("2006-01-02"), nil
	}
	t, err := misp.ParseFlexibleTime(s)
	if err != nil {
		return "", fmt.Errorf("not a date")
	}
	return t.UTC().Format("2006-01-02"), nil
}

// delta turns "5d", "12h", "30m", "45s", "2w", a Unix timestamp or a date into the Unix
// second it designates.
func delta(s string, now time.Time) (int64, error) {
	if n := len(s); n > 1 {
		if num, err := strconv.ParseInt(s[:n-1], 10, 64); err == nil && num >= 0 {
			unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour,
				'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[n-1]|0x20]
			if unit != 0 {
				return now.Add(-time.Duration(num) * unit).Unix(), nil
			}
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	t, err := misp.ParseFlexibleTime(s)
	if err != nil {
		return 0, fmt.Errorf("not a time or a duration")
	}
	return t.Unix(), nil
}

// parseRange reads a time filter: one value means "from", a list of two a range (swapped
// when reversed). With micro, the bounds are µs as first_seen/last_seen are stored.
func parseRange(raw json.RawMessage, now time.Time, micro bool) (*Range, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var parts []string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		for _, item := range x {
			s, err := parseString(mustJSON(item))
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		}
	default:
		s, err := parseString(raw)
		if err != nil {
			return nil, err
		}
		parts = strings.Split(s, "&&")
	}
	if len(parts) == 0 || len(parts) > 2 || parts[0] == "" {
		return nil, nil
	}
	var r Range
	for i, s := range parts {
		n, err := delta(strings.TrimSpace(s), now)
		if err != nil {
			return nil, err
		}
		if micro {
			n *= 1_000_000
		}
		if i == 0 {
			r.From = n
		} else {
			r.To = n
		}
	}
	if r.To != 0 && r.From > r.To {
		r.From, r.To = r.To, r.From
	}
	return &r, nil
}
