package api

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/acl/acltest"
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/store"
)

// TestEventViewMatchesOracle draws random worlds of organisations, sharing groups, events,
// objects and attributes, and checks through the HTTP API, for a user of every organisation
// (and the site admin) and with MISP.unpublishedprivate off and on, that events/view answers
// 404 for exactly the events the plain-Go rules hide, and shows exactly the attributes and
// objects they allow.
func TestEventViewMatchesOracle(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		checked := 0
		for round := 0; round < 3; round++ {
			rng := rand.New(rand.NewPCG(uint64(round)+100, 7))
			w := acltest.Generate(rng, acltest.Sizes{Orgs: 4, SharingGroups: 3, Events: 15,
				Objects: 2, Attributes: 5})
			if err := w.Insert(ctx, e.db); err != nil {
				t.Fatal(err)
			}
			keys := map[int64]string{}
			for _, org := range w.Orgs {
				keys[org] = newUserKey(t, e, org)
			}
			for _, private := range []bool{false, true} {
				e.must(200, "POST", "/servers/serverSettingsEdit/MISP.unpublishedprivate", adminKey,
					map[string]any{"value": private})
				for _, org := range w.Orgs {
					checked += compareViews(t, e, w, w.Viewer(org, false, private), keys[org])
				}
				checked += compareViews(t, e, w, w.Viewer(1, true, private), adminKey)
			}
		}
		t.Logf("%d visibility decisions checked over HTTP", checked)
	})
}

// newUserKey creates a user (role User) of org and returns its API key.
func newUserKey(t *testing.T, e *testEnv, org int64) string {
	t.Helper()
	key := auth.GenerateKey()
	ctx := context.Background()
	u, err := identity.NewUser("acl-"+key[:12]+"@acl.test", org, 3, key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.InsertUser(ctx, tx, &u); err != nil {
			return err
		}
		return identity.AddKey(ctx, tx, int64(u.ID), key, "", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func compareViews(t *testing.T, e *testEnv, w *acltest.World, v *acl.Viewer, key string) int {
	t.Helper()
	want := w.Oracle(v)
	n := 0
	for _, ev := range w.Events {
		res := e.do("GET", "/events/view/"+itoa(ev.ID), key, nil)
		n += 1 + len(ev.Attributes) + len(ev.Objects)
		if !want.Events[ev.ID] {
			if res.Status != 404 {
				t.Fatalf("org %d admin %v private %v: event %d: status %d, want 404",
					v.OrgID, v.SiteAdmin, v.UnpublishedPrivate, ev.ID, res.Status)
			}
			continue
		}
		if res.Status != 200 {
			t.Fatalf("event %d: status %d, want 200: %s", ev.ID, res.Status, res.Raw)
		}
		got := eventOf(t, res)
		gotAttrs, gotObjs := map[string]bool{}, map[string]bool{}
		collect := func(list any) {
			for _, a := range list.([]any) {
				gotAttrs[a.(map[string]any)["uuid"].(string)] = true
			}
		}
		collect(got["Attribute"])
		for _, o := range got["Object"].([]any) {
			gotObjs[o.(map[string]any)["uuid"].(string)] = true
			collect(o.(map[string]any)["Attribute"])
		}
		wantAttrs, wantObjs := map[string]bool{}, map[string]bool{}
		for _, a := range ev.Attributes {
			if want.Attributes[a.ID] {
				wantAttrs[a.UUID] = true
			}
		}
		for _, o := range ev.Objects {
			if want.Objects[o.ID] {
				wantObjs[o.UUID] = true
			}
		}
		if diff := cmp.Diff(wantAttrs, gotAttrs); diff != "" {
			t.Fatalf("org %d admin %v private %v: event %d attributes (-oracle +API):\n%s",
				v.OrgID, v.SiteAdmin, v.UnpublishedPrivate, ev.ID, diff)
		}
		if diff := cmp.Diff(wantObjs, gotObjs); diff != "" {
			t.Fatalf("event %d objects (-oracle +API):\n%s", ev.ID, diff)
		}
	}
	return n
}
