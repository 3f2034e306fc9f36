package api

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/store"
)

// sgIndexIDs returns the ids of the sharing groups of a sharing_groups/index answer.
func sgIndexIDs(t *testing.T, res response) []string {
	t.Helper()
	var ids []string
	for _, row := range res.Obj(t)["response"].([]any) {
		ids = append(ids, row.(map[string]any)["SharingGroup"].(map[string]any)["id"].(string))
	}
	return ids
}

func TestSharingGroupsGoldenFlow(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		partnerOrg, _, _ := tgOrgUser(t, e, "Corpus Partner Org", 3)

		// 020: add with a flat body.
		body := map[string]any{"name": "corpus sharing group",
			"releasability": "corpus partners only",
			"description":   "Sharing group created for the corpus", "active": true,
			"roaming": false}
		res := e.must(200, "POST", "/sharingGroups/add", adminKey, body)
		tgCheckGolden(t, "020-sharinggroups-add", res)
		created := res.Obj(t)
		sg := created["SharingGroup"].(map[string]any)
		id, sgUUID := sg["id"].(string), sg["uuid"].(string)
		if sg["org_id"] != "1" || sg["sync_user_id"] != "1" || sg["local"] != false ||
			sg["active"] != true {
			t.Errorf("new sharing group: %v", sg)
		}
		servers := created["SharingGroupServer"].([]any)
		if len(servers) != 1 || servers[0].(map[string]any)["server_id"] != "0" ||
			servers[0].(map[string]any)["all_orgs"] != false {
			t.Errorf("a new sharing group gets this instance as its server: %v", servers)
		}

		// 021: addOrg with the path form.
		res = e.must(200, "POST", fmt.Sprintf("/sharingGroups/addOrg/%s/%d", id, partnerOrg),
			adminKey, map[string]any{})
		tgCheckGolden(t, "021-sharinggroups-addOrg", res)
		wantEnvelope := map[string]any{"saved": true, "success": true,
			"name":    "Organisation added to the sharing group.",
			"message": "Organisation added to the sharing group.",
			"url":     "/sharing_groups/addOrg"}
		if diff := cmp.Diff(wantEnvelope, res.Obj(t)); diff != "" {
			t.Errorf("addOrg (-want +got):\n%s", diff)
		}

		// 022, 026, 028: view by id, by uuid, both spellings.
		for golden, path := range map[string]string{
			"022-sharinggroups-view":                     "/sharingGroups/view/" + id,
			"026-sharinggroups-view-underscore-spelling": "/sharing_groups/view/" + id,
			"028-sharinggroups-view-by-uuid":             "/sharingGroups/view/" + sgUUID,
		} {
			res := e.must(200, "GET", path, adminKey, nil)
			tgCheckGolden(t, golden, res)
			v := res.Obj(t)
			sgo := v["SharingGroupOrg"].([]any)
			if len(sgo) != 1 || sgo[0].(map[string]any)["org_id"] != fmt.Sprint(partnerOrg) {
				t.Errorf("%s: members %v", path, sgo)
			}
			server := v["SharingGroupServer"].([]any)[0].(map[string]any)["Server"].(map[string]any)
			if server["name"] != "Local instance" || server["url"] != "http://cairn.test" {
				t.Errorf("%s: local server %v", path, server)
			}
			if v["SharingGroup"].(map[string]any)["sync_org_name"] != "ORGNAME" {
				t.Errorf("%s: sync_org_name %v", path, v["SharingGroup"])
			}
		}

		// 023, 027: the index, wrapped in "response".
		for golden, path := range map[string]string{
			"023-sharinggroups-index":                     "/sharingGroups/index",
			"027-sharinggroups-index-underscore-spelling": "/sharing_groups/index",
		} {
			res := e.must(200, "GET", path, adminKey, nil)
			tgCheckGolden(t, golden, res)
			row := res.Obj(t)["response"].([]any)[0].(map[string]any)
			if row["editable"] != true || row["deletable"] != true ||
				row["SharingGroup"].(map[string]any)["org_count"] != "1" {
				t.Errorf("%s: %v", path, row)
			}
		}

		// 024, 025: HEAD.
		res = e.must(200, "HEAD", "/sharingGroups/view/"+id, adminKey, nil)
		tgCheckGolden(t, "024-sharinggroups-head-view", res)
		if ct := res.Header.Get("Content-Type"); ct != "text/html; charset=UTF-8" {
			t.Errorf("HEAD content-type %q", ct)
		}
		res = e.must(404, "HEAD", "/sharingGroups/view/99999", adminKey, nil)
		tgCheckGolden(t, "025-sharinggroups-head-view-missing", res)
		e.must(200, "HEAD", "/sharing_groups/view/"+sgUUID, adminKey, nil)
	})
}

