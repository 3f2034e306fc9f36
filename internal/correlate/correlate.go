// Package correlate decides which values of an attribute correlate and keeps the
// correlation index: one row per correlating value part of each attribute, keyed by a 64-bit
// hash of the value, never a row per correlating pair. Related events and attributes are
// answered from the index at read time, filtered by the reader's access rights, so storage
// grows linearly with attributes and there is nothing to rebuild.
//
// The rules follow MISP: exact, case-sensitive equality of value1 or value2 of one attribute
// with value1 or value2 of another, in another event; some types never correlate; for the
// *|port types only value1 does; disabled, deleted and excluded values do not. With
// MISP.enable_advanced_correlations, IP addresses also correlate with the CIDR blocks that
// contain them, and ssdeep hashes with similar ones (see advanced.go).
package correlate

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
)

// Attr is what the index needs of an attribute.
type Attr struct {
	ID, EventID int64
	Type        string
	Value1      string
	Value2      string
	// Off is true when the attribute must not correlate: its own or its event's
	// disable_correlation flag, or a soft delete.
	Off bool
}

// Exclusions are MISP's correlation exclusions: "%foo%" contains, "%foo" ends with,
// "foo%" starts with, anything else is an exact value.
type Exclusions struct {
	exact                        map[string]bool
	contains, prefixes, suffixes []string
}

// NewExclusions compiles exclusion patterns.
func NewExclusions(patterns []string) *Exclusions {
	ex := &Exclusions{exact: map[string]bool{}}
	for _, p := range patterns {
		lead, trail := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%") && len(p) > 1
		core := strings.TrimSuffix(strings.TrimPrefix(p, "%"), "%")
		switch {
		case lead && trail:
			ex.contains = append(ex.contains, core)
		case lead:
			ex.suffixes = append(ex.suffixes, core)
		case trail:
			ex.prefixes = append(ex.prefixes, core)
		default:
			ex.exact[p] = true
		}
	}
	return ex
}

// Excluded reports whether v matches an exclusion.
func (ex *Exclusions) Excluded(v string) bool {
	if ex == nil {
		return false
	}
	if ex.exact[v] {
		return true
	}
	for _, c := range ex.contains {
		if strings.Contains(v, c) {
			return true
		}
	}
	for _, p := range ex.prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	for _, s := range ex.suffixes {
		if strings.HasSuffix(v, s) {
			return true
		}
	}
	return false
}

// Values returns the value parts of a that correlate, at most two, without duplicates.
func Values(a Attr, ex *Exclusions) []string {
	if a.Off || misp.CorrelatesNever(a.Type) {
		return nil
	}
	var out []string
	if a.Value1 != "" && !ex.Excluded(a.Value1) {
		out = append(out, a.Value1)
	}
	if a.Value2 != "" && a.Value2 != a.Value1 && !misp.PrimaryOnlyCorrelating(a.Type) &&
		!ex.Excluded(a.Value2) {
		out = append(out, a.Value2)
	}
	return out
}

// Hash returns the 64-bit key of a value: the first eight bytes of its SHA-256, stable across
// processes, replicas and versions. Readers compare the values themselves, so a collision
// cannot make two attributes correlate.
func Hash(v string) int64 {
	sum := sha256.Sum256([]byte(v))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}
