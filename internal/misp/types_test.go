package misp

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestTypeTableShape(t *testing.T) {
	if got, want := len(Types()), 194; got != want {
		t.Errorf("len(Types()) = %d, want %d", got, want)
	}
	wantCategories := []string{
		"Internal reference", "Targeting data", "Antivirus detection", "Payload delivery",
		"Artifacts dropped", "Payload installation", "Persistence mechanism",
		"Network activity", "Payload type", "Attribution", "External analysis",
		"Financial fraud", "Support Tool", "Social network", "Person", "Other",
	}
	if diff := cmp.Diff(wantCategories, Categories()); diff != "" {
		t.Errorf("Categories() mismatch (-want +got):\n%s", diff)
	}

	// Types per category, in category order (reference §2.1).
	wantSizes := []int{7, 8, 7, 99, 70, 67, 8, 50, 4, 18, 59, 16, 7, 16, 33, 17}
	var gotSizes []int
	for _, c := range categoryTable {
		gotSizes = append(gotSizes, len(c.types))
	}
	if diff := cmp.Diff(wantSizes, gotSizes); diff != "" {
		t.Errorf("types per category mismatch (-want +got):\n%s", diff)
	}

	toIDs := 0
	defaults := map[string]int{}
	for _, ti := range typeTable {
		if ti.ToIDs {
			toIDs++
		}
		defaults[ti.DefaultCategory]++
		if !TypeAllowedInCategory(ti.Name, ti.DefaultCategory) {
			t.Errorf("%s: default category %q does not allow the type", ti.Name, ti.DefaultCategory)
		}
	}
	// note: the reference text says 93; PyMISP's current file has 96.
	if toIDs != 96 {
		t.Errorf("%d types default to to_ids, want 96", toIDs)
	}
	wantDefaults := map[string]int{
		"Payload delivery": 59, "Network activity": 38, "Person": 28, "Other": 12,
		"Artifacts dropped": 10, "Financial fraud": 10, "Attribution": 10, "Social network": 6,
		"Payload installation": 6, "External analysis": 6, "Targeting data": 6,
		"Persistence mechanism": 2, "Internal reference": 1,
	}
	if diff := cmp.Diff(wantDefaults, defaults); diff != "" {
		t.Errorf("types per default category (-want +got):\n%s", diff)
	}
}

