// Package events holds the operations on events and what they contain: adding, editing,
// viewing, listing, publishing and deleting events, and adding, editing and deleting their
// attributes, objects, object references and tags. Each write runs in one transaction that
// also records the change in the audit log; each read applies the access rules of package
// acl. The API edge decodes MISP's requests into the inputs of this package and encodes what
// it returns; the refusals come back as *Error, in MISP's words.
package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/auth"
	"github.com/cairn-project/cairn/internal/correlate"
	"github.com/cairn-project/cairn/internal/settings"
	"github.com/cairn-project/cairn/internal/store"
)

// Service runs the operations.
type Service struct {
	db       *store.DB
	settings *settings.Store
	baseURL  string
	now      func() time.Time
	// over remembers the over-correlating values for the readers of correlations.
	over *correlate.OverCache
}

// New returns the operations over db. baseURL is the instance's public URL, used in the
// Location of a duplicate event and as the name of the local server in sharing groups.
func New(db *store.DB, st *settings.Store, baseURL string) *Service {
	return &Service{db: db, settings: st, baseURL: baseURL, now: time.Now,
		over: correlate.NewOverCache(db)}
}

// Actor is who runs an operation: the authenticated caller and where the request came from,
// for the access rules and the audit log.
type Actor struct {
	*auth.Principal
	IP        string
	RequestID string
}

// Kind says how a refusal is answered.
type Kind int

// The kinds of refusal.
const (
	// NotFound is MISP's NotFoundException: 404 with Message.
	NotFound Kind = iota + 1
	// Forbidden is MISP's ForbiddenException: 403 with Message.
	Forbidden
	// NotAllowed is MISP's MethodNotAllowedException: 405 with Message.
	NotAllowed
	// Invalid is a save failure: 403 {"saved":false,...,"errors":Errors}.
	Invalid
)

// Error is a refusal in MISP's words.
type Error struct {
	Kind    Kind
	Message string
	// Errors is the "errors" member of an Invalid refusal: a string or a field map.
	Errors any
	// Location is set when MISP sends a Location header (a duplicate event).
	Location string
	// ID is the id member of an Invalid refusal, when MISP sends one.
	ID int64
	// Target is set when MISP names what was refused in the url and id members of an
	// Invalid refusal ("<event id>/<template>" for an unknown template of objects/add).
	Target string
}

func (e *Error) Error() string { return e.Message }

func notFound(msg string) *Error   { return &Error{Kind: NotFound, Message: msg} }
func forbidden(msg string) *Error  { return &Error{Kind: Forbidden, Message: msg} }
func notAllowed(msg string) *Error { return &Error{Kind: NotAllowed, Message: msg} }
func invalid(errs any) *Error      { return &Error{Kind: Invalid, Errors: errs} }

// MISP's refusal texts.
const (
	msgInvalidEvent     = "Invalid event"
	msgInvalidEventDot  = "Invalid event."
	msgInvalidAttribute = "Invalid attribute"
	msgInvalidObject    = "Invalid object."
	msgNoPermission     = "You do not have permission to do that."
	msgNotAuthorised    = "You are not authorised to do that."
	msgNoFunctionality  = "You do not have permission to use this functionality."
	msgInvalidSG        = "Invalid Sharing Group or not authorised."
	msgDuplicate        = "A similar attribute already exists for this event."
)

// viewer returns the access rules' view of an actor.
func (s *Service) viewer(ctx context.Context, a *Actor) (*acl.Viewer, error) {
	v := &acl.Viewer{UserID: a.UserID(), OrgID: a.OrgID(), SiteAdmin: a.SiteAdmin()}
	private, err := s.settings.Bool(ctx, "MISP.unpublishedprivate")
	if err != nil {
		return nil, fmt.Errorf("events: viewer: %w", err)
	}
	v.UnpublishedPrivate = private
	if !v.SiteAdmin {
		if v.SharingGroups, err = store.AuthorizedSharingGroupIDs(ctx, s.db, v.OrgID); err != nil {
			return nil, fmt.Errorf("events: viewer: %w", err)
		}
	}
	return v, nil
}

// notFoundAs turns the store's ErrNotFound into a refusal with msg.
func notFoundAs(err error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(msg)
	}
	return err
}

func (s *Service) unix() int64 { return s.now().Unix() }

func timeOf(unix int64) time.Time { return time.Unix(unix, 0).UTC() }

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
