package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// run executes the cairn command with args and returns what it printed on stdout.
func run(t *testing.T, args ...string) string {
	t.Helper()
	old := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	cmd := rootCmd()
	cmd.SetArgs(args)
	err := cmd.Execute()
	w.Close()
	os.Stdout = old
	out, _ := io.ReadAll(r)
	if err != nil {
		t.Fatalf("cairn %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeFirstStart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	key := strings.Repeat("k", 40)
	t.Setenv("CAIRN_ADMIN_KEY", key)
	t.Setenv("CAIRN_LOG_LEVEL", "error")
	g := &globalFlags{listen: addr, dataDir: dir}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, g) }()

	var res *http.Response
	var err error
	for i := 0; i < 100; i++ {
		res, err = http.Get("http://" + addr + "/health")
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("server never answered: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/health: %d", res.StatusCode)
	}

	req, _ := http.NewRequest("GET", "http://"+addr+"/users/view/me.json", nil)
	req.Header.Set("Authorization", key)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Contains(body, []byte(`"admin@admin.test"`)) {
		t.Fatalf("users/view/me with CAIRN_ADMIN_KEY: %d %s", res.StatusCode, body)
	}

	res, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !bytes.Contains(metrics, []byte("cairn_http_requests_total")) {
		t.Errorf("/metrics lacks the request counter")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cairn.db")); err != nil {
		t.Errorf("no database in the data directory: %v", err)
	}
}

func TestAdminCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CAIRN_LOG_LEVEL", "error")
	db := "--data-dir=" + dir
	if out := run(t, "admin", "orgs", "add", "--name", "CIRCL", db); !strings.Contains(out, "CIRCL") {
		t.Errorf("orgs add: %q", out)
	}
	if out := run(t, "admin", "orgs", "list", db); !strings.Contains(out, "CIRCL") || !strings.Contains(out, "ORGNAME") {
		t.Errorf("orgs list: %q", out)
	}
	out := run(t, "admin", "users", "add", "--email", "a@circl.lu", "--org", "CIRCL", db)
	if !strings.Contains(out, "API key: ") {
		t.Fatalf("users add: %q", out)
	}
	if out := run(t, "admin", "users", "list", db); !strings.Contains(out, "a@circl.lu") {
		t.Errorf("users list: %q", out)
	}
	out2 := run(t, "admin", "keys", "reset", "--email", "a@circl.lu", db)
	if !strings.Contains(out2, "API key: ") || out2 == out {
		t.Errorf("keys reset: %q", out2)
	}
}
