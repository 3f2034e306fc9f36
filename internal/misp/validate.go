package misp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidationError is a refused attribute field with the message MISP gives for it. The API
// layer sends Message under errors.<Field> of a save failure, e.g.
// {"errors":{"value":["IP address has an invalid format."]}}.
type ValidationError struct {
	Field   string // "type", "category" or "value"
	Message string
}

func (e *ValidationError) Error() string {
	return e.Field + ": " + e.Message
}

// Messages MISP gives for the checks every value goes through.
const (
	msgNoType       = "No type set."
	msgInvalidType  = "Invalid type."
	msgCategory     = "Options depend on the selected category."
	msgEmpty        = "Value cannot be empty."
	msgControlChars = "Value provided consists purely of control characters and is therefore " +
		"considered to be empty."
	msgComposite = "Composite type found but the value not in the composite (value1|value2) format."
	msgTooLong   = "The entered string is too long and would get truncated. Please consider " +
		"adding the data as an attachment instead"
	msgGeneric = `Value not in the right type/format. Please double check the value or ` +
		`select type "other".`

	// msgUnknownCategory is MISP's message for a category that does not exist at all.
	msgUnknownCategory = "Options : Payload delivery, Antivirus detection, Payload installation, " +
		"Files dropped ..."
)

// maxValueBytes is the size of MySQL's TEXT column that holds value1 and value2.
const maxValueBytes = 65535

// CheckAttribute checks the type, category and value of an attribute about to be stored and
// returns the value as it must be stored and the category, which is the type's default when
// category is empty. The returned error, if any, is a *ValidationError for the first refused
// field, in MISP's order: type, category, value.
func CheckAttribute(typ, category, value string) (
	normalizedValue, resolvedCategory string, err error,
) {
	if typ == "" {
		return "", "", &ValidationError{Field: "type", Message: msgNoType}
	}
	info, ok := LookupType(typ)
	if !ok {
		return "", "", &ValidationError{Field: "type", Message: msgInvalidType}
	}

	if category == "" {
		category = info.DefaultCategory
	}
	if !IsCategory(category) {
		return "", "", &ValidationError{Field: "category", Message: msgUnknownCategory}
	}
	if !TypeAllowedInCategory(typ, category) {
		return "", "", &ValidationError{Field: "category", Message: msgCategory}
	}

	value = Normalize(typ, value)
	if err := Validate(typ, value); err != nil {
		return "", "", err
	}
	return value, category, nil
}

// Validate checks an already normalised value against the rules for typ: the checks every
// value goes through (not empty, not only control characters, one '|' for a composite type,
// at most 65535 bytes) and the type-specific rules of MISP's AttributeValidationTool. It
// returns a *ValidationError on field "value", or on field "type" when typ is unknown.
// Uniqueness within an event is the store's business.
func Validate(typ, value string) error {
	if _, ok := LookupType(typ); !ok {
		return &ValidationError{Field: "type", Message: msgInvalidType}
	}
	if msg := checkValue(typ, value); msg != "" {
		return &ValidationError{Field: "value", Message: msg}
	}
	return nil
}

// checkValue runs MISP's value rules in MISP's order and returns the first failure's
// message, or "" when the value is fine.
func checkValue(typ, v string) string {
	if trimPHP(v) == "" {
		return msgEmpty
	}
	if controlCharsOnly(typ, v) {
		return msgControlChars
	}
	if IsComposite(typ) && strings.Count(v, "|") != 1 {
		return msgComposite
	}
	if rule := valueRules[typ]; rule != nil {
		if msg := rule(v); msg != "" {
			return msg
		}
	}
	if len(v) > maxValueBytes {
		return msgTooLong
	}
	return ""
}

// controlCharsOnly reports whether v, or one part of a composite v, is made only of ASCII
// control characters (PHP's ctype_cntrl).
func controlCharsOnly(typ, v string) bool {
	if isControlString(v) {
		return true
	}
	if !IsComposite(typ) {
		return false
	}
	first, second := splitSecond(v, "|")
	return isControlString(first) || isControlString(second)
}

