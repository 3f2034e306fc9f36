package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Memory is the server's resident memory during one variant.
type Memory struct {
	PeakRSS int64  `json:"peak_rss_bytes"`
	EndRSS  int64  `json:"end_rss_bytes"`
	Samples int    `json:"samples"`
	Source  string `json:"source"` // "/proc/<pid>/status"
}

// memoryEvery is how often the server's RSS is read.
const memoryEvery = 100 * time.Millisecond

// memWatch samples the RSS of a local process until stopped.
type memWatch struct {
	pid  int
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	mem  Memory
}

// watchMemory starts sampling the process pid; it returns nil when pid is 0 or its memory
// cannot be read (a remote server, or a system without /proc).
func watchMemory(pid int) *memWatch {
	if pid <= 0 {
		return nil
	}
	if _, err := readRSS(pid); err != nil {
		return nil
	}
	w := &memWatch{pid: pid, stop: make(chan struct{}),
		mem: Memory{Source: fmt.Sprintf("/proc/%d/status", pid)}}
	w.sample()
	w.wg.Go(func() {
		t := time.NewTicker(memoryEvery)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample()
			}
		}
	})
	return w
}

func (w *memWatch) sample() {
	rss, err := readRSS(w.pid)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.mem.PeakRSS = max(w.mem.PeakRSS, rss)
	w.mem.EndRSS = rss
	w.mem.Samples++
	w.mu.Unlock()
}

// Stop ends sampling and returns what was seen; nil on a nil watch.
func (w *memWatch) Stop() *Memory {
	if w == nil {
		return nil
	}
	close(w.stop)
	w.wg.Wait()
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.mem
	return &m
}

// readRSS reads VmRSS from /proc/<pid>/status, in bytes.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: VmRSS of %d: %w", pid, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("bench: no VmRSS in /proc/%d/status", pid)
}
