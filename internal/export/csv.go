package export

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// The CSV columns of MISP's CsvExport: the default attribute columns, the object columns
// added when no columns are requested, and the event columns of includeContext.
var (
	csvDefault = []string{"uuid", "event_id", "category", "type", "value", "comment", "to_ids",
		"timestamp", "object_relation", "attribute_tag"}
	csvObject  = []string{"object_uuid", "object_name", "object_meta-category"}
	csvContext = []string{"event_info", "event_member_org", "event_source_org",
		"event_distribution", "event_threat_level_id", "event_analysis", "event_date",
		"event_tag", "event_timestamp"}
)

// threatLevels are the names of the threat levels, which the events scope writes in the
// event_threat_level_id column.
var threatLevels = map[int64]string{1: "High", 2: "Medium", 3: "Low", 4: "Undefined"}

// csvWriter writes MISP's CSV: a header line, one line per attribute, and an empty line at
// the end. Strings are quoted with inner quotes doubled, numbers and booleans (1/0) are not,
// and a column the attribute has no value for is "".
type csvWriter struct {
	w       *bufio.Writer
	columns []string
	opt     Options
	line    []byte
}

func newCSV(w *bufio.Writer, opt Options) writer {
	return &csvWriter{w: w, columns: CSVColumns(opt), opt: opt}
}

// CSVColumns returns the columns of a CSV answer, named as MISP names the members of its
// attribute array: those requested, or the default ones and the object ones, followed by
// the event ones with includeContext.
func CSVColumns(opt Options) []string {
	cols := csvDefault
	if len(opt.RequestedAttributes) > 0 {
		cols = opt.RequestedAttributes
	} else {
		cols = append(cols[:len(cols):len(cols)], csvObject...)
	}
	if opt.IncludeContext {
		cols = append(cols[:len(cols):len(cols)], csvContext...)
	}
	return cols
}

// CSVHeader returns the header line of the columns: "-" becomes "_" and timestamp is
// called date.
func CSVHeader(columns []string) string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = strings.ReplaceAll(c, "-", "_")
		if c == "timestamp" {
			names[i] = "date"
		}
	}
	return strings.Join(names, ",")
}

func (c *csvWriter) begin() error {
	if c.opt.Headerless {
		return nil
	}
	c.w.WriteString(CSVHeader(c.columns))
	return c.w.WriteByte('\n')
}

func (c *csvWriter) end() error { return c.w.WriteByte('\n') }

func (c *csvWriter) attribute(r *Record) error {
	return c.row(csvRow{a: r.Attribute, ev: r.Event, obj: r.Object})
}

