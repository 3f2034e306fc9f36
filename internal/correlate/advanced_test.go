package correlate

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cairn-project/cairn/internal/store"
)

// ssdeepPairs are pairs of hashes with the score libfuzzy 2.14.1 (ssdeep's fuzzy_compare)
// gives them: equal and related block sizes, scores on both sides of MISP's threshold,
// small block sizes whose score is capped, runs of repeated characters, a file name.
var ssdeepPairs = []struct {
	a, b string
	want int
}{
	{"384:pp/sK/4RHXLrOf8E5cMmAHOXIVglA5Fvi6q5Mt2ypCNaIzY67m8EkiJUUvEP:X/JgpXLA8E5CAHOXIgAFv1twN6ukkjP",
		"384:+K9smyuRHXxmOz8O5cRAHOGIVglA5FAi6RyvJt2ypCwaIz66MmLhEirhUU9EP:99VtpXxd8O5mAHOGIgAFAextww0hOEZP", 61},
	{"24:/g9pmMCIwMXV/1arCHGezsWG/s1PNvjXSA2mtc5cu2WgAujVB35avvZjDQjWdWs9:/4pmxUl1VUs1PNrdicueP5KeI+U",
		"24:/g9pmMCIwMXV/1arCHGezsWG/s1PNvjXSA2mtc5cu2Wgl:/4pmxUl1VUs1PNrdicuc", 82},
	{"3:INtiE+OL64RDc1Wupgsf0mtrjEQlprRGAB9ruUsAn:INtn+kTkWuRcm6QzrRGAB1sA",
		"3:bsiE+OL64RDc1Wupgsf0mtrjEQlprRGAB9ruUsAn:bsn+kTkWuRcm6QzrRGAB1sA", 46},
	{"48:iM8qjtEPaJvouo7/OT7brRRxfJwBwC3PVHEO:+PaJguMCdX7O",
		"48:iM8BOX6+Y+jZLYV5hdxJwBwC3PVkkoM8BOX6+Y+jZLYV5hdxJwBwC3PVkkx:r", 35},
	{"3:+kT3+0A01iK8:ZJnp8",
		"3:+kT3+0A01iKRE3Y3CVKxpOCR2mqdkT3+0A01iKRE3Y3CVKxpOCR2mn:ZJnpu3WSKxpVR2mqmJnpu3WSKxpVR2mn", 12},
	{"3:44luZ2HgQDf/916qJ0KcE4osjsEOYBfUmmn:44oZ2HgEl16yqPosjymmn",
		"3:44luZ2HgQDf/916qJ0Kcn:44oZ2HgEl16yqn", 28},
	{"48:wwjOtcNdJKqJF4PSEmuFJPf4uQJuMjZWLpuvCIfmKidjLPOd8zbFcC4A9jriQWGo:g8",
		"48:wwjOtcNdJKqJF4PSEmuFJPf4uQJuMjZWLpuvCIfmKidjLPOd8zbFcC4A9jriQWGI:x", 99},
	// Block sizes 48 and 24, 96 and 48, 3072 and 1536: the signatures of the shared size.
	{"48:eMlPJCOxNixo2uzPgPILOlrlhbu30kV3Za4RGlFSbsr0c6t:zlxClxoHzPgwq3GvRRGlFzgcK",
		"24:gL4BW6Pj1CO7I00oRkqSlo2uzP86rp593ILMPlrv9hXrdBRFV:eMlPJCOxNixo2uzPlPILOlrlhbj3V", 72},
	{"96:UiBUlelLr/tx7XWdREQNXvTADTXCmSKattdUEDKALgW3xnQT5n5NPF:9QelLZxYH/TADMt/UCLgWtAv9F",
		"48:U6DZzdZHjJ4XVoLu4zn6MRZpD5j7tRqujkK9apRhSM3jM/PNczIHvEHraGtDTm2d:UiBUlelLr/tx7XWdREdNXvTADTtGC/", 63},
	{"3072:9uLi9qLdhPfDJbbvl7MFNJcDwcXD1OFqI4IotkTcJMKRM6XvP6Y5W:a9dhPlbyNSFW0XqJ",
		"1536:FXV3mHASiDRYTM03SchS0ZMcf9S6aM8czenblDRfleF+cdIUr:3uLi9qLdhPf9jcb1lleF/r", 36},
	{"6:5eHiOHASYuZBt8f+SalaV4UKgwW+Yye5w:25r+GjW+45w",
		"3:ZHeHnWHnWEHuHxw6ESkjIpEHH1zWnEZHt:5eHiOHASY7HVziEt", 32},
	{"3:SgdQLr6qYtpH+10KpnkxOU01elLRqUv9vn:SgdG6qYtl+10KpnkxOU01e9xlvn",
		"6:SgdG6qYtl+10KpnkxOU01e9xlvkIG6qYtl+10KpnkxOU01e9xlvn:WBKXlB9xl+BKXlB9xlv", 54},
	// Unrelated, and block sizes that cannot be compared.
	{"48:6130XQPBvE7JZkK37STmrDRaI7LpRsu5KVL2pRC7au0+qL06qLzLMLLV++9ZYhv8:j",
		"48:BC63+NblS33g7LV3ydwxdeIuvqymkXjQIkuqJ0ynTsg9r+Zdsj/J7/L6Gb81qdXw:9", 0},
	{"12:P11h4tz1aPMRwEOEL1nJq7iVSOLBHuk5CnEayk:ia0GBELnjUOok5CE3k",
		"384:vzh3gzq14UeXBBdWa64LnYIGDv1CnUSF7MEpyMjGwBuy2+PzeTExawm:VzP4sIGDdCnUhiyMj/2SSwm", 0},
	// Equal once runs of more than three characters are cut, and a file name after a comma.
	{"3:aaaaaaab:cccccd", "3:aaab:cccd", 100},
	{"6:c9tk71qRl9LZF2ZA5g2VrsWWE52uXkHUx19VTAFHqM:c9tyy/ZFd5z4E52u00rJM",
		"6:c9tk71qRl9LZF2ZA5g2VrsWWE52uXkHUx19VTAFHqM:c9tyy/ZFd5z4E52u00rJM,\"sample.exe\"", 100},
	// Malformed.
	{"not a hash", "3:aaab:cccd", 0},
	{"3:abc", "3:abc", 0},
}

