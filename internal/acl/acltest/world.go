// Package acltest builds random worlds of organisations, sharing groups, events, objects
// and attributes in a database, for the property tests that hold the access rules' SQL (and
// the API that uses it) to their plain-Go oracle.
package acltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// World is a random set of rows. Ids are set when it is inserted.
type World struct {
	Orgs          []int64
	SharingGroups []*SharingGroup
	Events        []*Event
}

// SharingGroup is a sharing group with its member organisations; LocalAllOrgs is a
// server 0 entry with all_orgs, RemoteServer an entry for another server.
type SharingGroup struct {
	ID           int64
	Owner        int64
	Orgs         []int64
	LocalAllOrgs bool
	LocalOnly    bool // a server 0 entry without all_orgs
	RemoteServer bool
}

// Event is an event with its objects and attributes.
type Event struct {
	ID, OrgID, OrgcID    int64
	Distribution, SGID   int64
	Published            bool
	UUID                 string
	Objects              []*Child
	Attributes           []*Child // ObjectIndex -1 for attributes outside objects
	AttributeObjectIndex []int
}

// Child is an object or an attribute.
type Child struct {
	ID, Distribution, SGID int64
	UUID                   string
}

// Facts returns the access rules' view of e.
func (e *Event) Facts() acl.EventFacts {
	return acl.EventFacts{OrgID: e.OrgID, Distribution: e.Distribution,
		SharingGroupID: e.SGID, Published: e.Published}
}

// Facts returns the access rules' view of c.
func (c *Child) Facts() acl.ChildFacts {
	return acl.ChildFacts{Distribution: c.Distribution, SharingGroupID: c.SGID}
}

// Sizes bound a random world.
type Sizes struct {
	Orgs, SharingGroups, Events, Objects, Attributes int
}

// Generate draws a world: orgs organisations, sharing groups owned by and listing random
// organisations, and events with random owners, distributions (0-4, and 0-5 for children),
// sharing groups and publication.
func Generate(rng *rand.Rand, n Sizes) *World {
	w := &World{Orgs: make([]int64, n.Orgs)}
	pickOrg := func() int { return rng.IntN(n.Orgs) }
	for i := 0; i < n.SharingGroups; i++ {
		sg := &SharingGroup{Owner: int64(pickOrg()), LocalAllOrgs: rng.IntN(5) == 0,
			RemoteServer: rng.IntN(3) == 0}
		sg.LocalOnly = !sg.LocalAllOrgs && rng.IntN(2) == 0
		for j := 0; j < n.Orgs; j++ {
			if rng.IntN(3) == 0 {
				sg.Orgs = append(sg.Orgs, int64(j))
			}
		}
		w.SharingGroups = append(w.SharingGroups, sg)
	}
	pickSG := func() int64 {
		if len(w.SharingGroups) == 0 {
			return 0
		}
		return int64(rng.IntN(len(w.SharingGroups)))
	}
	for i := 0; i < n.Events; i++ {
		e := &Event{OrgID: int64(pickOrg()), OrgcID: int64(pickOrg()),
			Distribution: int64(rng.IntN(5)), Published: rng.IntN(2) == 0}
		if e.Distribution == acl.SharingGroup {
			e.SGID = pickSG()
		}
		child := func() *Child {
			c := &Child{Distribution: int64(rng.IntN(6))}
			if c.Distribution == acl.SharingGroup {
				c.SGID = pickSG()
			}
			return c
		}
		for j := rng.IntN(n.Objects + 1); j > 0; j-- {
			e.Objects = append(e.Objects, child())
		}
		for j := rng.IntN(n.Attributes + 1); j > 0; j-- {
			e.Attributes = append(e.Attributes, child())
			obj := -1
			if len(e.Objects) > 0 && rng.IntN(2) == 0 {
				obj = rng.IntN(len(e.Objects))
			}
			e.AttributeObjectIndex = append(e.AttributeObjectIndex, obj)
		}
		w.Events = append(w.Events, e)
	}
	return w
}

// Insert writes the world into db and sets the ids. Organisation, sharing group and event
// indexes drawn by Generate become ids.
func (w *World) Insert(ctx context.Context, db *store.DB) error {
	now := time.Now().UTC()
	created := now.Format("2006-01-02 15:04:05")
	return db.Tx(ctx, func(tx *store.Tx) error {
		for i := range w.Orgs {
			empty := ""
			o := model.Organisation{Name: "acl-org-" + uuid.NewString(), UUID: uuid.NewString(),
				DateCreated: created, DateModified: created, Local: true, Type: &empty,
				Nationality: &empty, Sector: &empty}
			if err := store.InsertOrganisation(ctx, tx, &o); err != nil {
				return err
			}
			w.Orgs[i] = int64(o.ID)
		}
		for _, sg := range w.SharingGroups {
			if err := w.insertSharingGroup(ctx, tx, sg, created); err != nil {
				return err
			}
		}
		for _, e := range w.Events {
			if err := w.insertEvent(ctx, tx, e, now); err != nil {
				return err
			}
		}
		return nil
	})
}

