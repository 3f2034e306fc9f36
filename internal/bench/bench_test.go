package bench

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/loadgen"
)

const fakeKey = "FakeMISPKeyForBenchTests000000000000000a"

// fakeMISP is just enough of MISP's API for the load tool: getVersion, events/add,
// events/view, events/delete and attributes/restSearch, in MISP's shapes, with injected
// failures.
type fakeMISP struct {
	mu          sync.Mutex
	events      map[string]*loadgen.Event // by id
	ids         map[string]string         // uuid -> id
	nextID      int
	adds        int
	added       int           // events stored, deleted ones included
	failed      int           // events/add answered 500
	failEvery   int           // every failEvery-th events/add answers 500 and stores nothing
	addDelay    time.Duration // added to every events/add
	slowRelated time.Duration // added to events/view with includeGranularCorrelations
	noEvents    bool          // events/* are unknown actions
	noSearch    bool          // attributes/restSearch is an unknown action
	dropAdds    bool          // events/add closes the connection without an answer
	partialView bool          // events/view leaves out the last attribute of every event
}

func newFakeMISP() *fakeMISP {
	return &fakeMISP{events: map[string]*loadgen.Event{}, ids: map[string]string{}}
}

func (f *fakeMISP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != fakeKey || r.Header.Get("Accept") != "application/json" {
		mispError(w, http.StatusForbidden, "Authentication failed.", false)
		return
	}
	path := r.URL.Path
	switch {
	case path == "/servers/getVersion":
		writeJSON(w, 200, map[string]any{"version": "2.5.1", "perm_sync": true})
	case path == "/events/add" && f.dropAdds:
		f.mu.Lock()
		f.adds++
		f.mu.Unlock()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	case path == "/events/add" && r.Method == http.MethodPost && !f.noEvents:
		f.add(w, r)
	case strings.HasPrefix(path, "/events/view/") && !f.noEvents:
		f.view(w, r, strings.TrimPrefix(path, "/events/view/"))
	case strings.HasPrefix(path, "/events/delete/") && !f.noEvents:
		f.delete(w, strings.TrimPrefix(path, "/events/delete/"))
	case path == "/attributes/restSearch" && r.Method == http.MethodPost && !f.noSearch:
		f.search(w, r)
	default:
		mispError(w, http.StatusNotFound, "Action could not be found.", true)
	}
}

func (f *fakeMISP) add(w http.ResponseWriter, r *http.Request) {
	var body struct{ Event loadgen.Event }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Event.Info == "" {
		mispError(w, http.StatusMethodNotAllowed, "Invalid JSON input.", false)
		return
	}
	time.Sleep(f.addDelay)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.adds++
	if f.failEvery > 0 && f.adds%f.failEvery == 0 {
		f.failed++
		mispError(w, http.StatusInternalServerError, "An Internal Error Has Occurred.", false)
		return
	}
	if id, ok := f.ids[body.Event.UUID]; ok {
		w.Header().Set("Location", "http://fake/events/"+id)
		mispError(w, http.StatusNotFound, "Event already exists.", false)
		return
	}
	f.nextID++
	id := strconv.Itoa(f.nextID)
	ev := body.Event
	f.events[id], f.ids[ev.UUID] = &ev, id
	f.added++
	writeJSON(w, 200, map[string]any{"Event": map[string]any{"id": id, "uuid": ev.UUID}})
}

// lookup finds an event by id or UUID; the caller holds the lock.
func (f *fakeMISP) lookup(ref string) (string, *loadgen.Event) {
	if id, ok := f.ids[ref]; ok {
		ref = id
	}
	return ref, f.events[ref]
}

func (f *fakeMISP) view(w http.ResponseWriter, r *http.Request, ref string) {
	ref, granular := strings.CutSuffix(ref, "/includeGranularCorrelations:1")
	if granular {
		select {
		case <-time.After(f.slowRelated):
		case <-r.Context().Done():
			return
		}
	}
	f.mu.Lock()
	id, ev := f.lookup(ref)
	f.mu.Unlock()
	if ev == nil {
		mispError(w, http.StatusNotFound, "Invalid event", false)
		return
	}
	attrs := ev.Attribute
	if f.partialView && len(attrs) > 0 {
		attrs = attrs[:len(attrs)-1]
	}
	writeJSON(w, 200, map[string]any{"Event": map[string]any{"id": id, "uuid": ev.UUID,
		"Attribute": attrs, "Object": ev.Object, "RelatedEvent": []any{}}})
}

