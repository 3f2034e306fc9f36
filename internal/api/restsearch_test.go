package api

import (
	"fmt"
	"sort"
	"testing"
)

// searchValues runs an attributes/restSearch as key and returns the values found, sorted.
func searchValues(t *testing.T, e *testEnv, key string, body map[string]any) []string {
	t.Helper()
	res := e.must(200, "POST", "/attributes/restSearch", key, body).Obj(t)
	attrs := res["response"].(map[string]any)["Attribute"].([]any)
	var out []string
	for _, a := range attrs {
		out = append(out, a.(map[string]any)["value"].(string))
	}
	sort.Strings(out)
	return out
}

func TestRestSearchAttributes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		org := e.must(200, "POST", "/admin/organisations/add", adminKey,
			map[string]any{"name": "Partner"}).Obj(t)["Organisation"].(map[string]any)
		partner := e.must(200, "POST", "/admin/users/add", adminKey,
			map[string]any{"email": "p@partner.test", "org_id": org["id"], "role_id": 3}).Obj(t)
		partnerKey := partner["User"].(map[string]any)["authkey"].(string)

		// MISP's recorded tag carried a numerical value.
		e.must(200, "POST", "/tags/add", adminKey, map[string]any{"name": "tlp:amber",
			"numerical_value": 55})
		e.must(200, "POST", "/events/add", adminKey, map[string]any{"Event": map[string]any{
			"info": "community event", "distribution": 1, "published": true,
			"Tag": []any{map[string]any{"name": "tlp:green"}},
			"Attribute": []any{
				map[string]any{"type": "ip-dst", "value": "198.51.100.23", "to_ids": true},
				map[string]any{"type": "domain", "value": "bad.example", "to_ids": false,
					"Tag": []any{map[string]any{"name": "tlp:amber"}}},
				map[string]any{"type": "domain|ip", "value": "other.example|203.0.113.9"},
				map[string]any{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"},
				map[string]any{"type": "domain", "value": "corpus-bad.example",
					"Tag": []any{map[string]any{"name": "tlp:amber"}}},
			}}})
		e.must(200, "POST", "/events/add", adminKey, map[string]any{"Event": map[string]any{
			"info": "org only", "distribution": 0,
			"Attribute": []any{
				map[string]any{"type": "ip-dst", "value": "198.51.100.23"},
				map[string]any{"type": "url", "value": "http://secret.example/x"},
			}}})

		cases := []struct {
			name string
			key  string
			body map[string]any
			want []string
		}{
			{"exact value, both events", adminKey, map[string]any{"value": "198.51.100.23"},
				[]string{"198.51.100.23", "198.51.100.23"}},
			{"acl hides org-only event", partnerKey, map[string]any{"value": "198.51.100.23"},
				[]string{"198.51.100.23"}},
			{"value2 of a composite", adminKey, map[string]any{"value": "203.0.113.9"},
				[]string{"other.example|203.0.113.9"}},
			{"wildcard", adminKey, map[string]any{"value": "%.EXAMPLE%"},
				[]string{"bad.example", "corpus-bad.example", "http://secret.example/x",
					"other.example|203.0.113.9"}},
			{"type list", adminKey, map[string]any{"type": []string{"md5", "url"}},
				[]string{"d41d8cd98f00b204e9800998ecf8427e", "http://secret.example/x"}},
			{"negated type", adminKey, map[string]any{"type": "!ip-dst", "eventinfo": "community%"},
				[]string{"bad.example", "corpus-bad.example", "d41d8cd98f00b204e9800998ecf8427e",
					"other.example|203.0.113.9"}},
			{"to_ids 0", adminKey, map[string]any{"to_ids": 0, "eventinfo": "community%"},
				[]string{"bad.example"}},
			{"published", adminKey, map[string]any{"published": 0}, []string{"198.51.100.23",
				"http://secret.example/x"}},
			{"attribute tag", adminKey, map[string]any{"tags": "tlp:amber"},
				[]string{"bad.example", "corpus-bad.example"}},
			{"event tag reaches every attribute", adminKey, map[string]any{"tags": "TLP:GREEN",
				"type": "md5"}, []string{"d41d8cd98f00b204e9800998ecf8427e"}},
			{"tag NOT", adminKey, map[string]any{"tags": map[string]any{"NOT": []string{"tlp:green"}}},
				[]string{"198.51.100.23", "http://secret.example/x"}},
			{"tag AND", adminKey, map[string]any{"tags": map[string]any{
				"AND": []string{"tlp:green", "tlp:amber"}}}, []string{"bad.example", "corpus-bad.example"}},
			{"unknown tag finds nothing", adminKey, map[string]any{"tags": "nope:nope"}, nil},
			{"no hit", adminKey, map[string]any{"value": "no.such.value"}, nil},
		}
		for _, c := range cases {
			got := searchValues(t, e, c.key, c.body)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
		}

		// A thousand values in one request.
		var many []string
		for i := 0; i < 1000; i++ {
			many = append(many, fmt.Sprintf("192.0.2.%d", i))
		}
		many = append(many, "198.51.100.23")
		if got := searchValues(t, e, adminKey, map[string]any{"value": many}); len(got) != 2 {
			t.Errorf("bulk search: %v", got)
		}

		// Shape, headers and paging.
		res := e.must(200, "POST", "/attributes/restSearch", adminKey,
			map[string]any{"value": "198.51.100.23", "limit": 1, "page": 2, "includeEventTags": 1,
				"includeContext": 1})
		if res.Header.Get("X-Result-Count") != "1" || res.Header.Get("X-Export-Module-Used") != "json" {
			t.Errorf("headers: %v", res.Header)
		}
		for _, g := range []string{"090-attributes-restSearch-value",
			"097-attributes-restSearch-includeEventTags-context"} {
			gold := loadGolden(t, g)
			body := e.must(200, "POST", "/attributes/restSearch", adminKey, gold.Request.Body)
			if diffs := sameShape("", gold.Response.Body, body.JSON(t)); len(diffs) > 0 {
				t.Errorf("%s shape: %v", g, diffs)
			}
		}
		e.must(404, "POST", "/attributes/restSearch", adminKey, map[string]any{"returnFormat": "nope"})
		e.must(400, "POST", "/attributes/restSearch", adminKey, map[string]any{"limit": "x"})
		empty := e.must(200, "POST", "/attributes/restSearch", adminKey,
			map[string]any{"value": "zzz"}).Raw
		if string(empty) != "{\"response\":{\"Attribute\":[]}}\n" {
			t.Errorf("empty answer: %s", empty)
		}
	})
}
