package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// MISP's refusals on sharing groups, compared literally by some clients.
const (
	msgSGNotAllowed = "Action not allowed."
	msgSGInvisible  = "Sharing group doesn't exist or you do not have permission to access it."
	msgSGNoEdit     = "Invalid sharing group or no editing rights."
	msgSGNotSaved   = "Could not save sharing group."
)

// sgInput is the body of sharing_groups/add and edit. The member lists may sit inside the
// SharingGroup object or beside it.
type sgInput struct {
	Name          *string         `json:"name"`
	Releasability *string         `json:"releasability"`
	Description   *string         `json:"description"`
	UUID          *string         `json:"uuid"`
	Active        *misp.Bool      `json:"active"`
	Roaming       *misp.Bool      `json:"roaming"`
	Created       *string         `json:"created"`
	Modified      *string         `json:"modified"`
	Orgs          []sgOrgInput    `json:"SharingGroupOrg"`
	Servers       []sgServerInput `json:"SharingGroupServer"`
}

// sgOrgInput is a member organisation: by org_id, or by the uuid, name or id of its
// Organisation (or of the entry itself, as MISP reads it).
type sgOrgInput struct {
	OrgID        *misp.StrInt `json:"org_id"`
	Extend       misp.Bool    `json:"extend"`
	UUID         string       `json:"uuid"`
	Name         string       `json:"name"`
	Organisation *struct {
		ID   misp.StrInt `json:"id"`
		UUID string      `json:"uuid"`
		Name string      `json:"name"`
	} `json:"Organisation"`
}

// sgServerInput is a member server: by server_id (0 is this instance) or by its Server.
type sgServerInput struct {
	ServerID *misp.StrInt `json:"server_id"`
	AllOrgs  misp.Bool    `json:"all_orgs"`
	Server   *struct {
		ID   *misp.StrInt `json:"id"`
		URL  string       `json:"url"`
		Name string       `json:"name"`
	} `json:"Server"`
}

func (s *Server) decodeSharingGroup(w http.ResponseWriter, r *http.Request) (*sgInput, error) {
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return nil, err
	}
	if inner, found := body["SharingGroup"]; found && isObject(inner) {
		fields, err := unwrapObject(inner, "")
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"SharingGroupOrg", "SharingGroupServer"} {
			if v, has := body[k]; has {
				if _, set := fields[k]; !set {
					fields[k] = v
				}
			}
		}
		body = fields
	}
	var in sgInput
	if err := decodeInto(body, &in); err != nil {
		return nil, err
	}
	return &in, nil
}

