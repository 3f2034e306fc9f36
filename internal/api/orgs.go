package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// orgInput is the body of admin/organisations/add and edit. Absent members are nil.
type orgInput struct {
	Name               *string    `json:"name"`
	Description        *string    `json:"description"`
	Type               *string    `json:"type"`
	Nationality        *string    `json:"nationality"`
	Sector             *string    `json:"sector"`
	Contacts           *string    `json:"contacts"`
	Local              *misp.Bool `json:"local"`
	UUID               *string    `json:"uuid"`
	RestrictedToDomain any        `json:"restricted_to_domain"`
	Landingpage        *string    `json:"landingpage"`
}

func (in *orgInput) apply(o *model.Organisation) {
	set := func(dst **string, v *string) {
		if v != nil {
			s := strings.TrimSpace(*v)
			*dst = &s
		}
	}
	if in.Name != nil {
		o.Name = strings.TrimSpace(*in.Name)
	}
	set(&o.Description, in.Description)
	set(&o.Type, in.Type)
	set(&o.Nationality, in.Nationality)
	set(&o.Sector, in.Sector)
	set(&o.Contacts, in.Contacts)
	set(&o.Landingpage, in.Landingpage)
	if in.Local != nil {
		o.Local = *in.Local
	}
	if in.UUID != nil && *in.UUID != "" {
		o.UUID = strings.ToLower(strings.TrimSpace(*in.UUID))
	}
	switch v := in.RestrictedToDomain.(type) {
	case string:
		if v != "" {
			o.RestrictedToDomain = &v
		}
	case []any:
		var parts []string
		for _, d := range v {
			if s, ok := d.(string); ok && s != "" {
				parts = append(parts, `"`+s+`"`)
			}
		}
		if len(parts) > 0 {
			s := "[" + strings.Join(parts, ",") + "]"
			o.RestrictedToDomain = &s
		}
	}
}

func (s *Server) loadOrg(r *http.Request, ref string) (model.Organisation, error) {
	id, uid, ok := idOrUUID(ref)
	if !ok {
		return model.Organisation{}, notFound("Invalid organisation")
	}
	var o model.Organisation
	var err error
	if uid != "" {
		o, err = s.db.OrganisationByUUID(r.Context(), uid)
	} else {
		o, err = s.db.Organisation(r.Context(), id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return o, notFound("Invalid organisation")
	}
	return o, err
}

func (s *Server) indexOrgs(w http.ResponseWriter, r *http.Request) error {
	n := named(r)
	f := store.OrgFilter{Scope: n.Get("scope"), Search: n.Get("searchall")}
	if f.Scope == "" {
		f.Scope = "local"
	}
	orgs, err := s.db.Organisations(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, map[string]any{"Organisation": o})
	}
	return ok(w, out)
}

func (s *Server) viewOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := s.loadOrg(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	count, err := s.db.OrgUserCount(r.Context(), int64(o.ID))
	if err != nil {
		return err
	}
	view := struct {
		model.Organisation
		UserCount      misp.StrInt `json:"user_count"`
		CreatedByEmail string      `json:"created_by_email,omitempty"`
	}{Organisation: o, UserCount: misp.StrInt(count)}
	if principal(r).SiteAdmin() && o.CreatedBy != 0 {
		if u, err := s.db.User(r.Context(), int64(o.CreatedBy)); err == nil {
			view.CreatedByEmail = u.Email
		}
	}
	return ok(w, map[string]any{"Organisation": view})
}

func (s *Server) addOrg(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() {
		return noFunctionality()
	}
	body, err := s.decodeObject(w, r, "Organisation")
	if err != nil {
		return err
	}
	var in orgInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	now := time.Now()
	o := model.Organisation{DateCreated: identity.DateTime(now), DateModified: identity.DateTime(now),
		CreatedBy: p.User.ID, UUID: uuid.NewString(), Local: true,
		Type: ptr(""), Nationality: ptr(""), Sector: ptr("")}
	in.apply(&o)
	const fail = "The organisation could not be added."
	if o.Name == "" {
		return saveFail(fail, reqPath(r), fieldErrors("name", "The organisation name cannot be empty."))
	}
	if _, err := uuid.Parse(o.UUID); err != nil {
		return saveFail(fail, reqPath(r), fieldErrors("uuid", "Invalid UUID."))
	}
	err = store.InsertOrganisation(r.Context(), s.db, &o)
	if errors.Is(err, store.ErrConflict) {
		return saveFail(fail, reqPath(r),
			fieldErrors("name", "An organisation with this name or UUID already exists."))
	}
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"Organisation": o})
}

func (s *Server) editOrg(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() {
		return noFunctionality()
	}
	o, err := s.loadOrg(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "Organisation")
	if err != nil {
		return err
	}
	var in orgInput
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	in.apply(&o)
	o.DateModified = identity.DateTime(time.Now())
	const fail = "The organisation could not be saved."
	if o.Name == "" {
		return saveFail(fail, reqPath(r), fieldErrors("name", "The organisation name cannot be empty."))
	}
	err = store.UpdateOrganisation(r.Context(), s.db, &o)
	if errors.Is(err, store.ErrConflict) {
		return saveFail(fail, reqPath(r),
			fieldErrors("name", "An organisation with this name or UUID already exists."))
	}
	if err != nil {
		return err
	}
	s.auth.Forget()
	return ok(w, map[string]any{"Organisation": o})
}

func (s *Server) deleteOrg(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() {
		return noFunctionality()
	}
	o, err := s.loadOrg(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	host, err := s.settings.Int(r.Context(), "MISP.host_org_id")
	if err != nil {
		return err
	}
	if int64(o.ID) == host {
		return saveFail("The host organisation cannot be deleted.", reqPath(r), nil)
	}
	inUse, err := s.db.OrgInUse(r.Context(), int64(o.ID))
	if err != nil {
		return err
	}
	if inUse {
		return saveFail("The organisation could not be deleted: users or events still belong to it.",
			reqPath(r), nil)
	}
	if err := store.DeleteOrganisation(r.Context(), s.db, int64(o.ID)); err != nil {
		return err
	}
	return saveSuccess(w, reqPath(r), "Organisation deleted", itoa(int64(o.ID)))
}

func ptr[T any](v T) *T { return &v }
