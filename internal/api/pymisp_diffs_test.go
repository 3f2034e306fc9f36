package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The scenarios of this file replay differences from MISP that PyMISP's live test suite
// found (test_attribute, test_unknown_template, test_sharing_group_search, test_search_csv).

// TestAttributesAddListKeepsTags checks that attributes added as a list keep the tags sent
// with them, and that attributes/add answers with the tags it attached: in the short form
// inside each attribute of a list, as AttributeTag rows beside a single attribute.
func TestAttributesAddListKeepsTags(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		_, _, user := tgOrgUser(t, e, "Tagging Org", 3)
		e.must(200, "POST", "/tags/add", adminKey, map[string]any{"name": "known:tag"})
		ev := addEvent(t, e, user, map[string]any{"info": "list tags", "distribution": 0,
			"Attribute": []any{map[string]any{"type": "ip-dst", "value": "192.0.2.1"}}})
		id := ev["id"].(string)

		// The user may not create tags: the unknown one is left out, as in MISP.
		res := e.must(200, "POST", "/attributes/add/"+id, user, []any{
			map[string]any{"type": "ip-dst", "value": "192.0.2.1"},
			map[string]any{"type": "ip-dst", "value": "192.0.2.2"},
			map[string]any{"type": "ip-dst", "value": "192.0.2.3", "Tag": []any{
				map[string]any{"name": "never:created"}, map[string]any{"name": "known:tag"}}},
		}).Obj(t)
		list := res["Attribute"].([]any)
		if len(list) != 2 {
			t.Fatalf("attributes/add list: %d attributes, want 2\n%v", len(list), res)
		}
		if _, ok := list[0].(map[string]any)["Tag"]; ok {
			t.Errorf("attribute without tags has a Tag member: %v", list[0])
		}
		tags := list[1].(map[string]any)["Tag"].([]any)
		if len(tags) != 1 {
			t.Fatalf("tags of the list-added attribute: %v", tags)
		}
		tag := tags[0].(map[string]any)
		if tag["name"] != "known:tag" || len(tag) != 4 {
			t.Errorf("tag in attributes/add's answer: %v", tag)
		}
		dup := map[string]any{"value": []any{"A similar attribute already exists for this event."}}
		if diff := cmp.Diff(map[string]any{"attribute_0": dup}, res["errors"]); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}

		view := eventOf(t, e.must(200, "GET", "/events/view/"+id, user, nil))
		stored := map[string][]string{}
		for _, a := range view["Attribute"].([]any) {
			a := a.(map[string]any)
			tags, _ := a["Tag"].([]any)
			for _, tg := range tags {
				stored[a["value"].(string)] = append(stored[a["value"].(string)],
					tg.(map[string]any)["name"].(string))
			}
		}
		if diff := cmp.Diff(map[string][]string{"192.0.2.3": {"known:tag"}}, stored); diff != "" {
			t.Errorf("stored attribute tags (-want +got):\n%s", diff)
		}

		// One attribute: the attached tags come back as AttributeTag rows beside it.
		one := e.must(200, "POST", "/attributes/add/"+id, user, map[string]any{
			"type": "ip-dst", "value": "192.0.2.4",
			"Tag": []any{map[string]any{"name": "known:tag"}}}).Obj(t)
		attr := one["Attribute"].(map[string]any)
		rows := one["AttributeTag"].([]any)
		if len(rows) != 1 {
			t.Fatalf("AttributeTag of a single attribute: %v", one)
		}
		row := rows[0].(map[string]any)
		if row["attribute_id"] != attr["id"] || row["event_id"] != id || row["local"] != false ||
			row["Tag"].(map[string]any)["name"] != "known:tag" ||
			row["tag_id"] != row["Tag"].(map[string]any)["id"] {
			t.Errorf("AttributeTag row: %v", row)
		}
	})
}

