package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cairn-project/cairn/internal/store"
)

// childEnv makes the test binary run `cairn serve` instead of the tests (see TestMain).
const childEnv = "CAIRN_TEST_SERVE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		cmd := rootCmd()
		cmd.SetArgs([]string{"serve"})
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillDuringEventAdd kills the server (SIGKILL, no chance to clean up) at different
// moments of an events/add of 30,000 attributes, starts it again on the same data, and
// checks that each event is there whole or not at all: no attribute, correlation or tag row
// of an event that is not whole, and an acknowledged event never lost.
func TestKillDuringEventAdd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills servers")
	}
	dir := t.TempDir()
	key := strings.Repeat("c", 40)
	const n = 30_000
	var sent []string
	acked := map[string]bool{}
	for round, delay := range []time.Duration{50, 200, 400, 700, 1000, 1500} {
		addr := freeAddr(t)
		srv := startChild(t, dir, addr, key)
		u := uuid.NewString()
		sent = append(sent, u)
		body := bigEvent(u, n, round)
		res := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", "http://"+addr+"/events/add", bytes.NewReader(body))
			req.Header.Set("Authorization", key)
			req.Header.Set("Accept", "application/json")
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				res <- 0
				return
			}
			r.Body.Close()
			res <- r.StatusCode
		}()
		time.Sleep(delay * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		if status := <-res; status == 200 {
			acked[u] = true
		}
	}

	// A last start, so that the server opens the data after the last kill, as an operator's
	// restart would.
	addr := freeAddr(t)
	srv := startChild(t, dir, addr, key)
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	whole := 0
	for _, u := range sent {
		var id, count int64
		err := db.QueryRowContext(ctx, `SELECT id, attribute_count FROM events WHERE uuid = $1`,
			u).Scan(&id, &count)
		if err != nil {
			if acked[u] {
				t.Errorf("event %s was acknowledged, then lost: %v", u, err)
			}
			continue
		}
		var attrs, corr int64
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM attributes WHERE event_id = $1`, id).Scan(&attrs)
		db.QueryRowContext(ctx, `SELECT COUNT(*) FROM correlations WHERE event_id = $1`, id).Scan(&corr)
		if attrs != n || count != n || corr == 0 {
			t.Errorf("event %s is not whole: %d attributes, attribute_count %d, %d correlation rows",
				u, attrs, count, corr)
		}
		whole++
	}
	for _, table := range []string{"attributes", "correlations", "attribute_tags", "event_tags"} {
		var orphans int64
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table+
			` WHERE event_id NOT IN (SELECT id FROM events)`).Scan(&orphans)
		if err != nil || orphans != 0 {
			t.Errorf("%s: %d rows of no event (%v)", table, orphans, err)
		}
	}
	t.Logf("%d of %d events whole after the kills, %d acknowledged; none partial",
		whole, len(sent), len(acked))
}

// startChild starts `cairn serve` on dir in a process of its own and waits for /health.
func startChild(t *testing.T, dir, addr, key string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"=1", "CAIRN_LISTEN="+addr, "CAIRN_DATA_DIR="+dir,
		"CAIRN_ADMIN_KEY="+key, "CAIRN_LOG_LEVEL=error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 200 {
		if r, err := http.Get("http://" + addr + "/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return cmd
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the server never answered /health")
	return nil
}

// bigEvent is an event of n attributes whose values are those of round, and repeat across
// rounds every other one, so that events correlate.
func bigEvent(u string, n, round int) []byte {
	attrs := make([]map[string]any, n)
	for i := range attrs {
		k := i
		if i%2 == 1 {
			k = round*n + i
		}
		attrs[i] = map[string]any{"type": "ip-dst", "uuid": uuid.NewString(),
			"value": fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255)}
	}
	body, _ := json.Marshal(map[string]any{"Event": map[string]any{"uuid": u,
		"info": "killed while adding", "Attribute": attrs,
		"Tag": []any{map[string]any{"name": "tlp:green"}}}})
	return body
}