func (f *fakeMISP) delete(w http.ResponseWriter, ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ev := f.lookup(ref)
	if ev == nil {
		writeJSON(w, http.StatusForbidden, map[string]any{"saved": false,
			"name": "Could not delete Event", "errors": "Event was not deleted."})
		return
	}
	delete(f.events, id)
	delete(f.ids, ev.UUID)
	writeJSON(w, 200, map[string]any{"saved": true, "success": true, "name": "Event deleted.",
		"id": id})
}

func (f *fakeMISP) search(w http.ResponseWriter, r *http.Request) {
	var body struct{ Value any }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		mispError(w, http.StatusMethodNotAllowed, "Invalid JSON input.", false)
		return
	}
	want := map[string]bool{}
	switch v := body.Value.(type) {
	case string:
		want[v] = true
	case []any:
		for _, s := range v {
			want[fmt.Sprint(s)] = true
		}
	}
	found := []map[string]string{}
	f.mu.Lock()
	for _, ev := range f.events {
		ev.Attributes(func(a *loadgen.Attribute) {
			for _, part := range strings.SplitN(a.Value, "|", 2) {
				if want[part] {
					found = append(found, map[string]string{"type": a.Type, "value": part})
					return
				}
			}
		})
	}
	f.mu.Unlock()
	writeJSON(w, 200, map[string]any{"response": map[string]any{"Attribute": found}})
}

func (f *fakeMISP) stored() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func mispError(w http.ResponseWriter, status int, msg string, code bool) {
	body := map[string]any{"name": msg, "message": msg, "url": "/"}
	if code {
		body["code"] = status
	}
	writeJSON(w, status, body)
}

// testOptions is the short profile cut down to a few seconds against url.
func testOptions(t *testing.T, url string) Options {
	p := Profiles()["short"]
	p.Scales, p.Huge, p.Median = []int64{4000}, 800, 40
	d := 150 * time.Millisecond
	p.Loads = map[string]Load{
		"ingest":       {Clients: []int{1, 2, 4}},
		"auth-rate":    {Clients: []int{1, 4}, Duration: d},
		"view":         {Clients: []int{2}, Duration: d},
		"search-exact": {Clients: []int{1, 2}, Duration: d},
		"search-bulk":  {Clients: []int{1}, Duration: d},
		"related":      {Clients: []int{1}, Duration: d},
	}
	return Options{URL: url, Key: fakeKey, Profile: p, Seed: 3, RunID: "test",
		Timeout: time.Second, Out: t.TempDir(), Log: io.Discard}
}

