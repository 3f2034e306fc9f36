package bench

import (
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// formatScale writes a power of ten as 1e5, anything else as a count.
func formatScale(n int64) string {
	if n > 0 {
		e := math.Log10(float64(n))
		if e == math.Trunc(e) && e >= 3 {
			return "1e" + strconv.Itoa(int(e))
		}
	}
	return formatCount(n)
}

// ParseScale reads 1e5, 100000 or 100,000.
func ParseScale(s string) (int64, error) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	if err != nil || f < 1 || f > 1e10 || f != math.Trunc(f) {
		return 0, fmt.Errorf("bench: scale %q: want a whole number of attributes such as 1e5", s)
	}
	return int64(f), nil
}

// formatCount writes n with thousands separators.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatRate writes a per-second figure with three significant digits.
func formatRate(f float64) string {
	switch {
	case f == 0:
		return "0"
	case f >= 1000:
		return formatCount(int64(math.Round(f)))
	case f >= 100:
		return strconv.FormatFloat(f, 'f', 0, 64)
	case f >= 10:
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	return strconv.FormatFloat(f, 'f', 2, 64)
}

// formatMS writes a latency given in milliseconds.
func formatMS(ms float64) string {
	switch {
	case ms >= 10_000:
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	case ms >= 100:
		return strconv.FormatFloat(ms, 'f', 0, 64) + " ms"
	case ms >= 10:
		return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 2, 64) + " ms"
}

// formatBytes writes a size in MiB.
func formatBytes(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 0, 64) + " MiB"
}

// formatErrors writes the error counts as "500×3, timeout×1", or "0".
func formatErrors(errs map[string]int64) string {
	if len(errs) == 0 {
		return "0"
	}
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s×%d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

// throughputText is the headline rate of a result: events and attributes per second for
// ingest, requests per second otherwise.
func throughputText(r Result) string {
	if r.Rates != nil {
		return fmt.Sprintf("%s events/s, %s attributes/s",
			formatRate(r.Rates["events_per_second"]), formatRate(r.Rates["attributes_per_second"]))
	}
	return formatRate(r.Throughput) + " req/s"
}

// resultLine is the one-line summary printed as each result comes in.
func resultLine(r Result) string {
	head := fmt.Sprintf("  %-12s %-16s", r.Scenario, r.Variant)
	if r.Status == StatusSkipped || r.Status == StatusFailed || r.Requests == 0 {
		return head + r.Status + ": " + r.Note
	}
	if r.OK == 0 {
		return head + fmt.Sprintf("c=%-3d %8s req  err %s  no success  [%s] %s", r.Clients,
			formatCount(r.Requests), formatErrors(r.Errors), r.Status, r.Note)
	}
	s := fmt.Sprintf("%s c=%-3d %8s req  err %-14s %s  p50 %s  p95 %s  p99 %s", head,
		r.Clients, formatCount(r.Requests), formatErrors(r.Errors), throughputText(r),
		formatMS(r.Latency.P50), formatMS(r.Latency.P95), formatMS(r.Latency.P99))
	if r.Memory != nil {
		s += "  rss " + formatBytes(r.Memory.PeakRSS)
	}
	if r.Status != StatusOK {
		s += "  [" + r.Status + "]"
	}
	if r.Note != "" {
		s += "  (" + r.Note + ")"
	}
	return s
}

// isTerminal reports whether w is a character device, such as an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