func TestLookupType(t *testing.T) {
	tests := []struct {
		name   string
		want   TypeInfo
		wantOK bool
	}{
		{"md5", TypeInfo{"md5", "Payload delivery", true}, true},
		{"ip-dst", TypeInfo{"ip-dst", "Network activity", true}, true},
		{"regkey", TypeInfo{"regkey", "Persistence mechanism", true}, true},
		{"comment", TypeInfo{"comment", "Other", false}, true},
		{"vulnerability", TypeInfo{"vulnerability", "External analysis", false}, true},
		{"btc", TypeInfo{"btc", "Financial fraud", true}, true},
		{"AS", TypeInfo{"AS", "Network activity", false}, true},
		{"named pipe", TypeInfo{"named pipe", "Artifacts dropped", false}, true},
		{"onion-address", TypeInfo{"onion-address", "Network activity", true}, true},
		{"as", TypeInfo{}, false},
		{"", TypeInfo{}, false},
	}
	for _, tt := range tests {
		got, ok := LookupType(tt.name)
		if ok != tt.wantOK || got != tt.want {
			t.Errorf("LookupType(%q) = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestTypeAllowedInCategory(t *testing.T) {
	tests := []struct {
		typ, category string
		want          bool
	}{
		{"md5", "Payload delivery", true},
		{"md5", "Artifacts dropped", true},
		{"md5", "Network activity", false},
		{"ip-dst", "Network activity", true},
		{"ip-dst", "Person", false},
		{"comment", "Other", true},
		{"yara", "Payload installation", true},
		{"md5", "payload delivery", false},
		{"nope", "Other", false},
	}
	for _, tt := range tests {
		if got := TypeAllowedInCategory(tt.typ, tt.category); got != tt.want {
			t.Errorf("TypeAllowedInCategory(%q, %q) = %v, want %v",
				tt.typ, tt.category, got, tt.want)
		}
	}
}

func TestTypeSets(t *testing.T) {
	var composite []string
	for _, name := range Types() {
		if IsComposite(name) {
			composite = append(composite, name)
		}
	}
	if got, want := len(composite), 25; got != want {
		t.Errorf("%d composite types, want %d: %v", got, want, composite)
	}
	for _, name := range []string{"malware-sample", "domain|ip", "filename|sha3-512"} {
		if !IsComposite(name) {
			t.Errorf("IsComposite(%q) = false", name)
		}
	}
	if IsComposite("attachment") {
		t.Error("IsComposite(attachment) = true")
	}

	never := []string{
		"comment", "http-method", "aba-rtn", "gender", "counter", "integer", "float", "port",
		"nationality", "cortex", "boolean", "anonymised",
	}
	for _, name := range Types() {
		want := false
		for _, n := range never {
			want = want || n == name
		}
		if got := CorrelatesNever(name); got != want {
			t.Errorf("CorrelatesNever(%q) = %v", name, got)
		}
		wantPrimary := name == "ip-src|port" || name == "ip-dst|port" || name == "hostname|port"
		if got := PrimaryOnlyCorrelating(name); got != wantPrimary {
			t.Errorf("PrimaryOnlyCorrelating(%q) = %v", name, got)
		}
	}
}

// TestTypeListsNameKnownTypes catches typos in the per-type tables of normalize.go and
// validate.go, which would silently leave a type unchecked.
func TestTypeListsNameKnownTypes(t *testing.T) {
	var names []string
	for name := range valueRules {
		names = append(names, name)
	}
	for name := range lowerCaseTypes {
		names = append(names, name)
	}
	for name := range filenameHashTypes {
		names = append(names, name)
	}
	for _, r := range refangRules {
		names = append(names, r.types...)
	}
	names = append(names, nonCorrelatingTypes...)
	for _, name := range names {
		if _, ok := LookupType(name); !ok {
			t.Errorf("%q is not an attribute type", name)
		}
	}
}

// TestTypesWithoutRule lists the types that accept any value, so that a type added to the
// table without a thought about its validation shows up here.
func TestTypesWithoutRule(t *testing.T) {
	want := []string{
		"email-attachment", "email-body", "snort", "suricata", "bro", "zeek", "community-id",
		"pattern-in-file", "pattern-in-traffic", "pattern-in-memory", "filename-pattern",
		"pgp-public-key", "pgp-private-key", "yara", "stix2-pattern", "sigma", "gene",
		"kusto-query", "mime-type", "identity-card-number", "cookie", "cpe", "attachment",
		"malware-sample", "comment", "text", "other", "mutex", "process-state",
		// MISP's validator has no case for these four (it would throw); they accept anything.
		"filename|impfuzzy", "edge-extension-id", "uuid",
		"email-header", "first-name", "middle-name", "last-name", "full-name", "anonymised",
	}
	var got []string
	for _, name := range Types() {
		if valueRules[name] == nil {
			got = append(got, name)
		}
	}
	sortStrings := cmpopts.SortSlices(func(a, b string) bool { return a < b })
	if diff := cmp.Diff(want, got, sortStrings); diff != "" {
		t.Errorf("types without a rule (-want +got):\n%s", diff)
	}
}

func TestDescribeTypesJSONShape(t *testing.T) {
	body := DescribeTypesJSON()
	if !json.Valid(body) {
		t.Fatalf("DescribeTypesJSON is not valid JSON: %.200s", body)
	}
	var got describeTypesBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	r := got.Result
	if len(r.Types) != 194 || len(r.Categories) != 16 || len(r.SaneDefaults) != 194 {
		t.Errorf("got %d types, %d categories, %d sane_defaults",
			len(r.Types), len(r.Categories), len(r.SaneDefaults))
	}
	if diff := cmp.Diff(saneDefault{"Network activity", 1}, r.SaneDefaults["ip-src"]); diff != "" {
		t.Errorf("sane_defaults[ip-src] (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(saneDefault{"Other", 0}, r.SaneDefaults["comment"]); diff != "" {
		t.Errorf("sane_defaults[comment] (-want +got):\n%s", diff)
	}
	wantInternal := []string{
		"text", "link", "comment", "other", "hex", "anonymised", "git-commit-id",
	}
	if diff := cmp.Diff(wantInternal, r.CategoryTypeMappings["Internal reference"]); diff != "" {
		t.Errorf("category_type_mappings[Internal reference] (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(Types(), objectKeys(t, body, "sane_defaults")); diff != "" {
		t.Errorf("sane_defaults keys not in type order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Categories(), objectKeys(t, body, "category_type_mappings")); diff != "" {
		t.Errorf("category_type_mappings keys not in category order (-want +got):\n%s", diff)
	}
	if &DescribeTypesJSON()[0] != &body[0] {
		t.Error("DescribeTypesJSON is rebuilt on every call")
	}
}

// TestDescribeTypesMatchesPyMISP compares the table with PyMISP's bundled describeTypes.json.
// Set CAIRN_TEST_MISP_DATA to the misp-data directory to run it.
func TestDescribeTypesMatchesPyMISP(t *testing.T) {
	dir := os.Getenv("CAIRN_TEST_MISP_DATA")
	if dir == "" {
		t.Skip("CAIRN_TEST_MISP_DATA is not set; it names the misp-data directory holding " +
			"PyMISP/pymisp/data/describeTypes.json")
	}
	want, err := os.ReadFile(filepath.Join(dir, "PyMISP", "pymisp", "data", "describeTypes.json"))
	if err != nil {
		t.Fatal(err)
	}
	got := DescribeTypesJSON()

	var wantBody, gotBody describeTypesBody
	if err := json.Unmarshal(want, &wantBody); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &gotBody); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantBody, gotBody); diff != "" {
		t.Errorf("describeTypes mismatch (-PyMISP +Cairn):\n%s", diff)
	}

	// Nothing beyond the fields above, either.
	var wantAny, gotAny any
	json.Unmarshal(want, &wantAny)
	json.Unmarshal(got, &gotAny)
	if diff := cmp.Diff(wantAny, gotAny); diff != "" {
		t.Errorf("describeTypes mismatch (-PyMISP +Cairn):\n%s", diff)
	}

	for _, key := range []string{"sane_defaults", "category_type_mappings"} {
		if diff := cmp.Diff(objectKeys(t, want, key), objectKeys(t, got, key)); diff != "" {
			t.Errorf("key order of %s (-PyMISP +Cairn):\n%s", key, diff)
		}
	}
}

type saneDefault struct {
	DefaultCategory string `json:"default_category"`
	ToIDs           int    `json:"to_ids"`
}

type describeTypesBody struct {
	Result struct {
		SaneDefaults         map[string]saneDefault `json:"sane_defaults"`
		Types                []string               `json:"types"`
		Categories           []string               `json:"categories"`
		CategoryTypeMappings map[string][]string    `json:"category_type_mappings"`
	} `json:"result"`
}

// objectKeys returns, in document order, the keys of the object held by result.<member>.
func objectKeys(t *testing.T, body []byte, member string) []string {
	t.Helper()
	var outer struct {
		Result map[string]json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(outer.Result[member]))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("result.%s is not an object", member)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
