package api

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// tgOrgUser creates an organisation (unless it exists) and a user of the given role in it,
// and returns the organisation's id, the user's id and the user's key.
func tgOrgUser(t *testing.T, e *testEnv, org string, role int) (orgID, userID int64, key string) {
	t.Helper()
	var id string
	res := e.do("POST", "/admin/organisations/add", adminKey, map[string]any{"name": org})
	if res.Status == 200 {
		id = res.Obj(t)["Organisation"].(map[string]any)["id"].(string)
	} else {
		list := e.must(200, "GET", "/organisations/index/scope:all", adminKey, nil).JSON(t)
		for _, o := range list.([]any) {
			if m := o.(map[string]any)["Organisation"].(map[string]any); m["name"] == org {
				id = m["id"].(string)
			}
		}
	}
	email := fmt.Sprintf("%s-%d@%s.test", strings.ReplaceAll(strings.ToLower(org), " ", ""),
		role, uuid.NewString()[:8])
	u := e.must(200, "POST", "/admin/users/add", adminKey,
		map[string]any{"email": email, "org_id": id, "role_id": role}).Obj(t)["User"].(map[string]any)
	orgID, _ = strconv.ParseInt(id, 10, 64)
	userID, _ = strconv.ParseInt(u["id"].(string), 10, 64)
	return orgID, userID, u["authkey"].(string)
}

// tgEvent describes an event inserted straight into the database: the tags tests need
// events and attributes whatever the state of the events endpoints.
type tgEvent struct {
	org, orgc, user int64
	distribution    int
	sharingGroup    int64
	published       bool
}

func tgInsertEvent(t *testing.T, e *testEnv, ev tgEvent) (int64, string) {
	t.Helper()
	uid := uuid.NewString()
	var id int64
	err := e.db.QueryRowContext(context.Background(), `
		INSERT INTO events (org_id, date, info, user_id, uuid, published, analysis, orgc_id,
			timestamp, distribution, sharing_group_id, threat_level_id)
		VALUES ($1, '2026-01-01', 'tags test', $2, $3, $4, 0, $5, 1000, $6, $7, 4)
		RETURNING id`, ev.org, ev.user, uid, ev.published, ev.orgc, ev.distribution,
		ev.sharingGroup).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id, uid
}

func tgInsertAttribute(t *testing.T, e *testEnv, eventID int64, distribution int) (int64, string) {
	t.Helper()
	uid := uuid.NewString()
	var id int64
	err := e.db.QueryRowContext(context.Background(), `
		INSERT INTO attributes (event_id, category, type, value1, value2, uuid, timestamp,
			distribution, sharing_group_id)
		VALUES ($1, 'Network activity', 'ip-dst', '198.51.100.7', '', $2, 1000, $3, 0)
		RETURNING id`, eventID, uid, distribution).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id, uid
}

// tgEventState reads an event's published flag and timestamp.
func tgEventState(t *testing.T, e *testEnv, id int64) (published bool, timestamp int64) {
	t.Helper()
	err := e.db.QueryRowContext(context.Background(),
		`SELECT published, timestamp FROM events WHERE id = $1`, id).Scan(&published, &timestamp)
	if err != nil {
		t.Fatal(err)
	}
	return published, timestamp
}

// tgCheckGolden checks a response against a recorded MISP answer: same status, same shape.
func tgCheckGolden(t *testing.T, name string, res response) {
	t.Helper()
	g := loadGoldenOrNil(t, name)
	if g == nil {
		return
	}
	if res.Status != g.Response.Status {
		t.Errorf("%s: status %d, want %d\n%s", name, res.Status, g.Response.Status, res.Raw)
		return
	}
	if g.Response.Body == "" {
		return
	}
	if diffs := sameShape("", g.Response.Body, res.JSON(t)); len(diffs) > 0 {
		t.Errorf("%s: shape differs from MISP:\n%s\n%.600s", name, strings.Join(diffs, "\n"), res.Raw)
	}
}

// loadGoldenOrNil is loadGolden that returns nil instead of skipping when the corpus is
// not available, so that the rest of a scenario still runs without it.
func loadGoldenOrNil(t *testing.T, name string) *golden {
	t.Helper()
	if os.Getenv("CAIRN_TEST_MISP_RESPONSES") == "" && os.Getenv("CAIRN_TEST_MISP_DATA") == "" {
		return nil
	}
	g := loadGolden(t, name)
	return &g
}

