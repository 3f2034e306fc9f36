package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/cairn-project/cairn/internal/model"
)

// xmlWriter writes MISP's XML of events (XmlExport with its XMLConverterTool): the members
// of the event JSON as elements in the same order, booleans as 1 and 0, empty strings,
// nulls and empty lists as empty elements, each element of a list as an element named
// after the list. As in MISP, the event loses attribute_count, proposal_email_lock and
// locked, its objects come right after its attributes, and its galaxies, reports and
// cryptographic keys are left out.
//
// note: MISP turns an object that it forgot to wrap in a list (a cluster's Org, meta) into
// one empty element per member, and a list of strings into elements named 0, 1, ...,
// which are not XML names; Cairn writes the object as one element and each string as an
// element named after the list.
type xmlWriter struct {
	w   *bufio.Writer
	opt Options
	buf []byte
}

func newXML(w *bufio.Writer, opt Options) writer { return &xmlWriter{w: w, opt: opt} }

func (x *xmlWriter) begin() error {
	_, err := x.w.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>")
	return err
}

func (x *xmlWriter) end() error {
	_, err := x.w.WriteString("</response>\n")
	return err
}

func (x *xmlWriter) attribute(*Record) error {
	return errors.New("export: no xml writer for attributes")
}

// eventSkipped are the members of the event JSON that the head of the XML event leaves out
// or writes elsewhere.
var eventSkipped = map[string]bool{"attribute_count": true, "proposal_email_lock": true,
	"locked": true, "Attribute": true, "ShadowAttribute": true, "RelatedEvent": true,
	"Galaxy": true, "Object": true, "EventReport": true, "CryptographicKey": true, "Tag": true}

var objectSkipped = map[string]bool{"Attribute": true}

func (x *xmlWriter) event(e *model.Event) error {
	head := *e
	head.Attribute, head.Object, head.EventReport = nil, nil, nil
	head.ShadowAttribute, head.RelatedEvent, head.Galaxy, head.CryptographicKey = nil, nil,
		nil, nil
	head.Tag = nil
	x.w.WriteString("<Event>")
	if err := x.members(&head, eventSkipped); err != nil {
		return err
	}
	if !x.opt.Metadata {
		if err := x.attributes(e.Attribute); err != nil {
			return err
		}
		if err := x.objects(e.Object); err != nil {
			return err
		}
		if err := x.list("ShadowAttribute", e.ShadowAttribute); err != nil {
			return err
		}
	}
	if err := x.list("RelatedEvent", e.RelatedEvent); err != nil {
		return err
	}
	if len(e.Tag) > 0 {
		if err := x.list("Tag", e.Tag); err != nil {
			return err
		}
	}
	_, err := x.w.WriteString("</Event>")
	return err
}

func (x *xmlWriter) attributes(attrs []model.Attribute) error {
	if len(attrs) == 0 {
		_, err := x.w.WriteString("<Attribute/>")
		return err
	}
	for i := range attrs {
		raw, err := attrs[i].MarshalJSON()
		if err != nil {
			return err
		}
		x.w.WriteString("<Attribute>")
		if err := x.convertMembers(raw, nil); err != nil {
			return err
		}
		x.w.WriteString("</Attribute>")
	}
	return nil
}

func (x *xmlWriter) objects(objs []model.Object) error {
	if len(objs) == 0 {
		_, err := x.w.WriteString("<Object/>")
		return err
	}
	for i := range objs {
		head := objs[i]
		head.Attribute = nil
		x.w.WriteString("<Object>")
		if err := x.members(&head, objectSkipped); err != nil {
			return err
		}
		if err := x.attributes(objs[i].Attribute); err != nil {
			return err
		}
		x.w.WriteString("</Object>")
	}
	return nil
}

// list writes a list member of the event (v is a slice) as the elements of name.
func (x *xmlWriter) list(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	dec := newDecoder(raw)
	return x.value(dec, name)
}

// members writes the members of v's JSON object but those in skip.
func (x *xmlWriter) members(v any, skip map[string]bool) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return x.convertMembers(raw, skip)
}

func (x *xmlWriter) convertMembers(raw []byte, skip map[string]bool) error {
	dec := newDecoder(raw)
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("export: xml: not an object: %v", err)
	}
	return x.objectBody(dec, skip)
}

func newDecoder(raw []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec
}

// objectBody writes the members of the object whose '{' dec has just read, and reads its
// '}'.
func (x *xmlWriter) objectBody(dec *json.Decoder, skip map[string]bool) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if skip[key] {
			var discard json.RawMessage
			if err := dec.Decode(&discard); err != nil {
				return err
			}
			continue
		}
		if err := x.value(dec, key); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// value writes the next JSON value of dec as element(s) called name.
func (x *xmlWriter) value(dec *json.Decoder, name string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		if !dec.More() {
			x.empty(name)
			_, err := dec.Token()
			return err
		}
		if v == '[' {
			for dec.More() {
				if err := x.value(dec, name); err != nil {
					return err
				}
			}
			_, err := dec.Token()
			return err
		}
		x.open(name)
		if err := x.objectBody(dec, nil); err != nil {
			return err
		}
		x.close(name)
	case string:
		x.text(name, v)
	case json.Number:
		x.text(name, string(v))
	case bool:
		if v {
			x.text(name, "1")
		} else {
			x.text(name, "0")
		}
	case nil:
		x.empty(name)
	}
	return nil
}

func (x *xmlWriter) open(name string) {
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

func (x *xmlWriter) close(name string) {
	x.w.WriteString("</")
	x.w.WriteString(name)
	x.w.WriteByte('>')
}

func (x *xmlWriter) empty(name string) {
	x.w.WriteByte('<')
	x.w.WriteString(name)
	x.w.WriteString("/>")
}

func (x *xmlWriter) text(name, s string) {
	if s == "" {
		x.empty(name)
		return
	}
	x.open(name)
	x.buf = appendXMLText(x.buf[:0], s)
	x.w.Write(x.buf)
	x.close(name)
}

// appendXMLText appends s escaped as MISP escapes element text: each run of characters
// that XML 1.0 does not allow becomes one space, and & < > " ' become entities.
//
// note: MISP also replaces the characters above U+FFFF (emoji, for one), which XML
// allows; Cairn keeps them.
func appendXMLText(b []byte, s string) []byte {
	bad := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !xmlAllowed(r, size) {
			if !bad {
				b = append(b, ' ')
			}
			bad = true
			continue
		}
		bad = false
		switch r {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

func xmlAllowed(r rune, size int) bool {
	switch {
	case r == utf8.RuneError && size == 1:
		return false
	case r == 0x09 || r == 0x0A || r == 0x0D:
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	}
	return r >= 0x10000 && r <= 0x10FFFF
}
