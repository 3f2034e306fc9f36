package freetext

import (
	"net/netip"
	"strconv"
	"strings"
)

// The helpers below answer the questions MISP's detector asks PHP (filter_var, is_numeric,
// ctype_*, trim, empty), with PHP's answers: the detector's results depend on their quirks.

// isIP reports whether s is an address PHP's FILTER_VALIDATE_IP accepts: dotted IPv4
// without leading zeros, or IPv6 text without a zone.
func isIP(s string) bool {
	if s == "" || strings.IndexByte(s, '%') >= 0 {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isIPv6 reports whether s is an IPv6 address as FILTER_FLAG_IPV6 accepts it.
func isIPv6(s string) bool {
	return strings.IndexByte(s, ':') >= 0 && isIP(s)
}

// isURL reports whether s passes PHP's FILTER_VALIDATE_URL: printable ASCII only, a scheme
// (any run of letters, digits, '+', '-' and '.'), a host unless the scheme is mailto, news
// or file, a valid host name or bracketed IPv6 address for http and https, a port of at
// most five characters that reads as a number up to 65535, and well-formed user
// information.
func isURL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	u, ok := parseURL(s)
	if !ok || u.scheme == "" {
		return false
	}
	web := strings.EqualFold(u.scheme, "http") || strings.EqualFold(u.scheme, "https")
	if web {
		if !u.hasHost {
			return false
		}
		h := u.host
		if len(h) >= 2 && h[0] == '[' && h[len(h)-1] == ']' && isIPv6(h[1:len(h)-1]) {
			return true
		}
		if !isHostname(h) {
			return false
		}
	}
	if !u.hasHost && u.scheme != "mailto" && u.scheme != "news" && u.scheme != "file" {
		return false
	}
	return (!u.hasUser || isUserinfo(u.user)) && (!u.hasPass || isUserinfo(u.pass))
}

// phpURL holds the parts of a URL that PHP's parse_url finds and its URL filter checks.
type phpURL struct {
	scheme           string
	host, user, pass string
	hasHost          bool
	hasUser, hasPass bool
}

// parseURL splits s as PHP's parse_url does, as far as the URL filter needs: a URL
// without a scheme, or that parse_url refuses, is not ok.
func parseURL(s string) (phpURL, bool) {
	var u phpURL
	colon := strings.IndexByte(s, ':')
	if colon <= 0 {
		return u, false
	}
	for i := 0; i < colon; i++ {
		if c := s[i]; !isDigit(c) && !isLetter(c) && c != '+' && c != '-' && c != '.' {
			return u, false
		}
	}
	rest := s[colon+1:]
	switch {
	case rest == "":
		u.scheme = s[:colon]
		return u, true
	case rest[0] != '/':
		n := 0
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if (n == len(rest) || rest[n] == '/') && n < 6 {
			// "host:port": parse_url reads no scheme here.
			return u, false
		}
		u.scheme = s[:colon]
		return u, true
	case len(rest) < 2 || rest[1] != '/':
		u.scheme = s[:colon]
		return u, true
	}
	u.scheme = s[:colon]
	rest = rest[2:]
	if strings.EqualFold(u.scheme, "file") && strings.HasPrefix(rest, "/") {
		return u, true
	}

	auth := rest
	if end := strings.IndexAny(auth, "/?#"); end >= 0 {
		auth = auth[:end]
	}
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		info := auth[:at]
		u.hasUser = true
		u.user = info
		if c := strings.IndexByte(info, ':'); c >= 0 {
			u.user, u.pass, u.hasPass = info[:c], info[c+1:], true
		}
		auth = auth[at+1:]
	}
	host := auth
	bracketed := auth != "" && auth[0] == '[' && auth[len(auth)-1] == ']'
	if c := strings.LastIndexByte(auth, ':'); c >= 0 && !bracketed {
		port := auth[c+1:]
		if len(port) > 5 || port != "" && !isPortText(port) {
			return u, false
		}
		host = auth[:c]
	}
	if host == "" {
		return u, false
	}
	u.host, u.hasHost = host, true
	return u, true
}

// isPortText reports whether a port as parse_url reads it with strtol is a number from 0
// to 65535: optional sign, at least one digit, anything after the digits ignored.
func isPortText(s string) bool {
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg, s = s[0] == '-', s[1:]
	}
	n, digits := 0, 0
	for digits < len(s) && isDigit(s[digits]) {
		n = n*10 + int(s[digits]-'0')
		digits++
	}
	return digits > 0 && (!neg || n == 0) && n <= 65535
}

// isHostname applies PHP's host name rules: at most 253 characters besides a final dot,
// labels of at most 63 letters, digits and hyphens that start and end with a letter or a
// digit.
func isHostname(h string) bool {
	at := func(i int) byte {
		if i < len(h) {
			return h[i]
		}
		return 0
	}
	end := len(h)
	if end > 0 && h[end-1] == '.' {
		end--
	}
	if end > 253 || h == "" || !isAlnumByte(h[0]) {
		return false
	}
	label := 1
	for i := 0; i < end; i++ {
		if h[i] == '.' {
			if at(i+1) == '.' || !isAlnumByte(h[i-1]) || !isAlnumByte(at(i+1)) {
				return false
			}
			label = 1
			continue
		}
		if label > 63 || (h[i] != '-' || at(i+1) == 0) && !isAlnumByte(h[i]) {
			return false
		}
		label++
	}
	return true
}

