package misp

import (
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Normalize rewrites an attribute value the way MISP does before it validates and stores
// it: trim blanks at both ends, refang defanged indicators, replace 4-byte UTF-8 sequences
// with '?', then apply the rewriting specific to typ (lower-case hashes, compress IPv6,
// punycode domains, ...). Values that cannot be rewritten are returned as they are and left
// for [Validate] to refuse.
//
// Normalize works on bytes as PHP does; case changes touch ASCII letters only.
func Normalize(typ, value string) string {
	value = trimPHP(value)
	value = refang(typ, value)
	value = replace4ByteUTF8(value)
	return normalizeForType(typ, value)
}

// trimPHP trims what PHP's trim() trims: space, \t, \n, \r, \0 and \v.
func trimPHP(s string) string {
	return strings.Trim(s, " \t\n\r\x00\x0b")
}

// A refangRule turns one defanged notation back into the real character(s) for some types.
// MISP applies the rules once, in this order, so "[[.]]" becomes "[.]", not ".".
type refangRule struct {
	types   []string
	replace func(string) string
}

var refangRules = []refangRule{
	{[]string{"link", "url"}, refangScheme},
	{
		[]string{
			"link", "url", "ip-dst", "ip-src", "domain|ip", "domain", "hostname",
			"email", "email-src", "email-dst",
		},
		strings.NewReplacer("[.]", ".", "[dot]", ".", "(dot)", ".").Replace,
	},
	{[]string{"link", "url"}, strings.NewReplacer("[hxxp://]", "http://").Replace},
	{
		[]string{"email", "email-src", "email-dst"},
		strings.NewReplacer("[@]", "@", "[at]", "@").Replace,
	},
	{[]string{"url", "link"}, strings.NewReplacer("[:]", ":").Replace},
}

func refang(typ, value string) string {
	for _, r := range refangRules {
		for _, t := range r.types {
			if t == typ {
				value = r.replace(value)
				break
			}
		}
	}
	return value
}

// refangScheme turns a defanged scheme at the start of a URL (hxxp, hxtp, htxp, meow, h[tt]p,
// in any case) into "http".
func refangScheme(v string) string {
	for _, prefix := range []string{"hxxp", "hxtp", "htxp", "meow", "h[tt]p"} {
		if hasPrefixFoldASCII(v, prefix) {
			return "http" + v[len(prefix):]
		}
	}
	return v
}

// hasPrefixFoldASCII reports whether s starts with the lower-case ASCII prefix in any case.
func hasPrefixFoldASCII(s, prefix string) bool {
	return len(s) >= len(prefix) && lowerASCII(s[:len(prefix)]) == prefix
}

// replace4ByteUTF8 replaces every 4-byte UTF-8 sequence (emoji and other characters outside
// the Basic Multilingual Plane) with '?'. MISP does this because its value columns were
// created as 3-byte MySQL utf8; Cairn keeps it so that values stay identical to MISP's.
// Invalid bytes are kept as they are, as PHP's byte-level regular expression keeps them.
func replace4ByteUTF8(s string) string {
	var b []byte
	last := 0
	for i := 0; i+3 < len(s); i++ {
		if !is4ByteSequence(s[i : i+4]) {
			continue
		}
		if b == nil {
			b = make([]byte, 0, len(s))
		}
		b = append(b, s[last:i]...)
		b = append(b, '?')
		last = i + 4
		i += 3
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

func is4ByteSequence(s string) bool {
	cont := func(c byte) bool { return 0x80 <= c && c <= 0xbf }
	if !cont(s[2]) || !cont(s[3]) {
		return false
	}
	switch c := s[0]; {
	case c == 0xf0:
		return 0x90 <= s[1] && s[1] <= 0xbf
	case 0xf1 <= c && c <= 0xf3:
		return cont(s[1])
	case c == 0xf4:
		return 0x80 <= s[1] && s[1] <= 0x8f
	}
	return false
}

// lowerCaseTypes are stored in lower case.
var lowerCaseTypes = setOf(
	"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512/224", "sha512/256",
	"sha3-224", "sha3-256", "sha3-384", "sha3-512", "ja3-fingerprint-md5", "jarm-fingerprint",
	"hassh-md5", "hasshserver-md5", "hostname", "pehash", "authentihash", "vhash", "imphash",
	"telfhash", "tlsh", "anonymised", "cdhash", "email", "email-src", "email-dst",
	"target-email", "whois-registrant-email", "dom-hash", "onion-address",
)

// filenameHashTypes are the filename|hash types whose hash part is stored in lower case.
var filenameHashTypes = setOf(
	"filename|md5", "filename|sha1", "filename|imphash", "filename|sha224", "filename|sha256",
	"filename|sha384", "filename|sha512", "filename|sha512/224", "filename|sha512/256",
	"filename|sha3-224", "filename|sha3-256", "filename|sha3-384", "filename|sha3-512",
	"filename|authentihash", "filename|vhash", "filename|pehash", "filename|tlsh",
)

// normalizeForType is step 4 of the pipeline, MISP's modifyBeforeValidation.
func normalizeForType(typ, v string) string {
	switch {
	case lowerCaseTypes[typ]:
		return lowerASCII(v)
	case filenameHashTypes[typ]:
		// Only the hash is lower-cased; a value without '|' is lower-cased whole, as in MISP.
		bar := max(strings.IndexByte(v, '|'), 0)
		return v[:bar] + lowerASCII(v[bar:])
	}

	switch typ {
	case "ip-src", "ip-dst":
		return normalizeIP(v)
	case "domain":
		return normalizeDomain(lowerASCII(v))
	case "domain|ip":
		return normalizeDomainIP(v)
	case "http-method", "hex":
		return upperASCII(v)
	case "vulnerability", "weakness":
		return upperASCII(strings.ReplaceAll(v, "\u2013", "-"))
	case "cc-number", "bin":
		return keepBytes(v, isDigit)
	case "iban", "bic":
		return keepBytes(upperASCII(v), func(c byte) bool {
			return isDigit(c) || 'A' <= c && c <= 'Z'
		})
	case "prtn", "phone-number", "whois-registrant-phone":
		return normalizePhone(v)
	case "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256":
		return lowerASCII(strings.ReplaceAll(v, ":", ""))
	case "ip-src|port", "ip-dst|port":
		return normalizeIPPort(v)
	case "mac-address", "mac-eui-64":
		return normalizeMAC(v)
	case "hostname|port":
		return strings.ReplaceAll(lowerASCII(v), ":", "|")
	case "boolean":
		return normalizeBoolean(v)
	case "datetime":
		return normalizeDatetime(v)
	case "AS":
		return normalizeAS(v)
	}
	return v
}

// idnaProfile converts an internationalised domain name to punycode the way PHP's
// idn_to_ascii does with its defaults (UTS #46, transitional, no STD3 rules).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(true),
	idna.StrictDomainName(false),
	idna.VerifyDNSLength(true),
)

// normalizeDomain strips dots at both ends of a lower-cased domain and, when the result
// is not a valid domain, tries its punycode form.
func normalizeDomain(v string) string {
	v = strings.Trim(v, ".")
	if isDomain(v) {
		return v
	}
	if ascii, err := idnaProfile.ToASCII(v); err == nil {
		return ascii
	}
	return v
}

// normalizeDomainIP normalises both halves of a domain|ip pair. As in MISP, anything after a
// second '|' is dropped.
func normalizeDomainIP(v string) string {
	v = lowerASCII(v)
	parts := strings.Split(v, "|")
	if len(parts) < 2 {
		return v
	}
	return normalizeDomain(parts[0]) + "|" + normalizeIP(parts[1])
}

// normalizePhone turns a leading "00" into "+", drops "(0)" and keeps '+' and digits.
func normalizePhone(v string) string {
	if strings.HasPrefix(v, "00") {
		v = "+" + v[2:]
	}
	v = strings.ReplaceAll(v, "(0)", "")
	return keepBytes(v, func(c byte) bool { return c == '+' || isDigit(c) })
}

// normalizeIPPort turns the many ways of writing an address and a port into "ip|port".
// PHP's strpos is truthy only past the first byte, hence the "> 0" tests. As in MISP, a third
// part (as in "1.2.3.4:80:90") is dropped.
func normalizeIPPort(v string) string {
	var ip, port string
	switch {
	case strings.Count(v, ":") >= 2: // IPv6
		ip, port = splitIPv6Port(v)
	case strings.IndexByte(v, ':') > 0:
		ip, port = splitSecond(v, ":")
	case strings.IndexByte(v, '|') > 0:
		ip, port = splitSecond(v, "|")
	default:
		return v
	}
	return normalizeIP(ip) + "|" + port
}

func splitIPv6Port(v string) (ip, port string) {
	switch {
	case strings.IndexByte(v, '|') > 0: // 2001:db8::1|80
		return splitSecond(v, "|")
	case strings.HasPrefix(v, "[") && strings.Contains(v, "]"): // [2001:db8::1]:80
		end := strings.IndexByte(v, ']')
		_, port = splitSecond(v[end:], ":")
		return v[1:end], port
	case strings.IndexByte(v, '.') > 0: // 2001:db8::1.80
		return splitSecond(v, ".")
	case strings.Index(v, " port ") > 0: // 2001:db8::1 port 80
		return splitSecond(v, " port ")
	case strings.IndexByte(v, 'p') > 0: // 2001:db8::1p80
		return splitSecond(v, "p")
	case strings.IndexByte(v, '#') > 0: // 2001:db8::1#80
		return splitSecond(v, "#")
	}
	// 2001:db8::1:80 is ambiguous; the last group is taken as the port.
	last := strings.LastIndexByte(v, ':')
	return v[:last], v[last+1:]
}

// splitSecond returns the first two fields of v split by sep, as PHP's explode followed by
// $parts[0] and $parts[1] does; a missing second field is "".
func splitSecond(v, sep string) (first, second string) {
	parts := strings.SplitN(v, sep, 3)
	if len(parts) < 2 {
		return parts[0], ""
	}
	return parts[0], parts[1]
}

// normalizeMAC lower-cases a MAC address, drops its separators and puts a ':' after every
// two characters.
func normalizeMAC(v string) string {
	v = keepBytes(lowerASCII(v), func(c byte) bool {
		return c != '.' && c != ':' && c != '-' && c != ' '
	})
	var b strings.Builder
	for i := 0; i < len(v); i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(v[i:min(i+2, len(v))])
	}
	return b.String()
}

// normalizeBoolean maps "true"/"false" and PHP truthiness onto "1" and "0".
func normalizeBoolean(v string) string {
	switch lowerASCII(trimPHP(v)) {
	case "", "0", "false":
		return "0"
	}
	return "1"
}

// datetimeLayout is PHP's 'Y-m-d\TH:i:s.uO'.
const datetimeLayout = "2006-01-02T15:04:05.000000-0700"

// normalizeDatetime rewrites a parsable date and time as datetimeLayout, keeping the offset
// it was given in (UTC when none). Unparsable values are left for Validate to refuse.
func normalizeDatetime(v string) string {
	t, err := parseTime(v, false)
	if err != nil {
		return v
	}
	return t.Format(datetimeLayout)
}

// normalizeAS strips a leading "AS" and turns asdot notation (X.Y) into X*65536+Y.
func normalizeAS(v string) string {
	if hasPrefixFoldASCII(v, "as") {
		v = v[2:]
	}
	high, low, ok := strings.Cut(v, ".")
	if !ok || !isDigits(high) || !isDigits(low) {
		return v
	}
	h, err1 := strconv.ParseUint(high, 10, 64)
	l, err2 := strconv.ParseUint(low, 10, 64)
	if err1 != nil || err2 != nil || h > 1<<32 || l > 1<<32 {
		// note: MISP computes a larger number (or a float) here; it fails validation all the
		// same, with the same message, so the value is left as it is.
		return v
	}
	return strconv.FormatUint(h*65536+l, 10)
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return mapBytes(s, func(c byte) byte {
				if 'A' <= c && c <= 'Z' {
					return c + 'a' - 'A'
				}
				return c
			})
		}
	}
	return s
}

func upperASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return mapBytes(s, func(c byte) byte {
				if 'a' <= c && c <= 'z' {
					return c - ('a' - 'A')
				}
				return c
			})
		}
	}
	return s
}

func mapBytes(s string, f func(byte) byte) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = f(c)
	}
	return string(b)
}

// keepBytes returns the bytes of s for which keep is true.
func keepBytes(s string, keep func(byte) bool) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if keep(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
