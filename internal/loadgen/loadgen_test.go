package loadgen

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/misp"
)

// collect runs a generator to its end and returns its events.
func collect(g *Generator) []Event {
	var evs []Event
	for ev := range g.Events() {
		evs = append(evs, ev)
	}
	return evs
}

func TestDeterministicBySeed(t *testing.T) {
	cfg := Config{Seed: 7, TotalAttributes: 20_000, MedianAttributes: 50}
	marshal := func(evs []Event) []byte {
		var b bytes.Buffer
		for i := range evs {
			body, err := evs[i].MarshalBody()
			if err != nil {
				t.Fatal(err)
			}
			b.Write(body)
		}
		return b.Bytes()
	}

	a, b := New(cfg), New(cfg)
	first, second := marshal(collect(a)), marshal(collect(b))
	if !bytes.Equal(first, second) {
		t.Fatal("two generators with one seed gave different events")
	}
	if diff := cmp.Diff(a.Sample(), b.Sample()); diff != "" {
		t.Fatalf("samples differ (-first +second):\n%s", diff)
	}

	cfg.Seed = 8
	if other := marshal(collect(New(cfg))); bytes.Equal(first, other) {
		t.Fatal("seeds 7 and 8 gave the same events")
	}

	// The namespace changes the event UUIDs and nothing else.
	cfg.Seed, cfg.Namespace = 7, "run-2"
	c := collect(New(cfg))
	d := collect(New(Config{Seed: 7, TotalAttributes: 20_000, MedianAttributes: 50}))
	if c[0].UUID == d[0].UUID {
		t.Error("the namespace did not change the UUIDs")
	}
	c[0].UUID = d[0].UUID
	if diff := cmp.Diff(d[0], c[0]); diff != "" {
		t.Errorf("the namespace changed more than the UUID (-want +got):\n%s", diff)
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		median float64
	}{
		{"median 100", Config{Seed: 1, TotalAttributes: 300_000, MedianAttributes: 100}, 100},
		{"median 300", Config{Seed: 2, TotalAttributes: 600_000}, 300},
		{"clipped", Config{Seed: 3, TotalAttributes: 100_000, MedianAttributes: 100,
			MaxAttributes: 150}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(tt.cfg)
			evs := collect(g)
			var sizes []int
			var total int64
			for i := range evs {
				n := evs[i].AttributeCount()
				total += int64(n)
				sizes = append(sizes, n)
			}
			if got, want := total, g.Config().TotalAttributes; got != want {
				t.Errorf("total attributes = %d, want %d", got, want)
			}
			if got := g.Stats().Attributes; got != total {
				t.Errorf("Stats().Attributes = %d, counted %d", got, total)
			}

			sizes = sizes[:len(sizes)-1] // the last event is cut to fit the total
			slices.Sort(sizes)
			if max := sizes[len(sizes)-1]; max > g.Config().MaxAttributes {
				t.Errorf("largest event %d > MaxAttributes %d", max, g.Config().MaxAttributes)
			}
			if sizes[0] < 1 {
				t.Errorf("smallest event has %d attributes", sizes[0])
			}
			got := float64(sizes[len(sizes)/2])
			if got < tt.median*0.85 || got > tt.median*1.15 {
				t.Errorf("median size = %v over %d events, want %v ± 15 %%", got, len(sizes),
					tt.median)
			}
		})
	}
}

func TestLongTail(t *testing.T) {
	g := New(Config{Seed: 4, TotalAttributes: 2_000_000})
	var large, n int
	for ev := range g.Events() {
		n++
		if ev.AttributeCount() >= 10_000 {
			large++
		}
	}
	// With median 300 and sigma 1.5, about 1 % of events pass 10,000 attributes.
	if share := float64(large) / float64(n); share < 0.003 || share > 0.03 {
		t.Errorf("%d of %d events have 10,000 attributes or more (%.2f %%), want about 1 %%",
			large, n, 100*share)
	}
}

func TestUniqueShareAndZipf(t *testing.T) {
	g := New(Config{Seed: 5, TotalAttributes: 300_000, MedianAttributes: 200})
	counts := map[string]int{}
	var total int
	for ev := range g.Events() {
		inEvent := map[string]bool{}
		ev.Attributes(func(a *Attribute) {
			key := a.Type + " " + a.Value
			if inEvent[key] {
				t.Fatalf("event %s holds %s twice; MISP would refuse it", ev.UUID, key)
			}
			inEvent[key] = true
			counts[a.Value]++
			total++
		})
	}

	if share := float64(len(counts)) / float64(total); math.Abs(share-0.87) > 0.01 {
		t.Errorf("distinct values / attributes = %.4f, want 0.87 ± 0.01", share)
	}
	if got := g.Stats(); got.Fresh != int64(len(counts)) {
		t.Errorf("Stats().Fresh = %d, distinct values = %d", got.Fresh, len(counts))
	}

	// The repeats follow a Zipf law over each type's pool of popular values. A value shows
	// at most once per event, which flattens the very top ranks, so compare the mean
	// repeats per rank in two bands further down with what the law predicts.
	band := func(lo, hi int) (mean, law float64) {
		n := 0
		for _, pool := range g.pools {
			for r := lo; r < hi && r < len(pool); r++ {
				mean += float64(counts[pool[r]] - 1)
				n++
			}
		}
		for r := lo; r < hi; r++ {
			law += math.Pow(float64(r+1), -1.1)
		}
		return mean / float64(n), law / float64(hi-lo)
	}
	high, highLaw := band(10, 20)
	low, lowLaw := band(100, 200)
	got, want := high/low, highLaw/lowLaw
	if got < want*0.7 || got > want*1.3 {
		t.Errorf("mean repeats at ranks 10-19 / ranks 100-199 = %.1f / %.1f = %.2f, "+
			"want %.2f ± 30 %%", high, low, got, want)
	}
}

