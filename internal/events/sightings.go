package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// Sightings (reference §1.7, §5.8): an organisation reports that it saw an attribute's
// value (type 0), that the attribute is a false positive (1), or when it expires (2). A user
// sights only attributes it can read, and is shown the sightings of those attributes that
// Plugin.Sightings_policy lets it see. MISP records no audit entry for sightings, and
// neither does Cairn.

// MISP's texts about sightings.
const (
	msgInvalidSighting     = "Invalid sighting."
	reasonInvalidType      = "Invalid type, please change it before you POST 1000000 sightings."
	reasonNoAttributes     = "No valid attributes found."
	reasonNoneMatch        = "No valid attributes found that match the criteria."
	reasonBadTimestamp     = `{"date_sighting":["This field cannot be left blank"]}`
	msgInvalidContext      = "Invalid context."
	msgInvalidOrganisation = "Invalid Organisation."
)

// SightingRefusal is a sightings/add that added nothing; MISP answers it with status 200
// and "Could not add the Sighting. Reason: " followed by Reason.
type SightingRefusal struct{ Reason string }

func (e *SightingRefusal) Error() string { return "events: sighting refused: " + e.Reason }

// SightingInput is a sightings/add request.
type SightingInput struct {
	// Attribute names the attributes to sight: an id, ids joined with "|", or a uuid. When
	// empty, Values names them.
	Attribute string
	// Values sights every attribute the actor can read whose value, or either part of a
	// composite value, is one of them.
	Values []string
	// Filters, when not nil, are attributes/restSearch filters that pick the attributes
	// to sight among those that carry Values.
	Filters *search.Params
	// Type is the sighting type as sent: 0, 1 or 2.
	Type string
	// Source says where the sighting comes from (a sensor, a feed...).
	Source string
	// Timestamp is when the attributes were sighted (Unix seconds); nil means now.
	Timestamp *int64
	// BadTimestamp is set when the request gave a time that is not a number.
	BadTimestamp bool
}

// sightingView is what decides which sightings a reader is shown, and how.
type sightingView struct {
	acl.SightingRules
	// ShowOrg is MISP.showorg: events/view and sightings/index name the organisation of
	// each sighting only when it is on.
	ShowOrg bool
	// Disabled is MISP.disable_sighting_loading.
	Disabled bool
}

func (s *Service) sightingView(ctx context.Context) (sightingView, error) {
	var sv sightingView
	policy, err := s.settings.Int(ctx, "Plugin.Sightings_policy")
	if err != nil {
		return sv, fmt.Errorf("events: sighting settings: %w", err)
	}
	sv.Policy = acl.SightingPolicy(policy)
	if sv.HostOrgID, err = s.settings.Int(ctx, "MISP.host_org_id"); err != nil {
		return sv, fmt.Errorf("events: sighting settings: %w", err)
	}
	for name, dst := range map[string]*bool{"Plugin.Sightings_anonymise": &sv.Anonymise,
		"MISP.showorg": &sv.ShowOrg, "MISP.disable_sighting_loading": &sv.Disabled} {
		if *dst, err = s.settings.Bool(ctx, name); err != nil {
			return sv, fmt.Errorf("events: sighting settings: %w", err)
		}
	}
	return sv, nil
}

// readable is the condition under which v reads an attribute aliased a, of the event e,
// in the object o: the access rules, and deleted attributes for the owner only.
func readable(v *acl.Viewer) string {
	return v.AttributeCondition("e", "a", "o") + " AND " + v.DeletedCondition("e", "a")
}

// sightingType reads a sighting type as sent.
func sightingType(t string) (int64, bool) {
	switch t {
	case "", "0":
		return model.SightingSeen, true
	case "1":
		return model.SightingFalsePositive, true
	case "2":
		return model.SightingExpiration, true
	}
	return 0, false
}

