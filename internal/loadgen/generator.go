// Package loadgen generates MISP-shaped events for benchmarks: deterministic for a seed,
// streamed one event at a time so that 10^7 attributes never sit in memory, and shaped like
// real feeds.
//
// Event sizes follow a log-normal draw (median a few hundred attributes, a long tail)
// clipped to [1, MaxAttributes]. About UniqueShare of the attributes carry a value never
// seen before; the others repeat a popular value of the same type, picked with a Zipf law
// among the first PoolSize values of that type, so that a few values recur in many events
// as real indicators do. Every value is valid for its type under MISP's validation and
// already in the form MISP stores, so that a search for it finds it.
//
// The generator also keeps a sample of what it wrote, for the searches of a benchmark: exact
// values that exist, and a list of IPs of which a known share exist.
package loadgen

import (
	"fmt"
	"hash/fnv"
	"iter"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cairn-project/cairn/internal/misp"
)

// Config shapes a generated dataset. A zero field takes the default named in its comment.
type Config struct {
	// Seed fixes every value, size and choice; the same seed gives the same events.
	Seed int64
	// Namespace is mixed into event UUIDs only, so that reruns of one seed against one
	// server do not collide on UUIDs while the values stay the same. Default "".
	Namespace string
	// TotalAttributes is the number of attributes of the whole stream; the last event is cut
	// to fit. Default 100,000.
	TotalAttributes int64
	// MedianAttributes is the median size of an event. Default 300.
	MedianAttributes int
	// Sigma is the spread of the log-normal size draw (the standard deviation of the log
	// of the size). Default 1.5: a quarter of the events under 100 attributes, 1 % over
	// 10,000.
	Sigma float64
	// MaxAttributes clips the size of one event. Default 100,000.
	MaxAttributes int
	// UniqueShare is the share of attributes whose value appears nowhere earlier in the
	// stream (distinct values / attributes). Default 0.87.
	UniqueShare float64
	// ZipfS is the exponent of the Zipf law that picks repeated values (> 1). Default 1.1.
	ZipfS float64
	// PoolSize is the number of popular values per type that repeats pick from. Default
	// 10,000.
	PoolSize int
	// ObjectShare is the share of attributes inside objects (file and domain-ip). Default
	// 0.1.
	ObjectShare float64
	// IPv6Share is the share of ip-src and ip-dst values that are IPv6. Default 0.05.
	IPv6Share float64
	// SampleValues is the number of existing values kept for exact searches. Default 1,000.
	SampleValues int
	// BulkIPs is the length of the IP list for bulk searches. Default 1,000.
	BulkIPs int
	// BulkHitShare is the share of BulkIPs that exist in the stream. Default 0.25.
	BulkHitShare float64
}

func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setFloat := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.TotalAttributes <= 0 {
		c.TotalAttributes = 100_000
	}
	setInt(&c.MedianAttributes, 300)
	setFloat(&c.Sigma, 1.5)
	setInt(&c.MaxAttributes, 100_000)
	setFloat(&c.UniqueShare, 0.87)
	setFloat(&c.ZipfS, 1.1)
	setInt(&c.PoolSize, 10_000)
	setFloat(&c.ObjectShare, 0.1)
	setFloat(&c.IPv6Share, 0.05)
	setInt(&c.SampleValues, 1000)
	setInt(&c.BulkIPs, 1000)
	setFloat(&c.BulkHitShare, 0.25)
	c.UniqueShare = min(c.UniqueShare, 1)
	c.ZipfS = max(c.ZipfS, 1.0001)
	return c
}

// standalone are the types of attributes outside objects, with their weights in percent.
var standalone = []struct {
	typ    string
	weight int
}{
	{"ip-dst", 18}, {"ip-src", 6}, {"domain", 13}, {"hostname", 8}, {"url", 14},
	{"md5", 9}, {"sha1", 5}, {"sha256", 10}, {"filename|sha256", 5}, {"email-src", 3},
	{"domain|ip", 4}, {"ip-dst|port", 5},
}

// objectTemplate is a misp-objects template with the attributes the generator fills.
type objectTemplate struct {
	name, metaCategory, uuid, version string
	relations                         [][2]string // object_relation, type
}

var (
	fileObject = objectTemplate{"file", "file", "688c46fb-5edb-40a3-8273-1af7923e2215", "24",
		[][2]string{{"filename", "filename"}, {"md5", "md5"}, {"sha256", "sha256"}}}
	domainIPObject = objectTemplate{"domain-ip", "network",
		"43b3b146-77eb-4931-b4cc-b66c60f28734", "11",
		[][2]string{{"domain", "domain"}, {"ip", "ip-dst"}}}
)

