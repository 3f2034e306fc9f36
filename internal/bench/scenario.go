package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cairn-project/cairn/internal/loadgen"
)

// A Scenario is one kind of load. A new capability of the server gets a new Scenario and
// a line in [scenarios]; the driver, the reports and the other scenarios stay as they are.
//
// A scenario value lives for one scale step: it is made, set up, run once, and its results
// are collected.
type Scenario interface {
	// Name is the scenario's name in flags, profiles and reports.
	Name() string
	// Setup prepares the scenario against the data written so far. An error wrapping
	// ErrSkip skips the scenario, with the error's text as the reason.
	Setup(ctx context.Context, env *Env) error
	// Run drives the load: each level of load.Clients in turn, for load.Duration or
	// load.Count requests.
	Run(ctx context.Context, env *Env, load Load) error
	// Results returns one Result per variant run (clients level, size class...).
	Results() []Result
}

// scenarios lists the scenarios in the order they run at each scale step. Ingest comes
// first: it writes the data the others read.
var scenarios = []func() Scenario{
	func() Scenario { return &ingest{} },
	func() Scenario { return &authRate{} },
	func() Scenario { return &view{} },
	func() Scenario { return &searchExact{} },
	func() Scenario { return &searchBulk{} },
	func() Scenario { return &related{} },
}

// ScenarioNames returns the names of all scenarios, in run order.
func ScenarioNames() []string {
	var names []string
	for _, s := range scenarios {
		names = append(names, s().Name())
	}
	return names
}

// ErrSkip marks a scenario that has nothing to do at this step.
var ErrSkip = errors.New("skipped")

func skip(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSkip, fmt.Sprintf(format, args...))
}

// Env is what the scenarios of one scale step share.
type Env struct {
	Client *Client
	Gen    *loadgen.Generator // the dataset's stream, read by ingest only
	Sample loadgen.Sample     // search values, taken after this step's ingest
	Ledger *Ledger
	Scale  int64 // attributes this step brings the dataset to
	Huge   int   // attributes of this step's huge event; 0 for none
	PID    int   // the server's process, for memory; 0 when unknown
	Log    io.Writer
}

// results keeps a scenario's results; scenarios embed it.
type results struct{ list []Result }

func (r *results) Results() []Result { return r.list }

// measure runs one variant with clients clients, the server's memory sampled meanwhile,
// and keeps and prints its result. finish, if not nil, completes the result first.
func (r *results) measure(ctx context.Context, env *Env, name, variant string, clients int,
	load Load, rec *Recorder, w work, finish func(*Result)) Result {
	mem := watchMemory(env.PID)
	drive(ctx, clients, load.Duration, load.Count, rec, w)
	res := rec.result(name, variant, clients)
	res.Memory = mem.Stop()
	res.Scale, res.DatasetAttributes = env.Scale, env.Ledger.Attributes()
	switch {
	case res.Status == StatusUnsupported:
		res.Note = "not supported by this server (it answered 404/405)"
	case res.Status == StatusOK && ctx.Err() != nil:
		res.Status, res.Note = StatusInterrupted, "interrupted before the end of the load"
	}
	if finish != nil {
		finish(&res)
	}
	r.list = append(r.list, res)
	fmt.Fprintln(env.Log, resultLine(res))
	return res
}

// stopped reports whether the last result says the endpoint does not exist or the
// server stopped answering: either way the next variants would learn nothing.
func (r *results) stopped() bool {
	if len(r.list) == 0 {
		return false
	}
	s := r.list[len(r.list)-1].Status
	return s == StatusUnsupported || s == StatusFailed
}

// Profile is a named set of scales and loads.
type Profile struct {
	Name string `json:"name"`
	// Scales are the dataset sizes, in attributes, at which every scenario runs. The
	// dataset grows from one to the next.
	Scales []int64 `json:"scales"`
	// Huge is the size of the one huge event ingested at each step, cut to a fifth of the
	// step's new attributes; 0 for none.
	Huge int `json:"huge_event_attributes"`
	// Median is the median event size of the generator; 0 for its default.
	Median int `json:"median_event_attributes,omitempty"`
	// Loads are the loads by scenario name.
	Loads map[string]Load `json:"loads"`
}

// Profiles are the built-in profiles. "short" finishes in a minute or two on a 2-core
// machine, server included, and is what CI runs; "long" goes to 10^7 attributes.
func Profiles() map[string]Profile {
	loads := func(d time.Duration) map[string]Load {
		return map[string]Load{
			"ingest":       {Clients: []int{1, 4, 16}},
			"auth-rate":    {Clients: []int{1, 16, 64}, Duration: d},
			"view":         {Clients: []int{4}, Duration: d},
			"search-exact": {Clients: []int{1, 8}, Duration: d},
			"search-bulk":  {Clients: []int{1, 4}, Duration: d},
			"related":      {Clients: []int{1}, Duration: d},
		}
	}
	return map[string]Profile{
		"short": {Name: "short", Scales: []int64{100_000}, Huge: 20_000,
			Loads: loads(5 * time.Second)},
		"long": {Name: "long", Scales: []int64{100_000, 1_000_000, 10_000_000}, Huge: 100_000,
			Loads: loads(20 * time.Second)},
	}
}

// load returns the profile's load for a scenario, one client for 5 seconds if it has none.
func (p Profile) load(name string) Load {
	if l, ok := p.Loads[name]; ok && len(l.Clients) > 0 {
		return l
	}
	return Load{Clients: []int{1}, Duration: 5 * time.Second}
}
