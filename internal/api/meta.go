package api

import (
	"net/http"

	"github.com/cairn-project/cairn/internal/misp"
)

func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	uuid := "-"
	if bool(p.Role.Sync) || p.SiteAdmin() {
		v, err := s.settings.Get(r.Context(), "MISP.uuid")
		if err != nil {
			return err
		}
		uuid = v
	}
	return ok(w, struct {
		Version          string   `json:"version"`
		PyMISPVersion    string   `json:"pymisp_recommended_version"`
		PermSync         bool     `json:"perm_sync"`
		PermSighting     bool     `json:"perm_sighting"`
		PermGalaxyEditor bool     `json:"perm_galaxy_editor"`
		PermAnalystData  bool     `json:"perm_analyst_data"`
		UUID             string   `json:"uuid"`
		RequestEncoding  []string `json:"request_encoding"`
		FilterSightings  bool     `json:"filter_sightings"`
		CairnVersion     string   `json:"cairn_version"`
	}{MISPVersion, MISPVersion, bool(p.Role.Sync), bool(p.Role.Sighting),
		bool(p.Role.GalaxyEditor), bool(p.Role.AnalystData), uuid, []string{"gzip"}, true,
		Version})
}

func (s *Server) getPyMISPVersion(w http.ResponseWriter, r *http.Request) error {
	return ok(w, map[string]string{"version": MISPVersion})
}

func (s *Server) getInstanceUUID(w http.ResponseWriter, r *http.Request) error {
	v, err := s.settings.Get(r.Context(), "MISP.uuid")
	if err != nil {
		return err
	}
	return ok(w, map[string]string{"uuid": v})
}

func (s *Server) describeTypes(w http.ResponseWriter, r *http.Request) error {
	body := misp.DescribeTypesJSON()
	w.Header().Set("Content-Type", contentJSON)
	_, err := w.Write(body)
	return err
}
