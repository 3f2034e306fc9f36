package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/acl/acltest"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// sightEnv is a server with a partner organisation (a User and a Read Only user), an
// outsider organisation (a User), two events of the host organisation (one shared with the
// community, one for the host only) and one of the partner, all holding 198.51.100.23.
type sightEnv struct {
	*testEnv
	t                        *testing.T
	partner, readOnly, other string // API keys
	partnerOrg, otherOrg     string
	shared, private, partEv  string // event ids
	// attribute ids: ip, pair and secret (distribution 0) in shared, privIP in private,
	// partIP in the partner's event
	ip, pair, secret, privIP, partIP string
	ipUUID, sharedUUID               string
}

const sightedIP = "198.51.100.23"

func newSightEnv(t *testing.T, e *testEnv) *sightEnv {
	t.Helper()
	se := &sightEnv{testEnv: e, t: t}
	org := func(name string) string {
		return e.must(200, "POST", "/admin/organisations/add", adminKey, map[string]any{
			"name": name}).Obj(t)["Organisation"].(map[string]any)["id"].(string)
	}
	user := func(email, org string, role int) string {
		return e.must(200, "POST", "/admin/users/add", adminKey, map[string]any{
			"email": email, "org_id": org, "role_id": role,
		}).Obj(t)["User"].(map[string]any)["authkey"].(string)
	}
	se.partnerOrg, se.otherOrg = org("Sighting Partner"), org("Sighting Outsider")
	se.partner = user("p@sighting.test", se.partnerOrg, 3)
	se.readOnly = user("ro@sighting.test", se.partnerOrg, 6)
	se.other = user("o@sighting.test", se.otherOrg, 3)

	attrIDs := func(ev map[string]any) []string {
		var ids []string
		for _, a := range ev["Attribute"].([]any) {
			ids = append(ids, a.(map[string]any)["id"].(string))
		}
		return ids
	}
	shared := addEvent(t, e, adminKey, map[string]any{"info": "shared", "distribution": 1,
		"published": true, "Attribute": []any{
			map[string]any{"type": "ip-dst", "value": sightedIP},
			map[string]any{"type": "domain|ip", "value": "bad.example|" + sightedIP},
			map[string]any{"type": "text", "value": "secret", "distribution": 0},
		}})
	se.shared, se.sharedUUID = shared["id"].(string), shared["uuid"].(string)
	ids := attrIDs(shared)
	se.ip, se.pair, se.secret = ids[0], ids[1], ids[2]
	se.ipUUID = shared["Attribute"].([]any)[0].(map[string]any)["uuid"].(string)
	private := addEvent(t, e, adminKey, map[string]any{"info": "private", "distribution": 0,
		"Attribute": []any{map[string]any{"type": "ip-dst", "value": sightedIP}}})
	se.private, se.privIP = private["id"].(string), attrIDs(private)[0]
	part := addEvent(t, e, se.partner, map[string]any{"info": "partner", "distribution": 1,
		"Attribute": []any{map[string]any{"type": "ip-src", "value": sightedIP}}})
	se.partEv, se.partIP = part["id"].(string), attrIDs(part)[0]
	return se
}

// sight adds a sighting as key and returns the answer's Sighting.
func (se *sightEnv) sight(key, path string, body any) map[string]any {
	se.t.Helper()
	res := se.must(200, "POST", path, key, body).Obj(se.t)
	sg, ok := res["Sighting"].(map[string]any)
	if !ok {
		se.t.Fatalf("POST %s: no Sighting in %v", path, res)
	}
	return sg
}

// refused checks that sightings/add answers 200 with MISP's refusal for reason.
func (se *sightEnv) refused(key, path string, body any, reason string) {
	se.t.Helper()
	res := se.must(200, "POST", path, key, body).Obj(se.t)
	want := map[string]any{"message": "Could not add the Sighting. Reason: " + reason}
	if diff := cmp.Diff(want, res); diff != "" {
		se.t.Errorf("POST %s %v (-want +got):\n%s", path, body, diff)
	}
}

func (se *sightEnv) setting(name string, value any) {
	se.t.Helper()
	se.must(200, "POST", "/servers/serverSettingsEdit/"+name, adminKey,
		map[string]any{"value": value})
}

