package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// userInput is the body of admin/users/add and edit. Absent members are nil.
type userInput struct {
	Email                *string      `json:"email"`
	OrgID                *misp.StrInt `json:"org_id"`
	RoleID               *misp.StrInt `json:"role_id"`
	Password             *string      `json:"password"`
	Autoalert            *misp.Bool   `json:"autoalert"`
	ContactAlert         *misp.Bool   `json:"contactalert"`
	Disabled             *misp.Bool   `json:"disabled"`
	ChangePW             *misp.Bool   `json:"change_pw"`
	TermsAccepted        *misp.Bool   `json:"termsaccepted"`
	GPGKey               *string      `json:"gpgkey"`
	CertifPublic         *string      `json:"certif_public"`
	NIDSSID              *misp.StrInt `json:"nids_sid"`
	ExternalAuthRequired *misp.Bool   `json:"external_auth_required"`
	ExternalAuthKey      *string      `json:"external_auth_key"`
	NotificationDaily    *misp.Bool   `json:"notification_daily"`
	NotificationWeekly   *misp.Bool   `json:"notification_weekly"`
	NotificationMonthly  *misp.Bool   `json:"notification_monthly"`
	Authkey              *string      `json:"authkey"`
}

func (in *userInput) apply(u *model.User) {
	if in.Email != nil {
		u.Email = strings.TrimSpace(*in.Email)
	}
	if in.OrgID != nil {
		u.OrgID = *in.OrgID
	}
	if in.RoleID != nil {
		u.RoleID = *in.RoleID
	}
	flags := []struct {
		dst *misp.Bool
		src *misp.Bool
	}{{&u.Autoalert, in.Autoalert}, {&u.ContactAlert, in.ContactAlert},
		{&u.Disabled, in.Disabled}, {&u.ChangePW, in.ChangePW},
		{&u.TermsAccepted, in.TermsAccepted}, {&u.ExternalAuthRequired, in.ExternalAuthRequired},
		{&u.NotificationDaily, in.NotificationDaily}, {&u.NotificationWeekly, in.NotificationWeekly},
		{&u.NotificationMonthly, in.NotificationMonthly}}
	for _, f := range flags {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if in.GPGKey != nil {
		u.GPGKey = in.GPGKey
	}
	if in.CertifPublic != nil {
		u.CertifPublic = in.CertifPublic
	}
	if in.NIDSSID != nil {
		u.NIDSSID = *in.NIDSSID
	}
	if in.ExternalAuthKey != nil {
		u.ExternalAuthKey = in.ExternalAuthKey
	}
}

// userView is the answer of users/view and admin/users/view.
type userView struct {
	User         model.User         `json:"User"`
	Role         model.Role         `json:"Role"`
	UserSetting  any                `json:"UserSetting"`
	Organisation model.Organisation `json:"Organisation"`
}

func (s *Server) userView(r *http.Request, id int64) (*userView, error) {
	u, role, org, err := s.db.UserWithRoleAndOrg(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Invalid user")
	}
	if err != nil {
		return nil, err
	}
	raw, err := s.db.UserSettings(r.Context(), id)
	if err != nil {
		return nil, err
	}
	var us any = []any{}
	if len(raw) > 0 {
		m := map[string]json.RawMessage{}
		for k, v := range raw {
			if json.Valid([]byte(v)) {
				m[k] = json.RawMessage(v)
			} else {
				b, _ := json.Marshal(v)
				m[k] = b
			}
		}
		us = m
	}
	return &userView{User: u.Masked(), Role: role, UserSetting: us, Organisation: org}, nil
}

// canManageUser reports whether p may see and change user u: site admins any user, org
// admins the users of their organisation.
func canManageUser(p *auth.Principal, u model.User) bool {
	return p.SiteAdmin() || (bool(p.Role.Admin) && u.OrgID == p.User.OrgID)
}

func (s *Server) viewMe(w http.ResponseWriter, r *http.Request) error {
	v, err := s.userView(r, principal(r).UserID())
	if err != nil {
		return err
	}
	return ok(w, v)
}

func (s *Server) viewUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if r.PathValue("id") == "me" {
		return s.viewMe(w, r)
	}
	id, okID := pathInt(r.PathValue("id"))
	if !okID || (id != p.UserID() && !p.SiteAdmin()) {
		return notFound("Invalid user")
	}
	v, err := s.userView(r, id)
	if err != nil {
		return err
	}
	return ok(w, v)
}

