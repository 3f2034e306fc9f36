package api

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rowCounts returns the number of rows of the tables an event write touches.
func rowCounts(t *testing.T, e *testEnv) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"events", "attributes", "objects", "object_references",
		"event_tags", "attribute_tags", "event_reports", "attribute_attachments", "audit_logs"} {
		var n int
		if err := e.db.QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func addEvent(t *testing.T, e *testEnv, key string, ev map[string]any) map[string]any {
	t.Helper()
	return eventOf(t, e.must(200, "POST", "/events/add", key, map[string]any{"Event": ev}))
}

// TestEventAddIsAtomic checks that an events/add whose child fails validation writes
// nothing at all: no event, no attribute, no object, no tag, no audit row.
func TestEventAddIsAtomic(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		addEvent(t, e, adminKey, map[string]any{"info": "before"})
		before := rowCounts(t, e)
		cases := map[string]map[string]any{
			"bad attribute value": {"info": "bad", "Tag": []any{map[string]any{"name": "new:tag"}},
				"Attribute": []any{
					map[string]any{"type": "ip-dst", "value": "192.0.2.1"},
					map[string]any{"type": "ip-dst", "value": "not an ip"},
				}},
			"bad attribute in an object": {"info": "bad", "Object": []any{map[string]any{
				"name": "domain-ip", "Attribute": []any{
					map[string]any{"object_relation": "ip", "type": "ip-dst", "value": "192.0.2.2"},
					map[string]any{"object_relation": "domain", "type": "domain", "value": "-"},
				}}}},
			"unknown type": {"info": "bad", "Attribute": []any{map[string]any{"type": "nope", "value": "x"}}},
			"taken attribute uuid": {"info": "bad", "Attribute": []any{map[string]any{
				"type": "text", "value": "a", "uuid": "3b6d06b5-9e94-4c6e-8a1d-9b2f5c0d1e2f"},
				map[string]any{"type": "text", "value": "b", "uuid": "3b6d06b5-9e94-4c6e-8a1d-9b2f5c0d1e2f"}}},
		}
		for name, ev := range cases {
			res := e.do("POST", "/events/add", adminKey, map[string]any{"Event": ev})
			if res.Status != 403 || res.Obj(t)["saved"] != false {
				t.Errorf("%s: status %d %s", name, res.Status, res.Raw)
			}
			if diff := cmp.Diff(before, rowCounts(t, e)); diff != "" {
				t.Errorf("%s: rows written (-before +after):\n%s", name, diff)
			}
		}
		res := e.must(403, "POST", "/events/add", adminKey, cases["bad attribute value"]).Obj(t)
		want := map[string]any{"Attribute": map[string]any{"1": map[string]any{
			"value": []any{"IP address has an invalid format."}}}}
		if diff := cmp.Diff(want, res["errors"]); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
	})
}

