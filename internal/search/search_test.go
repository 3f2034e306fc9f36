package search

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func parseBody(t *testing.T, body string, named map[string][]string) *Params {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	p, err := Parse(m, named, now)
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	return p
}

func TestTerms(t *testing.T) {
	tests := []struct {
		body string
		want Terms
	}{
		{`{"value":"1.2.3.4"}`, Terms{OR: []string{"1.2.3.4"}}},
		{`{"value":"!1.2.3.4"}`, Terms{NOT: []string{"1.2.3.4"}}},
		{`{"value":["a","!b"]}`, Terms{OR: []string{"a"}, NOT: []string{"b"}}},
		{`{"value":"a&&!b&&c"}`, Terms{OR: []string{"a", "c"}, NOT: []string{"b"}}},
		{`{"value":{"OR":["a"],"AND":["b","c"],"NOT":["d"]}}`,
			Terms{OR: []string{"a"}, AND: []string{"b", "c"}, NOT: []string{"d"}}},
		{`{"value":12}`, Terms{OR: []string{"12"}}},
		{`{"value":"2001:0db8:0000::0001"}`, Terms{OR: []string{"2001:db8::1"}}},
		{`{"value":"%.example%"}`, Terms{OR: []string{"%.example%"}}},
	}
	for _, tt := range tests {
		p := parseBody(t, tt.body, nil)
		if diff := cmp.Diff(tt.want, p.Value); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.body, diff)
		}
	}
}

func TestParams(t *testing.T) {
	p := parseBody(t, `{"returnFormat":"JSON","to_ids":0,"published":"1","limit":"3","page":2,
		"last":"1d","timestamp":["1700000000","1600000000"],"from":"2024-01-02",
		"to":1704153600,"deleted":[0,1],"includeEventTags":1,"includeContext":true,
		"tags":{"AND":["tlp:amber"],"NOT":["tlp:red"]},"nonsense":{"x":1}}`, nil)
	if p.ReturnFormat != "json" || p.ToIDs == nil || *p.ToIDs || p.Published == nil ||
		!*p.Published || p.Limit != 3 || p.Page != 2 {
		t.Errorf("scalars: %+v", p)
	}
	if want := now.Add(-24 * time.Hour).Unix(); p.Last != want {
		t.Errorf("last = %d, want %d", p.Last, want)
	}
	if diff := cmp.Diff(&Range{From: 1600000000, To: 1700000000}, p.Timestamp); diff != "" {
		t.Errorf("timestamp range swapped: %s", diff)
	}
	if p.From != "2024-01-02" || p.To != "2024-01-02" {
		t.Errorf("from/to = %q %q", p.From, p.To)
	}
	if p.Deleted != LiveAndDeleted || !p.IncludeEventTags || !p.IncludeContext {
		t.Errorf("flags: %+v", p)
	}
	if diff := cmp.Diff(Terms{AND: []string{"tlp:amber"}, NOT: []string{"tlp:red"}}, p.Tags); diff != "" {
		t.Errorf("tags: %s", diff)
	}

	named := map[string][]string{"value": {"1.2.3.4"}, "tags": {"tlp:white"}, "deleted": {"only"}}
	p = parseBody(t, `{}`, named)
	if p.Value.OR[0] != "1.2.3.4" || p.Tags.OR[0] != "tlp:white" || p.Deleted != DeletedOnly {
		t.Errorf("named: %+v", p)
	}
	if p := parseBody(t, `{"to_ids":"exclude"}`, nil); p.ToIDs == nil || *p.ToIDs {
		t.Errorf("to_ids exclude: %+v", p.ToIDs)
	}
	if p := parseBody(t, `{"first_seen":"2024-01-01T00:00:00Z"}`, nil); p.FirstSeen.From != 1704067200_000000 {
		t.Errorf("first_seen µs: %+v", p.FirstSeen)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, body := range []string{
		`{"limit":"many"}`, `{"limit":-1}`, `{"value":{"XOR":["a"]}}`,
		`{"from":"not a date"}`, `{"returnFormat":["a","b"]}`,
	} {
		var m map[string]json.RawMessage
		_ = json.Unmarshal([]byte(body), &m)
		if _, err := Parse(m, nil, now); err == nil {
			t.Errorf("Parse(%s) accepted", body)
		}
	}
}

func TestUnreadableTimeMatchesNothing(t *testing.T) {
	for _, body := range []string{`{"last":"yesterdayish"}`, `{"publish_timestamp":"5x"}`,
		`{"timestamp":["1d","nope"]}`} {
		if p := parseBody(t, body, nil); !p.MatchNothing {
			t.Errorf("%s: MatchNothing not set", body)
		}
	}
	if p := parseBody(t, `{"publish_timestamp":"5d"}`, nil); p.MatchNothing {
		t.Error("a readable delta matches nothing")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"value":"a&&!b"}`, `{"tags":{"OR":["x"],"NOT":"y"}}`,
		`{"timestamp":["1d","2"]}`, `{"deleted":[1]}`, `{"limit":"1e9"}`, `{"last":"5m"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &m) != nil {
			return
		}
		p, err := Parse(m, nil, now)
		if err == nil && (p.Limit < 0 || p.Page < 0) {
			t.Fatalf("negative paging accepted: %s", body)
		}
	})
}
