package bench

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/loadgen"
	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// cleanReport is a run in which every scenario ran without a failure.
func cleanReport() *Report {
	rep := &Report{
		Generated: loadgen.Stats{Events: 2, Attributes: 30},
		Written:   LedgerSummary{Events: 2, Attributes: 30, UncertainFile: "u.tsv"},
		Verified:  &VerifyResult{Events: 2, Whole: 2},
	}
	for _, name := range ScenarioNames() {
		rep.Results = append(rep.Results, Result{Scenario: name, Variant: "v", Scale: 1000,
			Clients: 1, Status: StatusOK, Requests: 10, OK: 10, Errors: map[string]int64{}})
	}
	return rep
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name     string
		selected []string
		change   func(rep *Report)
		want     []string // fragments of the problems, one per problem
	}{
		{name: "clean run", change: func(*Report) {}},
		{
			name: "timeouts and server errors",
			change: func(rep *Report) {
				r := &rep.Results[3]
				r.Requests, r.Errors = 12, map[string]int64{"timeout": 1, "500": 1}
			},
			want: []string{"search-exact v at 1e3, 1 client: 2 of 12 requests failed " +
				"(500×1, timeout×1)"},
		},
		{
			name: "failed variant",
			change: func(rep *Report) {
				r := &rep.Results[1]
				r.Status, r.Note = StatusFailed, "no request succeeded"
				r.OK, r.Errors = 0, map[string]int64{"network": 10}
			},
			want: []string{"auth-rate v at 1e3, 1 client: failed: no request succeeded",
				"10 of 10 requests failed (network×10)", "auth-rate: never ran"},
		},
		{
			name: "answers that miss written data",
			change: func(rep *Report) {
				rep.Results[4].Note = "found 3 of the 5 listed IPs this run wrote"
			},
			want: []string{"search-bulk v at 1e3, 1 client: found 3 of the 5"},
		},
		{
			name: "endpoint missing",
			change: func(rep *Report) {
				rep.Results[5].Status = StatusUnsupported
			},
			want: []string{"related v at 1e3, 1 client: unsupported", "related: never ran"},
		},
		{
			name: "scenario skipped",
			change: func(rep *Report) {
				rep.Results[2] = Result{Scenario: "view", Scale: 1000, Status: StatusSkipped,
					Note: "no events written by this run"}
			},
			want: []string{"view: never ran (skipped: no events written by this run)"},
		},
		{
			name:     "scenarios not selected are not expected",
			selected: []string{"auth-rate"},
			change:   func(rep *Report) { rep.Results = rep.Results[1:2] },
		},
		{
			name: "data left half-written",
			change: func(rep *Report) {
				rep.Generated = loadgen.Stats{Events: 3, Attributes: 40}
				rep.Written.Uncertain = 1
				rep.Verified = &VerifyResult{Events: 2, Whole: 1,
					Incomplete: []string{"u1: 9 of 10 attributes"}}
			},
			want: []string{"generated 3 events (40 attributes), the server acknowledged 2 " +
				"(30 attributes)", "1 events got no clear answer and may exist",
				"of 2 written events read back, 1 incomplete (u1: 9 of 10 attributes)"},
		},
		{
			name: "interrupted, cleanup failed",
			change: func(rep *Report) {
				rep.Interrupted = true
				rep.Cleanup = &CleanupResult{Deleted: 1, Failed: 1}
			},
			want: []string{"interrupted", "cleanup: 1 events could not be deleted"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := cleanReport()
			tt.change(rep)
			got := Check(rep, tt.selected)
			if got.Passed != (len(tt.want) == 0) || len(got.Problems) != len(tt.want) {
				t.Fatalf("Check = %+v, want %d problems: %q", got, len(tt.want), tt.want)
			}
			for i, want := range tt.want {
				if !strings.Contains(got.Problems[i], want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got.Problems[i], want)
				}
			}
		})
	}
}

func TestCheckedRunPasses(t *testing.T) {
	fake := newFakeMISP()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	o := testOptions(t, srv.URL)
	o.Check = true

	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run with Check on a clean server = %v", err)
	}
	want := &VerifyResult{Events: fake.added, Whole: fake.added}
	if diff := cmp.Diff(want, rep.Verified); diff != "" || fake.added == 0 {
		t.Errorf("verified (-want +got), %d events added:\n%s", fake.added, diff)
	}
	if rep.Check == nil || !rep.Check.Passed {
		t.Errorf("check = %+v", rep.Check)
	}
}

func TestCheckedRunFails(t *testing.T) {
	tests := []struct {
		name string
		fake *fakeMISP
		want []string // fragments of the error
	}{
		{"server errors", &fakeMISP{failEvery: 4},
			[]string{"check failed", "requests failed (500×", "got no clear answer"}},
		{"events not whole", &fakeMISP{partialView: true},
			[]string{"check failed, 1 problems", "incomplete (", " attributes"}},
		{"slow correlations", &fakeMISP{slowRelated: 400 * time.Millisecond},
			[]string{"related", "timeout×"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fake.events, tt.fake.ids = map[string]*loadgen.Event{}, map[string]string{}
			srv := httptest.NewServer(tt.fake)
			defer srv.Close()
			o := testOptions(t, srv.URL)
			o.Timeout = 200 * time.Millisecond
			o.Check = true

			rep, err := Run(context.Background(), o)
			if err == nil {
				t.Fatal("Run with Check passed")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%v", want, err)
				}
			}
			if rep == nil || rep.Check == nil || rep.Check.Passed {
				t.Fatalf("report's check = %+v", rep)
			}
			checkFiles(t, o.Out) // the reports are written all the same
		})
	}
}

func TestPostgresDatabase(t *testing.T) {
	ctx := context.Background()
	admin := pgtest.URL(t) // any database of the server: the role may create databases
	d, err := CreatePostgresDatabase(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.Name, "cairn_bench_") || !strings.Contains(d.URL, "/"+d.Name) {
		t.Errorf("database %q at %q", d.Name, redactURL(d.URL))
	}
	if err := CheckPostgresEmpty(ctx, d.URL); err != nil {
		t.Errorf("a new database: %v", err)
	}
	err = withPostgres(ctx, d.URL, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, "CREATE TABLE events (id int)")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPostgresEmpty(ctx, d.URL); err == nil ||
		!strings.Contains(err.Error(), "not empty (1 tables)") {
		t.Errorf("a database with a table: %v", err)
	}

	if err := d.Drop(); err != nil {
		t.Fatal(err)
	}
	var n int
	err = withPostgres(ctx, admin, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1",
			d.Name).Scan(&n)
	})
	if err != nil || n != 0 {
		t.Errorf("after Drop: %d databases named %s (%v)", n, d.Name, err)
	}

	if _, err := CreatePostgresDatabase(ctx, "/var/lib/cairn.db"); err == nil {
		t.Error("a SQLite path taken for a PostgreSQL server")
	}
}
