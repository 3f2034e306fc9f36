package api

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/store"
)

// logWorld is a server with two organisations and some history: the host organisation's
// admin added an event and edited two of its attributes, and a user of the partner
// organisation added an event of its own.
type logWorld struct {
	*testEnv
	hostOrg, partnerOrg string // names
	// partnerAdminKey is an org admin's (role 2, perm_audit), partnerUserKey a user's
	// (role 3), noAuditKey a partner user's whose role lacks perm_audit.
	partnerAdminKey, partnerUserKey, noAuditKey string
	// event is the admin's event (distribution: this community); hidden and shared are its
	// attributes, the first for the host organisation only, both edited once.
	event, hidden, shared string
	// partnerEvent is the partner user's event.
	partnerEvent string
}

func newLogWorld(t *testing.T, e *testEnv) *logWorld {
	w := &logWorld{testEnv: e, partnerOrg: "Audit Partner"}
	me := e.must(200, "GET", "/users/view/me", adminKey, nil).Obj(t)
	w.hostOrg = me["Organisation"].(map[string]any)["name"].(string)

	org := e.must(200, "POST", "/admin/organisations/add", adminKey,
		map[string]any{"name": w.partnerOrg}).Obj(t)["Organisation"].(map[string]any)
	role := e.must(200, "POST", "/admin/roles/add", adminKey, map[string]any{
		"name": "No audit", "perm_add": 1, "perm_modify": 1, "perm_auth": 1, "perm_audit": 0,
	}).Obj(t)["Role"].(map[string]any)
	user := func(email string, role any) string {
		u := e.must(200, "POST", "/admin/users/add", adminKey, map[string]any{
			"email": email, "org_id": org["id"], "role_id": role}).Obj(t)
		return u["User"].(map[string]any)["authkey"].(string)
	}
	w.partnerAdminKey = user("orgadmin@partner.test", 2)
	w.partnerUserKey = user("user@partner.test", 3)
	w.noAuditKey = user("noaudit@partner.test", role["id"])

	ev := addEvent(t, e, adminKey, map[string]any{"info": "Audit event one", "distribution": 1,
		"Attribute": []any{
			map[string]any{"type": "ip-dst", "value": "192.0.2.1", "distribution": 0},
			map[string]any{"type": "domain", "value": "shared.example", "distribution": 5},
		}})
	w.event = ev["id"].(string)
	attrs := ev["Attribute"].([]any)
	w.hidden = attrs[0].(map[string]any)["id"].(string)
	w.shared = attrs[1].(map[string]any)["id"].(string)
	e.must(200, "POST", "/attributes/edit/"+w.hidden, adminKey,
		map[string]any{"value": "192.0.2.2"})
	e.must(200, "POST", "/attributes/edit/"+w.shared, adminKey,
		map[string]any{"comment": "seen twice"})

	w.partnerEvent = addEvent(t, e, w.partnerUserKey,
		map[string]any{"info": "Partner event", "distribution": 0})["id"].(string)
	return w
}

// logs posts a search to admin/logs/index as key and returns the Log members.
func (w *logWorld) logs(t *testing.T, key string, body any) []map[string]any {
	t.Helper()
	return unwrapList(t, w.must(200, "POST", "/admin/logs/index", key, body), "Log")
}

// unwrapList reads [{"<member>":{...}},...].
func unwrapList(t *testing.T, res response, member string) []map[string]any {
	t.Helper()
	list, ok := res.JSON(t).([]any)
	if !ok {
		t.Fatalf("answer is not a list: %s", res.Raw)
	}
	out := make([]map[string]any, 0, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)[member].(map[string]any)
		if !ok {
			t.Fatalf("element without %s: %v", member, item)
		}
		out = append(out, m)
	}
	return out
}

// summary names each row by model, model id and action.
func summary(rows []map[string]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%v %v %v", r["model"], r["model_id"], r["action"]))
	}
	return out
}

func TestLogsIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		w := newLogWorld(t, e)
		all := []string{"Event " + w.event + " add", "Attribute " + w.hidden + " edit",
			"Attribute " + w.shared + " edit", "Event " + w.partnerEvent + " add"}

		t.Run("site admin reads everything, oldest first", func(t *testing.T) {
			got := summary(w.logs(t, adminKey, map[string]any{}))
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})

		t.Run("rows in MISP's Log shape", func(t *testing.T) {
			rows := w.logs(t, adminKey, map[string]any{"model": "Attribute"})
			if len(rows) != 2 {
				t.Fatalf("got %d Attribute rows, want 2: %v", len(rows), rows)
			}
			edit := rows[0]
			keys := make([]string, 0, len(edit))
			for k, v := range edit {
				keys = append(keys, k)
				if _, isString := v.(string); !isString {
					t.Errorf("member %s is %T, want a string", k, v)
				}
			}
			slices.Sort(keys)
			want := []string{"action", "change", "created", "description", "email", "id", "ip",
				"model", "model_id", "org", "title", "user_id"}
			if diff := cmp.Diff(want, keys); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			check := map[string]string{
				"model": "Attribute", "model_id": w.hidden, "action": "edit", "user_id": "1",
				"email": "admin@admin.test", "org": w.hostOrg, "ip": "127.0.0.1",
				"change": "value (192.0.2.1) => (192.0.2.2)",
				"title": "Attribute (" + w.hidden + ") from Event (" + w.event +
					"): ip-dst/192.0.2.2",
				"description": `Attribute "ip-dst/192.0.2.2" (` + w.hidden + `) updated`,
			}
			for k, v := range check {
				if edit[k] != v {
					t.Errorf("%s = %q, want %q", k, edit[k], v)
				}
			}
			if _, err := time.Parse("2006-01-02 15:04:05", edit["created"].(string)); err != nil {
				t.Errorf("created %q: %v", edit["created"], err)
			}

			add := w.logs(t, adminKey, map[string]any{"model": "Event", "model_id": w.event})
			if len(add) != 1 {
				t.Fatalf("got %d rows for the event, want 1", len(add))
			}
			for _, part := range []string{"info () => (Audit event one)", "distribution (0) => (1)",
				"Attribute () => (2)"} {
				if !strings.Contains(add[0]["change"].(string), part) {
					t.Errorf("change %q lacks %q", add[0]["change"], part)
				}
			}
			if add[0]["title"] != "Event ("+w.event+"): Audit event one" {
				t.Errorf("title = %q", add[0]["title"])
			}
		})

		t.Run("an auditor reads its organisation's changes only", func(t *testing.T) {
			for _, key := range []string{w.partnerAdminKey, w.partnerUserKey} {
				got := summary(w.logs(t, key, map[string]any{}))
				want := []string{"Event " + w.partnerEvent + " add"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("rows (-want +got):\n%s", diff)
				}
				// A filter cannot widen the scope.
				if got := w.logs(t, key, map[string]any{"org": w.hostOrg}); len(got) != 0 {
					t.Errorf("org filter let through %v", summary(got))
				}
			}
		})

		t.Run("without perm_audit the log is refused", func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				res := e.must(403, method, "/admin/logs/index", w.noAuditKey, map[string]any{})
				want := map[string]any{"name": msgNoFunctionality, "message": msgNoFunctionality,
					"url": "/admin/logs/index"}
				if diff := cmp.Diff(want, res.Obj(t)); diff != "" {
					t.Errorf("%s body (-want +got):\n%s", method, diff)
				}
			}
		})

		filters := []struct {
			name string
			body map[string]any
			want []string
		}{
			{"model", map[string]any{"model": "Event"}, []string{all[0], all[3]}},
			{"model list", map[string]any{"model": []any{"Attribute", "Nothing"}}, all[1:3]},
			{"model_id", map[string]any{"model_id": w.shared, "model": "Attribute"}, all[2:3]},
			{"action", map[string]any{"action": "edit"}, all[1:3]},
			{"id", map[string]any{"id": rowID(t, w, all[2])}, all[2:3]},
			{"user_id", map[string]any{"user_id": 1}, all[:3]},
			{"email", map[string]any{"email": "user@partner.test"}, all[3:]},
			{"email pattern", map[string]any{"email": "%@PARTNER.test"}, all[3:]},
			{"org", map[string]any{"org": w.partnerOrg}, all[3:]},
			{"title", map[string]any{"title": "Event (" + w.event + "): Audit event one"}, all[:1]},
			{"title pattern", map[string]any{"title": "%shared.example"}, all[2:3]},
			{"title, no match", map[string]any{"title": "shared.example"}, nil},
			{"description", map[string]any{"description": "%updated"}, all[1:3]},
			{"change", map[string]any{"change": "%seen twice%"}, all[2:3]},
			{"ip", map[string]any{"ip": "127.0.0.1"}, all},
			{"ip, no match", map[string]any{"ip": "192.0.2.99"}, nil},
			{"created in the past", map[string]any{"created": "1d"}, all},
			{"created in the future", map[string]any{"created": time.Now().Add(time.Hour).Unix()},
				nil},
			{"created as a float timestamp", map[string]any{
				"created": float64(time.Now().Add(-time.Hour).Unix()) + 0.5}, all},
			{"created as a date", map[string]any{"created": time.Now().UTC().Format("2006-01-02")},
				all},
			{"created range", map[string]any{"created": []any{
				time.Now().Add(time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()}}, all},
			{"created range in the past", map[string]any{"created": []any{"3d", "2d"}}, nil},
			{"created unreadable", map[string]any{"created": "not a time"}, nil},
			{"limit", map[string]any{"limit": 2}, all[:2]},
			{"limit and page", map[string]any{"limit": 2, "page": 2}, all[2:]},
			{"page past the end", map[string]any{"limit": 3, "page": 3}, nil},
			{"page without limit", map[string]any{"page": 2}, all},
			{"filters combine", map[string]any{"model": "Attribute", "limit": 1, "page": 2},
				all[2:3]},
		}
		for _, f := range filters {
			t.Run("filter "+f.name, func(t *testing.T) {
				if got := summary(w.logs(t, adminKey, f.body)); !slices.Equal(got, f.want) {
					t.Errorf("rows = %v, want %v", got, f.want)
				}
			})
		}

		t.Run("named parameters and GET", func(t *testing.T) {
			res := e.must(200, "GET", "/admin/logs/index/model:Attribute/limit:1.json",
				adminKey, nil)
			if got := summary(unwrapList(t, res, "Log")); !slices.Equal(got, all[1:2]) {
				t.Errorf("rows = %v, want %v", got, all[1:2])
			}
			res = e.must(200, "GET", "/admin/logs/index?action=add", adminKey, nil)
			if got := summary(unwrapList(t, res, "Log")); !slices.Equal(got,
				[]string{all[0], all[3]}) {
				t.Errorf("rows = %v", got)
			}
		})

		t.Run("a bad limit is refused", func(t *testing.T) {
			e.must(400, "POST", "/admin/logs/index", adminKey, map[string]any{"limit": "many"})
		})
	})
}

