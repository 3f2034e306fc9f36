package acl_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/acl/acltest"
	"github.com/cairn-project/cairn/internal/store"
	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestVisibilityMatchesOracle draws random worlds (organisations, sharing groups with
// members, events, objects and attributes of every distribution) and checks, for every
// organisation as a user and as a site admin, with and without MISP.unpublishedprivate,
// that the rows the SQL conditions select are those the plain-Go rules allow: events, objects
// across events, attributes across events, and the children of each visible event as a view
// reads them. ACL_ROUNDS sets the number of worlds (default 12).
func TestVisibilityMatchesOracle(t *testing.T) {
	rounds := 12
	if n, err := strconv.Atoi(os.Getenv("ACL_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	pgtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		checked := 0
		for round := 0; round < rounds; round++ {
			seed := uint64(round)*7919 + 1
			rng := rand.New(rand.NewPCG(seed, 42))
			w := acltest.Generate(rng, acltest.Sizes{Orgs: 5, SharingGroups: 4, Events: 40,
				Objects: 3, Attributes: 8})
			if err := w.Insert(ctx, db); err != nil {
				t.Fatal(err)
			}
			for _, org := range w.Orgs {
				all, err := store.AuthorizedSharingGroupIDs(ctx, db, org)
				if err != nil {
					t.Fatal(err)
				}
				var stored []int64 // those of this world
				for _, id := range all {
					if id >= w.SharingGroups[0].ID {
						stored = append(stored, id)
					}
				}
				if diff := cmp.Diff(w.Authorised(org), stored, cmpEmpty); diff != "" {
					t.Fatalf("seed %d: authorised sharing groups of org %d (-oracle +store):\n%s",
						seed, org, diff)
				}
				for _, admin := range []bool{false, true} {
					for _, private := range []bool{false, true} {
						v := w.Viewer(org, admin, private)
						checked += compare(t, ctx, db, w, v, seed)
					}
				}
			}
		}
		t.Logf("%d rounds, %d visibility decisions checked", rounds, checked)
	})
}

var cmpEmpty = cmp.Comparer(func(a, b []int64) bool { return slices.Equal(a, b) })

// compare checks one viewer against the oracle and returns the number of rows decided.
func compare(t *testing.T, ctx context.Context, db *store.DB, w *acltest.World, v *acl.Viewer,
	seed uint64) int {
	t.Helper()
	want := w.Oracle(v)
	inWorld := map[int64]bool{}
	for _, e := range w.Events {
		inWorld[e.ID] = true
	}
	name := fmt.Sprintf("seed %d, org %d, admin %v, unpublishedprivate %v", seed, v.OrgID,
		v.SiteAdmin, v.UnpublishedPrivate)

	got := selectIDs(t, ctx, db, `SELECT e.id, e.id FROM events e WHERE `+v.EventCondition("e"), inWorld)
	diffSets(t, name+": events", want.Events, got)
	got = selectIDs(t, ctx, db, `SELECT o.id, e.id FROM objects o JOIN events e ON e.id = o.event_id
		WHERE `+v.ObjectCondition("e", "o"), inWorld)
	diffSets(t, name+": objects", want.Objects, got)
	got = selectIDs(t, ctx, db, `SELECT a.id, e.id FROM attributes a
		JOIN events e ON e.id = a.event_id LEFT JOIN objects o ON o.id = a.object_id
		WHERE `+v.AttributeCondition("e", "a", "o"), inWorld)
	diffSets(t, name+": attributes", want.Attributes, got)

	// The view path: the event's condition first, then each child table with the child
	// condition, attributes of objects kept only when their object was kept.
	viewObjects, viewAttrs := map[int64]bool{}, map[int64]bool{}
	for _, e := range w.Events {
		if !want.Events[e.ID] {
			continue
		}
		one := map[int64]bool{e.ID: true}
		objs := selectIDs(t, ctx, db, `SELECT o.id, o.event_id FROM objects o WHERE o.event_id = `+
			strconv.FormatInt(e.ID, 10)+` AND `+v.ChildCondition("o", e.OrgID), one)
		for id := range objs {
			viewObjects[id] = true
		}
		rows, err := db.QueryContext(ctx, `SELECT a.id, a.object_id FROM attributes a
			WHERE a.event_id = $1 AND `+v.ChildCondition("a", e.OrgID), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, obj int64
			if err := rows.Scan(&id, &obj); err != nil {
				t.Fatal(err)
			}
			if obj == 0 || objs[obj] {
				viewAttrs[id] = true
			}
		}
		rows.Close()
	}
	diffSets(t, name+": objects of viewed events", want.Objects, viewObjects)
	diffSets(t, name+": attributes of viewed events", want.Attributes, viewAttrs)

	n := len(w.Events)
	for _, e := range w.Events {
		n += len(e.Objects) + len(e.Attributes)
	}
	return n
}

// selectIDs runs a query of (id, event id) rows and keeps the ids of the world's events.
func selectIDs(t *testing.T, ctx context.Context, db *store.DB, query string,
	inWorld map[int64]bool) map[int64]bool {
	t.Helper()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id, event int64
		if err := rows.Scan(&id, &event); err != nil {
			t.Fatal(err)
		}
		if inWorld[event] {
			out[id] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffSets(t *testing.T, what string, want, got map[int64]bool) {
	t.Helper()
	var missing, extra []int64
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		slices.Sort(missing)
		slices.Sort(extra)
		t.Fatalf("%s: SQL misses %v, SQL adds %v", what, missing, extra)
	}
}
