package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// StartOptions say how to start a Cairn for a benchmark.
type StartOptions struct {
	// Binary is the cairn executable; empty means this program (os.Executable).
	Binary string
	// DatabaseURL is a postgres:// URL; empty means SQLite in a temporary data directory.
	// A PostgreSQL database must be empty: the admin key below is set on first start only.
	DatabaseURL string
	// LogPath receives the server's output.
	LogPath string
	// Ready bounds the wait for GET /health.
	Ready time.Duration
}

// Server is a Cairn started by the benchmark.
type Server struct {
	URL     string
	Key     string
	PID     int
	DataDir string
	cmd     *exec.Cmd
	exited  chan error
	log     *os.File
}

// StartCairn runs `cairn serve` on a free loopback port, with a temporary data directory
// and a generated site-admin key, and waits until GET /health answers 200.
func StartCairn(ctx context.Context, o StartOptions) (*Server, error) {
	bin := o.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bench: find the cairn binary: %w", err)
		}
		bin = exe
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cairn-bench-")
	if err != nil {
		return nil, err
	}
	db := o.DatabaseURL
	if db == "" {
		db = filepath.Join(dir, "cairn.db")
	}
	s := &Server{URL: "http://" + addr, Key: generateKey(), DataDir: dir,
		exited: make(chan error, 1)}

	if s.log, err = os.Create(o.LogPath); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: server log: %w", err)
	}
	// Every setting that decides where data goes is set here, so that an inherited
	// CAIRN_DATABASE_URL can never point the benchmark at someone's real database.
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(os.Environ(),
		"CAIRN_LISTEN="+addr,
		"CAIRN_DATA_DIR="+dir,
		"CAIRN_DATABASE_URL="+db,
		"CAIRN_BASE_URL="+s.URL,
		"CAIRN_ADMIN_KEY="+s.Key,
		"CAIRN_LOG_LEVEL=warn",
	)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.log.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("bench: start %s serve: %w", bin, err)
	}
	s.PID = s.cmd.Process.Pid
	go func() { s.exited <- s.cmd.Wait() }()

	if err := s.waitHealthy(ctx, max(o.Ready, time.Second)); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w (server log: %s)", err, o.LogPath)
	}
	return s, nil
}

func (s *Server) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := hc.Get(s.URL + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("bench: cairn serve exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: cairn serve not healthy after %s", limit)
		}
	}
}

// Stop asks the server to shut down (SIGTERM), kills it if it has not within 20 seconds,
// and removes its data directory.
func (s *Server) Stop() error {
	var err error
	select {
	case err = <-s.exited: // already gone
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err = <-s.exited:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			err = <-s.exited
		}
	}
	s.log.Close()
	if rmErr := os.RemoveAll(s.DataDir); err == nil {
		err = rmErr
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
		err = nil // killed by our own signal
	}
	return err
}

// freeLoopbackAddr returns a loopback address whose port is free now.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("bench: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// generateKey returns a random 40-character API key of letters and digits.
func generateKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	buf := make([]byte, 40)
	_, _ = rand.Read(buf)
	for _, c := range buf {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}
