package events

import (
	"context"
	"fmt"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/model"
)

// FillSearchedEvent puts into e, an event row that events/restSearch selected with v's
// access rules, what events/view puts into it: tags, attributes, objects, references,
// reports, sharing groups and related events, as v may see them. narrow, when not nil,
// drops from e the content the search leaves out before its correlations are read, so
// that RelatedEvent follows the attributes sent, as in MISP.
func (s *Service) FillSearchedEvent(ctx context.Context, a *Actor, v *acl.Viewer,
	e *model.Event, opt ViewOptions, narrow func(*model.Event)) error {
	if bool(a.Role.Sync) && !a.SiteAdmin() {
		opt.ExcludeLocalTags = true
	}
	if _, err := s.loadContent(ctx, s.db, a, v, e, opt, false); err != nil {
		return fmt.Errorf("events: fill searched event: %w", err)
	}
	if narrow != nil {
		narrow(e)
	}
	if err := s.relate(ctx, s.db, v, e, opt, false); err != nil {
		return fmt.Errorf("events: fill searched event: %w", err)
	}
	return nil
}
