package search

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOptionalBoolLists(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		body string
		want *bool
	}{
		{`{"published":1}`, &yes},
		{`{"published":"0"}`, &no},
		{`{"published":[0,1]}`, nil},
		{`{"published":[true,false]}`, nil},
		{`{"published":[1,"1"]}`, &yes},
		{`{"published":[0]}`, &no},
		{`{}`, nil},
	}
	for _, tt := range tests {
		p := parseBody(t, tt.body, nil)
		if diff := cmp.Diff(tt.want, p.Published); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.body, diff)
		}
	}
	p := parseBody(t, `{"to_ids":[0,1],"value":"x"}`, map[string][]string{"published": {"1"}})
	if p.ToIDs != nil || !p.Set["to_ids"] || !p.Set["published"] || !p.Set["value"] ||
		p.Set["tags"] {
		t.Errorf("Set %v, to_ids %v", p.Set, p.ToIDs)
	}
	p = parseBody(t, `{"policy":"NODATA","ttl":"2h","serial":12}`, nil)
	want := map[string]string{"policy": "NODATA", "ttl": "2h", "serial": "12"}
	if diff := cmp.Diff(want, p.RPZ); diff != "" {
		t.Errorf("RPZ (-want +got):\n%s", diff)
	}
}