// count returns the number of stored sightings that match a condition.
func (se *sightEnv) count(cond string, args ...any) int {
	se.t.Helper()
	var n int
	err := se.db.QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM sightings WHERE `+cond, args...).Scan(&n)
	if err != nil {
		se.t.Fatal(err)
	}
	return n
}

// viewSightings returns the ids of the sightings events/view shows key on each attribute,
// by attribute id, and the sightings themselves.
func (se *sightEnv) viewSightings(key, event, suffix string) (map[string][]string,
	[]map[string]any) {
	se.t.Helper()
	ev := eventOf(se.t, se.must(200, "GET", "/events/view/"+event+suffix, key, nil))
	out := map[string][]string{}
	var all []map[string]any
	attrs := ev["Attribute"].([]any)
	for _, o := range ev["Object"].([]any) {
		attrs = append(attrs, o.(map[string]any)["Attribute"].([]any)...)
	}
	for _, a := range attrs {
		am := a.(map[string]any)
		list, has := am["Sighting"]
		if !has {
			continue
		}
		if len(list.([]any)) == 0 {
			se.t.Errorf("attribute %s: empty Sighting list sent", am["id"])
		}
		for _, s := range list.([]any) {
			sm := s.(map[string]any)
			if sm["attribute_uuid"] != am["uuid"] || sm["attribute_id"] != am["id"] {
				se.t.Errorf("sighting %v under attribute %s/%s", sm, am["id"], am["uuid"])
			}
			out[am["id"].(string)] = append(out[am["id"].(string)], sm["id"].(string))
			all = append(all, sm)
		}
	}
	return out, all
}

func TestSightingsAdd(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)

		// By id in the path, with a source: the recorded answer's shape.
		before := time.Now().Unix()
		sg := se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{"source": "sensor"})
		g := loadGolden(t, "220-sightings-add-by-id")
		if diffs := sameShape("", g.Response.Body, map[string]any{"Sighting": sg}); diffs != nil {
			t.Errorf("add by id: shape differs from MISP's: %v", diffs)
		}
		if len(sg) != 8 {
			t.Errorf("add by id: %d members, want MISP's 8: %v", len(sg), sg)
		}
		want := map[string]any{"attribute_id": se.ip, "event_id": se.shared, "org_id": "1",
			"source": "sensor", "type": "0"}
		for k, v := range want {
			if sg[k] != v {
				t.Errorf("add by id: %s = %v, want %v", k, sg[k], v)
			}
		}
		var date int64
		fmt.Sscan(sg["date_sighting"].(string), &date)
		if date < before || date > time.Now().Unix() {
			t.Errorf("add by id: date_sighting %v, want now", sg["date_sighting"])
		}

		// By uuid in the body, as a false positive, wrapped in "Sighting", at a given time.
		sg = se.sight(adminKey, "/sightings/add", map[string]any{"Sighting": map[string]any{
			"uuid": se.ipUUID, "type": "1", "source": " analyst ", "timestamp": 1700000000}})
		if sg["attribute_id"] != se.ip || sg["type"] != "1" || sg["source"] != "analyst" ||
			sg["date_sighting"] != "1700000000" {
			t.Errorf("add by uuid: %v", sg)
		}
		// The uuid in the path, date and time in the body.
		sg = se.sight(adminKey, "/sightings/add/"+se.ipUUID, map[string]any{
			"date": "2024-05-01", "time": "10:00:00"})
		if sg["date_sighting"] != "1714557600" {
			t.Errorf("date and time: %v", sg["date_sighting"])
		}

		// By value, as the partner: every attribute it can read with the value as value1
		// or value2 (the host's private event is not among them), the last one answered.
		sg = se.sight(se.partner, "/sightings/add", map[string]any{"values": []any{sightedIP},
			"source": "feed"})
		if sg["attribute_id"] != se.partIP || sg["org_id"] != se.partnerOrg {
			t.Errorf("add by value: answer %v, want the last attribute %s", sg, se.partIP)
		}
		var got []string
		rows, err := e.db.QueryContext(context.Background(),
			`SELECT attribute_id FROM sightings WHERE source = 'feed' ORDER BY attribute_id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			got = append(got, itoa(id))
		}
		rows.Close()
		if diff := cmp.Diff([]string{se.ip, se.pair, se.partIP}, got); diff != "" {
			t.Errorf("attributes sighted by value (-want +got):\n%s", diff)
		}
		// A single "value", as PyMISP's MISPSighting sends it; a list body, as PyMISP
		// sends a list of sightings, counts as empty.
		sg = se.sight(adminKey, "/sightings/add", map[string]any{"value": "bad.example"})
		if sg["attribute_id"] != se.pair {
			t.Errorf("add by value1 of a composite: %v", sg)
		}
		sg = se.sight(adminKey, "/sightings/add/"+se.ip, []any{map[string]any{"value": "x"}})
		if sg["attribute_id"] != se.ip {
			t.Errorf("add with a list body: %v", sg)
		}

		// Expirations: an organisation keeps one per attribute.
		for i := 0; i < 3; i++ {
			se.sight(se.partner, "/sightings/add/"+se.ip, map[string]any{"type": 2})
		}
		se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{"type": "2"})
		if n := se.count("type = 2 AND attribute_id = $1", se.ip); n != 2 {
			t.Errorf("%d expirations on the attribute, want one per organisation", n)
		}

		// Refusals: 200 with MISP's reason, nothing stored.
		n := se.count("true")
		golden := loadGolden(t, "227-sightings-add-missing-attribute")
		res := e.must(200, "POST", "/sightings/add/99999999", adminKey, map[string]any{})
		if diff := cmp.Diff(golden.Response.Body, res.JSON(t)); diff != "" {
			t.Errorf("missing attribute (-MISP +Cairn):\n%s", diff)
		}
		se.refused(adminKey, "/sightings/add", map[string]any{"source": "x"},
			"No valid attributes found.")
		se.refused(adminKey, "/sightings/add", map[string]any{"value": "203.0.113.99"},
			"No valid attributes found that match the criteria.")
		se.refused(adminKey, "/sightings/add", map[string]any{"value": ""},
			"No valid attributes found that match the criteria.")
		se.refused(adminKey, "/sightings/add/"+se.ip, map[string]any{"type": 3},
			"Invalid type, please change it before you POST 1000000 sightings.")
		se.refused(adminKey, "/sightings/add/"+se.ip, map[string]any{"type": "fp"},
			"Invalid type, please change it before you POST 1000000 sightings.")
		se.refused(adminKey, "/sightings/add/"+se.ip, map[string]any{"timestamp": "yesterday"},
			`{"date_sighting":["This field cannot be left blank"]}`)
		// What the caller cannot read is not sighted: another organisation's
		// distribution 0 event, a distribution 0 attribute of a shared event.
		se.refused(se.partner, "/sightings/add/"+se.privIP, nil,
			"No valid attributes found that match the criteria.")
		se.refused(se.partner, "/sightings/add", map[string]any{"id": se.secret},
			"No valid attributes found that match the criteria.")
		se.refused(se.partner, "/sightings/add", map[string]any{"value": "secret"},
			"No valid attributes found that match the criteria.")
		if got := se.count("true"); got != n {
			t.Errorf("refused sightings stored: %d rows, want %d", got, n)
		}
		// A role without perm_sighting may not add any.
		ro := e.must(403, "POST", "/sightings/add/"+se.ip, se.readOnly, map[string]any{}).Obj(t)
		if ro["message"] != msgNoFunctionality {
			t.Errorf("read-only user: %v", ro)
		}
		// Several ids joined with |.
		sg = se.sight(se.partner, "/sightings/add", map[string]any{
			"id": se.ip + "|" + se.privIP + "|" + se.partIP, "source": "joined"})
		if se.count("source = 'joined'") != 2 || sg["attribute_id"] != se.partIP {
			t.Errorf("ids joined with |: %v", sg)
		}
		// restSearch filters narrow a sighting by value.
		sg = se.sight(adminKey, "/sightings/add", map[string]any{"value": sightedIP,
			"source": "filtered", "filters": map[string]any{"type": "ip-src"}})
		if se.count("source = 'filtered'") != 1 || sg["attribute_id"] != se.partIP {
			t.Errorf("sighting with filters: %v", sg)
		}

		// GET describes the endpoint.
		desc := e.must(200, "GET", "/sightings/add", se.partner, nil).Obj(t)
		if desc["url"] != "/sightings/add" || desc["mandatory_fields"] == nil {
			t.Errorf("GET sightings/add: %v", desc)
		}

		// Realtime publishing stamps the events sighted.
		var stamp int64
		stampOf := func() int64 {
			err := e.db.QueryRowContext(context.Background(),
				`SELECT sighting_timestamp FROM events WHERE id = $1`, se.partEv).Scan(&stamp)
			if err != nil {
				t.Fatal(err)
			}
			return stamp
		}
		if stampOf() != 0 {
			t.Errorf("sighting_timestamp %d before publishing, want 0", stamp)
		}
		se.setting("Plugin.Sightings_enable_realtime_publish", true)
		se.sight(se.partner, "/sightings/add/"+se.partIP, nil)
		if stampOf() < before {
			t.Errorf("sighting_timestamp %d after a realtime publish", stamp)
		}
	})
}

