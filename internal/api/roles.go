package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

type roleListItem struct {
	model.Role
	Default misp.Bool `json:"default"`
}

func (s *Server) indexRoles(w http.ResponseWriter, r *http.Request) error {
	roles, err := s.db.Roles(r.Context())
	if err != nil {
		return err
	}
	out := make([]map[string]any, 0, len(roles))
	for _, role := range roles {
		out = append(out, map[string]any{"Role": roleListItem{role, role.DefaultRole}})
	}
	return ok(w, out)
}

// applyRoleInput sets the members of body that name a role's fields. The "permission"
// shortcut (0-3 or its name) sets the four event flags before the explicit flags apply.
func applyRoleInput(body map[string]json.RawMessage, role *model.Role) error {
	if raw, ok := body["name"]; ok {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			return badRequest("Invalid value for field name.")
		}
		role.Name = strings.TrimSpace(name)
	}
	if raw, ok := body["permission"]; ok {
		var v any
		_ = json.Unmarshal(raw, &v)
		level := -1
		switch x := v.(type) {
		case float64:
			level = int(x)
		case string:
			if n, err := strconv.Atoi(x); err == nil {
				level = n
			}
			for i, name := range []string{"read_only", "manage_own", "manage_org", "publish"} {
				if x == name {
					level = i
				}
			}
		}
		if level < 0 || level > 3 {
			return badRequest("Invalid value for field permission.")
		}
		role.Perms.ApplyPermission(level)
	}
	fields := role.Perms.Fields()
	for i, col := range model.PermColumns {
		if raw, ok := body[col]; ok {
			if err := json.Unmarshal(raw, fields[i]); err != nil {
				return badRequest("Invalid value for field " + col + ".")
			}
		}
	}
	for col, dst := range map[string]*misp.Bool{
		"restricted_to_site_admin": &role.RestrictedToSiteAdmin,
		"enforce_rate_limit":       &role.EnforceRateLimit,
	} {
		if raw, ok := body[col]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return badRequest("Invalid value for field " + col + ".")
			}
		}
	}
	for col, dst := range map[string]**string{
		"memory_limit":       &role.MemoryLimit,
		"max_execution_time": &role.MaxExecutionTime,
	} {
		if raw, ok := body[col]; ok {
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return badRequest("Invalid value for field " + col + ".")
			}
			switch x := v.(type) {
			case nil:
				*dst = nil
			case string:
				*dst = &x
			case float64:
				s := strconv.FormatFloat(x, 'f', -1, 64)
				*dst = &s
			default:
				return badRequest("Invalid value for field " + col + ".")
			}
		}
	}
	if raw, ok := body["rate_limit_count"]; ok {
		if err := json.Unmarshal(raw, &role.RateLimitCount); err != nil {
			return badRequest("Invalid value for field rate_limit_count.")
		}
	}
	role.SetPermission()
	return nil
}

func (s *Server) addRole(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	body, err := s.decodeObject(w, r, "Role")
	if err != nil {
		return err
	}
	now := identity.DateTime(time.Now())
	role := model.Role{Created: now, Modified: now}
	if err := applyRoleInput(body, &role); err != nil {
		return err
	}
	if role.Name == "" {
		return saveFail("Role could not be saved.", reqPath(r), fieldErrors("name", "A name is required."))
	}
	err = store.InsertRole(r.Context(), s.db, &role)
	if errors.Is(err, store.ErrConflict) {
		return saveFail("Role could not be saved.", reqPath(r),
			fieldErrors("name", "A role with this name already exists."))
	}
	if err != nil {
		return err
	}
	return ok(w, map[string]any{"Role": role})
}

func (s *Server) loadRole(r *http.Request) (model.Role, error) {
	id, okID := pathInt(r.PathValue("id"))
	if !okID {
		return model.Role{}, notFound("Invalid Role")
	}
	role, err := s.db.Role(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return role, notFound("Invalid Role")
	}
	return role, err
}

func (s *Server) editRole(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	role, err := s.loadRole(r)
	if err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "Role")
	if err != nil {
		return err
	}
	if err := applyRoleInput(body, &role); err != nil {
		return err
	}
	role.Modified = identity.DateTime(time.Now())
	err = store.UpdateRole(r.Context(), s.db, &role)
	if errors.Is(err, store.ErrConflict) {
		return saveFail("Role could not be saved.", reqPath(r),
			fieldErrors("name", "A role with this name already exists."))
	}
	if err != nil {
		return err
	}
	s.auth.Forget()
	return ok(w, map[string]any{"Role": role})
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	role, err := s.loadRole(r)
	if err != nil {
		return err
	}
	inUse, err := s.db.RoleInUse(r.Context(), int64(role.ID))
	if err != nil {
		return err
	}
	if inUse {
		return saveFail("Role could not be deleted: users still hold it.", reqPath(r), nil)
	}
	if err := store.DeleteRole(r.Context(), s.db, int64(role.ID)); err != nil {
		return err
	}
	return saveSuccess(w, reqPath(r), "Role deleted", itoa(int64(role.ID)))
}

func (s *Server) setDefaultRole(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	role, err := s.loadRole(r)
	if err != nil {
		return err
	}
	if err := s.db.Tx(r.Context(), func(tx *store.Tx) error {
		return store.SetDefaultRole(r.Context(), tx, int64(role.ID))
	}); err != nil {
		return err
	}
	return saveSuccess(w, reqPath(r), "Default role set.", itoa(int64(role.ID)))
}
