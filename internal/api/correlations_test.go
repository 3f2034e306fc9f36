package api

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corrEnv is a server with a partner organisation, one of its users, and two sharing
// groups: one that lists the partner and one that does not.
type corrEnv struct {
	*testEnv
	t                 *testing.T
	partnerKey        string
	sgWith, sgWithout string
}

func newCorrEnv(t *testing.T, e *testEnv) *corrEnv {
	org := e.must(200, "POST", "/admin/organisations/add", adminKey,
		map[string]any{"name": "Correlation Partner"}).Obj(t)["Organisation"].(map[string]any)
	user := e.must(200, "POST", "/admin/users/add", adminKey,
		map[string]any{"email": "p@corr.test", "org_id": org["id"], "role_id": 3}).Obj(t)
	c := &corrEnv{testEnv: e, t: t, partnerKey: user["User"].(map[string]any)["authkey"].(string)}
	sg := func(name string, orgs ...any) string {
		var members []any
		for _, o := range orgs {
			members = append(members, map[string]any{"org_id": o})
		}
		res := e.must(200, "POST", "/sharing_groups/add", adminKey, map[string]any{
			"name": name, "releasability": "r", "SharingGroupOrg": members}).Obj(t)
		return res["SharingGroup"].(map[string]any)["id"].(string)
	}
	c.sgWith, c.sgWithout = sg("with partner", org["id"]), sg("without partner")
	return c
}

// with returns c reporting to the subtest t.
func (c *corrEnv) with(t *testing.T) *corrEnv {
	e := *c.testEnv
	e.t = t
	out := *c
	out.testEnv, out.t = &e, t
	return &out
}

// add creates an event as key with the attributes attrs ({type, value} pairs or maps) and
// the event members in extra, and returns its id and its attributes' ids in order.
func (c *corrEnv) add(t *testing.T, key string, extra map[string]any, attrs ...any) (string, []string) {
	t.Helper()
	ev := map[string]any{"info": "correlation test", "distribution": 1, "published": true}
	for k, v := range extra {
		ev[k] = v
	}
	var list []any
	for i := 0; i < len(attrs); i++ {
		switch a := attrs[i].(type) {
		case map[string]any:
			list = append(list, a)
		case string:
			list = append(list, map[string]any{"type": a, "value": attrs[i+1]})
			i++
		}
	}
	if list != nil {
		ev["Attribute"] = list
	} else {
		ev["published"] = false // MISP refuses to publish an empty event
	}
	got := eventOf(t, c.must(200, "POST", "/events/add", key, map[string]any{"Event": ev}))
	var ids []string
	for _, a := range got["Attribute"].([]any) {
		ids = append(ids, a.(map[string]any)["id"].(string))
	}
	return got["id"].(string), ids
}

// view returns events/view of id as key, with the named parameters in suffix.
func (c *corrEnv) view(t *testing.T, key, id, suffix string) map[string]any {
	t.Helper()
	return eventOf(t, c.must(200, "GET", "/events/view/"+id+suffix, key, nil))
}

// related returns the ids of RelatedEvent in events/view of id, in their order.
func (c *corrEnv) related(t *testing.T, key, id string) []string {
	t.Helper()
	return relatedIDs(c.view(t, key, id, ""))
}

func relatedIDs(ev map[string]any) []string {
	out := []string{}
	for _, r := range ev["RelatedEvent"].([]any) {
		out = append(out, r.(map[string]any)["Event"].(map[string]any)["id"].(string))
	}
	return out
}

func (c *corrEnv) wantRelated(t *testing.T, key, id string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if diff := cmp.Diff(want, c.related(t, key, id)); diff != "" {
		t.Errorf("RelatedEvent of event %s (-want +got):\n%s", id, diff)
	}
}