// TestObjectsUnknownTemplate checks objects/add and objects/edit with objects of templates
// the instance does not know: saved unchecked when they name their template, refused when
// they do not, and edited with the references PyMISP sends back left alone.
func TestObjectsUnknownTemplate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		_, _, user := tgOrgUser(t, e, "Object Org", 3)
		cool := "7b8a1c9e-3f0d-4c55-9d27-61f0f5a0c001"
		ev := addEvent(t, e, user, map[string]any{"info": "unknown templates", "Object": []any{
			map[string]any{"name": "my-cool-template", "uuid": cool, "meta-category": "foo",
				"description": "bar", "template_uuid": "7b8a1c9e-3f0d-4c55-9d27-61f0f5a0ffff",
				"Attribute": []any{map[string]any{"object_relation": "MyCoolAttribute",
					"type": "text", "value": "critical thing"}}},
			map[string]any{"name": "BLAH_TEST", "meta-category": "bar", "description": "foo",
				"template_uuid": "7b8a1c9e-3f0d-4c55-9d27-61f0f5a0eeee",
				"ObjectReference": []any{map[string]any{"referenced_uuid": cool,
					"relationship_type": "test relation"}},
				"Attribute": []any{map[string]any{"object_relation": "transaction-number",
					"type": "text", "value": "foo", "disable_correlation": true}}},
		}})
		id := ev["id"].(string)
		blah := ev["Object"].([]any)[1].(map[string]any)
		refs := blah["ObjectReference"].([]any)
		if len(refs) != 1 {
			t.Fatalf("references of the new object: %v", refs)
		}

		// objects/edit with the object as PyMISP sends it back: its stored reference, no
		// timestamp, one more attribute.
		delete(blah, "timestamp")
		blah["Attribute"] = append(blah["Attribute"].([]any), map[string]any{
			"object_relation": "my relation", "type": "text", "value": "foobar",
			"disable_correlation": true})
		edited := e.must(200, "POST", "/objects/edit/"+blah["uuid"].(string), user, blah).Obj(t)
		var values []string
		for _, a := range edited["Object"].(map[string]any)["Attribute"].([]any) {
			values = append(values, a.(map[string]any)["value"].(string))
		}
		if diff := cmp.Diff([]string{"foo", "foobar"}, values); diff != "" {
			t.Errorf("objects/edit attributes (-want +got):\n%s", diff)
		}
		if n := countRows(t, e, "object_references"); n != 1 {
			t.Errorf("%d references after objects/edit, want 1", n)
		}

		// events/edit with the same object sent back: the stored reference is updated in
		// place, as MISP does, not added a second time.
		ref := refs[0].(map[string]any)
		ref["relationship_type"] = "renamed relation"
		delete(ref, "timestamp")
		blah["ObjectReference"] = []any{ref}
		blah["Attribute"] = edited["Object"].(map[string]any)["Attribute"]
		e.must(200, "POST", "/events/edit/"+id, user, map[string]any{"Event": map[string]any{
			"info": "unknown templates", "Object": []any{blah}}})
		var rel string
		err := e.db.QueryRowContext(context.Background(),
			`SELECT relationship_type FROM object_references WHERE uuid = $1`, ref["uuid"]).Scan(&rel)
		if err != nil || rel != "renamed relation" || countRows(t, e, "object_references") != 1 {
			t.Errorf("reference after events/edit: %q (%v), %d rows", rel, err,
				countRows(t, e, "object_references"))
		}

		attrs := []any{map[string]any{"object_relation": "x", "type": "text", "value": "y"}}
		cases := []struct {
			name, path string
			object     map[string]any
			status     int
			want       map[string]any
		}{
			{name: "named template", path: "/objects/add/" + id, status: 200,
				object: map[string]any{"name": "made-up", "meta-category": "misc",
					"description": "made up", "template_uuid": "7b8a1c9e-3f0d-4c55-9d27-61f0f5a0dddd",
					"template_version": "1", "Attribute": attrs}},
			{name: "no template information", path: "/objects/add/" + id, status: 403,
				object: map[string]any{"name": "made-up", "meta-category": "misc",
					"template_uuid": "7b8a1c9e-3f0d-4c55-9d27-61f0f5a0dddd", "template_version": "1",
					"Attribute": attrs},
				want: map[string]any{"saved": false, "name": "Could not add Object",
					"message": "Could not add Object", "url": "/objects/add",
					"errors": "Object could not be saved.\ntemplate: No valid template found " +
						"and object lacking template information. (description)"}},
			{name: "unknown template uuid in the path", status: 404,
				path:   "/objects/add/" + id + "/7b8a1c9e-3f0d-4c55-9d27-61f0f5a0dddd",
				object: map[string]any{"name": "made-up", "Attribute": attrs},
				want: map[string]any{"name": "Invalid template.", "message": "Invalid template.",
					"url": "/objects/add/" + id + "/7b8a1c9e-3f0d-4c55-9d27-61f0f5a0dddd"}},
			{name: "unknown template id in the path", path: "/objects/add/" + id + "/99999",
				status: 403, object: map[string]any{"name": "made-up", "Attribute": attrs},
				want: map[string]any{"saved": false, "name": "Could not add object",
					"message": "Could not add object", "url": "/objects/add/" + id + "/99999",
					"errors": "No valid template found to edit the object.",
					"id":     id + "/99999"}},
		}
		for _, c := range cases {
			res := e.must(c.status, "POST", c.path, user, c.object)
			if c.want == nil {
				continue
			}
			if diff := cmp.Diff(c.want, res.Obj(t)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
	})
}

