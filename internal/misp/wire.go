package misp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MISP's JSON is lenient on input and peculiar on output (integers as strings, booleans as
// booleans, timestamps in microseconds). The types below carry those rules so that entity
// structs can use them as field types.

// StrInt is an integer column. It marshals as a JSON string ("12"), as MISP sends integer
// columns, and unmarshals from a number (12, 12.0), a numeric string ("12"), a boolean,
// "" or null (both 0).
type StrInt int64

// MarshalJSON implements [json.Marshaler].
func (n StrInt) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(n), 10)), nil
}

// UnmarshalJSON implements [json.Unmarshaler].
func (n *StrInt) UnmarshalJSON(data []byte) error {
	v, err := decodeLenient(data)
	if err != nil {
		return fmt.Errorf("misp: integer: %w", err)
	}
	switch v := v.(type) {
	case nil:
		*n = 0
	case bool:
		*n = 0
		if v {
			*n = 1
		}
	case string:
		i, err := parseInteger(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("misp: integer: %w", err)
		}
		*n = StrInt(i)
	case json.Number:
		i, err := parseInteger(string(v))
		if err != nil {
			return fmt.Errorf("misp: integer: %w", err)
		}
		*n = StrInt(i)
	default:
		return fmt.Errorf("misp: integer: unexpected JSON %s", data)
	}
	return nil
}

// parseInteger reads a decimal integer, also written as a float with no fraction ("12.0",
// "1e3"). The empty string is 0.
func parseInteger(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !isNumeric(s) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a 64-bit integer", s)
	}
	return int64(f), nil
}

// Bool is a tinyint(1) column. It marshals as true or false and unmarshals from true, false,
// 0, 1, "0", "1", "true", "false", "" (false) or null (false).
type Bool bool

// MarshalJSON implements [json.Marshaler].
func (b Bool) MarshalJSON() ([]byte, error) {
	return strconv.AppendBool(nil, bool(b)), nil
}

// UnmarshalJSON implements [json.Unmarshaler].
func (b *Bool) UnmarshalJSON(data []byte) error {
	v, err := decodeLenient(data)
	if err != nil {
		return fmt.Errorf("misp: boolean: %w", err)
	}
	switch v := v.(type) {
	case nil:
		*b = false
		return nil
	case bool:
		*b = Bool(v)
		return nil
	case json.Number:
		return b.setFromText(string(v), data)
	case string:
		return b.setFromText(strings.ToLower(strings.TrimSpace(v)), data)
	}
	return fmt.Errorf("misp: boolean: unexpected JSON %s", data)
}

func (b *Bool) setFromText(s string, data []byte) error {
	switch s {
	case "", "0", "false":
		*b = false
	case "1", "true":
		*b = true
	default:
		if f, err := strconv.ParseFloat(s, 64); err == nil && isNumeric(s) && (f == 0 || f == 1) {
			*b = f == 1
			return nil
		}
		return fmt.Errorf("misp: boolean: unexpected JSON %s", data)
	}
	return nil
}

// Micros is a first_seen/last_seen column: microseconds since the Unix epoch, 0 meaning
// null. It marshals as ISO 8601 with microseconds in UTC ("2019-06-25T09:58:55.000000+00:00")
// or null, and unmarshals from null, "", a date or date-time string (see [ParseFlexibleTime])
// or Unix seconds as a number or numeric string.
//
// note: the epoch itself (1970-01-01T00:00:00Z) cannot be told from null; MISP has the same
// blind spot, as it tests the column with empty().
type Micros int64

// microsLayout is how MISP sends first_seen and last_seen.
const microsLayout = "2006-01-02T15:04:05.000000-07:00"

// MicrosOf returns t as Micros.
func MicrosOf(t time.Time) Micros {
	return Micros(t.UnixMicro())
}

// Time returns m as a time in UTC, or the zero time when m is null.
func (m Micros) Time() time.Time {
	if m == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(m)).UTC()
}

// MarshalJSON implements [json.Marshaler].
func (m Micros) MarshalJSON() ([]byte, error) {
	if m == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendQuote(nil, m.Time().Format(microsLayout)), nil
}