// rowID finds the id of the row summary names.
func rowID(t *testing.T, w *logWorld, name string) string {
	t.Helper()
	for _, r := range w.logs(t, adminKey, map[string]any{}) {
		if summary([]map[string]any{r})[0] == name {
			return r["id"].(string)
		}
	}
	t.Fatalf("no row %s", name)
	return ""
}

func TestLogsPagingOverALargeLog(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		const n = 2500
		rows := make([]store.AuditLog, n)
		for i := range rows {
			rows[i] = store.AuditLog{Created: "2026-01-02 03:04:05", UserID: 1, OrgID: 1,
				RequestType: 1, Action: "edit", Model: "Attribute", ModelID: int64(i + 1),
				ModelTitle: "bulk", EventID: 7, Change: []byte(`{"comment":["a","b"]}`)}
		}
		ctx := context.Background()
		if err := e.db.Tx(ctx, func(tx *store.Tx) error {
			return store.InsertAuditLogs(ctx, tx, rows)
		}); err != nil {
			t.Fatal(err)
		}
		modelIDs := func(list []map[string]any) (first, last string, count int) {
			if len(list) == 0 {
				return "", "", 0
			}
			return list[0]["model_id"].(string), list[len(list)-1]["model_id"].(string), len(list)
		}
		cases := []struct {
			body                 map[string]any
			first, last          string
			count                int
			auditFirst, auditEnd string
		}{
			{map[string]any{}, "1", "2500", 2500, "2500", "2441"},
			{map[string]any{"limit": 1500}, "1", "1500", 1500, "2500", "1001"},
			{map[string]any{"limit": 1200, "page": 2}, "1201", "2400", 1200, "1300", "101"},
			{map[string]any{"limit": 1000, "page": 3}, "2001", "2500", 500, "500", "1"},
			{map[string]any{"limit": 7, "page": 100}, "694", "700", 7, "1807", "1801"},
		}
		for _, c := range cases {
			first, last, count := modelIDs(bareWorld(e).logs(t, adminKey, c.body))
			if first != c.first || last != c.last || count != c.count {
				t.Errorf("logs %v: %s..%s (%d), want %s..%s (%d)", c.body, first, last, count,
					c.first, c.last, c.count)
			}
			res := e.must(200, "POST", "/admin/audit_logs/index", adminKey, c.body)
			first, last, _ = modelIDs(unwrapList(t, res, "AuditLog"))
			if first != c.auditFirst || last != c.auditEnd {
				t.Errorf("audit logs %v: %s..%s, want %s..%s", c.body, first, last,
					c.auditFirst, c.auditEnd)
			}
		}
	})
}

