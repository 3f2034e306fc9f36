package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// PostgresDatabase is a database that the tool created for a Cairn it starts.
type PostgresDatabase struct {
	Name     string
	URL      string // the new database's URL, for the server
	adminURL string
}

// CreatePostgresDatabase creates an empty database, named cairn_bench_ and random hex, on
// the PostgreSQL server that adminURL reaches with a role allowed to create databases.
// The benchmark never sees any other database of that server; Drop removes the new one.
func CreatePostgresDatabase(ctx context.Context, adminURL string) (*PostgresDatabase, error) {
	u, err := postgresURL(adminURL)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	d := &PostgresDatabase{Name: "cairn_bench_" + hex.EncodeToString(b), adminURL: adminURL}
	u.Path, u.RawPath = "/"+d.Name, ""
	d.URL = u.String()

	err = withPostgres(ctx, adminURL, func(db *sql.DB) error {
		_, err := db.ExecContext(ctx, "CREATE DATABASE "+d.Name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bench: create database %s at %s: %w", d.Name,
			redactURL(adminURL), err)
	}
	return d, nil
}

// Drop drops the database, ending any connection still open to it. It runs even when the
// run was interrupted, so it takes no context of the run's.
func (d *PostgresDatabase) Drop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := withPostgres(ctx, d.adminURL, func(db *sql.DB) error {
		// FORCE ends the connections of a server that had to be killed (PostgreSQL 13+).
		_, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d.Name+" WITH (FORCE)")
		return err
	})
	if err != nil {
		return fmt.Errorf("bench: drop database %s: %w", d.Name, err)
	}
	return nil
}

// CheckPostgresEmpty refuses a database that holds any table outside PostgreSQL's own
// schemas. A started Cairn sets its admin key on first start only, and the benchmark must
// never write among someone's data.
func CheckPostgresEmpty(ctx context.Context, databaseURL string) error {
	if _, err := postgresURL(databaseURL); err != nil {
		return err
	}
	var tables int
	err := withPostgres(ctx, databaseURL, func(db *sql.DB) error {
		return db.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables
			WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`).Scan(&tables)
	})
	if err != nil {
		return fmt.Errorf("bench: check database %s: %w", redactURL(databaseURL), err)
	}
	if tables > 0 {
		return fmt.Errorf("bench: database %s is not empty (%d tables): --start needs an "+
			"empty one; give --start-postgres-url instead to have the tool create and drop "+
			"a database of its own", redactURL(databaseURL), tables)
	}
	return nil
}

func withPostgres(ctx context.Context, databaseURL string, fn func(*sql.DB) error) error {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return err
	}
	return fn(db)
}

// postgresURL parses a postgres:// or postgresql:// URL.
func postgresURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	scheme := strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
	if err != nil || !scheme {
		return nil, fmt.Errorf("bench: %s is not a postgres:// URL", redactURL(s))
	}
	return u, nil
}

// redactURL hides the password of a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