func countRows(t *testing.T, e *testEnv, table string) int {
	t.Helper()
	var n int
	if err := e.db.QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSharingGroupSearch checks the sharinggroup filter of restSearch and events/index: an
// attribute matches on its own sharing group or on its event's, an event on its own.
func TestSharingGroupSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		org, _, user := tgOrgUser(t, e, "Sharing Org", 3)
		sg := e.must(200, "POST", "/sharing_groups/add", adminKey, map[string]any{
			"name": "Testcases SG", "releasability": "Testing"}).Obj(t)["SharingGroup"].(map[string]any)["id"].(string)
		e.must(200, "POST", fmt.Sprintf("/sharing_groups/addOrg/%s/%d/1", sg, org), adminKey, nil)

		inSG := addEvent(t, e, user, map[string]any{"info": "in the group", "distribution": 4,
			"sharing_group_id": sg, "Attribute": []any{
				map[string]any{"type": "text", "value": "inherits the event"},
				map[string]any{"type": "ip-dst", "value": "8.8.8.8", "distribution": 4,
					"sharing_group_id": sg},
				map[string]any{"type": "ip-dst", "value": "9.9.9.9"}}})["id"].(string)
		other := addEvent(t, e, user, map[string]any{"info": "outside", "distribution": 1,
			"Attribute": []any{
				map[string]any{"type": "ip-dst", "value": "192.0.2.9", "distribution": 4,
					"sharing_group_id": sg},
				map[string]any{"type": "ip-dst", "value": "192.0.2.10"}}})["id"].(string)

		attributeValues := func(filter any) []string {
			res := e.must(200, "POST", "/attributes/restSearch", user,
				map[string]any{"sharinggroup": filter}).Obj(t)
			var got []string
			for _, a := range res["response"].(map[string]any)["Attribute"].([]any) {
				got = append(got, a.(map[string]any)["value"].(string))
			}
			return got
		}
		eventIDs := func(path string, filter any) []string {
			res := e.must(200, "POST", path, user, map[string]any{"sharinggroup": filter}).JSON(t)
			rows, ok := res.([]any)
			if !ok {
				rows = res.(map[string]any)["response"].([]any)
			}
			var got []string
			for _, r := range rows {
				if m, ok := r.(map[string]any)["Event"].(map[string]any); ok {
					r = m
				}
				got = append(got, r.(map[string]any)["id"].(string))
			}
			return got
		}

		for _, c := range []struct {
			name   string
			filter any
			values []string
			events []string
		}{
			{"the group", sg, []string{"inherits the event", "8.8.8.8", "9.9.9.9", "192.0.2.9"},
				[]string{inSG}},
			{"an unknown group", 99999, nil, nil},
			{"not the group", map[string]any{"NOT": []any{sg}}, []string{"192.0.2.10"},
				[]string{other}},
		} {
			if diff := cmp.Diff(c.values, attributeValues(c.filter)); diff != "" {
				t.Errorf("attributes/restSearch, %s (-want +got):\n%s", c.name, diff)
			}
			if diff := cmp.Diff(c.events, eventIDs("/events/restSearch", c.filter)); diff != "" {
				t.Errorf("events/restSearch, %s (-want +got):\n%s", c.name, diff)
			}
		}
		for filter, want := range map[string][]string{sg: {inSG}, "!" + sg: {other}, "99999": nil} {
			if diff := cmp.Diff(want, eventIDs("/events/index", filter)); diff != "" {
				t.Errorf("events/index, sharinggroup %q (-want +got):\n%s", filter, diff)
			}
		}
	})
}

