package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/cairn-project/cairn/internal/loadgen"
)

// authRate measures authenticated round trips: GET servers/getVersion over keep-alive
// connections, which costs the key check and little else.
type authRate struct{ results }

func (s *authRate) Name() string                              { return "auth-rate" }
func (s *authRate) Setup(ctx context.Context, env *Env) error { return nil }

func (s *authRate) Run(ctx context.Context, env *Env, load Load) error {
	req := Request{Method: http.MethodGet, Path: "/servers/getVersion"}
	for _, clients := range load.Clients {
		s.measure(ctx, env, s.Name(), "getVersion", clients, load, newRecorder(),
			func(ctx context.Context, seq int) (Outcome, bool) {
				return env.Client.Do(ctx, req), true
			}, nil)
		if s.stopped() || ctx.Err() != nil {
			break
		}
	}
	return nil
}

// viewPick is the number of events per size class that view cycles through.
const viewPick = 100

// view measures events/view of the events this run wrote, by size class.
type view struct {
	results
	classes map[string][]WrittenEvent
}

func (s *view) Name() string { return "view" }

func (s *view) Setup(ctx context.Context, env *Env) error {
	s.classes = map[string][]WrittenEvent{}
	for _, ev := range env.Ledger.Events() {
		c := sizeClass(ev.Attributes)
		if len(s.classes[c]) < viewPick {
			s.classes[c] = append(s.classes[c], ev)
		}
	}
	if len(s.classes) == 0 {
		return skip("no events written by this run")
	}
	return nil
}

func (s *view) Run(ctx context.Context, env *Env, load Load) error {
	for _, class := range []string{"small", "medium", "large"} {
		evs := s.classes[class]
		if len(evs) == 0 {
			continue
		}
		for _, clients := range load.Clients {
			rec := newRecorder()
			s.measure(ctx, env, s.Name(), class, clients, load, rec,
				func(ctx context.Context, seq int) (Outcome, bool) {
					ev := evs[seq%len(evs)]
					o := env.Client.Do(ctx, Request{Method: http.MethodGet,
						Path: "/events/view/" + eventRef(ev)})
					if o.OK() {
						rec.Count("bytes", o.Bytes)
						rec.Count("attributes", int64(ev.Attributes))
					}
					return o, true
				}, nil)
			if s.stopped() || ctx.Err() != nil {
				return nil
			}
		}
	}
	return nil
}

// eventRef is how a path names an event: its id when the server gave one, else its UUID
// (MISP takes both, reference Q12).
func eventRef(ev WrittenEvent) string {
	if ev.ID != "" {
		return ev.ID
	}
	return ev.UUID
}

// attributeSearch is the answer of attributes/restSearch in JSON.
type attributeSearch struct {
	Response struct {
		Attribute []struct {
			Value string `json:"value"`
		} `json:"Attribute"`
	} `json:"response"`
}

func restSearchBody(value any) []byte {
	b, _ := json.Marshal(map[string]any{"returnFormat": "json", "value": value})
	return b
}

// searchExact measures attributes/restSearch by one exact value, cycling through values
// of the sample. It counts the searches that found something, and those that should have
// (the value's event was written).
type searchExact struct {
	results
	values []loadgen.SampleValue
}

func (s *searchExact) Name() string { return "search-exact" }

func (s *searchExact) Setup(ctx context.Context, env *Env) error {
	s.values = env.Sample.Values
	if len(s.values) == 0 {
		return skip("no generated values to search for")
	}
	return nil
}

func (s *searchExact) Run(ctx context.Context, env *Env, load Load) error {
	for _, clients := range load.Clients {
		rec := newRecorder()
		s.measure(ctx, env, s.Name(), "1 value", clients, load, rec,
			func(ctx context.Context, seq int) (Outcome, bool) {
				v := s.values[seq%len(s.values)]
				var found attributeSearch
				o := env.Client.Do(ctx, Request{Method: http.MethodPost,
					Path: "/attributes/restSearch", Body: restSearchBody(v.Value),
					Read: func(r io.Reader) error { return json.NewDecoder(r).Decode(&found) }})
				if o.OK() {
					if len(found.Response.Attribute) > 0 {
						rec.Count("hits", 1)
					}
					if env.Ledger.Has(v.EventUUID) {
						rec.Count("expected_hits", 1)
					}
					rec.Count("attributes_returned", int64(len(found.Response.Attribute)))
				}
				return o, true
			}, hitNote)
		if s.stopped() || ctx.Err() != nil {
			break
		}
	}
	return nil
}

