package export

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/cairn-project/cairn/internal/model"
)

// SightingFormats are the return formats of sightings/restSearch, by name, with their
// content type; MISP's X-Response-Format is the name itself.
var SightingFormats = map[string]string{"json": contentJSON, "csv": contentCSV, "xml": contentXML}

// sightingColumns are the CSV columns of sightings/restSearch: the sighting's, then with
// includeAttribute the attribute's, then with includeEvent the event's, named as MISP
// flattens them.
var (
	sightingColumns = []string{"id", "attribute_id", "event_id", "org_id", "date_sighting",
		"uuid", "source", "type"}
	sightingAttributeColumns = []string{"attribute_uuid", "attribute_type",
		"attribute_category", "attribute_to_ids", "attribute_value"}
	sightingEventColumns = []string{"event_uuid", "event_orgc_id", "event_org_id",
		"event_info", "event_Orgc_name"}
)

// SightingWriter writes the answer of sightings/restSearch, one sighting at a time: json
// ({"response":[{"Sighting":{...}},...]}), csv (a header line, a line per sighting) or
// MISP's xml (a <Sighting> element per sighting inside <response>).
type SightingWriter struct {
	bw      *bufio.Writer
	format  string
	columns []string
	n       int
	buf     []byte
	xml     *xmlWriter
}

// NewSightingWriter starts an answer in format (a key of SightingFormats) onto w. The CSV
// columns follow includeAttribute and includeEvent.
func NewSightingWriter(w io.Writer, format string, includeAttribute,
	includeEvent bool) *SightingWriter {
	sw := &SightingWriter{bw: bufio.NewWriterSize(w, 64<<10), format: format}
	switch format {
	case "csv":
		sw.columns = append(sw.columns, sightingColumns...)
		if includeAttribute {
			sw.columns = append(sw.columns, sightingAttributeColumns...)
		}
		if includeEvent {
			sw.columns = append(sw.columns, sightingEventColumns...)
		}
		sw.bw.WriteString(CSVHeader(sw.columns))
		sw.bw.WriteByte('\n')
	case "xml":
		sw.xml = &xmlWriter{w: sw.bw}
		sw.xml.begin()
	default:
		sw.bw.WriteString(`{"response":[`)
	}
	return sw
}

// Sighting writes one sighting.
func (sw *SightingWriter) Sighting(s *model.FoundSighting) error {
	defer func() { sw.n++ }()
	switch sw.format {
	case "csv":
		return sw.csvLine(s)
	case "xml":
		sw.bw.WriteString("<Sighting>")
		if err := sw.xml.members(s, nil); err != nil {
			return err
		}
		_, err := sw.bw.WriteString("</Sighting>\n")
		return err
	}
	if sw.n > 0 {
		sw.bw.WriteByte(',')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	sw.bw.WriteString(`{"Sighting":`)
	sw.bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	_, err := sw.bw.WriteString("}")
	return err
}

// Close writes the end of the answer and flushes it.
func (sw *SightingWriter) Close() error {
	switch sw.format {
	case "csv":
		sw.bw.WriteByte('\n')
	case "xml":
		sw.xml.end()
	default:
		sw.bw.WriteString("]}\n")
	}
	return sw.bw.Flush()
}

func (sw *SightingWriter) csvLine(s *model.FoundSighting) error {
	b := sw.buf[:0]
	for i, col := range sw.columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = sightingCell(s, col).append(b)
	}
	b = append(b, '\n')
	sw.buf = b
	_, err := sw.bw.Write(b)
	return err
}

// sightingCell returns the value of a CSV column of a sighting; a member MISP leaves out
// (the organisation of an anonymised sighting) has no value.
func sightingCell(s *model.FoundSighting, col string) cell {
	switch col {
	case "id":
		return num(int64(s.ID))
	case "attribute_id":
		return num(int64(s.AttributeID))
	case "event_id":
		return num(int64(s.EventID))
	case "org_id":
		if s.OrgID == nil {
			return cell{}
		}
		return num(int64(*s.OrgID))
	case "date_sighting":
		return num(int64(s.DateSighting))
	case "uuid":
		return str(s.UUID)
	case "source":
		return str(s.Source)
	case "type":
		return num(int64(s.Type))
	}
	if a := s.Attribute; a != nil {
		switch col {
		case "attribute_uuid":
			return str(a.UUID)
		case "attribute_type":
			return str(a.Type)
		case "attribute_category":
			return str(a.Category)
		case "attribute_to_ids":
			return boolean(bool(a.ToIDs))
		case "attribute_value":
			return str(a.Value)
		}
	}
	if e := s.Event; e != nil {
		switch col {
		case "event_uuid":
			return str(e.UUID)
		case "event_orgc_id":
			return num(int64(e.OrgcID))
		case "event_org_id":
			return num(int64(e.OrgID))
		case "event_info":
			return str(e.Info)
		case "event_Orgc_name":
			return str(e.Orgc.Name)
		}
	}
	return cell{}
}