func TestSightingsDelete(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)
		mine := se.sight(se.partner, "/sightings/add/"+se.ip, nil)
		theirs := se.sight(adminKey, "/sightings/add/"+se.ip, nil)

		e.must(403, "POST", "/sightings/delete/"+mine["id"].(string), se.readOnly, nil)
		res := e.must(405, "GET", "/sightings/delete/"+mine["id"].(string), se.partner, nil).Obj(t)
		if res["message"] != "This action can only be accessed via a post request." {
			t.Errorf("GET sightings/delete: %v", res)
		}
		for _, id := range []string{theirs["id"].(string), "99999", "not-an-id"} {
			res := e.must(404, "POST", "/sightings/delete/"+id, se.partner, nil).Obj(t)
			if res["message"] != "Invalid sighting." {
				t.Errorf("delete %s: %v", id, res)
			}
		}
		// By uuid, as PyMISP's delete_sighting sends it.
		id := mine["uuid"].(string)
		res = e.must(200, "POST", "/sightings/delete/"+id, se.partner, nil).Obj(t)
		want := map[string]any{"saved": true, "success": true,
			"name": "Sighting successfully deleted.", "message": "Sighting successfully deleted.",
			"url": "/sightings/delete/" + id, "id": id}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("delete (-want +got):\n%s", diff)
		}
		e.must(404, "POST", "/sightings/delete/"+id, se.partner, nil)
		// Site admins delete any.
		e.must(200, "POST", "/sightings/delete/"+theirs["id"].(string), adminKey, nil)
		if n := se.count("true"); n != 0 {
			t.Errorf("%d sightings left", n)
		}
	})
}

