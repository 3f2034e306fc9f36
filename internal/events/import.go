package events

import (
	"context"
	"errors"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// msgImportBlocked is MISP's result for an event of an import whose uuid is on the event
// blocklist.
const msgImportBlocked = "Blocked by blocklist"

// ImportOptions are the choices of an import of MISP export files.
type ImportOptions struct {
	// Publish publishes the events added, when the actor may publish.
	Publish bool
	// TakeOwnership makes the actor's organisation the creator of the events instead of the
	// one the file names. The caller decides whether it may (MISP asks for the setting
	// MISP.take_ownership_xml_import besides the user's wish).
	TakeOwnership bool
}

// ImportResult is what became of one event of an import.
type ImportResult struct {
	// Info is the event's info, as the file gives it.
	Info string
	// EventID is the id of the event added, or of the event that had the uuid already.
	EventID int64
	// Existing is set when an event with the uuid was there already; it is left as it is.
	Existing bool
	// Refusal says why the event was not added; nil when it was, or when it existed.
	Refusal *Error
	// Skipped are the children left out of an added event (duplicates, references to
	// nothing), in the shape of events/add's "errors".
	Skipped map[string]any
}

// ImportEvents adds the events of a MISP export (events/add_misp_export), each as
// events/add adds it and in a transaction of its own, so that one refused event does not
// stop the others. The events are stored locked, as events that come from elsewhere, and
// published only as opt says. An event whose uuid is taken is reported with the id of the
// one there, and one whose uuid is on the event blocklist is refused. The actor needs
// perm_modify, as in MISP. Events added before an error other than a refusal stay.
func (s *Service) ImportEvents(ctx context.Context, a *Actor, inputs []*EventInput,
	opt ImportOptions) ([]ImportResult, error) {
	if !a.SiteAdmin() && !bool(a.Role.Modify) {
		return nil, forbidden(msgNoFunctionality)
	}
	out := make([]ImportResult, 0, len(inputs))
	for _, in := range inputs {
		r, err := s.importEvent(ctx, a, in, opt)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Service) importEvent(ctx context.Context, a *Actor, in *EventInput,
	opt ImportOptions) (ImportResult, error) {
	r := ImportResult{Info: textOr(in.Info, "")}
	if u := lowerTrim(in.UUID); u != "" {
		blocked, err := store.EventBlocked(ctx, s.db, u)
		if err != nil {
			return r, err
		}
		if blocked {
			r.Refusal = forbidden(msgImportBlocked)
			return r, nil
		}
		id, err := store.EventIDByUUID(ctx, s.db, u)
		if err == nil {
			r.EventID, r.Existing = id, true
			return r, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return r, err
		}
	}

	locked, published := misp.Bool(true), misp.Bool(opt.Publish)
	in.Locked, in.Published = &locked, &published
	if opt.TakeOwnership {
		own := misp.StrInt(a.OrgID())
		in.OrgcID, in.Orgc = &own, nil
	}
	res, err := s.AddEvent(ctx, a, in)
	var refusal *Error
	if errors.As(err, &refusal) {
		r.Refusal = refusal
		return r, nil
	}
	if err != nil {
		return r, err
	}
	r.EventID, r.Skipped = int64(res.Event.ID), res.Errors
	return r, nil
}
