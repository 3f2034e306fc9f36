package loadgen

import (
	"math/rand/v2"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
)

// SampleValue is a value to search for. EventUUID names the event that holds it, or is
// empty for a value the stream never contains.
type SampleValue struct {
	Type      string `json:"type"`
	Value     string `json:"value"`
	EventUUID string `json:"event_uuid,omitempty"`
}

// Exists reports whether the stream holds the value.
func (v SampleValue) Exists() bool { return v.EventUUID != "" }

// Sample is what a benchmark searches for once the events are written.
type Sample struct {
	// Values are exact values that exist, picked uniformly among all attributes generated
	// so far (popular values are therefore picked more often). For a composite type the
	// value is its first part: restSearch matches value1 or value2, never the joined form.
	Values []SampleValue
	// IPs is a list of BulkIPs addresses in a fixed random order. BulkHitShare of them are
	// ip-src or ip-dst values of the stream (EventUUID set); the others come from
	// 185.0.0.0/8, which the generator never uses.
	IPs []SampleValue
}

// sampler keeps uniform reservoirs of the attributes it observes.
type sampler struct {
	seed   int64
	rng    *rand.Rand // its own source, so sampling never shifts the event stream
	values reservoir
	ips    reservoir
	bulk   int
}

type reservoir struct {
	items []SampleValue
	size  int
	seen  int64
}

func (r *reservoir) add(rng *rand.Rand, v SampleValue) {
	r.seen++
	if len(r.items) < r.size {
		r.items = append(r.items, v)
		return
	}
	if j := rng.Int64N(r.seen); j < int64(r.size) {
		r.items[j] = v
	}
}

func newSampler(cfg Config) *sampler {
	hits := int(float64(cfg.BulkIPs)*cfg.BulkHitShare + 0.5)
	return &sampler{
		seed:   cfg.Seed,
		rng:    rand.New(rand.NewPCG(uint64(cfg.Seed), 0x73616d706c65)), // "sample"
		values: reservoir{size: cfg.SampleValues},
		ips:    reservoir{size: min(hits, cfg.BulkIPs)},
		bulk:   cfg.BulkIPs,
	}
}

// observe offers one attribute of the event uuid to the reservoirs; fresh says its value
// is new, which keeps the IP list free of duplicates.
func (s *sampler) observe(a *Attribute, uuid string, fresh bool) {
	v := a.Value
	if misp.IsComposite(a.Type) {
		v, _, _ = strings.Cut(v, "|")
	}
	sv := SampleValue{Type: a.Type, Value: v, EventUUID: uuid}
	s.values.add(s.rng, sv)
	if fresh && (a.Type == "ip-src" || a.Type == "ip-dst") {
		s.ips.add(s.rng, sv)
	}
}

// sample builds the sample from the reservoirs; the misses and the order of the IP list
// depend on the seed only, so two calls at one point of the stream agree.
func (s *sampler) sample() Sample {
	out := Sample{Values: append([]SampleValue(nil), s.values.items...)}
	out.IPs = append(out.IPs, s.ips.items...)
	key := mix(uint64(s.seed) ^ 0x6d697373) // "miss"
	for i := uint64(0); len(out.IPs) < s.bulk; i++ {
		out.IPs = append(out.IPs, SampleValue{Type: "ip-dst", Value: missIPv4(i, key)})
	}
	rng := rand.New(rand.NewPCG(uint64(s.seed), 0x6f72646572)) // "order"
	rng.Shuffle(len(out.IPs), func(i, j int) { out.IPs[i], out.IPs[j] = out.IPs[j], out.IPs[i] })
	return out
}