func isControlString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x20 && s[i] != 0x7f {
			return false
		}
	}
	return true
}

// SplitValue splits a value into MISP's value1 and value2 columns: a composite type splits
// at the first '|', any other type keeps the whole value in value1.
func SplitValue(typ, value string) (v1, v2 string) {
	if !IsComposite(typ) {
		return value, ""
	}
	v1, v2, _ = strings.Cut(value, "|")
	return v1, v2
}

// JoinValue rebuilds the value MISP sends from value1 and value2.
func JoinValue(v1, v2 string) string {
	if v2 == "" {
		return v1
	}
	return v1 + "|" + v2
}

// A valueRule returns "" when v is valid and MISP's message otherwise.
type valueRule func(v string) string

// valueRules holds the type-specific rule of every type that has one. Types without a rule
// (comment, text, yara, ...) accept any value.
var valueRules = buildValueRules()

func buildValueRules() map[string]valueRule {
	rules := map[string]valueRule{
		"tlsh":        tlshRule,
		"telfhash":    telfhashRule,
		"pehash":      pehashRule,
		"ssdeep":      ssdeepRule,
		"impfuzzy":    impfuzzyRule,
		"cdhash":      cdhashRule,
		"http-method": httpMethodRule,

		"filename|pehash": filenamePEHashRule,
		"filename|ssdeep": filenameSSDeepRule,
		"filename|tlsh":   filenameTLSHRule,
		"filename|vhash":  filenameVHashRule,

		"port":            portRule,
		"onion-address":   onionRule,
		"mac-address":     matchRule(macAddressRE),
		"mac-eui-64":      matchRule(macEUI64RE),
		"hostname":        domainRule("Hostname"),
		"domain":          domainRule("Domain"),
		"hostname|port":   hostnamePortRule,
		"domain|ip":       domainIPRule,
		"vulnerability":   vulnerabilityRule,
		"weakness":        weaknessRule,
		"link":            linkRule,
		"hex":             hexRule,
		"ssh-fingerprint": sshFingerprintRule,
		"datetime":        datetimeRule,
		"integer":         integerRule,
		"vhash":           matchRule(singleLineRE),
		"cortex":          cortexRule,
		"boolean":         booleanRule,
		"AS":              asRule,
	}
	add := func(rule valueRule, types ...string) {
		for _, t := range types {
			rules[t] = rule
		}
	}

	for typ, n := range hashHexLength {
		add(hexHashRule(n), typ)
	}
	for typ, n := range filenameHashHexLength {
		add(filenameHashRule(n), typ)
	}
	add(ipRule, "ip-src", "ip-dst")
	add(ipPortRule, "ip-src|port", "ip-dst|port")
	add(emailRule, "email", "email-src", "eppn", "email-dst", "target-email",
		"whois-registrant-email", "dns-soa-email", "jabber-id")
	add(windowsServiceRule, "windows-service-name", "windows-service-displayname")
	add(noNewlineRule,
		"target-user", "campaign-name", "campaign-id", "threat-actor", "target-machine",
		"target-org", "target-location", "target-external", "email-subject", "malware-type",
		"url", "uri", "user-agent", "regkey", "regkey|value", "filename", "pdb",
		"windows-scheduled-task", "whois-registrant-name", "whois-registrant-org",
		"whois-registrar", "whois-creation-date", "date-of-birth", "place-of-birth", "gender",
		"passport-number", "passport-country", "passport-expiration", "redress-number",
		"nationality", "visa-number", "issue-date-of-the-visa", "primary-residence",
		"country-of-residence", "special-service-request", "frequent-flyer-number",
		"travel-details", "payment-details", "place-port-of-original-embarkation",
		"place-port-of-clearance", "place-port-of-onward-foreign-destination",
		"passenger-name-record-locator-number", "email-dst-display-name",
		"email-src-display-name", "email-reply-to", "email-x-mailer", "email-mime-boundary",
		"email-thread-index", "email-message-id", "github-username", "github-repository",
		"github-organisation", "twitter-id", "dkim", "dkim-signature", "favicon-mmh3",
		"chrome-extension-id", "mobile-application-id", "azure-application-id", "named pipe")
	add(wholeNumberRule, "size-in-bytes", "counter")
	add(matchRule(alphanumericRE), "iban", "bic", "btc", "dash", "xmr")
	add(numericRule, "bin", "cc-number", "bank-account-nr", "aba-rtn", "prtn", "phone-number",
		"whois-registrant-phone", "float")
	return rules
}

