package freetext

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// want is a candidate in short: its proposed type, value, original token and comment as
// MISP sends it ("" for no comment member, "false", `""` or "On port <n>").
type want struct {
	Type, Value, Original, Comment string
}

func short(cs []Candidate) []want {
	out := []want{}
	for _, c := range cs {
		w := want{c.DefaultType, c.Value, c.OriginalValue, ""}
		switch c.Comment {
		case NoPort:
			w.Comment = "false"
		case EmptyComment:
			w.Comment = `""`
		case PortComment:
			w.Comment = c.CommentText()
		}
		out = append(out, w)
	}
	return out
}

// Hashes of the empty input, and an ssdeep hash, as the tests paste them.
const (
	md5Hex     = "d41d8cd98f00b204e9800998ecf8427e"
	sha1Hex    = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha224Hex  = "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f"
	sha256Hex  = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sha384Hex  = "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"
	sha512Hex  = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
	ssdeepHash = "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrw1mBvy1I0GHTz7"
)

// TestFreeTextDetect checks the detector against the answers of MISP 2.5.1's
// ComplexTypeTool (with its built-in top-level domain list) for the same texts.
func TestFreeTextDetect(t *testing.T) {
	tests := []struct {
		name, text string
		want       []want
	}{
		{"an IPv4 address", "192.0.2.1",
			[]want{{"ip-dst", "192.0.2.1", "192.0.2.1", ""}}},
		{"an IPv6 address", "2001:db8::1",
			[]want{{"ip-dst", "2001:db8::1", "2001:db8::1", ""}}},
		{"an IPv4 address with a port", "192.0.2.1:8080",
			[]want{{"ip-dst|port", "192.0.2.1|8080", "192.0.2.1:8080", "On port 8080"}}},
		{"a bracketed IPv6 address with a port", "[2001:db8::1]:443",
			[]want{{"ip-dst|port", "2001:db8::1|443", "[2001:db8::1]:443", "On port 443"}}},
		{"a refanged IPv4 address", "192.0.2[.]1",
			[]want{{"ip-dst", "192.0.2.1", "192.0.2[.]1", "false"}}},
		{"a refanged IPv6 address whose last group reads as a port", "2001:db8::1[:]80",
			[]want{{"ip-dst|port", "2001:db8::1|80", "2001:db8::1[:]80", "On port 80"}}},
		{"a CIDR block", "10.0.0.0/8",
			[]want{{"ip-dst", "10.0.0.0/8", "10.0.0.0/8", "false"}}},
		{"a CIDR block with a bad prefix", "10.0.0.0/x",
			[]want{{"url", "10.0.0.0/x", "10.0.0.0/x", "false"}}},
		{"an IPv6 zone is no address", "fe80::1%eth0",
			[]want{}},
		{"an IPv4 address with a leading zero", "192.0.2.01",
			[]want{}},
		{"a domain", "example.com",
			[]want{{"domain", "example.com", "example.com", "false"}}},
		{"a hostname", "www.example.com",
			[]want{{"hostname", "www.example.com", "www.example.com", "false"}}},
		{"a hostname with a port", "www.example.com:443",
			[]want{{"hostname", "www.example.com", "www.example.com:443", "On port 443"}}},
		{"a defanged domain", "evil[.]com",
			[]want{{"domain", "evil.com", "evil[.]com", "false"}}},
		{"a domain with a trailing dot", "example.org.",
			[]want{{"domain", "example.org", "example.org", "false"}}},
		{"an unknown top-level domain", "evil-corpus.example",
			[]want{{"filename", "evil-corpus.example", "evil-corpus.example", ""}}},
		{"an onion service", "abcdefghijklmnop.onion",
			[]want{{"domain", "abcdefghijklmnop.onion", "abcdefghijklmnop.onion", "false"}}},
		{"an internationalised hostname", "www.bücher.de",
			[]want{{"hostname", "www.bücher.de", "www.bücher.de", "false"}}},
		{"a URL", "https://evil.example/x",
			[]want{{"url", "https://evil.example/x", "https://evil.example/x", "false"}}},
		{"a defanged URL", "hxxps://evil[.]com/a/b",
			[]want{{"url", "https://evil.com/a/b", "hxxps://evil[.]com/a/b", "false"}}},
		{"a URL with a port", "http://evil.com:8080/x",
			[]want{{"url", "http://evil.com:8080/x", "http://evil.com:8080/x", "false"}}},
		{"a URL without scheme", "evil.com/path",
			[]want{{"url", "evil.com/path", "evil.com/path", "false"}}},
		{"a link to a security vendor", "https://www.virustotal.com/gui/file/abc",
			[]want{
				{"link", "https://www.virustotal.com/gui/file/abc", "https://www.virustotal.com/gui/file/abc", "false"},
			}},
		{"a vendor over http is a URL", "http://www.virustotal.com/gui/file/abc",
			[]want{
				{"url", "http://www.virustotal.com/gui/file/abc", "http://www.virustotal.com/gui/file/abc", "false"},
			}},
		{"an e-mail address", "John.Doe@example.com",
			[]want{{"email-src", "John.Doe@example.com", "John.Doe@example.com", ""}}},
		{"a defanged e-mail address", "john[@]example[.]com",
			[]want{{"email-src", "john@example.com", "john[@]example[.]com", ""}}},
		{"an e-mail address without a dot in the domain", "root@localhost",
			[]want{}},
		{"an md5", "D41D8CD98F00B204E9800998ECF8427E",
			[]want{
				{"md5", "D41D8CD98F00B204E9800998ECF8427E", "D41D8CD98F00B204E9800998ECF8427E", ""},
			}},
		{"a sha1", sha1Hex,
			[]want{{"sha1", sha1Hex, sha1Hex, ""}}},
		{"a sha224", sha224Hex,
			[]want{{"sha224", sha224Hex, sha224Hex, ""}}},
		{"a sha256", sha256Hex,
			[]want{{"sha256", sha256Hex, sha256Hex, ""}}},
		{"a sha384", sha384Hex,
			[]want{{"sha384", sha384Hex, sha384Hex, ""}}},
		{"a sha512", sha512Hex,
			[]want{{"sha512", sha512Hex, sha512Hex, ""}}},
		{"an md5 that also reads as a bitcoin address", "1abcdef23456789abcdef23456789abc",
			[]want{
				{"md5", "1abcdef23456789abcdef23456789abc", "1abcdef23456789abcdef23456789abc", ""},
			}},
		{"a file name and md5", "invoice.exe|" + md5Hex,
			[]want{{"filename|md5", "invoice.exe|" + md5Hex, "invoice.exe|" + md5Hex, ""}}},
		{"a file name and sha256", "a.dll|" + sha256Hex,
			[]want{{"filename|sha256", "a.dll|" + sha256Hex, "a.dll|" + sha256Hex, ""}}},
		{"a file name and ssdeep", "a.doc|" + ssdeepHash,
			[]want{{"filename|ssdeep", "a.doc|" + ssdeepHash, "a.doc|" + ssdeepHash, ""}}},
		{"an ssdeep hash", ssdeepHash,
			[]want{{"ssdeep", ssdeepHash, ssdeepHash, ""}}},
		{"a time of day is no ssdeep", "12:30:45",
			[]want{}},
		{"a file name", "invoice.pdf",
			[]want{{"filename", "invoice.pdf", "invoice.pdf", ""}}},
		{"a numeric extension is no file name", "version.10",
			[]want{}},
		{"a Windows path", "C:\\Windows\\System32\\evil.dll",
			[]want{
				{"filename", "C:\\Windows\\System32\\evil.dll", "C:\\Windows\\System32\\evil.dll", ""},
			}},
		{"a registry key", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
			[]want{
				{"regkey", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", ""},
			}},
		{"a CVE", "cve-2021-44228",
			[]want{{"vulnerability", "CVE-2021-44228", "cve-2021-44228", ""}}},
		{"an AS number", "as65000",
			[]want{{"AS", "AS65000", "as65000", ""}}},
		{"a bitcoin address", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
			[]want{
				{"btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", ""},
			}},
		{"a bech32 bitcoin address", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
			[]want{
				{"btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", ""},
			}},
		{"a phone number", "+41221234567",
			[]want{{"phone-number", "+41221234567", "+41221234567", ""}}},
		{"a phone number with a trunk prefix", "+41(0)22-123-45-67",
			[]want{{"phone-number", "+41(0)22-123-45-67", "+41(0)22-123-45-67", ""}}},
		{"a date is no phone number", "2024-01-01",
			[]want{}},
		{"one more digit makes it one", "2024-01-011",
			[]want{{"phone-number", "2024-01-011", "2024-01-011", ""}}},
		{"words are nothing", "beacon to the server",
			[]want{}},
		{"zero is empty", "0",
			[]want{}},
		{"trimmed punctuation", "(evil.com), \"bad.org\"; 'x.exe'.",
			[]want{
				{"domain", "evil.com", "evil.com", "false"},
				{"domain", "bad.org", "bad.org", "false"},
				{"filename", "x.exe", "x.exe", ""},
			}},
		{"separators", "a.com,b.com;c.com<d.com>e.com\tf.com",
			[]want{
				{"domain", "a.com", "a.com", "false"},
				{"domain", "b.com", "b.com", "false"},
				{"domain", "c.com", "c.com", "false"},
				{"domain", "d.com", "d.com", "false"},
				{"domain", "e.com", "e.com", "false"},
				{"domain", "f.com", "f.com", "false"},
			}},
		{"quoted text is read whole too", "\"sample one.exe\"",
			[]want{
				{"filename", "one.exe", "one.exe", ""},
				{"filename", "sample one.exe", "sample one.exe", ""},
			}},
		{"each value once", "1.2.3.4 1.2.3.4 1.2.3[.]4",
			[]want{{"ip-dst", "1.2.3.4", "1.2.3.4", ""}}},
		{"JSON is read value by value",
			`{"ioc": ["evil.com", {"ip": "192.0.2.5 and 192.0.2.6"}], "count": 3, "ok": true}`,
			[]want{
				{"domain", "evil.com", "evil.com", "false"},
				{"ip-dst", "192.0.2.5", "192.0.2.5", ""},
				{"ip-dst", "192.0.2.6", "192.0.2.6", ""},
			}},
		{"text that only starts like JSON", "{not json} 192.0.2.7",
			[]want{{"ip-dst", "192.0.2.7", "192.0.2.7", ""}}},
		{"the golden example",
			"Beacon to 192.0.2.99 and evil-corpus.example, dropped 0123456789abcdef0123456789abcdef",
			[]want{
				{"ip-dst", "192.0.2.99", "192.0.2.99", ""},
				{"filename", "evil-corpus.example", "evil-corpus.example", ""},
				{"md5", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef", ""},
			}},
		{"an IPv6 address kept whole after a port was cut", "2001:db8[:]0:0:0:0:1:80",
			[]want{{"ip-dst", "2001:db8:0:0:0:0:1:80", "2001:db8[:]0:0:0:0:1:80", "\"\""}}},
		{"a URL ending with a port", "https://evil.com:8080",
			[]want{{"url", "https://evil.com", "https://evil.com:8080", "On port 8080"}}},
		{"a hostname and its port, defanged", "c2[.]evil[.]com[:]8443",
			[]want{{"hostname", "c2.evil.com", "c2[.]evil[.]com[:]8443", "On port 8443"}}},
		{"a regkey needs a first part", "\\\\server\\share",
			[]want{}},
		{"a drive path without extension", "C:\\temp\\payload",
			[]want{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, short(Detect(tt.text))); diff != "" {
				t.Errorf("Detect(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// TestFreeTextTypes checks the lists of types proposed with each kind of candidate.
func TestFreeTextTypes(t *testing.T) {
	tests := map[string][]string{
		"192.0.2.1":       {"ip-dst", "ip-src", "ip-src/ip-dst"},
		"192.0.2.1:80":    {"ip-dst|port", "ip-src|port", "ip-src|port/ip-dst|port"},
		"www.example.com": {"hostname", "domain", "url", "filename"},
		"example.com":     {"domain", "filename"},
		"john@example.com": {"email", "email-src", "email-dst", "target-email",
			"whois-registrant-email"},
		"1abcdef23456789abcdef23456789abc": {"md5", "imphash", "x509-fingerprint-md5",
			"ja3-fingerprint-md5", "btc"},
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": {"sha256",
			"authentihash", "sha512/256", "x509-fingerprint-sha256"},
		"a.exe|da39a3ee5e6b4b0d3255bfef95601890afd80709": {"filename|sha1", "filename|pehash"},
		"+41221234567": {"phone-number", "prtn", "whois-registrant-phone"},
	}
	for text, types := range tests {
		got := Detect(text)
		if len(got) != 1 {
			t.Errorf("Detect(%q) = %d candidates, want 1", text, len(got))
			continue
		}
		if diff := cmp.Diff(types, got[0].Types); diff != "" {
			t.Errorf("Detect(%q) types (-want +got):\n%s", text, diff)
		}
	}
}

// TestFreeTextOptions checks the lists MISP would take from its warninglists: a loaded
// TLD list replaces the built-in one (keeping .onion), and vendor domains make links.
func TestFreeTextOptions(t *testing.T) {
	d := New(Options{TLDs: []string{"XYZ", "com"},
		SecurityVendorDomains: []string{"sandbox.example"}})
	got := short(d.Detect("evil.xyz hidden.onion evil.de https://sandbox.example/r/1 " +
		"https://www.virustotal.com/x"))
	want := []want{
		{"domain", "evil.xyz", "evil.xyz", "false"},
		{"domain", "hidden.onion", "hidden.onion", "false"},
		{"filename", "evil.de", "evil.de", ""},
		{"link", "https://sandbox.example/r/1", "https://sandbox.example/r/1", "false"},
		{"url", "https://www.virustotal.com/x", "https://www.virustotal.com/x", "false"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("custom lists (-want +got):\n%s", diff)
	}
	if got := short(Detect("evil.xyz")); len(got) != 1 || got[0].Type != "filename" {
		t.Errorf("built-in list: evil.xyz gave %v, want a filename", got)
	}
}

// TestFreeTextInvalidUTF8 checks that bytes that are not UTF-8 separate tokens instead of
// hiding the whole text.
func TestFreeTextInvalidUTF8(t *testing.T) {
	got := short(Detect("evil.com\xff\xfe192.0.2.1"))
	want := []want{{"domain", "evil.com", "evil.com", "false"},
		{"ip-dst", "192.0.2.1", "192.0.2.1", ""}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFreeTextLarge checks that a large paste is read whole and each value kept once.
func TestFreeTextLarge(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20000; i++ {
		b.WriteString("10.0.")
		b.WriteString(strings.Repeat("1", 1+i%3))
		b.WriteString(".1 evil.com, ")
	}
	if got := len(Detect(b.String())); got != 4 {
		t.Errorf("got %d candidates, want 4", got)
	}
}

func TestFreeTextPHPFloatString(t *testing.T) {
	tests := map[float64]string{1.5: "1.5", 1e20: "1.0E+20", 0.0001: "0.0001",
		0.00001: "1.0E-5", 12345678901234567890: "1.2345678901235E+19", -2.5: "-2.5",
		100000000000000: "1.0E+14", 10000000000000: "10000000000000"}
	for f, want := range tests {
		if got := phpFloatString(f); got != want {
			t.Errorf("phpFloatString(%v) = %q, want %q", f, got, want)
		}
	}
}
