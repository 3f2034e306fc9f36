package misp

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"sync"
)

// TypeInfo describes one attribute type: its name and the sane defaults MISP applies when an
// attribute of that type arrives without a category or a to_ids flag.
type TypeInfo struct {
	Name            string
	DefaultCategory string
	ToIDs           bool
}

// categoryTypes is one entry of category_type_mappings: a category and the types it allows.
type categoryTypes struct {
	name  string
	types []string
}

var (
	typeIndex     = indexTypes()
	categoryIndex = indexCategories()
)

func indexTypes() map[string]TypeInfo {
	m := make(map[string]TypeInfo, len(typeTable))
	for _, t := range typeTable {
		m[t.Name] = t
	}
	return m
}

// indexCategories maps each category to the set of types it allows.
func indexCategories() map[string]map[string]bool {
	m := make(map[string]map[string]bool, len(categoryTable))
	for _, c := range categoryTable {
		allowed := make(map[string]bool, len(c.types))
		for _, t := range c.types {
			allowed[t] = true
		}
		m[c.name] = allowed
	}
	return m
}

// LookupType returns the description of the attribute type name and reports whether MISP
// knows that type. Type names are case-sensitive ("AS", "named pipe").
func LookupType(name string) (TypeInfo, bool) {
	t, ok := typeIndex[name]
	return t, ok
}

// Types returns the names of all attribute types in describeTypes order.
func Types() []string {
	names := make([]string, len(typeTable))
	for i, t := range typeTable {
		names[i] = t.Name
	}
	return names
}

// Categories returns the 16 attribute categories in MISP's order.
func Categories() []string {
	names := make([]string, len(categoryTable))
	for i, c := range categoryTable {
		names[i] = c.name
	}
	return names
}

// IsCategory reports whether category is one of MISP's categories.
func IsCategory(category string) bool {
	_, ok := categoryIndex[category]
	return ok
}

// TypeAllowedInCategory reports whether category_type_mappings lists typ under category.
func TypeAllowedInCategory(typ, category string) bool {
	return categoryIndex[category][typ]
}

// IsComposite reports whether values of typ are stored as two parts, value1|value2: every
// type whose name holds a '|', plus malware-sample (filename|md5).
func IsComposite(typ string) bool {
	return typ == "malware-sample" || strings.Contains(typ, "|")
}

// nonCorrelatingTypes never take part in correlation (MISP's NON_CORRELATING_TYPES).
var nonCorrelatingTypes = []string{
	"comment", "http-method", "aba-rtn", "gender", "counter", "integer", "float", "port",
	"nationality", "cortex", "boolean", "anonymised",
}

// CorrelatesNever reports whether attributes of typ are never correlated.
func CorrelatesNever(typ string) bool {
	return slices.Contains(nonCorrelatingTypes, typ)
}

// PrimaryOnlyCorrelating reports whether only value1 of typ correlates (the port of an
// ip|port or hostname|port pair says nothing on its own).
func PrimaryOnlyCorrelating(typ string) bool {
	switch typ {
	case "ip-src|port", "ip-dst|port", "hostname|port":
		return true
	}
	return false
}

// DescribeTypesJSON returns the body of GET attributes/describeTypes.json. Keys come in the
// order of PyMISP's describeTypes.json: sane_defaults in type order, category_type_mappings
// in category order. The slice is shared; callers must not modify it.
func DescribeTypesJSON() []byte {
	return describeTypes()
}

var describeTypes = sync.OnceValue(buildDescribeTypes)