func (c *csvWriter) event(e *model.Event) error {
	ev := eventInfoOf(e)
	for i := range e.Attribute {
		if err := c.row(csvRow{a: &e.Attribute[i], ev: ev, threatName: true}); err != nil {
			return err
		}
	}
	for i := range e.Object {
		o := &e.Object[i]
		obj := &ObjectInfo{UUID: o.UUID, Name: o.Name, MetaCategory: o.MetaCategory}
		for j := range o.Attribute {
			err := c.row(csvRow{a: &o.Attribute[j], ev: ev, obj: obj, threatName: true})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// eventInfoOf returns what the CSV columns read of a loaded event.
func eventInfoOf(e *model.Event) *EventInfo {
	ev := &EventInfo{ID: int64(e.ID), Distribution: int64(e.Distribution),
		ThreatLevelID: int64(e.ThreatLevelID), Analysis: int64(e.Analysis),
		Timestamp: int64(e.Timestamp), UUID: e.UUID, Info: e.Info, Date: e.Date,
		OrgName: e.Org.Name, OrgcName: e.Orgc.Name}
	for _, t := range e.Tag {
		ev.Tags = append(ev.Tags, t.Name)
	}
	return ev
}

func (c *csvWriter) row(r csvRow) error {
	b := c.line[:0]
	for i, col := range c.columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = r.cell(col).append(b)
	}
	b = append(b, '\n')
	c.line = b
	_, err := c.w.Write(b)
	return err
}

// csvRow is one attribute with its event and object. threatName writes the threat level
// by name, as the events scope does.
type csvRow struct {
	a          *model.Attribute
	ev         *EventInfo
	obj        *ObjectInfo
	threatName bool
}

// cell is one CSV value with the type MISP's PHP array had: it decides the quoting.
type cell struct {
	kind byte // 0: no value, 's': string, 'n': number, 'b': boolean
	s    string
	n    int64
}

func str(s string) cell { return cell{kind: 's', s: s} }
func num(n int64) cell  { return cell{kind: 'n', n: n} }
func boolean(b bool) cell {
	if b {
		return cell{kind: 'b', n: 1}
	}
	return cell{kind: 'b'}
}

// optStr is s, or no value when s is empty (an empty list of tags is unset in MISP).
func optStr(s string) cell {
	if s == "" {
		return cell{}
	}
	return str(s)
}

// append writes c as MISP's CsvExport escapes it: booleans as 1 or 0, numbers and numeric
// strings as they are, other strings quoted with inner quotes doubled, no value as "".
func (c cell) append(b []byte) []byte {
	switch {
	case c.kind == 'n' || c.kind == 'b':
		return strconv.AppendInt(b, c.n, 10)
	case c.kind == 's' && IsNumeric(c.s):
		return append(b, c.s...)
	case c.kind == 0:
		return append(b, `""`...)
	}
	b = append(b, '"')
	for i := 0; i < len(c.s); i++ {
		if c.s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, c.s[i])
	}
	return append(b, '"')
}

// cell returns the value of column col, named as MISP names the members of its attribute
// array (requested_attributes picks among them).
func (r csvRow) cell(col string) cell {
	a := r.a
	switch col {
	case "id":
		return num(int64(a.ID))
	case "event_id":
		return num(int64(a.EventID))
	case "object_id":
		return num(int64(a.ObjectID))
	case "object_relation":
		if a.ObjectRelation == nil {
			return cell{}
		}
		return str(*a.ObjectRelation)
	case "category":
		return str(a.Category)
	case "type":
		return str(a.Type)
	case "value":
		return str(a.Value)
	case "value1", "value2":
		v1, v2 := misp.SplitValue(a.Type, a.Value)
		if col == "value1" {
			return str(v1)
		}
		return str(v2)
	case "to_ids":
		return boolean(bool(a.ToIDs))
	case "uuid":
		return str(a.UUID)
	case "timestamp":
		return num(int64(a.Timestamp))
	case "distribution":
		return num(int64(a.Distribution))
	case "sharing_group_id":
		return num(int64(a.SharingGroupID))
	case "comment":
		return str(a.Comment)
	case "deleted":
		return boolean(bool(a.Deleted))
	case "disable_correlation":
		return boolean(bool(a.DisableCorrelation))
	case "first_seen", "last_seen":
		m := a.FirstSeen
		if col == "last_seen" {
			m = a.LastSeen
		}
		if m == 0 {
			return cell{}
		}
		return str(m.Time().Format("2006-01-02T15:04:05.000000-07:00"))
	case "attribute_tag":
		names := make([]string, len(a.Tag))
		for i, t := range a.Tag {
			names[i] = t.Name
		}
		return optStr(strings.Join(names, ","))
	}
	if strings.HasPrefix(col, "object_") {
		return r.objectCell(col)
	}
	return r.eventCell(col)
}

func (r csvRow) objectCell(col string) cell {
	if r.obj == nil {
		return cell{}
	}
	switch col {
	case "object_uuid":
		return str(r.obj.UUID)
	case "object_name":
		return str(r.obj.Name)
	case "object_meta-category":
		return str(r.obj.MetaCategory)
	}
	return cell{}
}

func (r csvRow) eventCell(col string) cell {
	ev := r.ev
	if ev == nil {
		return cell{}
	}
	switch col {
	case "event_uuid":
		return str(ev.UUID)
	case "event_info":
		return str(ev.Info)
	case "event_member_org":
		return str(ev.OrgName)
	case "event_source_org":
		return str(ev.OrgcName)
	case "event_distribution":
		return num(ev.Distribution)
	case "event_threat_level_id":
		if r.threatName {
			return str(threatLevels[ev.ThreatLevelID])
		}
		return num(ev.ThreatLevelID)
	case "event_analysis":
		return num(ev.Analysis)
	case "event_date":
		return str(ev.Date)
	case "event_tag":
		return optStr(strings.Join(ev.Tags, ","))
	case "event_timestamp":
		return num(ev.Timestamp)
	}
	return cell{}
}

// IsNumeric reports whether s is a number as PHP's is_numeric reads one (an optional sign,
// digits with an optional decimal point, an optional exponent), which MISP's CSV leaves
// unquoted.
//
// note: PHP also accepts leading and trailing whitespace; Cairn quotes such values, so
// that a value with a line break can never be written unquoted and break the line.
func IsNumeric(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
