package api

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/correlate"
)

// Pairs of ssdeep hashes, each related to its pair only, with the score libfuzzy 2.14.1
// gives them.
const (
	ssdeepA  = "384:pp/sK/4RHXLrOf8E5cMmAHOXIVglA5Fvi6q5Mt2ypCNaIzY67m8EkiJUUvEP:X/JgpXLA8E5CAHOXIgAFv1twN6ukkjP"
	ssdeepB  = "384:+K9smyuRHXxmOz8O5cRAHOGIVglA5FAi6RyvJt2ypCwaIz66MmLhEirhUU9EP:99VtpXxd8O5mAHOGIgAFAextww0hOEZP" // 61
	ssdeepL1 = "96:XGU1kYsy5he1k+FdlmtDGrbb4KRhkBgTvQ0lLFOvUilBwExqXR/AbA6Or9o0alHB:hsao1kedlmtobaBKzLFOFlzxQOlOr9yB"
	ssdeepL2 = "48:bVH3vpjhOmOxfhe8G2lDk+FdlOztZRuxehfrpTHeaoJd9KL8uPREDFNKltfJ3+:V85he92lDk+FdlmtZsx2r44nREkBg" // 36
	ssdeepP1 = "24:/g9pmMCIwMXV/1arCHGezsWG/s1PNvjXSA2mtc5cu2WgAujVB35avvZjDQjWdWs9:/4pmxUl1VUs1PNrdicueP5KeI+U"
	ssdeepP2 = "24:/g9pmMCIwMXV/1arCHGezsWG/s1PNvjXSA2mtc5cu2Wgl:/4pmxUl1VUs1PNrdicuc" // 82
	ssdeepQ1 = "48:eMlPJCOxNixo2uzPgPILOlrlhbu30kV3Za4RGlFSbsr0c6t:zlxClxoHzPgwq3GvRRGlFzgcK"
	ssdeepQ2 = "24:gL4BW6Pj1CO7I00oRkqSlo2uzP86rp593ILMPlrv9hXrdBRFV:eMlPJCOxNixo2uzPlPILOlrlhbj3V" // 72
	ssdeepR1 = "96:UiBUlelLr/tx7XWdREQNXvTADTXCmSKattdUEDKALgW3xnQT5n5NPF:9QelLZxYH/TADMt/UCLgWtAv9F"
	ssdeepR2 = "48:U6DZzdZHjJ4XVoLu4zn6MRZpD5j7tRqujkK9apRhSM3jM/PNczIHvEHraGtDTm2d:UiBUlelLr/tx7XWdREdNXvTADTtGC/" // 63
)

