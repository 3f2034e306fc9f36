package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestRestSearchBadInput sends restSearch bodies that are malformed, absurd or huge: each
// gets a MISP error body with a 4xx status, or a whole answer, and never a 5xx. The server
// still answers a plain search afterwards.
func TestRestSearchBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		e.must(200, "POST", "/events/add", adminKey, map[string]any{"Event": map[string]any{
			"info": "bad input", "distribution": 1,
			"Attribute": []any{
				map[string]any{"type": "ip-dst", "value": "198.51.100.7"},
				map[string]any{"type": "domain", "value": "bad-input.example"},
			}}})

		many := make([]string, 20_000)
		for i := range many {
			many[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		}
		manyJSON, _ := json.Marshal(map[string]any{"value": many})
		bodies := []string{
			`{"value": "198.51.100.7"`, // cut short
			`[1, 2, 3]`,
			`"just a string"`,
			`{"limit": "many"}`,
			`{"limit": -1}`,
			`{"limit": 1e12}`,
			`{"page": 1e15, "limit": 10}`,
			`{"limit": 99999999999999999999999}`,
			`{"value": {"XOR": ["a"]}}`,
			`{"value": "%"}`,
			`{"value": "%%%%%%%%%%%%%%%%%%%%"}`,
			`{"value": ["%", "%.example", "198.51.%"]}`,
			`{"type": 12, "category": {"OR": 5}}`,
			`{"tags": [[["deep"]]]}`,
			`{"tags": {"AND": [], "NOT": [null]}}`,
			`{"eventid": "not-an-id"}`,
			`{"eventid": ["1", {"x": 1}]}`,
			`{"uuid": "not-a-uuid"}`,
			`{"from": "not a date", "to": "31-31-2024"}`,
			`{"timestamp": [1, 2, 3, 4]}`,
			`{"last": "9999999999999d"}`,
			`{"published": "maybe", "to_ids": "sometimes", "deleted": [1, "x"]}`,
			`{"threat_level_id": "high", "distribution": 9, "sharinggroup": "x"}`,
			`{"returnFormat": "no-such-format"}`,
			`{"returnFormat": ["json", "csv"]}`,
			`{"an_unknown_parameter": "x", "another": [1, 2]}`,
			`{"first_seen": "yesterday", "last_seen": {"a": 1}}`,
			string(manyJSON),
		}
		for _, path := range []string{"/attributes/restSearch", "/events/restSearch"} {
			for _, body := range bodies {
				r := e.do("POST", path, adminKey, body)
				label := body
				if len(label) > 60 {
					label = label[:60] + "..."
				}
				switch {
				case r.Status >= 500:
					t.Errorf("%s %s: status %d\n%.300s", path, label, r.Status, r.Raw)
				case r.Status >= 400:
					var m map[string]any
					if err := json.Unmarshal(r.Raw, &m); err != nil {
						t.Errorf("%s %s: status %d with a body that is not JSON: %.200s",
							path, label, r.Status, r.Raw)
						continue
					}
					for _, k := range []string{"name", "message", "url"} {
						if _, ok := m[k].(string); !ok {
							t.Errorf("%s %s: status %d without MISP's %q: %.200s",
								path, label, r.Status, k, r.Raw)
						}
					}
				case r.Status == 200:
					ct := r.Header.Get("Content-Type")
					if strings.Contains(ct, "json") && !json.Valid(r.Raw) {
						t.Errorf("%s %s: 200 with a body cut short: %.200s", path, label, r.Raw)
					}
				default:
					t.Errorf("%s %s: status %d", path, label, r.Status)
				}
			}
		}

		// The bulk list found nothing it should not have, and the server still answers.
		r := e.must(200, "POST", "/attributes/restSearch", adminKey, string(manyJSON))
		if strings.Contains(string(r.Raw), "198.51.100.7") {
			t.Error("the bulk list of other addresses found 198.51.100.7")
		}
		r = e.must(200, "POST", "/attributes/restSearch", adminKey,
			map[string]any{"value": "198.51.100.7"})
		if !strings.Contains(string(r.Raw), `"value":"198.51.100.7"`) {
			t.Errorf("plain search after the bad ones: %s", r.Raw)
		}
	})
}
