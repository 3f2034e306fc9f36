package model

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/misp"
)

// reflected has Attribute's fields and tags but not its MarshalJSON.
type reflected Attribute

var tricky = []string{"", "plain", "quote\" and \\ backslash", "<html> & stuff",
	"control \x00\x01\x08\x0c\x1f\x7f", "tab\tnew\nline\rcr", "café ☃ 𝄞", "bad \xff\xfe utf8",
	"line\u2028para\u2029", "\xe2\x80", "emoji 😀"}

func TestAttributeMarshalJSONMatchesReflection(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return tricky[rng.IntN(len(tricky))] }
	for i := 0; i < 2000; i++ {
		a := Attribute{ID: misp.StrInt(rng.Int64()), Type: pick(), Category: pick(),
			ToIDs: rng.IntN(2) == 0, UUID: pick(), EventID: misp.StrInt(rng.IntN(1000)),
			Distribution: misp.StrInt(rng.IntN(6)), Timestamp: misp.StrInt(rng.Int64N(1 << 40)),
			Comment: pick(), SharingGroupID: misp.StrInt(rng.IntN(3)), Deleted: rng.IntN(2) == 0,
			DisableCorrelation: rng.IntN(2) == 0, ObjectID: misp.StrInt(rng.IntN(3)),
			Value: pick(), Data: pick()}
		if rng.IntN(2) == 0 {
			rel := pick()
			a.ObjectRelation = &rel
		}
		if rng.IntN(2) == 0 {
			a.FirstSeen = misp.Micros(rng.Int64N(1 << 52))
			a.LastSeen = misp.Micros(-rng.Int64N(1 << 40))
		}
		if rng.IntN(3) == 0 {
			a.FillEmpty()
		}
		if rng.IntN(4) == 0 {
			a.Tag = []AttachedTag{{ID: 3, Name: pick(), Colour: "#ffffff"}}
			a.SharingGroup = &SharingGroupSummary{SharingGroup: SharingGroup{ID: 1, Name: pick()}}
			a.Galaxy = []any{map[string]any{"x": pick()}}
		}
		if rng.IntN(4) == 0 {
			org := misp.StrInt(rng.IntN(5))
			a.Sighting = []Sighting{{ID: 8, AttributeID: a.ID, EventID: a.EventID, OrgID: &org,
				DateSighting: misp.StrInt(rng.Int64N(1 << 40)), UUID: pick(), Source: pick(),
				Type: misp.StrInt(rng.IntN(3)), AttributeUUID: pick(),
				Organisation: &SightingOrg{ID: org, UUID: pick(), Name: pick()}},
				{ID: 9, Source: pick()}}
		}
		if rng.IntN(4) == 0 {
			a.CorrelationExclusion, a.OverCorrelation = rng.IntN(2) == 0, rng.IntN(2) == 0
			a.RelatedAttribute = []RelatedAttribute{{ID: 5, Value: pick(), OrgID: 1, Info: pick(),
				EventID: 9}, {ID: 6, Value: pick()}}
		}
		for _, html := range []bool{false, true} {
			var want, got bytes.Buffer
			we, ge := json.NewEncoder(&want), json.NewEncoder(&got)
			we.SetEscapeHTML(html)
			ge.SetEscapeHTML(html)
			if err := we.Encode(reflected(a)); err != nil {
				t.Fatal(err)
			}
			if err := ge.Encode(a); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.String(), got.String()); diff != "" {
				t.Fatalf("attribute %d, escapeHTML %v (-reflection +MarshalJSON):\n%s", i, html, diff)
			}
		}
	}
}

func TestWriteEventMatchesEncoding(t *testing.T) {
	rel := "ip"
	e := &Event{ID: 7, Info: `info with "Attribute":[],"ShadowAttribute": inside`, UUID: "u",
		Tag: []AttachedTag{{ID: 1, Name: "tlp:green"}},
		Attribute: []Attribute{{ID: 1, Type: "ip-dst", Value: "1.2.3.4"},
			{ID: 2, Type: "text", Value: "<b>\u2028</b>", Comment: "\"Object\":[],"}},
		Object: []Object{{ID: 3, Name: "domain-ip", Attribute: []Attribute{
			{ID: 4, Type: "ip-dst", Value: "5.6.7.8", ObjectID: 3, ObjectRelation: &rel}},
			ObjectReference: []ObjectReference{{ID: 9, RelationshipType: "related-to"}}},
			{ID: 5, Name: "empty"}}}
	e.FillEmpty()
	for _, c := range []struct {
		metadata bool
		errs     any
	}{{false, nil}, {false, map[string]any{"Attribute": map[string]any{"0": "dup"}}},
		{true, nil}, {false, map[string]any{}}} {
		var ev any = e
		if c.metadata {
			ev = EventMetadata{Event: e}
		}
		errs := c.errs
		if m, ok := errs.(map[string]any); ok && len(m) == 0 {
			errs = nil
		}
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		err := enc.Encode(struct {
			Event  any `json:"Event"`
			Errors any `json:"errors,omitempty"`
		}{ev, errs})
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteEvent(&got, e, c.metadata, c.errs); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.String(), got.String()); diff != "" {
			t.Errorf("metadata %v, errors %v (-encoding/json +WriteEvent):\n%s", c.metadata, c.errs, diff)
		}
	}
}