// loadSharingGroup finds a sharing group by id or uuid; missing is the endpoint's refusal.
func (s *Server) loadSharingGroup(r *http.Request, ref string, missing *Error) (
	model.SharingGroup, error) {
	id, uid, valid := idOrUUID(ref)
	if !valid {
		return model.SharingGroup{}, missing
	}
	var g model.SharingGroup
	var err error
	if uid != "" {
		g, err = store.SharingGroupByUUID(r.Context(), s.db, uid)
	} else {
		g, err = store.SharingGroupByID(r.Context(), s.db, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return g, missing
	}
	return g, err
}

// sgMembers are the member organisations and servers of one sharing group.
type sgMembers struct {
	orgs    []model.SharingGroupOrg
	servers []model.SharingGroupServer
}

func (s *Server) sharingGroupMembers(r *http.Request, id int64) (sgMembers, error) {
	orgs, err := store.SharingGroupOrgs(r.Context(), s.db, []int64{id})
	if err != nil {
		return sgMembers{}, err
	}
	servers, err := store.SharingGroupServers(r.Context(), s.db, []int64{id})
	if err != nil {
		return sgMembers{}, err
	}
	return sgMembers{orgs: orgs[id], servers: servers[id]}, nil
}

// sharingGroupVisible reports whether p may see a sharing group: site admins, its owner
// organisation, its member organisations, and everyone when this instance is a member
// server with all its organisations.
func sharingGroupVisible(p *auth.Principal, g model.SharingGroup, m sgMembers) bool {
	if p.SiteAdmin() || int64(g.OrgID) == p.OrgID() {
		return true
	}
	for _, o := range m.orgs {
		if int64(o.OrgID) == p.OrgID() {
			return true
		}
	}
	for _, sv := range m.servers {
		if sv.ServerID == 0 && bool(sv.AllOrgs) {
			return true
		}
	}
	return false
}

// mayExtendSharingGroup reports whether p may change a sharing group's members (MISP's
// checkIfAuthorisedExtend): site admins; with perm_sharing_group, its owner organisation,
// a member organisation with extend, or the sync user that brought it.
func mayExtendSharingGroup(p *auth.Principal, g model.SharingGroup, m sgMembers) bool {
	if p.SiteAdmin() {
		return true
	}
	if !bool(p.Role.SharingGroup) {
		return false
	}
	if int64(g.OrgID) == p.OrgID() || (bool(p.Role.Sync) && int64(g.SyncUserID) == p.UserID()) {
		return true
	}
	for _, o := range m.orgs {
		if int64(o.OrgID) == p.OrgID() && bool(o.Extend) {
			return true
		}
	}
	return false
}

func (s *Server) mayManageSharingGroups(p *auth.Principal) error {
	if !p.SiteAdmin() && !bool(p.Role.SharingGroup) {
		return noFunctionality()
	}
	return nil
}

// localBaseURL is the URL this instance is known by, as MISP names the local server.
func (s *Server) localBaseURL(r *http.Request) string {
	for _, name := range []string{"MISP.external_baseurl", "MISP.baseurl"} {
		if v, err := s.settings.Get(r.Context(), name); err == nil && v != "" {
			return v
		}
	}
	return s.cfg.BaseURL
}

func (s *Server) addSharingGroup(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.mayManageSharingGroups(p); err != nil {
		return err
	}
	in, err := s.decodeSharingGroup(w, r)
	if err != nil {
		return err
	}
	const fail, url = "Could not add SharingGroup", "/sharing_groups/add"
	if in.UUID != nil && *in.UUID != "" {
		id, uid, valid := idOrUUID(*in.UUID)
		if !valid || uid == "" || id != 0 {
			return saveFail(fail, url, fieldErrors("uuid", "Please provide a valid RFC 4122 UUID"))
		}
		// A known uuid updates that sharing group, as MISP's captureSG does.
		if g, err := store.SharingGroupByUUID(r.Context(), s.db, uid); err == nil {
			return s.updateSharingGroup(w, r, g, in, "add")
		}
		in.UUID = &uid
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" ||
		in.Releasability == nil || strings.TrimSpace(*in.Releasability) == "" {
		return saveFail(fail, url, msgSGNotSaved)
	}

	now := identity.DateTime(time.Now())
	g := model.SharingGroup{Name: strings.TrimSpace(*in.Name), Releasability: *in.Releasability,
		UUID: uuid.NewString(), OrganisationUUID: p.Org.UUID, OrgID: p.User.OrgID,
		SyncUserID: p.User.ID, Active: true, Created: now, Modified: now}
	if in.UUID != nil && *in.UUID != "" {
		g.UUID = *in.UUID
	}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.Active != nil {
		g.Active = *in.Active
	}
	if in.Roaming != nil {
		g.Roaming = *in.Roaming
	}
	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		// As MISP does, a name already taken gets a random suffix rather than a refusal.
		base := g.Name
		for {
			taken, err := store.SharingGroupNameTaken(r.Context(), tx, g.Name, 0)
			if err != nil {
				return err
			}
			if !taken {
				break
			}
			g.Name = fmt.Sprintf("%s_%d", base, rand.IntN(10000))
		}
		if err := store.InsertSharingGroup(r.Context(), tx, &g); err != nil {
			return err
		}
		if len(in.Servers) == 0 && !g.Roaming {
			in.Servers = []sgServerInput{{ServerID: new(misp.StrInt)}}
		}
		return s.captureSharingGroupMembers(r, tx, p, int64(g.ID), in)
	})
	if errors.Is(err, store.ErrConflict) {
		return saveFail(fail, url,
			fieldErrors("uuid", "A sharing group with this uuid already exists."))
	}
	if err != nil {
		return err
	}
	return s.writeSharingGroupSummary(w, r, int64(g.ID))
}

