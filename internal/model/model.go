// Package model holds Cairn's entities in MISP's wire shape: the field names, the order and
// the JSON types (ids as strings, flags as booleans) that MISP clients expect. The store
// scans into these structs and the API encodes them as they are.
package model

import "github.com/cairn-project/cairn/internal/misp"

// OrgRef is the short form of an organisation embedded in other entities.
type OrgRef struct {
	ID    misp.StrInt `json:"id"`
	Name  string      `json:"name"`
	UUID  string      `json:"uuid"`
	Local misp.Bool   `json:"local"`
}

// Organisation is a row of organisations.
type Organisation struct {
	ID                 misp.StrInt `json:"id"`
	Name               string      `json:"name"`
	DateCreated        string      `json:"date_created"`
	DateModified       string      `json:"date_modified"`
	Description        *string     `json:"description"`
	Type               *string     `json:"type"`
	Nationality        *string     `json:"nationality"`
	Sector             *string     `json:"sector"`
	CreatedBy          misp.StrInt `json:"created_by"`
	UUID               string      `json:"uuid"`
	Contacts           *string     `json:"contacts"`
	Local              misp.Bool   `json:"local"`
	RestrictedToDomain *string     `json:"restricted_to_domain"`
	Landingpage        *string     `json:"landingpage"`
}

// Ref returns the short form of o.
func (o *Organisation) Ref() OrgRef {
	return OrgRef{ID: o.ID, Name: o.Name, UUID: o.UUID, Local: o.Local}
}

// User is a row of users. Secrets never leave the server: Password and TOTP are masked
// when encoded.
type User struct {
	ID                   misp.StrInt  `json:"id"`
	Password             string       `json:"password"`
	OrgID                misp.StrInt  `json:"org_id"`
	ServerID             misp.StrInt  `json:"server_id"`
	Email                string       `json:"email"`
	Autoalert            misp.Bool    `json:"autoalert"`
	Authkey              *string      `json:"authkey,omitempty"`
	InvitedBy            misp.StrInt  `json:"invited_by"`
	GPGKey               *string      `json:"gpgkey"`
	CertifPublic         *string      `json:"certif_public"`
	NIDSSID              misp.StrInt  `json:"nids_sid"`
	TermsAccepted        misp.Bool    `json:"termsaccepted"`
	NewsRead             misp.StrInt  `json:"newsread"`
	RoleID               misp.StrInt  `json:"role_id"`
	ChangePW             misp.Bool    `json:"change_pw"`
	ContactAlert         misp.Bool    `json:"contactalert"`
	Disabled             misp.Bool    `json:"disabled"`
	Expiration           *string      `json:"expiration"`
	CurrentLogin         misp.StrInt  `json:"current_login"`
	LastLogin            misp.StrInt  `json:"last_login"`
	ForceLogout          misp.Bool    `json:"force_logout"`
	DateCreated          *misp.StrInt `json:"date_created"`
	DateModified         *misp.StrInt `json:"date_modified"`
	Sub                  *string      `json:"sub"`
	ExternalAuthRequired misp.Bool    `json:"external_auth_required"`
	ExternalAuthKey      *string      `json:"external_auth_key"`
	LastAPIAccess        misp.StrInt  `json:"last_api_access"`
	NotificationDaily    misp.Bool    `json:"notification_daily"`
	NotificationWeekly   misp.Bool    `json:"notification_weekly"`
	NotificationMonthly  misp.Bool    `json:"notification_monthly"`
	TOTP                 *string      `json:"totp"`
	HOTPCounter          *misp.StrInt `json:"hotp_counter"`
	LastPWChange         *misp.StrInt `json:"last_pw_change"`
	TOTPIsSet            misp.StrInt  `json:"totp_is_set"`
}

// Masked returns a copy of u safe to send: the password hash and TOTP secret replaced by
// MISP's placeholder.
func (u User) Masked() User {
	u.Password = "*****"
	u.TOTPIsSet = 0
	if u.TOTP != nil && *u.TOTP != "" {
		u.TOTPIsSet = 1
	}
	m := "*****" // MISP masks the secret whether or not one is set
	u.TOTP = &m
	u.Authkey = nil
	return u
}

// Role is a row of roles. Perms are listed in MISP's column order.
type Role struct {
	ID       misp.StrInt `json:"id"`
	Name     string      `json:"name"`
	Created  string      `json:"created"`
	Modified string      `json:"modified"`
	Perms
	DefaultRole           misp.Bool   `json:"default_role"`
	MemoryLimit           *string     `json:"memory_limit"`
	MaxExecutionTime      *string     `json:"max_execution_time"`
	RestrictedToSiteAdmin misp.Bool   `json:"restricted_to_site_admin"`
	EnforceRateLimit      misp.Bool   `json:"enforce_rate_limit"`
	RateLimitCount        misp.StrInt `json:"rate_limit_count"`
	Permission            misp.StrInt `json:"permission"`
	PermissionDescription string      `json:"permission_description"`
}

