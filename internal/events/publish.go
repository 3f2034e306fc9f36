package events

import (
	"context"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/store"
)

const msgNotDeleted = "Event was not deleted."

// PublishEvent publishes an event: published is set and publish_timestamp moves to now; the
// event's timestamp is left alone (reference §3.6). As in MISP, a role without perm_publish
// is refused before the event is looked up, and an event of another creator organisation
// is refused with 405.
//
// TODO: MISP then pushes the event to the servers whose push rules allow it and notifies
// ZeroMQ and Kafka subscribers, from a background job; Cairn has no sync or pub/sub yet, so
// publishing only changes the event.
func (s *Service) PublishEvent(ctx context.Context, a *Actor, id int64) error {
	if !a.SiteAdmin() && !bool(a.Role.Publish) {
		return forbidden(msgNoFunctionality)
	}
	return s.setPublished(ctx, a, id, true)
}

// UnpublishEvent unpublishes an event.
func (s *Service) UnpublishEvent(ctx context.Context, a *Actor, id int64) error {
	return s.setPublished(ctx, a, id, false)
}

func (s *Service) setPublished(ctx context.Context, a *Actor, id int64, published bool) error {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return err
	}
	e, err := store.FindEvent(ctx, s.db, store.EventRef{ID: id}, v.EventCondition("e"))
	if err != nil {
		return notFoundAs(err, msgInvalidEventDot)
	}
	if !acl.CanPublish(a.Principal, &e) {
		if published {
			return notAllowed("You do not have the permission to do that.")
		}
		return forbidden(msgNoPermission)
	}
	now := s.unix()
	action := actionPublish
	if !published {
		action = actionUnpublish
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := store.SetEventPublished(ctx, tx, id, published, now); err != nil {
			return err
		}
		au := s.newAudit(a)
		c := (&change{}).diff("published", bool(e.Published), published)
		if published {
			c.set("publish_timestamp", e.PublishTimestamp, now)
		}
		au.record(action, "Event", id, id, e.Info, c)
		return au.write(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("events: %s: %w", action, err)
	}
	return nil
}

// DeleteEvent removes an event with everything in it. A missing event, one the actor cannot
// see and one it may not change are all refused alike, as MISP does (403 "Event was not
// deleted."). When MISP.enableEventBlocklisting is on, the uuid goes on the event blocklist
// so that sync does not bring the event back.
func (s *Service) DeleteEvent(ctx context.Context, a *Actor, ref store.EventRef) (int64, error) {
	v, err := s.viewer(ctx, a)
	if err != nil {
		return 0, err
	}
	e, err := store.FindEvent(ctx, s.db, ref, v.EventCondition("e"))
	if err != nil {
		if isNotFound(err) {
			return 0, invalid(msgNotDeleted)
		}
		return 0, err
	}
	if !acl.CanModifyEvent(a.Principal, &e) {
		return 0, invalid(msgNotDeleted)
	}
	block, err := s.settings.Bool(ctx, "MISP.enableEventBlocklisting")
	if err != nil {
		return 0, fmt.Errorf("events: delete: %w", err)
	}
	id := int64(e.ID)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if block {
			created := s.now().UTC().Format("2006-01-02 15:04:05")
			if err := store.BlockEvent(ctx, tx, &e, created, "Deleted by "+
				strings.TrimSpace(a.User.Email)); err != nil {
				return err
			}
		}
		if err := store.DeleteEventCorrelations(ctx, tx, id); err != nil {
			return err
		}
		if err := store.DeleteEvent(ctx, tx, id); err != nil {
			return err
		}
		au := s.newAudit(a)
		au.record(actionDelete, "Event", id, id, e.Info,
			(&change{}).set("uuid", e.UUID, nil).set("info", e.Info, nil))
		return au.write(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("events: delete: %w", err)
	}
	return id, nil
}