// hashHexLength gives the number of hex digits of the fixed-length hash types.
var hashHexLength = map[string]int{
	"md5": 32, "imphash": 32, "sha1": 40, "git-commit-id": 40,
	"sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128,
	"sha512/224": 56, "sha512/256": 64,
	"sha3-224": 56, "sha3-256": 64, "sha3-384": 96, "sha3-512": 128,
	"authentihash": 64, "ja3-fingerprint-md5": 32, "jarm-fingerprint": 62,
	"hassh-md5": 32, "hasshserver-md5": 32, "dom-hash": 32,
	"x509-fingerprint-md5": 32, "x509-fingerprint-sha1": 40, "x509-fingerprint-sha256": 64,
}

// filenameHashHexLength gives the hash length of the filename|hash types checked by length.
var filenameHashHexLength = map[string]int{
	"filename|md5": 32, "filename|sha1": 40, "filename|imphash": 32,
	"filename|sha224": 56, "filename|sha256": 64, "filename|sha384": 96, "filename|sha512": 128,
	"filename|sha512/224": 56, "filename|sha512/256": 64,
	"filename|sha3-224": 56, "filename|sha3-256": 64, "filename|sha3-384": 96,
	"filename|sha3-512": 128, "filename|authentihash": 64,
}

var (
	ssdeepRE        = regexp.MustCompile(`^[0-9]+:[0-9a-zA-Z/+]*:[0-9a-zA-Z/+]*$`)
	cdhashRE        = regexp.MustCompile(`^[0-9a-f]{40,}$`)
	onionRE         = regexp.MustCompile(`^(?:[a-z2-7]{16}|[a-z2-7]{56})\.onion$`)
	macAddressRE    = regexp.MustCompile(`^(?:[a-fA-F0-9]{2}:?){6}$`)
	macEUI64RE      = regexp.MustCompile(`^(?:[a-fA-F0-9]{2}:?){8}$`)
	domainRE        = regexp.MustCompile(`^[A-Za-z0-9.\-_]+\.[A-Za-z0-9\-]{2,}$`)
	vulnerabilityRE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	weaknessRE      = regexp.MustCompile(`^CWE-[0-9]+$`)
	alphanumericRE  = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
	singleLineRE    = regexp.MustCompile(`^[^\n]+$`)
	integerRE       = regexp.MustCompile(`^-?[0-9]+$`)

	// emailRE is deliberately loose: MISP accepts partial addresses. Whitespace is PCRE's
	// \s, which unlike RE2's includes \v.
	emailRE = regexp.MustCompile(`^[^\n][^\t\n\v\f\r ]*@[^\n]*\.[^\n]*$`)
)

// httpMethods are the HTTP and WebDAV verbs; an http-method value must contain one.
var httpMethods = []string{
	"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT", "PROPFIND",
	"PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "VERSION-CONTROL", "REPORT",
	"CHECKOUT", "CHECKIN", "UNCHECKOUT", "MKWORKSPACE", "UPDATE", "LABEL", "MERGE",
	"BASELINE-CONTROL", "MKACTIVITY", "ORDERPATCH", "ACL", "PATCH", "SEARCH",
}

const (
	msgIPFormat        = "IP address has an invalid format."
	msgPort            = "Port numbers have to be integers between 1 and 65535."
	msgNewline         = "Value must not contain new line character."
	msgFilenameNewline = "Filename must not contain new line character."

	msgPEHash = "The input doesn't match the expected sha1 format (expected: 40 hexadecimal " +
		"characters). Keep in mind that MISP currently only supports SHA1 for PEhashes, if " +
		"you would like to get the support extended to other hash types, make sure to create " +
		"a github ticket about it at https://github.com/MISP/MISP!"
	msgFilenamePEHash = "The input doesn't match the expected filename|sha1 format (expected: " +
		"filename|40 hexadecimal characters). Keep in mind that MISP currently only supports " +
		"SHA1 for PEhashes, if you would like to get the support extended to other hash " +
		"types, make sure to create a github ticket about it at https://github.com/MISP/MISP!"
)

