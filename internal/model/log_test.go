package model

import "testing"

func TestLegacyChange(t *testing.T) {
	cases := []struct{ change, want string }{
		{``, ``},
		{`{}`, ``},
		{`{"info":[null,"An event"],"distribution":[0,1]}`,
			`info () => (An event), distribution (0) => (1)`},
		{`{"to_ids":[true,false],"comment":["a \"quoted\" one",null]}`,
			`to_ids (1) => (0), comment (a "quoted" one) => ()`},
		{`{"first_seen":[0,1561456735000000],"tags":[[], ["a", "b"]]}`,
			`first_seen (0) => (1561456735000000), tags ([]) => (["a","b"])`},
		{`["not", "an", "object"]`, `["not", "an", "object"]`},
		{`{"broken":[1]}`, `{"broken":[1]}`},
	}
	for _, c := range cases {
		if got := LegacyChange([]byte(c.change)); got != c.want {
			t.Errorf("LegacyChange(%s) = %q, want %q", c.change, got, c.want)
		}
	}
}
