package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/cairn-project/cairn/internal/store"
)

// Error is an answer that is not a success, in MISP's error format. Name and Message are the
// same text unless set apart. Handlers return it; [Server.adapt] writes it.
type Error struct {
	Status  int
	Message string
	// URL overrides the request path in the body's "url".
	URL string
	// SaveFail selects MISP's saveFailResponse shape: {"saved":false,...,"errors":...}.
	SaveFail bool
	// Errors is the "errors" member of a save failure: a string or a field map.
	Errors any
	// ID is the id member of a save failure, when MISP sends one.
	ID string
	// Code adds MISP's "code" member (unknown controllers and actions).
	Code bool
	// Header holds extra response headers, such as Location.
	Header http.Header
	// Err is the cause, logged, never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// MISP's stock refusal texts, compared literally by clients.
const (
	msgAuthFailed = "Authentication failed. Please make sure you pass the API key of an API " +
		"enabled user along in the Authorization header."
	msgNoPermission    = "You do not have permission to do that."
	msgNotAuthorised   = "You are not authorised to do that."
	msgNoFunctionality = "You do not have permission to use this functionality."
	msgPostOnly        = "This function is only accessible via POST requests."
	msgInvalidJSON     = "Invalid JSON input. Make sure that the JSON input is a correctly " +
		"formatted JSON string. This request has been blocked to avoid an unfiltered request."
	msgInternal = "An Internal Error Has Occurred."
)

func notFound(msg string) *Error   { return &Error{Status: http.StatusNotFound, Message: msg} }
func forbidden(msg string) *Error  { return &Error{Status: http.StatusForbidden, Message: msg} }
func badRequest(msg string) *Error { return &Error{Status: http.StatusBadRequest, Message: msg} }
func notAllowed(msg string) *Error { return &Error{Status: http.StatusMethodNotAllowed, Message: msg} }
func noFunctionality() *Error      { return forbidden(msgNoFunctionality) }

// saveFail is MISP's answer to a write that was refused: HTTP 403 with "saved":false.
// errs is a string or a map of field → messages.
func saveFail(name, url string, errs any) *Error {
	return &Error{Status: http.StatusForbidden, Message: name, URL: url, SaveFail: true, Errors: errs}
}

// fieldErrors builds MISP's validation map {"field":["message"]}.
func fieldErrors(field, msg string) map[string][]string {
	return map[string][]string{field: {msg}}
}

// asError turns any error into an *Error: API errors pass through, store kinds map to
// their status, and anything else is an internal error whose detail is only logged.
func asError(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Message: "Invalid target.", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusForbidden, Message: "The value is already in use.", Err: err}
	default:
		return &Error{Status: http.StatusInternalServerError, Message: msgInternal, Err: err}
	}
}
