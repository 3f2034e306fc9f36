package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"time"

	"github.com/cairn-project/cairn/internal/loadgen"
)

// ingest writes the generated events with events/add, bringing the dataset to the step's
// scale: first the one huge event alone, then the rest of the stream split evenly over the
// clients levels, so that each level gets a comparable mix of small and medium events.
// It measures events/s and attributes/s; latencies are also kept by size class.
type ingest struct{ results }

func (s *ingest) Name() string { return "ingest" }

func (s *ingest) Setup(ctx context.Context, env *Env) error {
	if env.Gen.Stats().Attributes >= env.Scale {
		return skip("the dataset is already at %s attributes", formatScale(env.Scale))
	}
	return nil
}

func (s *ingest) Run(ctx context.Context, env *Env, load Load) error {
	gen := env.Gen
	if huge := env.Huge; huge > 0 && int64(huge)*5 <= env.Scale-gen.Stats().Attributes {
		ev, _ := gen.Huge(huge)
		sent := false
		s.phase(ctx, env, "huge", 1, load, func() (loadgen.Event, bool) {
			if sent {
				return loadgen.Event{}, false
			}
			sent = true
			return ev, true
		})
		// A huge event that fails says nothing about the others; only a missing
		// endpoint ends the scenario here.
		if s.list[len(s.list)-1].Status == StatusUnsupported || ctx.Err() != nil {
			return nil
		}
	}

	levels := load.Clients
	for i, clients := range levels {
		target := env.Scale
		if left := len(levels) - i; left > 1 {
			target = gen.Stats().Attributes + (env.Scale-gen.Stats().Attributes)/int64(left)
		}
		s.phase(ctx, env, "mixed", clients, load, func() (loadgen.Event, bool) {
			if gen.Stats().Attributes >= target {
				return loadgen.Event{}, false
			}
			return gen.Next()
		})
		if s.stopped() || ctx.Err() != nil {
			return nil
		}
	}
	return nil
}

// phase posts the events next yields with clients concurrent clients. One goroutine
// generates, so the stream stays in seed order whatever the concurrency.
func (s *ingest) phase(ctx context.Context, env *Env, variant string, clients int, load Load,
	next func() (loadgen.Event, bool)) {
	events := make(chan loadgen.Event, clients)
	done := make(chan struct{})
	go func() {
		defer close(events)
		for {
			ev, ok := next()
			if !ok {
				return
			}
			select {
			case events <- ev:
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()

	rec := newRecorder()
	stopProgress := progress(env.Log, fmt.Sprintf("ingest %s c=%d", variant, clients), rec)
	load.Duration, load.Count = 0, 0 // the stream decides when the phase ends
	s.measure(ctx, env, s.Name(), variant, clients, load, rec,
		func(ctx context.Context, seq int) (Outcome, bool) {
			ev, ok := <-events
			if !ok {
				return Outcome{}, false
			}
			return s.post(ctx, env, rec, &ev), true
		},
		func(res *Result) {
			stopProgress()
			if res.Seconds > 0 {
				res.Rates = map[string]float64{
					"events_per_second":     float64(res.Counts["events"]) / res.Seconds,
					"attributes_per_second": float64(res.Counts["attributes"]) / res.Seconds,
				}
			}
		})
	close(done)
	for range events { // let the generator goroutine end before the next phase uses it
	}
}

// post sends one event and records its fate in the ledger.
func (s *ingest) post(ctx context.Context, env *Env, rec *Recorder, ev *loadgen.Event) Outcome {
	n := ev.AttributeCount()
	body, err := ev.MarshalBody()
	if err != nil {
		return Outcome{Failure: "encode", Err: err}
	}
	var added struct {
		Event struct {
			ID   flexID `json:"id"`
			UUID string `json:"uuid"`
		} `json:"Event"`
	}
	o := env.Client.Do(ctx, Request{Method: http.MethodPost, Path: "/events/add", Body: body,
		Read: func(r io.Reader) error { return json.NewDecoder(r).Decode(&added) }})

	switch {
	case o.OK():
		s.written(env, rec, WrittenEvent{UUID: ev.UUID, ID: string(added.Event.ID), Attributes: n})
	case o.Status == http.StatusNotFound && o.Header.Get("Location") != "" && o.Attempts > 1:
		// An earlier attempt of this request was written after all: the retry found it.
		s.written(env, rec, WrittenEvent{UUID: ev.UUID, ID: path.Base(o.Header.Get("Location")),
			Attributes: n})
		o.Status, o.Failure = http.StatusOK, ""
	case o.Status == http.StatusNotFound && o.Header.Get("Location") != "":
		o.Failure = "exists" // the UUID was on the server before this run (same --run-id)
	case o.Failure == "connect":
		// Never reached the server: certainly not written.
	case o.Status == 0 || o.Status >= 500 || o.Failure != "":
		// The body went out and no clear answer came back: the event may exist.
		_ = env.Ledger.Uncertain(ev.UUID, o.Class())
	}
	o.Label = sizeClass(n)
	return o
}

func (s *ingest) written(env *Env, rec *Recorder, ev WrittenEvent) {
	if err := env.Ledger.Written(ev); err != nil {
		fmt.Fprintf(env.Log, "ledger: %v\n", err)
	}
	rec.Count("events", 1)
	rec.Count("attributes", int64(ev.Attributes))
}

// sizeClass names the size of an event: small (< 100 attributes), medium (< 10,000),
// large.
func sizeClass(n int) string {
	switch {
	case n < 100:
		return "small"
	case n < 10_000:
		return "medium"
	}
	return "large"
}

// progress prints a line about a long phase now and then, on one terminal line when the
// output is a terminal; it returns the function that stops it.
func progress(w io.Writer, label string, rec *Recorder) (stop func()) {
	tty := isTerminal(w)
	every := 10 * time.Second
	if tty {
		every = time.Second
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				if tty {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				req, errs, attrs := rec.snapshot("attributes")
				line := fmt.Sprintf("  %s: %s events sent, %s attributes written, %s errors",
					label, formatCount(req), formatCount(attrs), formatCount(errs))
				if tty {
					fmt.Fprint(w, "\r\033[K"+line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}