func TestSightingsInEventView(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)
		host := se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{"source": "host"})
		secret := se.sight(adminKey, "/sightings/add/"+se.secret, nil)
		part := se.sight(se.partner, "/sightings/add/"+se.pair, map[string]any{"type": 1})
		other := se.sight(se.other, "/sightings/add/"+se.ip, nil)
		ids := func(s ...map[string]any) []string {
			var out []string
			for _, x := range s {
				out = append(out, x["id"].(string))
			}
			return out
		}

		// The owner sees all; each attribute carries its own, with MISP's members.
		got, all := se.viewSightings(adminKey, se.shared, "")
		want := map[string][]string{se.ip: ids(host, other), se.secret: ids(secret),
			se.pair: ids(part)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("owner's view (-want +got):\n%s", diff)
		}
		golden := loadGolden(t, "040-events-view")
		gev := golden.Response.Body.(map[string]any)["Event"].(map[string]any)
		wantShape := gev["Attribute"].([]any)[0].(map[string]any)["Sighting"].([]any)[0]
		if diffs := sameShape("Sighting", wantShape, any(all[0])); diffs != nil {
			t.Errorf("sighting shape differs from MISP's: %v", diffs)
		}
		org := all[0]["Organisation"].(map[string]any)
		if org["id"] != "1" || org["name"] != "ORGNAME" || len(org) != 3 {
			t.Errorf("Organisation %v", org)
		}
		// noSightings:1 leaves them out.
		if got, _ := se.viewSightings(adminKey, se.shared, "/noSightings:1"); len(got) != 0 {
			t.Errorf("noSightings:1: %v", got)
		}

		// Policy 0 (event owner): others see their own only, never those of attributes
		// they cannot read.
		got, _ = se.viewSightings(se.partner, se.shared, "")
		if diff := cmp.Diff(map[string][]string{se.pair: ids(part)}, got); diff != "" {
			t.Errorf("policy 0, partner (-want +got):\n%s", diff)
		}
		// The same rules for a chunk of attributes (attributes/restSearch includeSightings).
		ops := events.New(e.db, settings.New(e.db), "http://cairn.test")
		byAttr, err := ops.AttributeSightings(context.Background(),
			&acl.Viewer{OrgID: mustInt(t, se.partnerOrg)},
			[]int64{mustInt(t, se.ip), mustInt(t, se.pair)})
		if err != nil {
			t.Fatal(err)
		}
		if len(byAttr) != 1 || len(byAttr[mustInt(t, se.pair)]) != 1 ||
			byAttr[mustInt(t, se.pair)][0].AttributeUUID == "" {
			t.Errorf("attribute sightings for the partner: %v", byAttr)
		}
		// Over HTTP: attributes/restSearch with includeSightings gives every attribute its
		// list, empty when it shows none; without it there is no Sighting member.
		search := func(key string, include bool) map[string][]string {
			body := map[string]any{"eventid": se.shared, "includeSightings": include}
			res := se.must(200, "POST", "/attributes/restSearch", key, body).Obj(t)
			out := map[string][]string{}
			for _, a := range res["response"].(map[string]any)["Attribute"].([]any) {
				am := a.(map[string]any)
				list, ok := am["Sighting"].([]any)
				if !ok {
					if _, present := am["Sighting"]; present || include {
						t.Errorf("attribute %v: Sighting %v", am["id"], am["Sighting"])
					}
					continue
				}
				ids := []string{}
				for _, sg := range list {
					ids = append(ids, sg.(map[string]any)["id"].(string))
				}
				out[am["id"].(string)] = ids
			}
			return out
		}
		want = map[string][]string{se.ip: ids(host, other), se.secret: ids(secret),
			se.pair: ids(part)}
		if diff := cmp.Diff(want, search(adminKey, true)); diff != "" {
			t.Errorf("restSearch includeSightings, owner (-want +got):\n%s", diff)
		}
		want = map[string][]string{se.ip: {}, se.pair: ids(part)}
		if diff := cmp.Diff(want, search(se.partner, true)); diff != "" {
			t.Errorf("restSearch includeSightings, partner (-want +got):\n%s", diff)
		}
		if got := search(adminKey, false); len(got) != 0 {
			t.Errorf("restSearch without includeSightings: %v", got)
		}

		// Policy 1 (reporters): an organisation that sighted the event sees all of it.
		se.setting("Plugin.Sightings_policy", 1)
		got, _ = se.viewSightings(se.partner, se.shared, "")
		want = map[string][]string{se.ip: ids(host, other), se.pair: ids(part)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("policy 1, partner (-want +got):\n%s", diff)
		}
		got, _ = se.viewSightings(se.partner, se.partEv, "")
		if len(got) != 0 {
			t.Errorf("policy 1, partner's own unsighted event: %v", got)
		}
		// Policy 2 (everyone).
		se.setting("Plugin.Sightings_policy", 2)
		got, _ = se.viewSightings(se.other, se.shared, "")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("policy 2, outsider (-want +got):\n%s", diff)
		}
		// Policy 3 (owner + host organisation).
		se.setting("Plugin.Sightings_policy", 3)
		got, _ = se.viewSightings(se.partner, se.shared, "")
		want = map[string][]string{se.ip: ids(host), se.pair: ids(part)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("policy 3, partner (-want +got):\n%s", diff)
		}

		// Anonymised: other organisations' sightings lose org_id and Organisation.
		se.setting("Plugin.Sightings_anonymise", true)
		_, all = se.viewSightings(se.partner, se.shared, "")
		for _, s := range all {
			_, hasOrg := s["org_id"]
			_, hasBlock := s["Organisation"]
			own := s["id"] == part["id"]
			if hasOrg != own || hasBlock != own {
				t.Errorf("anonymised, partner sees %v", s)
			}
		}
		se.setting("Plugin.Sightings_anonymise", false)
		se.setting("MISP.showorg", false)
		_, all = se.viewSightings(adminKey, se.shared, "")
		for _, s := range all {
			if _, has := s["Organisation"]; has || s["org_id"] == nil {
				t.Errorf("MISP.showorg off: %v", s)
			}
		}
		se.setting("MISP.showorg", true)

		// events/restSearch in json carries them too; in csv there is nothing to add.
		res := e.must(200, "POST", "/events/restSearch", adminKey, map[string]any{
			"eventid": se.shared}).Obj(t)
		attrs := res["response"].([]any)[0].(map[string]any)["Event"].(map[string]any)["Attribute"]
		if _, has := attrs.([]any)[0].(map[string]any)["Sighting"]; !has {
			t.Errorf("events/restSearch json without sightings: %v", attrs)
		}
		e.must(200, "POST", "/events/restSearch", adminKey, map[string]any{
			"eventid": se.shared, "returnFormat": "csv"})
		// MISP.disable_sighting_loading turns them off everywhere.
		se.setting("MISP.disable_sighting_loading", true)
		if got, _ := se.viewSightings(adminKey, se.shared, ""); len(got) != 0 {
			t.Errorf("sighting loading disabled: %v", got)
		}
	})
}

