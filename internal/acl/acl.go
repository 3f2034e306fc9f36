// Package acl holds MISP's access rules (reference §3). What a user may read is written once
// as SQL conditions, built from the user's organisation, site-admin flag and authorised
// sharing groups, for every read path to use; and once more as plain Go, the oracle that the
// property test holds the SQL to. What a user may change, publish or tag (§3.4) is written as
// plain functions of the caller and the event.
//
// The package does no I/O: the caller loads the authorised sharing groups
// (store.AuthorizedSharingGroupIDs) and builds a [Viewer].
package acl

import (
	"slices"
	"strconv"
	"strings"
)

// Distribution levels (reference §3.1).
const (
	YourOrganisation     = 0
	ThisCommunity        = 1
	ConnectedCommunities = 2
	AllCommunities       = 3
	SharingGroup         = 4
	InheritEvent         = 5
)

// Viewer is who reads: a user with what the access rules need to know of it.
type Viewer struct {
	UserID    int64
	OrgID     int64
	SiteAdmin bool
	// SharingGroups holds the ids of the sharing groups the user's organisation is
	// authorised for, sorted: those with a local server entry open to all organisations,
	// those listing the organisation, and those it owns.
	SharingGroups []int64
	// UnpublishedPrivate is the setting MISP.unpublishedprivate: unpublished events are
	// seen by their owner organisation only.
	UnpublishedPrivate bool
}

// InSharingGroup reports whether the viewer is authorised for sharing group id.
func (v *Viewer) InSharingGroup(id int64) bool {
	if v.SiteAdmin {
		return true
	}
	_, found := slices.BinarySearch(v.SharingGroups, id)
	return found
}

// inSharingGroups returns the SQL test of col against the authorised sharing groups. The
// ids are integers written into the text, so the condition carries no parameters and can
// be put into any query whatever its placeholders.
func (v *Viewer) inSharingGroups(col string) string {
	if len(v.SharingGroups) == 0 {
		return "false"
	}
	var b strings.Builder
	b.WriteString(col)
	b.WriteString(" IN (")
	for i, id := range v.SharingGroups {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteString(")")
	return b.String()
}

// EventCondition returns the SQL condition under which the event row aliased e is visible
// (reference §3.2): the owner organisation sees it whatever its distribution; others see it
// when it is shared with the community (1-3) or with a sharing group they are authorised
// for (4), and, under MISP.unpublishedprivate, only once published. Site admins see all.
func (v *Viewer) EventCondition(e string) string {
	if v.SiteAdmin {
		return "true"
	}
	published := ""
	if v.UnpublishedPrivate {
		published = " AND " + e + ".published = true"
	}
	return "(" + e + ".org_id = " + v.org() +
		" OR (" + e + ".distribution IN (1, 2, 3)" + published + ")" +
		" OR (" + e + ".distribution = 4 AND " + v.inSharingGroups(e+".sharing_group_id") +
		published + "))"
}

// ChildCondition returns the SQL condition under which a child row aliased c (an
// attribute, an object or a report) of a visible event owned by eventOrgID is visible
// (reference §3.3). An attribute inside an object must pass the object's condition too.
func (v *Viewer) ChildCondition(c string, eventOrgID int64) string {
	if v.SiteAdmin || eventOrgID == v.OrgID {
		return "true"
	}
	return v.childRule(c)
}

func (v *Viewer) childRule(c string) string {
	return "(" + c + ".distribution IN (1, 2, 3, 5) OR (" + c + ".distribution = 4 AND " +
		v.inSharingGroups(c+".sharing_group_id") + "))"
}

// ObjectCondition returns the SQL condition under which the object aliased o, of the event
// aliased e, is visible: the event's condition and the object's own rule.
func (v *Viewer) ObjectCondition(e, o string) string {
	if v.SiteAdmin {
		return "true"
	}
	return "(" + v.EventCondition(e) + " AND (" + e + ".org_id = " + v.org() + " OR " +
		v.childRule(o) + "))"
}

// AttributeCondition returns the SQL condition under which the attribute aliased a, of the
// event aliased e, is visible, across events (restSearch, correlations, exports). The
// query must join the attribute's object as o with
// "LEFT JOIN objects o ON o.id = a.object_id": an attribute inside an object needs the
// object's rule to pass too.
func (v *Viewer) AttributeCondition(e, a, o string) string {
	if v.SiteAdmin {
		return "true"
	}
	owner := e + ".org_id = " + v.org()
	return "(" + v.EventCondition(e) + " AND (" + owner + " OR " + v.childRule(a) + ")" +
		" AND (" + a + ".object_id = 0 OR " + owner + " OR " + v.childRule(o) + "))"
}

func (v *Viewer) org() string { return strconv.FormatInt(v.OrgID, 10) }

// The plain-Go oracle of the same rules, for single rows already in memory and for the
// property test that checks the SQL against it.

// EventFacts are what the rules read of an event.
type EventFacts struct {
	OrgID          int64
	Distribution   int64
	SharingGroupID int64
	Published      bool
}

// ChildFacts are what the rules read of an attribute, an object or a report.
type ChildFacts struct {
	Distribution   int64
	SharingGroupID int64
}

// SeesEvent reports whether v may see event e.
func (v *Viewer) SeesEvent(e EventFacts) bool {
	switch {
	case v.SiteAdmin, e.OrgID == v.OrgID:
		return true
	case v.UnpublishedPrivate && !e.Published:
		return false
	case e.Distribution >= ThisCommunity && e.Distribution <= AllCommunities:
		return true
	case e.Distribution == SharingGroup:
		return v.InSharingGroup(e.SharingGroupID)
	}
	return false
}

// SeesChild reports whether v may see child c (an object or a report) of event e.
func (v *Viewer) SeesChild(e EventFacts, c ChildFacts) bool {
	return v.SeesEvent(e) && v.childVisible(e, c)
}

// SeesAttribute reports whether v may see attribute a of event e; obj is the attribute's
// object, nil when the attribute is not inside one.
func (v *Viewer) SeesAttribute(e EventFacts, a ChildFacts, obj *ChildFacts) bool {
	if !v.SeesEvent(e) || !v.childVisible(e, a) {
		return false
	}
	return obj == nil || v.childVisible(e, *obj)
}

func (v *Viewer) childVisible(e EventFacts, c ChildFacts) bool {
	switch {
	case v.SiteAdmin, e.OrgID == v.OrgID:
		return true
	case c.Distribution == SharingGroup:
		return v.InSharingGroup(c.SharingGroupID)
	}
	return c.Distribution >= ThisCommunity && c.Distribution <= InheritEvent
}
