package api

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// foundEvent is an event of an events/restSearch answer: its info, the values of its
// attributes (those of its objects after), and its members.
type foundEvent struct {
	Info   string
	Values []string
	Keys   map[string]any
}

// searchEvents runs an events/restSearch as key and returns the events of the answer.
func searchEvents(t *testing.T, e *testEnv, key string, body map[string]any) []foundEvent {
	t.Helper()
	res := e.must(200, "POST", "/events/restSearch", key, body)
	list := res.Obj(t)["response"].([]any)
	got := res.Header.Get("X-Result-Count")
	if got != fmt.Sprint(len(list)) && body["limit"] == nil {
		t.Errorf("%v: X-Result-Count %s for %d events", body, got, len(list))
	}
	var out []foundEvent
	for _, item := range list {
		ev := item.(map[string]any)["Event"].(map[string]any)
		f := foundEvent{Info: ev["info"].(string), Keys: ev}
		attrs, _ := ev["Attribute"].([]any)
		for _, a := range attrs {
			f.Values = append(f.Values, a.(map[string]any)["value"].(string))
		}
		objs, _ := ev["Object"].([]any)
		for _, o := range objs {
			for _, a := range o.(map[string]any)["Attribute"].([]any) {
				f.Values = append(f.Values, a.(map[string]any)["value"].(string))
			}
		}
		out = append(out, f)
	}
	return out
}

func infos(events []foundEvent) []string {
	var out []string
	for _, f := range events {
		out = append(out, f.Info)
	}
	return out
}

// eventsFixture holds the events of the scenario tests, added by the site admin of the
// host organisation (and one by the partner organisation):
//
//	alpha    distribution 1, published, threat 1, 2026-01-10, event tag tlp:green, an
//	         attribute tagged tlp:amber, one of distribution 0, one deleted, a file object
//	beta     distribution 0, published, threat 2, 2026-02-10, a local event tag
//	gamma    distribution 2, unpublished, threat 3, 2026-03-10, tag tlp:red
//	delta    sharing group with the partner, published, threat 4, 2026-04-10
//	epsilon  sharing group without the partner, published
//	zeta     by the partner organisation, distribution 1, unpublished
type eventsFixture struct {
	partnerKey, partnerName, partnerUUID string
	ids                                  map[string]string // info → id
	uuids                                map[string]string // info → uuid
	partnerSG                            string
	gammaAttributeUUID                   string
}