func TestSightingsIndexListView(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)
		host := se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{"timestamp": 100})
		se.sight(adminKey, "/sightings/add/"+se.secret, nil)
		part := se.sight(se.partner, "/sightings/add/"+se.ip, map[string]any{"timestamp": 200})
		partEv := se.sight(se.partner, "/sightings/add/"+se.partIP, nil)

		// index: an event's sightings, flat, as events/view carries them.
		list := e.must(200, "GET", "/sightings/index/"+se.shared, se.partner, nil).JSON(t).([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != part["id"] {
			t.Errorf("index of the shared event as the partner: %v", list)
		}
		first := list[0].(map[string]any)
		if first["attribute_uuid"] != se.ipUUID || first["Organisation"] == nil {
			t.Errorf("index member: %v", first)
		}
		// The id is an event id: an attribute id finds nothing (recorded by MISP).
		golden := loadGolden(t, "225-sightings-index-attribute")
		list = e.must(200, "GET", "/sightings/index/"+se.partIP, adminKey, nil).JSON(t).([]any)
		if len(list) != 0 || len(golden.Response.Body.([]any)) != 0 {
			t.Errorf("index of an attribute id: %v", list)
		}
		e.must(200, "GET", "/sightings/index/abc", adminKey, nil)
		// Without an event: every event, as PyMISP's sightings() posts it.
		list = e.must(200, "POST", "/sightings/index", se.partner, map[string]any{}).JSON(t).([]any)
		if len(list) != 2 {
			t.Errorf("index of the instance as the partner: %d sightings, want 2", len(list))
		}
		list = e.must(200, "GET", "/sightings/index", adminKey, nil).JSON(t).([]any)
		if len(list) != 4 {
			t.Errorf("index of the instance as the admin: %d sightings, want 4", len(list))
		}

		// listSightings, path form: MISP's shape, latest first.
		g := loadGolden(t, "226-sightings-listSightings-attribute")
		res := e.must(200, "POST", "/sightings/listSightings/"+se.ip+"/attribute", adminKey,
			map[string]any{}).JSON(t).([]any)
		if diffs := sameShape("", g.Response.Body, any(res)); diffs != nil {
			t.Errorf("listSightings shape: %v", diffs)
		}
		sightingOf := func(x any) map[string]any {
			return x.(map[string]any)["Sighting"].(map[string]any)
		}
		if len(res) != 2 || sightingOf(res[0])["id"] != part["id"] {
			t.Errorf("listSightings order: %v", res)
		}
		entry := res[1].(map[string]any)
		if entry["Organisation"].(map[string]any)["name"] != "ORGNAME" ||
			len(entry["Sighting"].(map[string]any)) != 8 {
			t.Errorf("listSightings entry: %v", entry)
		}
		// Body form, as PyMISP's sightings() sends it, with an organisation filter.
		res = e.must(200, "POST", "/sightings/listSightings", adminKey, map[string]any{
			"context": "attribute", "id": se.ip, "org_id": se.partnerOrg}).JSON(t).([]any)
		if len(res) != 1 || sightingOf(res[0])["org_id"] != se.partnerOrg {
			t.Errorf("listSightings by org: %v", res)
		}
		res = e.must(200, "POST", "/sightings/listSightings", se.partner, map[string]any{
			"context": "event", "id": se.shared}).JSON(t).([]any)
		if len(res) != 1 {
			t.Errorf("listSightings of the shared event as the partner: %v", res)
		}
		for _, c := range []struct {
			body          map[string]any
			key           string
			status        int
			message, what string
		}{
			{map[string]any{"id": se.privIP}, se.partner, 405, "Invalid object.",
				"an attribute the partner cannot read"},
			{map[string]any{"id": se.secret}, se.partner, 405, "Invalid object.",
				"a distribution 0 attribute"},
			{map[string]any{"id": se.private, "context": "event"}, se.partner, 405,
				"Invalid object.", "an event the partner cannot read"},
			{map[string]any{"id": se.ip, "context": "org"}, se.partner, 405,
				"Invalid context.", "an unknown context"},
			{map[string]any{"id": se.ip, "org_id": uuid.NewString()}, se.partner, 404,
				"Invalid Organisation.", "an unknown organisation"},
		} {
			res := e.must(c.status, "POST", "/sightings/listSightings", c.key, c.body).Obj(t)
			if res["message"] != c.message {
				t.Errorf("listSightings of %s: %v", c.what, res)
			}
		}

		// Anonymised: others' sightings get org 0 and no name, except for site admins.
		se.setting("Plugin.Sightings_policy", 2)
		se.setting("Plugin.Sightings_anonymise", true)
		res = e.must(200, "POST", "/sightings/listSightings/"+se.ip, se.partner,
			nil).JSON(t).([]any)
		for _, x := range res {
			m := x.(map[string]any)
			s, name := m["Sighting"].(map[string]any), m["Organisation"].(map[string]any)["name"]
			if s["id"] == host["id"] && (s["org_id"] != "0" || name != "") {
				t.Errorf("anonymised host sighting: %v", m)
			}
			if s["id"] == part["id"] &&
				(s["org_id"] != se.partnerOrg || name != "Sighting Partner") {
				t.Errorf("own sighting: %v", m)
			}
		}
		res = e.must(200, "POST", "/sightings/listSightings/"+se.ip, adminKey, nil).JSON(t).([]any)
		for _, x := range res {
			if x.(map[string]any)["Organisation"].(map[string]any)["name"] == "" {
				t.Errorf("site admin sees an anonymised sighting: %v", x)
			}
		}
		se.setting("Plugin.Sightings_anonymise", false)
		se.setting("Plugin.Sightings_policy", 0)

		// view: one sighting, as listSightings lists it.
		v := e.must(200, "GET", "/sightings/view/"+partEv["uuid"].(string), se.partner, nil).Obj(t)
		if v["Sighting"].(map[string]any)["id"] != partEv["id"] {
			t.Errorf("sightings/view: %v", v)
		}
		// Policy 0 hides the partner's sighting from the outsider, and the host's sighting
		// from the partner; the host sees both.
		e.must(404, "GET", "/sightings/view/"+partEv["id"].(string), se.other, nil)
		e.must(404, "GET", "/sightings/view/"+host["id"].(string), se.partner, nil)
		e.must(200, "GET", "/sightings/view/"+host["id"].(string), adminKey, nil)
		e.must(404, "GET", "/sightings/view/999999", adminKey, nil)
	})
}

func TestSightingsRestSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)
		now := time.Now().Unix()
		old := se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{
			"timestamp": now - 40*86400, "source": "old"})
		host := se.sight(adminKey, "/sightings/add/"+se.ip, map[string]any{"source": "sensor"})
		fp := se.sight(adminKey, "/sightings/add/"+se.pair, map[string]any{"type": 1,
			"source": "analyst"})
		part := se.sight(se.partner, "/sightings/add/"+se.partIP,
			map[string]any{"source": "sensor"})
		sec := se.sight(adminKey, "/sightings/add/"+se.secret, map[string]any{"source": "sensor"})

		search := func(key, path string, body any) ([]string, response) {
			t.Helper()
			res := e.must(200, "POST", path, key, body)
			var ids []string
			for _, x := range res.Obj(t)["response"].([]any) {
				ids = append(ids, x.(map[string]any)["Sighting"].(map[string]any)["id"].(string))
			}
			if res.Header.Get("X-Result-Count") != itoa(int64(len(ids))) {
				t.Errorf("%s %v: X-Result-Count %q for %d sightings", path, body,
					res.Header.Get("X-Result-Count"), len(ids))
			}
			return ids, res
		}
		ids := func(s ...map[string]any) []string {
			var out []string
			for _, x := range s {
				out = append(out, x["id"].(string))
			}
			return out
		}
		check := func(key, path string, body any, want []string) {
			t.Helper()
			got, _ := search(key, path, body)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %v (-want +got):\n%s", path, body, diff)
			}
		}

		// An id given as a string is refused, as MISP refuses it (recorded).
		for _, name := range []string{"223-sightings-restSearch-attribute",
			"224-sightings-restSearch-event"} {
			g := loadGolden(t, name)
			path := strings.Replace(g.Request.Path, "96421", se.ip, 1)
			path = strings.Replace(path, "227", se.shared, 1)
			body := g.Request.Body.(map[string]any)
			id := se.ip
			if strings.HasSuffix(path, "event") {
				id = se.shared
			}
			body["id"] = id
			res := e.must(400, "POST", path, adminKey, body).Obj(t)
			msg := "Invalid ID `" + id + "` provided."
			want := map[string]any{"name": msg, "message": msg, "url": path}
			if diff := cmp.Diff(want, res); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		}

		// As a JSON number it works: MISP's shape and headers.
		got, res := search(adminKey, "/sightings/restSearch/attribute",
			map[string]any{"id": json.Number(se.ip)})
		if diff := cmp.Diff(ids(host), got); diff != "" {
			t.Errorf("attribute context (-want +got):\n%s", diff)
		}
		g := loadGolden(t, "228-sightings-restSearch-attribute-int-id")
		if diffs := sameShape("", g.Response.Body, res.JSON(t)); diffs != nil {
			t.Errorf("restSearch shape: %v", diffs)
		}
		for _, h := range []string{"content-type", "x-export-module-used", "x-response-format",
			"x-skipped-elements-count"} {
			if res.Header.Get(h) != g.Response.Headers[h] {
				t.Errorf("header %s: %q, want %q", h, res.Header.Get(h), g.Response.Headers[h])
			}
		}
		first := res.Obj(t)["response"].([]any)[0].(map[string]any)["Sighting"].(map[string]any)
		if first["value"] != sightedIP ||
			first["Organisation"].(map[string]any)["name"] != "ORGNAME" {
			t.Errorf("found sighting: %v", first)
		}

		// Contexts, by id, uuid and lists; the default window of 30 days.
		check(adminKey, "/sightings/restSearch/event", map[string]any{"id": json.Number(se.shared)},
			ids(host, fp, sec))
		check(adminKey, "/sightings/restSearch/attribute", map[string]any{"uuid": se.ipUUID},
			ids(host))
		check(adminKey, "/sightings/restSearch", map[string]any{"context": "event",
			"uuid": []any{se.sharedUUID}}, ids(host, fp, sec))
		check(adminKey, "/sightings/restSearch/event", map[string]any{
			"id": []any{json.Number(se.shared), json.Number(se.partEv)}},
			ids(host, fp, part, sec))
		// The whole instance, as the partner: its own sightings, none of attributes it
		// cannot read (policy 0).
		check(se.partner, "/sightings/restSearch", map[string]any{"returnFormat": "json"},
			ids(part))
		check(adminKey, "/sightings/restSearch", map[string]any{"returnFormat": "json",
			"last": 0}, ids(old, host, fp, part, sec))
		// Filters.
		check(adminKey, "/sightings/restSearch", map[string]any{"type": "1"}, ids(fp))
		check(adminKey, "/sightings/restSearch", map[string]any{"type": []any{0, 1},
			"source": "analyst"}, ids(fp))
		check(adminKey, "/sightings/restSearch", map[string]any{"source": "sensor",
			"org_id": se.partnerOrg}, ids(part))
		check(adminKey, "/sightings/restSearch", map[string]any{"source": "sensor",
			"org_id": "!" + se.partnerOrg}, ids(host, sec))
		check(adminKey, "/sightings/restSearch", map[string]any{"org_id": "no such org"}, nil)
		check(adminKey, "/sightings/restSearch", map[string]any{"last": "45d", "source": "old"},
			ids(old))
		check(adminKey, "/sightings/restSearch", map[string]any{"last": "1d", "source": "old"},
			nil)
		check(adminKey, "/sightings/restSearch", map[string]any{
			"from": now - 50*86400, "to": now - 30*86400}, ids(old))
		check(adminKey, "/sightings/restSearch", map[string]any{"last": "junk"}, nil)

		// includeAttribute, includeEvent, includeUuid, as PyMISP's search_sightings reads
		// them.
		_, res = search(se.partner, "/sightings/restSearch", map[string]any{
			"includeAttribute": 1, "includeEvent": true, "includeUuid": "1"})
		s := res.Obj(t)["response"].([]any)[0].(map[string]any)["Sighting"].(map[string]any)
		attr, ev := s["Attribute"].(map[string]any), s["Event"].(map[string]any)
		if attr["id"] != se.partIP || attr["to_ids"] != true || attr["value"] != sightedIP ||
			ev["id"] != se.partEv || ev["Orgc"].(map[string]any)["name"] != "Sighting Partner" ||
			s["attribute_uuid"] != attr["uuid"] || s["event_uuid"] != ev["uuid"] {
			t.Errorf("includes: %v", s)
		}

		// Refusals.
		for _, c := range []struct {
			path   string
			body   any
			status int
			msg    string
		}{
			{"/sightings/restSearch/object", map[string]any{"id": 1}, 400,
				"Invalid context object."},
			{"/sightings/restSearch/event", map[string]any{"returnFormat": "json"}, 400,
				"An ID or UUID must be provided if the context is set."},
			{"/sightings/restSearch", map[string]any{"returnFormat": "stix"}, 404,
				"Invalid output format."},
			{"/sightings/restSearch", map[string]any{}, 400,
				"Either specify the search terms in the url, or POST a json with the " +
					"filter parameters."},
		} {
			res := e.must(c.status, "POST", c.path, adminKey, c.body).Obj(t)
			if res["message"] != c.msg {
				t.Errorf("%s %v: %v", c.path, c.body, res)
			}
		}
		e.must(400, "GET", "/sightings/restSearch", adminKey, nil)

		// csv and xml.
		res = e.must(200, "POST", "/sightings/restSearch/attribute/csv", adminKey,
			map[string]any{"id": json.Number(se.pair), "includeAttribute": 1})
		wantCSV := "id,attribute_id,event_id,org_id,date_sighting,uuid,source,type," +
			"attribute_uuid,attribute_type,attribute_category,attribute_to_ids,attribute_value\n" +
			fp["id"].(string) + "," + se.pair + "," + se.shared + ",1," +
			fp["date_sighting"].(string) + `,"` + fp["uuid"].(string) + `","analyst",1,"`
		if body := string(res.Raw); !strings.HasPrefix(body, wantCSV) ||
			!strings.HasSuffix(body, `,"bad.example|`+sightedIP+"\"\n\n") ||
			res.Header.Get("Content-Type") != "text/csv; charset=UTF-8" {
			t.Errorf("csv:\n%s\nwant prefix\n%s", body, wantCSV)
		}
		res = e.must(200, "POST", "/sightings/restSearch", adminKey, map[string]any{
			"returnFormat": "xml", "context": "attribute", "id": json.Number(se.pair)})
		wantXML := `<?xml version="1.0" encoding="UTF-8"?>` + "\n<response><Sighting><id>" +
			fp["id"].(string) + "</id>"
		if body := string(res.Raw); !strings.HasPrefix(body, wantXML) ||
			!strings.Contains(body, "<Organisation><id>1</id>") ||
			!strings.HasSuffix(body, "</Sighting>\n</response>\n") {
			t.Errorf("xml:\n%s", body)
		}

		// Anonymised: others' organisations are left out.
		se.setting("Plugin.Sightings_policy", 2)
		se.setting("Plugin.Sightings_anonymise", true)
		_, res = search(se.partner, "/sightings/restSearch/attribute",
			map[string]any{"id": json.Number(se.ip)})
		for _, x := range res.Obj(t)["response"].([]any) {
			s := x.(map[string]any)["Sighting"].(map[string]any)
			if _, has := s["org_id"]; has {
				t.Errorf("anonymised sighting: %v", s)
			}
		}
	})
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSightingVisibilityMatchesOracle draws random worlds of events and attributes with
// sightings reported by every organisation, and checks through events/view, for a user of
// every organisation and the site admin and under every Plugin.Sightings_policy, that the
// sightings shown are those the plain-Go rules allow, on the attributes the user reads.
func TestSightingVisibilityMatchesOracle(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(11, 3))
		w := acltest.Generate(rng, acltest.Sizes{Orgs: 4, SharingGroups: 2, Events: 10,
			Objects: 2, Attributes: 4})
		if err := w.Insert(ctx, e.db); err != nil {
			t.Fatal(err)
		}
		keys := map[int64]string{}
		for _, org := range w.Orgs {
			keys[org] = newUserKey(t, e, org)
		}
		type sighting struct{ id, org, event, attr int64 }
		var sightings []sighting
		reported := map[[2]int64]bool{} // event, org
		for _, ev := range w.Events {
			for _, a := range ev.Attributes {
				for _, org := range w.Orgs {
					if rng.IntN(3) != 0 {
						continue
					}
					var id int64
					err := e.db.QueryRowContext(ctx, `
						INSERT INTO sightings (attribute_id, event_id, org_id, date_sighting,
							uuid, source, type)
						VALUES ($1, $2, $3, $4, $5, '', 0) RETURNING id`,
						a.ID, ev.ID, org, time.Now().Unix(), uuid.NewString()).Scan(&id)
					if err != nil {
						t.Fatal(err)
					}
					sightings = append(sightings, sighting{id, org, ev.ID, a.ID})
					reported[[2]int64{ev.ID, org}] = true
				}
			}
		}
		e.must(200, "POST", "/servers/serverSettingsEdit/MISP.host_org_id", adminKey,
			map[string]any{"value": w.Orgs[0]})
		checked := 0
		for _, policy := range []acl.SightingPolicy{acl.SightingsEventOwner,
			acl.SightingsReporters, acl.SightingsEveryone, acl.SightingsHostOrg} {
			e.must(200, "POST", "/servers/serverSettingsEdit/Plugin.Sightings_policy", adminKey,
				map[string]any{"value": int(policy)})
			rules := acl.SightingRules{Policy: policy, HostOrgID: w.Orgs[0]}
			viewers := map[string]*acl.Viewer{adminKey: w.Viewer(1, true, false)}
			for _, org := range w.Orgs {
				viewers[keys[org]] = w.Viewer(org, false, false)
			}
			for key, v := range viewers {
				visible := w.Oracle(v)
				for _, ev := range w.Events {
					if !visible.Events[ev.ID] {
						continue
					}
					want := map[string][]string{}
					for _, s := range sightings {
						facts := acl.SightingFacts{OrgID: s.org, EventOrgID: ev.OrgID,
							ViewerReported: reported[[2]int64{ev.ID, v.OrgID}]}
						if s.event == ev.ID && visible.Attributes[s.attr] &&
							v.SeesSighting(facts, rules) {
							want[itoa(s.attr)] = append(want[itoa(s.attr)], itoa(s.id))
						}
					}
					se := &sightEnv{testEnv: e, t: t}
					got, _ := se.viewSightings(key, itoa(ev.ID), "")
					for _, list := range got {
						slices.Sort(list)
					}
					for _, list := range want {
						slices.Sort(list)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("policy %d, org %d admin %v, event %d (-oracle +API):\n%s",
							policy, v.OrgID, v.SiteAdmin, ev.ID, diff)
					}
					for _, list := range want {
						checked += len(list)
					}
				}
			}
		}
		t.Logf("%d sightings shown as the oracle allows, over HTTP", checked)
	})
}