func buildDescribeTypes() []byte {
	var b bytes.Buffer
	b.WriteString(`{"result":{"sane_defaults":{`)
	for i, t := range typeTable {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, t.Name)
		b.WriteString(`:{"default_category":`)
		writeJSONString(&b, t.DefaultCategory)
		if t.ToIDs {
			b.WriteString(`,"to_ids":1}`)
		} else {
			b.WriteString(`,"to_ids":0}`)
		}
	}
	b.WriteString(`},"types":`)
	writeJSONStrings(&b, Types())
	b.WriteString(`,"categories":`)
	writeJSONStrings(&b, Categories())
	b.WriteString(`,"category_type_mappings":{`)
	for i, c := range categoryTable {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(&b, c.name)
		b.WriteByte(':')
		writeJSONStrings(&b, c.types)
	}
	b.WriteString(`}}}`)
	return b.Bytes()
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, err := json.Marshal(s)
	if err != nil {
		panic(err) // a Go string always marshals
	}
	b.Write(enc)
}

func writeJSONStrings(b *bytes.Buffer, list []string) {
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, s)
	}
	b.WriteByte(']')
}

// Code below was generated once from PyMISP's pymisp/data/describeTypes.json and is now
// maintained by hand; TestDescribeTypesMatchesPyMISP keeps it in step with that file.

