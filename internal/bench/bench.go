// Package bench is Cairn's load tool: it drives any server that speaks MISP's REST API
// over HTTP with data from package loadgen, measures throughput, latency percentiles and,
// for a local server, memory, and writes results.json, report.md and report.html with SVG
// charts.
//
// A run grows a dataset through the profile's scales; at each one every scenario runs
// (see [Scenario]). Every event written is recorded in a ledger file as soon as the server
// acknowledges it, so an interrupted run says exactly what it left behind, and Cleanup can
// delete it. A run made with Options.Check reads its events back and fails on any error or
// incomplete data, never on speed: that is how CI runs it.
package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/loadgen"
)

// Options configure a run.
type Options struct {
	// URL and Key name the server and an API key (a site admin's, or a user allowed to
	// add and delete events). Ignored with Start.
	URL, Key string
	// Start runs a Cairn for the benchmark instead (see StartCairn), on a temporary
	// SQLite database unless one of the two PostgreSQL options is set.
	Start  bool
	Binary string // the cairn binary for Start; empty means this program
	// DatabaseURL is an empty PostgreSQL database for Start (postgres://...). Start
	// refuses one that holds tables.
	DatabaseURL string
	// PostgresAdminURL reaches a PostgreSQL server with a role allowed to create
	// databases. Start creates a database of its own there and drops it at the end.
	PostgresAdminURL string

	Profile   Profile
	Scenarios []string // names to run; empty runs all
	Seed      int64
	RunID     string // mixed into event UUIDs so that reruns against one server differ
	Timeout   time.Duration
	Retries   int
	Insecure  bool
	Cleanup   bool // delete the events this run wrote at the end
	// Check reads back every written event, then judges the run with [Check]: Run
	// returns an error when anything failed. Speed is not judged.
	Check     bool
	ServerPID int // a local server's process, to read its memory; set by Start
	Out       string
	Log       io.Writer // progress and results as they come; os.Stderr if nil
	Version   string    // the tool's version, for the report
}

// Report is everything a run measured; it is written as results.json.
type Report struct {
	Tool        string         `json:"tool"`
	Started     time.Time      `json:"started"`
	Finished    time.Time      `json:"finished"`
	Target      Target         `json:"target"`
	Server      ServerInfo     `json:"server"`
	Machine     Machine        `json:"machine"`
	Profile     Profile        `json:"profile"`
	Seed        int64          `json:"seed"`
	RunID       string         `json:"run_id"`
	Generated   loadgen.Stats  `json:"generated"`
	Written     LedgerSummary  `json:"written"`
	Cleanup     *CleanupResult `json:"cleanup,omitempty"`
	Interrupted bool           `json:"interrupted"`
	Results     []Result       `json:"results"`
	Verified    *VerifyResult  `json:"verified,omitempty"` // with Options.Check
	Check       *CheckResult   `json:"check,omitempty"`    // with Options.Check
}

// Target is the server under test.
type Target struct {
	URL      string `json:"url"`
	Started  bool   `json:"started_by_bench"`
	Database string `json:"database,omitempty"`
}

// Machine describes where the tool ran.
type Machine struct {
	CPUs int    `json:"cpus"`
	CPU  string `json:"cpu_model,omitempty"`
	OS   string `json:"os"`
	Arch string `json:"arch"`
	Go   string `json:"go"`
}

