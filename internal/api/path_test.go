package api

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in        string
		wantPath  string
		wantNamed Named
	}{
		{"/events/view/12/noSightings:1", "/events/view/12", Named{"noSightings": {"1"}}},
		{"/attributes/describeTypes.json", "/attributes/describeTypes", Named{}},
		{"/sharingGroups/view/5", "/sharing_groups/view/5", Named{}},
		{"/admin/organisations/add", "/admin/organisations/add", Named{}},
		{"/admin/users/index/value:x/searchorg:3", "/admin/users/index",
			Named{"value": {"x"}, "searchorg": {"3"}}},
		{"/events/restSearch/returnFormat:json/tags:tlp:white", "/events/restSearch",
			Named{"returnFormat": {"json"}, "tags": {"tlp:white"}}},
		{"/events/view/1/deleted[]:0/deleted[]:1", "/events/view/1",
			Named{"deleted": {"0", "1"}}},
		{"/events/addTag/3/tlp:white/local:1", "/events/addTag/3/tlp:white",
			Named{"local": {"1"}}},
		{"/tags/search/foo+bar", "/tags/search/foo bar", Named{}},
		{"/servers/getSetting/MISP.baseurl", "/servers/getSetting/MISP.baseurl", Named{}},
		{"/galaxies/attachCluster/5/event/local:0", "/galaxies/attachCluster/5/event",
			Named{"local": {"0"}}},
	}
	for _, tt := range tests {
		gotPath, gotNamed := parsePath(tt.in)
		if gotPath != tt.wantPath {
			t.Errorf("parsePath(%q) path = %q, want %q", tt.in, gotPath, tt.wantPath)
		}
		if diff := cmp.Diff(tt.wantNamed, gotNamed); diff != "" {
			t.Errorf("parsePath(%q) named (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCamelClass(t *testing.T) {
	for in, want := range map[string]string{
		"nosuchcontroller": "NosuchcontrollerController",
		"sharing_groups":   "SharingGroupsController",
		"events":           "EventsController",
	} {
		if got := camelClass(in); got != want {
			t.Errorf("camelClass(%q) = %q, want %q", in, got, want)
		}
	}
}
