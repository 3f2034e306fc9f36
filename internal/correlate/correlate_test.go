package correlate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

func TestValues(t *testing.T) {
	ex := NewExclusions([]string{"8.8.8.8", "%.internal", "10.%", "%sinkhole%"})
	tests := []struct {
		name string
		attr Attr
		want []string
	}{
		{"plain", Attr{Type: "ip-dst", Value1: "1.2.3.4"}, []string{"1.2.3.4"}},
		{"composite both parts", Attr{Type: "domain|ip", Value1: "a.com", Value2: "1.2.3.4"},
			[]string{"a.com", "1.2.3.4"}},
		{"filename|md5", Attr{Type: "filename|md5", Value1: "a.exe",
			Value2: "d41d8cd98f00b204e9800998ecf8427e"},
			[]string{"a.exe", "d41d8cd98f00b204e9800998ecf8427e"}},
		{"port types correlate on value1 only", Attr{Type: "ip-dst|port", Value1: "1.2.3.4",
			Value2: "443"}, []string{"1.2.3.4"}},
		{"non-correlating type", Attr{Type: "comment", Value1: "hello"}, nil},
		{"disabled or deleted", Attr{Type: "ip-dst", Value1: "1.2.3.4", Off: true}, nil},
		{"exact exclusion", Attr{Type: "ip-dst", Value1: "8.8.8.8"}, nil},
		{"suffix exclusion", Attr{Type: "hostname", Value1: "db.internal"}, nil},
		{"prefix exclusion", Attr{Type: "ip-src", Value1: "10.1.1.1"}, nil},
		{"contains exclusion, other part kept", Attr{Type: "domain|ip",
			Value1: "a.sinkhole.org", Value2: "5.6.7.8"}, []string{"5.6.7.8"}},
		{"equal parts once", Attr{Type: "domain|ip", Value1: "x", Value2: "x"}, []string{"x"}},
		{"case kept", Attr{Type: "text", Value1: "ABC"}, []string{"ABC"}},
	}
	for _, tt := range tests {
		got := Values(tt.attr, ex)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: (-want +got)\n%s", tt.name, diff)
		}
	}
}

func TestHashStable(t *testing.T) {
	// The hash is stored: it must never change across versions. The value is SHA-256
	// of "1.2.3.4", first eight bytes, big-endian, as computed by another implementation.
	if got, want := Hash("1.2.3.4"), int64(7391805827675811235); got != want {
		t.Errorf("Hash(1.2.3.4) = %d, want %d", got, want)
	}
	if Hash("a") == Hash("A") {
		t.Error("hash folds case")
	}
}

func TestExclusionTerms(t *testing.T) {
	exact, like := NewExclusions([]string{"a", "%b%", "c%", "%d", "x_y!%"}).terms()
	if diff := cmp.Diff([]string{"a"}, exact); diff != "" {
		t.Errorf("exact (-want +got):\n%s", diff)
	}
	want := []string{"%b%", "c%", "x!_y!!%", "%d"}
	if diff := cmp.Diff(want, like); diff != "" {
		t.Errorf("like (-want +got):\n%s", diff)
	}
}

func TestShared(t *testing.T) {
	r := &Reader{Exclusions: NewExclusions([]string{"excluded.example"})}
	own := OwnOf([]Attr{
		{ID: 1, EventID: 1, Type: "domain|ip", Value1: "a.example", Value2: "192.0.2.1"},
		{ID: 2, EventID: 1, Type: "domain", Value1: "excluded.example"},
	})
	other := func(typ, v1, v2 string) *store.CorrelatedAttribute {
		return &store.CorrelatedAttribute{Value1: v1, Value2: v2, Attribute: model.Attribute{Type: typ}}
	}
	pair := func(attr int64, v string) store.CorrelationPair {
		return store.CorrelationPair{Own: store.CorrelationRow{ValueHash: Hash(v), EventID: 1,
			AttributeID: attr}}
	}
	tests := []struct {
		name  string
		pair  store.CorrelationPair
		other *store.CorrelatedAttribute
		want  string
	}{
		{"value2 with value1", pair(1, "192.0.2.1"), other("ip-dst", "192.0.2.1", ""), "192.0.2.1"},
		{"value1 with value2", pair(1, "a.example"), other("domain|ip", "b.example|x", "a.example"),
			"a.example"},
		{"port is not a value", pair(1, "192.0.2.1"), other("ip-dst|port", "192.0.2.9", "192.0.2.1"), ""},
		{"hash of one part, value of the other", pair(1, "a.example"),
			other("ip-dst", "192.0.2.1", ""), ""},
		{"attribute the reader may not see", pair(3, "a.example"), other("domain", "a.example", ""), ""},
		{"excluded value", pair(2, "excluded.example"), other("domain", "excluded.example", ""), ""},
	}
	for _, tt := range tests {
		got, _ := r.shared(own, tt.pair, tt.other)
		if got != tt.want {
			t.Errorf("%s: shared = %q, want %q", tt.name, got, tt.want)
		}
	}
}
