package correlate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
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
