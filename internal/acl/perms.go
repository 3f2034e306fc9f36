package acl

import (
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/model"
)

// The write rules of reference §3.4. Each takes the caller and the event as stored.

// CanAddEvent reports whether p may create events.
func CanAddEvent(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.Add)
}

// CanModifyEvent reports whether p may change event e and its attributes, objects and
// references: site admins; users with perm_modify_org of the creator organisation; users
// with perm_modify who created the event.
func CanModifyEvent(p *auth.Principal, e *model.Event) bool {
	switch {
	case p.SiteAdmin():
		return true
	case bool(p.Role.ModifyOrg) && int64(e.OrgcID) == p.OrgID():
		return true
	case bool(p.Role.Modify) && int64(e.UserID) == p.UserID():
		return true
	}
	return false
}

// CanPublish reports whether p may publish or unpublish event e: site admins, and users
// with perm_publish of the creator organisation.
func CanPublish(p *auth.Principal, e *model.Event) bool {
	return p.SiteAdmin() || (bool(p.Role.Publish) && int64(e.OrgcID) == p.OrgID())
}

// CanTag reports whether p may attach or detach global tags on event e and its attributes:
// site admins, and taggers (or sync users) who may modify the event.
func CanTag(p *auth.Principal, e *model.Event) bool {
	if p.SiteAdmin() {
		return true
	}
	return (bool(p.Role.Tagger) || bool(p.Role.Sync)) && CanModifyEvent(p, e)
}

// CanTagLocally reports whether p may attach local tags on an event it can see. MISP's
// events/addTag and attributes/addTag only ask for perm_tagger there (the host-org rule
// belongs to tags/attachTagToObject).
func CanTagLocally(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.Tagger)
}

// CanUseTag reports whether p may attach tag t: tags restricted to another organisation or
// another user are refused to anyone but a site admin.
func CanUseTag(p *auth.Principal, t *model.AttachedTag) bool {
	if p.SiteAdmin() {
		return true
	}
	orgOK := t.OrgID == 0 || int64(t.OrgID) == p.OrgID()
	userOK := t.UserID == 0 || int64(t.UserID) == p.UserID()
	return orgOK && userOK
}

// CanCreateTags reports whether p may create a tag that does not exist yet by attaching it.
func CanCreateTags(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.TagEditor)
}

// CanSeeCreatorEmail reports whether event_creator_email is sent to p for event e: site
// admins, and auditors of the creator organisation (Q18).
func CanSeeCreatorEmail(p *auth.Principal, e *model.Event) bool {
	return p.SiteAdmin() || (bool(p.Role.Audit) && int64(e.OrgcID) == p.OrgID())
}

// CanSetCreatorOrg reports whether p may create an event in the name of another
// organisation (Orgc): site admins and sync users. Anyone else gets their own.
func CanSetCreatorOrg(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.Sync)
}

// CanReadAuditLog reports whether p may read the audit log (admin/logs/index,
// admin/audit_logs/index): site admins read all of it, auditors (perm_audit) the changes
// made by their own organisation.
func CanReadAuditLog(p *auth.Principal) bool {
	return p.SiteAdmin() || bool(p.Role.Audit)
}