// fileObjectShare is the share of objects that are file objects (the rest are domain-ip).
const fileObjectShare = 0.6

// typeMeta is what the generator needs to know about one type.
type typeMeta struct {
	name     string
	category string
	toIDs    bool
}

// types holds every generated type; a type's index is its pool number.
var (
	types     []typeMeta
	typeIndex = map[string]int{}
)

func init() {
	add := func(name string) {
		if _, ok := typeIndex[name]; ok {
			return
		}
		info, ok := misp.LookupType(name)
		if !ok {
			panic("loadgen: unknown MISP type " + name)
		}
		typeIndex[name] = len(types)
		types = append(types, typeMeta{name, info.DefaultCategory, info.ToIDs})
	}
	for _, s := range standalone {
		add(s.typ)
	}
	for _, t := range []objectTemplate{fileObject, domainIPObject} {
		for _, r := range t.relations {
			add(r[1])
		}
	}
}

var (
	eventTags = []struct {
		name   string
		weight int
	}{{"tlp:green", 40}, {"tlp:amber", 25}, {"tlp:white", 15}, {"tlp:clear", 10},
		{"tlp:amber+strict", 5}, {"tlp:red", 5}}
	campaigns = []string{"Phishing wave", "Ransomware intrusion", "Banking trojan",
		"Credential harvesting", "Botnet C2", "Supply-chain compromise", "Infostealer",
		"Scanning activity", "Malspam", "Watering hole"}
	sectors = []string{"finance", "healthcare", "energy", "government", "retail",
		"telecoms", "education", "manufacturing"}
)

// attributeTagShare is the share of attributes that carry a tag of their own.
const attributeTagShare = 0.02

// maxDraws bounds the Zipf draws tried for one repeated value before a fresh one is used.
const maxDraws = 32

// poolKey names one popular value: its type and rank.
type poolKey struct {
	typ  int
	rank int
}

// Stats counts what a generator has produced so far.
type Stats struct {
	Events     int64
	Attributes int64
	Fresh      int64 // attributes whose value was new
	Repeated   int64 // attributes that repeat a popular value
}

// Generator produces the events of one dataset in order. It is not safe for concurrent use.
type Generator struct {
	cfg     Config
	rng     *rand.Rand
	values  *valueMaker
	pools   [][]string
	zipf    []*rand.Zipf
	used    map[poolKey]struct{} // popular values already in the current event
	owed    int                  // repeats that found no free popular value yet
	objectP float64              // chance that the next slot of an event is an object
	uuidKey uint64
	stats   Stats
	sampler *sampler
}

// New returns a generator for cfg.
func New(cfg Config) *Generator {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c6f616467656e)) // "loadgen"
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", cfg.Seed, cfg.Namespace)

	// An object slot yields 2.6 attributes on average; solve for the slot probability that
	// puts ObjectShare of the attributes in objects.
	avg := fileObjectShare*3 + (1-fileObjectShare)*2
	g := &Generator{
		cfg:     cfg,
		rng:     rng,
		values:  newValueMaker(cfg.Seed, cfg.IPv6Share),
		pools:   make([][]string, len(types)),
		zipf:    make([]*rand.Zipf, len(types)),
		used:    map[poolKey]struct{}{},
		objectP: cfg.ObjectShare / (avg - (avg-1)*cfg.ObjectShare),
		uuidKey: h.Sum64(),
		sampler: newSampler(cfg),
	}
	for i := range types {
		g.zipf[i] = rand.NewZipf(rng, cfg.ZipfS, 1, uint64(cfg.PoolSize-1))
	}
	return g
}

// Config returns the configuration in use, defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// Stats returns the counts so far.
func (g *Generator) Stats() Stats { return g.stats }

// Remaining is the number of attributes still to generate.
func (g *Generator) Remaining() int64 { return g.cfg.TotalAttributes - g.stats.Attributes }

// Next returns the next event of the stream, or false when TotalAttributes are out.
func (g *Generator) Next() (Event, bool) {
	if g.Remaining() <= 0 {
		return Event{}, false
	}
	return g.event(min(int64(g.drawSize()), g.Remaining())), true
}

// Huge returns an event of n attributes (fewer if the stream has fewer left), drawn from
// the same stream: a benchmark's "one huge event", whatever the size distribution says.
func (g *Generator) Huge(n int) (Event, bool) {
	if g.Remaining() <= 0 || n <= 0 {
		return Event{}, false
	}
	return g.event(min(int64(n), g.Remaining())), true
}

// Events iterates over the rest of the stream.
func (g *Generator) Events() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		for {
			ev, ok := g.Next()
			if !ok || !yield(ev) {
				return
			}
		}
	}
}

