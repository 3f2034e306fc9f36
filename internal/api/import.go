package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/cairn-project/cairn/internal/events"
	"github.com/cairn-project/cairn/internal/settings"
)

// MISP's answers to a MISP export upload that cannot be read.
const (
	msgNoFile   = "No file uploaded."
	msgFileType = "File upload failed or file does not have the expected extension " +
		"(.xml / .json)."
	msgImportFailed = "Could not process MISP export file. "
)

// exportUpload is what a request to events/add_misp_export carries: the export file and
// the options. MISP reads them from its form (data[Event][filecontent] pasted, or
// data[Event][submittedfile] uploaded, with data[Event][takeownership] and
// data[Event][publish]), and from a JSON body with the same members, under "Event" or not.
type exportUpload struct {
	content       []byte
	hasFile       bool
	xml           bool
	takeOwnership bool
	publish       bool
	// empty is set for a request with no members at all, which MISP answers with an empty
	// list of results.
	empty bool
}

// addMISPExport answers events/add_misp_export: the events of a MISP JSON export (one
// event, a list, or restSearch's {"response":[...]}), each added as a locked event, and
// for each MISP's result: {"info","result","id","validationIssues"}.
//
// note: MISP renders an HTML page for this action and has no JSON view, so API clients get
// an error there; Cairn answers with the list of results that page is made from.
func (s *Server) addMISPExport(w http.ResponseWriter, r *http.Request) error {
	up, err := s.readExportUpload(w, r)
	if err != nil {
		return err
	}
	if up.empty {
		return ok(w, []importAnswer{})
	}
	if !up.hasFile {
		return notAllowed(msgNoFile)
	}
	if up.xml || bytes.HasPrefix(bytes.TrimSpace(up.content), []byte("<")) {
		return badRequest(msgImportFailed + "MISP XML files cannot be read; import the " +
			"JSON export of the events instead.")
	}
	if len(bytes.TrimSpace(up.content)) == 0 {
		return badRequest(msgImportFailed + "File is empty")
	}
	inputs, err := parseExport(up.content)
	if err != nil {
		return err
	}
	takeOwnership := up.takeOwnership
	if takeOwnership {
		if takeOwnership, err = s.takeOwnershipAllowed(r); err != nil {
			return err
		}
	}
	results, err := s.ops().ImportEvents(r.Context(), actor(r), inputs,
		events.ImportOptions{Publish: up.publish, TakeOwnership: takeOwnership})
	if err != nil {
		return eventsError(err, r, "", "")
	}
	out := make([]importAnswer, 0, len(results))
	for i := range results {
		out = append(out, importAnswerOf(&results[i]))
	}
	return ok(w, out)
}

// takeOwnershipAllowed reports whether importers may make their organisation the creator
// of imported events: MISP's setting MISP.take_ownership_xml_import, off by default (and
// off where the setting is not known).
func (s *Server) takeOwnershipAllowed(r *http.Request) (bool, error) {
	const name = "MISP.take_ownership_xml_import"
	if _, known := settings.Lookup(name); !known {
		return false, nil
	}
	return s.settings.Bool(r.Context(), name)
}

// readExportUpload reads the upload from a multipart or url-encoded form, or from a JSON
// body.
func (s *Server) readExportUpload(w http.ResponseWriter, r *http.Request) (*exportUpload, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data", "application/x-www-form-urlencoded":
		return s.readExportForm(w, r, ct == "multipart/form-data")
	}
	raw, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	obj, err := unwrapObject(raw, "Event")
	if err != nil {
		return nil, err
	}
	up := &exportUpload{empty: len(obj) == 0}
	if content, ok := obj["filecontent"]; ok && !jsonEmpty(content) {
		var text string
		if json.Unmarshal(content, &text) == nil {
			up.content = []byte(text)
		} else {
			// A client may also embed the export itself rather than its text.
			up.content = bytes.TrimSpace(content)
		}
		up.hasFile = true
	}
	up.takeOwnership = phpIsOne(obj["takeownership"])
	up.publish = phpIsOne(obj["publish"])
	return up, nil
}

// formNames are the names a form member may have: CakePHP's data[Event][x], and the
// shorter forms it also reads.
func formNames(member string) []string {
	return []string{"data[Event][" + member + "]", "Event[" + member + "]",
		"data[" + member + "]", member}
}

