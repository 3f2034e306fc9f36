package export

import (
	"bufio"
	"cmp"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/model"
)

// textWriter writes the text format: each distinct value once, in the order first seen,
// one per line (MISP's TextExport).
//
// note: MISP keeps every value in memory to drop repeats. Cairn keeps a 128-bit hash of
// each distinct value instead (two independent 64-bit seeds), so memory grows by about
// 16 bytes per distinct value whatever the values' length; a collision, which would drop a
// value, has a chance of about n²/2¹²⁹ for n distinct values.
type textWriter struct {
	w     *bufio.Writer
	seeds [2]maphash.Seed
	seen  map[[2]uint64]struct{}
	any   bool
}

func newText(w *bufio.Writer, _ Options) writer {
	return &textWriter{w: w, seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		seen: map[[2]uint64]struct{}{}}
}

func (t *textWriter) begin() error { return nil }

func (t *textWriter) value(v string) error {
	key := [2]uint64{maphash.String(t.seeds[0], v), maphash.String(t.seeds[1], v)}
	if _, dup := t.seen[key]; dup {
		return nil
	}
	t.seen[key] = struct{}{}
	t.any = true
	t.w.WriteString(v)
	return t.w.WriteByte('\n')
}

func (t *textWriter) attribute(r *Record) error { return t.value(r.Attribute.Value) }

func (t *textWriter) event(e *model.Event) error {
	for _, a := range flatAttributes(e) {
		if err := t.value(a.Value); err != nil {
			return err
		}
	}
	return nil
}

// end writes the lone newline MISP sends when there is no value at all.
func (t *textWriter) end() error {
	if !t.any {
		return t.w.WriteByte('\n')
	}
	return nil
}

// hashTypes are the types whose value is a hash, and compositeHashTypes those whose second
// part is one (MISP's HashesExport).
var (
	hashTypes = setOf("md5", "sha1", "sha256", "sha224", "sha384", "sha512", "sha512/224",
		"sha512/256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "ssdeep", "imphash",
		"tlsh", "x509-fingerprint-sha1", "x509-fingerprint-md5", "x509-fingerprint-sha256",
		"pehash", "authentihash", "impfuzzy")
	compositeHashTypes = setOf("malware-sample", "filename|md5", "filename|sha1",
		"filename|sha256", "filename|sha224", "filename|sha512", "filename|sha512/224",
		"filename|sha512/256", "filename|sha3-224", "filename|sha3-256", "filename|sha3-384",
		"filename|sha3-512", "filename|ssdeep", "filename|imphash", "filename|tlsh",
		"filename|pehash", "filename|authentihash", "filename|impfuzzy")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// hashOf returns the hash an attribute carries, if any.
func hashOf(a *model.Attribute) (string, bool) {
	switch {
	case hashTypes[a.Type]:
		return a.Value, true
	case compositeHashTypes[a.Type]:
		_, h, _ := strings.Cut(a.Value, "|")
		return h, true
	}
	return "", false
}

// hashesWriter writes the hashes format: the hash of every hash attribute, the second
// part of composite ones, one per line, repeats kept.
//
// note: MISP writes an empty line for each attribute of another type in the attributes
// scope (its handler returns null, which its writer does not skip); Cairn skips them, as
// the events scope does.
type hashesWriter struct {
	w   *bufio.Writer
	any bool
}

func newHashes(w *bufio.Writer, _ Options) writer { return &hashesWriter{w: w} }

func (h *hashesWriter) begin() error { return nil }

func (h *hashesWriter) write(a *model.Attribute) error {
	v, ok := hashOf(a)
	if !ok {
		return nil
	}
	h.any = true
	h.w.WriteString(v)
	return h.w.WriteByte('\n')
}

func (h *hashesWriter) attribute(r *Record) error { return h.write(r.Attribute) }

func (h *hashesWriter) event(e *model.Event) error {
	for _, a := range flatAttributes(e) {
		if err := h.write(a); err != nil {
			return err
		}
	}
	return nil
}

// end writes MISP's footer, a newline, only when nothing came before: every hash already
// ends its line.
func (h *hashesWriter) end() error {
	if !h.any {
		return h.w.WriteByte('\n')
	}
	return nil
}

// countWriter writes the count format: the number of attributes or events, no newline.
type countWriter struct {
	w *bufio.Writer
	n int64
}

func newCount(w *bufio.Writer, _ Options) writer { return &countWriter{w: w} }

func (c *countWriter) begin() error             { return nil }
func (c *countWriter) attribute(*Record) error  { c.n++; return nil }
func (c *countWriter) event(*model.Event) error { c.n++; return nil }

func (c *countWriter) end() error {
	_, err := c.w.WriteString(strconv.FormatInt(c.n, 10))
	return err
}

func sortByID(attrs []*model.Attribute) {
	slices.SortStableFunc(attrs, func(a, b *model.Attribute) int { return cmp.Compare(a.ID, b.ID) })
}