// TestEventWriteRules covers the rules of events/add and events/edit that the recorded
// requests do not: defaults, creator organisation, sharing groups, publishing, the edit's
// timestamp and uuid matching, and unpublishing on any change (Q14).
func TestEventWriteRules(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)

		ev := addEvent(t, e, c.partnerKey, map[string]any{"info": "partner event", "published": true,
			"Orgc": map[string]any{"name": "Corpus Partner Org"}})
		if ev["distribution"] != "1" || ev["threat_level_id"] != "4" || ev["published"] != false {
			t.Errorf("defaults: distribution %v, threat level %v, published %v", ev["distribution"],
				ev["threat_level_id"], ev["published"])
		}
		for _, orgc := range []string{"ORGNAME", "Some Other Org"} {
			e.must(405, "POST", "/events/add", c.partnerKey, map[string]any{"Event": map[string]any{
				"info": "x", "Orgc": map[string]any{"name": orgc}}})
		}
		if ev["orgc_id"] != c.partnerOrg || ev["org_id"] != c.partnerOrg {
			t.Errorf("partner event orgs: %v %v", ev["org_id"], ev["orgc_id"])
		}
		synced := addEvent(t, e, adminKey, map[string]any{"info": "pulled", "Orgc": map[string]any{
			"name": "Remote Org", "uuid": "0c0b2a3e-5d4c-4b3a-9a8b-7c6d5e4f3a2b"}})
		if synced["Orgc"].(map[string]any)["name"] != "Remote Org" || synced["org_id"] != "1" {
			t.Errorf("site admin's Orgc: %v", synced["Orgc"])
		}

		res := e.must(405, "POST", "/events/add", c.partnerKey, map[string]any{
			"info": "x", "distribution": 4, "sharing_group_id": 999})
		if res.Obj(t)["message"] != "Invalid Sharing Group or not authorised." {
			t.Errorf("unauthorised sharing group: %s", res.Raw)
		}
		e.must(200, "POST", "/events/add", c.partnerKey, map[string]any{
			"info": "x", "distribution": 4, "sharing_group_id": c.sg})

		pub := addEvent(t, e, adminKey, map[string]any{"info": "published", "published": true,
			"Attribute": []any{map[string]any{"type": "domain", "value": "pub.example"}}})
		if pub["published"] != true || pub["publish_timestamp"] == "0" {
			t.Errorf("published by a publisher: %v %v", pub["published"], pub["publish_timestamp"])
		}
		e.must(403, "POST", "/events/add", adminKey, map[string]any{"info": "empty", "published": true})

		// Any change of content unpublishes and moves the timestamp.
		id := pub["id"].(string)
		e.must(200, "POST", "/attributes/add/"+id, adminKey, map[string]any{"type": "md5",
			"value": strings.Repeat("a", 32)})
		after := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if after["published"] != false || after["timestamp"].(string) < pub["timestamp"].(string) ||
			after["attribute_count"] != "2" {
			t.Errorf("after attributes/add: published %v, timestamp %v, count %v",
				after["published"], after["timestamp"], after["attribute_count"])
		}

		// events/edit: children by uuid, newer only; absent ones kept; deleted soft-deletes.
		attrs := after["Attribute"].([]any)
		first, second := attrs[0].(map[string]any), attrs[1].(map[string]any)
		edited := eventOf(t, e.must(200, "POST", "/events/edit/"+id, adminKey, map[string]any{
			"Event": map[string]any{"info": "edited", "published": true, "Attribute": []any{
				map[string]any{"uuid": first["uuid"], "comment": "stale", "timestamp": "1"},
				map[string]any{"uuid": second["uuid"], "deleted": true},
				map[string]any{"type": "ip-src", "value": "192.0.2.9"},
			}}}))
		if edited["info"] != "edited" || edited["published"] != true || edited["attribute_count"] != "2" {
			t.Errorf("edit: info %v, published %v, count %v", edited["info"], edited["published"],
				edited["attribute_count"])
		}
		got := map[string]string{}
		for _, a := range edited["Attribute"].([]any) {
			got[a.(map[string]any)["value"].(string)] = a.(map[string]any)["comment"].(string)
		}
		if diff := cmp.Diff(map[string]string{"pub.example": "", "192.0.2.9": ""}, got); diff != "" {
			t.Errorf("attributes after edit (-want +got):\n%s", diff)
		}
		withDeleted := eventOf(t, e.must(200, "GET", "/events/view/"+id+"/deleted:1", adminKey, nil))
		if n := len(withDeleted["Attribute"].([]any)); n != 3 {
			t.Errorf("deleted:1 shows %d attributes, want 3", n)
		}
		unpub := eventOf(t, e.must(200, "POST", "/events/edit/"+id, adminKey,
			map[string]any{"info": "edited again"}))
		if unpub["published"] != false {
			t.Errorf("an edit without published left the event published")
		}
		e.must(403, "POST", "/events/edit/"+id, c.partnerKey, map[string]any{"info": "x"})
	})
}