// UnmarshalJSON implements [json.Unmarshaler].
func (m *Micros) UnmarshalJSON(data []byte) error {
	v, err := decodeLenient(data)
	if err != nil {
		return fmt.Errorf("misp: timestamp: %w", err)
	}
	var s string
	switch v := v.(type) {
	case nil:
		*m = 0
		return nil
	case string:
		s = v
	case json.Number:
		s = string(v)
	default:
		return fmt.Errorf("misp: timestamp: unexpected JSON %s", data)
	}
	if strings.TrimSpace(s) == "" {
		*m = 0
		return nil
	}
	t, err := ParseFlexibleTime(s)
	if err != nil {
		return fmt.Errorf("misp: timestamp: %w", err)
	}
	*m = MicrosOf(t)
	return nil
}

// decodeLenient decodes one JSON scalar, keeping numbers as json.Number.
//
// The scalars of an event's fields come by the hundred thousand in a large events/add, so
// the usual forms are read directly: null, booleans, numbers and strings without escapes.
// Anything else goes through encoding/json.
func decodeLenient(data []byte) (any, error) {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
	case string(data) == "null":
		return nil, nil
	case string(data) == "true":
		return true, nil
	case string(data) == "false":
		return false, nil
	case data[0] == '"':
		if len(data) >= 2 && data[len(data)-1] == '"' && plainString(data[1:len(data)-1]) {
			return string(data[1 : len(data)-1]), nil
		}
	case data[0] == '-' || '0' <= data[0] && data[0] <= '9':
		if json.Valid(data) {
			return json.Number(data), nil
		}
	}
	return decodeJSONScalar(data)
}

// plainString reports whether s, the inside of a JSON string, is valid UTF-8 with no
// escape, quote or control character: its JSON text is then its value.
func plainString(s []byte) bool {
	for _, c := range s {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// decodeJSONScalar decodes one JSON value with encoding/json, keeping numbers as
// json.Number.
func decodeJSONScalar(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

// ParseFlexibleTime reads the date and time forms clients commonly send where PHP would call
// strtotime: RFC 3339 with or without fraction and offset ("2019-06-25T09:58:55Z",
// "2019-06-25T09:58:55.123456+02:00", "2019-06-25T09:58:55+0200", "2019-06-25T09:58:55"),
// the same with a space for the 'T', "2006-01-02 15:04", "2006-01-02", RFC 1123 with a
// numeric zone, and Unix seconds ("1561456735", "1561456735.5", "@1561456735"). A time
// without an offset is UTC. Fractions finer than a microsecond are dropped.
func ParseFlexibleTime(s string) (time.Time, error) {
	return parseTime(s, true)
}

// flexibleLayouts are tried in order; Go accepts a fraction after the seconds of any of them.
var flexibleLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
}

// parseTime is ParseFlexibleTime with a switch for bare numbers: the datetime attribute
// type, like PHP's DateTime, does not read "1561456735" as Unix seconds.
func parseTime(s string, bareUnix bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if secs, ok := strings.CutPrefix(s, "@"); ok {
		return parseUnixSeconds(secs)
	}
	if bareUnix && isNumeric(s) {
		return parseUnixSeconds(s)
	}
	for _, layout := range flexibleLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		t = t.Truncate(time.Microsecond)
		if t.Year() < 1 || t.Year() > 9999 {
			break
		}
		// A fixed zone keeps the result independent of the machine's local time zone.
		if _, offset := t.Zone(); offset == 0 {
			t = t.UTC()
		} else {
			t = t.In(time.FixedZone("", offset))
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("unrecognised date and time %q", s)
}

// maxUnixSeconds is the start of the year 10000, past which times do not print as ISO 8601.
const maxUnixSeconds = 253402300800

// parseUnixSeconds reads decimal Unix seconds with an optional fraction, exactly to the
// microsecond.
func parseUnixSeconds(s string) (time.Time, error) {
	if !isNumeric(s) || strings.ContainsAny(s, "eE \t\n\r\v\f+") {
		return time.Time{}, fmt.Errorf("%q is not Unix seconds", s)
	}
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" {
		whole = "0"
	}
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || secs >= maxUnixSeconds {
		return time.Time{}, fmt.Errorf("%q is out of range", s)
	}
	frac = (frac + "000000")[:6]
	micros, _ := strconv.ParseInt(frac, 10, 64)
	total := secs*1_000_000 + micros
	if neg {
		total = -total
	}
	t := time.UnixMicro(total).UTC()
	if t.Year() < 1 {
		return time.Time{}, fmt.Errorf("%q is out of range", s)
	}
	return t, nil
}