func newEventsFixture(t *testing.T, e *testEnv) *eventsFixture {
	t.Helper()
	fx := &eventsFixture{ids: map[string]string{}, uuids: map[string]string{},
		partnerName: "Partner", gammaAttributeUUID: "0d8c1f26-8b1d-4a8e-9a57-6b0f3c0b1d11"}
	partnerOrg, _, key := tgOrgUser(t, e, fx.partnerName, 3)
	fx.partnerKey = key
	org := e.must(200, "GET", fmt.Sprintf("/organisations/view/%d", partnerOrg), adminKey, nil)
	fx.partnerUUID = org.Obj(t)["Organisation"].(map[string]any)["uuid"].(string)
	sg := func(name string, orgs ...any) string {
		var members []any
		for _, o := range orgs {
			members = append(members, map[string]any{"org_id": o})
		}
		res := e.must(200, "POST", "/sharing_groups/add", adminKey, map[string]any{
			"name": name, "releasability": "r", "SharingGroupOrg": members}).Obj(t)
		return res["SharingGroup"].(map[string]any)["id"].(string)
	}
	fx.partnerSG = sg("with partner", partnerOrg)
	otherSG := sg("without partner")

	attr := func(typ, value string, toIDs bool, extra ...any) map[string]any {
		a := map[string]any{"type": typ, "value": value, "to_ids": toIDs}
		for i := 0; i+1 < len(extra); i += 2 {
			a[extra[i].(string)] = extra[i+1]
		}
		return a
	}
	add := func(key string, ev map[string]any) {
		res := e.must(200, "POST", "/events/add", key, map[string]any{"Event": ev}).Obj(t)
		got := res["Event"].(map[string]any)
		fx.ids[ev["info"].(string)] = got["id"].(string)
		fx.uuids[ev["info"].(string)] = got["uuid"].(string)
	}
	add(adminKey, map[string]any{"info": "alpha", "distribution": 1, "published": true,
		"threat_level_id": 1, "date": "2026-01-10", "timestamp": 1700000000,
		"Tag": []any{map[string]any{"name": "tlp:green"}},
		"Attribute": []any{
			attr("ip-dst", "198.51.100.1", true, "Tag", []any{map[string]any{"name": "tlp:amber"}}),
			attr("domain", "alpha.example", false),
			attr("md5", "d41d8cd98f00b204e9800998ecf8427e", true),
			attr("text", "secret note", false, "distribution", 0),
			attr("ip-dst", "198.51.100.99", true, "deleted", true),
		},
		"Object": []any{map[string]any{"name": "file", "meta-category": "file",
			"template_uuid": "688c46fb-5edb-40a3-8273-1af7923e2215", "template_version": 24,
			"Attribute": []any{
				attr("filename", "dropper.dll", false, "object_relation", "filename"),
				attr("sha256", strings.Repeat("b", 64), true, "object_relation", "sha256"),
			}}}})
	add(adminKey, map[string]any{"info": "beta", "distribution": 0, "published": true,
		"threat_level_id": 2, "date": "2026-02-10",
		"Tag": []any{map[string]any{"name": "internal:local", "local": true}},
		"Attribute": []any{attr("ip-dst", "198.51.100.1", true),
			attr("url", "http://beta.example/x", true)}})
	add(adminKey, map[string]any{"info": "gamma", "distribution": 2, "threat_level_id": 3,
		"date": "2026-03-10", "Tag": []any{map[string]any{"name": "tlp:red"}},
		"Attribute": []any{attr("domain", "gamma.example", false, "uuid", fx.gammaAttributeUUID,
			"Tag", []any{map[string]any{"name": "kill:switch"}})}})
	add(adminKey, map[string]any{"info": "delta", "distribution": 4,
		"sharing_group_id": fx.partnerSG, "published": true, "threat_level_id": 4,
		"date": "2026-04-10", "Attribute": []any{attr("hostname", "delta.example", true)}})
	add(adminKey, map[string]any{"info": "epsilon", "distribution": 4,
		"sharing_group_id": otherSG, "published": true, "threat_level_id": 4,
		"date": "2026-05-10", "Attribute": []any{attr("hostname", "eps.example", true)}})
	add(fx.partnerKey, map[string]any{"info": "zeta", "distribution": 1, "threat_level_id": 4,
		"date": "2026-06-10", "Attribute": []any{attr("ip-src", "192.0.2.7", true)}})
	return fx
}

