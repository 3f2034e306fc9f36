package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cairn-project/cairn/internal/acl"
	"github.com/cairn-project/cairn/internal/model"
)

// FuzzEventAdd decodes arbitrary bodies as events/add does (wrapped in {"Event":...} or
// bare) and runs them through the event, attribute, object, reference and report
// validation. Nothing may panic; whatever decodes either builds a plan or is refused with
// MISP's field errors. Run with:
//
//	go test ./internal/events -run '^$' -fuzz FuzzEventAdd -fuzztime 60s
func FuzzEventAdd(f *testing.F) {
	for _, seed := range []string{
		`{"Event":{"info":"x","Attribute":[{"type":"ip-dst","value":"1.2.3.4"}]}}`,
		`{"info":"x","distribution":"4","sharing_group_id":1,"published":1}`,
		`{"Event":{"info":"","date":"not a date","threat_level_id":"9","analysis":"Ongoing"}}`,
		`{"Event":{"info":"x","Tag":["tlp:white",{"name":"a","local":"1"}],"EventTag":[{"Tag":{"id":"3"}}]}}`,
		`{"Event":{"info":"x","Object":[{"name":"file","Attribute":[{"object_relation":"sha256",` +
			`"type":"sha256","value":"zz","first_seen":"2020-01-01","last_seen":1}],` +
			`"ObjectReference":[{"referenced_uuid":"x","relationship_type":"r"}]}]}}`,
		`{"Event":{"info":"x","Attribute":[{"type":"attachment","value":"a.png","data":"!!"},` +
			`{"type":"malware-sample","value":"a|b","data":"aGVsbG8="},{"value":[1,true,null]}]}}`,
		`{"Event":{"info":"x","EventReport":[{"name":"","distribution":7}],"uuid":"nope"}}`,
		`[1,2]`, `"x"`, `{"Event":null}`, `{"Event":{"Attribute":{"a":1}}}`,
	} {
		f.Add([]byte(seed))
	}
	if dir := os.Getenv("CAIRN_TEST_MISP_RESPONSES"); dir != "" {
		for _, name := range []string{"030-events-add-full-nested", "033-events-add-sharing-group",
			"060-events-edit-add-attribute", "140-objects-add"} {
			raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
			if err != nil {
				continue
			}
			var g struct {
				Request struct{ Body json.RawMessage }
			}
			if json.Unmarshal(raw, &g) == nil {
				f.Add([]byte(g.Request.Body))
			}
		}
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		var wrapped struct{ Event *EventInput }
		in := &EventInput{}
		if json.Unmarshal(body, &wrapped) == nil && wrapped.Event != nil {
			in = wrapped.Event
		} else if json.Unmarshal(body, in) != nil {
			return
		}
		b := &builder{viewer: &acl.Viewer{OrgID: 1, SharingGroups: []int64{1, 2}},
			now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix(), attrDistribution: 5,
			sgExists: func(int64) (bool, error) { return true, nil }}
		var s Service
		e := newEventForFuzz()
		if _, err := b.eventFields(in, e, true, 1, 4); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("event fields: unexpected error %v", err)
			}
		}
		p, err := s.planEvent(nil, b, in)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("plan: unexpected error %v", err)
			}
			return
		}
		for _, a := range p.attrs {
			if a.Type == "" || a.UUID == "" {
				t.Fatalf("attribute accepted without a type or uuid: %+v", a)
			}
		}
		if len(p.attrs) != len(p.objectOf) || len(p.attrs) != len(p.pos) {
			t.Fatalf("plan out of step: %d attributes, %d objects, %d positions",
				len(p.attrs), len(p.objectOf), len(p.pos))
		}
		p.dropDuplicates(nil)
		_ = p.written()
		for i := range in.Attribute {
			_ = expandValues(&in.Attribute[i])
		}
	})
}

func newEventForFuzz() *model.Event { return &model.Event{OrgID: 1, OrgcID: 1, UserID: 1} }
