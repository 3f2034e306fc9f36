package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/identity"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

const (
	msgEventExists = "Event already exists, if you would like to edit it, use the url in the " +
		"location header."
	msgNotCreatorOrg = "Event cannot be created as you are not a member of the creator organisation."
	msgBlocked       = "Event blocked by event blocklist."
	msgPublishEmpty  = "Received a published event that was empty. Event add process blocked."
)

// Result is a written event as the actor sees it, with the children that were left out
// without refusing the write (MISP's "errors" beside the event).
type Result struct {
	Event  *model.Event
	Errors map[string]any
}

// AddEvent creates an event with its attributes, objects, references, reports and tags, in
// one transaction: a child that fails validation refuses the whole event and nothing is
// written. Attributes that duplicate another of the event are left out and reported.
func (s *Service) AddEvent(ctx context.Context, a *Actor, in *EventInput) (*Result, error) {
	if !acl.CanAddEvent(a.Principal) {
		return nil, forbidden(msgNoFunctionality)
	}
	v, err := s.viewer(ctx, a)
	if err != nil {
		return nil, err
	}
	b, err := s.newBuilder(ctx, v)
	if err != nil {
		return nil, err
	}
	defDist, defThreat, err := s.eventDefaults(ctx)
	if err != nil {
		return nil, err
	}

	e := &model.Event{OrgID: misp.StrInt(a.OrgID()), OrgcID: misp.StrInt(a.OrgID()),
		UserID: misp.StrInt(a.UserID()), Timestamp: misp.StrInt(intOr(in.Timestamp, b.now))}
	fe, err := b.eventFields(in, e, true, defDist, defThreat)
	if err != nil {
		return nil, err
	}
	if fe != nil {
		return nil, invalid(map[string]any{"Event": map[string][]string(fe)})
	}
	if err := s.checkNewUUID(ctx, e.UUID); err != nil {
		return nil, err
	}
	orgc, err := s.creatorOrg(ctx, a, in)
	if err != nil {
		return nil, err
	}
	if e.ExtendsUUID, err = s.extendsUUID(ctx, in.ExtendsUUID); err != nil {
		return nil, err
	}

	p, err := s.planEvent(ctx, b, in)
	if err != nil {
		return nil, err
	}
	if len(p.fatal) > 0 {
		return nil, invalid(p.fatal)
	}
	p.dropDuplicates(nil)
	if boolOr(in.Published, false) && (a.SiteAdmin() || bool(a.Role.Publish)) {
		if len(p.attrs)+len(p.objs)+len(p.reports) == 0 {
			return nil, invalid(msgPublishEmpty)
		}
		e.Published, e.PublishTimestamp = true, misp.StrInt(b.now)
	}
	e.AttributeCount = misp.StrInt(p.attributeCount())
	p.newEvent = true

	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := orgc.resolve(ctx, tx, e, b.now); err != nil {
			return err
		}
		if err := store.InsertEvent(ctx, tx, e); err != nil {
			return err
		}
		au := s.newAudit(a)
		if err := s.writePlan(ctx, tx, a, e, p, au); err != nil {
			return err
		}
		c := eventChange(nil, e).set("Attribute", nil, len(p.attrs)).
			set("Object", nil, len(p.objs)).set("ObjectReference", nil, len(p.stored)).
			set("EventReport", nil, len(p.reports))
		au.record(actionAdd, "Event", int64(e.ID), int64(e.ID), e.Info, c)
		return au.write(ctx, tx)
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, s.conflict(ctx, e, p)
	}
	if err != nil {
		return nil, fmt.Errorf("events: add: %w", err)
	}
	out, err := store.FindEvent(ctx, s.db, store.EventRef{ID: int64(e.ID)}, "true")
	if err != nil {
		return nil, fmt.Errorf("events: add: %w", err)
	}
	related := s.readCorrelations(ctx, s.db, v, int64(e.ID), ViewOptions{})
	defer related.stop()
	if err := s.assemble(ctx, s.db, a, &out, p.written(), ViewOptions{}); err != nil {
		return nil, fmt.Errorf("events: add: %w", err)
	}
	if err := s.fillCorrelations(ctx, s.db, &out, ViewOptions{}, related, false); err != nil {
		return nil, fmt.Errorf("events: add: %w", err)
	}
	return &Result{Event: &out, Errors: p.skipped}, nil
}

