package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readBody reads the request body within the server's size limit. A body that is too large
// is refused with 413 before it is parsed.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("Request body larger than %d bytes.", tooBig.Limit)}
	}
	if err != nil {
		return nil, badRequest("Could not read the request body.")
	}
	return body, nil
}

// decodeObject reads a JSON object body and unwraps MISP's envelopes: {"request":{...}},
// {"response":{...}} and {"<Model>":{...}} when wrapper is that model's name. An empty body
// is an empty object. A body that is not JSON is refused as MISP refuses it: 405.
func (s *Server) decodeObject(w http.ResponseWriter, r *http.Request, wrapper string) (
	map[string]json.RawMessage, error) {
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	return unwrapObject(raw, wrapper)
}

func unwrapObject(raw []byte, wrapper string) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if !json.Valid(raw) {
		return nil, notAllowed(msgInvalidJSON)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, badRequest("The request body must be a JSON object.")
	}
	for _, env := range []string{"request", "response"} {
		if inner, ok := obj[env]; ok && len(obj) == 1 && isObject(inner) {
			_ = json.Unmarshal(inner, &obj)
		}
	}
	if wrapper != "" {
		if inner, ok := obj[wrapper]; ok && isObject(inner) {
			var m map[string]json.RawMessage
			if json.Unmarshal(inner, &m) == nil {
				return m, nil
			}
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	return obj, nil
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

// decodeInto decodes a JSON object into dst. Unknown members are ignored, as MISP ignores
// them; a member of the wrong JSON type is refused with a message that names it.
func decodeInto(obj map[string]json.RawMessage, dst any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return badRequest("Invalid input.")
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return inputError(err)
	}
	return nil
}

// inputError explains a JSON type error in terms of the member that caused it.
func inputError(err error) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return badRequest(fmt.Sprintf("Invalid value for field %s.", te.Field))
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "json:") {
		msg = msg[i+2:]
	}
	return badRequest("Invalid input: " + msg)
}
