package model

import "github.com/cairn-project/cairn/internal/misp"

// Tag is a row of tags, in MISP's field order.
type Tag struct {
	ID             misp.StrInt  `json:"id"`
	Name           string       `json:"name"`
	Colour         string       `json:"colour"`
	Exportable     misp.Bool    `json:"exportable"`
	OrgID          misp.StrInt  `json:"org_id"`
	UserID         misp.StrInt  `json:"user_id"`
	HideTag        misp.Bool    `json:"hide_tag"`
	NumericalValue *misp.StrInt `json:"numerical_value"`
	IsGalaxy       misp.Bool    `json:"is_galaxy"`
	IsCustomGalaxy misp.Bool    `json:"is_custom_galaxy"`
	LocalOnly      misp.Bool    `json:"local_only"`
}

// UsableBy reports whether a user of org orgID may attach t: tags restricted to an
// organisation or a user serve only them (site admins are not restricted, see callers).
func (t *Tag) UsableBy(orgID, userID int64) bool {
	return (t.OrgID == 0 || int64(t.OrgID) == orgID) && (t.UserID == 0 || int64(t.UserID) == userID)
}