// matchRule accepts the values re matches and refuses the others with the generic message.
func matchRule(re *regexp.Regexp) valueRule {
	return func(v string) string {
		if re.MatchString(v) {
			return ""
		}
		return msgGeneric
	}
}

func hexHashRule(n int) valueRule {
	msg := fmt.Sprintf(`Checksum has an invalid length or format (expected: %d hexadecimal `+
		`characters). Please double check the value or select type "other".`, n)
	return func(v string) string {
		if len(v) == n && isHex(v) {
			return ""
		}
		return msg
	}
}

func filenameHashRule(n int) valueRule {
	msg := fmt.Sprintf(`Checksum has an invalid length or format (expected: filename|%d `+
		`hexadecimal characters). Please double check the value or select type "other".`, n)
	return func(v string) string {
		name, hash := splitSecond(v, "|")
		if isSingleLine(name) && len(hash) == n && isLowerHex(hash) {
			return ""
		}
		return msg
	}
}

func tlshRule(v string) string {
	if isTLSH(v) {
		return ""
	}
	return "Checksum has an invalid length or format (expected: at least 35 hexadecimal " +
		"characters, optionally starting with t1 instead of hexadecimal characters). " +
		`Please double check the value or select type "other".`
}

// isTLSH accepts more than 35 hex digits, optionally after a leading 't' (as in "T1...",
// lower-cased by Normalize).
func isTLSH(v string) bool {
	v = strings.TrimPrefix(v, "t")
	return len(v) > 35 && isHex(v)
}

func telfhashRule(v string) string {
	// note: MISP checks the length only, not that the characters are hex.
	if len(v) == 70 || len(v) == 72 {
		return ""
	}
	return "Checksum has an invalid length or format (expected: 70 or 72 hexadecimal " +
		`characters). Please double check the value or select type "other".`
}

func pehashRule(v string) string {
	if len(v) == 40 && isHex(v) {
		return ""
	}
	return msgPEHash
}

func ssdeepRule(v string) string {
	if ssdeepRE.MatchString(v) {
		return ""
	}
	return "Invalid SSDeep hash. The format has to be blocksize:hash:hash"
}

func impfuzzyRule(v string) string {
	if strings.Count(v, ":") == 2 && isDigits(v[:strings.IndexByte(v, ':')]) {
		return ""
	}
	return "Invalid impfuzzy format. The format has to be imports:hash:hash"
}

func cdhashRule(v string) string {
	if cdhashRE.MatchString(v) {
		return ""
	}
	return "The input doesn't match the expected format (expected: 40 or more hexadecimal " +
		"characters)"
}

func httpMethodRule(v string) string {
	for _, m := range httpMethods {
		if strings.Contains(v, m) {
			return ""
		}
	}
	return "Unknown HTTP method."
}

func filenamePEHashRule(v string) string {
	name, hash := splitSecond(v, "|")
	if isSingleLine(name) && len(hash) == 40 && isLowerHex(hash) {
		return ""
	}
	return msgFilenamePEHash
}

func filenameSSDeepRule(v string) string {
	name, hash := splitSecond(v, "|")
	if strings.Contains(name, "\n") {
		return msgFilenameNewline
	}
	if !ssdeepRE.MatchString(hash) {
		return "Invalid ssdeep hash (expected: blocksize:hash:hash)."
	}
	return ""
}

func filenameTLSHRule(v string) string {
	name, hash := splitSecond(v, "|")
	if strings.Contains(name, "\n") {
		return msgFilenameNewline
	}
	if !isTLSH(hash) {
		return "TLSH hash has an invalid length or format (expected: filename|at least 35 " +
			"hexadecimal characters, optionally starting with t1 instead of hexadecimal " +
			`characters). Please double check the value or select type "other".`
	}
	return ""
}

