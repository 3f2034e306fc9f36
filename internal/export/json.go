package export

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"

	"github.com/cairn-project/cairn/internal/model"
)

// jsonWriter writes events/restSearch's JSON: {"response":[{"Event":{...}}, ...]}, each
// event exactly as events/view writes it (model.WriteEvent).
type jsonWriter struct {
	w     *bufio.Writer
	opt   Options
	count int
}

func newJSON(w *bufio.Writer, opt Options) writer { return &jsonWriter{w: w, opt: opt} }

func (j *jsonWriter) begin() error {
	_, err := j.w.WriteString(`{"response":[`)
	return err
}

func (j *jsonWriter) end() error {
	_, err := j.w.WriteString("]}\n")
	return err
}

// attribute is never called: Lookup offers no json writer for attributes, whose JSON
// package api writes.
func (j *jsonWriter) attribute(*Record) error {
	return errors.New("export: no json writer for attributes")
}

func (j *jsonWriter) event(e *model.Event) error {
	if j.count > 0 {
		j.w.WriteByte(',')
	}
	j.count++
	if j.opt.Metadata {
		enc := json.NewEncoder(&trimNewline{w: j.w})
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			Event eventMetadata `json:"Event"`
		}{eventMetadata{Event: e}})
	}
	return model.WriteEvent(&trimNewline{w: j.w}, e, false, nil)
}

// eventMetadata is an event as events/restSearch sends it with metadata: without its
// attributes, proposals, objects and reports, but with its related events, galaxies and
// tags. The members of this struct hide those of the embedded event and, being nil, are
// left out.
type eventMetadata struct {
	*model.Event
	Attribute       *struct{} `json:"Attribute,omitempty"`
	ShadowAttribute *struct{} `json:"ShadowAttribute,omitempty"`
	Object          *struct{} `json:"Object,omitempty"`
	EventReport     *struct{} `json:"EventReport,omitempty"`
}

// trimNewline passes writes through but holds back a final newline until more comes, so
// that the newline an encoder ends a document with is left out of the list.
type trimNewline struct {
	w       io.Writer
	pending bool
}

func (t *trimNewline) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if t.pending {
		if _, err := t.w.Write([]byte{'\n'}); err != nil {
			return 0, err
		}
		t.pending = false
	}
	body := p
	if p[len(p)-1] == '\n' {
		body, t.pending = p[:len(p)-1], true
	}
	if _, err := t.w.Write(body); err != nil {
		return 0, err
	}
	return len(p), nil
}