// AddSightings adds a sighting, reported by the actor's organisation, to each attribute in
// names that it can read, in one transaction, and returns the last one added, as MISP
// answers. A request that names no readable attribute adds nothing and is refused with a
// *SightingRefusal.
func (s *Service) AddSightings(ctx context.Context, a *Actor, in SightingInput) (
	*model.Sighting, error) {
	if !acl.CanAddSightings(a.Principal) {
		return nil, forbidden(msgNoFunctionality)
	}
	typ, ok := sightingType(in.Type)
	if !ok {
		return nil, &SightingRefusal{Reason: reasonInvalidType}
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	targets, err := s.sightingTargets(ctx, v, in)
	if err != nil {
		return nil, err
	}
	if in.BadTimestamp {
		return nil, &SightingRefusal{Reason: reasonBadTimestamp}
	}
	now := s.unix()
	date := now
	if in.Timestamp != nil {
		date = *in.Timestamp
	}
	realtime, err := s.settings.Bool(ctx, "Plugin.Sightings_enable_realtime_publish")
	if err != nil {
		return nil, fmt.Errorf("events: add sightings: %w", err)
	}

	rows := make([]store.Sighting, len(targets))
	attrIDs := make([]int64, len(targets))
	var eventIDs []int64
	seen := map[int64]bool{}
	for i, t := range targets {
		rows[i] = store.Sighting{AttributeID: t.AttributeID, EventID: t.EventID,
			OrgID: a.OrgID(), DateSighting: date, UUID: uuid.NewString(), Source: in.Source,
			Type: typ}
		attrIDs[i] = t.AttributeID
		if !seen[t.EventID] {
			seen[t.EventID] = true
			eventIDs = append(eventIDs, t.EventID)
		}
	}
	last := rows[len(rows)-1]
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if typ == model.SightingExpiration {
			if err := store.DeleteExpirations(ctx, tx, a.OrgID(), attrIDs); err != nil {
				return err
			}
		}
		if err := store.InsertSightings(ctx, tx, rows); err != nil {
			return err
		}
		if realtime {
			// Publishing sightings stamps their events; pushing them to other
			// instances belongs to synchronisation.
			if err := store.SetSightingTimestamp(ctx, tx, eventIDs, now); err != nil {
				return err
			}
		}
		last.ID, err = store.SightingID(ctx, tx, last.UUID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("events: add sightings: %w", err)
	}
	org := misp.StrInt(last.OrgID)
	return &model.Sighting{ID: misp.StrInt(last.ID), AttributeID: misp.StrInt(last.AttributeID),
		EventID: misp.StrInt(last.EventID), OrgID: &org,
		DateSighting: misp.StrInt(last.DateSighting), UUID: last.UUID, Source: last.Source,
		Type: misp.StrInt(last.Type)}, nil
}

// sightingTargets returns the attributes a sightings/add names that v can read, or a
// *SightingRefusal when there are none.
func (s *Service) sightingTargets(ctx context.Context, v *acl.Viewer, in SightingInput) (
	[]store.SightingTarget, error) {
	var values []string
	for _, val := range in.Values {
		if val != "" {
			values = append(values, val)
		}
	}
	q := store.SightingTargetQuery{Visible: readable(v)}
	switch {
	case in.Attribute != "":
		q.IDs, q.UUID = attributeIDList(in.Attribute)
	case len(in.Values) == 0:
		return nil, &SightingRefusal{Reason: reasonNoAttributes}
	case in.Filters != nil:
		return s.filteredTargets(ctx, v, in.Filters, values)
	default:
		q.Values = values
	}
	var targets []store.SightingTarget
	if len(q.IDs) > 0 || q.UUID != "" || len(q.Values) > 0 {
		var err error
		if targets, err = store.SightingTargets(ctx, s.db, q); err != nil {
			return nil, err
		}
	}
	if len(targets) == 0 {
		return nil, &SightingRefusal{Reason: reasonNoneMatch}
	}
	return targets, nil
}

// filteredTargets runs the restSearch filters of a sightings/add over the attributes that
// carry values.
func (s *Service) filteredTargets(ctx context.Context, v *acl.Viewer, filters *search.Params,
	values []string) ([]store.SightingTarget, error) {
	p := *filters
	p.Value = search.Terms{OR: values}
	if len(values) == 0 {
		p.MatchNothing = true
	}
	q := store.AttributeSearch{P: &p, Visible: v.AttributeCondition("e", "a", "o"),
		OrgID: v.OrgID, SiteAdmin: v.SiteAdmin, Dialect: s.db.Dialect()}
	var targets []store.SightingTarget
	collect := func(at *model.Attribute, _ *store.EventStub) error {
		targets = append(targets, store.SightingTarget{AttributeID: int64(at.ID),
			EventID: int64(at.EventID)})
		return nil
	}
	err := store.SearchAttributes(ctx, s.db, q, collect)
	if err != nil {
		return nil, fmt.Errorf("events: sighting targets: %w", err)
	}
	if len(targets) == 0 {
		return nil, &SightingRefusal{Reason: reasonNoneMatch}
	}
	return targets, nil
}

// attributeIDList reads what names the attributes of a sightings/add: ids joined with "|"
// (those that are not numbers are dropped), a uuid, or one id.
func attributeIDList(s string) ([]int64, string) {
	if strings.Contains(s, "|") {
		var ids []int64
		for _, part := range strings.Split(s, "|") {
			if id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		return ids, ""
	}
	if len(s) == 36 {
		if u, err := uuid.Parse(s); err == nil {
			return nil, u.String()
		}
		return nil, ""
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		return []int64{id}, ""
	}
	return nil, ""
}

// DeleteSighting removes the sighting ref names. Site admins remove any; users with
// perm_modify_org those of their organisation. Others, and unknown sightings, get 404
// "Invalid sighting.".
func (s *Service) DeleteSighting(ctx context.Context, a *Actor, ref store.SightingRef) error {
	if !acl.CanDeleteSightings(a.Principal) {
		return forbidden(msgNoFunctionality)
	}
	sg, err := store.FindSighting(ctx, s.db, ref)
	if err != nil {
		return notFoundAs(err, msgInvalidSighting)
	}
	if !acl.CanDeleteSighting(a.Principal, sg.OrgID) {
		return notFound(msgInvalidSighting)
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error { return store.DeleteSighting(ctx, tx, sg.ID) })
	if err != nil {
		return notFoundAs(err, msgInvalidSighting)
	}
	return nil
}

// wireSighting turns a stored sighting into the shape of events/view and sightings/index
// for v: without its organisation when that is hidden, with it when MISP.showorg is on.
func wireSighting(st *store.Sighting, v *acl.Viewer, sv sightingView) model.Sighting {
	out := model.Sighting{ID: misp.StrInt(st.ID), AttributeID: misp.StrInt(st.AttributeID),
		EventID: misp.StrInt(st.EventID), DateSighting: misp.StrInt(st.DateSighting),
		UUID: st.UUID, Source: st.Source, Type: misp.StrInt(st.Type)}
	if v.HidesSightingOrg(st.OrgID, sv.SightingRules) {
		return out
	}
	org := misp.StrInt(st.OrgID)
	out.OrgID = &org
	if sv.ShowOrg && st.OrgFound {
		out.Organisation = &model.SightingOrg{ID: org, UUID: st.OrgUUID, Name: st.OrgName}
	}
	return out
}

// eventSightings returns the sightings of a visible event that v is shown, by attribute
// id, read with one query. The caller attaches them to the attributes v reads, and sets
// their attribute_uuid.
func (s *Service) eventSightings(ctx context.Context, q store.Querier, v *acl.Viewer,
	eventID int64) (map[int64][]model.Sighting, error) {
	sv, err := s.sightingView(ctx)
	if err != nil || sv.Disabled {
		return nil, err
	}
	rows, err := store.EventSightings(ctx, q, eventID, v.SightingCondition("s", "e",
		sv.SightingRules))
	if err != nil {
		return nil, err
	}
	out := map[int64][]model.Sighting{}
	for i := range rows {
		id := rows[i].AttributeID
		out[id] = append(out[id], wireSighting(&rows[i], v, sv))
	}
	return out, nil
}

// AttributeSightings returns the sightings v is shown of attributes that v can read, by
// attribute id, in the shape of events/view, with one query for the list (for
// attributes/restSearch with includeSightings, a chunk of attributes at a time).
func (s *Service) AttributeSightings(ctx context.Context, v *acl.Viewer, ids []int64) (
	map[int64][]model.Sighting, error) {
	sv, err := s.sightingView(ctx)
	if err != nil || sv.Disabled || len(ids) == 0 {
		return nil, err
	}
	q := store.SightingSearch{Visible: v.SightingCondition("s", "e", sv.SightingRules),
		AttributeIDs: ids, Order: store.ByID}
	out := map[int64][]model.Sighting{}
	err = store.SearchSightings(ctx, s.db, q, func(d *store.SightingDetail) error {
		sg := wireSighting(&d.Sighting, v, sv)
		sg.AttributeUUID = d.AttributeUUID
		out[d.AttributeID] = append(out[d.AttributeID], sg)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("events: attribute sightings: %w", err)
	}
	return out, nil
}

// EachSighting calls fn, event by event, with the sightings the actor is shown on the
// attributes it can read: those of event eventID, or of every event when it is 0
// (sightings/index).
func (s *Service) EachSighting(ctx context.Context, a *Actor, eventID int64,
	fn func(*model.Sighting) error) error {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return err
	}
	sv, err := s.sightingView(ctx)
	if err != nil {
		return err
	}
	q := store.SightingSearch{Visible: readable(v) + " AND " +
		v.SightingCondition("s", "e", sv.SightingRules), Order: store.ByEvent}
	if eventID != 0 {
		q.EventIDs = []int64{eventID}
	}
	return store.SearchSightings(ctx, s.db, q, func(d *store.SightingDetail) error {
		out := wireSighting(&d.Sighting, v, sv)
		out.AttributeUUID = d.AttributeUUID
		return fn(&out)
	})
}

// ListSightings returns, latest first, the sightings the actor is shown of the attributes
// (scope "attribute") or of the events (scope "event") with the given ids, of
// organisation orgID only when it is not 0 (sightings/listSightings). Ids the actor cannot
// read are skipped; when none is left, the answer is 405 "Invalid object.".
func (s *Service) ListSightings(ctx context.Context, a *Actor, ids []int64, scope string,
	orgID int64) ([]model.ListedSighting, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	sv, err := s.sightingView(ctx)
	if err != nil {
		return nil, err
	}
	q := store.SightingSearch{Visible: readable(v) + " AND " +
		v.SightingCondition("s", "e", sv.SightingRules), Order: store.NewestFirst}
	switch scope {
	case "attribute":
		q.LiveAttributes = true
		q.AttributeIDs, err = store.VisibleAttributeIDs(ctx, s.db, ids,
			v.AttributeCondition("e", "a", "o"))
		if err == nil && len(q.AttributeIDs) == 0 {
			return nil, notAllowed(msgInvalidObject)
		}
	case "event":
		q.EventIDs, err = store.VisibleEventIDs(ctx, s.db, ids, v.EventCondition("e"))
		if err == nil && len(q.EventIDs) == 0 {
			return nil, notAllowed(msgInvalidObject)
		}
	default:
		return nil, notAllowed(msgInvalidContext)
	}
	if err != nil {
		return nil, err
	}
	if orgID != 0 {
		q.OrgIDs = []int64{orgID}
	}
	out := []model.ListedSighting{}
	err = store.SearchSightings(ctx, s.db, q, func(d *store.SightingDetail) error {
		ls := model.ListedSighting{Sighting: model.Sighting{ID: misp.StrInt(d.ID),
			AttributeID: misp.StrInt(d.AttributeID), EventID: misp.StrInt(d.EventID),
			DateSighting: misp.StrInt(d.DateSighting), UUID: d.UUID, Source: d.Source,
			Type: misp.StrInt(d.Type)}}
		org := misp.StrInt(d.OrgID)
		ls.Organisation.Name = d.OrgName
		// As MISP: site admins see every organisation, others get 0 and no name.
		if !v.SiteAdmin && v.HidesSightingOrg(d.OrgID, sv.SightingRules) {
			org, ls.Organisation.Name = 0, ""
		}
		ls.Sighting.OrgID = &org
		out = append(out, ls)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ViewSighting returns the sighting ref names as sightings/listSightings lists it, if the
// actor is shown it; otherwise 404 "Invalid sighting.".
func (s *Service) ViewSighting(ctx context.Context, a *Actor, ref store.SightingRef) (
	*model.ListedSighting, error) {
	sg, err := store.FindSighting(ctx, s.db, ref)
	if err != nil {
		return nil, notFoundAs(err, msgInvalidSighting)
	}
	list, err := s.ListSightings(ctx, a, []int64{sg.AttributeID}, "attribute", 0)
	var e *Error
	if errors.As(err, &e) && e.Kind == NotAllowed {
		return nil, notFound(msgInvalidSighting)
	}
	if err != nil {
		return nil, err
	}
	for i := range list {
		if int64(list[i].Sighting.ID) == sg.ID {
			return &list[i], nil
		}
	}
	return nil, notFound(msgInvalidSighting)
}

// OrganisationID returns the id of the organisation named by id or uuid, or 404 "Invalid
// Organisation." when there is none.
func (s *Service) OrganisationID(ctx context.Context, ref string) (int64, error) {
	if u, err := uuid.Parse(ref); err == nil && len(ref) == 36 {
		o, err := s.db.OrganisationByUUID(ctx, u.String())
		if err != nil {
			return 0, notFoundAs(err, msgInvalidOrganisation)
		}
		return int64(o.ID), nil
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		return 0, notFound(msgInvalidOrganisation)
	}
	o, err := s.db.Organisation(ctx, id)
	if err != nil {
		return 0, notFoundAs(err, msgInvalidOrganisation)
	}
	return int64(o.ID), nil
}

// SearchSightings answers sightings/restSearch: start is called with the number of
// sightings found, then fn with each, in id order, as the actor is shown them.
func (s *Service) SearchSightings(ctx context.Context, a *Actor, p *search.SightingParams,
	start func(total int64) error, fn func(*model.FoundSighting) error) error {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return err
	}
	sv, err := s.sightingView(ctx)
	if err != nil {
		return err
	}
	q := store.SightingSearch{Visible: readable(v) + " AND " +
		v.SightingCondition("s", "e", sv.SightingRules),
		MatchNothing: p.MatchNothing || sv.Disabled, Types: p.Types, Sources: p.Sources,
		OrgIDs: p.OrgIDs, OrgUUIDs: p.OrgUUIDs, NotOrgIDs: p.NotOrgIDs,
		NotOrgUUIDs: p.NotOrgUUIDs, Since: p.Since, Until: p.Until, Order: store.ByID}
	switch p.Context {
	case "attribute":
		q.AttributeIDs, q.AttributeUUIDs = p.IDs, p.UUIDs
	case "event":
		q.EventIDs, q.EventUUIDs = p.IDs, p.UUIDs
	}
	n, err := store.CountSightings(ctx, s.db, q)
	if err != nil {
		return err
	}
	if err := start(n); err != nil {
		return err
	}
	return store.SearchSightings(ctx, s.db, q, func(d *store.SightingDetail) error {
		return fn(foundSighting(d, v, sv, p))
	})
}

// foundSighting builds a sightings/restSearch record.
func foundSighting(d *store.SightingDetail, v *acl.Viewer, sv sightingView,
	p *search.SightingParams) *model.FoundSighting {
	value := misp.JoinValue(d.Value1, d.Value2)
	out := &model.FoundSighting{ID: misp.StrInt(d.ID), AttributeID: misp.StrInt(d.AttributeID),
		EventID: misp.StrInt(d.EventID), DateSighting: misp.StrInt(d.DateSighting),
		UUID: d.UUID, Source: d.Source, Type: misp.StrInt(d.Type), Value: value}
	if p.IncludeUUID {
		out.AttributeUUID, out.EventUUID = d.AttributeUUID, d.EventUUID
	}
	if p.IncludeAttribute {
		out.Attribute = &model.SightingAttribute{ID: misp.StrInt(d.AttributeID), Value: value,
			UUID: d.AttributeUUID, Type: d.AttributeType, Category: d.Category,
			ToIDs: misp.Bool(d.ToIDs)}
	}
	if p.IncludeEvent {
		out.Event = &model.SightingEvent{ID: misp.StrInt(d.EventID), UUID: d.EventUUID,
			OrgcID: misp.StrInt(d.EventOrgcID), OrgID: misp.StrInt(d.EventOrgID),
			Info: d.EventInfo, Orgc: model.SightingOrgName{Name: d.OrgcName}}
	}
	if v.HidesSightingOrg(d.OrgID, sv.SightingRules) {
		return out
	}
	org := misp.StrInt(d.OrgID)
	out.OrgID = &org
	if d.OrgID != 0 && d.OrgFound {
		out.Organisation = &model.SightingOrg{ID: org, UUID: d.OrgUUID, Name: d.OrgName}
	}
	return out
}