func TestRunShortAgainstFakeMISP(t *testing.T) {
	fake := newFakeMISP()
	fake.failEvery, fake.slowRelated = 5, 400*time.Millisecond
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := testOptions(t, srv.URL)
	o.Timeout = 200 * time.Millisecond // shorter than slowRelated: related times out
	o.Cleanup = true

	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}

	// Every acknowledged event is in the ledger, every 500 is counted and uncertain.
	byScenario := map[string][]Result{}
	for _, r := range rep.Results {
		byScenario[r.Scenario] = append(byScenario[r.Scenario], r)
	}
	var errors500, events int64
	for _, r := range byScenario["ingest"] {
		errors500 += r.Errors["500"]
		events += r.Counts["events"]
	}
	got := map[string]int64{"events written": int64(rep.Written.Events),
		"events counted": events, "uncertain": int64(rep.Written.Uncertain),
		"500s counted": errors500, "ledger lines": int64(ledgerLines(t, o.Out))}
	want := map[string]int64{"events written": int64(fake.added),
		"events counted": int64(fake.added), "uncertain": int64(fake.failed),
		"500s counted": int64(fake.failed), "ledger lines": int64(fake.added)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accounting (-fake server +report):\n%s", diff)
	}
	if fake.failed == 0 || rep.Written.Attributes == 0 {
		t.Fatalf("nothing to check: %d failures, %d attributes", fake.failed,
			rep.Written.Attributes)
	}

	// The cleanup deleted what was written; the 500s were never stored.
	if n := fake.stored(); n != 0 {
		t.Errorf("%d events left on the server after --cleanup", n)
	}
	if rep.Cleanup == nil || rep.Cleanup.Deleted != fake.added ||
		rep.Cleanup.Absent != fake.failed {
		t.Errorf("cleanup = %+v, want %d deleted and %d absent", rep.Cleanup, fake.added,
			fake.failed)
	}

	// Each scenario ran and measured what it should.
	var variants []string
	for _, r := range byScenario["ingest"] {
		variants = append(variants, fmt.Sprintf("%s c=%d", r.Variant, r.Clients))
		if r.Status != StatusOK || r.Rates["attributes_per_second"] <= 0 {
			t.Errorf("ingest %s: status %s, rates %v", r.Variant, r.Status, r.Rates)
		}
	}
	if diff := cmp.Diff([]string{"huge c=1", "mixed c=1", "mixed c=2", "mixed c=4"},
		variants); diff != "" {
		t.Errorf("ingest variants (-want +got):\n%s", diff)
	}
	for _, name := range []string{"auth-rate", "view", "search-exact", "search-bulk"} {
		for _, r := range byScenario[name] {
			if r.Status != StatusOK || r.OK == 0 || r.Note != "" || r.Latency.P50 <= 0 {
				t.Errorf("%s %s c=%d: status %s, %d ok, note %q, p50 %v", name, r.Variant,
					r.Clients, r.Status, r.OK, r.Note, r.Latency.P50)
			}
		}
	}
	if len(byScenario["search-exact"]) == 0 || byScenario["search-exact"][0].Counts["hits"] == 0 {
		t.Errorf("search-exact found nothing: %+v", byScenario["search-exact"])
	}
	if b := byScenario["search-bulk"]; len(b) == 0 || b[0].Counts["values_found"] == 0 ||
		b[0].Counts["values_found"] != b[0].Counts["expected_values_found"] {
		t.Errorf("search-bulk counts: %+v", b)
	}
	if r := byScenario["related"]; len(r) != 1 || r[0].Errors["timeout"] == 0 || r[0].OK != 0 {
		t.Errorf("related should only time out: %+v", r)
	}

	checkFiles(t, o.Out)
}

// ledgerLines counts the events listed in the ledger file.
func ledgerLines(t *testing.T, dir string) int {
	uuids, err := ReadLedgerFile(filepath.Join(dir, WrittenFile))
	if err != nil {
		t.Fatal(err)
	}
	return len(uuids)
}

func checkFiles(t *testing.T, dir string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatalf("results.json: %v", err)
	}
	if rep.Server.Version != "2.5.1" || len(rep.Results) == 0 || rep.Machine.CPUs == 0 {
		t.Errorf("results.json lacks the server version, results or machine: %+v", rep.Server)
	}

	md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| Scenario |", "| ingest | huge |", "| auth-rate |",
		"latency.svg"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<svg") || !strings.Contains(string(page), "auth-rate") {
		t.Error("report.html lacks the charts or the table")
	}
	for _, name := range []string{LatencyChart, ThroughputChart} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		checkSVG(t, name, string(data))
	}
}

// checkSVG parses an SVG as XML and checks its root and that it draws something.
func checkSVG(t *testing.T, name, data string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(data))
	var root string
	shapes := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			switch se.Name.Local {
			case "rect", "circle", "polyline", "line":
				shapes++
			}
		}
	}
	if root != "svg" || shapes < 10 {
		t.Errorf("%s: root <%s>, %d shapes", name, root, shapes)
	}
}

func TestUnsupportedEndpoints(t *testing.T) {
	fake := newFakeMISP()
	fake.noEvents, fake.noSearch = true, true
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := testOptions(t, srv.URL)

	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		if _, seen := got[r.Scenario]; !seen {
			got[r.Scenario] = r.Status
		}
	}
	want := map[string]string{"ingest": StatusUnsupported, "auth-rate": StatusOK,
		"view": StatusSkipped, "search-exact": StatusUnsupported,
		"search-bulk": StatusUnsupported, "related": StatusSkipped}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if rep.Written.Events != 0 {
		t.Errorf("%d events written to a server without events/add", rep.Written.Events)
	}
	checkFiles(t, o.Out)
}

func TestInterruptAccountsForEveryWrite(t *testing.T) {
	fake := newFakeMISP()
	fake.addDelay = 20 * time.Millisecond
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := testOptions(t, srv.URL)
	o.Profile.Scales = []int64{100_000} // far more than 300 ms can write

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	rep, err := Run(ctx, o)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Run = %v, want an interruption", err)
	}
	if !rep.Interrupted || rep.Written.Events == 0 {
		t.Fatalf("interrupted = %v after writing %d events", rep.Interrupted, rep.Written.Events)
	}
	if rep.Written.Events != fake.added || ledgerLines(t, o.Out) != fake.added ||
		rep.Written.Uncertain != 0 {
		t.Errorf("report says %d written (%d uncertain), ledger lists %d, server stored %d",
			rep.Written.Events, rep.Written.Uncertain, ledgerLines(t, o.Out), fake.added)
	}
}