// bareWorld wraps an environment without history for the log helpers.
func bareWorld(e *testEnv) *logWorld { return &logWorld{testEnv: e} }

func TestAuditLogsIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		w := newLogWorld(t, e)
		// Newest first.
		all := []string{"Event " + w.partnerEvent + " add", "Attribute " + w.shared + " edit",
			"Attribute " + w.hidden + " edit", "Event " + w.event + " add"}
		audit := func(t *testing.T, key string, body any) []map[string]any {
			t.Helper()
			return unwrapList(t, e.must(200, "POST", "/admin/audit_logs/index", key, body),
				"AuditLog")
		}

		t.Run("site admin reads everything in MISP's AuditLog shape", func(t *testing.T) {
			res := e.must(200, "GET", "/admin/audit_logs/index", adminKey, nil)
			list := res.JSON(t).([]any)
			if got := summary(unwrapList(t, res, "AuditLog")); !slices.Equal(got, all) {
				t.Fatalf("rows = %v, want %v", got, all)
			}
			entry := list[2].(map[string]any)
			row := entry["AuditLog"].(map[string]any)
			want := map[string]any{
				"id": row["id"], "created": row["created"], "user_id": "1", "org_id": "1",
				"action": "edit", "model": "Attribute", "model_id": w.hidden,
				"model_title": "ip-dst/192.0.2.2", "event_id": w.event,
				"change": map[string]any{"value": []any{"192.0.2.1", "192.0.2.2"}},
				"ip":     "127.0.0.1", "request_type": "1", "authkey_id": row["authkey_id"],
				"request_id": nil,
				"title":      "Attribute from Event #" + w.event + ": ip-dst/192.0.2.2",
			}
			if diff := cmp.Diff(want, row); diff != "" {
				t.Errorf("AuditLog (-want +got):\n%s", diff)
			}
			if id, _ := row["authkey_id"].(string); id == "" || id == "0" {
				t.Errorf("authkey_id = %v, want the admin's key", row["authkey_id"])
			}
			user := map[string]any{"id": "1", "email": "admin@admin.test", "org_id": "1"}
			if diff := cmp.Diff(user, entry["User"]); diff != "" {
				t.Errorf("User (-want +got):\n%s", diff)
			}
			org := entry["Organisation"].(map[string]any)
			if org["id"] != "1" || org["name"] != w.hostOrg || org["uuid"] == nil {
				t.Errorf("Organisation = %v", org)
			}
		})

		t.Run("an auditor reads its organisation's changes only", func(t *testing.T) {
			got := summary(audit(t, w.partnerAdminKey, map[string]any{}))
			if !slices.Equal(got, all[:1]) {
				t.Errorf("rows = %v, want %v", got, all[:1])
			}
		})

		t.Run("without perm_audit the log is refused", func(t *testing.T) {
			res := e.must(403, "GET", "/admin/audit_logs/index", w.noAuditKey, nil)
			want := map[string]any{"name": msgNoFunctionality, "message": msgNoFunctionality,
				"url": "/admin/audit_logs/index"}
			if diff := cmp.Diff(want, res.Obj(t)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})

		filters := []struct {
			name string
			body map[string]any
			want []string
		}{
			{"model", map[string]any{"model": "Attribute"}, all[1:3]},
			{"model with id", map[string]any{"model": "Attribute:" + w.shared}, all[1:2]},
			{"model_id", map[string]any{"model_id": w.event, "model": "Event"}, all[3:]},
			{"event_id", map[string]any{"event_id": w.event}, all[1:]},
			{"model_title", map[string]any{"model_title": "SHARED.example"}, all[1:2]},
			{"action", map[string]any{"action": []any{"add"}}, []string{all[0], all[3]}},
			{"user by email", map[string]any{"user": "user@partner.test"}, all[:1]},
			{"user by id", map[string]any{"user": "1"}, all[1:]},
			{"user SYSTEM", map[string]any{"user": "SYSTEM"}, nil},
			{"unknown user", map[string]any{"user": "nobody@nowhere.test"}, nil},
			{"org by name", map[string]any{"org": w.partnerOrg}, all[:1]},
			{"org by id", map[string]any{"org": 1}, all[1:]},
			{"ip", map[string]any{"ip": "127.0.0.1"}, all},
			{"request_type", map[string]any{"request_type": 2}, nil},
			{"authkey_id", map[string]any{"authkey_id": 0}, nil},
			{"created", map[string]any{"created": "2h"}, all},
			{"created in the future", map[string]any{"created": "+1 day"}, nil},
			{"limit and page", map[string]any{"limit": 1, "page": 3}, all[2:3]},
		}
		for _, f := range filters {
			t.Run("filter "+f.name, func(t *testing.T) {
				got := summary(audit(t, adminKey, f.body))
				if !slices.Equal(got, f.want) {
					t.Errorf("rows = %v, want %v", got, f.want)
				}
			})
		}

		t.Run("named parameters", func(t *testing.T) {
			res := e.must(200, "GET", "/admin/audit_logs/index/model:Event/limit:1", adminKey, nil)
			if got := summary(unwrapList(t, res, "AuditLog")); !slices.Equal(got, all[:1]) {
				t.Errorf("rows = %v, want %v", got, all[:1])
			}
		})
	})
}

