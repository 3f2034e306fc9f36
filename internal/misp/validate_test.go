package misp

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	md5Hex    = "d41d8cd98f00b204e9800998ecf8427e"
	sha1Hex   = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
	sha256Hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	tlshHex   = "t1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7"
)

func TestValidate(t *testing.T) {
	hashMsg := func(n string) string {
		return "Checksum has an invalid length or format (expected: " + n +
			` hexadecimal characters). Please double check the value or select type "other".`
	}
	filenameHashMsg := func(n string) string {
		return "Checksum has an invalid length or format (expected: filename|" + n +
			` hexadecimal characters). Please double check the value or select type "other".`
	}

	tests := []struct {
		name, typ, value string
		want             string // "" when valid, else the message
	}{
		// Checks every value goes through.
		{"empty", "text", "", msgEmpty},
		{"blank", "text", " \t\n", msgEmpty},
		{"zero is not empty", "text", "0", ""},
		{"control chars", "text", "\x01\x02\x7f", msgControlChars},
		{"control part", "regkey|value", "HKLM\\x|\x01", msgControlChars},
		{"control first part", "domain|ip", "\x01|1.2.3.4", msgControlChars},
		{"control and text", "text", "\x01a", ""},
		{"composite needs a bar", "filename|md5", "evil.exe", msgComposite},
		{"composite needs one bar", "regkey|value", "a|b|c", msgComposite},
		{"composite malware-sample", "malware-sample", "evil.exe", msgComposite},
		{"malware-sample", "malware-sample", "evil.exe|" + md5Hex, ""},
		{"too long", "text", strings.Repeat("a", 65536), msgTooLong},
		{"longest", "text", strings.Repeat("a", 65535), ""},
		{"type rule before length", "url", strings.Repeat("a\n", 40000), msgNewline},

		// Fixed-length hashes.
		{"md5", "md5", md5Hex, ""},
		{"md5 upper", "md5", strings.ToUpper(md5Hex), ""},
		{"md5 short", "md5", md5Hex[1:], hashMsg("32")},
		{"md5 not hex", "md5", "z" + md5Hex[1:], hashMsg("32")},
		{"sha1", "sha1", sha1Hex, ""},
		{"sha1 as md5", "sha1", md5Hex, hashMsg("40")},
		{"sha256", "sha256", sha256Hex, ""},
		{"sha224", "sha224", strings.Repeat("a", 56), ""},
		{"sha384", "sha384", strings.Repeat("a", 95), hashMsg("96")},
		{"sha512", "sha512", strings.Repeat("a", 128), ""},
		{"sha512/224", "sha512/224", strings.Repeat("a", 56), ""},
		{"sha512/256", "sha512/256", strings.Repeat("a", 63), hashMsg("64")},
		{"sha3-224", "sha3-224", strings.Repeat("a", 56), ""},
		{"sha3-384", "sha3-384", strings.Repeat("a", 96), ""},
		{"sha3-512", "sha3-512", strings.Repeat("a", 127), hashMsg("128")},
		{"imphash", "imphash", md5Hex, ""},
		{"git-commit-id", "git-commit-id", md5Hex, hashMsg("40")},
		{"authentihash", "authentihash", sha256Hex, ""},
		{"ja3", "ja3-fingerprint-md5", md5Hex, ""},
		{"jarm", "jarm-fingerprint", strings.Repeat("a", 62), ""},
		{"jarm short", "jarm-fingerprint", strings.Repeat("a", 64), hashMsg("62")},
		{"hassh", "hassh-md5", md5Hex, ""},
		{"hasshserver", "hasshserver-md5", "x", hashMsg("32")},
		{"dom-hash", "dom-hash", md5Hex, ""},
		{"x509 md5", "x509-fingerprint-md5", md5Hex, ""},
		{"x509 sha1", "x509-fingerprint-sha1", sha1Hex, ""},
		{"x509 sha256", "x509-fingerprint-sha256", sha1Hex, hashMsg("64")},
		{"pehash", "pehash", sha1Hex, ""},
		{"pehash bad", "pehash", md5Hex, msgPEHash},

		// Other hashes.
		{"tlsh", "tlsh", tlshHex, ""},
		{"tlsh no t", "tlsh", tlshHex[2:], ""},
		{"tlsh short", "tlsh", strings.Repeat("a", 35), "Checksum has an invalid length or " +
			"format (expected: at least 35 hexadecimal characters, optionally starting with " +
			`t1 instead of hexadecimal characters). Please double check the value or select ` +
			`type "other".`},
		{"telfhash 70", "telfhash", strings.Repeat("a", 70), ""},
		{"telfhash 72", "telfhash", strings.Repeat("x", 72), ""},
		{"telfhash 71", "telfhash", strings.Repeat("a", 71), "Checksum has an invalid length " +
			"or format (expected: 70 or 72 hexadecimal characters). Please double check the " +
			`value or select type "other".`},
		{"ssdeep", "ssdeep", "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWX:sF1LjEtHH", ""},
		{"ssdeep empty hashes", "ssdeep", "3::", ""},
		{"ssdeep bad", "ssdeep", "abc:def:ghi", "Invalid SSDeep hash. The format has to be " +
			"blocksize:hash:hash"},
		{"impfuzzy", "impfuzzy", "48:x:y", ""},
		{"impfuzzy bad count", "impfuzzy", "48:x", "Invalid impfuzzy format. The format has " +
			"to be imports:hash:hash"},
		{"impfuzzy bad number", "impfuzzy", "x:y:z", "Invalid impfuzzy format. The format " +
			"has to be imports:hash:hash"},
		{"cdhash", "cdhash", sha1Hex + "ab", ""},
		{"cdhash short", "cdhash", md5Hex, "The input doesn't match the expected format " +
			"(expected: 40 or more hexadecimal characters)"},
		{"cdhash upper", "cdhash", strings.ToUpper(sha1Hex), "The input doesn't match the " +
			"expected format (expected: 40 or more hexadecimal characters)"},
		{"vhash", "vhash", "anything", ""},
		{"vhash newline", "vhash", "a\nb", msgGeneric},
		{"http-method", "http-method", "GET", ""},
		{"http-method webdav", "http-method", "PROPFIND", ""},
		{"http-method contained", "http-method", "XGETX", ""},
		{"http-method bad", "http-method", "FETCH", "Unknown HTTP method."},

		// filename|hash.
		{"filename|md5", "filename|md5", "evil.exe|" + md5Hex, ""},
		{"filename|md5 upper", "filename|md5", "evil.exe|" + strings.ToUpper(md5Hex),
			filenameHashMsg("32")},
		{"filename|md5 no name", "filename|md5", "|" + md5Hex, filenameHashMsg("32")},
		{"filename|md5 newline", "filename|md5", "a\nb|" + md5Hex, filenameHashMsg("32")},
		{"filename|sha1", "filename|sha1", "a|" + sha1Hex, ""},
		{"filename|sha256", "filename|sha256", "a|" + sha1Hex, filenameHashMsg("64")},
		{"filename|imphash", "filename|imphash", "a|" + md5Hex, ""},
		{"filename|sha3-512", "filename|sha3-512", "a|" + strings.Repeat("0", 128), ""},
		{"filename|authentihash", "filename|authentihash", "a|" + sha256Hex, ""},
		{"filename|pehash", "filename|pehash", "a|" + sha1Hex, ""},
		{"filename|pehash bad", "filename|pehash", "a|" + md5Hex, msgFilenamePEHash},
		{"filename|ssdeep", "filename|ssdeep", "a|3:ab:cd", ""},
		{"filename|ssdeep newline", "filename|ssdeep", "a\nb|3:ab:cd", msgFilenameNewline},
		{"filename|ssdeep bad", "filename|ssdeep", "a|x", "Invalid ssdeep hash (expected: " +
			"blocksize:hash:hash)."},
		{"filename|tlsh", "filename|tlsh", "a|" + tlshHex, ""},
		{"filename|tlsh newline", "filename|tlsh", "a\n|" + tlshHex, msgFilenameNewline},
		{"filename|tlsh bad", "filename|tlsh", "a|t1", "TLSH hash has an invalid length or " +
			"format (expected: filename|at least 35 hexadecimal characters, optionally " +
			"starting with t1 instead of hexadecimal characters). Please double check the " +
			`value or select type "other".`},
		{"filename|vhash", "filename|vhash", "a|b", ""},
		{"filename|vhash empty", "filename|vhash", "a|", "Checksum has an invalid length or " +
			`format (expected: filename|string characters). Please double check the value or ` +
			`select type "other".`},
		{"filename|impfuzzy anything", "filename|impfuzzy", "a|b", ""},

		// Network.
		{"ipv4", "ip-src", "192.0.2.1", ""},
		{"ipv6", "ip-dst", "2001:db8::1", ""},
		{"ipv4 bad", "ip-dst", "192.0.2.256", msgIPFormat},
		{"ipv4 leading zero", "ip-dst", "192.0.2.01", msgIPFormat},
		{"hostname as ip", "ip-dst", "example.com", msgIPFormat},
		{"ipv4 cidr", "ip-src", "192.0.2.0/24", ""},
		{"ipv4 cidr 32", "ip-src", "192.0.2.0/32", ""},
		{"ipv4 cidr big", "ip-src", "192.0.2.0/33", "Invalid CIDR notation value found, for " +
			"IPv4 must be lower or equal 32."},
		{"ipv6 cidr", "ip-src", "2001:db8::/128", ""},
		{"ipv6 cidr big", "ip-src", "2001:db8::/129", "Invalid CIDR notation value found, " +
			"for IPv6 must be lower or equal 128."},
		{"cidr huge", "ip-src", "::/99999999999999999999", "Invalid CIDR notation value " +
			"found, for IPv6 must be lower or equal 128."},
		{"cidr not number", "ip-src", "192.0.2.0/x", "Invalid CIDR notation value found."},
		{"cidr two slashes", "ip-src", "192.0.2.0/8/8", "Invalid CIDR notation value found."},
		{"cidr bad ip", "ip-src", "x/8", msgIPFormat},
		{"port", "port", "443", ""},
		{"port zero", "port", "0", msgPort},
		{"port big", "port", "65536", msgPort},
		{"port sign", "port", "+80", msgPort},
		{"ip|port", "ip-dst|port", "192.0.2.1|443", ""},
		{"ipv6|port", "ip-src|port", "2001:db8::1|443", ""},
		{"ip|port cidr", "ip-dst|port", "192.0.2.0/24|443", msgIPFormat},
		{"ip|port bad port", "ip-dst|port", "192.0.2.1|", msgPort},
		{"hostname", "hostname", "www.example.com", ""},
		{"hostname underscore", "hostname", "_dmarc.example.com", ""},
		{"hostname no dot", "hostname", "localhost", "Hostname has an invalid format. " +
			`Please double check the value or select type "other".`},
		{"domain", "domain", "example.co", ""},
		{"domain short tld", "domain", "example.c", "Domain has an invalid format. Please " +
			`double check the value or select type "other".`},
		{"domain punycode", "domain", "xn--mnchen-3ya.de", ""},
		{"domain unicode", "domain", "m\u00fcnchen.de", "Domain has an invalid format. " +
			`Please double check the value or select type "other".`},
		{"hostname|port", "hostname|port", "www.example.com|8080", ""},
		{"hostname|port bad host", "hostname|port", "www|8080", "Hostname has an invalid format."},
		{"hostname|port bad port", "hostname|port", "www.example.com|x", msgPort},
		{"domain|ip", "domain|ip", "example.com|192.0.2.1", ""},
		{"domain|ip bad domain", "domain|ip", "example|192.0.2.1", "Domain has an invalid format."},
		{"domain|ip bad ip", "domain|ip", "example.com|192.0.2", msgIPFormat},
		{"email", "email", "a@example.com", ""},
		{"email partial", "email-src", "a@b.", ""},
		{"email space in local part", "email-dst", "a b@example.com", "Email address has an " +
			`invalid format. Please double check the value or select type "other".`},
		{"email no at", "eppn", "example.com", "Email address has an invalid format. Please " +
			`double check the value or select type "other".`},
		{"email no dot", "target-email", "a@example", "Email address has an invalid " +
			`format. Please double check the value or select type "other".`},
		{"whois email", "whois-registrant-email", "a@b.c", ""},
		{"dns-soa-email", "dns-soa-email", "hostmaster@example.com", ""},
		{"jabber-id", "jabber-id", "user@jabber.example", ""},
		{"onion v2", "onion-address", "abcdefghij234567.onion", ""},
		{"onion v3", "onion-address", strings.Repeat("a", 56) + ".onion", ""},
		{"onion bad", "onion-address", "abc.onion", "Onion address has an invalid format."},
		{"mac", "mac-address", "00:11:22:aa:bb:cc", ""},
		{"mac bare", "mac-address", "001122AABBCC", ""},
		{"mac short", "mac-address", "00:11:22:aa:bb", msgGeneric},
		{"mac-eui-64", "mac-eui-64", "00:11:22:33:44:55:66:77", ""},
		{"mac-eui-64 short", "mac-eui-64", "00:11:22:aa:bb:cc", msgGeneric},
		{"link", "link", "https://www.example.com/path?q=1#x", ""},
		{"link ipv6", "link", "http://[2001:db8::1]:8080/", ""},
		{"link ftp", "link", "ftp://user:pass@ftp.example.com/file", ""},
		{"link mailto", "link", "mailto:someone@example.com", ""},
		{"link no scheme", "link", "www.example.com", msgGeneric},
		{"link space", "link", "http://example.com/a b", msgGeneric},
		{"link underscore host", "link", "http://a_b.example.com/", msgGeneric},
		{"link bad port", "link", "http://example.com:99999/", msgGeneric},
		{"link no host", "link", "http:///path", msgGeneric},
		{"link javascript", "link", "javascript:alert(1)", msgGeneric},

		// Identifiers and formats.
		{"vulnerability", "vulnerability", "CVE-2021-44228", ""},
		{"vulnerability short", "vulnerability", "CVE-2021-123", "Invalid format. Expected: " +
			"CVE-xxxx-xxxx..."},
		{"weakness", "weakness", "CWE-79", ""},
		{"weakness bad", "weakness", "CWE-", "Invalid format. Expected: CWE-x..."},
		{"windows service", "windows-service-name", "Spooler", ""},
		{"windows service slash", "windows-service-displayname", `a\b`, "Invalid format. " +
			"Only values shorter than 256 characters that don't include any forward or " +
			"backward slashes are allowed."},
		{"windows service 256", "windows-service-name", strings.Repeat("a", 256), ""},
		{"windows service 257", "windows-service-name", strings.Repeat("a", 257), "Invalid " +
			"format. Only values shorter than 256 characters that don't include any forward " +
			"or backward slashes are allowed."},
		{"hex", "hex", "DEADBEEF", ""},
		{"hex bad", "hex", "DEADBEEG", msgGeneric},
		{"url", "url", "http://example.com/a", ""},
		{"url newline", "url", "http://a\nb", msgNewline},
		{"filename newline", "filename", "a\nb", msgNewline},
		{"regkey|value newline", "regkey|value", "HKLM\\a|b\nc", msgNewline},
		{"named pipe newline", "named pipe", "\\\\.\\pipe\\a\n", msgNewline},
		{"user-agent", "user-agent", "Mozilla/5.0", ""},
		{"ssh sha256", "ssh-fingerprint",
			"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", ""},
		{"ssh sha256 padded", "ssh-fingerprint",
			"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", ""},
		{"ssh sha256 bad padding", "ssh-fingerprint",
			"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU==",
			"SSH fingerprint must be in MD5 or SHA256 format."},
		{"ssh sha256 short", "ssh-fingerprint", "SHA256:AAAA",
			"SSH fingerprint must be in MD5 or SHA256 format."},
		{"ssh md5", "ssh-fingerprint", "MD5:d4:1d:8c:d9:8f:00:b2:04:e9:80:09:98:ec:f8:42:7e", ""},
		{"ssh md5 plain", "ssh-fingerprint", md5Hex, ""},
		{"ssh bad", "ssh-fingerprint", "SHA1:" + sha1Hex,
			"SSH fingerprint must be in MD5 or SHA256 format."},
		{"datetime", "datetime", "2024-01-01T10:00:00.000000+0000", ""},
		{"datetime date", "datetime", "2024-01-01", ""},
		{"datetime bad", "datetime", "yesterday-ish", "Datetime has to be in the ISO 8601 format."},
		{"size-in-bytes", "size-in-bytes", "0", ""},
		{"size-in-bytes negative", "size-in-bytes", "-1", "The value has to be a whole " +
			"number greater or equal 0."},
		{"counter", "counter", "1.5", "The value has to be a whole number greater or equal 0."},
		{"integer", "integer", "-42", ""},
		{"integer float", "integer", "4.2", "The value has to be an integer value."},
		{"integer overflow", "integer", "99999999999999999999", "The value has to be an " +
			"integer value."},
		{"float", "float", "-1.5e3", ""},
		{"float bad", "float", "1,5", msgGeneric},
		{"phone", "phone-number", "+352123456", ""},
		{"phone bad", "phone-number", "+352-123", msgGeneric},
		{"cc-number", "cc-number", "4111111111111111", ""},
		{"bank-account-nr", "bank-account-nr", "12-34", msgGeneric},
		{"aba-rtn", "aba-rtn", "011000015", ""},
		{"iban", "iban", "LU280019400644750000", ""},
		{"iban bad", "iban", "LU28-0019", msgGeneric},
		{"btc", "btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", ""},
		{"xmr bad", "xmr", "4AdU x", msgGeneric},
		{"cortex", "cortex", `{"a":[1,2]}`, ""},
		{"cortex scalar", "cortex", `"x"`, ""},
		{"cortex bad", "cortex", `{"a":}`, msgGeneric},
		{"boolean 1", "boolean", "1", ""},
		{"boolean 0.0", "boolean", "0.0", ""},
		{"boolean 2", "boolean", "2", msgGeneric},
		{"boolean word", "boolean", "true", msgGeneric},
		{"AS", "AS", "4294967295", ""},
		{"AS zero", "AS", "0", ""},
		{"AS big", "AS", "4294967296", "AS number have to be integer between 1 and 4294967295"},
		{"AS prefix", "AS", "AS1", "AS number have to be integer between 1 and 4294967295"},

		// Types that accept anything.
		{"comment", "comment", "any\nthing", ""},
		{"yara", "yara", "rule x { condition: true }", ""},
		{"uuid", "uuid", "not a uuid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			err := Validate(tt.typ, tt.value)
			if err != nil {
				var verr *ValidationError
				if !errors.As(err, &verr) || verr.Field != "value" {
					t.Fatalf("Validate(%q, %.40q) = %v, want a value error", tt.typ, tt.value, err)
				}
				got = verr.Message
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate(%q, %.40q) mismatch (-want +got):\n%s", tt.typ, tt.value, diff)
			}
		})
	}
}