func TestSharingGroupsAccess(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		partnerOrg, _, partnerKey := tgOrgUser(t, e, "Partner", 3)
		_, _, partnerAdminKey := tgOrgUser(t, e, "Partner", 2)
		thirdOrg, _, thirdAdminKey := tgOrgUser(t, e, "Third", 2)
		_, _, outsiderKey := tgOrgUser(t, e, "Outsider", 3)

		newSG := func(key, name string, extra map[string]any) (string, map[string]any) {
			body := map[string]any{"name": name, "releasability": "tests"}
			for k, v := range extra {
				body[k] = v
			}
			res := e.must(200, "POST", "/sharing_groups/add", key, body).Obj(t)
			return res["SharingGroup"].(map[string]any)["id"].(string), res
		}
		id, _ := newSG(adminKey, "admin sg", nil)

		// Who may create.
		res := e.do("POST", "/sharing_groups/add", partnerKey, map[string]any{"name": "x",
			"releasability": "y"})
		if res.Status != 403 || tgMessage(t, res) != msgNoFunctionality {
			t.Errorf("add without perm_sharing_group: %d %s", res.Status, res.Raw)
		}
		res = e.do("POST", "/sharing_groups/add", adminKey, map[string]any{"name": "no releasability"})
		if m := res.Obj(t); res.Status != 403 || m["errors"] != msgSGNotSaved {
			t.Errorf("add without releasability: %d %s", res.Status, res.Raw)
		}
		// A name taken gets a random suffix, as in MISP.
		_, dup := newSG(adminKey, "admin sg", nil)
		if name := dup["SharingGroup"].(map[string]any)["name"].(string); !regexp.MustCompile(
			`^admin sg_\d{1,4}$`).MatchString(name) {
			t.Errorf("duplicate name became %q", name)
		}

		// Members, extend and the wrapped body form with its member lists.
		partnerSG, created := newSG(partnerAdminKey, "partner sg", map[string]any{
			"SharingGroupOrg": []any{map[string]any{"org_id": thirdOrg, "extend": true},
				map[string]any{"Organisation": map[string]any{"name": "Brand New Remote Org",
					"uuid": "d8a3d4b0-8b0e-4e5e-9e1e-0c0a0b0c0d0e"}}},
		})
		if n := len(created["SharingGroupOrg"].([]any)); n != 2 {
			t.Errorf("partner sg has %d member orgs, want 2: %v", n, created)
		}
		if created["Organisation"].(map[string]any)["name"] != "Partner" {
			t.Errorf("owner of partner sg: %v", created["Organisation"])
		}

		// Visibility: members, owners, site admins; HEAD agrees.
		cases := []struct {
			who     string
			key     string
			sg      string
			visible bool
		}{
			{"admin, any", adminKey, partnerSG, true},
			{"owner org", partnerKey, partnerSG, true},
			{"member org", thirdAdminKey, partnerSG, true},
			{"outsider", outsiderKey, partnerSG, false},
			{"partner, admin's sg", partnerKey, id, false},
		}
		for _, c := range cases {
			get := e.do("GET", "/sharing_groups/view/"+c.sg, c.key, nil)
			head := e.do("HEAD", "/sharing_groups/view/"+c.sg, c.key, nil)
			if c.visible != (get.Status == 200) || c.visible != (head.Status == 200) {
				t.Errorf("%s: view %d, HEAD %d; visible %v", c.who, get.Status, head.Status, c.visible)
			}
			if !c.visible && (get.Status != 405 || tgMessage(t, get) != msgSGInvisible ||
				head.Status != 404) {
				t.Errorf("%s: refusal %d %s, HEAD %d", c.who, get.Status, get.Raw, head.Status)
			}
		}
		res = e.must(200, "GET", "/sharing_groups/index", outsiderKey, nil)
		if got := sgIndexIDs(t, res); len(got) != 0 {
			t.Errorf("outsider lists %v", got)
		}
		res = e.must(200, "GET", "/sharing_groups/index", thirdAdminKey, nil)
		rows := res.Obj(t)["response"].([]any)
		if len(rows) != 1 || rows[0].(map[string]any)["editable"] != true ||
			rows[0].(map[string]any)["deletable"] != false {
			t.Errorf("member with extend: %v", rows)
		}

		// Quick edits with PyMISP's body forms.
		quick := []struct {
			name, key, path string
			body            map[string]any
			status          int
			text            string // message, or errors of a save failure
		}{
			{"addOrg by body", partnerAdminKey, "/sharingGroups/addOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "Outsider", "extend": false}, 200,
				"Organisation added to the sharing group."},
			{"addOrg twice", partnerAdminKey, "/sharingGroups/addOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "Outsider"}, 403,
				"Organisation is already in the sharing group."},
			{"removeOrg", partnerAdminKey, "/sharingGroups/removeOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "Outsider"}, 200,
				"Organisation removed from the sharing group."},
			{"removeOrg twice", partnerAdminKey, "/sharingGroups/removeOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "Outsider"}, 403,
				"Organisation is not in the sharing group."},
			{"unknown org", partnerAdminKey, "/sharingGroups/addOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "99999"}, 405, "Invalid organisation."},
			{"no sg", partnerAdminKey, "/sharingGroups/addOrg", map[string]any{"org_id": "1"}, 405,
				"No valid sharing group ID provided."},
			{"no extend right", partnerAdminKey, "/sharingGroups/addOrg",
				map[string]any{"sg_id": id, "org_id": "1"}, 405, msgSGNoEdit},
			{"member with extend adds", thirdAdminKey, "/sharingGroups/addOrg/" + partnerSG + "/1",
				nil, 200, "Organisation added to the sharing group."},
			{"no perm_sharing_group", partnerKey, "/sharingGroups/addOrg",
				map[string]any{"sg_id": partnerSG, "org_id": "1"}, 403, msgNoFunctionality},
			{"unknown server", partnerAdminKey, "/sharingGroups/addServer",
				map[string]any{"sg_id": partnerSG, "server_id": 42, "all_orgs": true}, 405,
				"Invalid Server."},
			{"local server twice", partnerAdminKey, "/sharingGroups/addServer",
				map[string]any{"sg_id": partnerSG, "server_id": 0}, 403,
				"Server is already in the sharing group."},
			{"remove local server", partnerAdminKey, "/sharingGroups/removeServer",
				map[string]any{"sg_id": partnerSG, "server_id": 0}, 200,
				"Server removed from the sharing group."},
			{"local server, all orgs", partnerAdminKey, "/sharingGroups/addServer",
				map[string]any{"sg_id": partnerSG, "server_id": "0", "all_orgs": true}, 200,
				"Server added to the sharing group."},
		}
		for _, c := range quick {
			res := e.do("POST", c.path, c.key, c.body)
			m := res.Obj(t)
			got := m["message"]
			if m["saved"] == false {
				got = m["errors"]
			}
			if res.Status != c.status || got != c.text {
				t.Errorf("%s: %d %s\nwant %d %q", c.name, res.Status, res.Raw, c.status, c.text)
			}
		}
		// With this instance a member with all its organisations, everyone sees the group.
		e.must(200, "GET", "/sharing_groups/view/"+partnerSG, outsiderKey, nil)
		got, err := store.AuthorizedSharingGroupIDs(context.Background(), e.db, partnerOrg)
		if err != nil || len(got) != 1 {
			t.Errorf("partner's authorised sharing groups: %v %v", got, err)
		}

		// Edit: owners change the fields, members with extend only add members.
		edited := e.must(200, "POST", "/sharing_groups/edit/"+partnerSG, partnerAdminKey,
			map[string]any{"releasability": "Testing updated"}).Obj(t)
		if g := edited["SharingGroup"].(map[string]any); g["releasability"] != "Testing updated" ||
			g["name"] != "partner sg" {
			t.Errorf("edit by owner: %v", g)
		}
		edited = e.must(200, "POST", "/sharing_groups/edit/"+partnerSG, thirdAdminKey,
			map[string]any{"SharingGroup": map[string]any{"releasability": "not mine"}}).Obj(t)
		if edited["SharingGroup"].(map[string]any)["releasability"] != "Testing updated" {
			t.Errorf("a member changed the fields: %v", edited["SharingGroup"])
		}
		res = e.do("POST", "/sharing_groups/edit/"+partnerSG, partnerAdminKey,
			map[string]any{"name": "admin sg"})
		if m := res.Obj(t); res.Status != 403 || m["saved"] != false {
			t.Errorf("rename to a taken name: %d %s", res.Status, res.Raw)
		}
		res = e.do("POST", "/sharing_groups/edit/"+id, partnerAdminKey, map[string]any{"name": "z"})
		if res.Status != 405 || tgMessage(t, res) != msgSGNotAllowed {
			t.Errorf("edit without rights: %d %s", res.Status, res.Raw)
		}
		e.must(404, "POST", "/sharing_groups/edit/99999", adminKey, map[string]any{"name": "z"})

		// Delete: owner or site admin, not while data uses it.
		res = e.do("POST", "/sharing_groups/delete/"+partnerSG, thirdAdminKey, nil)
		if res.Status != 405 || tgMessage(t, res) != msgSGNotAllowed {
			t.Errorf("delete by a member: %d %s", res.Status, res.Raw)
		}
		var sgID int64
		fmt.Sscan(partnerSG, &sgID)
		eventID, _ := tgInsertEvent(t, e, tgEvent{org: partnerOrg, orgc: partnerOrg, user: 1,
			distribution: 4, sharingGroup: sgID})
		res = e.do("POST", "/sharing_groups/delete/"+partnerSG, partnerAdminKey, nil)
		inUse := "The sharing group could not be deleted."
		if m := res.Obj(t); res.Status != 403 || m["errors"] != inUse {
			t.Errorf("delete in use: %d %s", res.Status, res.Raw)
		}
		if _, err := e.db.ExecContext(context.Background(), `DELETE FROM events WHERE id = $1`,
			eventID); err != nil {
			t.Fatal(err)
		}
		del := e.must(200, "POST", "/sharingGroups/delete/"+partnerSG, partnerAdminKey, nil).Obj(t)
		if del["message"] != "SharingGroup deleted" || del["id"] != partnerSG {
			t.Errorf("delete: %v", del)
		}
		e.must(404, "HEAD", "/sharing_groups/view/"+partnerSG, adminKey, nil)
		e.must(405, "GET", "/sharing_groups/view/"+partnerSG, adminKey, nil)
		e.must(405, "POST", "/sharing_groups/delete/"+partnerSG, adminKey, nil)
	})
}

