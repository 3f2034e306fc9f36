// Package pgtest gives tests databases of their own: a brand-new PostgreSQL database per call of
// [URL], a SQLite file per call of [SQLitePath], and [Each] to run a test on both.
//
// The PostgreSQL server is, in order of preference:
//   - the one whose admin URL is in CAIRN_TEST_POSTGRES_URL (a postgres:// URL of a role that
//     may create databases), as .ci/run sets it;
//   - else one throw-away cluster per test process, started with the initdb and postgres found
//     under /usr/lib/postgresql/*/bin or on PATH, in a temporary directory, on a free loopback
//     port, as the postgres user when the tests run as root. Packages that use it call [Main]
//     from TestMain so that it is stopped and removed at the end; should the process die
//     first, the server gets SIGQUIT from the kernel and the next run removes its directory;
//   - else none: the tests skip, unless CAIRN_REQUIRE_POSTGRES is set, where they fail.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// The environment variables that pgtest reads.
const (
	EnvURL     = "CAIRN_TEST_POSTGRES_URL"
	EnvRequire = "CAIRN_REQUIRE_POSTGRES"
)

// The server of this test process, found or started by the first call of URL.
var (
	serverMu  sync.Mutex
	server    *pgServer
	serverErr error
)

// pgServer is a PostgreSQL server that tests create their databases in.
type pgServer struct {
	adminURL string
	admin    *sql.DB
	cluster  *cluster // nil unless this process started the server
	drops    sync.WaitGroup
}

// drop drops a test's database in the background: it takes longer than creating one, and the
// next test need not wait for it. [Main] waits for the drops before the process ends.
func (s *pgServer) drop(name string) {
	s.drops.Go(func() {
		// FORCE ends the connections a test left open (PostgreSQL 13 and later).
		_, err := s.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: drop database %s: %v\n", name, err)
		}
	})
}

// URL returns the URL of a new, empty PostgreSQL database that is dropped when the test ends.
// Its name is random, so tests may run in parallel.
// It skips the test when no PostgreSQL can be had and CAIRN_REQUIRE_POSTGRES is unset.
func URL(t testing.TB) string {
	t.Helper()
	s, err := getServer()
	if errors.Is(err, errNoPostgres) && os.Getenv(EnvRequire) == "" {
		t.Skip("PostgreSQL not available: set " + EnvURL + " or install PostgreSQL")
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}

	name := "cairn_test_" + randomHex(8)
	if _, err := s.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() { s.drop(name) })

	u, err := url.Parse(s.adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// SQLitePath returns the path of a SQLite database file, not yet created, in a directory that
// is removed when the test ends.
func SQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "cairn.db")
}

// Each runs fn as the subtests "sqlite" and "postgres", with the URL of a new database of
// that dialect. The postgres subtest skips as [URL] does.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLitePath(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, URL(t)) })
}

// Main runs the tests of a package, waits until their databases are dropped, stops the
// PostgreSQL cluster that they started, if any, and exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func getServer() (*pgServer, error) {
	serverMu.Lock()
	defer serverMu.Unlock()
	if server == nil && serverErr == nil {
		server, serverErr = findServer()
	}
	return server, serverErr
}

func findServer() (*pgServer, error) {
	if admin := os.Getenv(EnvURL); admin != "" {
		return connect(admin, nil)
	}
	c, err := startCluster()
	if err != nil {
		return nil, err
	}
	s, err := connect(c.adminURL(), c)
	if err != nil {
		c.stop()
		return nil, err
	}
	return s, nil
}

// connect opens the admin pool of a server and waits, up to 30 seconds, until it answers.
func connect(adminURL string, c *cluster) (*pgServer, error) {
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(adminURL), err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = admin.Ping()
		if err == nil {
			return &pgServer{adminURL: adminURL, admin: admin, cluster: c}, nil
		}
		if c != nil && c.exited() {
			admin.Close()
			return nil, fmt.Errorf("PostgreSQL exited while starting: %v\n%s", err, c.logTail())
		}
		if time.Now().After(deadline) {
			admin.Close()
			return nil, fmt.Errorf("PostgreSQL at %s does not answer: %w", redact(adminURL), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops and removes the cluster this process started, if any.
func stop() error {
	serverMu.Lock()
	defer serverMu.Unlock()
	if server == nil {
		return nil
	}
	server.drops.Wait()
	server.admin.Close()
	var err error
	if server.cluster != nil {
		err = server.cluster.stop()
	}
	server, serverErr = nil, errors.New("the PostgreSQL server was stopped")
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// redact hides the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
