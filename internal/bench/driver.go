package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Load says how hard a scenario drives the server: each level of Clients in turn, for
// Duration or for Count requests, whichever ends first (a zero one does not apply).
type Load struct {
	Clients  []int         `json:"clients"`
	Duration time.Duration `json:"duration"`
	Count    int           `json:"count,omitempty"`
}

// work performs request number seq of a variant; false means there is no more work.
type work func(ctx context.Context, seq int) (Outcome, bool)

// drive runs clients goroutines that call w until the load is done, the work runs out,
// the server turns out not to support the endpoint, or ctx is cancelled. Requests in
// flight when ctx is cancelled finish (within the client's timeout), so that a write is
// never left unaccounted for.
func drive(ctx context.Context, clients int, d time.Duration, count int, rec *Recorder, w work) {
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	reqCtx := context.WithoutCancel(ctx)
	var next atomic.Int64
	var wg sync.WaitGroup
	rec.begin()
	for range max(clients, 1) {
		wg.Go(func() {
			for ctx.Err() == nil && !rec.unsupported.Load() && !rec.broken.Load() {
				if !deadline.IsZero() && time.Now().After(deadline) {
					return
				}
				seq := int(next.Add(1) - 1)
				if count > 0 && seq >= count {
					return
				}
				o, ok := w(reqCtx, seq)
				if !ok {
					return
				}
				rec.AddAs(o, o.Label)
			}
		})
	}
	wg.Wait()
	rec.finish()
}

// unsupportedAfter is the number of "no such endpoint" answers, with no success, after
// which a scenario stops and reports the endpoint as not supported.
const unsupportedAfter = 3

// brokenAfter is the number of requests in a row without any answer after which a
// variant stops: the server is down, and going on would only burn generated data.
const brokenAfter = 20

// Recorder collects the outcomes of one variant. It is safe for concurrent use.
type Recorder struct {
	mu          sync.Mutex
	hist        Histogram
	by          map[string]*Histogram
	requests    int64
	ok          int64
	errors      map[string]int64
	counts      map[string]int64
	noEndpoint  int64
	noAnswer    int64 // in a row
	unsupported atomic.Bool
	broken      atomic.Bool
	start, stop time.Time
}

func newRecorder() *Recorder {
	return &Recorder{by: map[string]*Histogram{}, errors: map[string]int64{},
		counts: map[string]int64{}}
}

func (r *Recorder) begin() {
	r.mu.Lock()
	r.start = time.Now()
	r.mu.Unlock()
}

func (r *Recorder) finish() {
	r.mu.Lock()
	r.stop = time.Now()
	r.mu.Unlock()
}

// Add records an outcome. Latencies are those of successes only; failures are counted by
// class.
func (r *Recorder) Add(o Outcome) { r.AddAs(o, "") }

// AddAs records an outcome and files its latency under label too (a size class).
func (r *Recorder) AddAs(o Outcome, label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if o.Status == 0 {
		if r.noAnswer++; r.noAnswer >= brokenAfter {
			r.broken.Store(true)
		}
	} else {
		r.noAnswer = 0
	}
	if !o.OK() {
		r.errors[o.Class()]++
		if o.Unsupported() {
			r.noEndpoint++
			if r.ok == 0 && r.noEndpoint >= unsupportedAfter {
				r.unsupported.Store(true)
			}
		}
		return
	}
	r.ok++
	r.hist.Record(o.Elapsed)
	if label != "" {
		h := r.by[label]
		if h == nil {
			h = &Histogram{}
			r.by[label] = h
		}
		h.Record(o.Elapsed)
	}
}

// Count adds n to a named counter (events, attributes, hits...).
func (r *Recorder) Count(name string, n int64) {
	r.mu.Lock()
	r.counts[name] += n
	r.mu.Unlock()
}

// Max raises a named counter to n.
func (r *Recorder) Max(name string, n int64) {
	r.mu.Lock()
	r.counts[name] = max(r.counts[name], n)
	r.mu.Unlock()
}

// snapshot returns the requests, errors and a counter so far, for progress lines.
func (r *Recorder) snapshot(counter string) (requests, errs, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.requests - r.ok, r.counts[counter]
}

// Result is what one variant of a scenario measured.
type Result struct {
	Scenario string `json:"scenario"`
	Variant  string `json:"variant,omitempty"`
	// Scale is the nominal size of the dataset in attributes (the step of the run);
	// DatasetAttributes is what this run had written when the variant ran.
	Scale             int64  `json:"scale"`
	DatasetAttributes int64  `json:"dataset_attributes"`
	Clients           int    `json:"clients"`
	Status            string `json:"status"` // ok, unsupported, skipped, failed, interrupted
	Note              string `json:"note,omitempty"`

	Requests   int64            `json:"requests"`
	OK         int64            `json:"ok"`
	Errors     map[string]int64 `json:"errors"` // by HTTP status or "timeout", "network"...
	Seconds    float64          `json:"seconds"`
	Throughput float64          `json:"requests_per_second"` // successes per second
	// Rates are per-second figures besides requests: events and attributes for ingest.
	Rates  map[string]float64 `json:"rates,omitempty"`
	Counts map[string]int64   `json:"counts,omitempty"`

	Latency   Latency            `json:"latency_ms"`
	LatencyBy map[string]Latency `json:"latency_ms_by,omitempty"`
	Memory    *Memory            `json:"server_memory,omitempty"`
}

// Status values of a Result.
const (
	StatusOK          = "ok"
	StatusUnsupported = "unsupported"
	StatusSkipped     = "skipped"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// Latency summarises a histogram, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func latencyOf(h *Histogram) Latency {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return Latency{P50: ms(h.Quantile(0.50)), P95: ms(h.Quantile(0.95)),
		P99: ms(h.Quantile(0.99)), Max: ms(h.Max()), Mean: ms(h.Mean())}
}

// result turns what was recorded into a Result.
func (r *Recorder) result(scenario, variant string, clients int) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := Result{Scenario: scenario, Variant: variant, Clients: clients, Status: StatusOK,
		Requests: r.requests, OK: r.ok, Errors: map[string]int64{},
		Counts: map[string]int64{}, Latency: latencyOf(&r.hist)}
	for k, v := range r.errors {
		res.Errors[k] = v
	}
	for k, v := range r.counts {
		res.Counts[k] = v
	}
	if secs := r.stop.Sub(r.start).Seconds(); secs > 0 {
		res.Seconds = secs
		res.Throughput = float64(r.ok) / secs
	}
	if len(r.by) > 0 {
		res.LatencyBy = map[string]Latency{}
		for k, h := range r.by {
			res.LatencyBy[k] = latencyOf(h)
		}
	}
	switch {
	case r.unsupported.Load() || r.ok == 0 && r.noEndpoint > 0 && r.noEndpoint == r.requests:
		res.Status = StatusUnsupported
	case r.broken.Load():
		res.Status = StatusFailed
		res.Note = fmt.Sprintf("stopped after %d requests in a row got no answer", brokenAfter)
	case r.ok == 0 && r.requests > 0:
		res.Status, res.Note = StatusFailed, "no request succeeded"
	}
	return res
}
