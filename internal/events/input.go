package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
)

// The inputs of the operations, in the shape of MISP's JSON (an exported event is a valid
// events/add body). Absent members are nil; lenient types accept what MISP clients send
// (numbers as strings, flags as 0/1, ...). Members MISP ignores on input (id, event_id,
// org_id, attribute_count, RelatedEvent, Org, ...) are not declared, so they are ignored.

// EventInput is the body of events/add and events/edit.
type EventInput struct {
	UUID               *string          `json:"uuid"`
	Info               *Text            `json:"info"`
	Date               *Text            `json:"date"`
	ThreatLevelID      *misp.StrInt     `json:"threat_level_id"`
	Analysis           *Analysis        `json:"analysis"`
	Distribution       *misp.StrInt     `json:"distribution"`
	SharingGroupID     *misp.StrInt     `json:"sharing_group_id"`
	Published          *misp.Bool       `json:"published"`
	Timestamp          *misp.StrInt     `json:"timestamp"`
	ExtendsUUID        *string          `json:"extends_uuid"`
	DisableCorrelation *misp.Bool       `json:"disable_correlation"`
	ProposalEmailLock  *misp.Bool       `json:"proposal_email_lock"`
	Locked             *misp.Bool       `json:"locked"`
	Protected          *misp.Bool       `json:"protected"`
	OrgcID             *misp.StrInt     `json:"orgc_id"`
	Orgc               *OrgInput        `json:"Orgc"`
	Attribute          []AttributeInput `json:"Attribute"`
	Object             []ObjectInput    `json:"Object"`
	Tag                []TagInput       `json:"Tag"`
	EventTag           []EventTagInput  `json:"EventTag"`
	EventReport        []ReportInput    `json:"EventReport"`
}

// OrgInput names the creator organisation of an event (sync and site admins only).
type OrgInput struct {
	ID    *misp.StrInt `json:"id"`
	Name  *string      `json:"name"`
	UUID  *string      `json:"uuid"`
	Local *misp.Bool   `json:"local"`
}

// AttributeInput is an attribute of events/add and events/edit, and the body of
// attributes/add and attributes/edit.
type AttributeInput struct {
	UUID               *string      `json:"uuid"`
	Type               *string      `json:"type"`
	Category           *string      `json:"category"`
	Value              *Value       `json:"value"`
	Value1             *Text        `json:"value1"`
	Value2             *Text        `json:"value2"`
	ToIDs              *misp.Bool   `json:"to_ids"`
	Distribution       *misp.StrInt `json:"distribution"`
	SharingGroupID     *misp.StrInt `json:"sharing_group_id"`
	Comment            *Text        `json:"comment"`
	Timestamp          *misp.StrInt `json:"timestamp"`
	FirstSeen          *misp.Micros `json:"first_seen"`
	LastSeen           *misp.Micros `json:"last_seen"`
	Deleted            *misp.Bool   `json:"deleted"`
	DisableCorrelation *misp.Bool   `json:"disable_correlation"`
	ObjectRelation     *string      `json:"object_relation"`
	Data               *string      `json:"data"`
	// Encrypt asks, for a malware-sample, that the md5 of the data be added to the value
	// (PyMISP sends the file name alone with it).
	Encrypt *misp.Bool `json:"encrypt"`
	Tag     []TagInput `json:"Tag"`
}

// ObjectInput is an object of events/add and events/edit, and the body of objects/add and
// objects/edit.
type ObjectInput struct {
	UUID             *string          `json:"uuid"`
	Name             *string          `json:"name"`
	MetaCategory     *string          `json:"meta-category"`
	Description      *string          `json:"description"`
	TemplateUUID     *string          `json:"template_uuid"`
	TemplateVersion  *misp.StrInt     `json:"template_version"`
	Distribution     *misp.StrInt     `json:"distribution"`
	SharingGroupID   *misp.StrInt     `json:"sharing_group_id"`
	Comment          *Text            `json:"comment"`
	Timestamp        *misp.StrInt     `json:"timestamp"`
	FirstSeen        *misp.Micros     `json:"first_seen"`
	LastSeen         *misp.Micros     `json:"last_seen"`
	Deleted          *misp.Bool       `json:"deleted"`
	Attribute        []AttributeInput `json:"Attribute"`
	ObjectReference  []ReferenceInput `json:"ObjectReference"`
	BreakOnDuplicate *misp.Bool       `json:"breakOnDuplicate"`
}

