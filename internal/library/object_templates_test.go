package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/store"
	"github.com/cairn-project/cairn/internal/testutil/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// mispData returns the folder of MISP's community data, or skips the test.
func mispData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("CAIRN_TEST_MISP_DATA")
	if dir == "" {
		t.Skip("MISP community data not available: set CAIRN_TEST_MISP_DATA")
	}
	return dir
}

// realTemplate parses a template of misp-objects.
func realTemplate(t *testing.T, name string) *Template {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(mispData(t), "misp-objects", "objects", name,
		"definition.json"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := ParseTemplate(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestParseTemplate(t *testing.T) {
	const uuid = "43b3b146-77eb-4931-b4cc-b66c60f28734"
	ok := `{"name":"t","uuid":"` + strings.ToUpper(uuid) + `","meta-category":"network",
		"description":"d","requiredOneOf":["b","a"],
		"attributes":{"z":{"misp-attribute":"text","ui-priority":1},
			"a":{"misp-attribute":"ip-dst","multiple":true,"disable_correlation":false,
				"categories":["Network activity"],"sane_default":["x"],"to_ids":true}}}`
	got, err := ParseTemplate([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	f, tr := false, true
	want := &Template{UUID: uuid, Name: "t", MetaCategory: "network", Description: "d",
		Version: 1, RequiredOneOf: []string{"b", "a"}, Attributes: []TemplateAttribute{
			{Relation: "z", Type: "text", UIPriority: 1},
			{Relation: "a", Type: "ip-dst", Multiple: true, DisableCorrelation: &f, ToIDs: &tr,
				Categories: []string{"Network activity"}, SaneDefault: []string{"x"}},
		}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseTemplate (-want +got):\n%s", diff)
	}

	for name, bad := range map[string]string{
		"not json":   `{`,
		"no name":    `{"uuid":"` + uuid + `","attributes":{}}`,
		"bad uuid":   `{"name":"t","uuid":"x","attributes":{}}`,
		"no type":    `{"name":"t","uuid":"` + uuid + `","attributes":{"a":{}}}`,
		"attrs list": `{"name":"t","uuid":"` + uuid + `","attributes":[]}`,
		"repeated": `{"name":"t","uuid":"` + uuid + `","attributes":` +
			`{"a":{"misp-attribute":"text"},"a":{"misp-attribute":"text"}}}`,
		"empty relation": `{"name":"t","uuid":"` + uuid + `",` +
			`"attributes":{"":{"misp-attribute":"text"}}}`,
		"bad version": `{"name":"t","uuid":"` + uuid + `","version":"x","attributes":{}}`,
	} {
		if _, err := ParseTemplate([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestParseEveryRealTemplate(t *testing.T) {
	dir := filepath.Join(mispData(t), "misp-objects", "objects")
	templates, failed, err := readTemplates(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) > 0 {
		t.Errorf("unreadable templates: %v", failed)
	}
	entries, _ := os.ReadDir(dir)
	if len(templates) != len(entries) || len(templates) < 400 {
		t.Errorf("%d templates parsed of %d directories", len(templates), len(entries))
	}
}

func TestValidateObject(t *testing.T) {
	file := realTemplate(t, "file")
	domainIP := realTemplate(t, "domain-ip")
	ipPort := realTemplate(t, "ip-port")
	cases := []validationCase{
		{"file with a filename", file, []ObjectAttr{{"filename", "filename"}}, 0, ""},
		{"file with hashes", file, []ObjectAttr{{"md5", "md5"}, {"sha256", "sha256"}}, 0, ""},
		// The message of golden 145 (objects/add with a file object of only a text attribute).
		{"file with only text", file, []ObjectAttr{{"text", "text"}}, MissingOneOf,
			"Could not save the object as it requires at least one of the following attributes " +
				"to be set: filename, size-in-bytes, authentihash, ssdeep, md5, sha1, sha224, " +
				"sha256, sha384, sha512, sha512/224, sha512/256, sha3-224, sha3-256, sha3-384, " +
				"sha3-512, tlsh, telfhash, imphash, pattern-in-file, certificate, malware-sample, " +
				"attachment, path, fullpath"},
		{"file with two md5", file, []ObjectAttr{{"md5", "md5"}, {"md5", "md5"}}, NotMultiple,
			"Could not save the object as a unique relationship within the object was assigned " +
				"to more than one attribute. This is only allowed if the multiple flag is set in " +
				"the object template."},
		{"domain-ip with two ips", domainIP, []ObjectAttr{{"ip", "ip-dst"}, {"ip", "ip-dst"},
			{"domain", "domain"}}, 0, ""},
		{"domain-ip with only text", domainIP, []ObjectAttr{{"text", "text"}}, MissingOneOf,
			"Could not save the object as it requires at least one of the following attributes " +
				"to be set: ip, domain, hostname"},
		{"domain-ip, ip typed as a domain", domainIP, []ObjectAttr{{"ip", "domain"}}, WrongType,
			"Could not save the object as its attribute ip has the type domain, but the " +
				"domain-ip template expects ip-dst."},
		{"domain-ip, unknown relation allowed", domainIP, []ObjectAttr{{"domain", "domain"},
			{"custom-thing", "text"}}, 0, ""},
		{"ip-port", ipPort, []ObjectAttr{{"ip", "ip-dst"}, {"dst-port", "port"}}, 0, ""},
		{"ip-port without relation", ipPort, []ObjectAttr{{"ip", "ip-dst"}, {"", "text"}},
			NoRelation, "Could not save the object as its attribute #2 has no object_relation."},
		{"ip-port empty", ipPort, nil, MissingOneOf, "Could not save the object as it requires " +
			"at least one of the following attributes to be set: dst-port, src-port, domain, " +
			"hostname, ip, ip-src, ip-dst"},
	}
	checkValidation(t, cases)
}

type validationCase struct {
	name  string
	tmpl  *Template
	attrs []ObjectAttr
	kind  ObjectErrorKind // 0: valid
	msg   string
}

// TestValidateObjectRules checks each rule on a made-up template, with or without the
// community data.
func TestValidateObjectRules(t *testing.T) {
	tmpl := &Template{Name: "t", Required: []string{"a"}, RequiredOneOf: []string{"b", "c"},
		Attributes: []TemplateAttribute{{Relation: "a", Type: "text"},
			{Relation: "b", Type: "ip-dst", Multiple: true}, {Relation: "c", Type: "domain"}}}
	checkValidation(t, []validationCase{
		{"valid", tmpl, []ObjectAttr{{"a", "text"}, {"b", "ip-dst"}, {"b", "ip-dst"}}, 0, ""},
		{"required", tmpl, []ObjectAttr{{"b", "ip-dst"}}, MissingRequired,
			"Could not save the object as a required attribute is not set (a)"},
		{"one of", tmpl, []ObjectAttr{{"a", "text"}}, MissingOneOf,
			"Could not save the object as it requires at least one of the following " +
				"attributes to be set: b, c"},
		{"multiple", tmpl, []ObjectAttr{{"a", "text"}, {"a", "text"}, {"c", "domain"}},
			NotMultiple, "Could not save the object as a unique relationship within the object " +
				"was assigned to more than one attribute. This is only allowed if the multiple " +
				"flag is set in the object template."},
		{"no relation", tmpl, []ObjectAttr{{"a", "text"}, {"c", "domain"}, {" ", "text"}},
			NoRelation, "Could not save the object as its attribute #3 has no object_relation."},
		{"wrong type", tmpl, []ObjectAttr{{"a", "text"}, {"c", "hostname"}}, WrongType,
			"Could not save the object as its attribute c has the type hostname, but the t " +
				"template expects domain."},
	})
}

func checkValidation(t *testing.T, cases []validationCase) {
	t.Helper()
	for _, c := range cases {
		err := ValidateObject(c.tmpl, c.attrs)
		if c.kind == 0 {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var oe *ObjectError
		if !errors.As(err, &oe) || oe.Kind != c.kind || oe.Message != c.msg {
			t.Errorf("%s: got %#v\nwant kind %d %q", c.name, err, c.kind, c.msg)
		}
	}
}

func TestLoadObjectTemplates(t *testing.T) {
	data := mispData(t)
	pgtest.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := openDB(t, url)

		start := time.Now()
		res, err := LoadObjectTemplates(ctx, db, data, LoadOptions{})
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		entries, _ := os.ReadDir(filepath.Join(data, "misp-objects", "objects"))
		if res.Installed != len(entries) || res.Updated != 0 || len(res.Failed) != 0 {
			t.Fatalf("first load: %+v, want %d installed", res, len(entries))
		}
		t.Logf("loaded %d templates in %v", res.Installed, took)
		// note: the bound is loose so that a loaded CI machine does not fail it; the load
		// takes a small fraction of it (see the log line above).
		if took > 3*time.Second {
			t.Errorf("loading the templates took %v", took)
		}
		var elements int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM object_template_elements`).
			Scan(&elements); err != nil || elements < 6000 {
			t.Errorf("%d template elements stored (%v)", elements, err)
		}

		again, err := LoadObjectTemplates(ctx, db, data, LoadOptions{})
		if err != nil || again.Installed != 0 || again.Updated != 0 || again.Unchanged != res.Installed {
			t.Errorf("second load: %+v %v", again, err)
		}

		byName, err := LookupTemplate(ctx, db, "domain-ip")
		if err != nil {
			t.Fatal(err)
		}
		byUUID, err := LookupTemplate(ctx, db, strings.ToUpper(byName.UUID))
		if err != nil || byUUID.ID != byName.ID || byName.ID == 0 {
			t.Errorf("lookup by uuid: %v %v", byUUID, err)
		}
		if diff := cmp.Diff(realTemplate(t, "domain-ip").Attributes, byName.Attributes); diff != "" {
			t.Errorf("stored domain-ip differs from its file (-want +got):\n%s", diff)
		}
		if _, err := LookupTemplate(ctx, db, "no-such-template"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown template: %v", err)
		}

		// A newer version is stored beside the old one and becomes the active one; the old
		// one stays for the objects made with it.
		lib := t.TempDir()
		writeDomainIP := func(version int, description string) {
			raw, err := os.ReadFile(filepath.Join(data, "misp-objects", "objects", "domain-ip",
				"definition.json"))
			if err != nil {
				t.Fatal(err)
			}
			def := strings.Replace(string(raw), `"version": 11`,
				fmt.Sprintf(`"version": %d`, version), 1)
			def = strings.Replace(def, `"description": "Domain name"`,
				`"description": "`+description+`"`, 1)
			dir := filepath.Join(lib, "misp-objects", "objects", "domain-ip")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "definition.json"), []byte(def),
				0o644); err != nil {
				t.Fatal(err)
			}
		}
		writeDomainIP(99, "Domain name, v99")
		up, err := LoadObjectTemplates(ctx, db, lib, LoadOptions{})
		if err != nil || up.Updated != 1 || up.Installed != 0 {
			t.Fatalf("update: %+v %v", up, err)
		}
		after, err := LookupTemplate(ctx, db, "domain-ip")
		if err != nil || after.ID == byName.ID || after.Version != 99 ||
			after.Attributes[0].Description != "Domain name, v99" {
			t.Errorf("after update: %+v %v", after, err)
		}
		old, err := LookupTemplateVersion(ctx, db, byName.UUID, 11)
		if err != nil || old.ID != byName.ID || old.Attributes[0].Description != "Domain name" {
			t.Errorf("version 11 after the update: %+v %v", old, err)
		}
		byID, err := LookupTemplate(ctx, db, fmt.Sprint(byName.ID))
		if err != nil || byID.Version != 11 {
			t.Errorf("lookup by id: %+v %v", byID, err)
		}
		if _, err := LookupTemplateVersion(ctx, db, byName.UUID, 5); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a version never stored: %v", err)
		}
		listed, err := store.ObjectTemplates(ctx, db, store.ObjectTemplateFilter{Search: "domain-ip"})
		if err != nil || len(listed) != 1 || listed[0].Version != 99 {
			t.Errorf("active domain-ip templates: %+v %v", listed, err)
		}

		// Force rewrites the stored version in place, and makes an older library version
		// the active one.
		writeDomainIP(99, "Domain name, rewritten")
		forced, err := LoadObjectTemplates(ctx, db, lib, LoadOptions{Force: true})
		if err != nil || forced.Updated != 1 {
			t.Errorf("forced: %+v %v", forced, err)
		}
		rewritten, err := LookupTemplate(ctx, db, "domain-ip")
		if err != nil || rewritten.ID != after.ID ||
			rewritten.Attributes[0].Description != "Domain name, rewritten" {
			t.Errorf("after a forced load: %+v %v", rewritten, err)
		}
		var n int
		err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM object_template_elements
			WHERE object_template_id = $1`, after.ID).Scan(&n)
		if err != nil || n != len(after.Attributes) {
			t.Errorf("domain-ip has %d element rows after updates, want %d (%v)", n,
				len(after.Attributes), err)
		}
		writeDomainIP(50, "Domain name, v50")
		if res, err := LoadObjectTemplates(ctx, db, lib, LoadOptions{}); err != nil ||
			res.Unchanged != 1 {
			t.Errorf("an older version without force: %+v %v", res, err)
		}
		if _, err := LoadObjectTemplates(ctx, db, lib, LoadOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
		if cur, err := LookupTemplate(ctx, db, "domain-ip"); err != nil || cur.Version != 50 {
			t.Errorf("forced older version is not the active one: %+v %v", cur, err)
		}

		for _, lib := range []string{t.TempDir(), ""} {
			_, err := LoadObjectTemplates(ctx, db, lib, LoadOptions{})
			if !errors.Is(err, ErrNoObjectTemplates) {
				t.Errorf("library dir %q without misp-objects: %v", lib, err)
			}
		}
	})
}

func BenchmarkLoadObjectTemplates(b *testing.B) {
	data := mispData(b)
	for b.Loop() {
		b.StopTimer()
		db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := LoadObjectTemplates(context.Background(), db, data, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