func TestLogsEventIndex(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		w := newLogWorld(t, e)
		history := func(t *testing.T, key, path string) []map[string]any {
			t.Helper()
			res := e.must(200, "GET", path, key, nil)
			obj := res.Obj(t)
			if len(obj) != 1 {
				t.Fatalf("answer has members %v, want only Log", obj)
			}
			list, ok := obj["Log"].([]any)
			if !ok {
				t.Fatalf("Log is not a list: %s", res.Raw)
			}
			out := make([]map[string]any, 0, len(list))
			for _, item := range list {
				out = append(out, item.(map[string]any))
			}
			return out
		}
		base := "/logs/event_index/" + w.event

		t.Run("the owner reads the whole history, newest first", func(t *testing.T) {
			rows := history(t, adminKey, base)
			want := []string{"Attribute " + w.shared + " edit", "Attribute " + w.hidden + " edit",
				"Event " + w.event + " add"}
			if got := summary(rows); !slices.Equal(got, want) {
				t.Fatalf("rows = %v, want %v", got, want)
			}
			keys := make([]string, 0)
			for k := range rows[1] {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			wantKeys := []string{"action", "change", "created", "email", "model", "model_id",
				"org", "title"}
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("members = %v, want %v", keys, wantKeys)
			}
			if rows[1]["change"] != "value (192.0.2.1) => (192.0.2.2)" ||
				rows[1]["email"] != "admin@admin.test" || rows[1]["org"] != w.hostOrg {
				t.Errorf("row = %v", rows[1])
			}
		})

		t.Run("another organisation reads what it may see of the event", func(t *testing.T) {
			// The partner's user has perm_audit, the other does not: the history of an
			// event is for whoever reads the event.
			for _, key := range []string{w.partnerUserKey, w.noAuditKey} {
				rows := history(t, key, base)
				want := []string{"Attribute " + w.shared + " edit", "Event " + w.event + " add"}
				if got := summary(rows); !slices.Equal(got, want) {
					t.Errorf("rows = %v, want %v", got, want)
				}
				for _, r := range rows {
					if r["email"] != "" {
						t.Errorf("email of another organisation's user shown: %v", r)
					}
				}
			}
		})

		t.Run("an event the caller cannot read is not found", func(t *testing.T) {
			private := addEvent(t, e, adminKey,
				map[string]any{"info": "Host only", "distribution": 0})["id"].(string)
			cases := []struct{ key, path string }{
				{w.partnerUserKey, "/logs/event_index/" + private},
				{w.partnerUserKey, "/audit_logs/eventIndex/" + private},
				{adminKey, "/logs/event_index/999999"},
				{adminKey, "/logs/event_index/nope"},
			}
			for _, c := range cases {
				res := e.must(404, "GET", c.path, c.key, nil)
				if msg := res.Obj(t)["message"]; msg != "Invalid event." {
					t.Errorf("%s: message %q", c.path, msg)
				}
			}
			if got := history(t, adminKey, "/logs/event_index/"+private); len(got) != 1 {
				t.Errorf("the owner reads %d rows, want 1", len(got))
			}
		})

		t.Run("paging and the organisation filter", func(t *testing.T) {
			if got := summary(history(t, adminKey, base+"/page:2/limit:2")); !slices.Equal(got,
				[]string{"Event " + w.event + " add"}) {
				t.Errorf("page 2 = %v", got)
			}
			if got := history(t, adminKey, base+"/"+url.PathEscape(w.hostOrg)); len(got) != 3 {
				t.Errorf("own organisation: %d rows, want 3", len(got))
			}
			if got := history(t, adminKey, base+"/"+url.PathEscape(w.partnerOrg)); len(got) != 0 {
				t.Errorf("other organisation: %v", summary(got))
			}
		})

		t.Run("audit_logs/eventIndex hides other organisations' users", func(t *testing.T) {
			res := e.must(200, "GET", "/audit_logs/eventIndex/"+w.event, w.partnerUserKey, nil)
			list := res.JSON(t).([]any)
			if len(list) != 2 {
				t.Fatalf("got %d rows, want 2: %s", len(list), res.Raw)
			}
			for _, item := range list {
				entry := item.(map[string]any)
				if _, has := entry["User"]; has {
					t.Errorf("User shown: %v", entry)
				}
				if _, has := entry["AuditLog"].(map[string]any)["user_id"]; has {
					t.Errorf("user_id shown: %v", entry)
				}
			}
			res = e.must(200, "GET", "/audit_logs/eventIndex/"+w.event, adminKey, nil)
			for _, item := range res.JSON(t).([]any) {
				if _, has := item.(map[string]any)["User"]; !has {
					t.Errorf("site admin does not see the user: %v", item)
				}
			}
		})
	})
}