func TestRestSearchEventsFilters(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		fx := newEventsFixture(t, e)
		id, uid := fx.ids, fx.uuids
		all := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
		cases := []struct {
			name string
			key  string
			body map[string]any
			want []string
		}{
			{"no filter", adminKey, map[string]any{}, all},
			{"value", adminKey, map[string]any{"value": "198.51.100.1"}, []string{"alpha", "beta"}},
			{"value, another organisation", fx.partnerKey, map[string]any{"value": "198.51.100.1"},
				[]string{"alpha"}},
			{"value of an object attribute", adminKey, map[string]any{"value": strings.Repeat("b", 64)},
				[]string{"alpha"}},
			{"value of a deleted attribute", adminKey, map[string]any{"value": "198.51.100.99"}, nil},
			{"value of a hidden attribute", fx.partnerKey, map[string]any{"value": "secret note"}, nil},
			{"value wildcard", adminKey, map[string]any{"value": "%.EXAMPLE"},
				[]string{"alpha", "gamma", "delta", "epsilon"}},
			{"type", adminKey, map[string]any{"type": "md5"}, []string{"alpha"}},
			{"type list", adminKey, map[string]any{"type": []string{"url", "hostname"}},
				[]string{"beta", "delta", "epsilon"}},
			{"value and type on one attribute", adminKey,
				map[string]any{"value": "198.51.100.1", "type": "url"}, nil},
			{"category", adminKey, map[string]any{"category": "Payload delivery"}, []string{"alpha"}},
			{"to_ids 0", adminKey, map[string]any{"to_ids": 0}, []string{"alpha", "gamma"}},
			{"event tag", adminKey, map[string]any{"tags": "TLP:GREEN"}, []string{"alpha"}},
			{"attribute tag", adminKey, map[string]any{"tags": "kill:switch"}, []string{"gamma"}},
			{"tag wildcard", adminKey, map[string]any{"tags": "tlp:%"}, []string{"alpha", "gamma"}},
			{"tags AND", adminKey, map[string]any{"tags": map[string]any{
				"AND": []string{"tlp:green", "tlp:amber"}}}, []string{"alpha"}},
			{"tags AND, one missing", adminKey, map[string]any{"tags": map[string]any{
				"AND": []string{"tlp:green", "tlp:red"}}}, nil},
			{"tag NOT", adminKey, map[string]any{"tags": "!tlp:red"},
				[]string{"alpha", "beta", "delta", "epsilon", "zeta"}},
			{"unknown tag", adminKey, map[string]any{"tags": "no:such-tag"}, nil},
			{"event_tags ignores attribute tags", adminKey, map[string]any{"event_tags": "tlp:amber"}, nil},
			{"event_tags", adminKey, map[string]any{"event_tags": "tlp:green"}, []string{"alpha"}},
			{"eventid", adminKey, map[string]any{"eventid": id["beta"]}, []string{"beta"}},
			{"eventid uuid and id", adminKey, map[string]any{
				"eventid": []string{uid["alpha"], id["delta"]}}, []string{"alpha", "delta"}},
			{"eventid NOT", adminKey, map[string]any{"eventid": "!" + id["alpha"]},
				[]string{"beta", "gamma", "delta", "epsilon", "zeta"}},
			{"uuid of an event", adminKey, map[string]any{"uuid": uid["delta"]}, []string{"delta"}},
			{"uuid of an attribute", adminKey, map[string]any{"uuid": fx.gammaAttributeUUID},
				[]string{"gamma"}},
			{"org by name", adminKey, map[string]any{"org": fx.partnerName}, []string{"zeta"}},
			{"org by uuid", adminKey, map[string]any{"org": fx.partnerUUID}, []string{"zeta"}},
			{"org NOT", adminKey, map[string]any{"org": "!" + fx.partnerName},
				[]string{"alpha", "beta", "gamma", "delta", "epsilon"}},
			{"from", adminKey, map[string]any{"from": "2026-04-01"},
				[]string{"delta", "epsilon", "zeta"}},
			{"to", adminKey, map[string]any{"to": "2026-02-10"}, []string{"alpha", "beta"}},
			{"from and to", adminKey, map[string]any{"from": "2026-02-01", "to": "2026-03-31"},
				[]string{"beta", "gamma"}},
			{"date range", adminKey, map[string]any{"date": []string{"2026-02-01", "2026-03-31"}},
				[]string{"beta", "gamma"}},
			{"last", adminKey, map[string]any{"last": "1d"},
				[]string{"alpha", "beta", "delta", "epsilon"}},
			{"timestamp from", adminKey, map[string]any{"timestamp": 1700000001},
				[]string{"beta", "gamma", "delta", "epsilon", "zeta"}},
			{"timestamp range", adminKey, map[string]any{"timestamp": []int{1700000001, 1699999999}},
				[]string{"alpha"}},
			{"publish_timestamp", adminKey, map[string]any{"publish_timestamp": "1h"},
				[]string{"alpha", "beta", "delta", "epsilon"}},
			{"published 0", adminKey, map[string]any{"published": 0}, []string{"gamma", "zeta"}},
			{"published both", adminKey, map[string]any{"published": []int{0, 1}}, all},
			{"eventinfo", adminKey, map[string]any{"eventinfo": "%ETA%"},
				[]string{"beta", "zeta"}},
			{"threat_level_id", adminKey, map[string]any{"threat_level_id": []int{1, 3}},
				[]string{"alpha", "gamma"}},
			{"distribution", adminKey, map[string]any{"distribution": 4},
				[]string{"delta", "epsilon"}},
			{"sharinggroup", adminKey, map[string]any{"sharinggroup": fx.partnerSG},
				[]string{"delta"}},
			{"deleted only", adminKey, map[string]any{"deleted": 1}, []string{"alpha"}},
			{"limit and page", adminKey, map[string]any{"limit": 2, "page": 2},
				[]string{"gamma", "delta"}},
			{"page past the end", adminKey, map[string]any{"limit": 4, "page": 3}, nil},
			{"searchall in info", adminKey, map[string]any{"searchall": "epsil"}, []string{"epsilon"}},
			{"searchall in a value", adminKey, map[string]any{"searchall": "beta.example"},
				[]string{"beta"}},
			{"searchall in a tag", adminKey, map[string]any{"searchall": "kill:"}, []string{"gamma"}},
			{"another organisation sees what it may", fx.partnerKey, map[string]any{},
				[]string{"alpha", "gamma", "delta", "zeta"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := infos(searchEvents(t, e, c.key, c.body))
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%v (-want +got):\n%s", c.body, diff)
				}
			})
		}
	})
}