// TestPublishPermission checks MISP's refusals of events/publish: a role without
// perm_publish is refused before the event is looked up, a publisher of another
// organisation with 405; and the CSV export PyMISP's test_search_csv reads afterwards,
// which does not restrict itself to to_ids attributes.
func TestPublishPermission(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		_, _, user := tgOrgUser(t, e, "Csv Org", 3)
		_, _, publisher := tgOrgUser(t, e, "Other Publisher Org", 4)
		ev := addEvent(t, e, user, map[string]any{"info": "csv", "distribution": 3,
			"Attribute": []any{
				map[string]any{"type": "text", "value": "exported", "to_ids": true},
				map[string]any{"type": "text", "value": "not for ids", "to_ids": false}}})
		id := ev["id"].(string)

		for _, c := range []struct {
			path, key string
			status    int
			message   string
		}{
			{"/events/publish/" + id, user, 403,
				"You do not have permission to use this functionality."},
			{"/events/publish/999999", user, 403,
				"You do not have permission to use this functionality."},
			{"/events/publish/" + id, publisher, 405, "You do not have the permission to do that."},
			{"/events/publish/999999", publisher, 404, "Invalid event."},
		} {
			res := e.must(c.status, "POST", c.path, c.key, nil).Obj(t)
			want := map[string]any{"name": c.message, "message": c.message, "url": c.path}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.path, diff)
			}
		}

		e.must(200, "POST", "/events/publish/"+id, adminKey, nil)
		csv := e.must(200, "POST", "/attributes/restSearch", user, map[string]any{
			"returnFormat": "csv", "eventid": id}).Raw
		lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "uuid,event_id,") ||
			!strings.Contains(lines[1], `"exported","",1,`) ||
			!strings.Contains(lines[2], `"not for ids","",0,`) {
			t.Errorf("CSV export of the published event:\n%s", csv)
		}
	})
}

// TestAttributesIndex checks attributes/index (PyMISP's attributes(), test_attribute): a
// bare list of the live attribute rows the caller may see, with value1 and value2, newest
// event first, paged by the named parameters limit and page.
func TestAttributesIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		_, _, user := tgOrgUser(t, e, "Index Org", 3)
		mine := addEvent(t, e, user, map[string]any{"info": "mine", "distribution": 0,
			"Attribute": []any{
				map[string]any{"type": "ip-dst", "value": "192.0.2.1"},
				map[string]any{"type": "domain|ip", "value": "example.org|192.0.2.2"},
				map[string]any{"type": "text", "value": "gone"}}})
		addEvent(t, e, adminKey, map[string]any{"info": "hidden", "distribution": 0,
			"Attribute": []any{map[string]any{"type": "ip-src", "value": "198.51.100.1"}}})
		for _, a := range mine["Attribute"].([]any) {
			if a := a.(map[string]any); a["value"] == "gone" {
				e.must(200, "POST", "/attributes/delete/"+a["id"].(string), user, nil)
			}
		}

		values := func(key, path string) []string {
			var got []string
			for _, row := range e.must(200, "GET", path, key, nil).JSON(t).([]any) {
				got = append(got, row.(map[string]any)["value"].(string))
			}
			return got
		}
		want := []string{"192.0.2.1", "example.org|192.0.2.2"}
		if diff := cmp.Diff(want, values(user, "/attributes/index")); diff != "" {
			t.Errorf("user's attributes/index (-want +got):\n%s", diff)
		}
		// Newest event first, as MISP lists them.
		want = append([]string{"198.51.100.1"}, want...)
		if diff := cmp.Diff(want, values(adminKey, "/attributes/index")); diff != "" {
			t.Errorf("admin's attributes/index (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want[1:2], values(adminKey, "/attributes/index/limit:1/page:2")); diff != "" {
			t.Errorf("attributes/index/limit:1/page:2 (-want +got):\n%s", diff)
		}

		rows := e.must(200, "GET", "/attributes/index", user, nil).JSON(t).([]any)
		row := rows[1].(map[string]any)
		if row["value1"] != "example.org" || row["value2"] != "192.0.2.2" ||
			row["event_id"] != mine["id"] || row["deleted"] != false {
			t.Errorf("attributes/index row: %v", row)
		}
		if _, ok := row["Event"]; ok {
			t.Errorf("attributes/index row carries its event: %v", row)
		}
	})
}

