package search

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLogs(t *testing.T) {
	cases := []struct {
		name  string
		body  string
		named map[string][]string
		want  *LogParams
	}{
		{"empty", `{}`, nil, &LogParams{Filters: map[string][]string{}, Page: 1}},
		{"values and lists", `{"model":"Event","model_id":[12,"13",null],"action":""}`, nil,
			&LogParams{Filters: map[string][]string{"model": {"Event"}, "model_id": {"12", "13"}},
				Page: 1}},
		{"unknown members are ignored", `{"colour":"red","request_id":"x"}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1}},
		{"the body wins over named parameters", `{"model":"Attribute"}`,
			map[string][]string{"model": {"Event"}, "action": {"add"}},
			&LogParams{Filters: map[string][]string{"model": {"Attribute"}, "action": {"add"}},
				Page: 1}},
		{"paging", `{"limit":"10","page":3.0}`, nil,
			&LogParams{Filters: map[string][]string{}, Limit: 10, Page: 3}},
		{"non-positive paging is absent", `{"limit":0,"page":-2}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1}},
		{"created as a float", `{"created":1561456735.75}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1,
				Created: &Range{From: 1561456735}}},
		{"created as a duration", `{"created":"1h"}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1,
				Created: &Range{From: now.Unix() - 3600}}},
		{"created as a reversed range", `{"created":["2019-06-26","2019-06-25"]}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1,
				Created: &Range{From: 1561420800, To: 1561507200}}},
		{"unreadable created matches nothing", `{"created":"soon"}`, nil,
			&LogParams{Filters: map[string][]string{}, Page: 1,
				Created: &Range{From: now.Unix() + 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.body), &body); err != nil {
				t.Fatal(err)
			}
			got, err := ParseLogs(body, c.named, LogFilters, now)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	for _, body := range []string{`{"limit":"many"}`, `{"page":[1,2]}`, `{"model":{"a":1}}`} {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(body), &m)
		_, err := ParseLogs(m, nil, LogFilters, now)
		var se *Error
		if !errors.As(err, &se) {
			t.Errorf("%s: err = %v, want a search error", body, err)
		}
	}
}