// typeTable lists every attribute type in the order of describeTypes "types", with its
// sane defaults.
var typeTable = []TypeInfo{
	{"md5", "Payload delivery", true},
	{"sha1", "Payload delivery", true},
	{"sha256", "Payload delivery", true},
	{"filename", "Payload delivery", true},
	{"pdb", "Artifacts dropped", false},
	{"filename|md5", "Payload delivery", true},
	{"filename|sha1", "Payload delivery", true},
	{"filename|sha256", "Payload delivery", true},
	{"ip-src", "Network activity", true},
	{"ip-dst", "Network activity", true},
	{"hostname", "Network activity", true},
	{"domain", "Network activity", true},
	{"domain|ip", "Network activity", true},
	{"email", "Social network", true},
	{"email-src", "Payload delivery", true},
	{"eppn", "Network activity", true},
	{"email-dst", "Network activity", true},
	{"email-subject", "Payload delivery", false},
	{"email-attachment", "Payload delivery", true},
	{"email-body", "Payload delivery", false},
	{"float", "Other", false},
	{"git-commit-id", "Internal reference", false},
	{"url", "Network activity", true},
	{"http-method", "Network activity", false},
	{"user-agent", "Network activity", false},
	{"ja3-fingerprint-md5", "Network activity", true},
	{"jarm-fingerprint", "Network activity", true},
	{"favicon-mmh3", "Network activity", true},
	{"hassh-md5", "Network activity", true},
	{"hasshserver-md5", "Network activity", true},
	{"regkey", "Persistence mechanism", true},
	{"regkey|value", "Persistence mechanism", true},
	{"AS", "Network activity", false},
	{"snort", "Network activity", true},
	{"suricata", "Network activity", true},
	{"bro", "Network activity", true},
	{"zeek", "Network activity", true},
	{"community-id", "Network activity", true},
	{"dom-hash", "Network activity", true},
	{"pattern-in-file", "Payload installation", true},
	{"pattern-in-traffic", "Network activity", true},
	{"pattern-in-memory", "Payload installation", true},
	{"filename-pattern", "Payload installation", true},
	{"pgp-public-key", "Person", false},
	{"pgp-private-key", "Person", false},
	{"ssh-fingerprint", "Network activity", false},
	{"yara", "Payload installation", true},
	{"stix2-pattern", "Payload installation", true},
	{"sigma", "Payload installation", true},
	{"gene", "Artifacts dropped", false},
	{"kusto-query", "Artifacts dropped", false},
	{"mime-type", "Artifacts dropped", false},
	{"identity-card-number", "Person", false},
	{"cookie", "Network activity", false},
	{"vulnerability", "External analysis", false},
	{"cpe", "External analysis", false},
	{"weakness", "External analysis", false},
	{"attachment", "External analysis", false},
	{"malware-sample", "Payload delivery", true},
	{"link", "External analysis", false},
	{"comment", "Other", false},
	{"text", "Other", false},
	{"hex", "Other", false},
	{"other", "Other", false},
	{"named pipe", "Artifacts dropped", false},
	{"mutex", "Artifacts dropped", true},
	{"process-state", "Artifacts dropped", false},
	{"target-user", "Targeting data", false},
	{"target-email", "Targeting data", false},
	{"target-machine", "Targeting data", false},
	{"target-org", "Targeting data", false},
	{"target-location", "Targeting data", false},
	{"target-external", "Targeting data", false},
	{"btc", "Financial fraud", true},
	{"dash", "Financial fraud", true},
	{"xmr", "Financial fraud", true},
	{"iban", "Financial fraud", true},
	{"bic", "Financial fraud", true},
	{"bank-account-nr", "Financial fraud", true},
	{"aba-rtn", "Financial fraud", true},
	{"bin", "Financial fraud", true},
	{"cc-number", "Financial fraud", true},
	{"prtn", "Financial fraud", true},
	{"phone-number", "Person", false},
	{"threat-actor", "Attribution", false},
	{"campaign-name", "Attribution", false},
	{"campaign-id", "Attribution", false},
	{"malware-type", "Payload delivery", false},
	{"uri", "Network activity", true},
	{"authentihash", "Payload delivery", true},
	{"vhash", "Payload delivery", true},
	{"ssdeep", "Payload delivery", true},
	{"imphash", "Payload delivery", true},
	{"telfhash", "Payload delivery", true},
	{"pehash", "Payload delivery", true},
	{"impfuzzy", "Payload delivery", true},
	{"sha224", "Payload delivery", true},
	{"sha384", "Payload delivery", true},
	{"sha512", "Payload delivery", true},
	{"sha512/224", "Payload delivery", true},
	{"sha512/256", "Payload delivery", true},
	{"sha3-224", "Payload delivery", true},
	{"sha3-256", "Payload delivery", true},
	{"sha3-384", "Payload delivery", true},
	{"sha3-512", "Payload delivery", true},
	{"tlsh", "Payload delivery", true},
	{"cdhash", "Payload delivery", true},
	{"filename|authentihash", "Payload delivery", true},
	{"filename|vhash", "Payload delivery", true},
	{"filename|ssdeep", "Payload delivery", true},
	{"filename|imphash", "Payload delivery", true},
	{"filename|impfuzzy", "Payload delivery", true},
	{"filename|pehash", "Payload delivery", true},
	{"filename|sha224", "Payload delivery", true},
	{"filename|sha384", "Payload delivery", true},
	{"filename|sha512", "Payload delivery", true},
	{"filename|sha512/224", "Payload delivery", true},
	{"filename|sha512/256", "Payload delivery", true},
	{"filename|sha3-224", "Payload delivery", true},
	{"filename|sha3-256", "Payload delivery", true},
	{"filename|sha3-384", "Payload delivery", true},
	{"filename|sha3-512", "Payload delivery", true},
	{"filename|tlsh", "Payload delivery", true},
	{"windows-scheduled-task", "Artifacts dropped", false},
	{"windows-service-name", "Artifacts dropped", false},
	{"windows-service-displayname", "Artifacts dropped", false},
	{"whois-registrant-email", "Attribution", false},
	{"whois-registrant-phone", "Attribution", false},
	{"whois-registrant-name", "Attribution", false},
	{"whois-registrant-org", "Attribution", false},
	{"whois-registrar", "Attribution", false},
	{"whois-creation-date", "Attribution", false},
	{"x509-fingerprint-sha1", "Network activity", true},
	{"x509-fingerprint-md5", "Network activity", true},
	{"x509-fingerprint-sha256", "Network activity", true},
	{"dns-soa-email", "Attribution", false},
	{"size-in-bytes", "Other", false},
	{"counter", "Other", false},
	{"integer", "Other", false},
	{"datetime", "Other", false},
	{"port", "Network activity", false},
	{"ip-dst|port", "Network activity", true},
	{"ip-src|port", "Network activity", true},
	{"hostname|port", "Network activity", true},
	{"mac-address", "Network activity", false},
	{"mac-eui-64", "Network activity", false},
	{"email-dst-display-name", "Payload delivery", false},
	{"email-src-display-name", "Payload delivery", false},
	{"email-header", "Payload delivery", false},
	{"email-reply-to", "Payload delivery", false},
	{"email-x-mailer", "Payload delivery", false},
	{"email-mime-boundary", "Payload delivery", false},
	{"email-thread-index", "Payload delivery", false},
	{"email-message-id", "Payload delivery", false},
	{"github-username", "Social network", false},
	{"github-repository", "Social network", false},
	{"github-organisation", "Social network", false},
	{"jabber-id", "Social network", false},
	{"twitter-id", "Social network", false},
	{"dkim", "Network activity", false},
	{"dkim-signature", "Network activity", false},
	{"first-name", "Person", false},
	{"middle-name", "Person", false},
	{"last-name", "Person", false},
	{"full-name", "Person", false},
	{"date-of-birth", "Person", false},
	{"place-of-birth", "Person", false},
	{"gender", "Person", false},
	{"passport-number", "Person", false},
	{"passport-country", "Person", false},
	{"passport-expiration", "Person", false},
	{"redress-number", "Person", false},
	{"nationality", "Person", false},
	{"visa-number", "Person", false},
	{"issue-date-of-the-visa", "Person", false},
	{"primary-residence", "Person", false},
	{"country-of-residence", "Person", false},
	{"special-service-request", "Person", false},
	{"frequent-flyer-number", "Person", false},
	{"travel-details", "Person", false},
	{"payment-details", "Person", false},
	{"place-port-of-original-embarkation", "Person", false},
	{"place-port-of-clearance", "Person", false},
	{"place-port-of-onward-foreign-destination", "Person", false},
	{"passenger-name-record-locator-number", "Person", false},
	{"mobile-application-id", "Payload delivery", true},
	{"azure-application-id", "Payload delivery", true},
	{"chrome-extension-id", "Payload delivery", true},
	{"edge-extension-id", "Payload delivery", true},
	{"cortex", "External analysis", false},
	{"boolean", "Other", false},
	{"uuid", "Other", false},
	{"anonymised", "Other", false},
	{"onion-address", "Network activity", true},
}

