package freetext

import (
	"slices"
	"strings"
	"testing"

	"github.com/cairn-project/cairn/internal/misp"
)

// FuzzDetect feeds the detector arbitrary text and checks what any answer must hold: no
// panic, each value once and never empty, a proposed type that is among the candidate's
// types and known to MISP, original tokens trimmed as MISP trims them, comments that
// agree with their ports, and the same answer twice.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{
		"Beacon to 192.0.2.99 and evil-corpus.example, dropped 0123456789abcdef0123456789abcdef",
		"192.0.2.100 https://freetext-corpus.example/x",
		"hxxps://evil[.]com/a[:]8080 john[at]example[.]com [2001:db8::1]:443 10.0.0.0/8",
		"invoice.exe|d41d8cd98f00b204e9800998ecf8427e C:\\Windows\\evil.dll HKLM\\Run",
		"CVE-2021-44228 AS65000 +41(0)22-123-45-67 1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
		`{"ioc": ["evil.com", {"ip": "192.0.2.5 and 192.0.2.6"}], "n": 1.5e300, "ok": true}`,
		"\"quoted one.exe\" a\u00a0b.com\u200bc.com\xff\xfed.com",
		"2001:db8[:]0:0:0:0:1:80 www.example.com:443 https://www.virustotal.com/gui/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := Detect(text)
		seen := map[string]bool{}
		for _, c := range got {
			if c.Value == "" || seen[c.Value] {
				t.Fatalf("empty or repeated value %q in %q", c.Value, text)
			}
			seen[c.Value] = true
			if !slices.Contains(c.Types, c.DefaultType) {
				t.Fatalf("default type %q not among %v", c.DefaultType, c.Types)
			}
			for _, typ := range c.Types {
				_, known := misp.LookupType(typ)
				if !known && typ != "ip-src/ip-dst" && typ != "ip-src|port/ip-dst|port" {
					t.Fatalf("unknown type %q for %q", typ, c.Value)
				}
			}
			trimmed := strings.Trim(c.OriginalValue, tokenTrim)
			if c.OriginalValue == "" || trimmed != c.OriginalValue {
				t.Fatalf("original value %q is not a trimmed token", c.OriginalValue)
			}
			if (c.Comment == PortComment) != (c.Port != "") {
				t.Fatalf("comment %d with port %q", c.Comment, c.Port)
			}
		}
		again := Detect(text)
		if len(again) != len(got) {
			t.Fatalf("second run found %d candidates, first %d", len(again), len(got))
		}
	})
}
