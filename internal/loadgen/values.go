package loadgen

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"
)

// A kind is a family of fresh values with its own counter. Every fresh value is a bijective
// function of its kind's counter, so two fresh values of one kind never collide, and the
// kinds are shaped so that their strings never collide with each other either.
type kind int

const (
	kindIPv4 kind = iota
	kindIPv6
	kindDomain
	kindHostname
	kindURL
	kindEmail
	kindFilename
	kindMD5
	kindSHA1
	kindSHA256
	kindPort
	numKinds
)

// valueMaker turns counters into values. Its keys come from the seed, so two seeds give two
// different datasets.
type valueMaker struct {
	keys     [numKinds]uint64
	counters [numKinds]uint64
	ipv6     float64 // share of IP values that are IPv6
}

func newValueMaker(seed int64, ipv6Share float64) *valueMaker {
	m := &valueMaker{ipv6: ipv6Share}
	for k := range m.keys {
		m.keys[k] = mix(uint64(seed)*0x9e3779b97f4a7c15 + uint64(k)*0xd1b54a32d192ed03)
	}
	return m
}

// next returns the next counter of k, scrambled into a unique number.
func (m *valueMaker) next(k kind) uint64 {
	c := m.counters[k]
	m.counters[k]++
	return c
}

// fresh returns a value of typ that has never been made before. u is a uniform random
// number used for choices that do not need to be unique (a TLD, a port, a file extension).
func (m *valueMaker) fresh(typ string, u uint64) string {
	switch typ {
	case "ip-src", "ip-dst":
		return m.ip(u)
	case "domain":
		return m.domain()
	case "hostname":
		return m.hostname()
	case "url":
		return m.url(u)
	case "email-src":
		return m.email()
	case "filename":
		return m.filename(u)
	case "md5":
		return m.hash(kindMD5, 32)
	case "sha1":
		return m.hash(kindSHA1, 40)
	case "sha256":
		return m.hash(kindSHA256, 64)
	case "filename|sha256":
		return m.filename(u) + "|" + m.hash(kindSHA256, 64)
	case "domain|ip":
		return m.domain() + "|" + m.ipv4()
	case "ip-dst|port":
		return m.ipv4() + "|" + strconv.Itoa(commonPorts[u%uint64(len(commonPorts))])
	}
	panic("loadgen: no value maker for type " + typ)
}

// publicOctets are first octets of ordinary, publicly routed IPv4 space. 185.0.0.0/8 is
// left out on purpose: the bulk search draws its misses from it.
var publicOctets = [16]byte{5, 23, 31, 37, 45, 46, 62, 77, 78, 79, 80, 82, 89, 91, 94, 95}

func (m *valueMaker) ip(u uint64) string {
	if float64(u>>11)/(1<<53) < m.ipv6 {
		return m.ipv6Addr()
	}
	return m.ipv4()
}

// ipv4 spreads 2^28 counters over the sixteen /8 networks of publicOctets.
func (m *valueMaker) ipv4() string {
	x := permute(m.next(kindIPv4), 28, m.keys[kindIPv4])
	var a [4]byte
	a[0] = publicOctets[x>>24]
	a[1], a[2], a[3] = byte(x>>16), byte(x>>8), byte(x)
	return netip.AddrFrom4(a).String()
}

// ipv6Addr is an address in the documentation prefix 2001:db8::/32, written in the
// canonical form MISP stores (RFC 5952, as inet_ntop writes it).
func (m *valueMaker) ipv6Addr() string {
	var a [16]byte
	a[0], a[1], a[2], a[3] = 0x20, 0x01, 0x0d, 0xb8
	binary.BigEndian.PutUint64(a[4:12], mix(m.next(kindIPv6)^m.keys[kindIPv6]))
	a[15] = 1
	return netip.AddrFrom16(a).String()
}