// TestSightingsPaging checks that the lists read a chunk of sightings at a time lose and
// repeat nothing: sightings/index event by event, sightings/restSearch in id order.
func TestSightingsPaging(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		se := newSightEnv(t, e)
		ctx := context.Background()
		attrs := [][2]string{{se.ip, se.shared}, {se.partIP, se.partEv}, {se.pair, se.shared}}
		const n = 2600
		err := e.db.Tx(ctx, func(tx *store.Tx) error {
			for i := 0; i < n; i++ {
				a := attrs[i%len(attrs)]
				_, err := tx.ExecContext(ctx, `
					INSERT INTO sightings (attribute_id, event_id, org_id, date_sighting, uuid,
						source, type)
					VALUES ($1, $2, 1, $3, $4, 'bulk', 0)`,
					a[0], a[1], time.Now().Unix(), uuid.NewString())
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		type key struct{ event, id int64 }
		list := e.must(200, "GET", "/sightings/index", adminKey, nil).JSON(t).([]any)
		var got []key
		for _, x := range list {
			m := x.(map[string]any)
			got = append(got, key{mustInt(t, m["event_id"].(string)), mustInt(t, m["id"].(string))})
		}
		sorted := slices.IsSortedFunc(got, func(a, b key) int {
			if a.event != b.event {
				return int(a.event - b.event)
			}
			return int(a.id - b.id)
		})
		if len(got) != n || !sorted {
			t.Errorf("index: %d sightings, sorted by event then id %v; want %d",
				len(got), sorted, n)
		}
		res := e.must(200, "POST", "/sightings/restSearch", adminKey, map[string]any{
			"source": "bulk"})
		found := res.Obj(t)["response"].([]any)
		var ids []int64
		for _, x := range found {
			sg := x.(map[string]any)["Sighting"].(map[string]any)
			ids = append(ids, mustInt(t, sg["id"].(string)))
		}
		if len(ids) != n || !slices.IsSorted(ids) || res.Header.Get("X-Result-Count") != itoa(n) {
			t.Errorf("restSearch: %d sightings (count %s), sorted %v; want %d",
				len(ids), res.Header.Get("X-Result-Count"), slices.IsSorted(ids), n)
		}
	})
}
