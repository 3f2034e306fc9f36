package api

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	domainIPTemplate = "43b3b146-77eb-4931-b4cc-b66c60f28734"
	fileTemplate     = "688c46fb-5edb-40a3-8273-1af7923e2215"
)

// objectsFixture holds events with objects of the admin's organisation and of a partner,
// with the ids of the objects by name and of some attributes.
type objectsFixture struct {
	*corrEnv
	events map[string]string // by label
	ids    map[string]string // object ids by label
	attrs  map[string]string // attribute ids by "object/relation"
	uuids  map[string]string // object and attribute uuids, as ids
}

// object is an object of an events/add body.
func object(name, template string, version int, extra map[string]any, attrs ...map[string]any) map[string]any {
	o := map[string]any{"name": name, "meta-category": "network", "description": name + " object",
		"template_uuid": template, "template_version": fmt.Sprint(version), "Attribute": attrs}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

func objAttr(relation, typ, value string, extra ...any) map[string]any {
	a := map[string]any{"object_relation": relation, "type": typ, "value": value}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i].(string)] = extra[i+1]
	}
	return a
}

func newObjectsFixture(t *testing.T, e *testEnv) *objectsFixture {
	f := &objectsFixture{corrEnv: newCorrEnv(t, e), events: map[string]string{},
		ids: map[string]string{}, attrs: map[string]string{}, uuids: map[string]string{}}
	add := func(label, key string, ev map[string]any, labels ...string) {
		ev["info"] = "objects " + label
		if _, ok := ev["distribution"]; !ok {
			ev["distribution"] = 1
		}
		got := eventOf(t, f.must(200, "POST", "/events/add", key, map[string]any{"Event": ev}))
		f.events[label] = got["id"].(string)
		// The answer lists the objects the creator sees, in the order sent.
		for i, o := range got["Object"].([]any) {
			m := o.(map[string]any)
			f.ids[labels[i]] = m["id"].(string)
			f.uuids[labels[i]] = m["uuid"].(string)
			for _, a := range m["Attribute"].([]any) {
				am := a.(map[string]any)
				k := labels[i] + "/" + am["object_relation"].(string)
				f.attrs[k], f.uuids[k] = am["id"].(string), am["uuid"].(string)
			}
		}
	}
	add("e1", adminKey, map[string]any{"published": true, "date": "2026-01-10",
		"Tag": []any{map[string]any{"name": "tlp:green"}},
		"Object": []any{
			object("domain-ip", domainIPTemplate, 9, nil,
				objAttr("domain", "domain", "one.objects.example", "to_ids", false),
				objAttr("ip", "ip-dst", "192.0.2.1", "to_ids", true,
					"Tag", []any{map[string]any{"name": "tlp:amber"}})),
			object("file", fileTemplate, 24, map[string]any{"first_seen": "2026-01-01T00:00:00Z"},
				objAttr("filename", "filename", "x.exe", "comment", "dropper"),
				objAttr("md5", "md5", "0123456789abcdef0123456789abcdef")),
			object("domain-ip", domainIPTemplate, 9, nil,
				objAttr("domain", "domain", "gone.objects.example")),
		}}, "O1", "O2", "O7")
	add("e2", adminKey, map[string]any{"distribution": 0, "published": true, "date": "2026-01-11",
		"Object": []any{object("domain-ip", domainIPTemplate, 9, nil,
			objAttr("domain", "domain", "hidden.objects.example"))}}, "O3")
	add("e3", adminKey, map[string]any{"published": false, "date": "2026-01-12",
		"Object": []any{
			object("domain-ip", domainIPTemplate, 8, map[string]any{"distribution": 0},
				objAttr("domain", "domain", "orgonly.objects.example")),
			object("file", fileTemplate, 24, nil,
				objAttr("filename", "filename", "shown.exe"),
				objAttr("md5", "md5", "fedcba9876543210fedcba9876543210", "distribution", 0)),
		}}, "O4", "O5")
	add("e4", f.partnerKey, map[string]any{"published": true, "date": "2026-01-13",
		"Object": []any{object("domain-ip", domainIPTemplate, 9, map[string]any{"distribution": 0},
			objAttr("ip", "ip-src", "192.0.2.1"))}}, "O6")
	f.must(200, "POST", "/objects/delete/"+f.ids["O7"], adminKey, nil)
	return f
}

// search runs objects/restSearch as key and returns the labels of the objects found, in
// order, checking the envelope and X-Result-Count.
func (f *objectsFixture) search(t *testing.T, key string, body any) []string {
	t.Helper()
	res := f.must(200, "POST", "/objects/restSearch", key, body)
	return f.labels(t, res)
}