// TestAttributeEndpoints covers attributes/add with value lists and breakOnDuplicate,
// attachments, restore, tags, and the refusal texts.
func TestAttributeEndpoints(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)
		ev := addEvent(t, e, adminKey, map[string]any{"info": "attrs"})
		id := ev["id"].(string)

		res := e.must(200, "POST", "/attributes/add/"+id, adminKey, map[string]any{
			"type": "ip-dst", "value": []any{"192.0.2.1", "192.0.2.2"}}).Obj(t)
		if n := len(res["Attribute"].([]any)); n != 2 {
			t.Fatalf("value list gave %d attributes: %v", n, res)
		}
		e.must(403, "POST", "/attributes/add/"+id, adminKey, map[string]any{"type": "ip-dst", "value": "192.0.2.1"})
		dup := e.must(200, "POST", "/attributes/add/"+id+"/breakOnDuplicate:0", adminKey,
			map[string]any{"type": "ip-dst", "value": "192.0.2.1"}).Obj(t)
		if dup["Attribute"].(map[string]any)["value"] != "192.0.2.1" {
			t.Errorf("breakOnDuplicate:0: %v", dup)
		}
		mixed := e.must(200, "POST", "/attributes/add/"+id, adminKey, []any{
			map[string]any{"type": "domain", "value": "ok.example"},
			map[string]any{"type": "domain", "value": "bad domain"}}).Obj(t)
		if _, ok := mixed["errors"].(map[string]any)["attribute_1"]; !ok {
			t.Errorf("partial failure: %v", mixed)
		}
		if res := e.do("POST", "/attributes/add/"+id, adminKey, map[string]any{
			"type": "ip-dst", "value": "192.0.2.50", "distribution": 4, "sharing_group_id": 12345}); res.Status != 405 {
			t.Errorf("attribute with an unauthorised sharing group: %d %s", res.Status, res.Raw)
		}

		data := base64.StdEncoding.EncodeToString([]byte("hello attachment"))
		att := e.must(200, "POST", "/attributes/add/"+id, adminKey, map[string]any{
			"type": "attachment", "value": "hello.txt", "data": data}).Obj(t)["Attribute"].(map[string]any)
		attID := att["id"].(string)
		view := e.must(200, "GET", "/attributes/view/"+attID, adminKey, nil).Obj(t)["Attribute"].(map[string]any)
		if _, ok := view["data"]; ok {
			t.Errorf("data sent without withAttachments")
		}
		view = e.must(200, "GET", "/attributes/view/"+attID+"/withAttachments:1", adminKey, nil).Obj(t)["Attribute"].(map[string]any)
		if view["data"] != data {
			t.Errorf("attachment data %v", view["data"])
		}
		full := eventOf(t, e.must(200, "GET", "/events/view/"+id+"/includeAttachments:1", adminKey, nil))
		found := false
		for _, a := range full["Attribute"].([]any) {
			found = found || a.(map[string]any)["data"] == data
		}
		if !found {
			t.Errorf("events/view includeAttachments:1 without the data")
		}

		e.must(200, "POST", "/attributes/delete/"+attID, adminKey, nil)
		e.must(405, "GET", "/attributes/view/"+attID, adminKey, nil)
		e.must(404, "HEAD", "/attributes/view/"+attID, adminKey, nil)
		restored := e.must(200, "POST", "/attributes/restore/"+attID, adminKey, nil).Obj(t)
		if restored["Attribute"].(map[string]any)["deleted"] != false {
			t.Errorf("restore: %v", restored)
		}
		e.must(200, "HEAD", "/attributes/view/"+attID, adminKey, nil)

		tagged := e.must(200, "POST", "/attributes/addTag/"+attID+"/tlp:amber", adminKey, nil).Obj(t)
		if tagged["saved"] != true || tagged["success"] != "Tag added." {
			t.Errorf("attributes/addTag: %v", tagged)
		}
		view = e.must(200, "GET", "/attributes/view/"+attID, adminKey, nil).Obj(t)["Attribute"].(map[string]any)
		if tags, _ := view["Tag"].([]any); len(tags) != 1 {
			t.Errorf("attribute tags after addTag: %v", view["Tag"])
		}
		untagged := e.must(200, "POST", "/attributes/removeTag/"+attID+"/tlp:amber", adminKey, nil).Obj(t)
		if untagged["success"] != "Tag removed." {
			t.Errorf("attributes/removeTag: %v", untagged)
		}
		refused := e.must(200, "POST", "/events/addTag/"+id+"/tlp:red", c.partnerKey, nil).Obj(t)
		if refused["saved"] != false {
			t.Errorf("partner tagged a foreign event: %v", refused)
		}
		e.must(200, "POST", "/attributes/edit/"+attID, adminKey, map[string]any{"comment": "x"})
		e.must(403, "POST", "/attributes/edit/"+attID, c.partnerKey, map[string]any{"comment": "x"})
		e.must(403, "POST", "/attributes/edit/"+attID, adminKey, map[string]any{"timestamp": 1})
	})
}

