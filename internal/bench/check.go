package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// CheckResult is the verdict of a run made with Options.Check: it passed when Problems is
// empty. Speed is never judged, only errors and the data.
type CheckResult struct {
	Passed   bool     `json:"passed"`
	Problems []string `json:"problems"`
}

// Check lists what went wrong in a run, for a run that must be clean (CI):
//   - a variant that failed, was interrupted, or met an endpoint the server lacks;
//   - any failed request: an HTTP error, a timeout, a dropped connection;
//   - answers that held less than the data written (a note on an ok result);
//   - a selected scenario that never ran;
//   - generated data the server did not acknowledge, or events sent without a clear
//     answer, which may exist in part;
//   - written events that the server does not give back whole (see Verify);
//   - an interruption, or a cleanup that failed.
//
// selected are the scenarios the run was asked for; empty means all.
func Check(rep *Report, selected []string) CheckResult {
	problems := []string{}
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	if len(selected) == 0 {
		selected = ScenarioNames()
	}

	ran := map[string]bool{}
	for _, r := range rep.Results {
		where := fmt.Sprintf("%s %s at %s", r.Scenario, r.Variant, formatScale(r.Scale))
		if r.Variant == "" {
			where = fmt.Sprintf("%s at %s", r.Scenario, formatScale(r.Scale))
		}
		switch {
		case r.Clients == 1:
			where += ", 1 client"
		case r.Clients > 1:
			where += fmt.Sprintf(", %d clients", r.Clients)
		}
		switch {
		case r.Status == StatusOK && r.Note != "":
			add("%s: %s", where, r.Note)
		case r.Status != StatusOK && r.Status != StatusSkipped:
			add("%s: %s%s", where, r.Status, prefixed(": ", r.Note))
		}
		if len(r.Errors) > 0 {
			add("%s: %s of %s requests failed (%s)", where, formatCount(r.Requests-r.OK),
				formatCount(r.Requests), formatErrors(r.Errors))
		}
		if r.Status == StatusOK && r.OK > 0 {
			ran[r.Scenario] = true
		}
	}
	for _, name := range selected {
		if !ran[name] {
			add("%s: never ran%s", name, skipReason(rep.Results, name))
		}
	}

	w, g := rep.Written, rep.Generated
	if slices.Contains(selected, "ingest") && w.Attributes != g.Attributes {
		add("the tool generated %s events (%s attributes), the server acknowledged %s "+
			"(%s attributes)", formatCount(g.Events), formatCount(g.Attributes),
			formatCount(int64(w.Events)), formatCount(w.Attributes))
	}
	if w.Uncertain > 0 {
		add("%d events got no clear answer and may exist, whole or in part (listed in %s)",
			w.Uncertain, w.UncertainFile)
	}
	if v := rep.Verified; v != nil && !v.Complete() {
		add("of %d written events read back, %s", v.Events, v.problem())
	}
	if rep.Interrupted {
		add("the run was interrupted")
	}
	if c := rep.Cleanup; c != nil && c.Failed > 0 {
		add("cleanup: %d events could not be deleted", c.Failed)
	}
	return CheckResult{Passed: len(problems) == 0, Problems: problems}
}

func skipReason(results []Result, name string) string {
	for _, r := range results {
		if r.Scenario == name && r.Note != "" {
			return " (" + r.Status + ": " + r.Note + ")"
		}
	}
	return ""
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// VerifyResult says whether the events a run wrote are whole on the server.
type VerifyResult struct {
	Events     int      `json:"events"`               // read back
	Whole      int      `json:"whole"`                // as many attributes as were sent
	Incomplete []string `json:"incomplete,omitempty"` // "uuid: 90 of 100 attributes"
	Missing    []string `json:"missing,omitempty"`    // acknowledged, now not found
	Unread     []string `json:"unread,omitempty"`     // "uuid: timeout": could not be checked
	NotRead    int      `json:"not_read,omitempty"`   // not asked: the server stopped answering
}

// Complete reports whether every event read back whole.
func (v *VerifyResult) Complete() bool { return v.Whole == v.Events }

func (v *VerifyResult) problem() string {
	var parts []string
	for _, p := range []struct {
		what string
		list []string
	}{{"incomplete", v.Incomplete}, {"missing", v.Missing}, {"unreadable", v.Unread}} {
		if len(p.list) > 0 {
			parts = append(parts, fmt.Sprintf("%d %s (%s)", len(p.list), p.what,
				strings.Join(firstFew(p.list, 3), "; ")))
		}
	}
	if v.NotRead > 0 {
		parts = append(parts, fmt.Sprintf("%d not read (the server stopped answering or the "+
			"run was interrupted)", v.NotRead))
	}
	return strings.Join(parts, ", ")
}

func firstFew(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(slices.Clone(list[:n]), fmt.Sprintf("%d more", len(list)-n))
}

// Verify reads back every event of the ledger with events/view and compares its attributes,
// those in objects included, with what was sent: an acknowledged event must be whole.
func Verify(ctx context.Context, c *Client, events []WrittenEvent) VerifyResult {
	v := VerifyResult{Events: len(events)}
	var mu sync.Mutex
	rec := newRecorder()
	drive(ctx, 4, 0, len(events), rec, func(ctx context.Context, seq int) (Outcome, bool) {
		ev := events[seq]
		var doc struct {
			Event struct {
				UUID      string     `json:"uuid"`
				Attribute []struct{} `json:"Attribute"`
				Object    []struct {
					Attribute []struct{} `json:"Attribute"`
				} `json:"Object"`
			} `json:"Event"`
		}
		o := c.Do(ctx, Request{Method: http.MethodGet, Path: "/events/view/" + eventRef(ev),
			Read: func(r io.Reader) error { return json.NewDecoder(r).Decode(&doc) }})
		n := len(doc.Event.Attribute)
		for _, obj := range doc.Event.Object {
			n += len(obj.Attribute)
		}

		mu.Lock()
		defer mu.Unlock()
		switch {
		case o.OK() && doc.Event.UUID != ev.UUID:
			v.Missing = append(v.Missing, fmt.Sprintf("%s: answered with event %q", ev.UUID,
				doc.Event.UUID))
		case o.OK() && n == ev.Attributes:
			v.Whole++
		case o.OK():
			v.Incomplete = append(v.Incomplete, fmt.Sprintf("%s: %d of %d attributes",
				ev.UUID, n, ev.Attributes))
		case o.Status == http.StatusNotFound || o.Status == http.StatusForbidden:
			v.Missing = append(v.Missing, fmt.Sprintf("%s: %d", ev.UUID, o.Status))
		default:
			v.Unread = append(v.Unread, ev.UUID+": "+o.Class())
		}
		return o, true
	})
	v.NotRead = v.Events - v.Whole - len(v.Incomplete) - len(v.Missing) - len(v.Unread)
	for _, list := range [][]string{v.Incomplete, v.Missing, v.Unread} {
		slices.Sort(list)
	}
	return v
}