func TestRestSearchEventsContent(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		fx := newEventsFixture(t, e)
		one := func(key string, body map[string]any) foundEvent {
			t.Helper()
			got := searchEvents(t, e, key, body)
			if len(got) != 1 {
				t.Fatalf("%v: %d events, want 1", body, len(got))
			}
			return got[0]
		}
		alphaAll := []string{"198.51.100.1", "alpha.example", "d41d8cd98f00b204e9800998ecf8427e",
			"secret note", "dropper.dll", strings.Repeat("b", 64)}
		cases := []struct {
			name string
			key  string
			body map[string]any
			want []string
		}{
			{"value returns every attribute", adminKey,
				map[string]any{"value": "alpha.example"}, alphaAll},
			{"another organisation", fx.partnerKey, map[string]any{"value": "alpha.example"},
				[]string{"198.51.100.1", "alpha.example", "d41d8cd98f00b204e9800998ecf8427e",
					"dropper.dll", strings.Repeat("b", 64)}},
			{"to_ids narrows the attributes", adminKey,
				map[string]any{"eventid": fx.ids["alpha"], "to_ids": 0},
				[]string{"alpha.example", "secret note", "dropper.dll"}},
			{"negated tag drops the attributes that carry it", adminKey,
				map[string]any{"eventid": fx.ids["alpha"], "tags": "!tlp:amber"},
				alphaAll[1:]},
			{"deleted only", adminKey, map[string]any{"eventid": fx.ids["alpha"], "deleted": 1},
				[]string{"198.51.100.99"}},
			{"deleted and live", adminKey,
				map[string]any{"eventid": fx.ids["alpha"], "deleted": []int{0, 1}},
				append(alphaAll[:4:4], append([]string{"198.51.100.99"}, alphaAll[4:]...)...)},
			{"deleted of another organisation's event", fx.partnerKey,
				map[string]any{"eventid": fx.ids["alpha"], "deleted": []int{0, 1}},
				[]string{"198.51.100.1", "alpha.example", "d41d8cd98f00b204e9800998ecf8427e",
					"dropper.dll", strings.Repeat("b", 64)}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got := one(c.key, c.body).Values
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%v (-want +got):\n%s", c.body, diff)
				}
			})
		}

		meta := one(adminKey, map[string]any{"eventid": fx.ids["alpha"], "metadata": 1}).Keys
		for _, k := range []string{"Attribute", "Object", "ShadowAttribute", "EventReport"} {
			if _, ok := meta[k]; ok {
				t.Errorf("metadata: %s present", k)
			}
		}
		for _, k := range []string{"Org", "Orgc", "Tag", "RelatedEvent", "Galaxy"} {
			if _, ok := meta[k]; !ok {
				t.Errorf("metadata: %s missing", k)
			}
		}

		beta := one(adminKey, map[string]any{"eventid": fx.ids["beta"]}).Keys
		if _, ok := beta["Tag"]; !ok {
			t.Errorf("local event tag missing: %v", beta)
		}
		beta = one(adminKey, map[string]any{"eventid": fx.ids["beta"], "excludeLocalTags": 1}).Keys
		if _, ok := beta["Tag"]; ok {
			t.Errorf("excludeLocalTags: local tag sent: %v", beta["Tag"])
		}

		e.must(200, "POST", "/events/add", adminKey, map[string]any{"Event": map[string]any{
			"info": "with attachment", "Attribute": []any{map[string]any{"type": "attachment",
				"value": "notes.txt", "data": "aGVsbG8="}}}})
		data := func(body map[string]any) any {
			ev := one(adminKey, body).Keys
			return ev["Attribute"].([]any)[0].(map[string]any)["data"]
		}
		if got := data(map[string]any{"eventinfo": "with attachment"}); got != nil {
			t.Errorf("data without withAttachments: %v", got)
		}
		got := data(map[string]any{"eventinfo": "with attachment", "withAttachments": 1})
		if got != "aGVsbG8=" {
			t.Errorf("withAttachments: data %v", got)
		}

		delta := one(adminKey, map[string]any{"eventid": fx.ids["delta"]}).Keys
		if _, ok := delta["SharingGroup"]; !ok {
			t.Errorf("SharingGroup missing")
		}
		delta = one(adminKey, map[string]any{"eventid": fx.ids["delta"], "sgReferenceOnly": 1}).Keys
		if _, ok := delta["SharingGroup"]; ok || delta["sharing_group_id"] != fx.partnerSG {
			t.Errorf("sgReferenceOnly: %v %v", delta["SharingGroup"], delta["sharing_group_id"])
		}
	})
}