func (s *Server) readExportForm(w http.ResponseWriter, r *http.Request, multi bool) (
	*exportUpload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	var err error
	if multi {
		err = r.ParseMultipartForm(32 << 20)
	} else {
		err = r.ParseForm()
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &Error{Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("Request body larger than %d bytes.", tooBig.Limit)}
	}
	if err != nil {
		return nil, badRequest("The form could not be read.")
	}
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	value := func(member string) (string, bool) {
		for _, n := range formNames(member) {
			if v, ok := r.PostForm[n]; ok && len(v) > 0 {
				return v[0], true
			}
		}
		return "", false
	}

	up := &exportUpload{empty: len(r.PostForm) == 0 &&
		(r.MultipartForm == nil || len(r.MultipartForm.File) == 0)}
	if text, ok := value("filecontent"); ok && text != "" && text != "0" {
		up.content, up.hasFile, up.xml = []byte(text), true, text[0] == '<'
	} else if fh := uploadedFile(r, "submittedfile"); fh != nil {
		ext := strings.ToLower(strings.TrimPrefix(path.Ext(fh.Filename), "."))
		if ext != "json" && ext != "xml" && fh.Size > 0 {
			return nil, notAllowed(msgFileType)
		}
		content, err := readUploaded(fh)
		if err != nil {
			return nil, err
		}
		up.content, up.hasFile, up.xml = content, true, ext == "xml"
	}
	takeOwnership, _ := value("takeownership")
	publish, _ := value("publish")
	up.takeOwnership = numericOne(takeOwnership)
	up.publish = numericOne(publish)
	return up, nil
}

func uploadedFile(r *http.Request, member string) *multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	for _, n := range formNames(member) {
		if files := r.MultipartForm.File[n]; len(files) > 0 {
			return files[0]
		}
	}
	return nil
}

func readUploaded(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, badRequest("The uploaded file could not be read.")
	}
	defer f.Close()
	content, err := io.ReadAll(f)
	if err != nil {
		return nil, badRequest("The uploaded file could not be read.")
	}
	return content, nil
}

// parseExport reads the events of a MISP JSON export: {"Event":{...}}, {"Event":[...]},
// {"response":[{"Event":{...}},...]}, {"response":{"Event":...}}, a bare event, or a list
// of any of these.
func parseExport(data []byte) ([]*events.EventInput, error) {
	notExport := badRequest(msgImportFailed + "This is not a valid MISP JSON file.")
	data = bytes.TrimSpace(data)
	if !json.Valid(data) {
		return nil, notExport
	}
	var raws []json.RawMessage
	if err := collectExportEvents(data, &raws, 0); err != nil {
		return nil, notExport
	}
	if len(raws) == 0 {
		return nil, notExport
	}
	inputs := make([]*events.EventInput, 0, len(raws))
	for _, raw := range raws {
		var in events.EventInput
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, badRequest(msgImportFailed + inputError(err).Message)
		}
		inputs = append(inputs, &in)
	}
	return inputs, nil
}

// maxExportNesting bounds how deep wrappers may nest around the events of an export.
const maxExportNesting = 4

// collectExportEvents appends the events found in one element of an export.
func collectExportEvents(data json.RawMessage, out *[]json.RawMessage, depth int) error {
	if depth > maxExportNesting {
		return errors.New("api: export nested too deep")
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return errors.New("api: empty export element")
	}
	switch data[0] {
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(data, &list); err != nil {
			return err
		}
		for _, item := range list {
			if err := collectExportEvents(item, out, depth+1); err != nil {
				return err
			}
		}
		return nil
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return err
		}
		if inner, ok := obj["response"]; ok {
			return collectExportEvents(inner, out, depth+1)
		}
		if inner, ok := obj["Event"]; ok {
			return collectExportEvents(inner, out, depth+1)
		}
		*out = append(*out, data)
		return nil
	}
	return errors.New("api: an export element is not an object")
}

// importAnswer is the result of one event of an import, as MISP's import page shows it:
// result is true for an event added, the id of the event that had the uuid already, or
// the reason of the refusal; id is the event's id, or 0.
type importAnswer struct {
	Info             string `json:"info"`
	Result           any    `json:"result"`
	ID               any    `json:"id"`
	ValidationIssues any    `json:"validationIssues"`
}

func importAnswerOf(r *events.ImportResult) importAnswer {
	a := importAnswer{Info: r.Info, Result: true, ID: 0, ValidationIssues: []any{}}
	switch {
	case r.Existing:
		a.Result, a.ID = itoa(r.EventID), itoa(r.EventID)
	case r.Refusal != nil:
		a.Result = r.Refusal.Message
		if r.Refusal.Kind == events.Invalid {
			issues := r.Refusal.Errors
			if text, isText := issues.(string); isText {
				issues = map[string]any{"Event": text}
			}
			encoded, _ := json.Marshal(issues)
			a.Result, a.ValidationIssues = string(encoded), issues
		}
	default:
		a.ID = itoa(r.EventID)
		if len(r.Skipped) > 0 {
			a.ValidationIssues = r.Skipped
		}
	}
	return a
}
