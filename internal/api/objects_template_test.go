package api

import (
	"strings"
	"testing"
)

// TestObjectsAddChecksTemplate replays MISP's refusal of an object that lacks the elements
// its template requires (145), and checks that a conforming object and an object of an
// unknown template are saved.
func TestObjectsAddChecksTemplate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		otLibrary(t, e)
		e.must(200, "POST", "/objectTemplates/update", adminKey, nil)
		ev := e.must(200, "POST", "/events/add", adminKey, map[string]any{"info": "objects"}).Obj(t)
		id := ev["Event"].(map[string]any)["id"].(string)

		g := loadGolden(t, "145-objects-add-bad-template")
		res := e.must(403, "POST", "/objects/add/"+id, adminKey, g.Request.Body).Obj(t)
		want := g.Response.Body.(map[string]any)["errors"].(string)
		if res["errors"] != want || res["name"] != "Could not add Object" {
			t.Errorf("refusal: %v", res)
		}

		// The same refusal when the template is named in the path.
		e.must(403, "POST", "/objects/add/"+id+"/file", adminKey, map[string]any{"Object": map[string]any{
			"name": "file", "Attribute": []any{map[string]any{"object_relation": "text",
				"type": "text", "value": "x"}}}})

		ok := e.must(200, "POST", "/objects/add/"+id, adminKey, map[string]any{"Object": map[string]any{
			"name": "file", "template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215",
			"template_version": "24", "Attribute": []any{map[string]any{
				"object_relation": "filename", "type": "filename", "value": "a.exe"}}}}).Obj(t)
		if !strings.Contains(string(e.must(200, "GET", "/events/view/"+id, adminKey, nil).Raw), "a.exe") {
			t.Errorf("conforming object not saved: %v", ok)
		}
		e.must(200, "POST", "/objects/add/"+id, adminKey, map[string]any{"Object": map[string]any{
			"name": "made-up", "meta-category": "misc", "description": "made up",
			"template_uuid": "00000000-0000-4000-8000-000000000001", "template_version": "1",
			"Attribute": []any{map[string]any{"object_relation": "x", "type": "text", "value": "y"}}}})
	})
}
