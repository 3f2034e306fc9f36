package model

import "github.com/cairn-project/cairn/internal/misp"

// SharingGroup is a row of sharing_groups, in MISP's field order.
type SharingGroup struct {
	ID               misp.StrInt `json:"id"`
	Name             string      `json:"name"`
	Releasability    string      `json:"releasability"`
	Description      string      `json:"description"`
	UUID             string      `json:"uuid"`
	OrganisationUUID string      `json:"organisation_uuid"`
	OrgID            misp.StrInt `json:"org_id"`
	SyncUserID       misp.StrInt `json:"sync_user_id"`
	Active           misp.Bool   `json:"active"`
	Created          string      `json:"created"`
	Modified         string      `json:"modified"`
	Local            misp.Bool   `json:"local"`
	Roaming          misp.Bool   `json:"roaming"`
}

// SharingGroupOrg is a member organisation of a sharing group. Extend lets that
// organisation add members.
type SharingGroupOrg struct {
	ID             misp.StrInt `json:"id"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	OrgID          misp.StrInt `json:"org_id"`
	Extend         misp.Bool   `json:"extend"`
}

// SharingGroupServer is a member server of a sharing group; ServerID 0 is this instance.
// AllOrgs makes every organisation of that server a member.
type SharingGroupServer struct {
	ID             misp.StrInt `json:"id"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	ServerID       misp.StrInt `json:"server_id"`
	AllOrgs        misp.Bool   `json:"all_orgs"`
}
