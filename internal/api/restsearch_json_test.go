package api

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// TestSearchAttributeJSON holds the hand-written encoder to encoding/json's output.
func TestSearchAttributeJSON(t *testing.T) {
	rel := "ip-src"
	score := misp.StrInt(75)
	cases := []searchAttribute{
		{ID: 1, EventID: 2, Category: "Network activity", Type: "ip-dst", ToIDs: true,
			UUID: "u", Timestamp: 3, Distribution: 5, Value: "1.2.3.4",
			Event: eventStub{OrgID: 1, ID: 2, Info: "a <b> & \"c\"\u2028", UUID: "e"}},
		{ID: 9, ObjectID: 4, ObjectRelation: &rel, Comment: "x\ny\t\x01", FirstSeen: misp.Micros(1561456735000000),
			Value: "\xff bad utf8", Data: "ZGF0YQ==", EventUUID: "e",
			Event: map[string]any{"id": "2"}, Tag: []any{searchTag{ID: 1, Name: "tlp:red"}},
			RelatedAttribute: &[]relatedAttribute{}},
		{ID: 10, Value: "v", Event: eventStub{ID: 3}, Tag: []any{
			searchTag{ID: 2, Name: "misp-galaxy:x=\"y\"", Colour: "#fff", NumericalValue: &score,
				IsGalaxy: true, Local: true},
			inheritedTag{ID: 3, Name: "tlp:amber", Colour: "#ffc000", Inherited: 1},
			inheritedTag{ID: 4, Name: "t", NumericalValue: &score},
			contextTag{ID: 5, Name: "other form"},
		}},
		{ID: 11, Value: "w", Event: eventStub{ID: 4}, Sighting: &[]model.Sighting{
			{ID: 1, AttributeID: 11, EventID: 4, DateSighting: 5, UUID: "s", Type: 1,
				AttributeUUID: "a", Organisation: &model.SightingOrg{ID: 1, Name: "o"}}}},
		{ID: 12, Value: "x", Event: eventStub{ID: 4}, Sighting: &[]model.Sighting{}},
	}
	for _, sa := range cases {
		got, err := sa.appendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(&sa); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("hand-written JSON differs:\n got %s\nwant %s", got, want.Bytes())
		}
	}
}
