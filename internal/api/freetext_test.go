package api

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goldenBody returns the answer body of a recorded request as MISP sent it, compacted,
// with its members in MISP's order.
func goldenBody(t *testing.T, name string) []byte {
	t.Helper()
	loadGolden(t, name) // skips when the corpus is not available
	dir := os.Getenv("CAIRN_TEST_MISP_RESPONSES")
	if dir == "" {
		dir = filepath.Join(filepath.Dir(os.Getenv("CAIRN_TEST_MISP_DATA")), "reference",
			"misp-responses")
	}
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Response struct {
			Body json.RawMessage `json:"body"`
		} `json:"response"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, g.Response.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestFreeTextImportGoldens replays MISP's recorded freetext imports: the candidates of
// 063 and the saved list of 064 must be MISP's answers byte for byte (the event id aside),
// members in MISP's order included.
func TestFreeTextImportGoldens(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ev := addEvent(t, e, adminKey, map[string]any{"info": "freetext target"})
		id := ev["id"].(string)

		for _, name := range []string{"063-events-freeTextImport", "064-events-freeTextImport-save"} {
			g := loadGolden(t, name)
			res := e.must(g.Response.Status, "POST", "/events/freeTextImport/"+id, adminKey,
				g.Request.Body)
			if ct := res.Header.Get("Content-Type"); ct != g.Response.Headers["content-type"] {
				t.Errorf("%s: content type %q, want %q", name, ct, g.Response.Headers["content-type"])
			}
			want := strings.ReplaceAll(string(goldenBody(t, name)), `"event_id":"228"`,
				`"event_id":"`+id+`"`)
			if got := string(bytes.TrimSpace(res.Raw)); got != want {
				t.Errorf("%s:\n got %s\nwant %s", name, got, want)
			}
		}

		// 063 saved nothing; 064 saved its two attributes.
		view := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		got := map[string]string{}
		for _, a := range view["Attribute"].([]any) {
			at := a.(map[string]any)
			got[at["value"].(string)] = at["type"].(string) + " " + at["category"].(string)
		}
		want := map[string]string{"192.0.2.100": "ip-dst Network activity",
			"https://freetext-corpus.example/x": "url Network activity"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("attributes saved (-want +got):\n%s", diff)
		}
	})
}

// TestFreeTextImportSaves covers what the import stores: types, categories, the port
// comment, the IDS flag, the distribution (the request's, echoed as sent, or the default),
// duplicates left out without refusing the import, and the event unpublished.
func TestFreeTextImportSaves(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ev := addEvent(t, e, adminKey, map[string]any{"info": "freetext", "published": true,
			"Attribute": []any{map[string]any{"type": "domain", "value": "known.com"}}})
		id := ev["id"].(string)
		text := "c2 at www.evil.com:443 and known.com, mail bad[@]evil[.]com, CVE-2021-44228"

		res := e.must(200, "POST", "/events/freeTextImport/"+id, adminKey, map[string]any{
			"Attribute": map[string]any{"value": text, "distribution": "1"}})
		var list []map[string]any
		if err := json.Unmarshal(res.Raw, &list); err != nil {
			t.Fatalf("answer is not a list: %s", res.Raw)
		}
		wantAnswer := []map[string]any{
			{"comment": "On port 443", "value": "www.evil.com", "original_value": "www.evil.com:443",
				"to_ids": 1.0, "type": "hostname", "category": "Network activity",
				"distribution": "1", "event_id": id},
			{"comment": false, "value": "known.com", "original_value": "known.com", "to_ids": 1.0,
				"type": "domain", "category": "Network activity", "distribution": "1", "event_id": id},
			{"value": "bad@evil.com", "original_value": "bad[@]evil[.]com", "to_ids": 1.0,
				"type": "email-src", "category": "Payload delivery", "distribution": "1",
				"event_id": id},
			{"value": "CVE-2021-44228", "original_value": "CVE-2021-44228", "to_ids": 0.0,
				"type": "vulnerability", "category": "External analysis", "distribution": "1",
				"event_id": id},
		}
		if diff := cmp.Diff(wantAnswer, list); diff != "" {
			t.Errorf("answer (-want +got):\n%s", diff)
		}

		view := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if view["published"] != false {
			t.Errorf("the import left the event published")
		}
		type stored struct {
			Type, Comment, Distribution string
			ToIDs                       bool
		}
		got := map[string]stored{}
		for _, a := range view["Attribute"].([]any) {
			at := a.(map[string]any)
			got[at["value"].(string)] = stored{at["type"].(string), at["comment"].(string),
				at["distribution"].(string), at["to_ids"].(bool)}
		}
		want := map[string]stored{
			"known.com":      {"domain", "", "5", true},
			"www.evil.com":   {"hostname", "On port 443", "1", true},
			"bad@evil.com":   {"email-src", "", "1", true},
			"CVE-2021-44228": {"vulnerability", "", "1", false},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("stored attributes (-want +got):\n%s", diff)
		}

		// The same text again: the answer lists everything, nothing new is stored.
		again := e.must(200, "POST", "/events/freeTextImport/"+id, adminKey,
			map[string]any{"value": text})
		if n := len(again.JSON(t).([]any)); n != 4 {
			t.Errorf("second import lists %d attributes, want 4", n)
		}
		first := again.JSON(t).([]any)[0].(map[string]any)
		if first["distribution"] != 5.0 {
			t.Errorf("default distribution %v, want the number 5", first["distribution"])
		}
		view = eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if n := len(view["Attribute"].([]any)); n != 4 {
			t.Errorf("event has %d attributes after a repeated import, want 4", n)
		}
	})
}

// TestFreeTextImportRequests covers the request forms and refusals: the text bare, under
// "Attribute" or alone as a JSON string; returnMetaAttributes in the body or the path;
// adhereToWarninglists accepted; and MISP's permission answers.
func TestFreeTextImportRequests(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)
		mine := addEvent(t, e, adminKey, map[string]any{"info": "shared", "distribution": 1})
		private := addEvent(t, e, adminKey, map[string]any{"info": "private", "distribution": 0})
		id := mine["id"].(string)
		readOnly := e.must(200, "POST", "/admin/users/add", adminKey, map[string]any{
			"email": "reader@corpus.test", "org_id": c.partnerOrg, "role_id": "6"}).Obj(t)
		readerKey := readOnly["User"].(map[string]any)["authkey"].(string)

		meta := `[{"types":{"ip-dst":"ip-dst","ip-src":"ip-src","ip-src/ip-dst":"ip-src/ip-dst"},` +
			`"default_type":"ip-dst","value":"198.51.100.7","original_value":"198.51.100.7","to_ids":1}]`
		tests := []struct {
			name, path, key string
			body            any
			status          int
			want            string // the whole answer, or a fragment of it for refusals
		}{
			{"meta in the body", "/events/freeTextImport/" + id, adminKey,
				map[string]any{"value": "198.51.100.7", "returnMetaAttributes": 1}, 200, meta},
			{"meta under Attribute", "/events/freeTextImport/" + id, adminKey,
				map[string]any{"Attribute": map[string]any{"value": "198.51.100.7",
					"returnMetaAttributes": true}}, 200, meta},
			{"meta in the path", "/events/freeTextImport/" + id + "/0/1", adminKey,
				`"198.51.100.7"`, 200, meta},
			{"warninglists accepted", "/events/freeTextImport/" + id + "/soft", adminKey,
				map[string]any{"value": "198.51.100.7", "adhereToWarninglists": "soft",
					"returnMetaAttributes": "1"}, 200, meta},
			{"nothing found", "/events/freeTextImport/" + id, adminKey,
				map[string]any{"value": "nothing to see here"}, 200, `[]`},
			{"no text", "/events/freeTextImport/" + id, adminKey, nil, 200, `[]`},
			{"by uuid", "/events/freeTextImport/" + mine["uuid"].(string), adminKey,
				map[string]any{"value": "198.51.100.7", "returnMetaAttributes": 1}, 200, meta},
			{"missing event", "/events/freeTextImport/999999", adminKey,
				map[string]any{"value": "x"}, 404, `"message":"Invalid event."`},
			{"bad event id", "/events/freeTextImport/abc", adminKey,
				map[string]any{"value": "x"}, 404, `"message":"Invalid event."`},
			{"invisible event", "/events/freeTextImport/" + private["id"].(string), c.partnerKey,
				map[string]any{"value": "198.51.100.7", "returnMetaAttributes": 1}, 404,
				`"message":"Invalid event."`},
			{"partner may look", "/events/freeTextImport/" + id, c.partnerKey,
				map[string]any{"value": "198.51.100.7", "returnMetaAttributes": 1}, 200, meta},
			{"partner may not save", "/events/freeTextImport/" + id, c.partnerKey,
				map[string]any{"value": "198.51.100.7"}, 403,
				`"message":"You do not have permission to do that."`},
			{"read-only user", "/events/freeTextImport/" + id, readerKey,
				map[string]any{"value": "198.51.100.7", "returnMetaAttributes": 1}, 403,
				`"message":"You do not have permission to use this functionality."`},
			{"bad distribution", "/events/freeTextImport/" + id, adminKey,
				map[string]any{"value": "198.51.100.7", "distribution": "all"}, 400,
				`Invalid value for field distribution.`},
			{"not JSON", "/events/freeTextImport/" + id, adminKey, "{value", 405,
				`Invalid JSON input.`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.do("POST", tt.path, tt.key, tt.body)
				got := string(bytes.TrimSpace(res.Raw))
				if res.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.status, got)
				}
				if tt.status == 200 && got != tt.want || !strings.Contains(got, tt.want) {
					t.Errorf("answer\n got %s\nwant %s", got, tt.want)
				}
			})
		}

		view := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if n := len(view["Attribute"].([]any)); n != 0 {
			t.Errorf("candidates and refusals stored %d attributes", n)
		}
	})
}
