package misp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, typ, in, want string
	}{
		// Step 1: trim what PHP's trim() trims, and nothing more.
		{"trim", "text", " \t\n\r\x00\x0bvalue \n", "value"},
		{"trim keeps nbsp", "text", "\u00a0value", "\u00a0value"},

		// Step 2: refang.
		{"refang hxxp", "url", "hxxp://evil.example/a", "http://evil.example/a"},
		{"refang HXXPS", "url", "HXXPS://evil.example", "httpS://evil.example"}, // as MISP
		{"refang hxtp", "link", "hxtp://evil.example", "http://evil.example"},
		{"refang htxp", "url", "htxp://evil.example", "http://evil.example"},
		{"refang meow", "url", "meow://evil.example", "http://evil.example"},
		{"refang h[tt]p", "url", "h[tt]ps://evil.example", "https://evil.example"},
		{"refang scheme only at start", "url", "x hxxp://a", "x hxxp://a"},
		{"refang [hxxp://]", "url", "[hxxp://]evil.example", "http://evil.example"},
		{"refang [:]", "url", "http[:]//evil.example", "http://evil.example"},
		{"refang dots in url", "url", "http://a[.]b(dot)c[dot]d", "http://a.b.c.d"},
		{"refang dots in ip", "ip-dst", "10[.]0[.]0[.]1", "10.0.0.1"},
		{"refang dots in domain", "domain", "evil[dot]example", "evil.example"},
		{"refang dots in hostname", "hostname", "www(dot)evil[.]example", "www.evil.example"},
		{"refang domain|ip", "domain|ip", "evil[.]example|10[.]0.0.1", "evil.example|10.0.0.1"},
		{"refang email", "email-src", "bad[at]evil[.]example", "bad@evil.example"},
		{"refang email [@]", "email-dst", "bad[@]evil.example", "bad@evil.example"},
		{"refang once", "url", "http://a[[.]]b", "http://a[.]b"},
		{"no refang for text", "text", "evil[.]example hxxp", "evil[.]example hxxp"},
		{"no [at] for url", "url", "http://a[at]b", "http://a[at]b"},

		// Step 3: 4-byte UTF-8 becomes '?'.
		{"emoji", "text", "fire \U0001F525!", "fire ?!"},
		{"3-byte kept", "text", "\u20ac\u2013", "\u20ac\u2013"},
		{"invalid bytes kept", "text", "a\xf0\x28\x8c\x28", "a\xf0\x28\x8c\x28"},
		{"emoji in hash", "md5", "\U0001F600", "?"},

		// Step 4: per type.
		{"ipv6 compressed", "ip-src", "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"ipv6 first longest run", "ip-dst", "1:0:0:2:0:0:0:3", "1:0:0:2::3"},
		{"ipv6 single zero kept", "ip-dst", "1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},
		{"ipv6 mapped", "ip-dst", "0:0:0:0:0:FFFF:0102:0304", "::ffff:1.2.3.4"},
		{"ipv6 leading colon untouched", "ip-dst", "::0:1", "::0:1"},
		{"ipv6 cidr kept", "ip-src", "2001:0db8:0:0::/32", "2001:db8::/32"},
		{"ipv6 /128 dropped", "ip-src", "2001:db8:0::1/128", "2001:db8::1"},
		{"ipv4 /32 dropped", "ip-src", "10.0.0.1/32", "10.0.0.1"},
		{"ipv4 cidr kept", "ip-src", "10.0.0.0/8", "10.0.0.0/8"},
		{"ipv4 untouched", "ip-dst", "010.0.0.1", "010.0.0.1"},
		{"md5 lower", "md5", "D41D8CD98F00B204E9800998ECF8427E", md5Hex},
		{"sha3 lower", "sha3-256", "ABC", "abc"},
		{"hostname lower", "hostname", "WWW.Example.COM", "www.example.com"},
		{"email lower", "email", "Bad@Evil.Example", "bad@evil.example"},
		{"target-email lower", "target-email", "A@B.C", "a@b.c"},
		{"onion lower", "onion-address", "ABCDEFGHIJKLMNOP.onion", "abcdefghijklmnop.onion"},
		{"lower is ASCII only", "hostname", "ÄBC.DE", "Äbc.de"},
		{"domain lower and dots", "domain", "..Example.COM.", "example.com"},
		{"domain punycode", "domain", "M\u00fcnchen.de", "xn--mnchen-3ya.de"},
		{"domain valid not punycoded", "domain", "under_score.example", "under_score.example"},
		{"domain invalid kept", "domain", "not a domain", "not a domain"},
		{"domain|ip", "domain|ip", ".M\u00fcnchen.DE.|2001:DB8:0::1",
			"xn--mnchen-3ya.de|2001:db8::1"},
		{"domain|ip extra part dropped", "domain|ip", "a.com|1.2.3.4|x", "a.com|1.2.3.4"},
		{"domain|ip not composite", "domain|ip", "A.COM", "a.com"},
		{"filename|md5 hash only", "filename|md5", "EVIL.EXE|ABCDEF", "EVIL.EXE|abcdef"},
		{"filename|sha512/256", "filename|sha512/256", "A|B", "A|b"},
		{"filename|tlsh", "filename|tlsh", "A.EXE|T1AB", "A.EXE|t1ab"},
		{"filename|ssdeep untouched", "filename|ssdeep", "A|3:AB:CD", "A|3:AB:CD"},
		{"http-method upper", "http-method", "get", "GET"},
		{"hex upper", "hex", "deadBEEF", "DEADBEEF"},
		{"vulnerability en dash", "vulnerability", "cve\u20132021\u201344228", "CVE-2021-44228"},
		{"weakness upper", "weakness", "cwe-79", "CWE-79"},
		{"cc-number digits", "cc-number", "4111 1111-1111 1111", "4111111111111111"},
		{"bin digits", "bin", "411 111", "411111"},
		{"iban", "iban", "lu28 0019 4006 4475 0000", "LU280019400644750000"},
		{"bic", "bic", "bcee-lu-ll", "BCEELULL"},
		{"phone 00", "phone-number", "00352 (0)12-34 56", "+352123456"},
		{"phone plus", "whois-registrant-phone", "+1 (555) 010-9999", "+15550109999"},
		{"prtn", "prtn", "0041 44 668 18 00", "+41446681800"},
		{"x509 sha1", "x509-fingerprint-sha1", "AB:CD:EF", "abcdef"},
		{"x509 md5", "x509-fingerprint-md5", "AA:BB", "aabb"},
		{"x509 sha256", "x509-fingerprint-sha256", "AA:BB", "aabb"},
		{"ipv4:port", "ip-dst|port", "10.0.0.1:443", "10.0.0.1|443"},
		{"ipv4|port", "ip-src|port", "10.0.0.1|443", "10.0.0.1|443"},
		{"ipv4 third part dropped", "ip-src|port", "10.0.0.1|80|90", "10.0.0.1|80"},
		// Two ':' send MISP down its IPv6 path, where the first '.' splits.
		{"ipv4 two colons", "ip-src|port", "10.0.0.1:80:90", "10|0"},
		{"ipv6 [ip]:port", "ip-dst|port", "[2001:DB8:0::1]:80", "2001:db8::1|80"},
		{"ipv6 [ip] no port", "ip-dst|port", "[2001:db8::1]", "2001:db8::1|"},
		{"ipv6 ip|port", "ip-dst|port", "2001:db8:0::1|80", "2001:db8::1|80"},
		{"ipv6 ip.port", "ip-dst|port", "2001:db8:0::1.80", "2001:db8::1|80"},
		{"ipv6 ip port N", "ip-dst|port", "2001:db8:0::1 port 80", "2001:db8::1|80"},
		{"ipv6 ipPport", "ip-dst|port", "2001:db8:0::1p80", "2001:db8::1|80"},
		{"ipv6 ip#port", "ip-dst|port", "2001:db8:0::1#80", "2001:db8::1|80"},
		{"ipv6 ip:port", "ip-dst|port", "2001:db8:0:0:0:0:0:1:80", "2001:db8::1|80"},
		{"ip|port no separator", "ip-src|port", "10.0.0.1", "10.0.0.1"},
		{"mac", "mac-address", "AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"},
		{"mac dotted", "mac-address", "aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"},
		{"mac odd", "mac-address", "aab", "aa:b"},
		{"mac-eui-64", "mac-eui-64", "0011 2233 4455 6677", "00:11:22:33:44:55:66:77"},
		{"hostname|port", "hostname|port", "WWW.Example.com:8080", "www.example.com|8080"},
		{"boolean true", "boolean", "TRUE", "1"},
		{"boolean false", "boolean", "false", "0"},
		{"boolean zero", "boolean", "0", "0"},
		{"boolean truthy", "boolean", "yes", "1"},
		{"datetime date", "datetime", "2024-01-01", "2024-01-01T00:00:00.000000+0000"},
		{"datetime offset kept", "datetime", "2024-01-01T10:00:00+02:00",
			"2024-01-01T10:00:00.000000+0200"},
		{"datetime Z", "datetime", "2024-01-01T10:00:00.5Z", "2024-01-01T10:00:00.500000+0000"},
		{"datetime space", "datetime", "2024-01-01 10:00:00", "2024-01-01T10:00:00.000000+0000"},
		{"datetime @unix", "datetime", "@0", "1970-01-01T00:00:00.000000+0000"},
		{"datetime bare number kept", "datetime", "1700000000", "1700000000"},
		{"datetime junk kept", "datetime", "tomorrow-ish", "tomorrow-ish"},
		{"AS prefix", "AS", "AS1234", "1234"},
		{"as prefix", "AS", "as1234", "1234"},
		{"asdot", "AS", "AS1.10", "65546"},
		{"asdot bad", "AS", "1.x", "1.x"},
		{"AS once", "AS", "ASAS1", "AS1"},
		{"unknown type untouched", "comment", "  Mixed Case [.] ", "Mixed Case [.]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.typ, tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q, %q) mismatch (-want +got):\n%s", tt.typ, tt.in, diff)
			}
		})
	}
}