func TestRestSearchEventsAnswer(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		fx := newEventsFixture(t, e)
		res := e.must(200, "POST", "/events/restSearch", adminKey,
			map[string]any{"eventid": fx.ids["alpha"]})
		want := map[string]string{"Content-Type": "application/json; charset=UTF-8",
			"X-Result-Count": "1", "X-Export-Module-Used": "json", "X-Response-Format": "json",
			"X-Skipped-Elements-Count": "0",
			"Content-Disposition":      `attachment; filename="misp.event.` + fx.ids["alpha"] + `.json"`}
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("%s: %q, want %q", k, got, v)
			}
		}
		res = e.must(200, "GET", "/events/restSearch/returnFormat:json/eventinfo:%25a%25",
			adminKey, nil)
		got := res.Header.Get("Content-Disposition")
		if got != `attachment; filename="misp.event.list.json"` {
			t.Errorf("list file name: %q", got)
		}
		if n := len(res.Obj(t)["response"].([]any)); n != 5 {
			t.Errorf("named parameters: %d events", n)
		}
		empty := e.must(200, "POST", "/events/restSearch", adminKey, map[string]any{"value": "nope"})
		if string(empty.Raw) != "{\"response\":[]}\n" || empty.Header.Get("X-Result-Count") != "0" {
			t.Errorf("empty answer: %q %v", empty.Raw, empty.Header)
		}
		// The event of the answer is the event of events/view, without the
		// RelationshipInbound that events/view alone sends.
		view := e.must(200, "GET", "/events/view/"+fx.ids["alpha"], adminKey, nil).Obj(t)
		related := view["Event"].(map[string]any)["RelatedEvent"].([]any)
		if len(related) == 0 {
			t.Errorf("no related event to compare")
		}
		for _, r := range related {
			delete(r.(map[string]any), "RelationshipInbound")
		}
		found := searchEvents(t, e, adminKey, map[string]any{"eventid": fx.ids["alpha"]})
		if diff := cmp.Diff(view["Event"], found[0].Keys); diff != "" {
			t.Errorf("restSearch event differs from events/view (-view +restSearch):\n%s", diff)
		}

		for _, c := range []struct {
			format string
			status int
			msg    string
		}{
			{"no-such-format", 404, "Invalid output format."},
			{"bro", 404, "Invalid output format."},
			{"stix2", 400, "The stix2 export format is not available yet."},
		} {
			res := e.must(c.status, "POST", "/events/restSearch", adminKey,
				map[string]any{"returnFormat": c.format})
			body := res.Obj(t)
			if body["name"] != c.msg || body["message"] != c.msg ||
				body["url"] != "/events/restSearch" {
				t.Errorf("%s: %s", c.format, res.Raw)
			}
		}
		for _, f := range []string{"attack", "context"} {
			e.must(404, "POST", "/attributes/restSearch", adminKey, map[string]any{"returnFormat": f})
		}
	})
}

// TestRestSearchEventsStreaming searches across more events than one chunk of the store
// and checks they all come back, in id order.
func TestRestSearchEventsStreaming(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		const n = 230
		for i := 0; i < n; i++ {
			e.must(200, "POST", "/events/add", adminKey, map[string]any{"Event": map[string]any{
				"info": fmt.Sprintf("stream %03d", i), "distribution": 1,
				"Attribute": []any{map[string]any{"type": "ip-dst",
					"value": fmt.Sprintf("10.0.%d.%d", i/256, i%256)}}}})
		}
		for _, body := range []map[string]any{{"eventinfo": "stream%"}, {"value": "10.0.%"},
			{"eventinfo": "stream%", "returnFormat": "csv"}} {
			res := e.must(200, "POST", "/events/restSearch", adminKey, body)
			if res.Header.Get("X-Result-Count") != fmt.Sprint(n) {
				t.Errorf("%v: X-Result-Count %s", body, res.Header.Get("X-Result-Count"))
			}
			if body["returnFormat"] == "csv" {
				if lines := strings.Count(string(res.Raw), "\n"); lines != n+2 {
					t.Errorf("csv: %d lines", lines)
				}
				continue
			}
			got := infos(searchEvents(t, e, adminKey, body))
			if len(got) != n || !sort.StringsAreSorted(got) {
				t.Errorf("%v: %d events, sorted %v", body, len(got), sort.StringsAreSorted(got))
			}
		}
		res := e.must(200, "POST", "/events/restSearch", adminKey,
			map[string]any{"eventinfo": "stream%", "limit": 100, "page": 3})
		got := infos(searchEvents(t, e, adminKey, map[string]any{"eventinfo": "stream%",
			"limit": 100, "page": 3}))
		// As in MISP, the count of a page is the count of all the events found.
		if res.Header.Get("X-Result-Count") != fmt.Sprint(n) || len(got) != 30 ||
			got[0] != "stream 200" {
			t.Errorf("last page: %s, %d events from %v", res.Header.Get("X-Result-Count"),
				len(got), got[:1])
		}
	})
}