func TestCorrelationSSDeepScore(t *testing.T) {
	for _, tt := range ssdeepPairs {
		if got := SSDeepScore(tt.a, tt.b); got != tt.want {
			t.Errorf("SSDeepScore(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := SSDeepScore(tt.b, tt.a); got != tt.want {
			t.Errorf("SSDeepScore(%s, %s) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}

// TestCorrelationSSDeepKeys checks that hashes that score above zero share an index key,
// so that the index finds every candidate.
func TestCorrelationSSDeepKeys(t *testing.T) {
	for _, tt := range ssdeepPairs {
		h1, ok1 := parseSSDeep(tt.a)
		h2, ok2 := parseSSDeep(tt.b)
		if !ok1 || !ok2 {
			continue
		}
		keys := map[int64]bool{}
		for _, k := range h1.keys() {
			keys[k] = true
		}
		shared := false
		for _, k := range h2.keys() {
			shared = shared || keys[k]
		}
		if shared != (tt.want > 0) {
			t.Errorf("%s and %s (score %d) share a key: %v", tt.a, tt.b, tt.want, shared)
		}
	}
}

func TestCorrelationNetworkKeys(t *testing.T) {
	key := func(s string) []byte { return addressKey(netip.MustParseAddr(s)) }
	if diff := cmp.Diff([]byte{4, 10, 1, 2, 3}, key("10.1.2.3")); diff != "" {
		t.Errorf("IPv4 key (-want +got):\n%s", diff)
	}
	if k := key("::ffff:10.1.2.3"); len(k) != 17 || k[0] != 6 {
		t.Errorf("an IPv4-mapped IPv6 address is IPv6: %v", k)
	}
	// Within a family, key order is address order.
	if bytes.Compare(key("10.1.2.3"), key("10.1.2.40")) >= 0 ||
		bytes.Compare(key("9.255.255.255"), key("10.0.0.0")) >= 0 ||
		bytes.Compare(key("2001:db8::1"), key("2001:db8::1:0")) >= 0 {
		t.Error("keys out of address order")
	}
	tests := []struct {
		addr        string
		bits        int
		first, last string
	}{
		{"10.1.2.3", 8, "10.0.0.0", "10.255.255.255"},
		{"10.1.2.3", 23, "10.1.2.0", "10.1.3.255"},
		{"10.1.2.3", 32, "10.1.2.3", "10.1.2.3"},
		{"10.1.2.3", 0, "0.0.0.0", "255.255.255.255"},
		{"2001:db8:77:1::5", 48, "2001:db8:77::", "2001:db8:77:ffff:ffff:ffff:ffff:ffff"},
		{"2001:db8::5", 127, "2001:db8::4", "2001:db8::5"},
	}
	for _, tt := range tests {
		first := maskKey(key(tt.addr), tt.bits)
		if diff := cmp.Diff(key(tt.first), first); diff != "" {
			t.Errorf("maskKey(%s, %d) (-want +got):\n%s", tt.addr, tt.bits, diff)
		}
		if diff := cmp.Diff(key(tt.last), lastKey(first, tt.bits)); diff != "" {
			t.Errorf("lastKey(%s, %d) (-want +got):\n%s", tt.first, tt.bits, diff)
		}
		p := netip.PrefixFrom(netip.MustParseAddr(tt.addr), tt.bits).Masked()
		if got := lastAddress(p).String(); got != tt.last {
			t.Errorf("lastAddress(%s) = %s, want %s", p, got, tt.last)
		}
	}
}

func TestCorrelationAdvancedRelated(t *testing.T) {
	a, b := ssdeepPairs[0].a, ssdeepPairs[0].b // 61
	low1, low2 := ssdeepPairs[3].a, ssdeepPairs[3].b
	tests := []struct {
		t1, v1, t2, v2 string
		want           bool
	}{
		{"ip-dst", "10.0.0.0/8", "ip-src", "10.9.9.9", true},
		{"ip-src", "10.9.9.9", "ip-dst", "10.0.0.0/8", true},
		{"ip-dst|port", "10.9.9.9", "ip-dst", "10.1.2.3/8", true},
		{"ip-dst", "10.0.0.0/8", "ip-src", "11.0.0.1", false},
		{"ip-dst", "10.0.0.0/8", "ip-src", "10.0.0.0/16", false},
		{"ip-dst", "10.0.0.1", "ip-src", "10.0.0.1", false},
		{"ip-dst", "2001:db8::/32", "ip-src", "2001:db8:1::1", true},
		{"ip-dst", "::/0", "ip-src", "10.0.0.1", false},
		{"ip-dst", "10.0.0.0/8", "domain|ip", "10.0.0.1", false},
		{"ip-dst", "10.0.0.0/8", "ip-src", "10.0.0.1%eth0", false},
		{"ssdeep", a, "ssdeep", b, true},
		{"ssdeep", a, "ssdeep", a, false},
		{"ssdeep", low1, "ssdeep", low2, false},
		{"ssdeep", a, "text", b, false},
	}
	for _, tt := range tests {
		if got := advancedRelated(tt.t1, tt.v1, tt.t2, tt.v2, 40); got != tt.want {
			t.Errorf("advancedRelated(%s %s, %s %s) = %v, want %v", tt.t1, tt.v1, tt.t2, tt.v2,
				got, tt.want)
		}
	}
	if !advancedRelated("ssdeep", low1, "ssdeep", low2, 30) {
		t.Error("a score of 35 is not related under a threshold of 30")
	}
}

func TestCorrelationAdvancedRows(t *testing.T) {
	ex := NewExclusions([]string{"192.0.2.%"})
	attrs := []Attr{
		{ID: 1, EventID: 9, Type: "ip-dst", Value1: "10.0.0.1"},
		{ID: 2, EventID: 9, Type: "ip-src", Value1: "10.1.2.3/16"},
		{ID: 3, EventID: 9, Type: "ip-dst|port", Value1: "2001:db8::1", Value2: "443"},
		{ID: 4, EventID: 9, Type: "ip-dst", Value1: "192.0.2.1"},
		{ID: 5, EventID: 9, Type: "ip-dst", Value1: "10.0.0.2", Off: true},
		{ID: 6, EventID: 9, Type: "domain|ip", Value1: "a.example", Value2: "10.0.0.3"},
		{ID: 7, EventID: 9, Type: "ip-dst", Value1: "not an address"},
		{ID: 8, EventID: 9, Type: "ssdeep", Value1: "3:aaaaaaab:cccccd"},
	}
	got := advancedRows(attrs, ex)
	want := store.AdvancedRows{
		Addresses: []store.AddressRow{
			{Address: []byte{4, 10, 0, 0, 1}, EventID: 9, AttributeID: 1},
			{Address: addressKey(netip.MustParseAddr("2001:db8::1")), EventID: 9, AttributeID: 3},
		},
		Blocks: []store.BlockRow{{Bits: 16, Start: []byte{4, 10, 1, 0, 0}, EventID: 9,
			AttributeID: 2}},
		// A hash whose signatures are shorter than a window has its whole-hash key only.
		SSDeep: []store.CorrelationRow{{ValueHash: Hash("ssdeep:3:aaab:cccd"), EventID: 9,
			AttributeID: 8}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("advancedRows (-want +got):\n%s", diff)
	}
}

// FuzzCorrelationSSDeep checks that any pair of values scores between 0 and 100, the same
// both ways, and that hashes that score above 0 share an index key.
func FuzzCorrelationSSDeep(f *testing.F) {
	for _, tt := range ssdeepPairs {
		f.Add(tt.a, tt.b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := SSDeepScore(a, b)
		if got < 0 || got > 100 || got != SSDeepScore(b, a) {
			t.Fatalf("SSDeepScore(%q, %q) = %d, %d the other way", a, b, got, SSDeepScore(b, a))
		}
		if got == 0 {
			return
		}
		h1, _ := parseSSDeep(a)
		h2, _ := parseSSDeep(b)
		keys := map[int64]bool{}
		for _, k := range h1.keys() {
			keys[k] = true
		}
		for _, k := range h2.keys() {
			if keys[k] {
				return
			}
		}
		t.Fatalf("%q and %q score %d and share no key", a, b, got)
	})
}