func TestServerStopsAnswering(t *testing.T) {
	fake := newFakeMISP()
	fake.dropAdds = true
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := testOptions(t, srv.URL)
	o.Profile.Scales = []int64{1_000_000} // would take long if the tool kept going

	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Scenario != "ingest" || r.Status != StatusFailed || r.Errors["network"] == 0 {
		t.Errorf("first result = %s %s %v, want ingest failed on network errors", r.Scenario,
			r.Status, r.Errors)
	}
	// Every event sent got no answer, so every one is listed as uncertain.
	if rep.Written.Events != 0 || rep.Written.Uncertain != fake.adds {
		t.Errorf("%d written, %d uncertain; the server saw %d adds", rep.Written.Events,
			rep.Written.Uncertain, fake.adds)
	}
}

func TestAuthenticationFailureIsFatal(t *testing.T) {
	srv := httptest.NewServer(newFakeMISP())
	defer srv.Close()
	o := testOptions(t, srv.URL)
	o.Key = "WrongKey000000000000000000000000000000aa"
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "check the API key") {
		t.Errorf("Run with a wrong key = %v", err)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for us := 1; us <= 100_000; us++ {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 50 * time.Millisecond},
		{0.95, 95 * time.Millisecond},
		{0.99, 99 * time.Millisecond},
		{1, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		got := h.Quantile(tt.q)
		if d := float64(got-tt.want) / float64(tt.want); d < -0.016 || d > 0.016 {
			t.Errorf("Quantile(%v) = %v, want %v ± 1.6 %%", tt.q, got, tt.want)
		}
	}

	var small, merged Histogram
	for _, us := range []int{3, 3, 7, 100} {
		small.Record(time.Duration(us) * time.Microsecond)
	}
	if got := small.Quantile(0.5); got != 3*time.Microsecond {
		t.Errorf("exact small values: p50 = %v, want 3µs", got)
	}
	merged.Merge(&small)
	merged.Merge(&h)
	if merged.Count() != h.Count()+4 || merged.Max() != h.Max() {
		t.Errorf("merged count %d max %v", merged.Count(), merged.Max())
	}
	for i := 0; i < histBuckets; i++ {
		lo, hi := bucketRange(i)
		if bucketOf(lo) != i || bucketOf(hi-1) != i {
			t.Fatalf("bucket %d holds [%d, %d) but maps them to %d and %d", i, lo, hi,
				bucketOf(lo), bucketOf(hi-1))
		}
	}
}

func TestUnsupported(t *testing.T) {
	tests := []struct {
		name string
		o    Outcome
		want bool
	}{
		{"unknown action", Outcome{Status: 404, ErrorBody: []byte(`{"code":404}`)}, true},
		{"plain 404 page", Outcome{Status: 404, ErrorBody: []byte("404 page not found")}, true},
		{"missing event", Outcome{Status: 404, ErrorBody: []byte(`{"name":"Invalid"}`)}, false},
		{"method not allowed", Outcome{Status: 405}, true},
		{"server error", Outcome{Status: 500}, false},
		{"ok", Outcome{Status: 200}, false},
	}
	for _, tt := range tests {
		if got := tt.o.Unsupported(); got != tt.want {
			t.Errorf("%s: Unsupported() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestScale(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		text string
	}{
		{"1e5", 100_000, "1e5"},
		{"1e7", 10_000_000, "1e7"},
		{"250000", 250_000, "250,000"},
		{"4,000", 4000, "4,000"},
	}
	for _, tt := range tests {
		got, err := ParseScale(tt.in)
		if err != nil || got != tt.want || formatScale(got) != tt.text {
			t.Errorf("ParseScale(%q) = %d, %v (shown %q); want %d shown %q", tt.in, got, err,
				formatScale(got), tt.want, tt.text)
		}
	}
	for _, bad := range []string{"", "x", "0", "1.5", "-3"} {
		if _, err := ParseScale(bad); err == nil {
			t.Errorf("ParseScale(%q) accepted", bad)
		}
	}
}
