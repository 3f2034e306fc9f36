package freetext

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// token is one trimmed token on its way through the checks.
type token struct {
	raw      string
	refanged string
	noPort   string // refanged, without the trailing port
	port     string // "" when there is none
}

func candidate(types []string, defaultType, value string) Candidate {
	return Candidate{Types: slices.Clone(types), DefaultType: defaultType, Value: value}
}

// withComment sets the comment a candidate read from t carries: its port, or false.
func (t *token) withComment(c Candidate) Candidate {
	c.Comment, c.Port = NoPort, ""
	if t.port != "" {
		c.Comment, c.Port = PortComment, t.port
	}
	return c
}

// resolve returns the candidate a trimmed token makes, trying the kinds of indicator in
// MISP's order; ok is false when the token is none.
func (d *Detector) resolve(raw string) (Candidate, bool) {
	if isIP(raw) {
		return candidate(ipTypes, "ip-dst", raw), true
	}
	if c, ok := checkHashes(raw); ok {
		return c, true
	}
	t := &token{raw: raw, refanged: refang(raw)}
	if strings.IndexByte(t.refanged, '@') >= 0 && isEmail(t.refanged) {
		return candidate(emailTypes, "email-src", t.refanged), true
	}
	t.cutPort()
	if c, ok := t.checkIP(); ok {
		return c, true
	}
	if c, ok := d.checkNameOrPath(t); ok {
		return c, true
	}
	if c, ok := checkCVEOrPhone(raw); ok {
		return c, true
	}
	if isASNumber(raw) {
		return candidate([]string{"AS"}, "AS", upperASCII(raw)), true
	}
	if isBTC(raw) {
		return candidate([]string{"btc"}, "btc", raw), true
	}
	return Candidate{}, false
}

// checkHashes finds hashes: "<file name>|<hash or ssdeep>", a hexadecimal hash of a known
// length (which may also read as a bitcoin address), or an ssdeep hash.
func checkHashes(raw string) (Candidate, bool) {
	if name, hash, ok := strings.Cut(raw, "|"); ok && !strings.Contains(hash, "|") &&
		isFilename(name) {
		if h, ok := hashTypes[len(hash)]; ok && isHex(hash) {
			return candidate(h.composite, h.composite[0], raw), true
		}
		if isSsdeep(hash) {
			return candidate([]string{"filename|ssdeep"}, "filename|ssdeep", raw), true
		}
	}
	if h, ok := hashTypes[len(raw)]; ok && isHex(raw) {
		c := candidate(h.single, h.single[0], raw)
		if isBTC(raw) {
			c.Types = append(c.Types, "btc")
		}
		return c, true
	}
	if isSsdeep(raw) {
		return candidate([]string{"ssdeep"}, "ssdeep", raw), true
	}
	return Candidate{}, false
}