func (w *World) insertSharingGroup(ctx context.Context, tx *store.Tx, sg *SharingGroup,
	created string) error {
	sg.Owner = w.Orgs[sg.Owner]
	for i, o := range sg.Orgs {
		sg.Orgs[i] = w.Orgs[o]
	}
	err := tx.QueryRowContext(ctx, `
		INSERT INTO sharing_groups (name, releasability, description, uuid, organisation_uuid,
			org_id, sync_user_id, active, created, modified, local, roaming)
		VALUES ($1, '', '', $2, '', $3, 0, true, $4, $4, true, false)
		RETURNING id`, "acl-sg-"+uuid.NewString(), uuid.NewString(), sg.Owner, created,
	).Scan(&sg.ID)
	if err != nil {
		return fmt.Errorf("acltest: sharing group: %w", err)
	}
	for _, o := range sg.Orgs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_group_orgs
			(sharing_group_id, org_id, extend) VALUES ($1, $2, false)`, sg.ID, o); err != nil {
			return fmt.Errorf("acltest: sharing group org: %w", err)
		}
	}
	servers := map[int64]bool{}
	if sg.LocalAllOrgs || sg.LocalOnly {
		servers[0] = sg.LocalAllOrgs
	}
	if sg.RemoteServer {
		servers[1] = true // all orgs of another server: no local access
	}
	for id, all := range servers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sharing_group_servers
			(sharing_group_id, server_id, all_orgs) VALUES ($1, $2, $3)`, sg.ID, id, all); err != nil {
			return fmt.Errorf("acltest: sharing group server: %w", err)
		}
	}
	return nil
}

func (w *World) sgID(i int64, dist int64) int64 {
	if dist != acl.SharingGroup {
		return 0
	}
	return w.SharingGroups[i].ID
}

func (w *World) insertEvent(ctx context.Context, tx *store.Tx, e *Event, now time.Time) error {
	e.OrgID, e.OrgcID = w.Orgs[e.OrgID], w.Orgs[e.OrgcID]
	e.SGID = w.sgID(e.SGID, e.Distribution)
	e.UUID = uuid.NewString()
	ev := model.Event{OrgID: misp.StrInt(e.OrgID), OrgcID: misp.StrInt(e.OrgcID), UserID: 1,
		Date: now.Format(time.DateOnly), Info: "acl event", UUID: e.UUID,
		Published: misp.Bool(e.Published), Analysis: 0, ThreatLevelID: 4,
		Timestamp: misp.StrInt(now.Unix()), Distribution: misp.StrInt(e.Distribution),
		SharingGroupID: misp.StrInt(e.SGID), AttributeCount: misp.StrInt(len(e.Attributes))}
	if err := store.InsertEvent(ctx, tx, &ev); err != nil {
		return err
	}
	e.ID = int64(ev.ID)

	objs := make([]*model.Object, len(e.Objects))
	for i, c := range e.Objects {
		c.SGID, c.UUID = w.sgID(c.SGID, c.Distribution), uuid.NewString()
		objs[i] = &model.Object{Name: "acl", EventID: ev.ID, UUID: c.UUID,
			Timestamp: ev.Timestamp, Distribution: misp.StrInt(c.Distribution),
			SharingGroupID: misp.StrInt(c.SGID)}
	}
	if err := store.InsertObjects(ctx, tx, objs); err != nil {
		return err
	}
	for i, o := range objs {
		e.Objects[i].ID = int64(o.ID)
	}
	attrs := make([]*model.Attribute, len(e.Attributes))
	for i, c := range e.Attributes {
		c.SGID, c.UUID = w.sgID(c.SGID, c.Distribution), uuid.NewString()
		a := &model.Attribute{EventID: ev.ID, Type: "text", Category: "Other",
			Value: "acl value " + c.UUID, UUID: c.UUID, Timestamp: ev.Timestamp,
			Distribution: misp.StrInt(c.Distribution), SharingGroupID: misp.StrInt(c.SGID)}
		if j := e.AttributeObjectIndex[i]; j >= 0 {
			rel := "text"
			a.ObjectID, a.ObjectRelation = objs[j].ID, &rel
		}
		attrs[i] = a
	}
	if err := store.InsertAttributes(ctx, tx, attrs); err != nil {
		return err
	}
	for i, a := range attrs {
		e.Attributes[i].ID = int64(a.ID)
	}
	return nil
}

// Authorised returns, sorted, the sharing groups an organisation may read, from the
// world's own description: owned, listing it, or open to all local organisations.
func (w *World) Authorised(org int64) []int64 {
	var ids []int64
	for _, sg := range w.SharingGroups {
		if sg.Owner == org || sg.LocalAllOrgs || slices.Contains(sg.Orgs, org) {
			ids = append(ids, sg.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// Viewer returns the viewer of a user of org.
func (w *World) Viewer(org int64, siteAdmin, unpublishedPrivate bool) *acl.Viewer {
	return &acl.Viewer{UserID: 1, OrgID: org, SiteAdmin: siteAdmin,
		SharingGroups: w.Authorised(org), UnpublishedPrivate: unpublishedPrivate}
}

// Visible is what a viewer may see of the world by the oracle: event, object and
// attribute ids.
type Visible struct {
	Events, Objects, Attributes map[int64]bool
}

// Oracle returns what v may see, by the plain-Go rules.
func (w *World) Oracle(v *acl.Viewer) Visible {
	out := Visible{Events: map[int64]bool{}, Objects: map[int64]bool{}, Attributes: map[int64]bool{}}
	for _, e := range w.Events {
		if v.SeesEvent(e.Facts()) {
			out.Events[e.ID] = true
		}
		for _, o := range e.Objects {
			if v.SeesChild(e.Facts(), o.Facts()) {
				out.Objects[o.ID] = true
			}
		}
		for i, a := range e.Attributes {
			var obj *acl.ChildFacts
			if j := e.AttributeObjectIndex[i]; j >= 0 {
				f := e.Objects[j].Facts()
				obj = &f
			}
			if v.SeesAttribute(e.Facts(), a.Facts(), obj) {
				out.Attributes[a.ID] = true
			}
		}
	}
	return out
}
