package pgtest

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errNoPostgres means that no server URL is set and no PostgreSQL binaries are installed.
var errNoPostgres = errors.New("PostgreSQL not available: set " + EnvURL +
	" or install PostgreSQL (initdb found neither under /usr/lib/postgresql nor on PATH)")

// clusterPrefix starts the names of the temporary directories of clusters.
const clusterPrefix = "cairn-pgtest-"

// cluster is a throw-away PostgreSQL cluster run by this process. Its directory holds data/,
// the unix socket directory sock/, the server's log and owner.pid, the pid of the test process.
type cluster struct {
	dir  string
	bin  string // directory of initdb, postgres and pg_ctl
	port int
	cred *syscall.Credential // whom the server runs as; nil: this process's user
	cmd  *exec.Cmd
	done chan struct{} // closed when the server has exited
}

func startCluster() (*cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	removeStaleClusters()

	c := &cluster{bin: bin, done: make(chan struct{})}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root.
		if c.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	if c.dir, err = os.MkdirTemp("", clusterPrefix); err != nil {
		return nil, err
	}
	if err := c.start(); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

func (c *cluster) start() error {
	owner := []byte(strconv.Itoa(os.Getpid()))
	if err := os.WriteFile(filepath.Join(c.dir, "owner.pid"), owner, 0o644); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(c.dir, "sock"), 0o700); err != nil {
		return err
	}
	if err := c.chown(); err != nil {
		return err
	}

	initdb := c.command("initdb", "-D", c.path("data"), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}

	var err error
	if c.port, err = freePort(); err != nil {
		return err
	}
	log, err := os.Create(c.path("log"))
	if err != nil {
		return err
	}
	c.cmd = c.command("postgres", "-D", c.path("data"), "-p", strconv.Itoa(c.port),
		"-k", c.path("sock"), "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300")
	c.cmd.Stdout, c.cmd.Stderr = log, log
	// Should the test process die without Main, the kernel tells the server to quit. It does
	// so when the thread that started the server ends, so that thread is kept until then.
	c.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	started := make(chan error)
	go func() {
		defer close(c.done)
		defer log.Close()
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		err := c.cmd.Start()
		started <- err
		if err == nil {
			c.cmd.Wait()
		}
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	return nil
}

func (c *cluster) adminURL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

func (c *cluster) path(name string) string { return filepath.Join(c.dir, name) }

// command prepares one of the PostgreSQL programs to run as the cluster's user, in its
// directory (the postgres user may not enter the tests' working directory).
func (c *cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	return cmd
}

func (c *cluster) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop stops the server, if it runs, with pg_ctl (or a signal, should pg_ctl fail) and
// removes the cluster's directory.
func (c *cluster) stop() error {
	if c.cmd != nil && c.cmd.Process != nil && !c.exited() {
		pgCtl := c.command("pg_ctl", "stop", "-D", c.path("data"), "-m", "immediate", "-w")
		if err := pgCtl.Run(); err != nil {
			c.cmd.Process.Signal(syscall.SIGQUIT)
		}
		select {
		case <-c.done:
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	return os.RemoveAll(c.dir)
}

// logTail returns the end of the server's log.
func (c *cluster) logTail() string {
	b, _ := os.ReadFile(c.path("log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (c *cluster) chown() error {
	if c.cred == nil {
		return nil
	}
	return filepath.WalkDir(c.dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, int(c.cred.Uid), int(c.cred.Gid))
	})
}

// findBinaries returns the directory of initdb, postgres and pg_ctl: Debian's newest
// /usr/lib/postgresql/N/bin, or else the directory of the initdb on PATH.
func findBinaries() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.SortFunc(found, func(a, b string) int { return majorVersion(a) - majorVersion(b) })
	if len(found) == 0 {
		initdb, err := exec.LookPath("initdb")
		if err != nil {
			return "", errNoPostgres
		}
		found = []string{initdb}
	}
	dir := filepath.Dir(found[len(found)-1])
	for _, name := range []string{"postgres", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return "", fmt.Errorf("initdb is in %s but %s is not: %w", dir, name, err)
		}
	}
	return dir, nil
}

// majorVersion reads N from /usr/lib/postgresql/N/bin/initdb.
func majorVersion(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// removeStaleClusters removes the clusters of test processes that died without Main, and
// stops their servers if the kernel's signal did not.
func removeStaleClusters() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), clusterPrefix+"*"))
	for _, dir := range dirs {
		owner := readPID(filepath.Join(dir, "owner.pid"))
		if alive(owner) || owner == 0 && young(dir) {
			continue // in use, or being set up
		}
		if pid := readPID(filepath.Join(dir, "data", "postmaster.pid")); alive(pid) {
			syscall.Kill(pid, syscall.SIGQUIT)
		}
		os.RemoveAll(dir)
	}
}

// readPID reads the pid on the first line of a file; 0 if there is none.
func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

func young(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && time.Since(fi.ModTime()) < time.Minute
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