func filenameVHashRule(v string) string {
	name, hash := splitSecond(v, "|")
	if isSingleLine(name) && isSingleLine(hash) {
		return ""
	}
	return "Checksum has an invalid length or format (expected: filename|string characters). " +
		`Please double check the value or select type "other".`
}

// ipRule accepts an IPv4 or IPv6 address, optionally with a CIDR prefix.
func ipRule(v string) string {
	if !strings.Contains(v, "/") {
		if isIP(v) {
			return ""
		}
		return msgIPFormat
	}

	parts := strings.Split(v, "/")
	if len(parts) != 2 || !isDigits(parts[1]) {
		return "Invalid CIDR notation value found."
	}
	prefix, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil {
		prefix = 1 << 32 // only digits, so too large
	}
	switch {
	case isIPv4(parts[0]):
		if prefix > 32 {
			return "Invalid CIDR notation value found, for IPv4 must be lower or equal 32."
		}
	case isIPv6(parts[0]):
		if prefix > 128 {
			return "Invalid CIDR notation value found, for IPv6 must be lower or equal 128."
		}
	default:
		return msgIPFormat
	}
	return ""
}

func portRule(v string) string {
	if isPort(v) {
		return ""
	}
	return msgPort
}

func isPort(v string) bool {
	if !isDigits(v) {
		return false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	return err == nil && n >= 1 && n <= 65535
}

func ipPortRule(v string) string {
	ip, port := splitSecond(v, "|")
	if !isIP(ip) {
		return msgIPFormat
	}
	if !isPort(port) {
		return msgPort
	}
	return ""
}

func onionRule(v string) string {
	// note: MISP's pattern has a typo ("{56)") that leaves only the 16-character (v2) form
	// matching; Cairn accepts the 56-character (v3) form as the pattern intends.
	if onionRE.MatchString(v) {
		return ""
	}
	return "Onion address has an invalid format."
}

func isDomain(v string) bool {
	return domainRE.MatchString(v)
}

// domainRule checks a hostname or domain; name is the type as MISP capitalises it in the
// message.
func domainRule(name string) valueRule {
	msg := name + ` has an invalid format. Please double check the value or select type "other".`
	return func(v string) string {
		if isDomain(v) {
			return ""
		}
		return msg
	}
}

func hostnamePortRule(v string) string {
	host, port := splitSecond(v, "|")
	if !isDomain(host) {
		return "Hostname has an invalid format."
	}
	if !isPort(port) {
		return msgPort
	}
	return ""
}

func domainIPRule(v string) string {
	domain, ip := splitSecond(v, "|")
	if !isDomain(domain) {
		return "Domain has an invalid format."
	}
	if !isIP(ip) {
		return msgIPFormat
	}
	return ""
}

func emailRule(v string) string {
	if emailRE.MatchString(v) {
		return ""
	}
	return `Email address has an invalid format. Please double check the value or select ` +
		`type "other".`
}

func vulnerabilityRule(v string) string {
	if vulnerabilityRE.MatchString(v) {
		return ""
	}
	return "Invalid format. Expected: CVE-xxxx-xxxx..."
}

func weaknessRule(v string) string {
	if weaknessRE.MatchString(v) {
		return ""
	}
	return "Invalid format. Expected: CWE-x..."
}

func windowsServiceRule(v string) string {
	if len(v) > 256 || strings.ContainsAny(v, `/\`) {
		return "Invalid format. Only values shorter than 256 characters that don't include " +
			"any forward or backward slashes are allowed."
	}
	return ""
}

func linkRule(v string) string {
	if isURL(v) {
		return ""
	}
	return msgGeneric
}

func hexRule(v string) string {
	if isHex(v) {
		return ""
	}
	return msgGeneric
}

func noNewlineRule(v string) string {
	if strings.Contains(v, "\n") {
		return msgNewline
	}
	return ""
}

func sshFingerprintRule(v string) string {
	if isSSHFingerprint(v) {
		return ""
	}
	return "SSH fingerprint must be in MD5 or SHA256 format."
}

// isSSHFingerprint accepts "SHA256:" followed by the base64 of 32 bytes, or an MD5
// fingerprint: 32 hex digits, optionally after "MD5:" and with ':' between the pairs.
func isSSHFingerprint(v string) bool {
	if b64, ok := strings.CutPrefix(v, "SHA256:"); ok {
		sum, ok := decodeBase64Strict(b64)
		return ok && len(sum) == 32
	}
	v = strings.ReplaceAll(strings.TrimPrefix(v, "MD5:"), ":", "")
	return len(v) == 32 && isHex(v)
}

// decodeBase64Strict decodes standard base64 as PHP's base64_decode($s, true) does: blanks
// are skipped, padding is optional but must be right when present, and any other character
// outside the alphabet fails.
func decodeBase64Strict(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	data := strings.TrimRight(s, "=")
	if pad := len(s) - len(data); pad > 0 && (pad > 2 || len(s)%4 != 0) {
		return nil, false
	}
	b, err := base64.RawStdEncoding.DecodeString(data)
	return b, err == nil
}

func datetimeRule(v string) string {
	if _, err := parseTime(v, false); err == nil {
		return ""
	}
	return "Datetime has to be in the ISO 8601 format."
}

func wholeNumberRule(v string) string {
	if isDigits(v) {
		return ""
	}
	return "The value has to be a whole number greater or equal 0."
}

func integerRule(v string) string {
	// note: MISP tests is_int() on what is by then always a string, so it refuses every
	// value; Cairn accepts what the rule means, a 64-bit integer.
	if integerRE.MatchString(v) {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return ""
		}
	}
	return "The value has to be an integer value."
}

func numericRule(v string) string {
	if isNumeric(v) {
		return ""
	}
	return msgGeneric
}

func cortexRule(v string) string {
	if utf8.ValidString(v) && json.Valid([]byte(v)) {
		return ""
	}
	return msgGeneric
}

// booleanRule accepts what PHP compares loosely equal to 1 or 0: numeric strings worth 1 or
// 0. Normalize has already turned true/false and other values into "1" or "0".
func booleanRule(v string) string {
	if isNumeric(v) {
		f, err := strconv.ParseFloat(strings.Trim(v, phpNumericBlanks), 64)
		if err == nil && (f == 0 || f == 1) {
			return ""
		}
	}
	return msgGeneric
}

func asRule(v string) string {
	if isDigits(v) {
		n, err := strconv.ParseUint(v, 10, 64)
		if err == nil && n <= 4294967295 {
			return ""
		}
	}
	return "AS number have to be integer between 1 and 4294967295"
}

// isDigits reports whether s is one or more ASCII digits (PHP's ctype_digit).
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isHex reports whether s is one or more hex digits of either case (PHP's ctype_xdigit).
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := hexValue(s[i]); !ok {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	return isHex(s) && lowerASCII(s) == s
}

// isSingleLine reports whether s is non-empty and has no '\n' (PCRE's "^.+$").
func isSingleLine(s string) bool {
	return s != "" && !strings.Contains(s, "\n")
}

// phpNumericBlanks are the blanks PHP allows around a numeric string.
const phpNumericBlanks = " \t\n\r\v\f"

// isNumeric reports whether s is a numeric string as PHP 8's is_numeric sees it: optional
// blanks, an optional sign, a decimal number with an optional fraction and exponent, and
// optional blanks. Hex, octal prefixes, "inf" and "nan" are not numeric.
func isNumeric(s string) bool {
	s = strings.Trim(s, phpNumericBlanks)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	intDigits := countDigits(s)
	s = s[intDigits:]
	fracDigits := 0
	if s != "" && s[0] == '.' {
		fracDigits = countDigits(s[1:])
		s = s[1+fracDigits:]
	}
	if intDigits == 0 && fracDigits == 0 {
		return false
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		expDigits := countDigits(s)
		if expDigits == 0 {
			return false
		}
		s = s[expDigits:]
	}
	return s == ""
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}
