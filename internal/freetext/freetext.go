// Package freetext finds indicators in pasted text, as MISP's freetext import does: it cuts
// the text into tokens, refangs them (hxxp, [.], [:], [at], ...) and proposes for each the
// attribute types it may be (IP addresses with or without port, CIDR blocks, domains and
// hostnames, URLs, e-mail addresses, hashes of every length MISP knows, file names with a
// hash, ssdeep, CVE numbers, AS numbers, bitcoin addresses, phone numbers, registry keys).
// Text that starts with '{' and is JSON is read value by value.
//
// The answers follow MISP's ComplexTypeTool token for token, including its quirks (a port
// is cut from a URL, "2024-01-01" is no phone number but "2024-01-011" is), because clients
// compare them with MISP's. The package does no I/O.
package freetext

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Candidate is an indicator found in the text and the attribute types it may be.
type Candidate struct {
	// Types are the attribute types the value may be, the most likely first. Two entries
	// name a choice of types rather than one ("ip-src/ip-dst", "ip-src|port/ip-dst|port").
	Types []string
	// DefaultType is the type proposed.
	DefaultType string
	// Value is the indicator as it would be stored: refanged, without the port the text
	// gave it (see Port), CVE and AS numbers upper-cased.
	Value string
	// OriginalValue is the token the value was read from.
	OriginalValue string
	// Comment says which comment MISP gives the candidate; see [Comment].
	Comment Comment
	// Port is the port cut from the end of the token, when Comment is PortComment.
	Port string
}

// Comment is the comment MISP's detector attaches to some candidates. It is part of MISP's
// answer, where it is absent, false, "" or "On port <n>".
type Comment uint8

// The comments a candidate may carry.
const (
	// NoComment: the candidate has no comment member (hashes, e-mail addresses, file
	// names, IP addresses read as they were, ...).
	NoComment Comment = iota
	// NoPort: false; the value was checked for a trailing port and had none.
	NoPort
	// EmptyComment: ""; an IPv6 address kept whole after a port was first cut from it.
	EmptyComment
	// PortComment: "On port <Port>"; the port was cut from the value.
	PortComment
)

// CommentText returns the comment as an attribute comment: "On port <port>", or "".
func (c *Candidate) CommentText() string {
	if c.Comment == PortComment {
		return "On port " + c.Port
	}
	return ""
}

// Options tune a [Detector] to the lists MISP takes from its warninglists.
type Options struct {
	// TLDs are the top-level domains, in any case, that make a dotted name a domain or a
	// hostname; "onion" is always one. Empty means MISP's built-in list (the old generic
	// domains and every two-letter name).
	TLDs []string
	// SecurityVendorDomains are the domains whose https URLs are proposed as links rather
	// than indicators. Empty means virustotal.com and hybrid-analysis.com.
	SecurityVendorDomains []string
}

// Detector finds indicators in text. It is safe for concurrent use.
type Detector struct {
	tlds    map[string]bool
	vendors []string
}

// New returns a detector using the lists of o.
func New(o Options) *Detector {
	d := &Detector{tlds: builtinTLDs(), vendors: builtinVendorDomains}
	if len(o.TLDs) > 0 {
		d.tlds = map[string]bool{"onion": true}
		for _, t := range o.TLDs {
			d.tlds[lowerASCII(t)] = true
		}
	}
	if len(o.SecurityVendorDomains) > 0 {
		d.vendors = slices.Clone(o.SecurityVendorDomains)
	}
	return d
}

var defaultDetector = sync.OnceValue(func() *Detector { return New(Options{}) })

// Detect finds the indicators in text with MISP's built-in lists; see [Detector.Detect].
func Detect(text string) []Candidate { return defaultDetector().Detect(text) }

// Detect returns the indicators found in text, each value once, in the order of the
// tokens they were first read from.
func (d *Detector) Detect(text string) []Candidate {
	if text == "" {
		return nil
	}
	var tokens []string
	if text[0] == '{' {
		tokens = jsonTokens(text)
	}
	if tokens == nil {
		tokens = splitText(text)
	}

	var out []Candidate
	seen := map[string]bool{}
	for _, t := range tokens {
		t = strings.Trim(t, tokenTrim)
		if isEmpty(t) {
			continue
		}
		c, ok := d.resolve(t)
		if !ok || seen[c.Value] {
			continue
		}
		seen[c.Value] = true
		c.OriginalValue = t
		out = append(out, c)
	}
	return out
}

