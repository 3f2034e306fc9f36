package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cairn-project/cairn/internal/api"
	"github.com/cairn-project/cairn/internal/bench"
)

func benchCmd(g *globalFlags) *cobra.Command {
	var (
		o                                     bench.Options
		profile, scales, scenarios, cleanupOf string
		duration                              time.Duration
	)
	c := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark a MISP-compatible server, or a Cairn it starts, with generated events",
		Long: `Bench drives any server that speaks MISP's REST API (--url, --key) or, with --start,
a Cairn it runs itself on a free loopback port with a temporary SQLite database. With
--start-postgres-url that Cairn runs on PostgreSQL instead, in a database the tool creates
on that server and drops at the end; --database-url names an empty database to use instead.
It writes generated MISP events, then measures ingest, authentication, event views,
searches and correlations, and writes results.json, report.md, report.html and SVG charts
to --out.

Every event the server acknowledges is listed in <out>/events-written.tsv as it happens;
--cleanup deletes them at the end, --cleanup-from deletes those of an earlier run.

--check makes the run fail (exit status 1) when any request failed or timed out, a scenario
did not run, an answer held less than the data written, or an event written is not whole
on the server when read back. It never judges speed.

Scenarios: ` + strings.Join(bench.ScenarioNames(), ", ") + `.`,
		Example: `  cairn bench --start --profile short --out bench-out
  cairn bench --start-postgres-url postgres://postgres@localhost/postgres --check
  CAIRN_BENCH_KEY=<key> cairn bench --url https://misp.example --profile short --cleanup`,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			var finished atomic.Bool
			go func() {
				<-ctx.Done()
				stop() // a second Ctrl-C ends the process at once
				if !finished.Load() {
					fmt.Fprintln(os.Stderr, "\ninterrupted: letting the requests in flight "+
						"finish so that every write is accounted for (Ctrl-C again to quit now)")
				}
			}()
			defer finished.Store(true)

			if o.Key == "" {
				o.Key = os.Getenv("CAIRN_BENCH_KEY")
			}
			if cleanupOf != "" {
				return benchCleanup(ctx, o, cleanupOf)
			}
			if err := benchOptions(&o, g, profile, scales, scenarios, duration); err != nil {
				return err
			}
			_, err := bench.Run(ctx, o)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&o.URL, "url", "", "base URL of the server under test")
	f.StringVar(&o.Key, "key", "", "API key allowed to add and delete events (CAIRN_BENCH_KEY)")
	f.BoolVar(&o.Start, "start", false, "start a Cairn (this binary) for the benchmark")
	f.StringVar(&o.PostgresAdminURL, "start-postgres-url", "", "start a Cairn on a new "+
		"database of this PostgreSQL server (a role that may create databases); implies --start")
	f.BoolVar(&o.Check, "check", false, "fail when any request failed, a scenario did not "+
		"run or written data is not whole on the server (not judging speed)")
	f.StringVar(&profile, "profile", "short", "short (10^5 attributes, minutes) or long (to 10^7)")
	f.StringVar(&scales, "scale", "", "dataset sizes in attributes: 1e5, or 1e5,1e6,1e7")
	f.StringVar(&scenarios, "scenarios", "", "comma-separated scenarios to run (default all)")
	f.DurationVar(&duration, "duration", 0, "time per variant of the read scenarios")
	f.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "per-request timeout")
	f.IntVar(&o.Retries, "retries", 0, "extra attempts after a timeout, network error or 5xx")
	f.Int64Var(&o.Seed, "seed", 1, "seed of the generated data")
	f.StringVar(&o.RunID, "run-id", "", "mixed into event UUIDs (default random: no collisions)")
	f.StringVar(&o.Out, "out", "bench-out", "directory for results, reports and the event ledger")
	f.BoolVar(&o.Cleanup, "cleanup", false, "delete the events this run wrote when it ends")
	f.StringVar(&cleanupOf, "cleanup-from", "", "delete the events of a ledger file, then exit")
	f.BoolVar(&o.Insecure, "insecure", false, "accept any TLS certificate")
	f.IntVar(&o.ServerPID, "server-pid", 0, "process id of a local server, to sample its memory")
	return c
}

func benchOptions(o *bench.Options, g *globalFlags, profile, scales, scenarios string,
	duration time.Duration) error {
	p, ok := bench.Profiles()[profile]
	if !ok {
		return fmt.Errorf("unknown profile %q (short or long)", profile)
	}
	if scales != "" {
		p.Scales = nil
		for _, s := range strings.Split(scales, ",") {
			n, err := bench.ParseScale(s)
			if err != nil {
				return err
			}
			p.Scales = append(p.Scales, n)
		}
		slices.Sort(p.Scales)
	}
	if duration > 0 {
		for name, l := range p.Loads {
			if l.Duration > 0 {
				l.Duration = duration
				p.Loads[name] = l
			}
		}
	}
	o.Profile = p
	if scenarios != "" {
		for _, s := range strings.Split(scenarios, ",") {
			if !slices.Contains(bench.ScenarioNames(), s) {
				return fmt.Errorf("unknown scenario %q (%s)", s,
					strings.Join(bench.ScenarioNames(), ", "))
			}
			o.Scenarios = append(o.Scenarios, s)
		}
	}

	if o.PostgresAdminURL != "" {
		o.Start = true
	}
	switch {
	case o.Start && o.URL != "":
		return errors.New("give either --start (or --start-postgres-url) or --url, not both")
	case o.Start && o.PostgresAdminURL != "" && g.databaseURL != "":
		return errors.New("give either --start-postgres-url (a server to create a database " +
			"in) or --database-url (an empty database), not both")
	case o.Start:
		o.DatabaseURL = g.databaseURL
		for _, u := range []string{o.DatabaseURL, o.PostgresAdminURL} {
			if u != "" && !strings.HasPrefix(u, "postgres://") &&
				!strings.HasPrefix(u, "postgresql://") {
				return errors.New("with --start, --database-url and --start-postgres-url " +
					"must be postgres:// URLs (SQLite runs in a temporary directory)")
			}
		}
	case o.URL == "" || o.Key == "":
		return errors.New("give --url and --key (or CAIRN_BENCH_KEY), or --start")
	}
	if o.RunID == "" {
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		o.RunID = hex.EncodeToString(b)
	}
	o.Version = api.Version
	return nil
}

func benchCleanup(ctx context.Context, o bench.Options, path string) error {
	if o.URL == "" || o.Key == "" {
		return errors.New("--cleanup-from needs --url and --key (or CAIRN_BENCH_KEY)")
	}
	uuids, err := bench.ReadLedgerFile(path)
	if err != nil {
		return err
	}
	c := bench.NewClient(bench.ClientOptions{URL: o.URL, Key: o.Key, Timeout: o.Timeout,
		Retries: o.Retries, Insecure: o.Insecure, MaxConns: 4})
	res := bench.Cleanup(ctx, c, uuids, os.Stderr)
	fmt.Printf("%d events listed: %d deleted, %d absent, %d failed\n", len(uuids),
		res.Deleted, res.Absent, res.Failed)
	if res.Failed > 0 {
		return fmt.Errorf("%d events could not be deleted", res.Failed)
	}
	return nil
}