// captureSharingGroupMembers adds (or updates) the member organisations and servers listed
// in a sharing group's body. A member organisation unknown here is created as an external
// organisation when its name is given, as MISP's captureOrg does.
func (s *Server) captureSharingGroupMembers(r *http.Request, tx *store.Tx, p *auth.Principal,
	sgID int64, in *sgInput) error {
	for _, o := range in.Orgs {
		orgID, err := s.captureSharingGroupOrg(r, tx, p, o)
		if err != nil {
			return err
		}
		err = store.AddSharingGroupOrg(r.Context(), tx, sgID, orgID, bool(o.Extend))
		if err != nil {
			return err
		}
	}
	if in.Roaming != nil && bool(*in.Roaming) {
		return nil
	}
	for _, sv := range in.Servers {
		serverID, err := s.captureSharingGroupServer(r, tx, sv)
		if err != nil {
			return err
		}
		err = store.AddSharingGroupServer(r.Context(), tx, sgID, serverID, bool(sv.AllOrgs))
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) captureSharingGroupOrg(r *http.Request, tx *store.Tx, p *auth.Principal,
	in sgOrgInput) (int64, error) {
	var id int64
	uid, name := in.UUID, in.Name
	if o := in.Organisation; o != nil {
		id, uid, name = int64(o.ID), o.UUID, o.Name
	}
	if in.OrgID != nil && *in.OrgID > 0 {
		id = int64(*in.OrgID)
	}
	if _, err := uuid.Parse(uid); err == nil {
		uid = strings.ToLower(uid)
	} else {
		uid = ""
	}
	name = strings.TrimSpace(name)
	for _, k := range []struct {
		id        int64
		uid, name string
	}{{id, "", ""}, {0, uid, ""}, {0, "", name}} {
		if k.id <= 0 && k.uid == "" && k.name == "" {
			continue
		}
		o, err := store.SharingGroupMemberOrg(r.Context(), tx, k.id, k.uid, k.name)
		if err == nil {
			return int64(o.ID), nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return 0, err
		}
	}
	if name == "" {
		return 0, saveFail("Could not add SharingGroup", reqPath(r),
			fieldErrors("SharingGroupOrg", "Invalid organisation."))
	}
	if uid == "" {
		uid = uuid.NewString()
	}
	now := identity.DateTime(time.Now())
	o := model.Organisation{Name: name, UUID: uid, DateCreated: now, DateModified: now,
		CreatedBy: p.User.ID, Type: ptr(""), Nationality: ptr(""), Sector: ptr("")}
	if err := store.InsertOrganisation(r.Context(), tx, &o); err != nil {
		return 0, err
	}
	return int64(o.ID), nil
}

func (s *Server) captureSharingGroupServer(r *http.Request, tx *store.Tx, in sgServerInput) (
	int64, error) {
	if in.ServerID != nil {
		if *in.ServerID == 0 {
			return 0, nil
		}
		return s.knownServer(r, tx, itoa(int64(*in.ServerID)))
	}
	if sv := in.Server; sv != nil {
		if sv.ID != nil {
			if *sv.ID == 0 {
				return 0, nil
			}
			return s.knownServer(r, tx, itoa(int64(*sv.ID)))
		}
		local := strings.TrimRight(s.localBaseURL(r), "/")
		if sv.URL != "" && strings.TrimRight(sv.URL, "/") == local {
			return 0, nil
		}
		if sv.URL != "" {
			return s.knownServer(r, tx, sv.URL)
		}
	}
	return 0, saveFail("Could not add SharingGroup", reqPath(r),
		fieldErrors("SharingGroupServer", "Invalid Server."))
}

func (s *Server) knownServer(r *http.Request, q store.Querier, ref string) (int64, error) {
	sv, err := store.SyncServerByRef(r.Context(), q, ref)
	if errors.Is(err, store.ErrNotFound) {
		return 0, saveFail("Could not add SharingGroup", reqPath(r),
			fieldErrors("SharingGroupServer", "Invalid Server."))
	}
	return sv.ID, err
}

func (s *Server) editSharingGroup(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.mayManageSharingGroups(p); err != nil {
		return err
	}
	g, err := s.loadSharingGroup(r, r.PathValue("id"), notFound("Invalid sharing group."))
	if err != nil {
		return err
	}
	in, err := s.decodeSharingGroup(w, r)
	if err != nil {
		return err
	}
	return s.updateSharingGroup(w, r, g, in, "edit")
}

// updateSharingGroup applies a body to an existing sharing group, as MISP's captureSG
// does: the owner organisation and site admins change its fields unless the body's
// modified time is not newer; whoever may extend it adds members.
func (s *Server) updateSharingGroup(w http.ResponseWriter, r *http.Request, g model.SharingGroup,
	in *sgInput, action string) error {
	p := principal(r)
	m, err := s.sharingGroupMembers(r, int64(g.ID))
	if err != nil {
		return err
	}
	if !mayExtendSharingGroup(p, g, m) {
		return notAllowed(msgSGNotAllowed)
	}
	owner := p.SiteAdmin() || int64(g.OrgID) == p.OrgID()
	if owner && (in.Modified == nil || *in.Modified == "" || *in.Modified > g.Modified) {
		applySharingGroupFields(&g, in)
		g.Modified = identity.DateTime(time.Now())
	}
	fail, url := "Could not "+action+" SharingGroup", "/sharing_groups/"+action
	if g.Name == "" || g.Releasability == "" {
		return saveFail(fail, url, msgSGNotSaved)
	}
	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		taken, err := store.SharingGroupNameTaken(r.Context(), tx, g.Name, int64(g.ID))
		if err != nil {
			return err
		}
		if taken {
			return saveFail(fail, url,
				fieldErrors("name", "A sharing group with this name already exists."))
		}
		if err := store.UpdateSharingGroup(r.Context(), tx, &g); err != nil {
			return err
		}
		return s.captureSharingGroupMembers(r, tx, p, int64(g.ID), in)
	})
	if err != nil {
		return err
	}
	return s.writeSharingGroupSummary(w, r, int64(g.ID))
}

