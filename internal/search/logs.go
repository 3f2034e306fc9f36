package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The filters of the audit log's indexes: admin/logs/index, which shows the log in the
// shape of MISP's legacy Log table, and admin/audit_logs/index, in the shape of AuditLog.
// MISP takes them from a JSON body or from named parameters; a filter holds one value or a
// list, any of which a row may match.

// LogFilters are the filters of admin/logs/index, besides created, limit and page.
var LogFilters = []string{"id", "title", "model", "model_id", "action", "user_id", "change",
	"email", "org", "description", "ip"}

// AuditLogFilters are the filters of admin/audit_logs/index, besides created, limit and
// page.
var AuditLogFilters = []string{"ip", "user", "request_id", "authkey_id", "model", "model_id",
	"event_id", "model_title", "action", "org", "request_type"}

// LogParams is a parsed search of the audit log.
type LogParams struct {
	// Filters maps the name of a filter to its values; a row matches a filter when it
	// matches any of them. Empty values are dropped, and a filter left with none is absent.
	Filters map[string][]string
	// Created bounds the time of the change, in Unix seconds; nil is no bound. A single
	// time is a lower bound (To is 0); two make an inclusive range.
	Created *Range
	// Limit is the largest number of rows to return, 0 for no limit; Page counts pages of
	// Limit rows from 1.
	Limit, Page int64
}

// ParseLogs reads a search of the audit log from a JSON body (already unwrapped) and the
// named parameters of the path; the body wins where both set a filter. accepted names the
// filters of the index ([LogFilters] or [AuditLogFilters]); any other member is ignored,
// as MISP ignores it. now anchors relative times ("1d").
func ParseLogs(body map[string]json.RawMessage, named map[string][]string, accepted []string,
	now time.Time) (*LogParams, error) {
	merged := map[string]json.RawMessage{}
	for k, vs := range named {
		if len(vs) == 1 {
			merged[k] = mustJSON(vs[0])
		} else {
			merged[k] = mustJSON(vs)
		}
	}
	for k, v := range body {
		merged[k] = v
	}

	p := &LogParams{Filters: map[string][]string{}, Page: 1}
	for _, name := range accepted {
		raw, ok := merged[name]
		if !ok {
			continue
		}
		values, err := logValues(raw)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("Invalid value for filter %s: %v.", name, err)}
		}
		if len(values) > 0 {
			p.Filters[name] = values
		}
	}
	if raw, ok := merged["created"]; ok {
		values, err := logValues(raw)
		if err != nil {
			return nil, &Error{Msg: fmt.Sprintf("Invalid value for filter created: %v.", err)}
		}
		p.Created = createdRange(values, now)
	}
	var err error
	if p.Limit, err = positive(merged, "limit"); err != nil {
		return nil, err
	}
	page, err := positive(merged, "page")
	if err != nil {
		return nil, err
	}
	if page > 0 {
		p.Page = page
	}
	return p, nil
}

// logValues reads a filter value: a string, a number, a boolean or a list of those.
func logValues(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	list, isList := v.([]any)
	if !isList {
		list = []any{v}
	}
	if len(list) > maxTerms {
		return nil, fmt.Errorf("too many values (%d, at most %d)", len(list), maxTerms)
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		var s string
		switch x := item.(type) {
		case nil:
			continue
		case string:
			s = strings.TrimSpace(x)
		case json.Number:
			s = x.String()
		case bool:
			s = "0"
			if x {
				s = "1"
			}
		default:
			return nil, fmt.Errorf("a value or a list of values is expected")
		}
		if s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// createdRange reads the created filter: one time is a lower bound, two an inclusive range
// in either order. A time MISP cannot read becomes the second after now, as in MISP, so
// that a lower bound matches nothing.
func createdRange(values []string, now time.Time) *Range {
	if len(values) == 0 {
		return nil
	}
	times := make([]int64, 0, 2)
	for _, v := range values[:min(len(values), 2)] {
		times = append(times, logTime(v, now))
	}
	if len(times) == 1 {
		return &Range{From: times[0]}
	}
	from, to := times[0], times[1]
	if from > to {
		from, to = to, from
	}
	return &Range{From: from, To: to}
}

// logTime reads a time of the created filter: a Unix timestamp (PyMISP sends a float), a
// duration back from now ("5d", "12h", "30m", "45s") or a date and time.
func logTime(s string, now time.Time) int64 {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return int64(f)
	}
	if t, err := delta(s, now); err == nil {
		return t
	}
	return now.Unix() + 1
}

// positive reads a paging member: a positive integer, or absent (0). Zero and negative
// numbers are absent too; anything else is refused.
func positive(m map[string]json.RawMessage, key string) (int64, error) {
	raw, ok := m[key]
	if !ok {
		return 0, nil
	}
	values, err := logValues(raw)
	if err != nil || len(values) > 1 {
		return 0, &Error{Msg: fmt.Sprintf("Invalid value for %s.", key)}
	}
	if len(values) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseInt(values[0], 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(values[0], 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, &Error{Msg: fmt.Sprintf("Invalid value for %s.", key)}
		}
		n = int64(f)
	}
	return max(n, 0), nil
}