func TestRestSearchFormats(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		fx := newEventsFixture(t, e)
		cases := []struct {
			name, path, key string
			body            map[string]any
			contentType     string
			want            []string // lines of the body, in order
			count           string
		}{
			// Text and hashes are restrictive: to_ids attributes of published events.
			{"events text", "/events/restSearch", adminKey, map[string]any{"returnFormat": "text"},
				"text/plain", []string{"198.51.100.1", "d41d8cd98f00b204e9800998ecf8427e",
					strings.Repeat("b", 64), "http://beta.example/x", "delta.example",
					"eps.example"}, "4"},
			{"events text, partner", "/events/restSearch", fx.partnerKey,
				map[string]any{"returnFormat": "text", "published": []int{0, 1}, "to_ids": []int{0, 1}},
				"text/plain", []string{"198.51.100.1", "alpha.example",
					"d41d8cd98f00b204e9800998ecf8427e", "dropper.dll", strings.Repeat("b", 64),
					"gamma.example", "delta.example", "192.0.2.7"}, "4"},
			{"events hashes", "/events/restSearch/hashes", adminKey, nil, "text/plain",
				[]string{"d41d8cd98f00b204e9800998ecf8427e", strings.Repeat("b", 64)}, "4"},
			{"events count", "/events/restSearch", adminKey,
				map[string]any{"returnFormat": "count", "type": "hostname"}, "text/plain",
				[]string{"2"}, "2"},
			{"events csv, partner", "/events/restSearch", fx.partnerKey,
				map[string]any{"returnFormat": "csv", "requested_attributes": []string{"value"},
					"headerless": 1}, "text/csv",
				[]string{`"198.51.100.1"`, `"alpha.example"`, `"d41d8cd98f00b204e9800998ecf8427e"`,
					`"dropper.dll"`, `"` + strings.Repeat("b", 64) + `"`, `"gamma.example"`,
					`"delta.example"`, `"192.0.2.7"`, ""}, "4"},
			{"attributes csv, partner", "/attributes/restSearch", fx.partnerKey,
				map[string]any{"returnFormat": "csv", "requested_attributes": []string{"value"},
					"type": []string{"text", "ip-dst", "url"}}, "text/csv",
				[]string{"value", `"198.51.100.1"`, ""}, "1"},
			{"attributes text", "/attributes/restSearch/text", adminKey,
				map[string]any{"type": "ip-dst"}, "text/plain", []string{"198.51.100.1"}, "2"},
			{"attributes hashes", "/attributes/restSearch", adminKey,
				map[string]any{"returnFormat": "hashes"}, "text/plain",
				// The count is of attributes, hashes or not, as in MISP.
				[]string{"d41d8cd98f00b204e9800998ecf8427e", strings.Repeat("b", 64)}, "7"},
			{"attributes count", "/attributes/restSearch", fx.partnerKey,
				map[string]any{"returnFormat": "count"}, "text/plain", []string{"8"}, "8"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := e.must(200, "POST", c.path, c.key, c.body)
				got := strings.Split(strings.TrimSuffix(string(res.Raw), "\n"), "\n")
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("body (-want +got):\n%s", diff)
				}
				if ct := res.Header.Get("Content-Type"); ct != c.contentType+"; charset=UTF-8" {
					t.Errorf("Content-Type %s", ct)
				}
				if n := res.Header.Get("X-Result-Count"); n != c.count {
					t.Errorf("X-Result-Count %s, want %s", n, c.count)
				}
			})
		}
		res := e.must(200, "POST", "/events/restSearch", fx.partnerKey,
			map[string]any{"returnFormat": "xml", "eventid": fx.ids["alpha"]})
		if body := string(res.Raw); strings.Contains(body, "secret note") ||
			!strings.Contains(body, "<value>alpha.example</value>") {
			t.Errorf("xml for another organisation: %s", body)
		}
	})
}