// ReferenceInput is an object reference, inside an object or the body of
// objectReferences/add.
type ReferenceInput struct {
	UUID             *string      `json:"uuid"`
	ObjectUUID       *string      `json:"object_uuid"`
	ObjectID         *misp.StrInt `json:"object_id"`
	ReferencedUUID   *string      `json:"referenced_uuid"`
	ReferencedID     *misp.StrInt `json:"referenced_id"`
	ReferencedType   *misp.StrInt `json:"referenced_type"`
	RelationshipType *string      `json:"relationship_type"`
	Comment          *Text        `json:"comment"`
	Timestamp        *misp.StrInt `json:"timestamp"`
	Deleted          *misp.Bool   `json:"deleted"`
}

// ReportInput is an event report inside events/add and events/edit.
type ReportInput struct {
	UUID           *string      `json:"uuid"`
	Name           *string      `json:"name"`
	Content        *string      `json:"content"`
	Distribution   *misp.StrInt `json:"distribution"`
	SharingGroupID *misp.StrInt `json:"sharing_group_id"`
	Timestamp      *misp.StrInt `json:"timestamp"`
	Deleted        *misp.Bool   `json:"deleted"`
}

// TagInput is a tag to attach, by name (or by id). A bare string is read as the name.
type TagInput struct {
	ID               *misp.StrInt `json:"id"`
	Name             string       `json:"name"`
	Local            misp.Bool    `json:"local"`
	RelationshipType *string      `json:"relationship_type"`
	Deleted          misp.Bool    `json:"deleted"`
}

// UnmarshalJSON implements [json.Unmarshaler].
func (t *TagInput) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		return json.Unmarshal(data, &t.Name)
	}
	type plain TagInput
	return json.Unmarshal(data, (*plain)(t))
}

// EventTagInput is the {"Tag":{...}} form of an event tag some exports carry.
type EventTagInput struct {
	Tag   TagInput  `json:"Tag"`
	Local misp.Bool `json:"local"`
}

// Text is a string member that also accepts a number or a boolean, written as PHP would
// turn it into a string, and null (empty).
type Text string

// UnmarshalJSON implements [json.Unmarshaler].
func (t *Text) UnmarshalJSON(data []byte) error {
	s, err := scalarText(data)
	if err != nil {
		return err
	}
	*t = Text(s)
	return nil
}

func scalarText(data []byte) (string, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("events: empty JSON value")
	case data[0] == '"':
		if len(data) >= 2 && data[len(data)-1] == '"' && plainString(data[1:len(data)-1]) {
			return string(data[1 : len(data)-1]), nil
		}
		var s string
		err := json.Unmarshal(data, &s)
		return s, err
	case string(data) == "null", string(data) == "false":
		return "", nil
	case string(data) == "true":
		return "1", nil
	case data[0] == '-' || ('0' <= data[0] && data[0] <= '9'):
		if _, err := strconv.ParseFloat(string(data), 64); err != nil {
			return "", fmt.Errorf("events: %q is not a number", data)
		}
		return string(data), nil
	}
	return "", fmt.Errorf("events: expected a string, got %.20s", data)
}

// plainString reports whether the inside of a JSON string needs no decoding: no escapes,
// no control characters and ASCII only (so that invalid UTF-8 still goes through the
// decoder, which replaces it).
func plainString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x80 {
			return false
		}
	}
	return true
}

// Value is an attribute's value: a string (or a number), or, in attributes/add, a list of
// them, one attribute each.
type Value struct {
	One  string
	List []string
	Many bool
}

// UnmarshalJSON implements [json.Unmarshaler].
func (v *Value) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var raw []json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return err
		}
		v.Many, v.List = true, make([]string, 0, len(raw))
		for _, r := range raw {
			s, err := scalarText(r)
			if err != nil {
				return err
			}
			v.List = append(v.List, s)
		}
		return nil
	}
	s, err := scalarText(data)
	v.One = s
	return err
}

// Analysis is an event's analysis level: 0, 1, 2, or MISP's names for them.
type Analysis int64

// UnmarshalJSON implements [json.Unmarshaler].
func (a *Analysis) UnmarshalJSON(data []byte) error {
	s, err := scalarText(data)
	if err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "initial":
		*a = 0
	case "ongoing":
		*a = 1
	case "completed", "complete":
		*a = 2
	default:
		var n misp.StrInt
		if err := n.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
			return err
		}
		*a = Analysis(n)
	}
	return nil
}

func textOr(t *Text, def string) string {
	if t == nil {
		return def
	}
	return string(*t)
}

func strOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return *s
}

func intOr(n *misp.StrInt, def int64) int64 {
	if n == nil {
		return def
	}
	return int64(*n)
}

func boolOr(b *misp.Bool, def bool) bool {
	if b == nil {
		return def
	}
	return bool(*b)
}