// Sample returns the values kept so far for searches (see [Sample]).
func (g *Generator) Sample() Sample { return g.sampler.sample() }

func (g *Generator) drawSize() int {
	x := math.Exp(math.Log(float64(g.cfg.MedianAttributes)) + g.cfg.Sigma*g.rng.NormFloat64())
	return int(min(max(math.Round(x), 1), float64(g.cfg.MaxAttributes)))
}

func (g *Generator) event(n int64) Event {
	idx := uint64(g.stats.Events)
	g.stats.Events++
	clear(g.used)

	hi := mix(g.uuidKey ^ idx)
	ev := Event{
		UUID: uuid4(hi, mix(hi+0x9e3779b97f4a7c15)),
		Info: fmt.Sprintf("%s against %s (loadgen %d)", campaigns[g.rng.IntN(len(campaigns))],
			sectors[g.rng.IntN(len(sectors))], idx),
		Date: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).
			AddDate(0, 0, g.rng.IntN(730)).Format(time.DateOnly),
		Distribution:  1 + g.rng.IntN(3),
		ThreatLevelID: 1 + g.rng.IntN(4),
		Analysis:      g.rng.IntN(3),
		Tag:           []Tag{{Name: g.eventTag()}},
		Attribute:     []Attribute{},
		Object:        []Object{},
	}
	for left := n; left > 0; {
		switch {
		case left >= 3 && g.rng.Float64() < g.objectP:
			tmpl := domainIPObject
			if g.rng.Float64() < fileObjectShare {
				tmpl = fileObject
			}
			ev.Object = append(ev.Object, g.object(tmpl, ev.UUID))
			left -= int64(len(tmpl.relations))
		default:
			ev.Attribute = append(ev.Attribute, g.attribute(g.standaloneType(), "", ev.UUID))
			left--
		}
	}
	g.stats.Attributes += n
	return ev
}

func (g *Generator) eventTag() string {
	r := g.rng.IntN(100)
	for _, t := range eventTags {
		if r < t.weight {
			return t.name
		}
		r -= t.weight
	}
	return eventTags[0].name
}

func (g *Generator) standaloneType() int {
	r := g.rng.IntN(100)
	for _, s := range standalone {
		if r < s.weight {
			return typeIndex[s.typ]
		}
		r -= s.weight
	}
	return typeIndex[standalone[0].typ]
}

func (g *Generator) object(t objectTemplate, uuid string) Object {
	o := Object{Name: t.name, MetaCategory: t.metaCategory, TemplateUUID: t.uuid,
		TemplateVersion: t.version, Distribution: 5,
		Attribute: make([]Attribute, 0, len(t.relations))}
	for _, r := range t.relations {
		o.Attribute = append(o.Attribute, g.attribute(typeIndex[r[1]], r[0], uuid))
	}
	return o
}

// attribute makes an attribute of type t for the event uuid.
func (g *Generator) attribute(t int, relation, uuid string) Attribute {
	m := types[t]
	v, fresh := g.value(t)
	a := Attribute{Type: m.name, Category: m.category, Value: v, ToIDs: m.toIDs,
		Distribution: 5, ObjectRelation: relation}
	if g.rng.Float64() < attributeTagShare {
		a.Tag = []Tag{{Name: g.eventTag()}}
	}
	g.sampler.observe(&a, uuid, fresh)
	return a
}

// value returns a popular value of type t not yet in the current event, or a fresh one.
// A repeat that finds no free popular value is owed and paid by a later attribute, so that
// the share of fresh values stays at UniqueShare even through huge events.
func (g *Generator) value(t int) (v string, fresh bool) {
	repeat := g.rng.Float64() >= g.cfg.UniqueShare
	if !repeat && g.owed > 0 {
		repeat = true
		g.owed--
	}
	if repeat {
		if v, ok := g.popular(t); ok {
			g.stats.Repeated++
			return v, false
		}
		g.owed++
	}

	v = g.values.fresh(types[t].name, g.rng.Uint64())
	g.stats.Fresh++
	if len(g.pools[t]) < g.cfg.PoolSize {
		g.used[poolKey{t, len(g.pools[t])}] = struct{}{}
		g.pools[t] = append(g.pools[t], v)
	}
	return v, true
}

func (g *Generator) popular(t int) (string, bool) {
	for range maxDraws {
		r := int(g.zipf[t].Uint64())
		if r >= len(g.pools[t]) {
			continue
		}
		k := poolKey{t, r}
		if _, dup := g.used[k]; dup {
			continue
		}
		g.used[k] = struct{}{}
		return g.pools[t][r], true
	}
	return "", false
}
