// Package export writes the answers of restSearch in MISP's return formats (reference
// §6.3): the event JSON of events/restSearch, CSV, text, hashes, count and MISP XML. A
// writer takes one attribute (attributes/restSearch) or one event (events/restSearch) at a
// time and writes as it goes, so that an answer streams with flat memory whatever its
// size. The package does no I/O of its own beyond the writer it is given: the caller
// selects, loads and checks access, then hands each record over.
package export

import (
	"bufio"
	"io"
	"time"

	"github.com/cairn-project/cairn/internal/model"
)

// Scope says which restSearch is answered.
type Scope int

// The scopes.
const (
	Attributes Scope = iota
	Events
)

// Content types of the answers (reference §6.3).
const (
	contentJSON = "application/json; charset=UTF-8"
	contentCSV  = "text/csv; charset=UTF-8"
	contentText = "text/plain; charset=UTF-8"
	contentXML  = "application/xml; charset=UTF-8"
)

// Format is a return format that Cairn writes.
type Format struct {
	Name        string
	ContentType string
	// Restrictive formats feed detection tools: MISP limits them to the to_ids attributes
	// of published events unless the request sets to_ids or published itself.
	Restrictive bool
	// Detail formats read the tags, the object and, with IncludeContext, the event context
	// of each attribute (Record); the others read the attribute alone.
	Detail bool
	// response is MISP's X-Response-Format, also the extension of the file name, by scope.
	response [2]string
	// open returns the format's writer in a scope; nil where MISP has no such export.
	open [2]func(w *bufio.Writer, opt Options) writer
}

var formats = map[string]*Format{
	"json": {Name: "json", ContentType: contentJSON, response: [2]string{"json", "json"},
		open: [2]func(*bufio.Writer, Options) writer{nil, newJSON}},
	"csv": {Name: "csv", ContentType: contentCSV, Detail: true, response: [2]string{"csv", "csv"},
		open: [2]func(*bufio.Writer, Options) writer{newCSV, newCSV}},
	"text": {Name: "text", ContentType: contentText, Restrictive: true,
		response: [2]string{"txt", "text"},
		open:     [2]func(*bufio.Writer, Options) writer{newText, newText}},
	"hashes": {Name: "hashes", ContentType: contentText, Restrictive: true,
		response: [2]string{"txt", "txt"},
		open:     [2]func(*bufio.Writer, Options) writer{newHashes, newHashes}},
	"count": {Name: "count", ContentType: contentText, response: [2]string{"txt", "txt"},
		open: [2]func(*bufio.Writer, Options) writer{newCount, newCount}},
	"xml": {Name: "xml", ContentType: contentXML, response: [2]string{"xml", "xml"},
		open: [2]func(*bufio.Writer, Options) writer{nil, newXML}},
	"rpz": {Name: "rpz", ContentType: contentText, Restrictive: true,
		response: [2]string{"txt", "txt"},
		open:     [2]func(*bufio.Writer, Options) writer{newRPZ, newRPZ}},
}

// Lookup returns the format called name if Cairn writes it in scope, or nil.
func Lookup(name string, scope Scope) *Format {
	f := formats[name]
	if f == nil || f.open[scope] == nil {
		return nil
	}
	return f
}

// ResponseType returns MISP's X-Response-Format of the format in scope, which is also the
// extension of the file name events/restSearch suggests.
func (f *Format) ResponseType(scope Scope) string { return f.response[scope] }

// Options are the restSearch parameters that shape an answer.
type Options struct {
	// RequestedAttributes picks and orders the CSV columns (requested_attributes).
	RequestedAttributes []string
	// IncludeContext adds the event columns to CSV (includeContext).
	IncludeContext bool
	// Headerless leaves out the CSV header line (headerless).
	Headerless bool
	// Metadata leaves out the children of events (metadata).
	Metadata bool
	// RPZ holds the rpz parameters of the request (policy, ns, ttl...); the others take
	// RPZDefaults.
	RPZ map[string]string
	// Now dates the answer (the serial of an RPZ zone); zero is the current time.
	Now time.Time
}

// Record is one attribute of attributes/restSearch, with what the formats read of its
// event and of its object.
type Record struct {
	// Attribute carries its tags in Tag.
	Attribute *model.Attribute
	Event     *EventInfo
	// Object is the attribute's object; nil outside objects.
	Object *ObjectInfo
}

// EventInfo is what the formats read of an attribute's event. OrgName, OrgcName and Tags
// are read only with IncludeContext.
type EventInfo struct {
	ID, OrgID, OrgcID, Distribution, ThreatLevelID, Analysis, Timestamp int64
	UUID, Info, Date, OrgName, OrgcName                                 string
	Tags                                                                []string
}

// ObjectInfo is what the formats read of the object an attribute is in.
type ObjectInfo struct {
	UUID, Name, MetaCategory string
}

// Writer writes one answer. Each call writes its part at once; Close writes the end of the
// answer and flushes. A writer is used for one scope only.
type Writer struct {
	bw      *bufio.Writer
	w       writer
	started bool
}

// writer is what each format implements. begin writes what comes before the first
// record, end what comes after the last.
type writer interface {
	begin() error
	attribute(r *Record) error
	event(e *model.Event) error
	end() error
}

// NewWriter returns a writer of the format in scope onto w.
func (f *Format) NewWriter(w io.Writer, scope Scope, opt Options) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	return &Writer{bw: bw, w: f.open[scope](bw, opt)}
}

func (w *Writer) start() error {
	if w.started {
		return nil
	}
	w.started = true
	return w.w.begin()
}

// Attribute writes one attribute of attributes/restSearch.
func (w *Writer) Attribute(r *Record) error {
	if err := w.start(); err != nil {
		return err
	}
	return w.w.attribute(r)
}

// Event writes one event of events/restSearch, filled as events/view fills it.
func (w *Writer) Event(e *model.Event) error {
	if err := w.start(); err != nil {
		return err
	}
	return w.w.event(e)
}

// Close writes the end of the answer and flushes it.
func (w *Writer) Close() error {
	if err := w.start(); err != nil {
		return err
	}
	if err := w.w.end(); err != nil {
		return err
	}
	return w.bw.Flush()
}

// flatAttributes returns every attribute of an event, those inside objects included, in
// id order, as MISP lists them for the formats that flatten events (text, hashes).
func flatAttributes(e *model.Event) []*model.Attribute {
	n := len(e.Attribute)
	for i := range e.Object {
		n += len(e.Object[i].Attribute)
	}
	out := make([]*model.Attribute, 0, n)
	for i := range e.Attribute {
		out = append(out, &e.Attribute[i])
	}
	for i := range e.Object {
		for j := range e.Object[i].Attribute {
			out = append(out, &e.Object[i].Attribute[j])
		}
	}
	sortByID(out)
	return out
}