func isAlnumByte(c byte) bool { return isDigit(c) || isLetter(c) }

// isUserinfo reports whether the user or password of a URL holds only unreserved
// characters, sub-delimiters, ':' and %-escapes (whose first digit PHP wants decimal).
func isUserinfo(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnumByte(c) || strings.IndexByte("-._~!$&'()*+,;=:", c) >= 0:
		case c == '%' && i+2 < len(s) && isDigit(s[i+1]) && isHex(s[i+2:i+3]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isNumeric reports whether s is a PHP numeric string: optional leading whitespace, an
// optional sign, digits with at most one decimal point (at least one digit in all), an
// optional exponent, and optional trailing whitespace.
func isNumeric(s string) bool {
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	s = strings.TrimRight(s, " \t\n\r\v\f")
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	digits, i := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k == j {
			return false
		}
		i = k
	}
	return i == len(s)
}

// isAlnum is PHP's ctype_alnum: not empty, ASCII letters and digits only.
func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && !isLetter(s[i]) {
			return false
		}
	}
	return true
}

// isHex is PHP's ctype_xdigit: not empty, hexadecimal digits only.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isEmpty is PHP's empty() on a string: "" and "0" are empty.
func isEmpty(s string) bool { return s == "" || s == "0" }

// tokenTrim is what MISP trims from both ends of every token: PHP's default trim set plus
// quotes, dots, commas, parentheses and spaces.
const tokenTrim = "'\".,() \t\n\r\x00\x0b"

// lowerASCII and upperASCII change the case of ASCII letters only, as PHP 8's strtolower
// and strtoupper do.
func lowerASCII(s string) string { return mapASCII(s, 'A', 'Z', 'a'-'A') }
func upperASCII(s string) string { return mapASCII(s, 'a', 'z', 'A'-'a') }

func mapASCII(s string, from, to byte, delta int) string {
	i := 0
	for i < len(s) && !(from <= s[i] && s[i] <= to) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if from <= b[i] && b[i] <= to {
			b[i] = byte(int(b[i]) + delta)
		}
	}
	return string(b)
}

// phpFloatString writes f as PHP's (string) cast does with its default precision of 14:
// "1.5", "1.0E+25", "1.2345678901235E+19".
func phpFloatString(f float64) string {
	s := strconv.FormatFloat(f, 'G', 14, 64)
	mant, exp, sci := strings.Cut(s, "E")
	if !sci {
		return s
	}
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	sign := exp[0]
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "E" + string(sign) + exp
}

// isEmail reports whether s passes PHP's FILTER_VALIDATE_EMAIL: shorter than 255 bytes, a
// local part of dot-separated atoms or quoted strings of at most 64 bytes, and a domain of
// letter-digit-hyphen labels whose last starts with a letter, or an address literal in
// brackets.
func isEmail(s string) bool {
	if len(s) >= 255 {
		return false
	}
	local, ok := scanLocalPart(s)
	if !ok || len(local) > 64 || len(local) >= len(s) || s[len(local)] != '@' {
		return false
	}
	domain := s[len(local)+1:]
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		return isAddressLiteral(domain[1 : len(domain)-1])
	}
	return isEmailDomain(domain)
}

// scanLocalPart returns the local part at the start of s: atoms and quoted strings joined
// by single dots, ending where neither goes on.
func scanLocalPart(s string) (string, bool) {
	i := 0
	for {
		start := i
		if i < len(s) && s[i] == '"' {
			i++
			for i < len(s) && s[i] != '"' {
				switch c := s[i]; {
				case c == '\\' && i+1 < len(s) && s[i+1] < 0x80:
					i += 2
				case c >= 0x01 && c <= 0x7f && c != '\\' && c != '\t' && c != '\n' &&
					c != '\r' && c != ' ':
					i++
				default:
					return "", false
				}
			}
			if i == len(s) {
				return "", false
			}
			i++
		} else {
			for i < len(s) && isAtomChar(s[i]) {
				i++
			}
		}
		if i == start {
			return "", false
		}
		if i < len(s) && s[i] == '.' {
			i++
			continue
		}
		return s[:i], true
	}
}

// isAtomChar reports whether c may appear unquoted in the local part of an address.
func isAtomChar(c byte) bool {
	return isDigit(c) || isLetter(c) || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// isEmailDomain checks the host name of an address: two or more labels of letters, digits
// and inner hyphens, none longer than 63 characters, the last starting with a letter.
func isEmailDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for j := 0; j < len(l); j++ {
			if !isDigit(l[j]) && !isLetter(l[j]) && l[j] != '-' {
				return false
			}
		}
		if i == len(labels)-1 && !isLetter(l[0]) {
			return false
		}
	}
	return true
}

// isAddressLiteral checks the inside of [...] after the @: an IPv4 address, or "IPv6:"
// and an IPv6 address.
func isAddressLiteral(s string) bool {
	if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
		return isIPv6(s[5:])
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}
