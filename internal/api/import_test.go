package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/settings"
)

// exportedEvent is an event as another instance's restSearch or events/view exports it.
func exportedEvent(uuid, info, orgName, orgUUID string) map[string]any {
	return map[string]any{"Event": map[string]any{
		"id": "4711", "org_id": "3", "orgc_id": "3", "uuid": uuid, "info": info,
		"date": "2026-03-01", "distribution": "1", "threat_level_id": "2", "analysis": "1",
		"published": true, "timestamp": "1772323200", "locked": false,
		"Orgc": map[string]any{"id": "3", "name": orgName, "uuid": orgUUID},
		"Tag":  []any{map[string]any{"name": "tlp:green"}},
		"Attribute": []any{
			map[string]any{"type": "ip-dst", "category": "Network activity", "value": "203.0.113.9",
				"to_ids": true, "uuid": strings.Replace(uuid, "a", "b", 1)},
			map[string]any{"type": "domain", "category": "Network activity", "value": "import.example",
				"to_ids": true},
		},
		"Object": []any{map[string]any{"name": "domain-ip", "meta-category": "network",
			"template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "template_version": "9",
			"Attribute": []any{map[string]any{"object_relation": "ip", "type": "ip-dst",
				"category": "Network activity", "value": "203.0.113.10"}}}},
	}}
}

const (
	importUUID1 = "5e1b0c9a-7a2d-4c3e-9f10-aa0000000001"
	importUUID2 = "5e1b0c9a-7a2d-4c3e-9f10-aa0000000002"
	importUUID3 = "5e1b0c9a-7a2d-4c3e-9f10-aa0000000003"
	remoteOrg   = "7f2c51b1-3f0a-4a6b-8f55-0d4e4b7b1c2d"
)

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// results decodes the answer of events/add_misp_export.
func results(t *testing.T, res response) []map[string]any {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(res.Raw, &list); err != nil {
		t.Fatalf("answer is not a list of results: %s", res.Raw)
	}
	return list
}

// upload posts a multipart form to events/add_misp_export with the file under
// data[Event][submittedfile] and the fields given.
func (e *testEnv) upload(key, filename string, content []byte, fields map[string]string) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			e.t.Fatal(err)
		}
	}
	if filename != "" {
		fw, err := mw.CreateFormFile("data[Event][submittedfile]", filename)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := fw.Write(content); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", e.url+"/events/add_misp_export", &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Raw: raw}
}

// TestImportMISPExport covers events/add_misp_export with a pasted JSON export: the event
// is added whole, locked, unpublished unless asked, with the creator organisation of the
// file; a second import reports the event already there; restSearch's response list and
// lists of events give one result per event.
func TestImportMISPExport(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		file := jsonText(t, exportedEvent(importUUID1, "imported one", "Remote Org", remoteOrg))
		res := e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"Event": map[string]any{"filecontent": file}})
		got := results(t, res)
		if len(got) != 1 || got[0]["result"] != true || got[0]["info"] != "imported one" {
			t.Fatalf("results: %s", res.Raw)
		}
		id, _ := got[0]["id"].(string)
		ev := eventOf(t, e.must(200, "GET", "/events/view/"+id, adminKey, nil))
		if ev["uuid"] != importUUID1 || ev["locked"] != true || ev["published"] != false ||
			ev["Orgc"].(map[string]any)["uuid"] != remoteOrg || ev["org_id"] != "1" {
			t.Errorf("imported event: uuid %v locked %v published %v Orgc %v org_id %v",
				ev["uuid"], ev["locked"], ev["published"], ev["Orgc"], ev["org_id"])
		}
		if ev["timestamp"] != "1772323200" || ev["date"] != "2026-03-01" {
			t.Errorf("imported event lost the file's timestamp or date: %v %v",
				ev["timestamp"], ev["date"])
		}
		if n := len(ev["Attribute"].([]any)); n != 2 {
			t.Errorf("imported event has %d attributes, want 2", n)
		}
		if n := len(ev["Object"].([]any)); n != 1 {
			t.Errorf("imported event has %d objects, want 1", n)
		}
		if tags, _ := ev["Tag"].([]any); len(tags) != 1 {
			t.Errorf("imported event tags: %v", ev["Tag"])
		}

		again := results(t, e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"filecontent": file}))
		want := []map[string]any{{"info": "imported one", "result": id, "id": id,
			"validationIssues": []any{}}}
		if diff := cmp.Diff(want, again); diff != "" {
			t.Errorf("second import (-want +got):\n%s", diff)
		}

		many := map[string]any{"response": []any{
			exportedEvent(importUUID2, "imported two", "Remote Org", remoteOrg),
			exportedEvent(importUUID1, "imported one", "Remote Org", remoteOrg),
		}}
		got = results(t, e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"Event": map[string]any{"filecontent": jsonText(t, many),
				"publish": "1"}}))
		if len(got) != 2 || got[0]["result"] != true || got[1]["result"] != id {
			t.Fatalf("response list: %v", got)
		}
		two := eventOf(t, e.must(200, "GET", "/events/view/"+got[0]["id"].(string), adminKey, nil))
		if two["published"] != true || two["locked"] != true {
			t.Errorf("publish:1 gave published %v locked %v", two["published"], two["locked"])
		}

		list := []any{exportedEvent(importUUID3, "imported three", "Remote Org", remoteOrg)["Event"]}
		got = results(t, e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"filecontent": list}))
		if len(got) != 1 || got[0]["result"] != true {
			t.Errorf("a list of bare events embedded as JSON: %v", got)
		}
	})
}

