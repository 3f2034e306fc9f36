package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// File names of the ledger inside the output directory.
const (
	WrittenFile   = "events-written.tsv"
	UncertainFile = "events-uncertain.tsv"
)

// WrittenEvent is an event the server acknowledged.
type WrittenEvent struct {
	UUID       string
	ID         string // the server's id, when its answer gave one
	Attributes int
}

// Ledger records every event this run wrote, line by line as the server acknowledges it,
// so that an interrupted or failed run still says exactly what it left on the server.
// Events whose fate is unknown (a timeout, a dropped connection or a 5xx after the body
// was sent) go to a second file: they may or may not exist.
type Ledger struct {
	mu         sync.Mutex
	written    []WrittenEvent
	byUUID     map[string]int
	uncertain  []string
	attributes atomic.Int64
	wf, uf     *os.File
	dir        string
}

// OpenLedger creates the ledger files in dir, replacing earlier ones.
func OpenLedger(dir string) (*Ledger, error) {
	l := &Ledger{byUUID: map[string]int{}, dir: dir}
	var err error
	if l.wf, err = createWithHeader(filepath.Join(dir, WrittenFile),
		"# events written by cairn bench and acknowledged by the server\n"+
			"# uuid\tid\tattributes\n"); err != nil {
		return nil, err
	}
	if l.uf, err = createWithHeader(filepath.Join(dir, UncertainFile),
		"# events sent by cairn bench without a clear answer: they may exist\n"+
			"# uuid\treason\n"); err != nil {
		l.wf.Close()
		return nil, err
	}
	return l, nil
}

func createWithHeader(path, header string) (*os.File, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: ledger: %w", err)
	}
	if _, err := f.WriteString(header); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: ledger: %w", err)
	}
	return f, nil
}

// Written records an acknowledged event. Each line goes to the file at once (no buffer),
// so a crash of this process loses none.
func (l *Ledger) Written(ev WrittenEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byUUID[ev.UUID] = len(l.written)
	l.written = append(l.written, ev)
	l.attributes.Add(int64(ev.Attributes))
	_, err := fmt.Fprintf(l.wf, "%s\t%s\t%d\n", ev.UUID, ev.ID, ev.Attributes)
	return err
}

// Uncertain records an event that may or may not have been written.
func (l *Ledger) Uncertain(uuid, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.uncertain = append(l.uncertain, uuid)
	_, err := fmt.Fprintf(l.uf, "%s\t%s\n", uuid, reason)
	return err
}

// Has reports whether the event was acknowledged.
func (l *Ledger) Has(uuid string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.byUUID[uuid]
	return ok
}

// Events returns the acknowledged events, sorted by UUID so that picks from them do not
// depend on the order concurrent writes finished in.
func (l *Ledger) Events() []WrittenEvent {
	l.mu.Lock()
	evs := slices.Clone(l.written)
	l.mu.Unlock()
	slices.SortFunc(evs, func(a, b WrittenEvent) int { return strings.Compare(a.UUID, b.UUID) })
	return evs
}

// Attributes is the number of attributes in acknowledged events.
func (l *Ledger) Attributes() int64 { return l.attributes.Load() }

// LedgerSummary says what a run left on the server.
type LedgerSummary struct {
	Events        int    `json:"events"`
	Attributes    int64  `json:"attributes"`
	Uncertain     int    `json:"uncertain_events"`
	WrittenFile   string `json:"written_file"`
	UncertainFile string `json:"uncertain_file"`
}

// Summary returns the counts and the files.
func (l *Ledger) Summary() LedgerSummary {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LedgerSummary{Events: len(l.written), Attributes: l.attributes.Load(),
		Uncertain: len(l.uncertain), WrittenFile: filepath.Join(l.dir, WrittenFile),
		UncertainFile: filepath.Join(l.dir, UncertainFile)}
}

// UUIDs returns every event that may exist because of this run: written, then uncertain.
func (l *Ledger) UUIDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.written)+len(l.uncertain))
	for _, ev := range l.written {
		out = append(out, ev.UUID)
	}
	return append(out, l.uncertain...)
}

// Close closes the files.
func (l *Ledger) Close() error {
	err := l.wf.Close()
	if e := l.uf.Close(); err == nil {
		err = e
	}
	return err
}

// ReadLedgerFile returns the UUIDs listed in a ledger file (its first column).
func ReadLedgerFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var uuids []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		uuid, _, _ := strings.Cut(line, "\t")
		uuids = append(uuids, uuid)
	}
	return uuids, sc.Err()
}

// CleanupResult counts what a cleanup did.
type CleanupResult struct {
	Deleted int `json:"deleted"`
	Absent  int `json:"absent"` // refused as missing: never written, or already deleted
	Failed  int `json:"failed"`
}

// Cleanup deletes events by UUID with events/delete, a few at a time. MISP answers an
// event that does not exist with 403 "Could not delete Event" (or 404), counted as absent.
func Cleanup(ctx context.Context, c *Client, uuids []string, progress io.Writer) CleanupResult {
	var res CleanupResult
	var mu sync.Mutex
	rec := newRecorder()
	drive(ctx, 4, 0, len(uuids), rec, func(ctx context.Context, seq int) (Outcome, bool) {
		o := c.Do(ctx, Request{Method: http.MethodPost, Path: "/events/delete/" + uuids[seq]})
		mu.Lock()
		switch {
		case o.OK():
			res.Deleted++
		case o.Status == http.StatusForbidden || o.Status == http.StatusNotFound:
			res.Absent++
		default:
			res.Failed++
			fmt.Fprintf(progress, "cleanup: %s: %s\n", uuids[seq], o.Class())
		}
		mu.Unlock()
		return o, true
	})
	return res
}
