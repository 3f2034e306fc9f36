package misp

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStrInt(t *testing.T) {
	tests := []struct {
		in      string
		want    StrInt
		wantErr bool
	}{
		{`12`, 12, false},
		{`"12"`, 12, false},
		{`12.0`, 12, false},
		{`"12.0"`, 12, false},
		{`-3`, -3, false},
		{`1e3`, 1000, false},
		{`" 7 "`, 7, false},
		{`""`, 0, false},
		{`null`, 0, false},
		{`true`, 1, false},
		{`false`, 0, false},
		{`9223372036854775807`, 9223372036854775807, false},
		{`12.5`, 0, true},
		{`"abc"`, 0, true},
		{`"0x10"`, 0, true},
		{`"Inf"`, 0, true},
		{`1e30`, 0, true},
		{`[1]`, 0, true},
		{`{}`, 0, true},
		{`1 2`, 0, true},
	}
	for _, tt := range tests {
		got := StrInt(99)
		err := json.Unmarshal([]byte(tt.in), &got)
		if tt.wantErr {
			if err == nil {
				t.Errorf("unmarshal %s = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("unmarshal %s = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	out, err := json.Marshal(struct {
		ID StrInt `json:"id"`
	}{12})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`{"id":"12"}`, string(out)); diff != "" {
		t.Errorf("marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestBool(t *testing.T) {
	tests := []struct {
		in      string
		want    Bool
		wantErr bool
	}{
		{`true`, true, false},
		{`false`, false, false},
		{`1`, true, false},
		{`0`, false, false},
		{`1.0`, true, false},
		{`"1"`, true, false},
		{`"0"`, false, false},
		{`"true"`, true, false},
		{`"False"`, false, false},
		{`""`, false, false},
		{`null`, false, false},
		{`2`, false, true},
		{`"yes"`, false, true},
		{`[]`, false, true},
	}
	for _, tt := range tests {
		got := !tt.want
		err := json.Unmarshal([]byte(tt.in), &got)
		if tt.wantErr {
			if err == nil {
				t.Errorf("unmarshal %s = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("unmarshal %s = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}

	out, err := json.Marshal([]Bool{true, false})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`[true,false]`, string(out)); diff != "" {
		t.Errorf("marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestMicros(t *testing.T) {
	const base = 1561456735 // 2019-06-25T09:58:55Z
	tests := []struct {
		in      string
		want    Micros
		wantErr bool
	}{
		{`"2019-06-25T09:58:55.000000+00:00"`, base * 1e6, false},
		{`"2019-06-25T09:58:55Z"`, base * 1e6, false},
		{`"2019-06-25T09:58:55.123456Z"`, base*1e6 + 123456, false},
		{`"2019-06-25T09:58:55.1234567Z"`, base*1e6 + 123456, false},
		{`"2019-06-25T11:58:55+02:00"`, base * 1e6, false},
		{`"2019-06-25T11:58:55+0200"`, base * 1e6, false},
		{`"2019-06-25T09:58:55"`, base * 1e6, false},
		{`"2019-06-25 09:58:55"`, base * 1e6, false},
		{`"2019-06-25"`, (base - 9*3600 - 58*60 - 55) * 1e6, false},
		{`1561456735`, base * 1e6, false},
		{`1561456735.5`, base*1e6 + 500000, false},
		{`"1561456735"`, base * 1e6, false},
		{`""`, 0, false},
		{`null`, 0, false},
		{`"tomorrow"`, 0, true},
		{`true`, 0, true},
		{`1e30`, 0, true},
		{`"99999-01-01"`, 0, true},
	}
	for _, tt := range tests {
		got := Micros(7)
		err := json.Unmarshal([]byte(tt.in), &got)
		if tt.wantErr {
			if err == nil {
				t.Errorf("unmarshal %s = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("unmarshal %s = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}

	type seen struct {
		FirstSeen Micros `json:"first_seen"`
		LastSeen  Micros `json:"last_seen"`
	}
	out, err := json.Marshal(seen{FirstSeen: base*1e6 + 42})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"first_seen":"2019-06-25T09:58:55.000042+00:00","last_seen":null}`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("marshal mismatch (-want +got):\n%s", diff)
	}
}

func TestParseFlexibleTime(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"2019-06-25T09:58:55Z", utc("2019-06-25T09:58:55Z"), false},
		{"2019-06-25T09:58:55.5+02:00", utc("2019-06-25T07:58:55.5Z"), false},
		{"2019-06-25T09:58:55-0130", utc("2019-06-25T11:28:55Z"), false},
		{"2019-06-25T09:58:55+02", utc("2019-06-25T07:58:55Z"), false},
		{"2019-06-25T09:58:55", utc("2019-06-25T09:58:55Z"), false},
		{"2019-06-25 09:58:55", utc("2019-06-25T09:58:55Z"), false},
		{"2019-06-25 09:58:55 +0000", utc("2019-06-25T09:58:55Z"), false},
		{"2019-06-25T09:58", utc("2019-06-25T09:58:00Z"), false},
		{"2019-06-25 09:58", utc("2019-06-25T09:58:00Z"), false},
		{"2019-06-25", utc("2019-06-25T00:00:00Z"), false},
		{" 2019-06-25 ", utc("2019-06-25T00:00:00Z"), false},
		{"Tue, 25 Jun 2019 09:58:55 +0000", utc("2019-06-25T09:58:55Z"), false},
		{"1561456735", utc("2019-06-25T09:58:55Z"), false},
		{"@1561456735", utc("2019-06-25T09:58:55Z"), false},
		{"-1.5", utc("1969-12-31T23:59:58.5Z"), false},
		{"2019-13-01", time.Time{}, true},
		{"25/06/2019", time.Time{}, true},
		{"now", time.Time{}, true},
		{"", time.Time{}, true},
		{"99999999999999", time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseFlexibleTime(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseFlexibleTime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseFlexibleTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzStrIntUnmarshal(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `12.0`, `""`, `null`, `true`, `"x"`, `-1e2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var n StrInt
		if err := n.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back StrInt
		if err := back.UnmarshalJSON(out); err != nil || back != n {
			t.Fatalf("%s -> %d -> %s -> %d, %v", data, n, out, back, err)
		}
	})
}

func FuzzBoolUnmarshal(f *testing.F) {
	for _, s := range []string{`true`, `0`, `"1"`, `"false"`, `""`, `null`, `2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var b Bool
		if err := b.UnmarshalJSON(data); err != nil {
			return
		}
		out, _ := b.MarshalJSON()
		var back Bool
		if err := back.UnmarshalJSON(out); err != nil || back != b {
			t.Fatalf("%s -> %v -> %s -> %v, %v", data, b, out, back, err)
		}
	})
}

func FuzzMicrosUnmarshal(f *testing.F) {
	for _, s := range []string{
		`"2019-06-25T09:58:55.000000+00:00"`, `"2019-06-25"`, `1561456735.25`, `"-1"`,
		`""`, `null`, `"2019-06-25 09:58:55 +0130"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m Micros
		if err := m.UnmarshalJSON(data); err != nil {
			return
		}
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back Micros
		if err := back.UnmarshalJSON(out); err != nil || back != m {
			t.Fatalf("%s -> %d -> %s -> %d, %v", data, m, out, back, err)
		}
	})
}

// FuzzDecodeLenient checks the direct reading of common scalars against encoding/json:
// for any valid JSON value both give the same value, or both refuse it.
func FuzzDecodeLenient(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `-1.5e3`, `""`, `null`, `true`, `false`,
		`"a\"b"`, `"é"`, "\"\xff\"", `"\u0041"`, ` 7 `, `[1]`, `{"a":1}`, `01`, `"tab\t"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got, gotErr := decodeLenient(data)
		want, wantErr := decodeJSONScalar(data)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: error %v, encoding/json %v", data, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: %#v, encoding/json %#v", data, got, want)
		}
	})
}