// TestImportMISPExportUpload covers the multipart upload of a .json file and MISP's
// refusals of uploads it cannot read.
func TestImportMISPExportUpload(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		file := []byte(jsonText(t, exportedEvent(importUUID1, "uploaded", "Remote Org", remoteOrg)))
		res := e.upload(adminKey, "export.json", file, map[string]string{"data[Event][publish]": "1"})
		if res.Status != 200 {
			t.Fatalf("upload: %d %s", res.Status, res.Raw)
		}
		got := results(t, res)
		if len(got) != 1 || got[0]["result"] != true {
			t.Fatalf("upload results: %s", res.Raw)
		}
		ev := eventOf(t, e.must(200, "GET", "/events/view/"+got[0]["id"].(string), adminKey, nil))
		if ev["published"] != true || ev["info"] != "uploaded" {
			t.Errorf("uploaded event: published %v info %v", ev["published"], ev["info"])
		}

		tests := []struct {
			name     string
			res      response
			status   int
			fragment string
		}{
			{"wrong extension", e.upload(adminKey, "export.txt", file, nil), 405,
				`"message":"File upload failed or file does not have the expected extension (.xml / .json)."`},
			{"no file", e.upload(adminKey, "", nil, map[string]string{"data[Event][publish]": "1"}),
				405, `"message":"No file uploaded."`},
			{"empty file", e.upload(adminKey, "export.json", nil, nil), 400,
				`Could not process MISP export file. File is empty`},
			{"not JSON", e.upload(adminKey, "export.json", []byte("{\"Event\":"), nil), 400,
				`Could not process MISP export file. This is not a valid MISP JSON file.`},
			{"XML", e.upload(adminKey, "export.xml", []byte("<response><Event/></response>"), nil),
				400, `MISP XML files cannot be read`},
			{"pasted XML", e.do("POST", "/events/add_misp_export", adminKey,
				map[string]any{"Event": map[string]any{"filecontent": "<response/>"}}), 400,
				`MISP XML files cannot be read`},
			{"not an event", e.do("POST", "/events/add_misp_export", adminKey,
				map[string]any{"filecontent": `["x"]`}), 400, `This is not a valid MISP JSON file.`},
			{"no file in JSON", e.do("POST", "/events/add_misp_export", adminKey,
				map[string]any{"Event": map[string]any{"publish": 1}}), 405,
				`"message":"No file uploaded."`},
			{"nothing", e.do("POST", "/events/add_misp_export", adminKey, nil), 200, `[]`},
		}
		for _, tt := range tests {
			if tt.res.Status != tt.status || !strings.Contains(string(tt.res.Raw), tt.fragment) {
				t.Errorf("%s: %d %s, want %d with %s", tt.name, tt.res.Status, tt.res.Raw,
					tt.status, tt.fragment)
			}
		}
	})
}

