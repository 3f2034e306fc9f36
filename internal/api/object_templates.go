package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/library"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// nullOrgRef and nullUserRef stand for the organisation and user a library template does
// not belong to, sent as MISP sends a missing belongsTo row: every field null.
type nullOrgRef struct {
	ID   *string `json:"id"`
	Name *string `json:"name"`
	UUID *string `json:"uuid"`
}

type nullUserRef struct {
	ID    *string `json:"id"`
	Email *string `json:"email"`
}

// ensureObjectTemplates fills an empty template table from the library directory, as MISP
// does on first use, so that a fresh instance lists templates without an explicit update.
func (s *Server) ensureObjectTemplates(r *http.Request) error {
	_, err := library.EnsureObjectTemplates(r.Context(), s.db, s.cfg.LibraryDir)
	return err
}

func (s *Server) indexObjectTemplates(w http.ResponseWriter, r *http.Request) error {
	if err := s.ensureObjectTemplates(r); err != nil {
		return err
	}
	f := store.ObjectTemplateFilter{Search: named(r).Get("searchall")}
	if all := r.PathValue("all"); principal(r).SiteAdmin() && (all == "1" || all == "true") {
		f.IncludeOff = true
	}
	return s.writeObjectTemplateIndex(w, r, f)
}

func (s *Server) writeObjectTemplateIndex(w http.ResponseWriter, r *http.Request,
	f store.ObjectTemplateFilter) error {
	templates, err := store.ObjectTemplates(r.Context(), s.db, f)
	if err != nil {
		return err
	}
	// MISP orders by name in the database's binary collation: uppercase first.
	sort.SliceStable(templates, func(i, j int) bool {
		return templates[i].Name < templates[j].Name
	})
	type row struct {
		ObjectTemplate model.ObjectTemplate `json:"ObjectTemplate"`
		Organisation   nullOrgRef           `json:"Organisation"`
	}
	out := make([]row, 0, len(templates))
	for _, t := range templates {
		out = append(out, row{ObjectTemplate: t})
	}
	return ok(w, out)
}

// loadObjectTemplate finds a template by id, uuid or name.
func (s *Server) loadObjectTemplate(r *http.Request, ref string) (model.ObjectTemplate, error) {
	var t model.ObjectTemplate
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		t, err = store.ObjectTemplateByID(r.Context(), s.db, id)
	} else {
		if u, perr := uuid.Parse(ref); perr == nil {
			ref = u.String()
		}
		t, err = store.ObjectTemplateByKey(r.Context(), s.db, ref)
	}
	if errors.Is(err, store.ErrNotFound) {
		return t, notFound("Invalid object template")
	}
	return t, err
}

func (s *Server) viewObjectTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := s.ensureObjectTemplates(r); err != nil {
		return err
	}
	t, err := s.loadObjectTemplate(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	elements, err := store.ObjectTemplateElements(r.Context(), s.db, int64(t.ID))
	if err != nil {
		return err
	}
	view := struct {
		ObjectTemplate        model.ObjectTemplate          `json:"ObjectTemplate"`
		User                  *nullUserRef                  `json:"User,omitempty"`
		Organisation          nullOrgRef                    `json:"Organisation"`
		ObjectTemplateElement []model.ObjectTemplateElement `json:"ObjectTemplateElement"`
	}{ObjectTemplate: t, ObjectTemplateElement: elements}
	if principal(r).SiteAdmin() {
		view.User = &nullUserRef{}
	}
	return ok(w, view)
}

// getRawObjectTemplate answers with the definition.json a template was loaded from.
func (s *Server) getRawObjectTemplate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if !p.SiteAdmin() && !bool(p.Role.ObjectTemplate) {
		return noFunctionality()
	}
	if err := s.ensureObjectTemplates(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	if u, err := uuid.Parse(key); err == nil {
		key = u.String()
	}
	_, def, err := store.ObjectTemplateDefinition(r.Context(), s.db, store.TemplateKey{Key: key})
	if errors.Is(err, store.ErrNotFound) {
		return notFound("Template not found")
	}
	if err != nil {
		return err
	}
	return ok(w, json.RawMessage(def))
}

// updateObjectTemplates reloads the templates from the library directory. MISP answers a
// REST client with a redirect to the index, which clients follow; Cairn sends the index
// directly (PyMISP's update_object_templates expects the list).
func (s *Server) updateObjectTemplates(w http.ResponseWriter, r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	n := named(r)
	opts := library.LoadOptions{Name: n.Get("type"), Force: n.Get("force") == "1" ||
		n.Get("force") == "true"}
	if v := r.PathValue("type"); v != "" && v != "0" && v != "false" {
		opts.Name = v
	}
	if v := r.PathValue("force"); v == "1" || v == "true" {
		opts.Force = true
	}
	_, err := library.LoadObjectTemplates(r.Context(), s.db, s.cfg.LibraryDir, opts)
	if errors.Is(err, library.ErrNoObjectTemplates) {
		return saveFail("Could not update ObjectTemplates", "/object_templates/update",
			"No misp-objects checkout was found: start Cairn with --library-dir "+
				"(CAIRN_LIBRARY_DIR) naming a directory that holds misp-objects.")
	}
	if err != nil {
		return err
	}
	return s.writeObjectTemplateIndex(w, r, store.ObjectTemplateFilter{})
}