func TestValidateUnknownType(t *testing.T) {
	err := Validate("no-such-type", "x")
	want := &ValidationError{Field: "type", Message: "Invalid type."}
	if diff := cmp.Diff(want, err); diff != "" {
		t.Errorf("Validate(unknown) mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckAttribute(t *testing.T) {
	tests := []struct {
		name                    string
		typ, category, value    string
		wantValue, wantCategory string
		wantErr                 *ValidationError
	}{
		{
			name: "default category", typ: "ip-dst", value: " 10[.]0.0.1 ",
			wantValue: "10.0.0.1", wantCategory: "Network activity",
		},
		{
			name: "given category", typ: "md5", category: "Artifacts dropped",
			value:     strings.ToUpper(md5Hex),
			wantValue: md5Hex, wantCategory: "Artifacts dropped",
		},
		{
			name: "no type", typ: "", value: "x",
			wantErr: &ValidationError{"type", "No type set."},
		},
		{
			name: "unknown type", typ: "ip", value: "10.0.0.1",
			wantErr: &ValidationError{"type", "Invalid type."},
		},
		{
			name: "category not allowed", typ: "md5", category: "Network activity", value: md5Hex,
			wantErr: &ValidationError{"category", "Options depend on the selected category."},
		},
		{
			name: "unknown category", typ: "md5", category: "Files dropped", value: md5Hex,
			wantErr: &ValidationError{"category", msgUnknownCategory},
		},
		{
			name: "bad value", typ: "ip-src", value: "10.0.0.256",
			wantErr: &ValidationError{"value", "IP address has an invalid format."},
		},
		{
			name: "empty after trim", typ: "comment", value: "  ",
			wantErr: &ValidationError{"value", msgEmpty},
		},
		{
			name: "normalised before validation", typ: "ip-src|port", value: "[2001:db8::1]:53",
			wantValue: "2001:db8::1|53", wantCategory: "Network activity",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotValue, gotCategory, err := CheckAttribute(tt.typ, tt.category, tt.value)
			if tt.wantErr != nil {
				var verr *ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("CheckAttribute error = %v, want %v", err, tt.wantErr)
				}
				if diff := cmp.Diff(tt.wantErr, verr); diff != "" {
					t.Errorf("CheckAttribute error mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckAttribute: %v", err)
			}
			got := []string{gotValue, gotCategory}
			if diff := cmp.Diff([]string{tt.wantValue, tt.wantCategory}, got); diff != "" {
				t.Errorf("CheckAttribute mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitJoinValue(t *testing.T) {
	tests := []struct {
		typ, value, v1, v2 string
	}{
		{"filename|md5", "a.exe|" + md5Hex, "a.exe", md5Hex},
		{"malware-sample", "a.exe|" + md5Hex, "a.exe", md5Hex},
		{"regkey|value", "HKLM\\a|b|c", "HKLM\\a", "b|c"},
		{"domain|ip", "example.com", "example.com", ""},
		{"text", "a|b", "a|b", ""},
	}
	for _, tt := range tests {
		v1, v2 := SplitValue(tt.typ, tt.value)
		if v1 != tt.v1 || v2 != tt.v2 {
			t.Errorf("SplitValue(%q, %q) = %q, %q; want %q, %q", tt.typ, tt.value, v1, v2,
				tt.v1, tt.v2)
		}
		if got := JoinValue(v1, v2); got != tt.value {
			t.Errorf("JoinValue(%q, %q) = %q, want %q", v1, v2, got, tt.value)
		}
	}
}

func TestIsNumeric(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"1", true}, {"-1", true}, {"+1.5", true}, {".5", true}, {"5.", true},
		{"1e3", true}, {"1E-3", true}, {" 1", true}, {"1 ", true}, {"\f1\v", true},
		{"", false}, {".", false}, {"-", false}, {"1e", false}, {"e1", false},
		{"0x1A", false}, {"1_000", false}, {"inf", false}, {"NaN", false}, {"1 2", false},
	}
	for _, tt := range tests {
		if got := isNumeric(tt.in); got != tt.want {
			t.Errorf("isNumeric(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
