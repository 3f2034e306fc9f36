package api

import (
	"strings"
	"testing"
)

// TestNonExportableTagsHidden checks that events/view leaves non-exportable tags out unless
// includeAllTags asks for them, as MISP does (PyMISP's test_tags relies on it).
func TestNonExportableTagsHidden(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		e.must(200, "POST", "/tags/add", adminKey, map[string]any{"name": "internal only",
			"exportable": false})
		ev := e.must(200, "POST", "/events/add", adminKey, map[string]any{"info": "tags",
			"Tag": []any{map[string]any{"name": "internal only"}, map[string]any{"name": "tlp:green"}},
			"Attribute": []any{map[string]any{"type": "ip-dst", "value": "192.0.2.7",
				"Tag": []any{map[string]any{"name": "internal only"}}}}}).Obj(t)
		id := ev["Event"].(map[string]any)["id"].(string)
		view := string(e.must(200, "GET", "/events/view/"+id, adminKey, nil).Raw)
		if strings.Contains(view, "internal only") || !strings.Contains(view, "tlp:green") {
			t.Errorf("events/view shows the non-exportable tag or lost the exportable one: %s", view)
		}
		all := string(e.must(200, "GET", "/events/view/"+id+"/includeAllTags:1", adminKey, nil).Raw)
		if strings.Count(all, "internal only") != 2 {
			t.Errorf("includeAllTags: want the tag on the event and the attribute: %s", all)
		}
	})
}