// categoryTable lists the categories in MISP's order, each with the types it allows in the
// order of describeTypes "category_type_mappings".
var categoryTable = []categoryTypes{
	{"Internal reference", []string{
		"text", "link", "comment", "other", "hex", "anonymised", "git-commit-id",
	}},
	{"Targeting data", []string{
		"target-user", "target-email", "target-machine", "target-org", "target-location",
		"target-external", "comment", "anonymised",
	}},
	{"Antivirus detection", []string{
		"link", "comment", "text", "hex", "attachment", "other", "anonymised",
	}},
	{"Payload delivery", []string{
		"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512/224", "sha512/256",
		"sha3-224", "sha3-256", "sha3-384", "sha3-512", "ssdeep", "imphash", "telfhash",
		"impfuzzy", "authentihash", "vhash", "pehash", "tlsh", "cdhash", "filename",
		"filename|md5", "filename|sha1", "filename|sha224", "filename|sha256",
		"filename|sha384", "filename|sha512", "filename|sha512/224", "filename|sha512/256",
		"filename|sha3-224", "filename|sha3-256", "filename|sha3-384", "filename|sha3-512",
		"filename|authentihash", "filename|vhash", "filename|ssdeep", "filename|tlsh",
		"filename|imphash", "filename|impfuzzy", "filename|pehash", "mac-address", "mac-eui-64",
		"ip-src", "ip-dst", "ip-dst|port", "ip-src|port", "hostname", "domain", "email",
		"email-src", "email-dst", "email-subject", "email-attachment", "email-body", "url",
		"user-agent", "AS", "pattern-in-file", "pattern-in-traffic", "filename-pattern",
		"stix2-pattern", "yara", "sigma", "mime-type", "attachment", "malware-sample", "link",
		"malware-type", "comment", "text", "hex", "vulnerability", "cpe", "weakness",
		"x509-fingerprint-sha1", "x509-fingerprint-md5", "x509-fingerprint-sha256",
		"ja3-fingerprint-md5", "jarm-fingerprint", "hassh-md5", "hasshserver-md5", "other",
		"hostname|port", "email-dst-display-name", "email-src-display-name", "email-header",
		"email-reply-to", "email-x-mailer", "email-mime-boundary", "email-thread-index",
		"email-message-id", "azure-application-id", "mobile-application-id",
		"chrome-extension-id", "edge-extension-id", "whois-registrant-email", "anonymised",
		"onion-address",
	}},
	{"Artifacts dropped", []string{
		"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512/224", "sha512/256",
		"sha3-224", "sha3-256", "sha3-384", "sha3-512", "ssdeep", "imphash", "telfhash",
		"impfuzzy", "authentihash", "vhash", "cdhash", "filename", "filename|md5",
		"filename|sha1", "filename|sha224", "filename|sha256", "filename|sha384",
		"filename|sha512", "filename|sha512/224", "filename|sha512/256", "filename|sha3-224",
		"filename|sha3-256", "filename|sha3-384", "filename|sha3-512", "filename|authentihash",
		"filename|vhash", "filename|ssdeep", "filename|tlsh", "filename|imphash",
		"filename|impfuzzy", "filename|pehash", "regkey", "regkey|value", "pattern-in-file",
		"pattern-in-memory", "filename-pattern", "pdb", "stix2-pattern", "yara", "sigma",
		"attachment", "malware-sample", "named pipe", "mutex", "process-state",
		"windows-scheduled-task", "windows-service-name", "windows-service-displayname",
		"comment", "text", "hex", "x509-fingerprint-sha1", "x509-fingerprint-md5",
		"x509-fingerprint-sha256", "other", "cookie", "gene", "kusto-query", "mime-type",
		"anonymised", "pgp-public-key", "pgp-private-key",
	}},
	{"Payload installation", []string{
		"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512/224", "sha512/256",
		"sha3-224", "sha3-256", "sha3-384", "sha3-512", "ssdeep", "imphash", "telfhash",
		"impfuzzy", "authentihash", "vhash", "pehash", "tlsh", "cdhash", "filename",
		"filename|md5", "filename|sha1", "filename|sha224", "filename|sha256",
		"filename|sha384", "filename|sha512", "filename|sha512/224", "filename|sha512/256",
		"filename|sha3-224", "filename|sha3-256", "filename|sha3-384", "filename|sha3-512",
		"filename|authentihash", "filename|vhash", "filename|ssdeep", "filename|tlsh",
		"filename|imphash", "filename|impfuzzy", "filename|pehash", "pattern-in-file",
		"pattern-in-traffic", "pattern-in-memory", "filename-pattern", "stix2-pattern", "yara",
		"sigma", "vulnerability", "cpe", "weakness", "attachment", "malware-sample",
		"malware-type", "comment", "text", "hex", "x509-fingerprint-sha1",
		"x509-fingerprint-md5", "x509-fingerprint-sha256", "azure-application-id",
		"mobile-application-id", "chrome-extension-id", "edge-extension-id", "other",
		"mime-type", "anonymised",
	}},
	{"Persistence mechanism", []string{
		"filename", "regkey", "regkey|value", "comment", "text", "other", "hex", "anonymised",
	}},
	{"Network activity", []string{
		"ip-src", "ip-dst", "ip-dst|port", "ip-src|port", "port", "hostname", "domain",
		"domain|ip", "mac-address", "mac-eui-64", "email", "email-dst", "email-src", "eppn",
		"url", "uri", "user-agent", "http-method", "AS", "snort", "suricata", "pattern-in-file",
		"filename-pattern", "stix2-pattern", "pattern-in-traffic", "attachment", "comment",
		"text", "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256",
		"ja3-fingerprint-md5", "jarm-fingerprint", "hassh-md5", "hasshserver-md5", "other",
		"hex", "cookie", "hostname|port", "bro", "zeek", "anonymised", "community-id",
		"email-subject", "favicon-mmh3", "dkim", "dkim-signature", "ssh-fingerprint",
		"dom-hash", "onion-address",
	}},
	{"Payload type", []string{
		"comment", "text", "other", "anonymised",
	}},
	{"Attribution", []string{
		"threat-actor", "campaign-name", "campaign-id", "whois-registrant-phone",
		"whois-registrant-email", "whois-registrant-name", "whois-registrant-org",
		"whois-registrar", "whois-creation-date", "comment", "text", "x509-fingerprint-sha1",
		"x509-fingerprint-md5", "x509-fingerprint-sha256", "other", "dns-soa-email",
		"anonymised", "email",
	}},
	{"External analysis", []string{
		"md5", "sha1", "sha256", "sha3-224", "sha3-256", "sha3-384", "sha3-512", "filename",
		"filename|md5", "filename|sha1", "filename|sha256", "filename|sha3-224",
		"filename|sha3-256", "filename|sha3-384", "filename|sha3-512", "ip-src", "ip-dst",
		"ip-dst|port", "ip-src|port", "mac-address", "mac-eui-64", "hostname", "domain",
		"domain|ip", "url", "user-agent", "regkey", "regkey|value", "AS", "snort", "suricata",
		"bro", "zeek", "pattern-in-file", "pattern-in-traffic", "pattern-in-memory",
		"filename-pattern", "vulnerability", "cpe", "weakness", "attachment", "malware-sample",
		"link", "comment", "text", "x509-fingerprint-sha1", "x509-fingerprint-md5",
		"x509-fingerprint-sha256", "ja3-fingerprint-md5", "jarm-fingerprint", "hassh-md5",
		"hasshserver-md5", "github-repository", "other", "cortex", "anonymised", "community-id",
		"dom-hash", "onion-address",
	}},
	{"Financial fraud", []string{
		"btc", "dash", "xmr", "iban", "bic", "bank-account-nr", "aba-rtn", "bin", "cc-number",
		"prtn", "phone-number", "comment", "text", "other", "hex", "anonymised",
	}},
	{"Support Tool", []string{
		"link", "text", "attachment", "comment", "other", "hex", "anonymised",
	}},
	{"Social network", []string{
		"github-username", "github-repository", "github-organisation", "jabber-id",
		"twitter-id", "email", "email-src", "email-dst", "eppn", "comment", "text", "other",
		"whois-registrant-email", "anonymised", "pgp-public-key", "pgp-private-key",
	}},
	{"Person", []string{
		"first-name", "middle-name", "last-name", "full-name", "date-of-birth",
		"place-of-birth", "gender", "passport-number", "passport-country",
		"passport-expiration", "redress-number", "nationality", "visa-number",
		"issue-date-of-the-visa", "primary-residence", "country-of-residence",
		"special-service-request", "frequent-flyer-number", "travel-details", "payment-details",
		"place-port-of-original-embarkation", "place-port-of-clearance",
		"place-port-of-onward-foreign-destination", "passenger-name-record-locator-number",
		"comment", "text", "other", "phone-number", "identity-card-number", "anonymised",
		"email", "pgp-public-key", "pgp-private-key",
	}},
	{"Other", []string{
		"comment", "text", "other", "size-in-bytes", "counter", "integer", "datetime", "cpe",
		"port", "float", "hex", "phone-number", "boolean", "anonymised", "pgp-public-key",
		"pgp-private-key", "uuid",
	}},
}
