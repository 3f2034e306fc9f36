package pgtest

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) { Main(m) }

func TestURLGivesNewEmptyDatabases(t *testing.T) {
	first, second := URL(t), URL(t)
	if first == second {
		t.Fatalf("URL returned %s twice", first)
	}

	db1, err := sql.Open("pgx", first)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	if _, err := db1.Exec(`CREATE TABLE marker (id INTEGER)`); err != nil {
		t.Fatal(err)
	}

	db2, err := sql.Open("pgx", second)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var tables int
	err = db2.QueryRow(`SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = 'public'`).Scan(&tables)
	if err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("second database has %d tables, want none", tables)
	}
}

func TestEach(t *testing.T) {
	var got []string
	Each(t, func(t *testing.T, url string) {
		got = append(got, filepath.Base(t.Name()))
		if url == "" {
			t.Error("empty url")
		}
	})
	if diff := cmp.Diff([]string{"sqlite", "postgres"}, got); diff != "" {
		t.Errorf("subtests (-want +got):\n%s", diff)
	}
}

func TestRemoveStaleClusters(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{
		clusterPrefix + "dead": dead.Process.Pid,
		clusterPrefix + "live": os.Getpid(),
	}
	for name, pid := range owners {
		dir := filepath.Join(os.TempDir(), name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		owner := []byte(strconv.Itoa(pid))
		if err := os.WriteFile(filepath.Join(dir, "owner.pid"), owner, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	removeStaleClusters()

	wantKept := map[string]bool{clusterPrefix + "dead": false, clusterPrefix + "live": true}
	for name, want := range wantKept {
		_, err := os.Stat(filepath.Join(os.TempDir(), name))
		if got := err == nil; got != want {
			t.Errorf("%s kept = %v, want %v", name, got, want)
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("postgres://cairn:secret@db:5432/cairn?sslmode=disable")
	if want := "postgres://cairn:xxxxx@db:5432/cairn?sslmode=disable"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}
