package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// The correlation administration of MISP's CorrelationExclusionsController and
// CorrelationsController, for site admins only, as MISP's ACL has it.
//
// TODO: MISP logs the changes of exclusions in its audit log; Cairn's audit log records
// event changes only so far, and these are not recorded.

type exclusionEntry struct {
	CorrelationExclusion store.CorrelationExclusion `json:"CorrelationExclusion"`
}

const msgInvalidExclusion = "Invalid CorrelationExclusion."

// exclusionID reads the id of a correlation exclusion from the path.
func exclusionID(r *http.Request) (int64, error) {
	id, ok := pathInt(r.PathValue("id"))
	if !ok {
		return 0, notFound(msgInvalidExclusion)
	}
	return id, nil
}

func siteAdminOnly(r *http.Request) error {
	if !principal(r).SiteAdmin() {
		return noFunctionality()
	}
	return nil
}

// indexCorrelationExclusions answers correlation_exclusions/index: every exclusion, or
// with quickFilter those whose value or comment contains it.
func (s *Server) indexCorrelationExclusions(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	list, err := store.CorrelationExclusions(r.Context(), s.db, named(r).Get("quickFilter"))
	if err != nil {
		return err
	}
	out := make([]exclusionEntry, len(list))
	for i, x := range list {
		out[i] = exclusionEntry{x}
	}
	return ok(w, out)
}

func (s *Server) viewCorrelationExclusion(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	id, err := exclusionID(r)
	if err != nil {
		return err
	}
	x, err := store.FindCorrelationExclusion(r.Context(), s.db, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgInvalidExclusion)
	}
	if err != nil {
		return err
	}
	return ok(w, exclusionEntry{x})
}

// addCorrelationExclusion stores an exclusion ({"value","comment"}, bare or wrapped in
// CorrelationExclusion); the values it matches lose their correlations at once.
func (s *Server) addCorrelationExclusion(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	body, err := s.decodeObject(w, r, "CorrelationExclusion")
	if err != nil {
		return err
	}
	var in struct {
		Value   *events.Text `json:"value"`
		Comment *events.Text `json:"comment"`
	}
	if err := decodeInto(body, &in); err != nil {
		return err
	}
	const name = "CorrelationExclusion could not be added."
	x := store.CorrelationExclusion{}
	if in.Value != nil {
		x.Value = strings.TrimSpace(string(*in.Value))
	}
	if x.Value == "" {
		return saveFail(name, reqPath(r), fieldErrors("value", "valueNotEmpty"))
	}
	if in.Comment != nil {
		c := string(*in.Comment)
		x.Comment = &c
	}
	err = correlate.AddExclusion(r.Context(), s.db, &x)
	if errors.Is(err, store.ErrConflict) {
		return saveFail(name, reqPath(r),
			fieldErrors("value", "Value is already in the exclusion list."))
	}
	if err != nil {
		return err
	}
	return ok(w, exclusionEntry{x})
}

// deleteCorrelationExclusion removes an exclusion; the values it kept out correlate again
// at once, unless another exclusion matches them.
func (s *Server) deleteCorrelationExclusion(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	id, err := exclusionID(r)
	if err != nil {
		return err
	}
	err = correlate.DeleteExclusion(r.Context(), s.db, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msgInvalidExclusion)
	}
	if err != nil {
		return err
	}
	return saveSuccess(w, "/correlation_exclusions/delete/"+itoa(id),
		"CorrelationExclusion deleted.", itoa(id))
}

// cleanCorrelationExclusions removes the correlations that the exclusions match.
//
// note: MISP queues this as a background job and answers at once; Cairn answers once the
// index is clean, with the same message.
func (s *Server) cleanCorrelationExclusions(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	if err := correlate.CleanAll(r.Context(), s.db); err != nil {
		return err
	}
	return saveSuccess(w, "/correlation_exclusions/clean",
		"Correlations cleanup initiated, based on the exclusion rules.", "")
}

type overCorrelatingValue struct {
	ID              misp.StrInt `json:"id"`
	Value           string      `json:"value"`
	Occurrence      misp.StrInt `json:"occurrence"`
	OverCorrelation bool        `json:"over_correlation"`
	Excluded        bool        `json:"excluded"`
}

// overCorrelations answers correlations/overCorrelations: the values that more attributes
// carry than MISP.correlation_limit, most common first, with MISP's named parameters limit
// (50), page (1) and scope (over_correlating or not_over_correlating).
//
// note: MISP keeps these values in a table and gives them ids; Cairn counts them in the
// index when asked, and the id is the value's rank in the listing.
func (s *Server) overCorrelations(w http.ResponseWriter, r *http.Request) error {
	if err := siteAdminOnly(r); err != nil {
		return err
	}
	n := named(r)
	perPage, page := namedInt(n, "limit", 50), namedInt(n, "page", 1)
	out := []map[string]overCorrelatingValue{}
	if n.Get("scope") == "not_over_correlating" {
		return ok(w, out)
	}
	ctx := r.Context()
	limit, err := s.settings.Int(ctx, "MISP.correlation_limit")
	if err != nil {
		return err
	}
	values, err := correlate.OverCorrelations(ctx, s.db, int(limit), page, perPage)
	if err != nil {
		return err
	}
	ex, err := correlate.LoadExclusions(ctx, s.db)
	if err != nil {
		return err
	}
	for i, v := range values {
		out = append(out, map[string]overCorrelatingValue{"OverCorrelatingValue": {
			ID: misp.StrInt((page-1)*perPage + i + 1), Value: v.Value,
			Occurrence: misp.StrInt(v.Count), OverCorrelation: true,
			Excluded: ex.Excluded(v.Value)}})
	}
	return ok(w, out)
}

// namedInt reads a positive integer named parameter, or def.
func namedInt(n Named, key string, def int) int {
	if v, err := strconv.Atoi(n.Get(key)); err == nil && v > 0 {
		return v
	}
	return def
}