// advancedRows returns the number of rows of the advanced correlation indexes for an event.
func (c *corrEnv) advancedRows(t *testing.T, eventID string) int {
	t.Helper()
	total := 0
	for _, table := range []string{"correlation_addresses", "correlation_blocks",
		"correlation_ssdeep"} {
		var n int
		err := c.db.QueryRowContext(context.Background(),
			`SELECT COUNT(*) FROM `+table+` WHERE event_id = $1`, eventID).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	return total
}

// relatedValues returns, for each attribute of events/view of id with granular
// correlations (top-level attributes, then those of objects), its RelatedAttribute as
// "event_id value" strings.
func (c *corrEnv) relatedValues(t *testing.T, key, id string) [][]string {
	t.Helper()
	ev := c.view(t, key, id, "/includeGranularCorrelations:1")
	var out [][]string
	add := func(list []any) {
		for _, at := range list {
			rel := []string{}
			related, _ := at.(map[string]any)["RelatedAttribute"].([]any)
			for _, r := range related {
				m := r.(map[string]any)
				rel = append(rel, m["event_id"].(string)+" "+m["value"].(string))
			}
			out = append(out, rel)
		}
	}
	add(ev["Attribute"].([]any))
	for _, o := range ev["Object"].([]any) {
		add(o.(map[string]any)["Attribute"].([]any))
	}
	return out
}

// TestCorrelationAdvanced checks MISP.enable_advanced_correlations (reference §4.2): CIDR
// containment both ways, IPv4 and IPv6, ssdeep similarity, on every write path, with the
// reader's rights and the over-correlation limit, on both databases.
func TestCorrelationAdvanced(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c *corrEnv)
	}{
		{"off by default", func(t *testing.T, c *corrEnv) {
			c.setting(t, "MISP.enable_advanced_correlations", false)
			a, _ := c.add(t, adminKey, nil, "ip-dst", "198.18.64.0/24")
			b, _ := c.add(t, adminKey, nil, "ip-src", "198.18.64.9")
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, b)
			if n := c.advancedRows(t, a) + c.advancedRows(t, b); n != 2 {
				t.Errorf("%d advanced index rows, want 2: the index is kept while off", n)
			}
			c.setting(t, "MISP.enable_advanced_correlations", true)
			c.wantRelated(t, adminKey, a, b)
			c.wantRelated(t, adminKey, b, a)
		}},
		{"IPv4 blocks and addresses, both ways", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "10.77.0.0/16")
			in, _ := c.add(t, adminKey, nil, "ip-src", "10.77.3.4")
			port, _ := c.add(t, adminKey, nil, "ip-dst|port", "10.77.200.1|443")
			out, _ := c.add(t, adminKey, nil, "ip-dst", "10.78.0.1")
			other, _ := c.add(t, adminKey, nil, "domain|ip", "v4.example|10.77.9.9")
			hostBits, _ := c.add(t, adminKey, nil, "ip-src", "10.77.5.5/8")
			// Blocks do not contain blocks; 10.77.5.5/8 is 10.0.0.0/8.
			c.wantRelated(t, adminKey, block, in, port)
			c.wantRelated(t, adminKey, in, block, hostBits)
			c.wantRelated(t, adminKey, port, block, hostBits)
			c.wantRelated(t, adminKey, out, hostBits)
			c.wantRelated(t, adminKey, other)
			c.wantRelated(t, adminKey, hostBits, in, port, out)
		}},
		{"IPv6, and families apart", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "2001:db8:77::/48")
			in, _ := c.add(t, adminKey, nil, "ip-src", "2001:db8:77:1::5")
			out, _ := c.add(t, adminKey, nil, "ip-src", "2001:db8:78::5")
			mapped, _ := c.add(t, adminKey, nil, "ip-dst", "::ffff:10.99.0.1")
			v4, _ := c.add(t, adminKey, nil, "ip-dst", "10.99.0.0/16")
			all, _ := c.add(t, adminKey, nil, "ip-src", "::/0")
			c.wantRelated(t, adminKey, block, in)
			c.wantRelated(t, adminKey, in, block, all)
			c.wantRelated(t, adminKey, out, all)
			c.wantRelated(t, adminKey, mapped, all)
			c.wantRelated(t, adminKey, v4)
		}},
		{"related attribute values", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "192.0.2.128/25", "domain", "v.example")
			addr, _ := c.add(t, adminKey, nil, "ip-src", "192.0.2.200", "domain", "v.example")
			want := [][]string{{addr + " 192.0.2.200"}, {addr + " v.example"}}
			if diff := cmp.Diff(want, c.relatedValues(t, adminKey, block)); diff != "" {
				t.Errorf("RelatedAttribute of the block's event (-want +got):\n%s", diff)
			}
			want = [][]string{{block + " 192.0.2.128/25"}, {block + " v.example"}}
			if diff := cmp.Diff(want, c.relatedValues(t, adminKey, addr)); diff != "" {
				t.Errorf("RelatedAttribute of the address's event (-want +got):\n%s", diff)
			}
		}},
		{"ssdeep similarity and threshold", func(t *testing.T, c *corrEnv) {
			a, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepA)
			b, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepB)
			same, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepA)
			low, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepL1)
			low2, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepL2)
			text, _ := c.add(t, adminKey, nil, "text", ssdeepB)
			c.wantRelated(t, adminKey, a, b, same)
			c.wantRelated(t, adminKey, b, a, same, text)
			c.wantRelated(t, adminKey, low)
			c.wantRelated(t, adminKey, low2)
			want := [][]string{{b + " " + ssdeepB, same + " " + ssdeepA}}
			if diff := cmp.Diff(want, c.relatedValues(t, adminKey, a)); diff != "" {
				t.Errorf("RelatedAttribute (-want +got):\n%s", diff)
			}
			c.setting(t, "MISP.ssdeep_correlation_threshold", 30)
			c.wantRelated(t, adminKey, low, low2)
			c.setting(t, "MISP.ssdeep_correlation_threshold", 70)
			c.wantRelated(t, adminKey, a, same)
			c.wantRelated(t, adminKey, low)
			c.setting(t, "MISP.ssdeep_correlation_threshold", 40)
		}},
		{"attribute writes", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.20.0.0/16")
			a, ids := c.add(t, adminKey, nil, "ip-src", "172.21.0.1")
			c.wantRelated(t, adminKey, block)
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"value": "172.20.5.5"})
			c.wantRelated(t, adminKey, block, a)
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"disable_correlation": true})
			c.wantRelated(t, adminKey, block)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows for an attribute that disables correlation", n)
			}
			c.must(200, "POST", "/attributes/edit/"+ids[0], adminKey,
				map[string]any{"disable_correlation": false})
			c.wantRelated(t, adminKey, block, a)
			c.must(200, "POST", "/attributes/delete/"+ids[0], adminKey, nil)
			c.wantRelated(t, adminKey, block)
			c.must(200, "POST", "/attributes/restore/"+ids[0], adminKey, nil)
			c.wantRelated(t, adminKey, block, a)
			c.must(200, "POST", "/attributes/delete/"+ids[0]+"/1", adminKey, nil)
			c.wantRelated(t, adminKey, block)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows left for a hard-deleted attribute", n)
			}
			b, _ := c.add(t, adminKey, nil)
			c.must(200, "POST", "/attributes/add/"+b, adminKey,
				map[string]any{"type": "ssdeep", "value": ssdeepP1})
			d, dIDs := c.add(t, adminKey, nil, "ssdeep", ssdeepR1)
			c.wantRelated(t, adminKey, d)
			c.must(200, "POST", "/attributes/edit/"+dIDs[0], adminKey,
				map[string]any{"value": ssdeepP2})
			c.wantRelated(t, adminKey, d, b)
			c.wantRelated(t, adminKey, b, d)
		}},
		{"event writes", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.22.0.0/16")
			a, _ := c.add(t, adminKey, nil, "ip-src", "172.22.1.1", "ssdeep", ssdeepQ1)
			b, _ := c.add(t, adminKey, nil, "ssdeep", ssdeepQ2)
			c.wantRelated(t, adminKey, a, block, b)
			edit := func(off bool) {
				c.must(200, "POST", "/events/edit/"+a, adminKey, map[string]any{"Event": map[string]any{
					"disable_correlation": off, "published": true}})
			}
			edit(true)
			c.wantRelated(t, adminKey, block)
			c.wantRelated(t, adminKey, b)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows for an event that disables correlation", n)
			}
			edit(false)
			c.wantRelated(t, adminKey, block, a)
			c.wantRelated(t, adminKey, b, a)
			c.must(200, "POST", "/events/delete/"+a, adminKey, nil)
			c.wantRelated(t, adminKey, block)
			c.wantRelated(t, adminKey, b)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows left for a deleted event", n)
			}
		}},
		{"objects", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.23.0.0/16")
			a, _ := c.add(t, adminKey, nil)
			obj := c.must(200, "POST", "/objects/add/"+a, adminKey, map[string]any{"Object": map[string]any{
				"name": "domain-ip", "meta-category": "network", "description": "an address",
				"template_uuid": "43b3b146-77eb-4931-b4cc-b66c60f28734", "template_version": "1",
				"Attribute": []any{
					map[string]any{"object_relation": "ip", "type": "ip-dst", "value": "172.23.9.9"}}}}).
				Obj(t)["Object"].(map[string]any)
			c.wantRelated(t, adminKey, block, a)
			want := [][]string{{block + " 172.23.0.0/16"}}
			if diff := cmp.Diff(want, c.relatedValues(t, adminKey, a)); diff != "" {
				t.Errorf("RelatedAttribute of the object attribute (-want +got):\n%s", diff)
			}
			c.must(200, "POST", "/objects/delete/"+obj["id"].(string), adminKey, nil)
			c.wantRelated(t, adminKey, block)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows left for a deleted object", n)
			}
		}},
		{"exclusions", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.24.0.0/16")
			a, _ := c.add(t, adminKey, nil, "ip-src", "172.24.1.1")
			c.wantRelated(t, adminKey, a, block)
			ex := c.must(200, "POST", "/correlation_exclusions/add", adminKey,
				map[string]any{"value": "172.24.1.%"}).Obj(t)["CorrelationExclusion"].(map[string]any)
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, block)
			if n := c.advancedRows(t, a); n != 0 {
				t.Errorf("%d advanced rows for an excluded value", n)
			}
			c.must(200, "POST", "/correlation_exclusions/delete/"+ex["id"].(string), adminKey, nil)
			c.wantRelated(t, adminKey, a, block)
			// An exclusion written behind the index's back: readers apply it at once on
			// both sides, clean removes the rows.
			_, err := c.db.ExecContext(context.Background(),
				`INSERT INTO correlation_exclusions (value, comment) VALUES ('172.24.0.0/16', '')`)
			if err != nil {
				t.Fatal(err)
			}
			c.wantRelated(t, adminKey, a)
			c.wantRelated(t, adminKey, block)
			c.must(200, "POST", "/correlation_exclusions/clean", adminKey, nil)
			if n := c.advancedRows(t, block); n != 0 {
				t.Errorf("%d advanced rows left after the clean", n)
			}
		}},
		{"the reader's rights", func(t *testing.T, c *corrEnv) {
			mine, _ := c.add(t, c.partnerKey, nil, "ip-src", "172.25.1.1", "ssdeep", ssdeepR2)
			hidden, _ := c.add(t, adminKey, map[string]any{"distribution": 0},
				"ip-dst", "172.25.0.0/16")
			sg, _ := c.add(t, adminKey, map[string]any{"distribution": 4,
				"sharing_group_id": c.sgWithout}, "ssdeep", ssdeepR1)
			attr, _ := c.add(t, adminKey, nil, map[string]any{"type": "ip-dst",
				"value": "172.25.1.0/28", "distribution": 0})
			shared, _ := c.add(t, adminKey, map[string]any{"distribution": 4,
				"sharing_group_id": c.sgWith}, "ip-dst", "172.25.1.0/24")
			c.wantRelated(t, c.partnerKey, mine, shared)
			c.wantRelated(t, adminKey, mine, hidden, sg, attr, shared)
			want := [][]string{{shared + " 172.25.1.0/24"}, {}}
			if diff := cmp.Diff(want, c.relatedValues(t, c.partnerKey, mine)); diff != "" {
				t.Errorf("partner's RelatedAttribute (-want +got):\n%s", diff)
			}
			search := c.must(200, "POST", "/attributes/restSearch", c.partnerKey,
				map[string]any{"value": "172.25.1.1", "includeCorrelations": 1}).Obj(t)
			found := search["response"].(map[string]any)["Attribute"].([]any)
			var got []string
			for _, r := range found[0].(map[string]any)["RelatedAttribute"].([]any) {
				got = append(got, r.(map[string]any)["event_id"].(string))
			}
			if diff := cmp.Diff([]string{shared}, got); diff != "" {
				t.Errorf("partner's includeCorrelations (-want +got):\n%s", diff)
			}
		}},
		{"over-correlation limit", func(t *testing.T, c *corrEnv) {
			c.setting(t, "MISP.correlation_limit", 2)
			defer c.setting(t, "MISP.correlation_limit", 20)
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.26.0.0/16", "ip-dst", "172.27.0.0/16")
			var in []string
			for _, ip := range []string{"172.26.0.1", "172.26.0.2", "172.26.0.3"} {
				id, _ := c.add(t, adminKey, nil, "ip-src", ip)
				in = append(in, id)
			}
			two, _ := c.add(t, adminKey, nil, "ip-src", "172.27.0.1", "ip-src", "172.27.0.2")
			// The first block holds three addresses of other events: over the limit, both
			// ways. The second holds two, of one event.
			c.wantRelated(t, adminKey, block, two)
			c.wantRelated(t, adminKey, in[0])
			c.wantRelated(t, adminKey, two, block)
			ev := c.view(t, adminKey, block, "/includeGranularCorrelations:1")
			attrs := ev["Attribute"].([]any)
			if attrs[0].(map[string]any)["over_correlation"] != true ||
				attrs[1].(map[string]any)["over_correlation"] == true {
				t.Errorf("over_correlation flags: %v", attrs)
			}
			c.must(200, "POST", "/events/delete/"+in[2], adminKey, nil)
			c.wantRelated(t, adminKey, block, in[0], in[1], two)
			c.wantRelated(t, adminKey, in[0], block)
		}},
		{"attributes/restSearch includeCorrelations", func(t *testing.T, c *corrEnv) {
			c.add(t, adminKey, nil, "ip-dst", "172.28.0.0/16")
			a, aIDs := c.add(t, adminKey, nil, "ip-src", "172.28.0.7", "ip-src", "172.28.0.8")
			res := c.must(200, "POST", "/attributes/restSearch", adminKey, map[string]any{
				"value": "172.28.0.0/16", "includeCorrelations": 1}).Obj(t)
			found := res["response"].(map[string]any)["Attribute"].([]any)
			var got []string
			for _, r := range found[0].(map[string]any)["RelatedAttribute"].([]any) {
				m := r.(map[string]any)
				got = append(got, m["event_id"].(string)+" "+m["id"].(string)+" "+m["value"].(string))
			}
			want := []string{a + " " + aIDs[0] + " 172.28.0.7", a + " " + aIDs[1] + " 172.28.0.8"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("RelatedAttribute of the block (-want +got):\n%s", diff)
			}
		}},
		{"backfill of attributes stored before the indexes", func(t *testing.T, c *corrEnv) {
			block, _ := c.add(t, adminKey, nil, "ip-dst", "172.29.0.0/16")
			a, _ := c.add(t, adminKey, nil, "ip-src", "172.29.0.1")
			ctx := context.Background()
			for _, q := range []string{`DELETE FROM correlation_addresses`,
				`DELETE FROM correlation_blocks`, `DELETE FROM correlation_ssdeep`,
				`DELETE FROM correlation_backfills`,
				`INSERT INTO correlation_backfills (name) VALUES ('advanced')`} {
				if _, err := c.db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			c.wantRelated(t, adminKey, a)
			if err := correlate.Backfill(ctx, c.db); err != nil {
				t.Fatal(err)
			}
			c.wantRelated(t, adminKey, a, block)
			if err := correlate.Backfill(ctx, c.db); err != nil {
				t.Fatal(err)
			}
			if n := c.advancedRows(t, a); n != 1 {
				t.Errorf("%d advanced rows after a second backfill, want 1", n)
			}
		}},
	}
	eachDB(t, func(t *testing.T, e *testEnv) {
		c := newCorrEnv(t, e)
		c.setting(t, "MISP.enable_advanced_correlations", true)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { tc.run(t, c.with(t)) })
		}
	})
}