// Run benchmarks the server and writes the reports to o.Out. It returns the report even
// when interrupted (ctx cancelled), together with an error saying so.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Log == nil {
		o.Log = os.Stderr
	}
	if len(o.Profile.Scales) == 0 {
		return nil, errors.New("bench: the profile has no scales")
	}
	if err := os.MkdirAll(o.Out, 0o750); err != nil {
		return nil, fmt.Errorf("bench: output directory: %w", err)
	}
	rep := &Report{Tool: strings.TrimSpace("cairn bench " + o.Version), Started: time.Now(),
		Profile: o.Profile, Seed: o.Seed, RunID: o.RunID, Machine: thisMachine(),
		Target: Target{URL: o.URL}}

	if o.Start {
		stop, err := startServer(ctx, &o, rep)
		if err != nil {
			return nil, err
		}
		defer stop()
	}

	client := NewClient(ClientOptions{URL: o.URL, Key: o.Key, Timeout: o.Timeout,
		Retries: o.Retries, Insecure: o.Insecure, MaxConns: maxClients(o.Profile)})
	info, out := client.Version(ctx)
	if !out.OK() {
		return nil, fmt.Errorf("bench: servers/getVersion at %s: %s%s", o.URL, out.Class(),
			versionHint(out))
	}
	rep.Server = info
	fmt.Fprintf(o.Log, "server %s: MISP API %s %s\n", o.URL, info.Version, info.CairnVersion)

	ledger, err := OpenLedger(o.Out)
	if err != nil {
		return nil, err
	}
	defer ledger.Close()
	gen := loadgen.New(loadgen.Config{Seed: o.Seed, Namespace: o.RunID,
		TotalAttributes: slices.Max(o.Profile.Scales), MedianAttributes: o.Profile.Median})

	rep.Results = runSteps(ctx, o, &Env{Client: client, Gen: gen, Ledger: ledger,
		Huge: o.Profile.Huge, PID: o.ServerPID, Log: o.Log})

	rep.Generated, rep.Written = gen.Stats(), ledger.Summary()
	rep.Interrupted = ctx.Err() != nil
	if o.Check && !rep.Interrupted {
		fmt.Fprintf(o.Log, "reading back the %d events written\n", rep.Written.Events)
		v := Verify(ctx, client, ledger.Events())
		rep.Verified = &v
		fmt.Fprintf(o.Log, "  %d of %d events whole on the server\n", v.Whole, v.Events)
	}
	rep.Finished = time.Now()
	if o.Cleanup {
		// note: the cleanup runs even after an interrupt, which is when it matters most.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Minute)
		res := Cleanup(cctx, client, ledger.UUIDs(), o.Log)
		cancel()
		rep.Cleanup = &res
		fmt.Fprintf(o.Log, "cleanup: %d events deleted, %d absent, %d failed\n",
			res.Deleted, res.Absent, res.Failed)
	}
	if o.Check {
		c := Check(rep, o.Scenarios)
		rep.Check = &c
	}
	if err := WriteReports(o.Out, rep); err != nil {
		return rep, err
	}
	fmt.Fprintln(o.Log, writtenLine(rep))
	fmt.Fprintf(o.Log, "reports in %s\n", o.Out)
	if rep.Interrupted {
		return rep, fmt.Errorf("bench: interrupted; %s", writtenLine(rep))
	}
	if c := rep.Check; c != nil {
		if !c.Passed {
			return rep, fmt.Errorf("bench: check failed, %d problems:\n  - %s", len(c.Problems),
				strings.Join(c.Problems, "\n  - "))
		}
		fmt.Fprintln(o.Log, "check passed: no errors, every scenario ran, every event written "+
			"is whole on the server")
	}
	return rep, nil
}

// startServer starts the Cairn of a run, on a database of its own, and points o at it. The
// function it returns stops the server and drops a database the tool created.
func startServer(ctx context.Context, o *Options, rep *Report) (stop func(), err error) {
	dbURL, database := o.DatabaseURL, "SQLite (temporary)"
	var created *PostgresDatabase
	switch {
	case o.PostgresAdminURL != "" && o.DatabaseURL != "":
		return nil, errors.New("bench: give a PostgreSQL database or a server to create " +
			"one in, not both")
	case o.PostgresAdminURL != "":
		if created, err = CreatePostgresDatabase(ctx, o.PostgresAdminURL); err != nil {
			return nil, err
		}
		dbURL = created.URL
		database = "PostgreSQL (database " + created.Name + ", created for the run and dropped)"
		fmt.Fprintf(o.Log, "created PostgreSQL database %s\n", created.Name)
	case o.DatabaseURL != "":
		if err := CheckPostgresEmpty(ctx, o.DatabaseURL); err != nil {
			return nil, err
		}
		database = "PostgreSQL"
	}
	drop := func() {
		if created == nil {
			return
		}
		if err := created.Drop(); err != nil {
			fmt.Fprintf(o.Log, "%v\n", err)
		} else {
			fmt.Fprintf(o.Log, "dropped PostgreSQL database %s\n", created.Name)
		}
	}

	srv, err := StartCairn(ctx, StartOptions{Binary: o.Binary, DatabaseURL: dbURL,
		LogPath: filepath.Join(o.Out, "server.log"), Ready: time.Minute})
	if err != nil {
		drop()
		return nil, err
	}
	o.URL, o.Key, o.ServerPID = srv.URL, srv.Key, srv.PID
	rep.Target = Target{URL: srv.URL, Started: true, Database: database}
	fmt.Fprintf(o.Log, "started cairn serve (pid %d) at %s\n", srv.PID, srv.URL)
	return func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintf(o.Log, "stopping cairn: %v\n", err)
		}
		drop()
	}, nil
}

