package misp

import (
	"strconv"
	"strings"
)

// The IP helpers below follow what MISP relies on in PHP: filter_var(FILTER_VALIDATE_IP)
// decides validity and inet_pton/inet_ntop (glibc) produce the canonical IPv6 text. They
// differ from net/netip in small ways that matter for stored values: no zones, "::" may
// stand for a single zero group, and "::a.b.c.d" prints in dotted form.

// isIPv4 reports whether s is a dotted-quad IPv4 address as PHP's validator accepts it: four
// decimal fields of at most three digits, each at most 255, without leading zeros.
func isIPv4(s string) bool {
	_, ok := parseIPv4(s)
	return ok
}

func parseIPv4(s string) ([4]byte, bool) {
	var ip [4]byte
	for n := 0; n < 4; n++ {
		if n > 0 {
			if s == "" || s[0] != '.' {
				return ip, false
			}
			s = s[1:]
		}
		i := 0
		for i < len(s) && i < 4 && isDigit(s[i]) {
			i++
		}
		if i == 0 || i > 3 || i > 1 && s[0] == '0' {
			return ip, false
		}
		v, _ := strconv.Atoi(s[:i])
		if v > 255 {
			return ip, false
		}
		ip[n] = byte(v)
		s = s[i:]
	}
	return ip, s == ""
}

// isIPv6 reports whether s is an IPv6 address in text form (no zone, no brackets).
func isIPv6(s string) bool {
	_, ok := parseIPv6(s)
	return ok
}

// isIP reports whether s is an IPv4 or IPv6 address.
func isIP(s string) bool {
	return isIPv4(s) || isIPv6(s)
}

// parseIPv6 parses s into 16 bytes. It accepts groups of one to four hex digits, one "::"
// standing for one or more zero groups, and a trailing dotted IPv4 address.
func parseIPv6(s string) ([16]byte, bool) {
	var ip [16]byte
	if !strings.Contains(s, ":") {
		return ip, false
	}

	var words []uint16
	gap := -1 // index in words where "::" stands
	rest := s
	if strings.HasPrefix(rest, "::") {
		gap = 0
		rest = rest[2:]
	} else if strings.HasPrefix(rest, ":") {
		return ip, false
	}
	for rest != "" {
		end := strings.IndexByte(rest, ':')
		field := rest
		if end >= 0 {
			field = rest[:end]
		}
		if end < 0 && strings.Contains(field, ".") {
			v4, ok := parseIPv4(field)
			if !ok {
				return ip, false
			}
			words = append(words, uint16(v4[0])<<8|uint16(v4[1]), uint16(v4[2])<<8|uint16(v4[3]))
			break
		}
		w, ok := parseHexWord(field)
		if !ok {
			return ip, false
		}
		words = append(words, w)
		if end < 0 {
			break
		}
		rest = rest[end+1:]
		if strings.HasPrefix(rest, ":") {
			if gap >= 0 {
				return ip, false
			}
			gap = len(words)
			rest = rest[1:]
		} else if rest == "" {
			return ip, false // a single trailing ':'
		}
	}

	switch {
	case gap < 0 && len(words) != 8:
		return ip, false
	case gap >= 0 && len(words) > 7:
		return ip, false
	}
	full := make([]uint16, 0, 8)
	if gap >= 0 {
		full = append(full, words[:gap]...)
		full = append(full, make([]uint16, 8-len(words))...)
		full = append(full, words[gap:]...)
	} else {
		full = words
	}
	for i, w := range full {
		ip[2*i], ip[2*i+1] = byte(w>>8), byte(w)
	}
	return ip, true
}

func parseHexWord(s string) (uint16, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	var w uint16
	for i := 0; i < len(s); i++ {
		d, ok := hexValue(s[i])
		if !ok {
			return 0, false
		}
		w = w<<4 | uint16(d)
	}
	return w, true
}

// formatIPv6 writes ip as glibc's inet_ntop does: lower-case hex without leading zeros, the
// first longest run of two or more zero groups as "::", and an IPv4-compatible or
// IPv4-mapped address with its last 32 bits in dotted form.
func formatIPv6(ip [16]byte) string {
	var words [8]int
	for i := range words {
		words[i] = int(ip[2*i])<<8 | int(ip[2*i+1])
	}

	bestStart, bestLen := -1, 0
	for i := 0; i < 8; {
		if words[i] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && words[j] == 0 {
			j++
		}
		if j-i > bestLen {
			bestStart, bestLen = i, j-i
		}
		i = j
	}
	if bestLen < 2 {
		bestStart = -1
	}

	var b strings.Builder
	for i := 0; i < 8; i++ {
		if bestStart >= 0 && i >= bestStart && i < bestStart+bestLen {
			if i == bestStart {
				b.WriteByte(':')
			}
			continue
		}
		if i > 0 {
			b.WriteByte(':')
		}
		embedsIPv4 := bestLen == 6 || bestLen == 5 && words[5] == 0xffff
		if i == 6 && bestStart == 0 && embedsIPv4 {
			for k, v := range ip[12:] {
				if k > 0 {
					b.WriteByte('.')
				}
				b.WriteString(strconv.Itoa(int(v)))
			}
			return b.String()
		}
		b.WriteString(strconv.FormatInt(int64(words[i]), 16))
	}
	if bestStart >= 0 && bestStart+bestLen == 8 {
		b.WriteByte(':')
	}
	return b.String()
}

// normalizeIP is MISP's normalizeIp: compress an IPv6 address (also in front of a CIDR
// prefix) and drop a /32 or /128 prefix. It keys off the position of ':' and '/' as PHP's
// strpos does, so a value starting with ':' (such as "::0:1") is left as it is.
func normalizeIP(v string) string {
	if slash := strings.IndexByte(v, '/'); slash > 0 {
		ip, prefix := v[:slash], v[slash+1:]
		if strings.IndexByte(ip, ':') > 0 {
			if a, ok := parseIPv6(ip); ok {
				ip = formatIPv6(a)
			}
		}
		if prefix == "32" && strings.IndexByte(v, '.') > 0 ||
			prefix == "128" && strings.IndexByte(v, ':') > 0 {
			return ip
		}
		return ip + "/" + prefix
	}
	if strings.IndexByte(v, ':') > 0 {
		if a, ok := parseIPv6(v); ok {
			return formatIPv6(a)
		}
	}
	return v
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