// refang undoes the usual defanging: hxxp and its kin at the start, [.] [dot] (dot),
// [hxxp://], [@] [at] and [:]; then trailing dots go, and any other single character in
// brackets loses them ("1.2.3[.]4", "evil[,]com").
func refang(s string) string {
	for _, p := range []string{"hxxp", "hxtp", "htxp", "meow", "h[tt]p"} {
		if len(s) >= len(p) && lowerASCII(s[:len(p)]) == p {
			s = "http" + s[len(p):]
			break
		}
	}
	if strings.IndexAny(s, "[(") >= 0 {
		s = dotReplacer.Replace(s)
		s = strings.ReplaceAll(s, "[hxxp://]", "http://")
		s = atReplacer.Replace(s)
		s = strings.ReplaceAll(s, "[:]", ":")
	}
	s = strings.TrimRight(s, ".")
	if strings.IndexByte(s, '[') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '[' && i+2 < len(s) && s[i+2] == ']' && s[i+1] != '\n' {
			if c := s[i+1]; c != '[' && c != ']' {
				b.WriteByte(c)
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

var (
	dotReplacer = strings.NewReplacer("[.]", ".", "[dot]", ".", "(dot)", ".")
	atReplacer  = strings.NewReplacer("[@]", "@", "[at]", "@")
)

// cutPort notes a port of two to five digits at the end of the refanged token and removes
// it, with every other occurrence of the same ":<port>", as MISP does.
func (t *token) cutPort() {
	t.noPort = t.refanged
	colon := strings.LastIndexByte(t.refanged, ':')
	if colon < 0 {
		return
	}
	port := t.refanged[colon+1:]
	if len(port) < 2 || len(port) > 5 || strings.TrimLeft(port, "0123456789") != "" {
		return
	}
	t.port = port
	t.noPort = strings.ReplaceAll(t.refanged, ":"+port, "")
}

// checkIP finds IP addresses and CIDR blocks once refanged, with or without a port:
// "1.2.3.4:80", "[2001:db8::1]:443", "10.0.0.0/8".
func (t *token) checkIP() (Candidate, bool) {
	if isIP(t.noPort) {
		if t.port != "" {
			return t.withComment(candidate(ipPortTypes, "ip-dst|port", t.noPort+"|"+t.port)), true
		}
		return t.withComment(candidate(ipTypes, "ip-dst", t.noPort)), true
	}
	if isIPv6(t.refanged) {
		c := candidate(ipTypes, "ip-dst", t.refanged)
		c.Comment = EmptyComment
		return c, true
	}
	if t.port != "" && len(t.noPort) >= 2 && t.noPort[0] == '[' &&
		isIPv6(t.noPort[1:len(t.noPort)-1]) {
		ip := t.noPort[1 : len(t.noPort)-1]
		return t.withComment(candidate(ipPortTypes, "ip-dst|port", ip+"|"+t.port)), true
	}
	if ip, bits, ok := strings.Cut(t.noPort, "/"); ok && !strings.Contains(bits, "/") &&
		isIP(ip) && isNumeric(bits) {
		return t.withComment(candidate(ipTypes, "ip-dst", t.noPort)), true
	}
	return Candidate{}, false
}

// checkNameOrPath finds the dotted names (domains and hostnames when they end with a known
// top-level domain, links to security vendors, URLs, file names) and the backslashed
// paths (file names and registry keys).
func (d *Detector) checkNameOrPath(t *token) (Candidate, bool) {
	if strings.IndexByte(t.noPort, '.') >= 0 {
		labels := strings.Split(t.noPort, ".")
		if isDomainShaped(t.noPort) && d.tlds[lowerASCII(labels[len(labels)-1])] {
			if len(labels) > 2 {
				return t.withComment(candidate(hostnameTypes, "hostname", t.noPort)), true
			}
			return t.withComment(candidate(domainTypes, "domain", t.noPort)), true
		}
		if isURL(t.noPort) || isURL("http://"+t.noPort) {
			if d.isLink(t.noPort) {
				return t.withComment(candidate([]string{"link"}, "link", t.noPort)), true
			}
			if strings.IndexByte(t.noPort, '/') >= 0 {
				return t.withComment(candidate([]string{"url"}, "url", t.noPort)), true
			}
		}
		if isFilename(t.raw) {
			return candidate([]string{"filename"}, "filename", t.raw), true
		}
	}
	if strings.IndexByte(t.raw, '\\') >= 0 {
		parts := strings.Split(t.raw, `\`)
		last := parts[len(parts)-1]
		if strings.IndexByte(last, '.') >= 0 || hasDrive(parts[0]) {
			if isFilename(last) {
				return candidate([]string{"filename"}, "filename", t.raw), true
			}
		} else if !isEmpty(parts[0]) {
			return candidate([]string{"regkey"}, "regkey", t.raw), true
		}
	}
	return Candidate{}, false
}

// isDomainShaped reports whether s is dotted labels of letters, digits and hyphens in any
// script, the last in ASCII.
func isDomainShaped(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	labels := strings.Split(s, ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	for i := 0; i < len(last); i++ {
		if c := last[i]; !isDigit(c) && !isLetter(c) && c != '-' {
			return false
		}
	}
	for _, l := range labels[:len(labels)-1] {
		if l == "" {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsNumber(r) {
				return false
			}
		}
	}
	return true
}

// hasDrive reports whether s starts like a Windows path: one character and a colon.
func hasDrive(s string) bool { return len(s) >= 2 && s[0] != '\n' && s[1] == ':' }

// isFilename reports whether s looks like a file name: a dot after the first character (or
// a drive letter), and an extension of ASCII letters and digits that is not a number.
func isFilename(s string) bool {
	if !hasDrive(s) && strings.IndexByte(s, '.') <= 0 {
		return false
	}
	ext := s[strings.LastIndexByte(s, '.')+1:]
	return !isNumeric(ext) && isAlnum(ext)
}

// isSsdeep reports whether s is an ssdeep hash: block size, then two base64 parts, and not
// a time of day such as 12:30:45.
func isSsdeep(s string) bool {
	size, rest, ok := strings.Cut(s, ":")
	if !ok || size == "" || strings.TrimLeft(size, "0123456789") != "" {
		return false
	}
	a, b, ok := strings.Cut(rest, ":")
	if !ok || !isBase64Part(a) || !isBase64Part(b) {
		return false
	}
	shortDigits := func(p string) bool {
		return len(p) <= 2 && strings.TrimLeft(p, "0123456789") == ""
	}
	return !(shortDigits(size) && shortDigits(a) && shortDigits(b))
}

func isBase64Part(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && !isLetter(c) && c != '/' && c != '+' {
			return false
		}
	}
	return true
}

// checkCVEOrPhone finds CVE numbers and phone numbers (which must start with + or hold a
// dash, and must not be a date).
func checkCVEOrPhone(raw string) (Candidate, bool) {
	if isCVE(raw) {
		return candidate([]string{"vulnerability"}, "vulnerability", upperASCII(raw)), true
	}
	if (raw[0] == '+' || strings.IndexByte(raw, '-') > 0) && !isDate(raw) && isPhone(raw) {
		return candidate(phoneTypes, "phone-number", raw), true
	}
	return Candidate{}, false
}

// isCVE reports whether s is CVE-YYYY-NNNN (four to nine digits), in any case.
func isCVE(s string) bool {
	if len(s) < 13 || lowerASCII(s[:4]) != "cve-" || s[8] != '-' {
		return false
	}
	year, num := s[4:8], s[9:]
	return allDigits(year) && len(num) >= 4 && len(num) <= 9 && allDigits(num)
}

// isDate reports whether s is YYYY-MM-DD.
func isDate(s string) bool {
	return len(s) == 10 && s[4] == '-' && s[7] == '-' &&
		allDigits(s[:4]) && allDigits(s[5:7]) && allDigits(s[8:])
}

// isPhone reports whether s is a phone number as MISP reads one: an optional +, an optional
// country code of one to three digits followed by "(0)", then at least six digits, slashes
// and dashes ending with a digit.
func isPhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	if isPhoneTail(s) {
		return true
	}
	n := 0
	for n < len(s) && n < 3 && isDigit(s[n]) {
		n++
	}
	return n > 0 && strings.HasPrefix(s[n:], "(0)") && isPhoneTail(s[n+3:])
}

func isPhoneTail(s string) bool {
	if len(s) < 6 || !isDigit(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && c != '/' && c != '-' {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	return s != "" && strings.TrimLeft(s, "0123456789") == ""
}

// isASNumber reports whether s is AS followed by digits, in any case.
func isASNumber(s string) bool {
	return len(s) > 2 && lowerASCII(s[:2]) == "as" && allDigits(s[2:])
}

// isBTC reports whether s matches MISP's bitcoin address pattern, which, as written, reads
// as: starts with 1 or 3 and 25 letters or digits other than 0, or ends with bc1 or tb1
// and 11 to 71 bech32 characters (both in any case).
func isBTC(s string) bool {
	if len(s) >= 26 && (s[0] == '1' || s[0] == '3') {
		legacy := true
		for i := 1; i < 26; i++ {
			if c := s[i]; !isLetter(c) && !('1' <= c && c <= '9') {
				legacy = false
				break
			}
		}
		if legacy {
			return true
		}
	}
	tail := 0
	for tail < len(s) && tail <= 71 && isBech32(s[len(s)-1-tail]) {
		tail++
	}
	for n := 11; n <= tail && n <= 71; n++ {
		p := len(s) - n - 3
		if p < 0 {
			break
		}
		prefix := s[p : p+2]
		if s[p+2] == '1' && (strings.EqualFold(prefix, "bc") || strings.EqualFold(prefix, "tb")) {
			return true
		}
	}
	return false
}

// isBech32 reports whether c is one of bech32's characters, in any case.
func isBech32(c byte) bool {
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return isDigit(c) && c != '1' || isLetter(c) && c != 'b' && c != 'i' && c != 'o'
}

// isLink reports whether an https URL points at a security vendor's site (or a subdomain).
func (d *Detector) isLink(v string) bool {
	if len(v) < 8 || lowerASCII(v[:8]) != "https://" {
		return false
	}
	host := v[8:]
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	host = lowerASCII(host)
	for i := len(host); i >= 0; i-- {
		if i == 0 || host[i-1] == '.' {
			if slices.Contains(d.vendors, host[i:]) {
				return true
			}
		}
	}
	return false
}