// splitText cuts text into tokens at blanks, commas, semicolons and angle brackets, after
// turning control and format characters and no-break spaces into blanks; the contents of
// double quotes come after as tokens of their own.
func splitText(text string) []string {
	text = blankOthers(text)
	tokens := strings.FieldsFunc(text, func(r rune) bool {
		switch r {
		case ' ', ',', '<', '>', ';':
			return true
		}
		return false
	})
	for i := 0; ; {
		open := strings.IndexByte(text[i:], '"')
		if open < 0 {
			break
		}
		open += i
		end := strings.IndexByte(text[open+1:], '"')
		if end < 0 {
			break
		}
		if end == 0 {
			i = open + 1
			continue
		}
		tokens = append(tokens, text[open+1:open+1+end])
		i = open + end + 2
	}
	return tokens
}

// blankOthers replaces every run of Unicode "other" characters (control, format, private
// use, unassigned) with one blank, and every no-break space with a blank, as MISP does
// before it splits.
//
// note: MISP's regular expression fails on text that is not valid UTF-8 and then finds
// nothing at all; invalid bytes are blanked here instead, so that the rest is still read.
func blankOthers(text string) string {
	clean := true
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	inRun := false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		other := r == utf8.RuneError && size <= 1 || isOther(r)
		switch {
		case other && !inRun:
			b.WriteByte(' ')
		case r == 0xa0:
			b.WriteByte(' ')
		case !other:
			b.WriteString(text[i : i+size])
		}
		inRun = other
		i += size
	}
	return b.String()
}

// isOther reports whether r is in Unicode's general category C.
func isOther(r rune) bool {
	switch {
	case r < 0x20 || 0x7f <= r && r < 0xa0:
		return true
	case r < 0x80:
		return false
	}
	if unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs) {
		return true
	}
	return !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z)
}

// maxJSONDepth is PHP's json_decode nesting limit; deeper text is read as plain text.
const maxJSONDepth = 512

// jsonTokens reads text as JSON and returns, in document order, every string (and
// non-integer number) value, each followed by the tokens of its text that differ from it.
// Integers, booleans, nulls and empty values are left out. It returns nil when text is
// not JSON as PHP reads it.
func jsonTokens(text string) []string {
	if !utf8.ValidString(text) || !json.Valid([]byte(text)) {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	root, err := readJSON(dec, 0)
	if err != nil {
		return nil
	}
	tokens := []string{}
	root.walk(func(v string) {
		tokens = append(tokens, v)
		for _, t := range splitText(v) {
			if t != v {
				tokens = append(tokens, t)
			}
		}
	})
	return tokens
}

// jsonNode is a decoded JSON value that keeps the order of object members, with PHP's rule
// for a repeated key: the last value wins, in the place of the first.
type jsonNode struct {
	scalar string // a string value, or a number as PHP writes it; "" when skipped
	items  []*jsonNode
}

func (n *jsonNode) walk(fn func(string)) {
	if n.items == nil {
		if !isEmpty(n.scalar) {
			fn(n.scalar)
		}
		return
	}
	for _, it := range n.items {
		it.walk(fn)
	}
}

var errTooDeep = errors.New("freetext: JSON nested too deep")

func readJSON(dec *json.Decoder, depth int) (*jsonNode, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if depth+1 > maxJSONDepth {
			return nil, errTooDeep
		}
		n := &jsonNode{items: []*jsonNode{}}
		if t == '[' {
			for dec.More() {
				it, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, it)
			}
		} else {
			at := map[string]int{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				it, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				key, _ := k.(string)
				if i, ok := at[key]; ok {
					n.items[i] = it
					continue
				}
				at[key] = len(n.items)
				n.items = append(n.items, it)
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, err
		}
		return n, nil
	case string:
		return &jsonNode{scalar: t}, nil
	case json.Number:
		return &jsonNode{scalar: phpNumber(string(t))}, nil
	}
	return &jsonNode{}, nil
}

// phpNumber returns a JSON number as PHP's json_decode and string cast turn it into a
// value: "" for an integer (which MISP skips), the float's text otherwise.
func phpNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return ""
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return ""
	}
	switch {
	case f == 0:
		return ""
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	}
	return phpFloatString(f)
}
