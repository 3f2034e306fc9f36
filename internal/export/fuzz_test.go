package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/model"
)

// FuzzCSV writes attributes with arbitrary values, comments and tags and reads the answer
// back with encoding/csv: every line must come back as the fields that were written.
func FuzzCSV(f *testing.F) {
	for _, seed := range [][3]string{
		{"198.51.100.23", "C2 server", "tlp:green"},
		{`say "hi"`, "a,b", `misp-galaxy:x="y"`},
		{"24576", "", ""},
		{"multi\nline", "\"\"", "a\r\nb"},
		{"-1.5e3", " 12", "12 "},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	f.Fuzz(func(t *testing.T, value, comment, tag string) {
		a := &model.Attribute{ID: 1, EventID: 2, Type: "text", Category: "Other", Value: value,
			Comment: comment, Tag: []model.AttachedTag{{Name: tag}}}
		cols := []string{"value", "comment", "attribute_tag", "event_id"}
		var buf bytes.Buffer
		w := Lookup("csv", Attributes).NewWriter(&buf, Attributes,
			Options{RequestedAttributes: cols})
		if err := w.Attribute(&Record{Attribute: a, Event: &EventInfo{ID: 2}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv cannot read %q: %v", buf.String(), err)
		}
		// encoding/csv turns \r\n inside a quoted field into \n.
		norm := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
		want := [][]string{{"value", "comment", "attribute_tag", "event_id"},
			{norm(value), norm(comment), norm(tag), "2"}}
		if diff := cmp.Diff(want, records); diff != "" {
			t.Errorf("round trip of %q (-want +got):\n%s", buf.String(), diff)
		}
	})
}