func (s *Server) adminViewUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Admin) {
		return noFunctionality()
	}
	id, okID := pathInt(r.PathValue("id"))
	if !okID {
		return notFound("Invalid user")
	}
	v, err := s.userView(r, id)
	if err != nil {
		return err
	}
	if !canManageUser(p, v.User) {
		return notFound("Invalid user")
	}
	admins, err := s.orgAdmins(r, int64(v.User.OrgID))
	if err != nil {
		return err
	}
	return ok(w, struct {
		User struct {
			model.User
			OrgAdmins any `json:"orgAdmins"`
		} `json:"User"`
		Role         model.Role         `json:"Role"`
		UserSetting  any                `json:"UserSetting"`
		Organisation model.Organisation `json:"Organisation"`
	}{User: struct {
		model.User
		OrgAdmins any `json:"orgAdmins"`
	}{v.User, admins}, Role: v.Role, UserSetting: v.UserSetting, Organisation: v.Organisation})
}

// orgAdmins lists the organisation admins of an org as MISP does: {id: email}, or [] when
// there are none.
func (s *Server) orgAdmins(r *http.Request, orgID int64) (any, error) {
	users, err := s.db.Users(r.Context(), store.UserFilter{OrgID: orgID})
	if err != nil {
		return nil, err
	}
	admins := map[string]string{}
	for _, u := range users {
		role, err := s.db.Role(r.Context(), int64(u.RoleID))
		if err != nil {
			return nil, err
		}
		if role.Admin && !role.SiteAdmin {
			admins[itoa(int64(u.ID))] = u.Email
		}
	}
	if len(admins) == 0 {
		return []any{}, nil
	}
	return admins, nil
}

func (s *Server) indexUsers(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Admin) {
		return noFunctionality()
	}
	n := named(r)
	f := store.UserFilter{Search: n.Get("value")}
	if org, okOrg := pathInt(n.Get("searchorg")); okOrg {
		f.OrgID = org
	}
	if !p.SiteAdmin() {
		f.OrgID = p.OrgID()
	}
	users, err := s.db.Users(r.Context(), f)
	if err != nil {
		return err
	}
	roles, err := s.db.Roles(r.Context())
	if err != nil {
		return err
	}
	roleByID := map[misp.StrInt]model.Role{}
	for _, role := range roles {
		roleByID[role.ID] = role
	}
	orgs := map[misp.StrInt]model.Organisation{}
	out := make([]map[string]any, 0, len(users))
	for _, u := range users {
		org, seen := orgs[u.OrgID]
		if !seen {
			if org, err = s.db.Organisation(r.Context(), int64(u.OrgID)); err != nil {
				return err
			}
			orgs[u.OrgID] = org
		}
		role := roleByID[u.RoleID]
		out = append(out, map[string]any{
			"User":         u.Masked(),
			"Role":         map[string]any{"id": role.ID, "name": role.Name, "perm_auth": role.Auth, "perm_site_admin": role.SiteAdmin},
			"Organisation": map[string]any{"id": org.ID, "name": org.Name, "uuid": org.UUID},
		})
	}
	return ok(w, out)
}