// TestMalwareSampleEncrypt checks that a malware-sample sent with "encrypt", as PyMISP sends
// one made from a file (the file name as value, the raw bytes as data; test_simple_event),
// is stored as MISP stores it: "<file name>|<md5 of the data>" as value, the data in a zip
// encrypted with "infected". Without "encrypt" a value that is not filename|md5 is refused,
// as in MISP.
func TestMalwareSampleEncrypt(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		data := "aGVsbG8=" // "hello"
		const md5 = "5d41402abc4b2a76b9719d911017c592"
		ev := addEvent(t, e, adminKey, map[string]any{"info": "samples", "Attribute": []any{
			map[string]any{"type": "malware-sample", "value": "a.exe", "data": data,
				"encrypt": true}}})
		id := ev["id"].(string)
		if got := ev["Attribute"].([]any)[0].(map[string]any)["value"]; got != "a.exe|"+md5 {
			t.Errorf("events/add value: %v, want a.exe|%s", got, md5)
		}

		// A hash the client put after the name is replaced by the data's.
		res := e.must(200, "POST", "/attributes/add/"+id, adminKey, map[string]any{
			"type": "malware-sample", "value": "b.exe|00000000000000000000000000000000",
			"data": data, "encrypt": true}).Obj(t)
		if got := res["Attribute"].(map[string]any)["value"]; got != "b.exe|"+md5 {
			t.Errorf("attributes/add value: %v, want b.exe|%s", got, md5)
		}

		refused := e.do("POST", "/attributes/add/"+id, adminKey, map[string]any{
			"type": "malware-sample", "value": "c.exe", "data": data})
		if refused.Status != 403 || !strings.Contains(string(refused.Raw), "composite") {
			t.Errorf("malware-sample without encrypt: %d %s", refused.Status, refused.Raw)
		}

		// The sample comes back as MISP keeps it: zipped, encrypted, under its md5 and
		// with its name beside it.
		found := e.must(200, "POST", "/attributes/restSearch", adminKey, map[string]any{
			"eventid": id, "withAttachments": true}).Obj(t)
		attrs := found["response"].(map[string]any)["Attribute"].([]any)
		if len(attrs) != 2 {
			t.Fatalf("restSearch withAttachments: %v", attrs)
		}
		raw, err := base64.StdEncoding.DecodeString(attrs[0].(map[string]any)["data"].(string))
		if err != nil {
			t.Fatalf("data of the sample: %v", err)
		}
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("data of the sample is not a zip: %v", err)
		}
		files := map[string]uint64{}
		for _, f := range zr.File {
			if f.Flags&0x1 == 0 {
				t.Errorf("%s of the sample zip is not encrypted", f.Name)
			}
			files[f.Name] = f.UncompressedSize64
		}
		if diff := cmp.Diff(map[string]uint64{md5: 5, md5 + ".filename.txt": 5}, files); diff != "" {
			t.Errorf("files of the sample zip (-want +got):\n%s", diff)
		}
	})
}

// TestLikeBackslashes checks that LIKE patterns read a backslash as MISP's MySQL does, on
// both databases: "\\" is a literal backslash (PyMISP's search_index for an info holding a
// Windows path, test_simple_event, MISP issue 6616), and a lone backslash at the end of a
// pattern is literal instead of an error.
func TestLikeBackslashes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		info := `C:\Windows\System32\notepad.exe`
		ev := addEvent(t, e, adminKey, map[string]any{"info": info, "Attribute": []any{
			map[string]any{"type": "filename", "value": `C:\Temp\a.exe`}}})
		addEvent(t, e, adminKey, map[string]any{"info": "other"})

		index := func(filter string) []string {
			var got []string
			res := e.must(200, "POST", "/events/index", adminKey,
				map[string]any{"eventinfo": filter})
			for _, row := range res.JSON(t).([]any) {
				got = append(got, row.(map[string]any)["info"].(string))
			}
			return got
		}
		if diff := cmp.Diff([]string{info}, index(`C:\\Windows\\System32\\notepad.exe`)); diff != "" {
			t.Errorf("events/index eventinfo with escaped backslashes (-want +got):\n%s", diff)
		}
		if got := index(`System32\`); len(got) != 0 {
			t.Errorf("events/index eventinfo ending with a backslash: %v", got)
		}

		for _, value := range []string{`%Temp\\a%`, `%Temp\`} {
			res := e.must(200, "POST", "/attributes/restSearch", adminKey,
				map[string]any{"value": value}).Obj(t)
			got := len(res["response"].(map[string]any)["Attribute"].([]any))
			want := map[bool]int{true: 1, false: 0}[value == `%Temp\\a%`]
			if got != want {
				t.Errorf("attributes/restSearch value %s: %d attributes, want %d", value, got, want)
			}
		}
		res := e.must(200, "POST", "/events/restSearch", adminKey,
			map[string]any{"searchall": `system32\\notepad`, "metadata": true}).Obj(t)
		if got := res["response"].([]any); len(got) != 1 ||
			got[0].(map[string]any)["Event"].(map[string]any)["id"] != ev["id"] {
			t.Errorf("events/restSearch searchall with an escaped backslash: %v", got)
		}
	})
}
