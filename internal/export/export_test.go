package export

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

func ptr[T any](v T) *T { return &v }

// testEvent is an event with two attributes outside objects and a file object.
func testEvent() *model.Event {
	tag := func(name string) model.AttachedTag { return model.AttachedTag{Name: name, Exportable: true} }
	return &model.Event{ID: 12, OrgID: 1, OrgcID: 1, Date: "2026-11-30", ThreatLevelID: 2,
		Info: `corpus "full" event`, Published: true, UUID: "e-uuid", Analysis: 1,
		Timestamp: 1796313691, Distribution: 1,
		Org: model.OrgRef{ID: 1, Name: "ORGNAME"}, Orgc: model.OrgRef{ID: 1, Name: "CREATOR"},
		Tag: []model.AttachedTag{tag("tlp:amber"), tag(`admiralty-scale:source-reliability="b"`)},
		Attribute: []model.Attribute{
			{ID: 7, EventID: 12, Type: "ip-dst", Category: "Network activity", ToIDs: true,
				UUID: "a-7", Timestamp: 1796313630, Comment: "C2 server", Value: "198.51.100.23",
				Tag: []model.AttachedTag{tag("tlp:green"), tag(`misp-galaxy:x="T1071"`)}},
			{ID: 9, EventID: 12, Type: "filename|sha256", Category: "Payload delivery",
				UUID: "a-9", Timestamp: 1796313630, Value: "invoice.exe|" + strings.Repeat("a", 64)},
		},
		Object: []model.Object{{ID: 33, Name: "file", MetaCategory: "file", UUID: "o-33",
			Attribute: []model.Attribute{
				{ID: 8, EventID: 12, ObjectID: 33, ObjectRelation: ptr("size-in-bytes"),
					Type: "size-in-bytes", Category: "Other", UUID: "a-8", Timestamp: 1796313630,
					Value: "24576"},
				{ID: 10, EventID: 12, ObjectID: 33, ObjectRelation: ptr("md5"), Type: "md5",
					Category: "Payload delivery", ToIDs: true, UUID: "a-10", Timestamp: 1796313630,
					Value: "d41d8cd98f00b204e9800998ecf8427e"},
			}}},
	}
}