func tgMessage(t *testing.T, res response) string {
	t.Helper()
	m := res.Obj(t)
	msg, _ := m["message"].(string)
	return msg
}

func TestTagsCRUD(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		_, _, userKey := tgOrgUser(t, e, "Tag Partner", 3)

		// tags/add (golden 160) and the duplicate answer (161).
		body := map[string]any{"name": "corpus:custom-tag", "colour": "#336699",
			"exportable": true, "hide_tag": false}
		res := e.must(200, "POST", "/tags/add", adminKey, body)
		tgCheckGolden(t, "160-tags-add", res)
		tag := res.Obj(t)["Tag"].(map[string]any)
		want := map[string]any{"id": tag["id"], "name": "corpus:custom-tag", "colour": "#336699",
			"exportable": true, "org_id": "0", "user_id": "0", "hide_tag": false,
			"numerical_value": nil, "is_galaxy": false, "is_custom_galaxy": false,
			"local_only": false}
		if diff := cmp.Diff(want, tag); diff != "" {
			t.Errorf("tags/add (-want +got):\n%s", diff)
		}
		dup := e.must(200, "POST", "/tags/add", adminKey,
			map[string]any{"name": "CORPUS:custom-tag", "colour": "#000000"})
		tgCheckGolden(t, "161-tags-add-duplicate", dup)
		if diff := cmp.Diff(want, dup.Obj(t)["Tag"]); diff != "" {
			t.Errorf("duplicate tags/add answers the existing tag (-want +got):\n%s", diff)
		}

		// Derived colour, galaxy flags, wrapped body.
		galaxy := e.must(200, "POST", "/tags/add", adminKey, map[string]any{"Tag": map[string]any{
			"name": `misp-galaxy:threat-actor="APT 28"`}}).Obj(t)["Tag"].(map[string]any)
		if galaxy["colour"] != tagColour(`misp-galaxy:threat-actor="APT 28"`) ||
			galaxy["is_galaxy"] != true || galaxy["is_custom_galaxy"] != false {
			t.Errorf("galaxy tag: %v", galaxy)
		}
		if c := galaxy["colour"].(string); !reTagColour.MatchString(c) {
			t.Errorf("derived colour %q is not #rrggbb", c)
		}

		refusals := []struct {
			name, key string
			body      any
			status    int
			msg       string
		}{
			{"no name", adminKey, map[string]any{"colour": "#123456"}, 405,
				"Could not add the Tag. [name]: This field is required."},
			{"bad colour", adminKey, map[string]any{"name": "x", "colour": "red"}, 405,
				"Could not add the Tag. [colour]: Colour has to be in the RGB format (#FFFFFF)"},
			{"not a tag editor", userKey, map[string]any{"name": "y"}, 403, msgNoFunctionality},
			{"malformed", adminKey, `{"name":`, 405, msgInvalidJSON},
		}
		for _, c := range refusals {
			res := e.do("POST", "/tags/add", c.key, c.body)
			if res.Status != c.status || tgMessage(t, res) != c.msg {
				t.Errorf("%s: %d %s, want %d %q", c.name, res.Status, res.Raw, c.status, c.msg)
			}
		}

		// tags/index (golden 162): byte order, counts as numbers.
		for _, n := range []string{"Zeta", "alpha", "APT", "apt-lower"} {
			e.must(200, "POST", "/tags/add", adminKey, map[string]any{"name": n})
		}
		res = e.must(200, "GET", "/tags/index", adminKey, nil)
		tgCheckGolden(t, "162-tags-index", res)
		var names []string
		for _, row := range res.Obj(t)["Tag"].([]any) {
			m := row.(map[string]any)
			names = append(names, m["name"].(string))
			if _, isNum := m["count"].(float64); !isNum {
				t.Errorf("count of %s is not a number: %v", m["name"], m["count"])
			}
		}
		wantNames := []string{"APT", "Zeta", "alpha", "apt-lower", "corpus:custom-tag",
			`misp-galaxy:threat-actor="APT 28"`}
		if diff := cmp.Diff(wantNames, names); diff != "" {
			t.Errorf("tags/index order (-want +got):\n%s", diff)
		}
		search := e.must(200, "GET", "/tags/index/searchall:apt", adminKey, nil).Obj(t)["Tag"].([]any)
		if len(search) != 3 {
			t.Errorf("searchall:apt found %d tags, want 3", len(search))
		}
		noStats := e.must(200, "GET", "/tags/index/exclude_statistics:1", adminKey, nil).Obj(t)
		if _, has := noStats["Tag"].([]any)[0].(map[string]any)["count"]; has {
			t.Errorf("exclude_statistics still counts")
		}

		// tags/view: flat, with counts.
		id := tag["id"].(string)
		view := e.must(200, "GET", "/tags/view/"+id, userKey, nil).Obj(t)
		if view["name"] != "corpus:custom-tag" || view["count"] != float64(0) {
			t.Errorf("tags/view: %v", view)
		}
		e.must(405, "GET", "/tags/view/99999", adminKey, nil)

		// tags/edit: site admins only, names stay unique.
		edited := e.must(200, "POST", "/tags/edit/"+id, adminKey,
			map[string]any{"Tag": map[string]any{"hide_tag": true, "numerical_value": 5}}).Obj(t)
		et := edited["Tag"].(map[string]any)
		if et["hide_tag"] != true || et["numerical_value"] != "5" || et["name"] != "corpus:custom-tag" {
			t.Errorf("tags/edit: %v", et)
		}
		res = e.do("POST", "/tags/edit/"+id, adminKey, map[string]any{"name": "zeta"})
		taken := "Could not add the Tag. [name]: A similar name already exists."
		if res.Status != 405 || tgMessage(t, res) != taken {
			t.Errorf("rename to a taken name: %d %s", res.Status, res.Raw)
		}
		e.must(403, "POST", "/tags/edit/"+id, userKey, map[string]any{"name": "n"})
		e.must(404, "POST", "/tags/edit/99999", adminKey, map[string]any{"name": "n"})

		// tags/delete.
		e.must(403, "POST", "/tags/delete/"+id, userKey, nil)
		del := e.must(200, "POST", "/tags/delete/"+id, adminKey, nil).Obj(t)
		if del["message"] != "Tag deleted." || del["name"] != "Tag deleted." {
			t.Errorf("tags/delete: %v", del)
		}
		e.must(404, "POST", "/tags/delete/"+id, adminKey, nil)
		e.must(405, "GET", "/tags/delete/"+id, adminKey, nil)
	})
}

func TestTagsSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		for _, n := range []string{"tlp:amber", "tlp:green", "TLP:RED-ish", "type:OSINT",
			"this is a test tag", "a_b", "axb"} {
			e.must(200, "POST", "/tags/add", adminKey, map[string]any{"name": n})
		}
		names := func(res response) []string {
			var out []string
			for _, row := range res.JSON(t).([]any) {
				m := row.(map[string]any)
				for _, k := range []string{"Tag", "Taxonomy", "TaxonomyPredicate"} {
					if _, ok := m[k].(map[string]any); !ok {
						t.Errorf("search result lacks the %s object: %v", k, m)
					}
				}
				out = append(out, m["Tag"].(map[string]any)["name"].(string))
			}
			return out
		}
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			want   []string
		}{
			{"value wildcard", "POST", "/tags/search", map[string]any{"value": "tlp:%"},
				[]string{"tlp:amber", "tlp:green", "TLP:RED-ish"}},
			{"PyMISP partial", "POST", "/tags/search",
				map[string]any{"tagname": "this %", "strict_tagname": false},
				[]string{"this is a test tag"}},
			{"PyMISP none", "POST", "/tags/search",
				map[string]any{"tagname": "not a tag", "strict_tagname": false}, nil},
			{"strict takes % literally", "POST", "/tags/search",
				map[string]any{"tagname": "tlp:%", "strict_tagname": true}, nil},
			{"strict takes _ literally", "POST", "/tags/search",
				map[string]any{"tagname": "a_b", "strict_tagname": true}, []string{"a_b"}},
			{"_ is a wildcard", "POST", "/tags/search", map[string]any{"tag": "A_B"},
				[]string{"a_b", "axb"}},
			{"list", "POST", "/tags/search", []string{"type:osint", "tlp:green"},
				[]string{"tlp:green", "type:OSINT"}},
			{"path", "GET", "/tags/search/" + url.PathEscape("tlp:a%"), nil,
				[]string{"tlp:amber"}},
		}
		for _, c := range cases {
			res := e.must(200, c.method, c.path, adminKey, c.body)
			if diff := cmp.Diff(c.want, names(res)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
	})
}

