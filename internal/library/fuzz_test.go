package library

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
)

// FuzzParseTemplate feeds definition.json parsing arbitrary input: it must not panic, and
// what it accepts must be a usable template.
func FuzzParseTemplate(f *testing.F) {
	f.Add([]byte(`{"name":"t","uuid":"43b3b146-77eb-4931-b4cc-b66c60f28734","version":2,` +
		`"requiredOneOf":["a"],"attributes":{"a":{"misp-attribute":"text","multiple":true}}}`))
	f.Add([]byte(`{"name":"t","uuid":"43b3b146-77eb-4931-b4cc-b66c60f28734","attributes":null}`))
	f.Add([]byte(`{"attributes":{"a":{"misp-attribute":"text"},"a":1}}`))
	f.Add([]byte(`[]`))
	if dir := os.Getenv("CAIRN_TEST_MISP_DATA"); dir != "" {
		for _, name := range []string{"file", "domain-ip", "ip-port", "ADS"} {
			raw, err := os.ReadFile(filepath.Join(dir, "misp-objects", "objects", name,
				"definition.json"))
			if err == nil {
				f.Add(raw)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := ParseTemplate(data)
		if err != nil {
			return
		}
		if tmpl.Name == "" || tmpl.Version < 0 {
			t.Fatalf("accepted a template without a name or with a negative version: %+v", tmpl)
		}
		if _, err := uuid.Parse(tmpl.UUID); err != nil {
			t.Fatalf("accepted uuid %q", tmpl.UUID)
		}
		seen := map[string]bool{}
		for _, a := range tmpl.Attributes {
			if a.Relation == "" || a.Type == "" || seen[a.Relation] {
				t.Fatalf("accepted attribute %+v", a)
			}
			seen[a.Relation] = true
		}
		rec := tmpl.record(data)
		if len(rec.Elements) != len(tmpl.Attributes) || len(rec.Template.Requirements) == 0 {
			t.Fatalf("record of %+v: %+v", tmpl, rec)
		}
		// Validation of any object against an accepted template must not panic either.
		_ = ValidateObject(tmpl, []ObjectAttr{{Relation: "a", Type: "text"}, {}})
	})
}
