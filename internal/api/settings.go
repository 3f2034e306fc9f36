package api

import (
	"encoding/json"
	"net/http"

	"github.com/cairn-project/cairn/internal/settings"
)

// settingView is the answer of servers/getSetting.
type settingView struct {
	Level       int      `json:"level"`
	Description string   `json:"description"`
	Value       any      `json:"value"`
	Test        string   `json:"test"`
	Type        string   `json:"type"`
	Null        bool     `json:"null"`
	Options     []string `json:"options,omitempty"`
	Name        string   `json:"name"`
}

func viewOf(v settings.Value) settingView {
	return settingView{Level: v.Def.Level, Description: v.Def.Description,
		Value: v.Def.Typed(v.Raw), Test: v.Def.Test(), Type: string(v.Def.Kind),
		Null: v.Def.Kind != settings.Boolean, Options: v.Def.Options, Name: v.Def.Name}
}

func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	name := r.PathValue("name")
	d, found := settings.Lookup(name)
	if !found {
		return notFound("Setting " + name + " is invalid.")
	}
	raw, err := s.settings.Get(r.Context(), name)
	if err != nil {
		return err
	}
	return ok(w, viewOf(settings.Value{Def: d, Raw: raw}))
}

func (s *Server) serverSettings(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	all, err := s.settings.All(r.Context())
	if err != nil {
		return err
	}
	type final struct {
		Setting string `json:"setting"`
		settingView
	}
	out := make([]final, 0, len(all))
	for _, v := range all {
		out = append(out, final{Setting: v.Def.Name, settingView: viewOf(v)})
	}
	return ok(w, map[string]any{"finalSettings": out})
}

func (s *Server) editSetting(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	name := r.PathValue("name")
	d, found := settings.Lookup(name)
	if !found {
		return notFound("Setting " + name + " is invalid.")
	}
	body, err := s.decodeObject(w, r, "Server")
	if err != nil {
		return err
	}
	var v any
	if raw, has := body["value"]; has {
		if err := json.Unmarshal(raw, &v); err != nil {
			return badRequest("Invalid value.")
		}
	}
	value, err := d.Normalize(v)
	if err != nil {
		return saveFail("Setting "+name+" could not be updated: "+err.Error()+".",
			"/servers/serverSettingsEdit", err.Error()+".")
	}
	if err := s.settings.Set(r.Context(), s.db, name, value); err != nil {
		return err
	}
	return saveSuccess(w, "/servers/serverSettingsEdit", "Field updated", "")
}