func writeEvents(t *testing.T, format string, opt Options, events ...*model.Event) string {
	t.Helper()
	var buf bytes.Buffer
	w := Lookup(format, Events).NewWriter(&buf, Events, opt)
	for _, e := range events {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func writeAttributes(t *testing.T, format string, opt Options, recs ...*Record) string {
	t.Helper()
	var buf bytes.Buffer
	w := Lookup(format, Attributes).NewWriter(&buf, Attributes, opt)
	for _, r := range recs {
		if err := w.Attribute(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestCSVEvents(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		want string
	}{
		{"default columns", Options{}, `uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category
"a-7",12,"Network activity","ip-dst","198.51.100.23","C2 server",1,1796313630,"","tlp:green,misp-galaxy:x=""T1071""","","",""
"a-9",12,"Payload delivery","filename|sha256","invoice.exe|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","",0,1796313630,"","","","",""
"a-8",12,"Other","size-in-bytes",24576,"",0,1796313630,"size-in-bytes","","o-33","file","file"
"a-10",12,"Payload delivery","md5","d41d8cd98f00b204e9800998ecf8427e","",1,1796313630,"md5","","o-33","file","file"

`},
		{"requested columns, headerless", Options{Headerless: true,
			RequestedAttributes: []string{"value", "to_ids", "object-name", "nope", "id"}},
			`"198.51.100.23",1,"","",7
"invoice.exe|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",0,"","",9
24576,0,"","",8
"d41d8cd98f00b204e9800998ecf8427e",1,"","",10

`},
		{"context", Options{RequestedAttributes: []string{"value"}, IncludeContext: true},
			`value,event_info,event_member_org,event_source_org,event_distribution,event_threat_level_id,event_analysis,event_date,event_tag,event_timestamp
"198.51.100.23","corpus ""full"" event","ORGNAME","CREATOR",1,"Medium",1,"2026-11-30","tlp:amber,admiralty-scale:source-reliability=""b""",1796313691
"invoice.exe|aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","corpus ""full"" event","ORGNAME","CREATOR",1,"Medium",1,"2026-11-30","tlp:amber,admiralty-scale:source-reliability=""b""",1796313691
24576,"corpus ""full"" event","ORGNAME","CREATOR",1,"Medium",1,"2026-11-30","tlp:amber,admiralty-scale:source-reliability=""b""",1796313691
"d41d8cd98f00b204e9800998ecf8427e","corpus ""full"" event","ORGNAME","CREATOR",1,"Medium",1,"2026-11-30","tlp:amber,admiralty-scale:source-reliability=""b""",1796313691

`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := writeEvents(t, "csv", tt.opt, testEvent())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if got := writeEvents(t, "csv", Options{}); !strings.HasSuffix(got, "object_meta_category\n\n") {
		t.Errorf("no events: %q", got)
	}
}

func TestCSVAttributes(t *testing.T) {
	e := testEvent()
	ev := &EventInfo{ID: 12, Distribution: 1, ThreatLevelID: 2, Analysis: 1, Timestamp: 5,
		Info: "info", Date: "2026-11-30", OrgName: "ORG", OrgcName: "ORGC", Tags: []string{}}
	obj := &ObjectInfo{UUID: "o-33", Name: "file", MetaCategory: "file"}
	got := writeAttributes(t, "csv", Options{RequestedAttributes: []string{"uuid", "value",
		"first_seen", "deleted", "object_uuid", "object_meta-category"}, IncludeContext: true},
		&Record{Attribute: &e.Attribute[0], Event: ev},
		&Record{Attribute: &e.Object[0].Attribute[0], Event: ev, Object: obj})
	want := `uuid,value,first_seen,deleted,object_uuid,object_meta_category,event_info,event_member_org,event_source_org,event_distribution,event_threat_level_id,event_analysis,event_date,event_tag,event_timestamp
"a-7","198.51.100.23","",0,"","","info","ORG","ORGC",1,2,1,"2026-11-30","",5
"a-8",24576,"",0,"o-33","file","info","ORG","ORGC",1,2,1,"2026-11-30","",5

`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCSVCells(t *testing.T) {
	tests := []struct {
		cell cell
		want string
	}{
		{str("abc"), `"abc"`},
		{str(`say "hi"`), `"say ""hi"""`},
		{str(""), `""`},
		{str("24576"), `24576`},
		{str("-1.5e3"), `-1.5e3`},
		{str(" 12"), `" 12"`},
		{str("12\n"), "\"12\n\""},
		{str("0x1A"), `"0x1A"`},
		{str("a,b\nc"), "\"a,b\nc\""},
		{num(-3), `-3`},
		{boolean(true), `1`},
		{boolean(false), `0`},
		{cell{}, `""`},
	}
	for _, tt := range tests {
		if got := string(tt.cell.append(nil)); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.cell, got, tt.want)
		}
	}
}

func TestIsNumeric(t *testing.T) {
	yes := []string{"0", "12", "-12", "+12", "1.5", ".5", "5.", "1e5", "1E-5", "-.5e+3", "007"}
	no := []string{"", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x1A", " 1", "1 ", "1,5", "١٢",
		"INF", "NaN", "12a", "--1"}
	for _, s := range yes {
		if !IsNumeric(s) {
			t.Errorf("IsNumeric(%q) = false", s)
		}
	}
	for _, s := range no {
		if IsNumeric(s) {
			t.Errorf("IsNumeric(%q) = true", s)
		}
	}
}

func TestTextAndHashes(t *testing.T) {
	e, dup := testEvent(), testEvent()
	dup.Attribute = dup.Attribute[:1]
	tests := []struct {
		format string
		events []*model.Event
		want   string
	}{
		// Values in id order across objects, each once.
		{"text", []*model.Event{e, dup}, "198.51.100.23\n24576\ninvoice.exe|" +
			strings.Repeat("a", 64) + "\nd41d8cd98f00b204e9800998ecf8427e\n"},
		{"text", nil, "\n"},
		// Hashes, the hash half of composite ones, repeats kept.
		{"hashes", []*model.Event{e, e}, strings.Repeat(strings.Repeat("a", 64)+
			"\nd41d8cd98f00b204e9800998ecf8427e\n", 2)},
		{"hashes", nil, "\n"},
		{"count", []*model.Event{e, dup}, "2"},
		{"count", nil, "0"},
	}
	for _, tt := range tests {
		if got := writeEvents(t, tt.format, Options{}, tt.events...); got != tt.want {
			t.Errorf("%s of %d events: %q, want %q", tt.format, len(tt.events), got, tt.want)
		}
	}

	recs := []*Record{{Attribute: &e.Attribute[0]}, {Attribute: &e.Attribute[1]},
		{Attribute: &e.Attribute[0]}, {Attribute: &e.Object[0].Attribute[1]}}
	for format, want := range map[string]string{
		"text":   "198.51.100.23\ninvoice.exe|" + strings.Repeat("a", 64) + "\nd41d8cd98f00b204e9800998ecf8427e\n",
		"hashes": strings.Repeat("a", 64) + "\nd41d8cd98f00b204e9800998ecf8427e\n",
		"count":  "4",
	} {
		if got := writeAttributes(t, format, Options{}, recs...); got != want {
			t.Errorf("%s of attributes: %q, want %q", format, got, want)
		}
	}
}

func TestXML(t *testing.T) {
	e := testEvent()
	e.Attribute = e.Attribute[:1]
	e.Attribute[0].Tag = []model.AttachedTag{{ID: 3, Name: `a&b <"c">`, Exportable: true}}
	e.Attribute[0].FirstSeen = misp.Micros(1_700_000_000_000_000)
	e.Object = nil
	e.FillEmpty()
	got := writeEvents(t, "xml", Options{}, e)
	want := `<?xml version="1.0" encoding="UTF-8"?>
<response><Event><id>12</id><orgc_id>1</orgc_id><org_id>1</org_id><date>2026-11-30</date>` +
		`<threat_level_id>2</threat_level_id><info>corpus &quot;full&quot; event</info>` +
		`<published>1</published><uuid>e-uuid</uuid><analysis>1</analysis>` +
		`<timestamp>1796313691</timestamp><distribution>1</distribution>` +
		`<publish_timestamp>0</publish_timestamp><sharing_group_id>0</sharing_group_id>` +
		`<disable_correlation>0</disable_correlation><extends_uuid/><protected/>` +
		`<Org><id>1</id><name>ORGNAME</name><uuid/><local>0</local></Org>` +
		`<Orgc><id>1</id><name>CREATOR</name><uuid/><local>0</local></Orgc>` +
		`<Attribute><id>7</id><type>ip-dst</type><category>Network activity</category>` +
		`<to_ids>1</to_ids><uuid>a-7</uuid><event_id>12</event_id><distribution>0</distribution>` +
		`<timestamp>1796313630</timestamp><comment>C2 server</comment>` +
		`<sharing_group_id>0</sharing_group_id><deleted>0</deleted>` +
		`<disable_correlation>0</disable_correlation><object_id>0</object_id><object_relation/>` +
		`<first_seen>2023-11-14T22:13:20.000000+00:00</first_seen><last_seen/>` +
		`<value>198.51.100.23</value><Galaxy/><ShadowAttribute/>` +
		`<Tag><id>3</id><name>a&amp;b &lt;&quot;c&quot;&gt;</name><colour/><exportable>1</exportable>` +
		`<user_id>0</user_id><hide_tag>0</hide_tag><numerical_value/><is_galaxy>0</is_galaxy>` +
		`<is_custom_galaxy>0</is_custom_galaxy><local_only>0</local_only><local>0</local>` +
		`<relationship_type/></Tag></Attribute><Object/><ShadowAttribute/><RelatedEvent/>` +
		`<Tag><id>0</id><name>tlp:amber</name>`
	if !strings.HasPrefix(got, want) {
		t.Errorf("got\n%s\nwant prefix\n%s", got, want)
	}
	if !strings.HasSuffix(got, "</Tag></Event></response>\n") {
		t.Errorf("end: %s", got[len(got)-60:])
	}
	if got := writeEvents(t, "xml", Options{}); got != "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response></response>\n" {
		t.Errorf("no events: %q", got)
	}
	meta := writeEvents(t, "xml", Options{Metadata: true}, e)
	if strings.Contains(meta, "<Attribute") || !strings.Contains(meta, "<RelatedEvent/>") {
		t.Errorf("metadata: %s", meta)
	}
}

func TestXMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\x00\x01b", "a b"},
		{"tab\tnew\nline\r", "tab\tnew\nline\r"},
		{"bad \xff\xfe utf-8", "bad   utf-8"},
		{"\uFFFE\uFFFF", " "},
		{"emoji 😀", "emoji 😀"},
		{`<&'">`, "&lt;&amp;&apos;&quot;&gt;"},
	}
	for _, tt := range tests {
		if got := string(appendXMLText(nil, tt.in)); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJSONEvents(t *testing.T) {
	e := testEvent()
	e.FillEmpty()
	got := writeEvents(t, "json", Options{Metadata: true}, e, e)
	if !strings.HasPrefix(got, `{"response":[{"Event":{"id":"12",`) ||
		strings.Contains(got, `"Attribute"`) || strings.Contains(got, `"Object"`) ||
		!strings.Contains(got, `"RelatedEvent":[]`) || !strings.HasSuffix(got, "}}]}\n") ||
		strings.Count(got, "\n") != 1 {
		t.Errorf("metadata: %s", got)
	}
	if got := writeEvents(t, "json", Options{}); got != "{\"response\":[]}\n" {
		t.Errorf("no events: %q", got)
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		name  string
		scope Scope
		ok    bool
	}{{"json", Events, true}, {"json", Attributes, false}, {"xml", Attributes, false},
		{"csv", Attributes, true}, {"stix2", Events, false}, {"nope", Events, false}} {
		if got := Lookup(c.name, c.scope) != nil; got != c.ok {
			t.Errorf("Lookup(%s, %d) = %v", c.name, c.scope, got)
		}
	}
	if Lookup("text", Events).ResponseType(Events) != "text" ||
		Lookup("text", Attributes).ResponseType(Attributes) != "txt" {
		t.Errorf("text response types")
	}
}

func TestRPZ(t *testing.T) {
	e := testEvent()
	e.Attribute = append(e.Attribute,
		model.Attribute{ID: 20, Type: "domain|ip", Value: "bad.example|198.51.100.23"},
		model.Attribute{ID: 21, Type: "hostname", Value: "mail.bad.example"},
		model.Attribute{ID: 22, Type: "ip-src", Value: "2001:db8::/32"},
		model.Attribute{ID: 23, Type: "domain", Value: "bad.example"})
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	got := writeEvents(t, "rpz", Options{Now: now}, e)
	want := `$TTL 1w;
@               SOA localhost. root.localhost (2026120300 2h 30m 30d 1h)
                NS localhost.

; The following list of IP addresses will return NXDOMAIN (name does not exist) irrespective of actual result received.
32.23.100.51.198.rpz-ip CNAME .
32.zz.db8.2001.rpz-ip CNAME .

; The following domain names and all of their sub-domains will return NXDOMAIN (name does not exist) irrespective of actual result received.
bad.example CNAME .
*.bad.example CNAME .

; The following hostnames will return NXDOMAIN (name does not exist) irrespective of actual result received.
mail.bad.example CNAME .

`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	opt := Options{Now: now, RPZ: map[string]string{"policy": "Local-Data",
		"walled_garden": "garden.example.", "ns_alt": "ns2.example.", "serial": "$time",
		"ttl": ""}}
	got = writeAttributes(t, "rpz", opt, &Record{Attribute: &model.Attribute{Type: "hostname",
		Value: "h.example"}})
	want = `$TTL 1w;
@               SOA localhost. root.localhost (1796292000 2h 30m 30d 1h)
                NS localhost.
                NS ns2.example.

; The following hostnames will returns the defined alternate location.
h.example CNAME garden.example.

`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Local-Data (-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{"10.0.0.1": "32.1.0.0.10.rpz-ip",
		"10.0.0.0/8": "8.0.0.0.10.rpz-ip", "2001:db8::1": "128.1.zz.db8.2001.rpz-ip",
		"::1": "128.1.zz.rpz-ip"} {
		if got := rpzIP(in); got != want {
			t.Errorf("rpzIP(%s) = %s, want %s", in, got, want)
		}
	}
}
