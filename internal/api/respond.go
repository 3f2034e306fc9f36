package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

const contentJSON = "application/json; charset=UTF-8"

// writeJSON encodes v fully before writing anything, so that an encoding failure cannot
// produce a half-written success.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentJSON)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// ok writes v with status 200.
func ok(w http.ResponseWriter, v any) error { return writeJSON(w, http.StatusOK, v) }

// saveSuccess writes MISP's saveSuccessResponse envelope.
func saveSuccess(w http.ResponseWriter, url, msg, id string) error {
	body := map[string]any{
		"saved": true, "success": true, "name": msg, "message": msg, "url": url,
	}
	if id != "" {
		body["id"] = id
	}
	return ok(w, body)
}

// errorBody is the JSON of an *Error, with MISP's member order.
func errorBody(e *Error, url string) any {
	if e.URL != "" {
		url = e.URL
	}
	if e.SaveFail {
		b := struct {
			Saved   bool   `json:"saved"`
			Name    string `json:"name"`
			Message string `json:"message"`
			URL     string `json:"url"`
			Errors  any    `json:"errors"`
			ID      string `json:"id,omitempty"`
		}{false, e.Message, e.Message, url, e.Errors, e.ID}
		if b.Errors == nil {
			b.Errors = e.Message
		}
		return b
	}
	if e.Code {
		return struct {
			Code    int    `json:"code"`
			Name    string `json:"name"`
			Message string `json:"message"`
			URL     string `json:"url"`
		}{e.Status, e.Message, e.Message, url}
	}
	return struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		URL     string `json:"url"`
	}{e.Message, e.Message, url}
}