func applySharingGroupFields(g *model.SharingGroup, in *sgInput) {
	for _, f := range []struct {
		dst *string
		src *string
	}{{&g.Name, in.Name}, {&g.Releasability, in.Releasability},
		{&g.Description, in.Description}, {&g.Created, in.Created}} {
		if f.src != nil {
			*f.dst = strings.TrimSpace(*f.src)
		}
	}
	if in.Active != nil {
		g.Active = *in.Active
	}
	if in.Roaming != nil {
		g.Roaming = *in.Roaming
	}
}

func (s *Server) deleteSharingGroup(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if err := s.mayManageSharingGroups(p); err != nil {
		return err
	}
	g, err := s.loadSharingGroup(r, r.PathValue("id"), notAllowed(msgSGNotAllowed))
	if err != nil {
		return err
	}
	if !p.SiteAdmin() && int64(g.OrgID) != p.OrgID() {
		return notAllowed(msgSGNotAllowed)
	}
	id := itoa(int64(g.ID))
	inUse, err := store.SharingGroupInUse(r.Context(), s.db, int64(g.ID))
	if err != nil {
		return err
	}
	if inUse {
		e := saveFail("Could not delete SharingGroup", "/sharing_groups/delete/"+id,
			"The sharing group could not be deleted.")
		e.ID = id
		return e
	}
	if err := store.DeleteSharingGroup(r.Context(), s.db, int64(g.ID)); err != nil {
		return err
	}
	return saveSuccess(w, "/sharing_groups/delete/"+id, "SharingGroup deleted", id)
}

// sgOrgBrief is the short organisation MISP embeds in sharing group listings.
type sgOrgBrief struct {
	ID   misp.StrInt `json:"id"`
	Name string      `json:"name"`
	UUID string      `json:"uuid"`
}

func briefOf(o model.OrgRef) sgOrgBrief { return sgOrgBrief{ID: o.ID, Name: o.Name, UUID: o.UUID} }

// writeSharingGroupSummary answers add and edit with the sharing group as MISP's
// fetchAllAuthorised('simplified') gives it.
func (s *Server) writeSharingGroupSummary(w http.ResponseWriter, r *http.Request, id int64) error {
	g, err := store.SharingGroupByID(r.Context(), s.db, id)
	if err != nil {
		return err
	}
	m, err := s.sharingGroupMembers(r, id)
	if err != nil {
		return err
	}
	orgs, servers, err := s.sharingGroupRefs(r, []model.SharingGroup{g}, m.orgs, m.servers)
	if err != nil {
		return err
	}
	type orgEntry struct {
		model.SharingGroupOrg
		Organisation *sgOrgBrief `json:"Organisation,omitempty"`
	}
	type serverEntry struct {
		model.SharingGroupServer
		Server *serverBrief `json:"Server,omitempty"`
	}
	out := struct {
		SharingGroup       model.SharingGroup `json:"SharingGroup"`
		SharingGroupOrg    []orgEntry         `json:"SharingGroupOrg"`
		SharingGroupServer []serverEntry      `json:"SharingGroupServer"`
		Organisation       *sgOrgBrief        `json:"Organisation,omitempty"`
	}{SharingGroup: g, SharingGroupOrg: []orgEntry{}, SharingGroupServer: []serverEntry{}}
	if o, found := orgs[int64(g.OrgID)]; found {
		b := briefOf(o)
		out.Organisation = &b
	}
	for _, o := range m.orgs {
		e := orgEntry{SharingGroupOrg: o}
		if ref, found := orgs[int64(o.OrgID)]; found {
			b := briefOf(ref)
			e.Organisation = &b
		}
		out.SharingGroupOrg = append(out.SharingGroupOrg, e)
	}
	for _, sv := range m.servers {
		e := serverEntry{SharingGroupServer: sv}
		if ref, found := servers[int64(sv.ServerID)]; found {
			e.Server = &serverBrief{ID: misp.StrInt(ref.ID), URL: ref.URL, Name: ref.Name}
		}
		out.SharingGroupServer = append(out.SharingGroupServer, e)
	}
	return ok(w, out)
}