func TestAuthorizedSharingGroupIDs(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		member, _, _ := tgOrgUser(t, e, "Member", 3)
		owner, _, ownerKey := tgOrgUser(t, e, "Owner", 2)
		other, _, _ := tgOrgUser(t, e, "Other", 3)

		mk := func(name string, members ...int64) int64 {
			var orgs []any
			for _, m := range members {
				orgs = append(orgs, map[string]any{"org_id": m})
			}
			res := e.must(200, "POST", "/sharing_groups/add", ownerKey,
				map[string]any{"name": name, "releasability": "r", "SharingGroupOrg": orgs}).Obj(t)
			var id int64
			fmt.Sscan(res["SharingGroup"].(map[string]any)["id"].(string), &id)
			return id
		}
		withMember := mk("with member", member)
		ownerOnly := mk("owner only")
		open := mk("open")
		e.must(403, "POST", fmt.Sprintf("/sharing_groups/addServer/%d/0/1", open), adminKey, nil)
		e.must(200, "POST", fmt.Sprintf("/sharing_groups/removeServer/%d/0", open), adminKey, nil)
		e.must(200, "POST", fmt.Sprintf("/sharing_groups/addServer/%d/0/1", open), adminKey, nil)

		for _, c := range []struct {
			org  int64
			want []int64
		}{
			{member, []int64{withMember, open}},
			{owner, []int64{withMember, ownerOnly, open}},
			{other, []int64{open}},
		} {
			got, err := store.AuthorizedSharingGroupIDs(ctx, e.db, c.org)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("org %d (-want +got):\n%s", c.org, diff)
			}
		}
	})
}