// TestImportMISPExportRules covers the rules of each event: the creator organisation of
// a user who is not a site admin, takeownership (which MISP allows only with
// MISP.take_ownership_xml_import), validation failures, blocklisted uuids, and users
// without perm_modify.
func TestImportMISPExportRules(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorpus(t, e)
		reader := e.must(200, "POST", "/admin/users/add", adminKey, map[string]any{
			"email": "reader@corpus.test", "org_id": c.partnerOrg, "role_id": "6"}).Obj(t)
		readerKey := reader["User"].(map[string]any)["authkey"].(string)
		foreign := jsonText(t, exportedEvent(importUUID1, "foreign", "Remote Org", remoteOrg))

		got := results(t, e.must(200, "POST", "/events/add_misp_export", c.partnerKey,
			map[string]any{"filecontent": foreign}))
		want := []map[string]any{{"info": "foreign", "id": 0.0, "validationIssues": []any{},
			"result": "Event cannot be created as you are not a member of the creator organisation."}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("foreign creator org (-want +got):\n%s", diff)
		}

		ownership := map[string]any{"Event": map[string]any{"filecontent": foreign,
			"takeownership": 1}}
		if _, known := settings.Lookup("MISP.take_ownership_xml_import"); known {
			e.must(200, "POST", "/servers/serverSettingsEdit/MISP.take_ownership_xml_import",
				adminKey, map[string]any{"value": true})
			got = results(t, e.must(200, "POST", "/events/add_misp_export", c.partnerKey, ownership))
			if len(got) != 1 || got[0]["result"] != true {
				t.Fatalf("takeownership with the setting on: %v", got)
			}
			ev := eventOf(t, e.must(200, "GET", "/events/view/"+got[0]["id"].(string), c.partnerKey, nil))
			if ev["orgc_id"] != c.partnerOrg {
				t.Errorf("takeownership: orgc_id %v, want %v", ev["orgc_id"], c.partnerOrg)
			}
		} else {
			got = results(t, e.must(200, "POST", "/events/add_misp_export", c.partnerKey, ownership))
			if len(got) != 1 || got[0]["result"] == true {
				t.Errorf("takeownership without MISP.take_ownership_xml_import was honoured: %v", got)
			}
		}

		noInfo := exportedEvent(importUUID2, "", "Remote Org", remoteOrg)
		got = results(t, e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"filecontent": jsonText(t, noInfo)}))
		want = []map[string]any{{"info": "", "id": 0.0,
			"result":           `{"Event":{"info":["valueNotEmpty"]}}`,
			"validationIssues": map[string]any{"Event": map[string]any{"info": []any{"valueNotEmpty"}}}}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("invalid event (-want +got):\n%s", diff)
		}

		doomed := addEvent(t, e, adminKey, map[string]any{"info": "doomed", "uuid": importUUID3})
		e.must(200, "POST", "/events/delete/"+doomed["id"].(string), adminKey, nil)
		got = results(t, e.must(200, "POST", "/events/add_misp_export", adminKey,
			map[string]any{"filecontent": jsonText(t,
				exportedEvent(importUUID3, "back again", "Remote Org", remoteOrg))}))
		if len(got) != 1 || got[0]["result"] != "Blocked by blocklist" || got[0]["id"] != 0.0 {
			t.Errorf("blocklisted uuid: %v", got)
		}

		res := e.do("POST", "/events/add_misp_export", readerKey, map[string]any{"filecontent": foreign})
		if res.Status != 403 || !strings.Contains(string(res.Raw),
			"You do not have permission to use this functionality.") {
			t.Errorf("read-only user: %d %s", res.Status, res.Raw)
		}
	})
}

// FuzzParseExport checks that any file content either gives events or is refused with
// MISP's 400 answer, never a panic.
func FuzzParseExport(f *testing.F) {
	for _, s := range []string{`{"Event":{"info":"x"}}`, `{"response":[{"Event":{"info":"x"}}]}`,
		`[{"info":"a"},{"Event":{"info":"b"}}]`, `{"Event":[{"info":"a"}]}`, `["x"]`, `{`,
		`{"response":{"Event":{"info":"x","Attribute":[{"type":"md5","value":1}]}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inputs, err := parseExport(data)
		if err == nil {
			if len(inputs) == 0 {
				t.Fatalf("no events and no error for %q", data)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
			t.Fatalf("refusal %v for %q", err, data)
		}
	})
}