// checkUser validates a user about to be stored by p, returning MISP's field errors.
func (s *Server) checkUser(r *http.Request, p *auth.Principal, u *model.User) (map[string][]string, error) {
	if _, err := mail.ParseAddress(u.Email); err != nil || !strings.Contains(u.Email, "@") {
		return fieldErrors("email", "An email address is required."), nil
	}
	if _, err := s.db.Organisation(r.Context(), int64(u.OrgID)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fieldErrors("org_id", "The organisation does not exist."), nil
		}
		return nil, err
	}
	role, err := s.db.Role(r.Context(), int64(u.RoleID))
	if errors.Is(err, store.ErrNotFound) {
		return fieldErrors("role_id", "The role does not exist."), nil
	}
	if err != nil {
		return nil, err
	}
	if !p.SiteAdmin() {
		if u.OrgID != p.User.OrgID {
			return fieldErrors("org_id", "You can only manage users of your own organisation."), nil
		}
		if role.SiteAdmin || role.RestrictedToSiteAdmin {
			return fieldErrors("role_id", "You may not give this role."), nil
		}
	}
	return nil, nil
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Admin) {
		return noFunctionality()
	}
	body, err := s.decodeObject(w, r, "User")
	if err != nil {
		return err
	}
	var in userInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	const fail = "The user could not be saved. Invalid input."
	password := auth.GenerateKey()
	if in.Password != nil && *in.Password != "" {
		password = *in.Password
	}
	now := time.Now()
	u, err := identity.NewUser("", p.OrgID(), 0, password, now)
	if err != nil {
		return err
	}
	u.InvitedBy = p.User.ID
	u.ChangePW = in.Password == nil
	in.apply(&u)
	if in.RoleID == nil {
		roles, err := s.db.Roles(r.Context())
		if err != nil {
			return err
		}
		for _, role := range roles {
			if role.DefaultRole {
				u.RoleID = role.ID
			}
		}
	}
	if fe, err := s.checkUser(r, p, &u); err != nil || fe != nil {
		if err != nil {
			return err
		}
		return saveFail(fail, reqPath(r), fe)
	}

	key := auth.GenerateKey()
	if in.Authkey != nil && p.SiteAdmin() && *in.Authkey != "" {
		key = *in.Authkey
	}
	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		if err := store.InsertUser(r.Context(), tx, &u); err != nil {
			return err
		}
		return identity.AddKey(r.Context(), tx, int64(u.ID), key, "", now)
	})
	if errors.Is(err, store.ErrConflict) {
		return saveFail(fail, reqPath(r), fieldErrors("email", "An account with this email address already exists."))
	}
	if err != nil {
		return err
	}
	out := u.Masked()
	out.Password, out.TOTP = "******", nil
	out.Authkey = &key
	return ok(w, map[string]any{"User": out})
}

func (s *Server) editUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id, okID := pathInt(r.PathValue("id"))
	if !okID {
		return notFound("Invalid user")
	}
	admin := strings.HasPrefix(r.URL.Path, "/admin/")
	if admin && !p.SiteAdmin() && !bool(p.Role.Admin) {
		return noFunctionality()
	}
	u, err := s.db.User(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Invalid user")
	}
	if err != nil {
		return err
	}
	if !canManageUser(p, u) && !(id == p.UserID() && !admin) {
		return notFound("Invalid user")
	}
	body, err := s.decodeObject(w, r, "User")
	if err != nil {
		return err
	}
	var in userInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	if !admin || (!p.SiteAdmin() && id == p.UserID()) {
		// A user editing itself may not move itself to another org or role.
		in.OrgID, in.RoleID, in.Disabled = nil, nil, nil
	}
	in.apply(&u)
	now := time.Now()
	if in.Password != nil && *in.Password != "" {
		if u.Password, err = auth.HashPassword(*in.Password); err != nil {
			return err
		}
		ts := misp.StrInt(now.Unix())
		u.LastPWChange = &ts
	}
	ts := misp.StrInt(now.Unix())
	u.DateModified = &ts
	if fe, err := s.checkUser(r, p, &u); err != nil || fe != nil {
		if err != nil {
			return err
		}
		return saveFail("The user could not be saved. Invalid input.", reqPath(r), fe)
	}
	err = store.UpdateUser(r.Context(), s.db, &u)
	if errors.Is(err, store.ErrConflict) {
		return saveFail("The user could not be saved. Invalid input.", reqPath(r),
			fieldErrors("email", "An account with this email address already exists."))
	}
	if err != nil {
		return err
	}
	s.auth.Forget()
	v, err := s.userView(r, id)
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"User": v.User})
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.Admin) {
		return noFunctionality()
	}
	id, okID := pathInt(r.PathValue("id"))
	if !okID {
		return notFound("Invalid user")
	}
	u, err := s.db.User(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Invalid user")
	}
	if err != nil {
		return err
	}
	if !canManageUser(p, u) {
		return notFound("Invalid user")
	}
	if id == p.UserID() {
		return saveFail("You cannot delete yourself.", reqPath(r), nil)
	}
	if err := s.db.Tx(r.Context(), func(tx *store.Tx) error {
		return store.DeleteUser(r.Context(), tx, id)
	}); err != nil {
		return err
	}
	s.auth.Forget()
	return saveSuccess(w, reqPath(r), "User deleted.", itoa(id))
}