// rows returns the number of rows of the correlation index for an event.
func (c *corrEnv) rows(t *testing.T, eventID string) int {
	t.Helper()
	var n int
	err := c.db.QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM correlations WHERE event_id = $1`, eventID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (c *corrEnv) setting(t *testing.T, name string, value any) {
	t.Helper()
	c.must(200, "POST", "/servers/serverSettingsEdit/"+name, adminKey, map[string]any{"value": value})
}

// TestCorrelationRules checks the rules of reference §4.1 to §4.4 through the API, on both
// databases: which attributes correlate, how values match, what the reader may see of the
// other side, and how every write keeps the index.
func TestCorrelationRules(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c *corrEnv)
	}{
		{"across events, never inside one", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "ip-dst", "192.0.2.1", "ip-src", "192.0.2.1")
			b, _ := c.add(t, adminKey, nil, "ip-dst", "192.0.2.1")
			c.wantRelated(t, adminKey, a, b)
			c.wantRelated(t, adminKey, b, a)
			if n := c.rows(t, a); n != 2 {
				t.Errorf("%d index rows for two correlating attributes, want 2", n)
			}
		}},
		{"newest date first", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, map[string]any{"date": "2020-01-01"}, "domain", "order.example")
			b, _ := c.add(t, adminKey, map[string]any{"date": "2021-01-01"}, "domain", "order.example")
			d, _ := c.add(t, adminKey, map[string]any{"date": "2020-06-01"}, "domain", "order.example")
			x, _ := c.add(t, adminKey, map[string]any{"date": "2020-06-01"}, "domain", "order.example")
			c.wantRelated(t, adminKey, a, b, d, x)
		}},
		{"non-correlating types", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "comment", "shared words", "port", "8443")
			b, _ := c.add(t, adminKey, nil, "text", "shared words", "text", "8443")
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows for non-correlating types", n)
			}
		}},
		{"port types correlate on value1 only", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "ip-dst|port", "192.0.2.2|8444")
			b, _ := c.add(t, adminKey, nil, "ip-dst", "192.0.2.2")
			d, _ := c.add(t, adminKey, nil, "text", "8444")
			c.wantRelated(t, adminKey, a, b)
			c.wantRelated(t, adminKey, d)
		}},
		{"composite parts", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "domain|ip", "parts.example|192.0.2.3",
				"filename|md5", "parts.exe|0123456789abcdef0123456789abcdef")
			b, _ := c.add(t, adminKey, nil, "domain", "parts.example")
			d, _ := c.add(t, adminKey, nil, "ip-src", "192.0.2.3")
			x, _ := c.add(t, adminKey, nil, "md5", "0123456789abcdef0123456789abcdef")
			y, _ := c.add(t, adminKey, nil, "text", "parts.example|192.0.2.3")
			c.wantRelated(t, adminKey, a, b, d, x)
			c.wantRelated(t, adminKey, y)
		}},
		{"case is not folded", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "text", "CaseValue")
			b, _ := c.add(t, adminKey, nil, "text", "casevalue")
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, b)
		}},
		{"attribute disable_correlation", func(t *testing.T, c *corrEnv) {
			a, ids := c.add(t, adminKey, nil, map[string]any{"type": "domain",
				"value": "off.example", "disable_correlation": true})
			b, _ := c.add(t, adminKey, nil, "domain", "off.example")
			c.wantRelated(t, adminKey, b)
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"disable_correlation": false})
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"disable_correlation": true})
			c.wantRelated(t, adminKey, b)
		}},
		{"event disable_correlation", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, map[string]any{"disable_correlation": true},
				"domain", "evoff.example")
			b, _ := c.add(t, adminKey, nil, "domain", "evoff.example")
			c.wantRelated(t, adminKey, b)
			edit := func(off bool) {
				c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
					"disable_correlation": off, "published": true}})
			}
			edit(false)
			c.wantRelated(t, adminKey, b, a)
			c.wantRelated(t, adminKey, a, b)
			edit(true)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows left for an event that disables correlation", n)
			}
		}},
		{"soft delete, restore, hard delete", func(t *testing.T, c *corrEnv) {
			a, ids := c.add(t, adminKey, nil, "sha256", strings.Repeat("ab", 32))
			b, _ := c.add(t, adminKey, nil, "sha256", strings.Repeat("ab", 32))
			c.must(200, "POST", "/attributes/delete/"+ids[0], adminKey, nil)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows left for a soft-deleted attribute", n)
			}
			c.must(200, "POST", "/attributes/restore/"+ids[0], adminKey, nil)
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/attributes/delete/"+ids[0]+"/1", adminKey, nil)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows left for a hard-deleted attribute", n)
			}
		}},
		{"value edit moves the correlation", func(t *testing.T, c *corrEnv) {
			a, ids := c.add(t, adminKey, nil, "hostname", "old.move.example")
			old, _ := c.add(t, adminKey, nil, "hostname", "old.move.example")
			nw, _ := c.add(t, adminKey, nil, "hostname", "new.move.example")
			c.wantRelated(t, adminKey, a, old)
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"value": "new.move.example"})
			c.wantRelated(t, adminKey, a, nw)
			c.wantRelated(t, adminKey, old)
			c.wantRelated(t, adminKey, nw, a)
		}},
		{"events/edit adds, changes and deletes attributes", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil)
			b, _ := c.add(t, adminKey, nil, "url", "https://edit.example/a", "url", "https://edit.example/b")
			c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
				"Attribute": []any{map[string]any{"type": "url", "value": "https://edit.example/a",
					"uuid": "5f0e4c1a-3b2d-4e6f-8a9b-0c1d2e3f4a5b"}}}})
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
				"Attribute": []any{map[string]any{"uuid": "5f0e4c1a-3b2d-4e6f-8a9b-0c1d2e3f4a5b",
					"value": "https://edit.example/elsewhere"}}}})
			c.wantRelated(t, adminKey, b)
			c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
				"Attribute": []any{map[string]any{"uuid": "5f0e4c1a-3b2d-4e6f-8a9b-0c1d2e3f4a5b",
					"value": "https://edit.example/b"}}}})
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
				"Attribute": []any{map[string]any{"uuid": "5f0e4c1a-3b2d-4e6f-8a9b-0c1d2e3f4a5b",
					"deleted": true}}}})
			c.wantRelated(t, adminKey, b)
		}},
		{"objects add, edit and delete", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil)
			b, _ := c.add(t, adminKey, nil, "ip-dst", "192.0.2.40", "domain", "obj.example")
			obj := c.must(200, "POST", "/objects/add/"+a, adminKey, map[string]any{"Object": map[string]any{
				"name": "domain-ip", "meta-category": "network", "description": "domain and ip",
				"template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "template_version": 11,
				"Attribute": []any{
					map[string]any{"object_relation": "ip", "type": "ip-dst", "value": "192.0.2.40"}}}}).
				Obj(t)["Object"].(map[string]any)
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/objects/edit/"+obj["id"].(string), adminKey, map[string]any{
				"Object": map[string]any{"Attribute": []any{map[string]any{
					"object_relation": "domain", "type": "domain", "value": "obj.example"}}}})
			got := c.view(t, adminKey, a, "/includeGranularCorrelations:1")
			rel := got["Object"].([]any)[0].(map[string]any)["Attribute"].([]any)
			if len(rel) != 1 || rel[0].(map[string]any)["value"] != "obj.example" ||
				len(rel[0].(map[string]any)["RelatedAttribute"].([]any)) != 1 {
				t.Errorf("object attributes after objects/edit: %v", rel)
			}
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/objects/delete/"+obj["id"].(string), adminKey, nil)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows left for a deleted object", n)
			}
		}},
		{"event delete", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "email-src", "gone@delete.example")
			b, _ := c.add(t, adminKey, nil, "email-src", "gone@delete.example")
			c.must(200, "POST", "/events/delete/"+a, adminKey, nil)
			c.wantRelated(t, adminKey, b)
			if n := c.rows(t, a); n != 0 {
				t.Errorf("%d index rows left for a deleted event", n)
			}
		}},
		{"distribution hides the other side", func(t *testing.T, c *corrEnv) {
			mine, _ := c.add(t, c.partnerKey, nil, "domain", "dist.example", "ip-dst", "192.0.2.50")
			a, _ := c.add(t, adminKey, nil, "domain", "dist.example")
			b, _ := c.add(t, adminKey, nil, map[string]any{"type": "ip-dst", "value": "192.0.2.50",
				"distribution": 0})
			c.wantRelated(t, c.partnerKey, mine, a)
			c.wantRelated(t, adminKey, mine, a, b)
			c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
				"distribution": 0, "published": true}})
			c.wantRelated(t, c.partnerKey, mine)
			c.wantRelated(t, adminKey, mine, a, b)
		}},
		{"own attributes the reader may not see", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, map[string]any{"type": "domain", "value": "own.example",
				"distribution": 0})
			mine, _ := c.add(t, c.partnerKey, nil, "domain", "own.example")
			c.wantRelated(t, c.partnerKey, a)
			c.wantRelated(t, c.partnerKey, mine)
			c.wantRelated(t, adminKey, a, mine)
		}},
		{"sharing groups on the other side", func(t *testing.T, c *corrEnv) {
			mine, _ := c.add(t, c.partnerKey, nil, "domain", "sg1.example", "domain", "sg2.example",
				"domain", "sg3.example")
			with, _ := c.add(t, adminKey, map[string]any{"distribution": 4,
				"sharing_group_id": c.sgWith}, "domain", "sg1.example")
			without, _ := c.add(t, adminKey, map[string]any{"distribution": 4,
				"sharing_group_id": c.sgWithout}, "domain", "sg2.example")
			attrSG, _ := c.add(t, adminKey, nil, map[string]any{"type": "domain",
				"value": "sg3.example", "distribution": 4, "sharing_group_id": c.sgWithout})
			c.wantRelated(t, c.partnerKey, mine, with)
			c.wantRelated(t, adminKey, mine, with, without, attrSG)
		}},
		{"a hash collision is not a correlation", func(t *testing.T, c *corrEnv) {
			a, ids := c.add(t, adminKey, nil, "text", "collides with")
			b, other := c.add(t, adminKey, nil, "text", "something else")
			// Give b's attribute the hash of a's value, as a collision would.
			_, err := c.db.ExecContext(context.Background(), `
				UPDATE correlations SET value_hash =
					(SELECT value_hash FROM correlations WHERE attribute_id = $1)
				WHERE attribute_id = $2`, ids[0], other[0])
			if err != nil {
				t.Fatal(err)
			}
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, b)
			ev := c.view(t, adminKey, a, "/includeGranularCorrelations:1")
			if _, ok := ev["Attribute"].([]any)[0].(map[string]any)["RelatedAttribute"]; ok {
				t.Errorf("granular correlation on a collision: %v", ev["Attribute"])
			}
		}},
		{"exclusions", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "domain", "x.excluded.example", "ip-dst", "198.18.0.1",
				"text", "Keep.Excluded")
			b, _ := c.add(t, adminKey, nil, "domain", "x.excluded.example", "ip-dst", "198.18.0.1",
				"text", "Keep.Excluded")
			c.wantRelated(t, adminKey, a, b)
			ex := c.must(200, "POST", "/correlation_exclusions/add", adminKey,
				map[string]any{"value": "%.excluded.example", "comment": "test"}).
				Obj(t)["CorrelationExclusion"].(map[string]any)
			ip := c.must(200, "POST", "/correlation_exclusions/add", adminKey,
				map[string]any{"CorrelationExclusion": map[string]any{"value": "198.18.0.1"}}).
				Obj(t)["CorrelationExclusion"].(map[string]any)
			// The text attributes still correlate: the suffix is case-sensitive.
			if n := c.rows(t, a); n != 1 {
				t.Errorf("%d index rows after the exclusions, want 1", n)
			}
			c.must(200, "POST", "/correlation_exclusions/add", adminKey,
				map[string]any{"value": "Keep%"})
			c.wantRelated(t, adminKey, a)
			ev := c.view(t, adminKey, a, "/includeGranularCorrelations:1")
			for _, at := range ev["Attribute"].([]any) {
				if at.(map[string]any)["correlation_exclusion"] != true {
					t.Errorf("excluded attribute without correlation_exclusion: %v", at)
				}
			}
			c.must(403, "POST", "/correlation_exclusions/add", adminKey,
				map[string]any{"value": "198.18.0.1"})
			c.must(200, "POST", "/correlation_exclusions/delete/"+ip["id"].(string), adminKey, nil)
			c.must(200, "POST", "/correlation_exclusions/delete/"+ex["id"].(string), adminKey, nil)
			c.wantRelated(t, adminKey, a, b)
			if n := c.rows(t, a); n != 2 {
				t.Errorf("%d index rows after removing two exclusions, want 2", n)
			}
			list := c.must(200, "GET", "/correlation_exclusions", adminKey, nil).JSON(t).([]any)
			if len(list) != 1 {
				t.Errorf("exclusions left: %v", list)
			}
			c.must(404, "POST", "/correlation_exclusions/delete/"+ip["id"].(string), adminKey, nil)
			c.must(403, "GET", "/correlation_exclusions", c.partnerKey, nil)
			c.must(403, "POST", "/correlation_exclusions/add", c.partnerKey, map[string]any{"value": "x"})
		}},
		{"clean removes rows that exclusions match", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "domain", "clean.example")
			b, _ := c.add(t, adminKey, nil, "domain", "clean.example")
			// An exclusion written behind the index's back, as an import would.
			_, err := c.db.ExecContext(context.Background(),
				`INSERT INTO correlation_exclusions (value, comment) VALUES ('clean.example', '')`)
			if err != nil {
				t.Fatal(err)
			}
			// Readers apply the exclusions at once; the rows stay until the clean.
			c.wantRelated(t, adminKey, a)
			if n := c.rows(t, a); n != 1 {
				t.Errorf("%d index rows before the clean, want 1", n)
			}
			res := c.must(200, "POST", "/correlation_exclusions/clean", adminKey, nil).Obj(t)
			if res["success"] != true {
				t.Errorf("clean: %v", res)
			}
			if n := c.rows(t, a) + c.rows(t, b); n != 0 {
				t.Errorf("%d index rows after the clean, want 0", n)
			}
		}},
		{"over-correlation limit", func(t *testing.T, c *corrEnv) {
			c.setting(t, "MISP.correlation_limit", 3)
			defer c.setting(t, "MISP.correlation_limit", 20)
			var ids []string
			for range 4 {
				id, _ := c.add(t, adminKey, nil, "ip-dst", "198.18.1.1", "domain", "under.example")
				ids = append(ids, id)
			}
			five, _ := c.add(t, adminKey, nil, "domain", "under.example")
			ev := c.view(t, adminKey, ids[0], "/includeGranularCorrelations:1")
			if got := relatedIDs(ev); len(got) != 0 {
				t.Errorf("RelatedEvent of an over-correlating value: %v", got)
			}
			attrs := ev["Attribute"].([]any)
			if attrs[0].(map[string]any)["over_correlation"] != true ||
				attrs[1].(map[string]any)["over_correlation"] != true {
				t.Errorf("over_correlation flags: %v", attrs)
			}
			over := c.must(200, "GET", "/correlations/overCorrelations", adminKey, nil).JSON(t).([]any)
			var values []string
			for _, o := range over {
				v := o.(map[string]any)["OverCorrelatingValue"].(map[string]any)
				if v["value"] == "under.example" || v["value"] == "198.18.1.1" {
					values = append(values, fmt.Sprint(v["value"], "=", v["occurrence"]))
				}
			}
			if diff := cmp.Diff([]string{"under.example=5", "198.18.1.1=4"}, values); diff != "" {
				t.Errorf("overCorrelations (-want +got):\n%s", diff)
			}
			c.must(200, "POST", "/events/delete/"+five, adminKey, nil)
			c.must(200, "POST", "/events/delete/"+ids[3], adminKey, nil)
			c.wantRelated(t, adminKey, ids[0], ids[1], ids[2])
			c.must(403, "GET", "/correlations/overCorrelations", c.partnerKey, nil)
		}},
		{"completely_disable_correlation hides, and keeps the index", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "domain", "disabled.example")
			c.setting(t, "MISP.completely_disable_correlation", true)
			b, _ := c.add(t, adminKey, nil, "domain", "disabled.example")
			c.wantRelated(t, adminKey, a)
			c.setting(t, "MISP.completely_disable_correlation", false)
			c.wantRelated(t, adminKey, a, b)
		}},
		{"includeEventCorrelations:0", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "domain", "nocorr.example")
			c.add(t, adminKey, nil, "domain", "nocorr.example")
			if got := relatedIDs(c.view(t, adminKey, a, "/includeEventCorrelations:0")); len(got) != 0 {
				t.Errorf("RelatedEvent with includeEventCorrelations:0: %v", got)
			}
		}},
	}
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorrEnv(t, e)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, c.with(t)) })
		}
	})
}

// TestCorrelationGranular checks RelatedAttribute on events/view and on attributes/restSearch
// with includeCorrelations: contents, order, and the reader's rights on the other side.
func TestCorrelationGranular(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorrEnv(t, e)
		a, aIDs := c.add(t, adminKey, nil, "ip-dst", "203.0.113.7", "domain", "gran.example")
		b, bIDs := c.add(t, adminKey, nil, "domain|ip", "gran.example|203.0.113.7")
		d, dIDs := c.add(t, adminKey, map[string]any{"distribution": 0}, "ip-src", "203.0.113.7")
		mine, mineIDs := c.add(t, c.partnerKey, nil, "ip-dst", "203.0.113.7")

		ev := c.view(t, adminKey, a, "/includeGranularCorrelations:1")
		type rel struct{ ID, Value, EventID string }
		relOf := func(at any) []rel {
			var out []rel
			list, _ := at.(map[string]any)["RelatedAttribute"].([]any)
			for _, r := range list {
				m := r.(map[string]any)
				out = append(out, rel{m["id"].(string), m["value"].(string), m["event_id"].(string)})
			}
			return out
		}
		attrs := ev["Attribute"].([]any)
		want := []rel{{bIDs[0], "203.0.113.7", b}, {dIDs[0], "203.0.113.7", d},
			{mineIDs[0], "203.0.113.7", mine}}
		if diff := cmp.Diff(want, relOf(attrs[0])); diff != "" {
			t.Errorf("RelatedAttribute of the ip (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]rel{{bIDs[0], "gran.example", b}}, relOf(attrs[1])); diff != "" {
			t.Errorf("RelatedAttribute of the domain (-want +got):\n%s", diff)
		}

		// The partner sees neither the organisation-only event nor, in its own event, more
		// than what it may see of the others.
		got := relOf(c.view(t, c.partnerKey, mine, "/includeGranularCorrelations:1")["Attribute"].([]any)[0])
		if diff := cmp.Diff([]rel{{aIDs[0], "203.0.113.7", a}, {bIDs[0], "203.0.113.7", b}}, got); diff != "" {
			t.Errorf("partner's RelatedAttribute (-want +got):\n%s", diff)
		}

		search := func(key string) map[string][]string {
			res := c.must(200, "POST", "/attributes/restSearch", key, map[string]any{
				"value": "203.0.113.7", "includeCorrelations": 1}).Obj(t)
			out := map[string][]string{}
			for _, at := range res["response"].(map[string]any)["Attribute"].([]any) {
				m := at.(map[string]any)
				list := []string{}
				for _, r := range m["RelatedAttribute"].([]any) {
					list = append(list, r.(map[string]any)["id"].(string))
				}
				out[m["id"].(string)] = list
			}
			return out
		}
		// Newest event first; b's domain|ip also correlates with a's domain.
		wantAdmin := map[string][]string{
			aIDs[0]:    {mineIDs[0], dIDs[0], bIDs[0]},
			bIDs[0]:    {mineIDs[0], dIDs[0], aIDs[0], aIDs[1]},
			dIDs[0]:    {mineIDs[0], bIDs[0], aIDs[0]},
			mineIDs[0]: {dIDs[0], bIDs[0], aIDs[0]},
		}
		if diff := cmp.Diff(wantAdmin, search(adminKey)); diff != "" {
			t.Errorf("includeCorrelations as admin (-want +got):\n%s", diff)
		}
		wantPartner := map[string][]string{
			aIDs[0]:    {mineIDs[0], bIDs[0]},
			bIDs[0]:    {mineIDs[0], aIDs[0], aIDs[1]},
			mineIDs[0]: {bIDs[0], aIDs[0]},
		}
		if diff := cmp.Diff(wantPartner, search(c.partnerKey)); diff != "" {
			t.Errorf("includeCorrelations as partner (-want +got):\n%s", diff)
		}
	})
}

// TestCorrelationGoldenShapes compares RelatedEvent and RelatedAttribute with MISP's recorded
// answers: the answer of events/add (032), of events/view (047), of events/view with
// granular correlations (the attribute shape of 113) and of attributes/restSearch with
// includeCorrelations (098), replaying the corpus's correlating events.
func TestCorrelationGoldenShapes(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)
		steps := []goldenStep{
			{golden: "030-events-add-full-nested", save: "full", check: checkFullEvent},
			{golden: "032-events-add-distribution0-correlating", save: "dist0",
				check: wantRelatedShape("032-events-add-distribution0-correlating", "{full}", false)},
			{golden: "172-events-addTag-local", path: "/events/addTag/{dist0}/local:1"},
			{golden: "047-events-view-correlating-dist0", path: "/events/view/{dist0}",
				check: wantRelatedShape("047-events-view-correlating-dist0", "{full}", true)},
			{golden: "040-events-view", path: "/events/view/{full}",
				check: wantRelatedShape("040-events-view", "{dist0}", true)},
		}
		for _, s := range steps {
			t.Run(s.golden, func(t *testing.T) { runGoldenStep(t, e, c, s) })
		}

		t.Run("113-granular", func(t *testing.T) {
			g := loadGolden(t, "113-events-restSearch-granular-correlations")
			want := g.Response.Body.(map[string]any)["response"].([]any)[0].(map[string]any)["Event"].(map[string]any)
			got := eventOf(t, e.must(200, "GET", "/events/view/"+c.ids["dist0"]+
				"/includeGranularCorrelations:1", adminKey, nil))
			wantAttr := want["Attribute"].([]any)[0]
			gotAttr := got["Attribute"].([]any)[0]
			if diffs := sameShape("Attribute[0]", pruneKeys(wantAttr, notYet), gotAttr); len(diffs) > 0 {
				t.Errorf("shape differs from MISP:\n%s", strings.Join(diffs, "\n"))
			}
			var values []string
			for _, r := range gotAttr.(map[string]any)["RelatedAttribute"].([]any) {
				m := r.(map[string]any)
				values = append(values, m["event_id"].(string)+":"+m["value"].(string))
			}
			// The full event's ip-dst and its domain|ip.
			full := c.ids["full"]
			if diff := cmp.Diff([]string{full + ":198.51.100.23", full + ":198.51.100.23"}, values); diff != "" {
				t.Errorf("RelatedAttribute (-want +got):\n%s", diff)
			}
		})

		t.Run("098-includeCorrelations", func(t *testing.T) {
			g := loadGolden(t, "098-attributes-restSearch-includeCorrelations")
			res := e.must(200, "POST", "/attributes/restSearch", adminKey, g.Request.Body)
			got := res.Obj(t)["response"].(map[string]any)["Attribute"].([]any)
			want := g.Response.Body.(map[string]any)["response"].(map[string]any)["Attribute"].([]any)
			if len(got) != 3 {
				t.Fatalf("%d attributes, want the 3 of the corpus with the value: %s", len(got), res.Raw)
			}
			if diffs := sameShape("Attribute[0]", pruneKeys(want[1], notYet), got[0]); len(diffs) > 0 {
				t.Errorf("shape differs from MISP:\n%s", strings.Join(diffs, "\n"))
			}
			// As in MISP's answer: the full event's ip-dst correlates with the ip of the
			// organisation-only event, its domain|ip with that event's ip and domain, and
			// that event's ip with the full event's ip-dst and domain|ip.
			want1 := map[string][]string{
				c.ids["full"] + " ip-dst":    {c.ids["dist0"] + " 198.51.100.23"},
				c.ids["full"] + " domain|ip": {c.ids["dist0"] + " 198.51.100.23", c.ids["dist0"] + " corpus-bad.example"},
				c.ids["dist0"] + " ip-dst": {c.ids["full"] + " 198.51.100.23",
					c.ids["full"] + " corpus-bad.example|198.51.100.23"},
			}
			got1 := map[string][]string{}
			for _, a := range got {
				m := a.(map[string]any)
				k := m["event_id"].(string) + " " + m["type"].(string)
				for _, r := range m["RelatedAttribute"].([]any) {
					rm := r.(map[string]any)
					got1[k] = append(got1[k], rm["event_id"].(string)+" "+rm["value"].(string))
				}
			}
			if diff := cmp.Diff(want1, got1); diff != "" {
				t.Errorf("RelatedAttribute (-want +got):\n%s", diff)
			}
		})
	})
}

// wantRelatedShape checks that RelatedEvent lists the event saved under other, in MISP's
// shape (RelationshipInbound only on events/view).
func wantRelatedShape(golden, other string, inbound bool) func(*testing.T, *corpus, response) {
	return func(t *testing.T, c *corpus, res response) {
		ev := eventOf(t, res)
		related := ev["RelatedEvent"].([]any)
		if got := relatedIDs(ev); len(got) != 1 || got[0] != c.expand(other) {
			t.Fatalf("RelatedEvent %v, want [%s]", got, c.expand(other))
		}
		g := loadGolden(t, golden)
		want := g.Response.Body.(map[string]any)["Event"].(map[string]any)["RelatedEvent"].([]any)[0]
		if diffs := sameShape("RelatedEvent[0]", pruneKeys(want, notYet), related[0]); len(diffs) > 0 {
			t.Errorf("shape differs from MISP:\n%s", strings.Join(diffs, "\n"))
		}
		_, has := related[0].(map[string]any)["RelationshipInbound"]
		if has != inbound {
			t.Errorf("RelationshipInbound present: %v, want %v", has, inbound)
		}
		keys := map[string]bool{}
		for k := range related[0].(map[string]any)["Event"].(map[string]any) {
			keys[k] = true
		}
		for k := range want.(map[string]any)["Event"].(map[string]any) {
			if !keys[k] {
				t.Errorf("RelatedEvent.Event lacks %s", k)
			}
			delete(keys, k)
		}
		if len(keys) > 0 {
			t.Errorf("RelatedEvent.Event has members MISP does not send: %v", keys)
		}
	}
}