func TestValuesValidForTheirType(t *testing.T) {
	g := New(Config{Seed: 6, TotalAttributes: 60_000, MedianAttributes: 100})
	seenTypes := map[string]int{}
	evs := collect(g)
	huge, ok := New(Config{Seed: 6, TotalAttributes: 5000}).Huge(5000)
	if !ok || huge.AttributeCount() != 5000 {
		t.Fatalf("Huge(5000) gave %d attributes", huge.AttributeCount())
	}
	evs = append(evs, huge)

	for i := range evs {
		ev := &evs[i]
		if ev.Info == "" || ev.Distribution < 1 || ev.Distribution > 3 ||
			len(ev.Tag) != 1 || !strings.HasPrefix(ev.Tag[0].Name, "tlp:") {
			t.Fatalf("event %d: bad metadata %+v", i, ev.Tag)
		}
		ev.Attributes(func(a *Attribute) {
			seenTypes[a.Type]++
			got, category, err := misp.CheckAttribute(a.Type, a.Category, a.Value)
			if err != nil {
				t.Fatalf("%s %q refused: %v", a.Type, a.Value, err)
			}
			if got != a.Value || category != a.Category {
				t.Fatalf("%s %q is stored as %q in %q; want it unchanged in %q", a.Type,
					a.Value, got, category, a.Category)
			}
		})
		for _, o := range ev.Object {
			if o.Name != "file" && o.Name != "domain-ip" {
				t.Fatalf("unexpected object %q", o.Name)
			}
		}
	}

	want := []string{"domain", "domain|ip", "email-src", "filename", "filename|sha256",
		"hostname", "ip-dst", "ip-dst|port", "ip-src", "md5", "sha1", "sha256", "url"}
	var got []string
	for typ := range seenTypes {
		got = append(got, typ)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("generated types (-want +got):\n%s", diff)
	}
	if ipv6 := countIPv6(evs); ipv6 == 0 {
		t.Error("no IPv6 value generated")
	}
}

func countIPv6(evs []Event) int {
	n := 0
	for i := range evs {
		evs[i].Attributes(func(a *Attribute) {
			if strings.HasPrefix(a.Type, "ip-") && strings.Contains(a.Value, ":") {
				n++
			}
		})
	}
	return n
}

func TestEventJSONShape(t *testing.T) {
	g := New(Config{Seed: 9, TotalAttributes: 1000, ObjectShare: 0.5})
	ev, _ := g.Next()
	body, err := ev.MarshalBody()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Event map[string]json.RawMessage
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"uuid", "info", "date", "distribution", "threat_level_id",
		"analysis", "Tag", "Attribute", "Object"} {
		if _, ok := doc.Event[key]; !ok {
			t.Errorf("Event has no %q member", key)
		}
	}
	for _, key := range []string{"Orgc", "org_id", "id", "timestamp"} {
		if _, ok := doc.Event[key]; ok {
			t.Errorf("Event has %q, which the server sets", key)
		}
	}
}

func TestSample(t *testing.T) {
	cfg := Config{Seed: 10, TotalAttributes: 50_000, MedianAttributes: 100}
	g := New(cfg)
	values := map[string]string{} // value or part -> an event holding it
	for ev := range g.Events() {
		ev.Attributes(func(a *Attribute) {
			for _, part := range strings.Split(a.Value, "|") {
				values[part] = ev.UUID
			}
		})
	}

	s := g.Sample()
	if len(s.Values) != 1000 {
		t.Errorf("%d sample values, want 1000", len(s.Values))
	}
	for _, v := range s.Values {
		if _, ok := values[v.Value]; !ok || !v.Exists() {
			t.Fatalf("sample value %+v is not in the stream", v)
		}
	}

	if len(s.IPs) != 1000 {
		t.Fatalf("%d bulk IPs, want 1000", len(s.IPs))
	}
	hits := 0
	listed := map[string]bool{}
	for _, ip := range s.IPs {
		if listed[ip.Value] {
			t.Fatalf("bulk IP %s listed twice", ip.Value)
		}
		listed[ip.Value] = true
		_, inStream := values[ip.Value]
		if inStream != ip.Exists() {
			t.Fatalf("bulk IP %+v: in stream = %v", ip, inStream)
		}
		if ip.Exists() {
			hits++
		}
	}
	if hits != 250 {
		t.Errorf("%d bulk IPs exist, want 250", hits)
	}
}
