package acl

import (
	"strconv"

	"github.com/cairn-project/cairn/internal/auth"
)

// SightingPolicy is the setting Plugin.Sightings_policy: who sees the sightings of the
// attributes they can read (reference §1.7). Whatever the policy, an organisation sees
// its own sightings, the owner organisation of an event sees all of the event's sightings,
// and site admins see all.
type SightingPolicy int

// The policies, numbered as MISP numbers them.
const (
	// SightingsEventOwner shows the others only their own sightings (MISP's default).
	SightingsEventOwner SightingPolicy = 0
	// SightingsReporters shows every sighting of an event to the organisations that
	// reported one on it.
	SightingsReporters SightingPolicy = 1
	// SightingsEveryone shows the sightings to anyone who can read the attribute.
	SightingsEveryone SightingPolicy = 2
	// SightingsHostOrg is SightingsEventOwner plus the host organisation's sightings.
	SightingsHostOrg SightingPolicy = 3
)

// SightingRules are the settings that decide which sightings a reader sees and how.
type SightingRules struct {
	Policy SightingPolicy
	// HostOrgID is MISP.host_org_id, whose sightings SightingsHostOrg shows to all.
	HostOrgID int64
	// Anonymise is Plugin.Sightings_anonymise: other organisations' sightings are shown
	// without their organisation.
	Anonymise bool
}

// SightingCondition returns the SQL condition under which the sighting aliased s, on an
// attribute of the event aliased e that v can read, is shown to v. Under
// SightingsReporters the condition looks for v's own sightings on the same event.
func (v *Viewer) SightingCondition(s, e string, r SightingRules) string {
	if v.SiteAdmin {
		return "true"
	}
	owner := e + ".org_id = " + v.org()
	switch r.Policy {
	case SightingsEventOwner:
		return "(" + owner + " OR " + s + ".org_id = " + v.org() + ")"
	case SightingsReporters:
		return "(" + owner + " OR EXISTS (SELECT 1 FROM sightings own_sighting" +
			" WHERE own_sighting.event_id = " + s + ".event_id AND own_sighting.org_id = " +
			v.org() + "))"
	case SightingsHostOrg:
		return "(" + owner + " OR " + s + ".org_id IN (" + v.org() + ", " +
			strconv.FormatInt(r.HostOrgID, 10) + "))"
	}
	return "true"
}

// DeletedCondition returns the SQL condition under which v may read the row aliased c of
// the event aliased e when it is soft-deleted: only the event's owner organisation and
// site admins read deleted attributes, as restSearch shows them.
func (v *Viewer) DeletedCondition(e, c string) string {
	if v.SiteAdmin {
		return "true"
	}
	return "(" + c + ".deleted = false OR " + e + ".org_id = " + v.org() + ")"
}

// SightingFacts are what the rules read of a sighting.
type SightingFacts struct {
	// OrgID is the organisation that reported the sighting.
	OrgID int64
	// EventOrgID is the owner organisation of the sighted attribute's event.
	EventOrgID int64
	// ViewerReported says whether v's organisation reported a sighting on the same event.
	ViewerReported bool
}

// SeesSighting reports whether v, who can read the sighted attribute, is shown sighting s:
// the plain-Go form of [Viewer.SightingCondition].
func (v *Viewer) SeesSighting(s SightingFacts, r SightingRules) bool {
	if v.SiteAdmin || s.EventOrgID == v.OrgID {
		return true
	}
	switch r.Policy {
	case SightingsEventOwner:
		return s.OrgID == v.OrgID
	case SightingsReporters:
		return s.ViewerReported
	case SightingsHostOrg:
		return s.OrgID == v.OrgID || s.OrgID == r.HostOrgID
	}
	return true
}

// HidesSightingOrg reports whether the organisation that reported a sighting is hidden
// from v: under Plugin.Sightings_anonymise, any organisation but v's own.
func (v *Viewer) HidesSightingOrg(sightingOrgID int64, r SightingRules) bool {
	return r.Anonymise && sightingOrgID != v.OrgID
}

// CanAddSightings reports whether p may add sightings: site admins, and roles with
// perm_sighting.
func CanAddSightings(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.Sighting)
}

// CanDeleteSightings reports whether p may use sightings/delete at all: site admins, and
// roles with both perm_sighting and perm_modify_org. [CanDeleteSighting] says which.
func CanDeleteSightings(p *auth.Principal) bool {
	return p.SiteAdmin() || (bool(p.Role.Sighting) && bool(p.Role.ModifyOrg))
}

// CanDeleteSighting reports whether p may delete a sighting reported by organisation
// orgID: site admins any, users with perm_modify_org those of their organisation.
func CanDeleteSighting(p *auth.Principal, orgID int64) bool {
	return p.SiteAdmin() || (bool(p.Role.ModifyOrg) && orgID == p.OrgID())
}
