package events

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
	"github.com/cairn-project/cairn/internal/store"
)

// Reading the audit log that the writes of this package record (audit.go): the indexes of
// the whole log, for site admins and auditors, and the history of one event, for whoever
// may read the event.

// SearchLogs calls fn with each change that p selects, oldest first, in the shape of MISP's
// legacy Log (admin/logs/index). Site admins read the whole log, auditors (perm_audit) the
// changes made by members of their organisation; anyone else is refused.
func (s *Service) SearchLogs(ctx context.Context, a *Actor, p *search.LogParams,
	fn func(*model.Log) error) error {
	q, err := auditScope(a)
	if err != nil {
		return err
	}
	q.P, q.Legacy = p, true
	return store.SearchAudit(ctx, s.db, q, func(e *store.AuditEntry) error {
		l := legacyLog(e)
		return fn(&l)
	})
}

// SearchAuditLogs calls fn with each change that p selects, newest first, in the shape of
// MISP's AuditLog (admin/audit_logs/index), under the rule of SearchLogs.
func (s *Service) SearchAuditLogs(ctx context.Context, a *Actor, p *search.LogParams,
	fn func(*model.AuditLogEntry) error) error {
	q, err := auditScope(a)
	if err != nil {
		return err
	}
	q.P, q.NewestFirst = p, true
	return store.SearchAudit(ctx, s.db, q, func(e *store.AuditEntry) error {
		entry := auditLogEntry(e)
		return fn(&entry)
	})
}

// auditScope returns the part of the log the actor may read as a search.
func auditScope(a *Actor) (store.AuditSearch, error) {
	if !acl.CanReadAuditLog(a.Principal) {
		return store.AuditSearch{}, forbidden(msgNoFunctionality)
	}
	if a.SiteAdmin() {
		return store.AuditSearch{}, nil
	}
	return store.AuditSearch{OrgID: a.OrgID()}, nil
}

// EventLogs calls fn with the history of event id, newest first, in the shape of
// logs/event_index. p pages it and may filter it by organisation ("org"). Anyone who may
// read the event reads its history: its owner organisation and site admins all of it,
// others the changes of the event itself and of the parts they may read, with the email
// addresses of other organisations' users left empty. An event the actor cannot read is
// 404 "Invalid event.".
func (s *Service) EventLogs(ctx context.Context, a *Actor, id int64, p *search.LogParams,
	fn func(*model.EventLog) error) error {
	q, err := s.eventScope(ctx, a, id)
	if err != nil {
		return err
	}
	q.P, q.Legacy, q.NewestFirst = p, true, true
	return store.SearchAudit(ctx, s.db, q, func(e *store.AuditEntry) error {
		l := model.EventLog{Title: e.Title, Created: e.Created, Model: e.Model,
			ModelID: misp.StrInt(e.ModelID), Action: e.Action,
			Change: model.LegacyChange(e.Change), Org: e.OrgName, Email: e.UserEmail}
		if !a.SiteAdmin() && (!e.UserFound || e.UserOrgID != a.OrgID()) {
			l.Email = ""
		}
		return fn(&l)
	})
}

// EventAuditLogs calls fn with the history of event id, newest first, in the shape of
// audit_logs/eventIndex, under the rule of EventLogs; the user of a change made by another
// organisation's member is left out.
func (s *Service) EventAuditLogs(ctx context.Context, a *Actor, id int64, p *search.LogParams,
	fn func(*model.AuditLogEntry) error) error {
	q, err := s.eventScope(ctx, a, id)
	if err != nil {
		return err
	}
	q.P, q.NewestFirst = p, true
	return store.SearchAudit(ctx, s.db, q, func(e *store.AuditEntry) error {
		entry := auditLogEntry(e)
		if !a.SiteAdmin() && e.UserID != 0 && (!e.UserFound || e.UserOrgID != a.OrgID()) {
			entry.User, entry.AuditLog.UserID = nil, nil
		}
		return fn(&entry)
	})
}