// serverBrief is the short server MISP embeds in sharing groups.
type serverBrief struct {
	ID   misp.StrInt `json:"id"`
	Name string      `json:"name"`
	URL  string      `json:"url,omitempty"`
}

// sharingGroupRefs loads the organisations (owners and members) and servers that sharing
// groups refer to.
func (s *Server) sharingGroupRefs(r *http.Request, groups []model.SharingGroup,
	orgs []model.SharingGroupOrg, servers []model.SharingGroupServer) (
	map[int64]model.OrgRef, map[int64]store.SyncServerRef, error) {
	var orgIDs, serverIDs []int64
	for _, g := range groups {
		orgIDs = append(orgIDs, int64(g.OrgID))
	}
	for _, o := range orgs {
		orgIDs = append(orgIDs, int64(o.OrgID))
	}
	for _, sv := range servers {
		if sv.ServerID != 0 {
			serverIDs = append(serverIDs, int64(sv.ServerID))
		}
	}
	orgRefs, err := store.OrganisationRefs(r.Context(), s.db, orgIDs)
	if err != nil {
		return nil, nil, err
	}
	serverRefs, err := store.SyncServerRefs(r.Context(), s.db, serverIDs)
	return orgRefs, serverRefs, err
}

func (s *Server) viewSharingGroup(w http.ResponseWriter, r *http.Request) error {
	g, m, err := s.visibleSharingGroup(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	owner, err := s.db.Organisation(r.Context(), int64(g.OrgID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	orgs, servers, err := s.sharingGroupRefs(r, nil, m.orgs, m.servers)
	if err != nil {
		return err
	}

	type sgView struct {
		model.SharingGroup
		SyncOrgName string      `json:"sync_org_name,omitempty"`
		SyncOrg     *sgOrgBrief `json:"sync_org,omitempty"`
	}
	type orgEntry struct {
		model.SharingGroupOrg
		Organisation *model.OrgRef `json:"Organisation,omitempty"`
	}
	type serverEntry struct {
		model.SharingGroupServer
		Server *serverBrief `json:"Server,omitempty"`
	}
	out := struct {
		SharingGroup       sgView             `json:"SharingGroup"`
		Organisation       model.Organisation `json:"Organisation"`
		SharingGroupOrg    []orgEntry         `json:"SharingGroupOrg"`
		SharingGroupServer []serverEntry      `json:"SharingGroupServer"`
	}{SharingGroup: sgView{SharingGroup: g}, Organisation: owner,
		SharingGroupOrg: []orgEntry{}, SharingGroupServer: []serverEntry{}}
	if g.SyncUserID != 0 {
		out.SharingGroup.SyncOrgName = "N/A"
		if u, err := s.db.User(r.Context(), int64(g.SyncUserID)); err == nil {
			if o, err := s.db.Organisation(r.Context(), int64(u.OrgID)); err == nil {
				out.SharingGroup.SyncOrgName = o.Name
				out.SharingGroup.SyncOrg = &sgOrgBrief{ID: o.ID, Name: o.Name, UUID: o.UUID}
			}
		}
	}
	for _, o := range m.orgs {
		e := orgEntry{SharingGroupOrg: o}
		if ref, found := orgs[int64(o.OrgID)]; found {
			e.Organisation = &ref
		}
		out.SharingGroupOrg = append(out.SharingGroupOrg, e)
	}
	for _, sv := range m.servers {
		e := serverEntry{SharingGroupServer: sv}
		if sv.ServerID == 0 {
			e.Server = &serverBrief{ID: 0, Name: "Local instance", URL: s.localBaseURL(r)}
		} else if ref, found := servers[int64(sv.ServerID)]; found {
			e.Server = &serverBrief{ID: misp.StrInt(ref.ID), Name: ref.Name, URL: ref.URL}
		}
		out.SharingGroupServer = append(out.SharingGroupServer, e)
	}
	return ok(w, out)
}

// visibleSharingGroup loads a sharing group the caller may see. A missing one and one out
// of sight get the same refusal, as in MISP (405).
func (s *Server) visibleSharingGroup(r *http.Request, ref string) (
	model.SharingGroup, sgMembers, error) {
	invisible := notAllowed(msgSGInvisible)
	g, err := s.loadSharingGroup(r, ref, invisible)
	if err != nil {
		return g, sgMembers{}, err
	}
	m, err := s.sharingGroupMembers(r, int64(g.ID))
	if err != nil {
		return g, m, err
	}
	if !sharingGroupVisible(principal(r), g, m) {
		return g, m, invisible
	}
	return g, m, nil
}

// headSharingGroup answers PyMISP's sharing_group_exists: 200 or 404 with an empty body.
func (s *Server) headSharingGroup(w http.ResponseWriter, r *http.Request) error {
	status := http.StatusOK
	_, _, err := s.visibleSharingGroup(r, r.PathValue("id"))
	var e *Error
	switch {
	case errors.As(err, &e):
		status = http.StatusNotFound
	case err != nil:
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(status)
	return nil
}

func (s *Server) indexSharingGroups(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	active := r.PathValue("passive") != "true"
	f := store.SharingGroupFilter{Active: &active, Search: named(r).Get("value"),
		AllIDs: p.SiteAdmin()}
	if !p.SiteAdmin() {
		ids, err := store.AuthorizedSharingGroupIDs(r.Context(), s.db, p.OrgID())
		if err != nil {
			return err
		}
		f.IDs = ids
	}
	groups, err := store.SharingGroups(r.Context(), s.db, f)
	if err != nil {
		return err
	}
	ids := make([]int64, len(groups))
	for i, g := range groups {
		ids[i] = int64(g.ID)
	}
	orgsBySG, err := store.SharingGroupOrgs(r.Context(), s.db, ids)
	if err != nil {
		return err
	}
	serversBySG, err := store.SharingGroupServers(r.Context(), s.db, ids)
	if err != nil {
		return err
	}
	var allOrgs []model.SharingGroupOrg
	var allServers []model.SharingGroupServer
	for _, id := range ids {
		allOrgs = append(allOrgs, orgsBySG[id]...)
		allServers = append(allServers, serversBySG[id]...)
	}
	orgs, servers, err := s.sharingGroupRefs(r, groups, allOrgs, allServers)
	if err != nil {
		return err
	}
	rows := make([]sgIndexRow, 0, len(groups))
	for _, g := range groups {
		m := sgMembers{orgs: orgsBySG[int64(g.ID)], servers: serversBySG[int64(g.ID)]}
		rows = append(rows, sgIndexRowOf(p, g, m, orgs, servers))
	}
	return ok(w, map[string]any{"response": rows})
}

// sgIndexRow is one sharing group of sharing_groups/index.
type sgIndexRow struct {
	SharingGroup struct {
		ID            misp.StrInt `json:"id"`
		UUID          string      `json:"uuid"`
		Name          string      `json:"name"`
		Description   string      `json:"description"`
		Releasability string      `json:"releasability"`
		Local         misp.Bool   `json:"local"`
		Active        misp.Bool   `json:"active"`
		Roaming       misp.Bool   `json:"roaming"`
		OrgCount      misp.StrInt `json:"org_count"`
	} `json:"SharingGroup"`
	Organisation       sgOrgBrief           `json:"Organisation"`
	SharingGroupOrg    []sgIndexOrgEntry    `json:"SharingGroupOrg"`
	SharingGroupServer []sgIndexServerEntry `json:"SharingGroupServer"`
	Editable           bool                 `json:"editable"`
	Deletable          bool                 `json:"deletable"`
}

type sgIndexOrgEntry struct {
	model.SharingGroupOrg
	Organisation *sgOrgBrief `json:"Organisation,omitempty"`
}

type sgIndexServerEntry struct {
	AllOrgs        misp.Bool   `json:"all_orgs"`
	ServerID       misp.StrInt `json:"server_id"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	// Server is [] for this instance, as MISP sends an empty belongsTo.
	Server any `json:"Server"`
}

func sgIndexRowOf(p *auth.Principal, g model.SharingGroup, m sgMembers,
	orgs map[int64]model.OrgRef, servers map[int64]store.SyncServerRef) sgIndexRow {
	var row sgIndexRow
	sg := &row.SharingGroup
	sg.ID, sg.UUID, sg.Name, sg.Description = g.ID, g.UUID, g.Name, g.Description
	sg.Releasability, sg.Local = g.Releasability, g.Local
	sg.Active, sg.Roaming = g.Active, g.Roaming
	sg.OrgCount = misp.StrInt(len(m.orgs))
	if o, found := orgs[int64(g.OrgID)]; found {
		row.Organisation = briefOf(o)
	}
	row.SharingGroupOrg = []sgIndexOrgEntry{}
	for _, o := range m.orgs {
		e := sgIndexOrgEntry{SharingGroupOrg: o}
		if ref, found := orgs[int64(o.OrgID)]; found {
			b := briefOf(ref)
			e.Organisation = &b
		}
		row.SharingGroupOrg = append(row.SharingGroupOrg, e)
	}
	row.SharingGroupServer = []sgIndexServerEntry{}
	for _, sv := range m.servers {
		e := sgIndexServerEntry{AllOrgs: sv.AllOrgs, ServerID: sv.ServerID,
			SharingGroupID: sv.SharingGroupID, Server: []any{}}
		if ref, found := servers[int64(sv.ServerID)]; found {
			e.Server = serverBrief{ID: misp.StrInt(ref.ID), Name: ref.Name}
		}
		row.SharingGroupServer = append(row.SharingGroupServer, e)
	}
	row.Editable, row.Deletable = sharingGroupRights(p, g, m, orgs)
	return row
}

// sharingGroupRights says whether p may edit and delete a sharing group, as MISP's index
// shows it: site admins and sharing group editors of the owner organisation both; editors
// of a member organisation with extend may edit.
func sharingGroupRights(p *auth.Principal, g model.SharingGroup, m sgMembers,
	orgs map[int64]model.OrgRef) (editable, deletable bool) {
	owner := int64(g.OrgID) == p.OrgID()
	if o, found := orgs[int64(g.OrgID)]; found && p.Org.UUID != "" {
		owner = o.UUID == p.Org.UUID
	}
	if p.SiteAdmin() || (bool(p.Role.SharingGroup) && owner) {
		return true, true
	}
	if bool(p.Role.SharingGroup) {
		for _, o := range m.orgs {
			if bool(o.Extend) && int64(o.OrgID) == p.OrgID() {
				return true, false
			}
		}
	}
	return false, false
}

// sgQuickEdit finds the sharing group of addOrg, removeOrg, addServer and removeServer:
// from the path, or from the body's sg_id, sg_uuid, id or uuid. The caller must be allowed
// to extend it.
func (s *Server) sgQuickEdit(r *http.Request, body map[string]json.RawMessage) (
	model.SharingGroup, sgMembers, error) {
	ref := r.PathValue("sg")
	for _, k := range []string{"sg_id", "sg_uuid", "id", "uuid"} {
		if ref != "" {
			break
		}
		if vals := jsonStrings(body[k]); len(vals) > 0 {
			ref = vals[0]
		}
	}
	if ref == "" {
		return model.SharingGroup{}, sgMembers{}, notAllowed("No valid sharing group ID provided.")
	}
	g, err := s.loadSharingGroup(r, ref, notAllowed(msgSGNoEdit))
	if err != nil {
		return g, sgMembers{}, err
	}
	m, err := s.sharingGroupMembers(r, int64(g.ID))
	if err != nil {
		return g, m, err
	}
	if !mayExtendSharingGroup(principal(r), g, m) {
		return g, m, notAllowed(msgSGNoEdit)
	}
	return g, m, nil
}

// quickEditRef reads the organisation or server of a quick edit: the path value, or the
// first of the body members given.
func quickEditRef(r *http.Request, pathKey string, body map[string]json.RawMessage,
	keys ...string) string {
	if v := r.PathValue(pathKey); v != "" {
		return v
	}
	for _, k := range keys {
		if vals := jsonStrings(body[k]); len(vals) > 0 {
			return vals[0]
		}
	}
	return ""
}

// quickEditFlag reads the extend or all_orgs flag of a quick edit from the path or body.
func quickEditFlag(r *http.Request, pathKey string, body map[string]json.RawMessage,
	keys ...string) bool {
	if v := r.PathValue(pathKey); v != "" {
		return truthy(v)
	}
	flag := false
	for _, k := range keys {
		var b misp.Bool
		if raw, found := body[k]; found && json.Unmarshal(raw, &b) == nil {
			flag = bool(b)
		}
	}
	return flag
}

// findOrganisation finds an organisation by id, uuid or name.
func (s *Server) findOrganisation(r *http.Request, ref string) (model.Organisation, error) {
	if ref == "" {
		return model.Organisation{}, store.ErrNotFound
	}
	if id, uid, valid := idOrUUID(ref); valid {
		if uid != "" {
			return s.db.OrganisationByUUID(r.Context(), uid)
		}
		if o, err := s.db.Organisation(r.Context(), id); err == nil {
			return o, nil
		}
	}
	return s.db.OrganisationByName(r.Context(), ref)
}

func (s *Server) sharingGroupAddOrg(w http.ResponseWriter, r *http.Request) error {
	return s.sharingGroupOrgChange(w, r, true)
}

func (s *Server) sharingGroupRemoveOrg(w http.ResponseWriter, r *http.Request) error {
	return s.sharingGroupOrgChange(w, r, false)
}

func (s *Server) sharingGroupOrgChange(w http.ResponseWriter, r *http.Request, add bool) error {
	if err := s.mayManageSharingGroups(principal(r)); err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return err
	}
	g, m, err := s.sgQuickEdit(r, body)
	if err != nil {
		return err
	}
	ref := quickEditRef(r, "org", body, "org_id", "org_uuid", "org_name")
	org, err := s.findOrganisation(r, ref)
	if errors.Is(err, store.ErrNotFound) {
		return notAllowed("Invalid organisation.")
	}
	if err != nil {
		return err
	}
	member := false
	for _, o := range m.orgs {
		member = member || o.OrgID == org.ID
	}
	action, url := "removeOrg", "/sharing_groups/removeOrg"
	if add {
		action, url = "addOrg", "/sharing_groups/addOrg"
	}
	switch {
	case add && member:
		return saveFail("Could not addOrg SharingGroup", url,
			"Organisation is already in the sharing group.")
	case !add && !member:
		return saveFail("Could not removeOrg SharingGroup", url,
			"Organisation is not in the sharing group.")
	}
	extend := quickEditFlag(r, "extend", body, "extend")
	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		if add {
			err = store.AddSharingGroupOrg(r.Context(), tx, int64(g.ID), int64(org.ID), extend)
		} else {
			err = store.RemoveSharingGroupOrg(r.Context(), tx, int64(g.ID), int64(org.ID))
		}
		if err != nil {
			return err
		}
		return store.TouchSharingGroup(r.Context(), tx, int64(g.ID), identity.DateTime(time.Now()))
	})
	if errors.Is(err, store.ErrNotFound) {
		return saveFail("Could not "+action+" SharingGroup", url, quickEditMessage(action, false))
	}
	if err != nil {
		return err
	}
	return saveSuccess(w, url, quickEditMessage(action, true), "")
}

// quickEditMessage is MISP's answer to a quick edit (__sendQuickSaveResponse).
func quickEditMessage(action string, saved bool) string {
	object, verb := "Server", "added to"
	if strings.HasSuffix(action, "Org") {
		object = "Organisation"
	}
	if strings.HasPrefix(action, "remove") {
		verb = "removed from"
	}
	if saved {
		return object + " " + verb + " the sharing group."
	}
	return object + " could not be " + verb + " the sharing group."
}

func (s *Server) sharingGroupAddServer(w http.ResponseWriter, r *http.Request) error {
	return s.sharingGroupServerChange(w, r, true)
}

func (s *Server) sharingGroupRemoveServer(w http.ResponseWriter, r *http.Request) error {
	return s.sharingGroupServerChange(w, r, false)
}

func (s *Server) sharingGroupServerChange(w http.ResponseWriter, r *http.Request, add bool) error {
	if err := s.mayManageSharingGroups(principal(r)); err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "")
	if err != nil {
		return err
	}
	g, m, err := s.sgQuickEdit(r, body)
	if err != nil {
		return err
	}
	// note: MISP refuses server 0 here; Cairn takes it as this instance, so that all_orgs
	// of the local server can be set through the API.
	ref := quickEditRef(r, "server", body, "server_id", "server_url", "server_baseurl",
		"server_name")
	var serverID int64
	if ref != "0" {
		sv, err := store.SyncServerByRef(r.Context(), s.db, ref)
		if errors.Is(err, store.ErrNotFound) || ref == "" {
			return notAllowed("Invalid Server.")
		}
		if err != nil {
			return err
		}
		serverID = sv.ID
	}
	member := false
	for _, sv := range m.servers {
		member = member || int64(sv.ServerID) == serverID
	}
	action, url := "removeServer", "/sharing_groups/removeServer"
	if add {
		action, url = "addServer", "/sharing_groups/addServer"
	}
	switch {
	case add && member:
		return saveFail("Could not addServer SharingGroup", url,
			"Server is already in the sharing group.")
	case !add && !member:
		return saveFail("Could not removeServer SharingGroup", url,
			"Server is not in the sharing group.")
	}
	all := quickEditFlag(r, "all", body, "all", "all_orgs")
	err = s.db.Tx(r.Context(), func(tx *store.Tx) error {
		var err error
		if add {
			err = store.AddSharingGroupServer(r.Context(), tx, int64(g.ID), serverID, all)
		} else {
			err = store.RemoveSharingGroupServer(r.Context(), tx, int64(g.ID), serverID)
		}
		if err != nil {
			return err
		}
		return store.TouchSharingGroup(r.Context(), tx, int64(g.ID), identity.DateTime(time.Now()))
	})
	if errors.Is(err, store.ErrNotFound) {
		return saveFail("Could not "+action+" SharingGroup", url, quickEditMessage(action, false))
	}
	if err != nil {
		return err
	}
	return saveSuccess(w, url, quickEditMessage(action, true), "")
}