// hitNote flags searches that found less than the data written holds.
func hitNote(res *Result) {
	if res.Counts["hits"] < res.Counts["expected_hits"] {
		res.Note = fmt.Sprintf("%d searches found nothing for a value this run wrote",
			res.Counts["expected_hits"]-res.Counts["hits"])
	}
}

// searchBulk measures attributes/restSearch with the sample's list of IPs in one request
// ("have we seen any of these?"), and checks that every IP this run wrote is found.
type searchBulk struct {
	results
	body     []byte
	ips      map[string]bool
	expected int64
}

func (s *searchBulk) Name() string { return "search-bulk" }

func (s *searchBulk) Setup(ctx context.Context, env *Env) error {
	if len(env.Sample.IPs) == 0 {
		return skip("no generated IPs to search for")
	}
	values := make([]string, 0, len(env.Sample.IPs))
	s.ips = map[string]bool{}
	for _, ip := range env.Sample.IPs {
		values = append(values, ip.Value)
		s.ips[ip.Value] = true
		if env.Ledger.Has(ip.EventUUID) {
			s.expected++
		}
	}
	s.body = restSearchBody(values)
	return nil
}

func (s *searchBulk) Run(ctx context.Context, env *Env, load Load) error {
	variant := strconv.Itoa(len(s.ips)) + " values"
	for _, clients := range load.Clients {
		rec := newRecorder()
		rec.Max("expected_values_found", s.expected)
		s.measure(ctx, env, s.Name(), variant, clients, load, rec,
			func(ctx context.Context, seq int) (Outcome, bool) {
				var found attributeSearch
				o := env.Client.Do(ctx, Request{Method: http.MethodPost,
					Path: "/attributes/restSearch", Body: s.body,
					Read: func(r io.Reader) error { return json.NewDecoder(r).Decode(&found) }})
				if o.OK() {
					matched := map[string]bool{}
					for _, a := range found.Response.Attribute {
						if s.ips[a.Value] {
							matched[a.Value] = true
						}
					}
					rec.Max("values_found", int64(len(matched)))
					rec.Max("attributes_returned", int64(len(found.Response.Attribute)))
				}
				return o, true
			},
			func(res *Result) {
				if res.OK > 0 && res.Counts["values_found"] < s.expected {
					res.Note = fmt.Sprintf("found %d of the %d listed IPs this run wrote",
						res.Counts["values_found"], s.expected)
				}
			})
		if s.stopped() || ctx.Err() != nil {
			break
		}
	}
	return nil
}

// related measures events/view of the largest event with includeGranularCorrelations:1,
// which makes the server work out the related events and attributes.
type related struct {
	results
	largest WrittenEvent
}

func (s *related) Name() string { return "related" }

func (s *related) Setup(ctx context.Context, env *Env) error {
	evs := env.Ledger.Events()
	if len(evs) == 0 {
		return skip("no events written by this run")
	}
	s.largest = slices.MaxFunc(evs, func(a, b WrittenEvent) int {
		return a.Attributes - b.Attributes
	})
	return nil
}

func (s *related) Run(ctx context.Context, env *Env, load Load) error {
	variant := formatCount(int64(s.largest.Attributes)) + " attributes"
	req := Request{Method: http.MethodGet,
		Path: "/events/view/" + eventRef(s.largest) + "/includeGranularCorrelations:1"}
	for _, clients := range load.Clients {
		rec := newRecorder()
		s.measure(ctx, env, s.Name(), variant, clients, load, rec,
			func(ctx context.Context, seq int) (Outcome, bool) {
				var doc struct {
					Event struct {
						RelatedEvent []json.RawMessage `json:"RelatedEvent"`
					} `json:"Event"`
				}
				r := req
				r.Read = func(r io.Reader) error { return json.NewDecoder(r).Decode(&doc) }
				o := env.Client.Do(ctx, r)
				if o.OK() {
					rec.Max("related_events", int64(len(doc.Event.RelatedEvent)))
					rec.Count("bytes", o.Bytes)
				}
				return o, true
			}, nil)
		if s.stopped() || ctx.Err() != nil {
			break
		}
	}
	return nil
}