var (
	words = []string{"secure", "account", "verify", "update", "login", "cloud", "service",
		"online", "support", "portal", "billing", "invoice", "delivery", "track", "office",
		"micro", "soft", "pay", "bank", "web", "data", "sync", "file", "share", "drive",
		"docs", "auth", "my", "get", "cdn", "static", "media"}
	tlds = []string{"com", "net", "org", "info", "biz", "xyz", "top", "online", "site", "io",
		"ru", "cn", "de", "co", "me", "app"}
	subdomains = []string{"www", "mail", "cdn", "api", "login", "vpn", "update", "static",
		"dl", "portal", "ns1", "smtp"}
	fileStems = []string{"invoice", "report", "setup", "update", "scan", "payment", "order",
		"document", "install", "resume", "photo", "statement"}
	extensions = []string{".exe", ".dll", ".doc", ".docm", ".xls", ".js", ".ps1", ".zip",
		".pdf.exe", ".scr", ".lnk", ".iso"}
	urlPaths = []string{"/wp-content/uploads/", "/admin/", "/login/", "/files/", "/update/",
		"/gate/", "/api/v1/", "/images/"}
	urlFiles = []string{"index.php", "gate.php", "payload.bin", "update.exe", "login.html",
		"config.json", "bot.dll", "track.js"}
	commonPorts = []int{80, 443, 8080, 8443, 4444, 53, 22, 3389, 445, 1337, 9001, 2222}
)

// label is one unique DNS label: two words, a hyphen and the scrambled counter in base 36.
// Words hold no digits or hyphens, so different counters give different labels.
func label(x uint64) string {
	w1 := words[mix(x)%uint64(len(words))]
	w2 := words[mix(x^0x5bd1e995)%uint64(len(words))]
	return w1 + w2 + "-" + strconv.FormatUint(x, 36)
}

func (m *valueMaker) domain() string {
	x := permute(m.next(kindDomain), 40, m.keys[kindDomain])
	return label(x) + "." + tlds[mix(x^1)%uint64(len(tlds))]
}

// hostname has three labels, so it never equals a domain (two labels).
func (m *valueMaker) hostname() string {
	x := permute(m.next(kindHostname), 40, m.keys[kindHostname])
	return subdomains[mix(x^2)%uint64(len(subdomains))] + "." + label(x) + "." +
		tlds[mix(x^3)%uint64(len(tlds))]
}

func (m *valueMaker) url(u uint64) string {
	x := permute(m.next(kindURL), 40, m.keys[kindURL])
	scheme := "http://"
	if u&1 == 1 {
		scheme = "https://"
	}
	return scheme + label(x) + "." + tlds[mix(x^4)%uint64(len(tlds))] +
		urlPaths[(u>>1)%uint64(len(urlPaths))] + urlFiles[(u>>8)%uint64(len(urlFiles))]
}

func (m *valueMaker) email() string {
	x := permute(m.next(kindEmail), 40, m.keys[kindEmail])
	local := words[mix(x^5)%uint64(len(words))] + "." + strconv.FormatUint(x, 36)
	return local + "@" + words[mix(x^6)%uint64(len(words))] + "mail." +
		tlds[mix(x^7)%uint64(len(tlds))]
}

func (m *valueMaker) filename(u uint64) string {
	x := permute(m.next(kindFilename), 40, m.keys[kindFilename])
	return fileStems[mix(x^8)%uint64(len(fileStems))] + "_" + strconv.FormatUint(x, 36) +
		extensions[u%uint64(len(extensions))]
}

// hash returns n lower-case hex digits. The first 64 bits are a bijection of the counter,
// which makes every hash of one kind unique.
func (m *valueMaker) hash(k kind, n int) string {
	var buf [32]byte
	w := mix(m.next(k) ^ m.keys[k])
	for i := 0; i < len(buf); i += 8 {
		binary.BigEndian.PutUint64(buf[i:], w)
		w = mix(w + 0x9e3779b97f4a7c15)
	}
	return hex.EncodeToString(buf[:])[:n]
}

// missIPv4 is the i-th address of 185.0.0.0/8, a network no generated attribute uses.
func missIPv4(i, key uint64) string {
	x := permute(i, 24, key)
	return netip.AddrFrom4([4]byte{185, byte(x >> 16), byte(x >> 8), byte(x)}).String()
}

// mix is splitmix64's finaliser: a bijection of uint64 with good diffusion.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// permute is a bijection of the integers below 2^bits (xor, odd multiplications and
// xorshifts all are), used to make sequential counters look random while staying unique.
func permute(x uint64, bits uint, key uint64) uint64 {
	mask := uint64(1)<<bits - 1
	x = (x ^ key) & mask
	x = (x * 0x9e3779b97f4a7c15) & mask
	x ^= x >> (bits / 2)
	x = (x * 0xbf58476d1ce4e5b9) & mask
	x ^= x >> (bits / 2)
	return x
}

// uuid4 formats 128 bits as a version 4 UUID.
func uuid4(hi, lo uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], hi)
	binary.BigEndian.PutUint64(b[8:], lo)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}
