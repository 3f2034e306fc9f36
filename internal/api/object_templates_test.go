package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// otLibrary points the server of e at MISP's community data, or skips the test.
func otLibrary(t *testing.T, e *testEnv) string {
	t.Helper()
	dir := os.Getenv("CAIRN_TEST_MISP_DATA")
	if dir == "" {
		t.Skip("MISP community data not available: set CAIRN_TEST_MISP_DATA")
	}
	e.srv.Config.Handler.(*Server).cfg.LibraryDir = dir
	return dir
}

// otWithoutIDs drops the ids of a template answer, which differ from MISP's instance.
func otWithoutIDs(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if k != "id" && k != "object_template_id" {
				out[k] = otWithoutIDs(x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = otWithoutIDs(x)
		}
		return out
	}
	return v
}

func TestObjectTemplates(t *testing.T) {
	if os.Getenv("CAIRN_TEST_MISP_DATA") == "" {
		t.Skip("MISP community data not available: set CAIRN_TEST_MISP_DATA")
	}
	eachDB(t, func(t *testing.T, e *testEnv) {
		data := otLibrary(t, e)
		_, _, userKey := tgOrgUser(t, e, "Template Reader", 3)

		// 148: the index fills an empty table from the library on first use.
		res := e.must(200, "GET", "/objectTemplates/index", userKey, nil)
		tgCheckGolden(t, "148-objectTemplates-index", res)
		var rows []map[string]map[string]any
		if err := json.Unmarshal(res.Raw, &rows); err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Join(data, "misp-objects", "objects"))
		if len(rows) != len(entries) {
			t.Errorf("index lists %d templates, want %d", len(rows), len(entries))
		}
		byName := map[string]map[string]any{}
		var names []string
		for _, r := range rows {
			byName[r["ObjectTemplate"]["name"].(string)] = r["ObjectTemplate"]
			names = append(names, r["ObjectTemplate"]["name"].(string))
		}
		if !sort.StringsAreSorted(names) {
			t.Errorf("index not in byte order of name: %v...", names[:5])
		}
		if g := loadGoldenOrNil(t, "148-objectTemplates-index"); g != nil {
			for _, row := range g.Response.Body.([]any) {
				want := row.(map[string]any)["ObjectTemplate"].(map[string]any)
				got := byName[want["name"].(string)]
				if got == nil || got["version"] != want["version"] {
					continue // the library checkout is newer than MISP's
				}
				if diff := cmp.Diff(otWithoutIDs(want), otWithoutIDs(any(got))); diff != "" {
					t.Errorf("template %s differs from MISP's (-want +got):\n%s", want["name"], diff)
				}
			}
		}

		// 149: view by id, uuid or name; the elements as MISP lists them.
		domainIP := byName["domain-ip"]
		for _, ref := range []string{domainIP["id"].(string), domainIP["uuid"].(string), "domain-ip"} {
			res := e.must(200, "GET", "/objectTemplates/view/"+ref, adminKey, nil)
			tgCheckGolden(t, "149-objectTemplates-view", res)
			if g := loadGoldenOrNil(t, "149-objectTemplates-view"); g != nil {
				want, got := otWithoutIDs(g.Response.Body), otWithoutIDs(res.JSON(t))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("view %s differs from MISP's (-want +got):\n%s", ref, diff)
				}
			}
		}
		if _, hasUser := e.must(200, "GET", "/object_templates/view/domain-ip", userKey, nil).
			Obj(t)["User"]; hasUser {
			t.Errorf("a user who is not a site admin sees the template's User")
		}
		e.must(404, "GET", "/objectTemplates/view/99999", adminKey, nil)
		e.must(404, "GET", "/objectTemplates/view/no-such-template", adminKey, nil)

		// getRaw: the definition as the library has it; perm_object_template needed.
		raw := e.must(200, "GET", "/objectTemplates/getRaw/domain-ip", adminKey, nil).JSON(t)
		file, err := os.ReadFile(filepath.Join(data, "misp-objects", "objects", "domain-ip",
			"definition.json"))
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := json.Unmarshal(file, &want); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, raw); diff != "" {
			t.Errorf("getRaw (-want +got):\n%s", diff)
		}
		e.must(200, "GET", "/objectTemplates/getRaw/"+domainIP["uuid"].(string), adminKey, nil)
		e.must(404, "GET", "/objectTemplates/getRaw/no-such-template", adminKey, nil)
		e.must(403, "GET", "/objectTemplates/getRaw/domain-ip", userKey, nil)

		// update: site admins; answers with the index, as MISP's redirect does.
		list := e.must(200, "POST", "/objectTemplates/update", adminKey, nil).JSON(t).([]any)
		if len(list) != len(rows) {
			t.Errorf("update answered %d templates, want %d", len(list), len(rows))
		}
		e.must(200, "POST", "/objectTemplates/update/domain-ip/1", adminKey, nil)
		res = e.do("POST", "/objectTemplates/update", userKey, nil)
		if res.Status != 403 || tgMessage(t, res) != msgNoFunctionality {
			t.Errorf("update by a user: %d %s", res.Status, res.Raw)
		}
		e.must(405, "GET", "/objectTemplates/update", adminKey, nil)
	})
}

func TestObjectTemplatesWithoutLibrary(t *testing.T) {
	e := newEnv(t, filepath.Join(t.TempDir(), "c.db"))
	list := e.must(200, "GET", "/objectTemplates/index", adminKey, nil).JSON(t).([]any)
	if len(list) != 0 {
		t.Errorf("templates without a library: %v", list)
	}
	res := e.must(403, "POST", "/objectTemplates/update", adminKey, nil).Obj(t)
	if res["saved"] != false || res["name"] != "Could not update ObjectTemplates" {
		t.Errorf("update without a library: %v", res)
	}
	e.must(404, "GET", "/objectTemplates/view/1", adminKey, nil)
}