func TestFormatIPv6(t *testing.T) {
	tests := []struct{ in, want string }{
		{"::", "::"},
		{"::1", "::1"},
		{"1::", "1::"},
		{"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
		{"0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"},
		{"::1.2.3.4", "::1.2.3.4"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"::0.0.1.2", "::102"},
		{"fe80::ABCD:0:0:1", "fe80::abcd:0:0:1"},
	}
	for _, tt := range tests {
		ip, ok := parseIPv6(tt.in)
		if !ok {
			t.Errorf("parseIPv6(%q) failed", tt.in)
			continue
		}
		if got := formatIPv6(ip); got != tt.want {
			t.Errorf("formatIPv6(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseIP(t *testing.T) {
	tests := []struct {
		in     string
		v4, v6 bool
	}{
		{"1.2.3.4", true, false},
		{"0.0.0.0", true, false},
		{"255.255.255.255", true, false},
		{"256.1.1.1", false, false},
		{"01.2.3.4", false, false},
		{"1.2.3", false, false},
		{"1.2.3.4.5", false, false},
		{"1.2.3.4 ", false, false},
		{"::", false, true},
		{"::1", false, true},
		{"1::", false, true},
		{"1:2:3:4:5:6:7:8", false, true},
		{"1:2:3:4:5:6:7::", false, true},
		{"1::2:3:4:5:6:7:8", false, false},
		{"1:2:3:4:5:6:7:8:9", false, false},
		{"1::2::3", false, false},
		{":1::", false, false},
		{"1:", false, false},
		{"12345::", false, false},
		{"::ffff:1.2.3.4", false, true},
		{"1:2:3:4:5:6:1.2.3.4", false, true},
		{"::1.2.3", false, false},
		{"fe80::1%eth0", false, false},
		{"[::1]", false, false},
	}
	for _, tt := range tests {
		if got := isIPv4(tt.in); got != tt.v4 {
			t.Errorf("isIPv4(%q) = %v, want %v", tt.in, got, tt.v4)
		}
		if got := isIPv6(tt.in); got != tt.v6 {
			t.Errorf("isIPv6(%q) = %v, want %v", tt.in, got, tt.v6)
		}
	}
}