// runSteps runs the selected scenarios at each scale and returns all results.
func runSteps(ctx context.Context, o Options, env *Env) []Result {
	var all []Result
	unsupported := map[string]bool{}
	for _, scale := range o.Profile.Scales {
		env.Scale = scale
		fmt.Fprintf(o.Log, "== scale %s attributes\n", formatScale(scale))
		for _, mk := range scenarios {
			if ctx.Err() != nil {
				return all
			}
			s := mk()
			name := s.Name()
			if len(o.Scenarios) > 0 && !slices.Contains(o.Scenarios, name) {
				continue
			}
			if name != "ingest" {
				env.Sample = env.Gen.Sample()
			}
			if unsupported[name] {
				all = append(all, note(env, name, StatusUnsupported,
					"not supported by this server (found at a smaller scale)"))
				continue
			}
			all = append(all, runScenario(ctx, o, env, s)...)
			if r := all[len(all)-1]; r.Scenario == name && r.Status == StatusUnsupported {
				unsupported[name] = true
			}
		}
	}
	return all
}

func runScenario(ctx context.Context, o Options, env *Env, s Scenario) []Result {
	name := s.Name()
	if err := s.Setup(ctx, env); err != nil {
		status := StatusFailed
		if errors.Is(err, ErrSkip) {
			status = StatusSkipped
		}
		r := note(env, name, status, strings.TrimPrefix(err.Error(), ErrSkip.Error()+": "))
		return []Result{r}
	}
	err := s.Run(ctx, env, o.Profile.load(name))
	res := s.Results()
	if err != nil {
		res = append(res, note(env, name, StatusFailed, err.Error()))
	}
	return res
}

// note is the result of a scenario that did not run, printed as it is made.
func note(env *Env, name, status, text string) Result {
	r := Result{Scenario: name, Scale: env.Scale, DatasetAttributes: env.Ledger.Attributes(),
		Status: status, Note: text, Errors: map[string]int64{}}
	fmt.Fprintln(env.Log, resultLine(r))
	return r
}

func versionHint(o Outcome) string {
	switch {
	case o.Status == 403:
		return " (authentication failed: check the API key)"
	case o.Err != nil:
		return ": " + o.Err.Error()
	}
	return ""
}

func writtenLine(rep *Report) string {
	w := rep.Written
	s := fmt.Sprintf("this run wrote %s events (%s attributes) to %s; their UUIDs are in %s",
		formatCount(int64(w.Events)), formatCount(w.Attributes), rep.Target.URL, w.WrittenFile)
	if w.Uncertain > 0 {
		s += fmt.Sprintf("; %d more got no clear answer and may exist (%s)", w.Uncertain,
			w.UncertainFile)
	}
	if rep.Cleanup != nil {
		s += fmt.Sprintf("; cleanup deleted %d", rep.Cleanup.Deleted)
	}
	return s
}

func maxClients(p Profile) int {
	n := 1
	for _, l := range p.Loads {
		for _, c := range l.Clients {
			n = max(n, c)
		}
	}
	return n
}

func thisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok &&
				strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
