package freetext

// builtinTLDs is the top-level domain list MISP falls back on when its "TLDs as known by
// IANA" warninglist is not loaded: the generic domains of the early DNS, .onion, and every
// two-letter name (which covers the country codes).
func builtinTLDs() map[string]bool {
	tlds := map[string]bool{}
	for _, t := range []string{"biz", "cat", "com", "edu", "gov", "int", "mil", "net", "org",
		"pro", "tel", "aero", "arpa", "asia", "coop", "info", "jobs", "mobi", "name", "museum",
		"travel", "onion"} {
		tlds[t] = true
	}
	for a := 'a'; a <= 'z'; a++ {
		for b := 'a'; b <= 'z'; b++ {
			tlds[string([]rune{a, b})] = true
		}
	}
	return tlds
}

// builtinVendorDomains are the security vendors whose https links MISP proposes as link
// attributes when its warninglist of analysis services and vendors is not loaded.
var builtinVendorDomains = []string{"virustotal.com", "hybrid-analysis.com"}

// hashTypes are the types a hexadecimal string of a given length may be, alone and after a
// file name ("file.exe|<hash>"), the first of each list being the one proposed.
var hashTypes = map[int]struct{ single, composite []string }{
	32: {[]string{"md5", "imphash", "x509-fingerprint-md5", "ja3-fingerprint-md5"},
		[]string{"filename|md5", "filename|imphash"}},
	40: {[]string{"sha1", "pehash", "x509-fingerprint-sha1", "cdhash"},
		[]string{"filename|sha1", "filename|pehash"}},
	56: {[]string{"sha224", "sha512/224"},
		[]string{"filename|sha224", "filename|sha512/224"}},
	64: {[]string{"sha256", "authentihash", "sha512/256", "x509-fingerprint-sha256"},
		[]string{"filename|sha256", "filename|authentihash", "filename|sha512/256"}},
	96:  {[]string{"sha384"}, []string{"filename|sha384"}},
	128: {[]string{"sha512"}, []string{"filename|sha512"}},
}

// The type lists of the other kinds of candidate.
var (
	ipTypes     = []string{"ip-dst", "ip-src", "ip-src/ip-dst"}
	ipPortTypes = []string{"ip-dst|port", "ip-src|port", "ip-src|port/ip-dst|port"}
	emailTypes  = []string{"email", "email-src", "email-dst", "target-email",
		"whois-registrant-email"}
	hostnameTypes = []string{"hostname", "domain", "url", "filename"}
	domainTypes   = []string{"domain", "filename"}
	phoneTypes    = []string{"phone-number", "prtn", "whois-registrant-phone"}
)