func TestTagsAttachAndRemove(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		partnerOrg, _, partnerKey := tgOrgUser(t, e, "Corpus Partner Org", 3)
		_, _, partnerReadOnly := tgOrgUser(t, e, "Corpus Partner Org", 6)
		_, hostUserID, hostUserKey := tgOrgUser(t, e, "ORGNAME", 3)
		_ = hostUserID

		tagID := func(name string, extra map[string]any) string {
			body := map[string]any{"name": name}
			for k, v := range extra {
				body[k] = v
			}
			res := e.must(200, "POST", "/tags/add", adminKey, body)
			return res.Obj(t)["Tag"].(map[string]any)["id"].(string)
		}
		customID := tagID("corpus:custom-tag", nil)
		amberID := tagID("tlp:amber", nil)
		tagID("corpus:local-only-note", map[string]any{"local_only": true})
		tagID("corpus:partner-only", map[string]any{"org_id": partnerOrg})
		tagID("corpus:admin-user-only", map[string]any{"user_id": 1})

		// A published distribution-3 event of the host organisation, with an attribute.
		eventID, eventUUID := tgInsertEvent(t, e, tgEvent{org: 1, orgc: 1, user: 1,
			distribution: 3, published: true})
		attrID, attrUUID := tgInsertAttribute(t, e, eventID, 5)
		hiddenID, hiddenUUID := tgInsertEvent(t, e, tgEvent{org: 1, orgc: 1, user: 1})
		_ = hiddenID

		attach := func(key string, body map[string]any) response {
			return e.do("POST", "/tags/attachTagToObject", key, body)
		}
		remove := func(key string, body map[string]any) response {
			return e.do("POST", "/tags/removeTagFromObject", key, body)
		}

		// 163: a global tag on an event unpublishes it and bumps its timestamp.
		res := attach(adminKey, map[string]any{"uuid": eventUUID, "tag": "corpus:custom-tag"})
		tgCheckGolden(t, "163-tags-attachTagToObject-event", res)
		want := fmt.Sprintf("Global tag corpus:custom-tag(%s) successfully attached to Event(%d).",
			customID, eventID)
		if got := tgMessage(t, res); got != want {
			t.Errorf("attach: %q, want %q", got, want)
		}
		if published, ts := tgEventState(t, e, eventID); published || ts <= 1000 {
			t.Errorf("after a global tag: published %v, timestamp %d; want unpublished, bumped",
				published, ts)
		}

		// 164: local tags only for the host organisation, site admins included.
		e.must(200, "POST", "/servers/serverSettingsEdit/MISP.host_org_id", adminKey,
			map[string]any{"value": partnerOrg})
		res = attach(adminKey, map[string]any{"uuid": eventUUID, "tag": "corpus:local-only-note",
			"local": 1})
		tgCheckGolden(t, "164-tags-attachTagToObject-event-local", res)
		wantErr := `Failed to attach 1 tags. Reasons: {"0":"Local tags can only be added by ` +
			`users of the host organisation."}`
		if m := res.Obj(t); res.Status != 403 || m["errors"] != wantErr ||
			m["name"] != "Could not attachTagToObject Tag" {
			t.Errorf("local tag outside the host org: %d %s", res.Status, res.Raw)
		}
		e.must(200, "POST", "/servers/serverSettingsEdit/MISP.host_org_id", adminKey,
			map[string]any{"value": 1})

		// A local tag needs only view access and leaves the event's state alone.
		_, err := e.db.ExecContext(ctx, `UPDATE events SET published = true WHERE id = $1`, eventID)
		if err != nil {
			t.Fatal(err)
		}
		res = attach(hostUserKey, map[string]any{"uuid": eventUUID, "tag": "corpus:local-only-note",
			"local": true})
		if !strings.HasPrefix(tgMessage(t, res), "Local tag corpus:local-only-note(") {
			t.Errorf("local attach: %d %s", res.Status, res.Raw)
		}
		if published, _ := tgEventState(t, e, eventID); !published {
			t.Errorf("a local tag unpublished the event")
		}

		// 165, 168, 166, 170: an attribute.
		res = attach(adminKey, map[string]any{"uuid": attrUUID, "tag": "tlp:amber"})
		tgCheckGolden(t, "165-tags-attachTagToObject-attribute", res)
		want = fmt.Sprintf("Global tag tlp:amber(%s) successfully attached to Attribute(%d).",
			amberID, attrID)
		if got := tgMessage(t, res); got != want {
			t.Errorf("attach to attribute: %q, want %q", got, want)
		}
		var attrTS int64
		if err := e.db.QueryRowContext(ctx, `SELECT timestamp FROM attributes WHERE id = $1`,
			attrID).Scan(&attrTS); err != nil || attrTS <= 1000 {
			t.Errorf("attribute timestamp %d after a global tag (%v)", attrTS, err)
		}
		if published, _ := tgEventState(t, e, eventID); published {
			t.Errorf("a global attribute tag left the event published")
		}
		res = attach(adminKey, map[string]any{"uuid": attrUUID, "tag": "TLP:AMBER"})
		tgCheckGolden(t, "168-tags-attachTagToObject-already-attached", res)
		want = "Attribute already has the requested tag attached, no changes had to be made " +
			"for tag tlp:amber."
		if got := tgMessage(t, res); got != want {
			t.Errorf("attach again: %q, want %q", got, want)
		}
		res = remove(adminKey, map[string]any{"uuid": attrUUID, "tag": "tlp:amber"})
		tgCheckGolden(t, "166-tags-removeTagFromObject-attribute", res)
		want = fmt.Sprintf("Global tag tlp:amber (%s) successfully removed from Attribute(%d).",
			amberID, attrID)
		if got := tgMessage(t, res); got != want {
			t.Errorf("remove: %q, want %q", got, want)
		}
		res = remove(adminKey, map[string]any{"uuid": attrUUID, "tag": amberID})
		if got := tgMessage(t, res); res.Status != 404 ||
			got != "Could not remove tag as it is not attached to the target Attribute" {
			t.Errorf("remove again: %d %s", res.Status, res.Raw)
		}

		// 169, 170: the event.
		res = remove(adminKey, map[string]any{"uuid": eventUUID, "tag": "corpus:custom-tag"})
		tgCheckGolden(t, "169-tags-removeTagFromObject-event", res)
		res = remove(adminKey, map[string]any{"uuid": eventUUID, "tag": "corpus:custom-tag"})
		tgCheckGolden(t, "170-tags-removeTagFromObject-not-attached", res)
		want = "Could not remove tag as it is not attached to the target Event"
		if got := tgMessage(t, res); got != want {
			t.Errorf("remove not attached: %q", got)
		}

		// Several tags at once; an unknown name is created for a tag editor.
		res = attach(adminKey, map[string]any{"uuid": eventUUID,
			"tag": []string{"tlp:amber", "brand-new-tag"}})
		want = fmt.Sprintf("Successfully attached 2 tags to Event (%d)", eventID)
		if got := tgMessage(t, res); got != want {
			t.Errorf("two tags: %q, want %q", got, want)
		}

		cases := []struct {
			name   string
			key    string
			body   map[string]any
			remove bool
			status int
			msg    string // message, or for a save failure the reason inside errors
		}{
			{"unknown target", adminKey, map[string]any{"uuid": uuid.NewString(), "tag": "tlp:amber"},
				false, 404, "Invalid Target."},
			{"event out of sight", partnerKey, map[string]any{"uuid": hiddenUUID, "tag": "tlp:amber"},
				false, 404, "Invalid Target."},
			{"not the creator org", partnerKey, map[string]any{"uuid": eventUUID, "tag": "tlp:amber"},
				false, 403, "Cannot alter the tags of this data, only the organisation that has " +
					"created the data (orgc) can modify global tags."},
			{"no uuid", adminKey, map[string]any{"tag": "tlp:amber"}, false, 405,
				"Invalid object uuid"},
			{"no tag", adminKey, map[string]any{"uuid": eventUUID}, false, 405, "Invalid tag"},
			{"bad uuid", adminKey, map[string]any{"uuid": "nope", "tag": "x"}, false, 405,
				"Invalid UUID"},
			{"not a tagger", partnerReadOnly, map[string]any{"uuid": eventUUID, "tag": "tlp:amber"},
				false, 403, msgNoFunctionality},
			{"unknown tag id", adminKey, map[string]any{"uuid": eventUUID, "tag": 99999}, false, 403,
				"Invalid Tag."},
			{"local-only tag as global", adminKey,
				map[string]any{"uuid": eventUUID, "tag": "corpus:local-only-note"}, false, 403,
				"Invalid Tag. This tag can only be set as a local tag."},
			{"tag of another org", hostUserKey,
				map[string]any{"uuid": eventUUID, "tag": "corpus:partner-only"}, false, 403,
				"Invalid Tag. This tag can only be set by a fixed organisation."},
			{"tag of another user", hostUserKey,
				map[string]any{"uuid": eventUUID, "tag": "corpus:admin-user-only"}, false, 403,
				"Invalid Tag. This tag can only be set by a fixed user."},
			{"cannot create tags", hostUserKey,
				map[string]any{"uuid": eventUUID, "tag": "never-seen-before"}, false, 403,
				"Tag not found and insufficient privileges to create it."},
			{"remove unknown tag", adminKey, map[string]any{"uuid": eventUUID, "tag": "nope:nope"},
				true, 405, "Invalid Tag."},
			{"remove local tag of another org's event", partnerKey,
				map[string]any{"uuid": eventUUID, "tag": "corpus:local-only-note"}, true, 403,
				"Insufficient privileges to remove local tags from events you do not own."},
			{"remove global tag, not the creator org", partnerKey,
				map[string]any{"uuid": eventUUID, "tag": "tlp:amber"}, true, 403,
				"Cannot alter the tags of this data, only the organisation that has created " +
					"the data (orgc) can modify global tags."},
		}
		for _, c := range cases {
			var res response
			if c.remove {
				res = remove(c.key, c.body)
			} else {
				res = attach(c.key, c.body)
			}
			m := res.Obj(t)
			got := m["message"]
			if m["saved"] == false {
				got = strings.TrimPrefix(fmt.Sprint(m["errors"]),
					`Failed to attach 1 tags. Reasons: {"0":"`)
				got = strings.TrimSuffix(got.(string), `"}`)
			}
			if res.Status != c.status || got != c.msg {
				t.Errorf("%s: %d %s\nwant %d %q", c.name, res.Status, res.Raw, c.status, c.msg)
			}
		}

		// The host organisation's users may tag locally what they can see, and the counts
		// of tags/index follow what the reader can see.
		e.must(200, "POST", "/tags/attachTagToObject", hostUserKey,
			map[string]any{"uuid": hiddenUUID, "tag": "tlp:amber", "local": 1})
		count := func(key string) float64 {
			for _, row := range e.must(200, "GET", "/tags/index", key, nil).Obj(t)["Tag"].([]any) {
				if m := row.(map[string]any); m["name"] == "tlp:amber" {
					return m["count"].(float64)
				}
			}
			return -1
		}
		if got := count(adminKey); got != 2 {
			t.Errorf("admin counts tlp:amber on %v events, want 2", got)
		}
		if got := count(partnerKey); got != 1 {
			t.Errorf("partner counts tlp:amber on %v events, want the 1 it can see", got)
		}
		res = e.must(200, "GET", "/tags/index/searchall:only", partnerKey, nil)
		restricted := res.Obj(t)["Tag"].([]any)
		if len(restricted) != 2 {
			t.Errorf("partner sees %d of the restricted tags, want its org's and the local-only one",
				len(restricted))
		}
	})
}

func TestPHPJSON(t *testing.T) {
	got := phpJSONObject([]string{`a/b "c"`, "é😀"})
	want := `{"0":"a\/b \"c\"","1":"\u00e9\ud83d\ude00"}`
	if got != want {
		t.Errorf("phpJSONObject = %s, want %s", got, want)
	}
}