func (f *objectsFixture) labels(t *testing.T, res response) []string {
	t.Helper()
	byID := map[string]string{}
	for label, id := range f.ids {
		byID[id] = label
	}
	list, ok := res.Obj(t)["response"].([]any)
	if !ok {
		t.Fatalf("no response list: %s", res.Raw)
	}
	out := []string{}
	for _, o := range list {
		obj := o.(map[string]any)["Object"].(map[string]any)
		label, ok := byID[obj["id"].(string)]
		if !ok {
			label = "object " + obj["id"].(string)
		}
		out = append(out, label)
	}
	if got := res.Header.Get("X-Result-Count"); got != fmt.Sprint(len(out)) {
		t.Errorf("X-Result-Count %s for %d objects", got, len(out))
	}
	return out
}

// TestObjectsRestSearch checks objects/restSearch (reference §6): the filters that apply
// to objects, their events and their attributes, the reader's rights, and MISP's shape.
func TestObjectsRestSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newObjectsFixture(t, e)
		partner := f.partnerKey
		tests := []struct {
			name string
			key  string
			body map[string]any
			want []string
		}{
			{"everything the admin sees", adminKey, map[string]any{},
				[]string{"O1", "O2", "O3", "O4", "O5", "O6"}},
			{"everything the partner sees", partner, map[string]any{},
				[]string{"O1", "O2", "O5", "O6"}},
			{"returnFormat json", adminKey, map[string]any{"returnFormat": "json",
				"object_name": "file"}, []string{"O2", "O5"}},
			{"object_name", adminKey, map[string]any{"object_name": "domain-ip"},
				[]string{"O1", "O3", "O4", "O6"}},
			{"object_name NOT", adminKey, map[string]any{"object_name": "!domain-ip"},
				[]string{"O2", "O5"}},
			{"object_template_uuid", partner, map[string]any{"object_template_uuid": fileTemplate},
				[]string{"O2", "O5"}},
			{"object_template_version", adminKey, map[string]any{"object_template_version": 8},
				[]string{"O4"}},
			{"value", adminKey, map[string]any{"value": "192.0.2.1"}, []string{"O1", "O6"}},
			{"value wildcard", adminKey, map[string]any{"value": "%.objects.example"},
				[]string{"O1", "O3", "O4"}},
			{"value of a hidden attribute", partner,
				map[string]any{"value": "fedcba9876543210fedcba9876543210"}, []string{}},
			{"type and value, each on its own", adminKey,
				map[string]any{"type": "md5", "value": "x.exe"}, []string{"O2"}},
			{"category", adminKey, map[string]any{"category": "Payload delivery"},
				[]string{"O2", "O5"}},
			{"object_relation", adminKey, map[string]any{"object_relation": "ip"},
				[]string{"O1", "O6"}},
			{"comment", adminKey, map[string]any{"comment": "drop%"}, []string{"O2"}},
			{"to_ids", adminKey, map[string]any{"to_ids": 0, "object_name": "domain-ip"},
				[]string{"O1"}},
			{"eventid", adminKey, map[string]any{"eventid": f.events["e2"]}, []string{"O3"}},
			{"eventid the partner may not see", partner,
				map[string]any{"eventid": f.events["e2"]}, []string{}},
			{"eventinfo", adminKey, map[string]any{"eventinfo": "%e3"}, []string{"O4", "O5"}},
			{"from and to", adminKey, map[string]any{"from": "2026-01-11", "to": "2026-01-12"},
				[]string{"O3", "O4", "O5"}},
			// Deleting O7 unpublished e1; the partner may not publish e4.
			{"published", adminKey, map[string]any{"published": 1}, []string{"O3"}},
			{"org", adminKey, map[string]any{"org": "Correlation Partner"}, []string{"O6"}},
			{"event tag", adminKey, map[string]any{"tags": "tlp:green"}, []string{"O1", "O2"}},
			{"attribute tag", adminKey, map[string]any{"tags": "tlp:amber"}, []string{"O1"}},
			{"tag NOT", adminKey, map[string]any{"tags": []any{"!tlp:green"}},
				[]string{"O3", "O4", "O5", "O6"}},
			{"event_tags", adminKey, map[string]any{"event_tags": "tlp:amber"}, []string{}},
			{"uuid of an object", adminKey, map[string]any{"uuid": f.uuids["O5"]}, []string{"O5"}},
			{"uuid of an attribute", adminKey, map[string]any{"uuid": f.uuids["O1/ip"]},
				[]string{"O1"}},
			{"first_seen", adminKey, map[string]any{"first_seen": "2025-12-31"}, []string{"O2"}},
			{"deleted only", adminKey, map[string]any{"deleted": 1}, []string{"O7"}},
			{"deleted and live", adminKey, map[string]any{"deleted": []any{0, 1},
				"eventid": f.events["e1"]}, []string{"O1", "O2", "O7"}},
			{"limit and page", adminKey, map[string]any{"limit": 2, "page": 2},
				[]string{"O3", "O4"}},
			{"searchall", adminKey, map[string]any{"searchall": "orgonly"}, []string{"O4"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, f.search(t, tt.key, tt.body)); diff != "" {
					t.Errorf("objects (-want +got):\n%s", diff)
				}
			})
		}

		t.Run("attributes the reader may see", func(t *testing.T) {
			res := f.must(200, "POST", "/objects/restSearch", partner,
				map[string]any{"uuid": f.uuids["O5"]})
			obj := res.Obj(t)["response"].([]any)[0].(map[string]any)["Object"].(map[string]any)
			var got []string
			for _, a := range obj["Attribute"].([]any) {
				got = append(got, a.(map[string]any)["object_relation"].(string))
			}
			if diff := cmp.Diff([]string{"filename"}, got); diff != "" {
				t.Errorf("partner's attributes of O5 (-want +got):\n%s", diff)
			}
		})

		t.Run("shape", func(t *testing.T) {
			res := f.must(200, "POST", "/objects/restSearch", adminKey,
				map[string]any{"uuid": f.uuids["O1"]})
			for k, want := range map[string]string{"Content-Type": contentJSON,
				"X-Export-Module-Used": "json", "X-Response-Format": "json",
				"X-Skipped-Elements-Count": "0"} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			list := res.Obj(t)["response"].([]any)
			obj := list[0].(map[string]any)["Object"].(map[string]any)
			// objects/view sends the object MISP's fetch gives, as restSearch does.
			g := loadGolden(t, "141-objects-view")
			want := g.Response.Body.(map[string]any)["Object"]
			if diffs := sameShape("Object", want, obj); len(diffs) > 0 {
				t.Errorf("shape differs from MISP:\n%s", strings.Join(diffs, "\n"))
			}
			var keys []string
			for k := range obj["Event"].(map[string]any) {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if diff := cmp.Diff([]string{"id", "info", "org_id", "orgc_id"}, keys); diff != "" {
				t.Errorf("Event members (-want +got):\n%s", diff)
			}
			raw := string(res.Raw)
			if strings.Index(raw, `"Attribute":`) > strings.Index(raw, `"Event":`) {
				t.Errorf("Event before Attribute, MISP sends it after: %s", raw)
			}
			ip := obj["Attribute"].([]any)[1].(map[string]any)
			links := ip["AttributeTag"].([]any)
			if len(links) != 1 {
				t.Fatalf("AttributeTag of the ip: %v", ip)
			}
			link := links[0].(map[string]any)
			for k, want := range map[string]any{"attribute_id": ip["id"], "event_id": ip["event_id"],
				"local": false} {
				if link[k] != want {
					t.Errorf("AttributeTag.%s = %v, want %v", k, link[k], want)
				}
			}
			tag := link["Tag"].(map[string]any)
			if tag["name"] != "tlp:amber" || link["tag_id"] != tag["id"] {
				t.Errorf("AttributeTag: %v", link)
			}
		})

		t.Run("metadata", func(t *testing.T) {
			res := f.must(200, "POST", "/objects/restSearch", adminKey,
				map[string]any{"uuid": f.uuids["O1"], "metadata": 1})
			obj := res.Obj(t)["response"].([]any)[0].(map[string]any)["Object"].(map[string]any)
			if _, ok := obj["Attribute"]; ok {
				t.Errorf("metadata: attributes sent: %v", obj)
			}
		})

		t.Run("formats and methods", func(t *testing.T) {
			res := f.must(404, "POST", "/objects/restSearch", adminKey,
				map[string]any{"returnFormat": "csv"})
			if m := res.Obj(t)["message"]; m != "Invalid output format." {
				t.Errorf("csv: %s", res.Raw)
			}
			f.must(404, "POST", "/objects/restSearch/xml", adminKey, map[string]any{})
			f.must(400, "GET", "/objects/restSearch", adminKey, nil)
			got := f.labels(t, f.must(200, "GET",
				"/objects/restSearch/returnFormat:json/object_name:file", adminKey, nil))
			if diff := cmp.Diff([]string{"O2", "O5"}, got); diff != "" {
				t.Errorf("named parameters (-want +got):\n%s", diff)
			}
			res = f.must(200, "POST", "/objects/restSearch", adminKey,
				map[string]any{"request": map[string]any{"object_name": "file"}})
			if diff := cmp.Diff([]string{"O2", "O5"}, f.labels(t, res)); diff != "" {
				t.Errorf("request wrapper (-want +got):\n%s", diff)
			}
			f.must(403, "POST", "/objects/restSearch", "", map[string]any{})
		})
	})
}
