package misp

import (
	"strconv"
	"strings"
)

// isURL approximates PHP's filter_var($v, FILTER_VALIDATE_URL), which MISP uses for the link
// type: printable ASCII only, a scheme, a host (except for mailto:, news: and file:), a valid
// host name or bracketed IPv6 address for http and https, a numeric port and well-formed
// user information.
func isURL(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			return false
		}
	}

	scheme, rest, ok := cutScheme(v)
	if !ok {
		return false
	}
	authority, hasAuthority := strings.CutPrefix(rest, "//")
	if hasAuthority {
		if end := strings.IndexAny(authority, "/?#"); end >= 0 {
			authority = authority[:end]
		}
	}
	if !hasAuthority || authority == "" {
		switch strings.ToLower(scheme) {
		case "mailto", "news", "file":
			return true
		}
		return false
	}

	userinfo, hostport := "", authority
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		userinfo, hostport = authority[:at], authority[at+1:]
		if !isUserinfo(userinfo) {
			return false
		}
	}
	host, ok := splitHostPort(hostport)
	if !ok || host == "" {
		return false
	}

	switch strings.ToLower(scheme) {
	case "http", "https":
		if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
			return isIPv6(host[1 : len(host)-1])
		}
		return isHostname(host)
	}
	return true
}

// cutScheme splits "scheme:rest". A scheme starts with a letter and goes on with letters,
// digits, '+', '-' and '.'.
func cutScheme(v string) (scheme, rest string, ok bool) {
	colon := strings.IndexByte(v, ':')
	if colon < 1 {
		return "", "", false
	}
	scheme = v[:colon]
	for i := 0; i < len(scheme); i++ {
		c := scheme[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || !isDigit(c) && c != '+' && c != '-' && c != '.') {
			return "", "", false
		}
	}
	return scheme, v[colon+1:], true
}

// splitHostPort returns the host of "host[:port]", refusing a port that is not a number up
// to 65535 (PHP's parse_url fails on those).
func splitHostPort(hostport string) (string, bool) {
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", false
		}
		host, port = hostport[:end+1], hostport[end+1:]
		if port != "" && port[0] != ':' {
			return "", false
		}
		port = strings.TrimPrefix(port, ":")
	} else if colon := strings.LastIndexByte(hostport, ':'); colon >= 0 {
		host, port = hostport[:colon], hostport[colon+1:]
	}
	if port == "" {
		return host, true
	}
	n, err := strconv.ParseUint(port, 10, 32)
	return host, isDigits(port) && err == nil && n <= 65535
}

// isUserinfo reports whether every character of the user and password part is unreserved,
// a sub-delimiter, ':' or a %XX escape.
func isUserinfo(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlphanumeric(c) || strings.IndexByte("-._~!$&'()*+,;=:", c) >= 0:
		case c == '%' && i+2 < len(s) && isHex(s[i+1:i+3]):
			i += 2
		default:
			return false
		}
	}
	return true
}

// isHostname applies PHP's FILTER_FLAG_HOSTNAME rules: labels of 1 to 63 letters, digits and
// hyphens that start and end with a letter or digit, at most 253 characters in all, and an
// optional final dot.
func isHostname(h string) bool {
	h = strings.TrimSuffix(h, ".")
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		if !isAlphanumeric(label[0]) || !isAlphanumeric(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlphanumeric(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func isAlphanumeric(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