// TestEventIndexFilters covers the filters, paging, sorting and visibility of events/index.
func TestEventIndexFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)
		a := addEvent(t, e, adminKey, map[string]any{"info": "alpha", "distribution": 0, "threat_level_id": 1,
			"Tag":       []any{map[string]any{"name": "tlp:red"}},
			"Attribute": []any{map[string]any{"type": "domain", "value": "alpha.example"}}})
		b := addEvent(t, e, adminKey, map[string]any{"info": "beta", "distribution": 1, "threat_level_id": 2,
			"published": true, "Attribute": []any{map[string]any{"type": "domain", "value": "beta.example"}}})
		p := addEvent(t, e, c.partnerKey, map[string]any{"info": "gamma", "distribution": 0})

		ids := func(res response) []string {
			var out []string
			for _, row := range res.JSON(t).([]any) {
				out = append(out, row.(map[string]any)["id"].(string))
			}
			return out
		}
		cases := []struct {
			name, key string
			body      map[string]any
			path      string
			want      []string
		}{
			{"all", adminKey, nil, "", []string{a["id"].(string), b["id"].(string), p["id"].(string)}},
			{"partner sees its own and the community's", c.partnerKey, nil, "", []string{b["id"].(string), p["id"].(string)}},
			{"published", adminKey, map[string]any{"published": 1}, "", []string{b["id"].(string)}},
			{"eventinfo", adminKey, map[string]any{"eventinfo": "ALP"}, "", []string{a["id"].(string)}},
			{"searchtag", adminKey, map[string]any{"searchtag": "tlp:red"}, "", []string{a["id"].(string)}},
			{"not tag", adminKey, map[string]any{"tag": "!tlp:red"}, "", []string{b["id"].(string), p["id"].(string)}},
			{"org", adminKey, map[string]any{"org": c.partnerOrg}, "", []string{p["id"].(string)}},
			{"eventid list", adminKey, map[string]any{"eventid": []any{a["id"], p["id"]}}, "", []string{a["id"].(string), p["id"].(string)}},
			{"value", adminKey, map[string]any{"value": "beta.ex"}, "", []string{b["id"].(string)}},
			{"threatlevel", adminKey, map[string]any{"threatlevel": "2"}, "", []string{b["id"].(string)}},
			{"named search", adminKey, nil, "/searcheventinfo:gamma", []string{p["id"].(string)}},
			{"bare named ignored", adminKey, nil, "/eventinfo:gamma", []string{a["id"].(string), b["id"].(string), p["id"].(string)}},
			{"sort desc", adminKey, map[string]any{"sort": "id", "direction": "desc", "limit": 2}, "", []string{p["id"].(string), b["id"].(string)}},
			{"page 2", adminKey, nil, "/limit:2/page:2", []string{p["id"].(string)}},
		}
		for _, tc := range cases {
			method := "GET"
			var body any
			if tc.body != nil {
				method, body = "POST", tc.body
			}
			res := e.must(200, method, "/events/index"+tc.path, tc.key, body)
			if diff := cmp.Diff(tc.want, ids(res)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
		res := e.must(200, "GET", "/events/index/limit:1", adminKey, nil)
		if res.Header.Get("X-Result-Count") != "3" {
			t.Errorf("X-Result-Count %q, want the total 3", res.Header.Get("X-Result-Count"))
		}
		row := e.must(200, "POST", "/events/index", adminKey, map[string]any{"eventid": a["id"]}).JSON(t).([]any)[0].(map[string]any)
		tags := row["EventTag"].([]any)
		if len(tags) != 1 || tags[0].(map[string]any)["Tag"].(map[string]any)["name"] != "tlp:red" {
			t.Errorf("EventTag: %v", tags)
		}
		min := e.must(200, "POST", "/events/index", adminKey, map[string]any{"minimal": 1}).JSON(t).([]any)
		if len(min) != 3 || len(min[0].(map[string]any)) != 6 {
			t.Errorf("minimal: %v", min)
		}

		del := e.must(200, "POST", "/events/delete", adminKey, map[string]any{"id": []any{a["id"], "999999"}}).Obj(t)
		if !strings.HasPrefix(del["message"].(string), "1 event(s) deleted.") {
			t.Errorf("delete of a list: %v", del)
		}
		var blocked int
		if err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM event_blocklists
			WHERE event_uuid = $1`, a["uuid"]).Scan(&blocked); err != nil || blocked != 1 {
			t.Errorf("deleted event not blocklisted: %d %v", blocked, err)
		}
		e.must(403, "POST", "/events/add", adminKey, map[string]any{"info": "again", "uuid": a["uuid"]})
	})
}

// TestObjectsAndReferences covers objects/add with references, objects/edit's delta merge,
// the deletes, and the audit log of the writes.
func TestObjectsAndReferences(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ev := addEvent(t, e, adminKey, map[string]any{"info": "objects",
			"Attribute": []any{map[string]any{"type": "ip-dst", "value": "192.0.2.7"}}})
		id := ev["id"].(string)
		target := ev["Attribute"].([]any)[0].(map[string]any)["uuid"].(string)

		obj := e.must(200, "POST", "/objects/add/"+id, adminKey, map[string]any{
			"name": "domain-ip", "meta-category": "network", "template_version": 11,
			"template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "description": "domain and ip",
			"Attribute": []any{
				map[string]any{"object_relation": "domain", "type": "domain", "value": "x.example"},
				map[string]any{"object_relation": "ip", "type": "ip-dst", "value": "192.0.2.8"}},
			"ObjectReference": []any{map[string]any{"referenced_uuid": target, "relationship_type": "resolves-to"}},
		}).Obj(t)["Object"].(map[string]any)
		objID := obj["id"].(string)
		view := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		o := view["Object"].([]any)[0].(map[string]any)
		refs := o["ObjectReference"].([]any)
		if len(refs) != 1 || refs[0].(map[string]any)["Attribute"] == nil {
			t.Errorf("object reference to an attribute: %v", refs)
		}
		ref := e.must(200, "POST", "/objectReferences/add/"+objID, adminKey, map[string]any{
			"referenced_uuid": target, "relationship_type": "related-to"}).Obj(t)["ObjectReference"].(map[string]any)
		e.must(200, "POST", "/objectReferences/delete/"+ref["id"].(string), adminKey, nil)
		e.must(200, "POST", "/objectReferences/delete/"+ref["id"].(string)+"/true", adminKey, nil)
		e.must(404, "POST", "/objectReferences/delete/"+ref["id"].(string), adminKey, nil)

		edited := e.must(200, "POST", "/objects/edit/"+objID, adminKey, map[string]any{"Object": map[string]any{
			"comment": "merged", "Attribute": []any{
				map[string]any{"object_relation": "domain", "type": "domain", "value": "x.example"},
				map[string]any{"object_relation": "port", "type": "port", "value": "443"}}}}).Obj(t)
		var values []string
		for _, a := range edited["Object"].(map[string]any)["Attribute"].([]any) {
			values = append(values, a.(map[string]any)["value"].(string))
		}
		if diff := cmp.Diff([]string{"x.example", "443"}, values); diff != "" {
			t.Errorf("objects/edit attributes (-want +got):\n%s", diff)
		}
		e.must(200, "HEAD", "/objects/view/"+objID, adminKey, nil)
		e.must(200, "POST", "/objects/delete/"+objID, adminKey, nil)
		e.must(404, "GET", "/objects/view/"+objID, adminKey, nil)
		after := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if len(after["Object"].([]any)) != 0 || after["attribute_count"] != "1" {
			t.Errorf("after objects/delete: objects %v, count %v", after["Object"], after["attribute_count"])
		}
		e.must(200, "POST", "/objects/delete/"+objID+"/1", adminKey, nil)

		var n int
		err := e.db.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_logs
			WHERE event_id = $1 AND model IN ('Object', 'ObjectReference', 'Attribute')`, id).Scan(&n)
		if err != nil || n < 8 {
			t.Errorf("audit rows of the object writes: %d (%v)", n, err)
		}
		var change []byte
		err = e.db.QueryRowContext(context.Background(), `SELECT change FROM audit_logs
			WHERE model = 'Object' AND action = 'edit' AND model_id = $1`, objID).Scan(&change)
		if err != nil || !strings.Contains(string(change), `"comment":["","merged"]`) {
			t.Errorf("audit change of objects/edit: %s (%v)", change, err)
		}
	})
}