// Perms holds a role's permission flags.
type Perms struct {
	Add                  misp.Bool `json:"perm_add"`
	Modify               misp.Bool `json:"perm_modify"`
	ModifyOrg            misp.Bool `json:"perm_modify_org"`
	Publish              misp.Bool `json:"perm_publish"`
	Delegate             misp.Bool `json:"perm_delegate"`
	Sync                 misp.Bool `json:"perm_sync"`
	Admin                misp.Bool `json:"perm_admin"`
	Audit                misp.Bool `json:"perm_audit"`
	Auth                 misp.Bool `json:"perm_auth"`
	SiteAdmin            misp.Bool `json:"perm_site_admin"`
	RegexpAccess         misp.Bool `json:"perm_regexp_access"`
	Tagger               misp.Bool `json:"perm_tagger"`
	Template             misp.Bool `json:"perm_template"`
	SharingGroup         misp.Bool `json:"perm_sharing_group"`
	TagEditor            misp.Bool `json:"perm_tag_editor"`
	Sighting             misp.Bool `json:"perm_sighting"`
	ObjectTemplate       misp.Bool `json:"perm_object_template"`
	PublishZMQ           misp.Bool `json:"perm_publish_zmq"`
	PublishKafka         misp.Bool `json:"perm_publish_kafka"`
	Decaying             misp.Bool `json:"perm_decaying"`
	GalaxyEditor         misp.Bool `json:"perm_galaxy_editor"`
	Warninglist          misp.Bool `json:"perm_warninglist"`
	ViewFeedCorrelations misp.Bool `json:"perm_view_feed_correlations"`
	AnalystData          misp.Bool `json:"perm_analyst_data"`
	SkipOTP              misp.Bool `json:"perm_skip_otp"`
}

// PermColumns lists the roles table's flag columns in the order of the Perms fields.
var PermColumns = []string{
	"perm_add", "perm_modify", "perm_modify_org", "perm_publish", "perm_delegate",
	"perm_sync", "perm_admin", "perm_audit", "perm_auth", "perm_site_admin",
	"perm_regexp_access", "perm_tagger", "perm_template", "perm_sharing_group",
	"perm_tag_editor", "perm_sighting", "perm_object_template", "perm_publish_zmq",
	"perm_publish_kafka", "perm_decaying", "perm_galaxy_editor", "perm_warninglist",
	"perm_view_feed_correlations", "perm_analyst_data", "perm_skip_otp",
}

// Fields returns pointers to the flags in PermColumns order, for scanning and writing.
func (p *Perms) Fields() []*misp.Bool {
	return []*misp.Bool{
		&p.Add, &p.Modify, &p.ModifyOrg, &p.Publish, &p.Delegate, &p.Sync, &p.Admin,
		&p.Audit, &p.Auth, &p.SiteAdmin, &p.RegexpAccess, &p.Tagger, &p.Template,
		&p.SharingGroup, &p.TagEditor, &p.Sighting, &p.ObjectTemplate, &p.PublishZMQ,
		&p.PublishKafka, &p.Decaying, &p.GalaxyEditor, &p.Warninglist,
		&p.ViewFeedCorrelations, &p.AnalystData, &p.SkipOTP,
	}
}

// SetPermission computes MISP's derived permission level and its description from the
// four event flags.
func (r *Role) SetPermission() {
	switch {
	case bool(r.Add && r.Modify && r.ModifyOrg && r.Publish):
		r.Permission, r.PermissionDescription = 3, "publish"
	case bool(r.Add && r.Modify && r.ModifyOrg):
		r.Permission, r.PermissionDescription = 2, "manage_org"
	case bool(r.Add && r.Modify):
		r.Permission, r.PermissionDescription = 1, "manage_own"
	default:
		r.Permission, r.PermissionDescription = 0, "read_only"
	}
}

// ApplyPermission sets the four event flags from MISP's permission shortcut
// (0 read_only, 1 manage_own, 2 manage_org, 3 publish).
func (p *Perms) ApplyPermission(level int) {
	p.Add = misp.Bool(level >= 1)
	p.Modify = misp.Bool(level >= 1)
	p.ModifyOrg = misp.Bool(level >= 2)
	p.Publish = misp.Bool(level >= 3)
}