// eventScope returns the history of event id that the actor may read as a search.
func (s *Service) eventScope(ctx context.Context, a *Actor, id int64) (store.AuditSearch, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return store.AuditSearch{}, err
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: id}, v.EventCondition("e"))
	if err != nil {
		return store.AuditSearch{}, notFoundAs(err, msgInvalidEventDot)
	}
	q := store.AuditSearch{EventID: int64(e.ID)}
	owner := int64(e.OrgID)
	if v.SiteAdmin || owner == v.OrgID {
		return q, nil
	}
	q.Parts = &store.EventParts{
		Attribute: v.ChildCondition("a", owner) + " AND " + v.DeletedCondition("e", "a") +
			" AND (a.object_id = 0 OR " + v.ChildCondition("o", owner) + ")",
		Object: v.ChildCondition("o", owner),
		Report: v.ChildCondition("r", owner),
	}
	return q, nil
}

// legacyLog shows an audit row as MISP's legacy Log.
func legacyLog(e *store.AuditEntry) model.Log {
	l := model.Log{ID: misp.StrInt(e.ID), Title: e.Title, Created: e.Created, Model: e.Model,
		ModelID: misp.StrInt(e.ModelID), Action: e.Action, UserID: misp.StrInt(e.UserID),
		Change: model.LegacyChange(e.Change), Email: e.UserEmail, Org: e.OrgName,
		Description: e.Description}
	if e.IP != nil {
		l.IP = *e.IP
	}
	return l
}

// auditLogEntry shows an audit row as MISP's AuditLog, with its user and organisation.
func auditLogEntry(e *store.AuditEntry) model.AuditLogEntry {
	userID := misp.StrInt(e.UserID)
	l := model.AuditLog{ID: misp.StrInt(e.ID), Created: e.Created, UserID: &userID,
		OrgID: misp.StrInt(e.OrgID), Action: e.Action, Model: e.Model,
		ModelID: misp.StrInt(e.ModelID), ModelTitle: e.ModelTitle,
		IP: setOrNil(e.IP), RequestType: misp.StrInt(e.RequestType),
		AuthkeyID: misp.StrInt(e.AuthkeyID), RequestID: setOrNil(e.RequestID),
		Title: auditTitle(e)}
	if e.EventID != nil {
		id := misp.StrInt(*e.EventID)
		l.EventID = &id
	}
	if len(e.Change) > 0 {
		l.Change = e.Change
	}
	out := model.AuditLogEntry{AuditLog: l, User: &model.AuditLogUser{}}
	if e.UserFound {
		id, org := misp.StrInt(e.UserID), misp.StrInt(e.UserOrgID)
		out.User = &model.AuditLogUser{ID: &id, Email: &e.UserEmail, OrgID: &org}
	}
	if e.OrgFound {
		id := misp.StrInt(e.OrgID)
		out.Organisation = model.AuditLogOrg{ID: &id, Name: &e.OrgName, UUID: &e.OrgUUID}
	}
	return out
}

// auditTitle is the readable title MISP adds to an AuditLog: what a tag change did, and for
// the parts of an event, which event they belong to.
func auditTitle(e *store.AuditEntry) string {
	title := ""
	if e.ModelTitle != nil {
		title = *e.ModelTitle
	}
	target := strings.ToLower(strings.TrimSuffix(e.Model, "Tag"))
	switch e.Action {
	case actionTag:
		return fmt.Sprintf("Attached tag %q to %s #%d", title, target, e.ModelID)
	case actionUntag:
		return fmt.Sprintf("Detached tag %q from %s #%d", title, target, e.ModelID)
	}
	switch e.Model {
	case "Attribute", "Object", "ObjectReference", "EventReport":
		if e.EventID != nil {
			return fmt.Sprintf("%s from Event #%d: %s", e.Model, *e.EventID, title)
		}
	}
	return title
}

// setOrNil is s, or nil when s is nil or empty.
func setOrNil(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}
