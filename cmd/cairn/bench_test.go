package main

import (
	"strings"
	"testing"

	"github.com/cairn-project/cairn/internal/bench"
)

func TestBenchOptions(t *testing.T) {
	const pg = "postgres://postgres@127.0.0.1:5432/postgres"
	tests := []struct {
		name        string
		o           bench.Options
		databaseURL string // --database-url
		wantErr     string
		wantStart   bool
	}{
		{name: "started on SQLite", o: bench.Options{Start: true}, wantStart: true},
		{name: "started on a new PostgreSQL database", o: bench.Options{PostgresAdminURL: pg},
			wantStart: true},
		{name: "started on an empty PostgreSQL database", o: bench.Options{Start: true},
			databaseURL: pg + "_bench", wantStart: true},
		{name: "a server of one's own", o: bench.Options{URL: "http://misp", Key: "k"}},
		{name: "both servers", o: bench.Options{URL: "http://misp", PostgresAdminURL: pg},
			wantErr: "not both"},
		{name: "both databases", o: bench.Options{PostgresAdminURL: pg}, databaseURL: pg,
			wantErr: "not both"},
		{name: "SQLite as PostgreSQL", o: bench.Options{PostgresAdminURL: "/tmp/x.db"},
			wantErr: "must be postgres:// URLs"},
		{name: "SQLite path with --start", o: bench.Options{Start: true},
			databaseURL: "/tmp/x.db", wantErr: "must be postgres:// URLs"},
		{name: "no server", o: bench.Options{}, wantErr: "give --url and --key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			err := benchOptions(&o, &globalFlags{databaseURL: tt.databaseURL}, "short", "", "",
				0)
			switch {
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error = %v, want one saying %q", err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("error = %v", err)
			case o.Start != tt.wantStart || o.Start && o.DatabaseURL != tt.databaseURL:
				t.Errorf("start = %v on %q, want %v on %q", o.Start, o.DatabaseURL,
					tt.wantStart, tt.databaseURL)
			}
		})
	}
}