// conflict explains a new event that the unique indexes refused: its uuid, or the uuid of
// a child, is taken. The uuids are checked after the fact so that an event of many
// attributes pays no lookup when nothing collides, which is the rule.
func (s *Service) conflict(ctx context.Context, e *model.Event, p *plan) error {
	if _, err := store.EventIDByUUID(ctx, s.db, e.UUID); err == nil {
		return s.existing(ctx, e.UUID)
	}
	if _, err := p.checkFreshUUIDs(ctx, s.db, nil); err != nil {
		return err
	}
	if len(p.fatal) == 0 {
		return invalid(map[string]any{"Event": fieldErrors{"uuid": {msgUUIDNotFresh}}})
	}
	return invalid(p.fatal)
}

// planEvent builds the children of an event input.
func (s *Service) planEvent(ctx context.Context, b *builder, in *EventInput) (*plan, error) {
	p := newPlan()
	p.tags = eventTagInputs(in)
	for i := range in.Attribute {
		if err := p.addAttribute(b, &in.Attribute[i], -1, 0, "Attribute", strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	for i := range in.Object {
		if err := p.addObject(b, &in.Object[i], "Object", strconv.Itoa(i)); err != nil {
			return nil, err
		}
	}
	for i := range in.EventReport {
		r, fe, err := b.report(&in.EventReport[i], 0)
		if err != nil {
			return nil, err
		}
		if fe != nil {
			nest(p.fatal, map[string][]string(fe), "EventReport", strconv.Itoa(i))
			continue
		}
		p.reports = append(p.reports, &r)
	}
	return p, nil
}

// eventDefaults returns the settings MISP.default_event_distribution and
// MISP.default_event_threat_level.
func (s *Service) eventDefaults(ctx context.Context) (dist, threat int64, err error) {
	if dist, err = s.settings.Int(ctx, "MISP.default_event_distribution"); err != nil {
		return 0, 0, fmt.Errorf("events: settings: %w", err)
	}
	if threat, err = s.settings.Int(ctx, "MISP.default_event_threat_level"); err != nil {
		return 0, 0, fmt.Errorf("events: settings: %w", err)
	}
	return dist, threat, nil
}

// checkNewUUID refuses the uuid of a new event when an event has it already (404 with the
// existing event's URL in Location, Q15) or when it is on the event blocklist.
func (s *Service) checkNewUUID(ctx context.Context, u string) error {
	if _, err := store.EventIDByUUID(ctx, s.db, u); err == nil {
		return s.existing(ctx, u)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	blocked, err := store.EventBlocked(ctx, s.db, u)
	if err != nil {
		return err
	}
	if blocked {
		return forbidden(msgBlocked)
	}
	return nil
}

// existing is the refusal of a new event whose uuid is taken.
func (s *Service) existing(ctx context.Context, u string) error {
	id, err := store.EventIDByUUID(ctx, s.db, u)
	if err != nil {
		return err
	}
	return &Error{Kind: NotFound, Message: msgEventExists,
		Location: strings.TrimRight(s.baseURL, "/") + "/events/" + strconv.FormatInt(id, 10)}
}

// extendsUUID resolves extends_uuid: a uuid, or an event id turned into that event's uuid.
func (s *Service) extendsUUID(ctx context.Context, in *string) (string, error) {
	v := strings.TrimSpace(strOr(in, ""))
	if v == "" {
		return "", nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: id}, "true")
		if errors.Is(err, store.ErrNotFound) {
			return "", invalid(map[string]any{"Event": fieldErrors{"extends_uuid": {msgUUID}}})
		}
		if err != nil {
			return "", err
		}
		return e.UUID, nil
	}
	if _, err := uuid.Parse(v); err != nil {
		return "", invalid(map[string]any{"Event": fieldErrors{"extends_uuid": {msgUUID}}})
	}
	return strings.ToLower(v), nil
}

// creatorOrg is the organisation a new event is created for (Orgc): the actor's own, or
// for site admins and sync users the one the input names, found by uuid, id or name, and
// created when unknown, as MISP captures the organisations of pulled events.
type creatorOrg struct {
	id   int64
	new  *model.Organisation
	uuid string
	name string
}

func (s *Service) creatorOrg(ctx context.Context, a *Actor, in *EventInput) (*creatorOrg, error) {
	own := &creatorOrg{id: a.OrgID()}
	var ref OrgInput
	switch {
	case in.Orgc != nil:
		ref = *in.Orgc
	case in.OrgcID != nil:
		ref.ID = in.OrgcID
	default:
		return own, nil
	}
	org, err := s.findOrg(ctx, &ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	found := err == nil
	if found && int64(org.ID) == a.OrgID() {
		return own, nil
	}
	if !acl.CanSetCreatorOrg(a.Principal) {
		return nil, notAllowed(msgNotCreatorOrg)
	}
	if found {
		return &creatorOrg{id: int64(org.ID)}, nil
	}
	name, u := strings.TrimSpace(strOr(ref.Name, "")), lowerTrim(ref.UUID)
	if name == "" {
		return nil, invalid(map[string]any{"Event": fieldErrors{"orgc_id": {msgNotEmpty}}})
	}
	return &creatorOrg{uuid: u, name: name}, nil
}

func (s *Service) findOrg(ctx context.Context, ref *OrgInput) (model.Organisation, error) {
	if u := lowerTrim(ref.UUID); u != "" {
		if o, err := s.db.OrganisationByUUID(ctx, u); !errors.Is(err, store.ErrNotFound) {
			return o, err
		}
	}
	if ref.ID != nil && *ref.ID > 0 && ref.UUID == nil && ref.Name == nil {
		return s.db.Organisation(ctx, int64(*ref.ID))
	}
	if n := strings.TrimSpace(strOr(ref.Name, "")); n != "" {
		return s.db.OrganisationByName(ctx, n)
	}
	return model.Organisation{}, store.ErrNotFound
}

// resolve sets e's creator organisation, creating it in tx when it is new.
func (c *creatorOrg) resolve(ctx context.Context, tx *store.Tx, e *model.Event, now int64) error {
	if c.name == "" {
		e.OrgcID = misp.StrInt(c.id)
		return nil
	}
	u := c.uuid
	if u == "" {
		u = uuid.NewString()
	}
	created := identity.DateTime(timeOf(now))
	empty := ""
	org := model.Organisation{Name: c.name, UUID: u, DateCreated: created, DateModified: created,
		CreatedBy: e.UserID, Type: &empty, Nationality: &empty, Sector: &empty}
	if err := store.InsertOrganisation(ctx, tx, &org); err != nil {
		return fmt.Errorf("events: creator organisation: %w", err)
	}
	e.OrgcID = org.ID
	return nil
}

// eventChange describes an event's change for the audit log; old is nil for a new one.
func eventChange(old, e *model.Event) *change {
	c := &change{}
	if old == nil {
		old = &model.Event{}
		c.set("uuid", nil, e.UUID).set("orgc_id", nil, e.OrgcID).set("org_id", nil, e.OrgID)
	}
	return c.diff("info", old.Info, e.Info).diff("date", old.Date, e.Date).
		diff("threat_level_id", old.ThreatLevelID, e.ThreatLevelID).
		diff("analysis", old.Analysis, e.Analysis).
		diff("distribution", old.Distribution, e.Distribution).
		diff("sharing_group_id", old.SharingGroupID, e.SharingGroupID).
		diff("published", old.Published, e.Published).
		diff("timestamp", old.Timestamp, e.Timestamp).
		diff("extends_uuid", old.ExtendsUUID, e.ExtendsUUID)
}
