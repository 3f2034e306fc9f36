package search

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseSightings(body string, url map[string]string) (*SightingParams, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return nil, err
	}
	return ParseSightings(m, url, now)
}

func ptr(n int64) *int64 { return &n }

func TestParseSightings(t *testing.T) {
	month := now.Unix() - 30*86400
	tests := []struct {
		body string
		url  map[string]string
		want SightingParams
	}{
		{`{"returnFormat":"json"}`, nil, SightingParams{ReturnFormat: "json", Since: &month}},
		{`{"id":5,"type":"1"}`, map[string]string{"context": "attribute", "returnFormat": "csv"},
			SightingParams{ReturnFormat: "csv", Context: "attribute", IDs: []int64{5},
				Types: []int64{1}, Since: &month}},
		{`{"context":"event","id":[1,2],"returnFormat":"download"}`, nil,
			SightingParams{ReturnFormat: "json", Context: "event", IDs: []int64{1, 2},
				Since: &month}},
		// Without a context, id and uuid filter nothing.
		{`{"id":5,"uuid":"x"}`, nil, SightingParams{ReturnFormat: "json", Since: &month}},
		{`{"context":"attribute","uuid":["A","b||c"]}`, nil, SightingParams{ReturnFormat: "json",
			Context: "attribute", UUIDs: []string{"A", "b", "c"}, Since: &month}},
		// The path wins over the body.
		{`{"context":"event","id":1}`, map[string]string{"context": "attribute"},
			SightingParams{ReturnFormat: "json", Context: "attribute", IDs: []int64{1},
				Since: &month}},
		{`{"last":"1d"}`, nil, SightingParams{ReturnFormat: "json",
			Since: ptr(now.Unix() - 86400)}},
		{`{"last":0}`, nil, SightingParams{ReturnFormat: "json"}},
		{`{"last":["20","10"]}`, nil, SightingParams{ReturnFormat: "json", Since: ptr(10),
			Until: ptr(20)}},
		{`{"from":100,"to":"200","last":"1d"}`, nil, SightingParams{ReturnFormat: "json",
			Since: ptr(100), Until: ptr(200)}},
		{`{"from":"junk"}`, nil, SightingParams{ReturnFormat: "json", Since: ptr(now.Unix() + 1)}},
		{`{"type":["0","x"],"source":"","org_id":["3","!4",` +
			`"!0b4c6e1e-6c1b-4e58-8f8c-38a3d8f6a5a1"]}`, nil,
			SightingParams{ReturnFormat: "json", Types: []int64{0}, MatchNothing: true,
				Sources: []string{""}, OrgIDs: []int64{3}, NotOrgIDs: []int64{4},
				NotOrgUUIDs: []string{"0b4c6e1e-6c1b-4e58-8f8c-38a3d8f6a5a1"}, Since: &month}},
		{`{"org_id":"CIRCL"}`, nil, SightingParams{ReturnFormat: "json", MatchNothing: true,
			Since: &month}},
		{`{"includeAttribute":1,"includeEvent":"true","includeUuid":false,"id":"0"}`, nil,
			SightingParams{ReturnFormat: "json", IncludeAttribute: true, IncludeEvent: true,
				Since: &month}},
	}
	for _, tc := range tests {
		got, err := parseSightings(tc.body, tc.url)
		if err != nil {
			t.Errorf("%s %v: %v", tc.body, tc.url, err)
			continue
		}
		if diff := cmp.Diff(&tc.want, got); diff != "" {
			t.Errorf("%s %v (-want +got):\n%s", tc.body, tc.url, diff)
		}
	}
}

func TestParseSightingsRefusals(t *testing.T) {
	tests := []struct {
		body string
		url  map[string]string
		want string
	}{
		{`{"id":"96421"}`, map[string]string{"context": "attribute"},
			"Invalid ID `96421` provided."},
		{`{"context":"event","id":[1,"2"]}`, nil, "Invalid ID `2` provided."},
		{`{"id":1.5}`, nil, "Invalid ID `1.5` provided."},
		{`{"id":true}`, nil, "Invalid ID `1` provided."},
		{`{"id":[[1]]}`, nil, "Invalid ID `Array` provided."},
		{`{"context":"object","id":1}`, nil, "Invalid context object."},
		{`{"context":""}`, nil, "Invalid context ."},
		{`{"returnFormat":"json"}`, map[string]string{"context": "event"},
			"An ID or UUID must be provided if the context is set."},
	}
	for _, tc := range tests {
		_, err := parseSightings(tc.body, tc.url)
		var se *Error
		if !errors.As(err, &se) || se.Msg != tc.want {
			t.Errorf("%s %v: %v, want %q", tc.body, tc.url, err, tc.want)
		}
	}
	if _, err := parseSightings(`{"returnFormat":"stix"}`, nil); err != ErrSightingFormat {
		t.Errorf("unknown format: %v", err)
	}
}

func FuzzParseSightings(f *testing.F) {
	for _, s := range []string{`{"id":5,"context":"attribute"}`, `{"id":["1",2]}`,
		`{"org_id":["!1","x"],"type":"1||2"}`, `{"from":"1d","to":null}`, `{"last":["a",1]}`,
		`{"uuid":{"a":1},"context":"event"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		p, err := ParseSightings(m, nil, now)
		var se *Error
		switch {
		case err == nil:
			if p.Context != "" && p.Context != "event" && p.Context != "attribute" {
				t.Fatalf("context %q accepted: %s", p.Context, body)
			}
		case errors.As(err, &se), err == ErrSightingFormat:
		default:
			t.Fatalf("unexpected error %v: %s", err, body)
		}
	})
}
