package export

import (
	"bufio"
	"bytes"
	"hash/maphash"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// rpzPolicy is an RPZ policy: what the zone answers for the names it lists.
type rpzPolicy struct {
	name, explanation, action string
}

// rpzPolicies are MISP's policies, by the id of its Plugin.RPZ_policy setting.
var rpzPolicies = []rpzPolicy{
	{"DROP", "timeout.", "rpz-drop."},
	{"NXDOMAIN", "return NXDOMAIN (name does not exist) irrespective of actual result received.",
		"."},
	{"NODATA", "returns NODATA (name exists but no answers returned) irrespective of actual " +
		"result received.", "*."},
	{"Local-Data", "returns the defined alternate location.", "$walled_garden"},
	{"PASSTHRU", "lets queries through, but allows for logging the hits (useful for testing).",
		"rpz-passthru."},
	{"TCP-only", "force the client to use TCP.", "rpz-tcp-only."},
}

// RPZDefaults are the values of MISP's Plugin.RPZ_* settings, which the rpz parameters of
// a request override.
//
// TODO: Cairn has no Plugin.RPZ_* settings yet, so an instance cannot change these
// defaults; only the request can.
var RPZDefaults = map[string]string{"policy": "NXDOMAIN", "walled_garden": "127.0.0.1",
	"ns": "localhost.", "ns_alt": "", "email": "root.localhost", "serial": "$date00",
	"refresh": "2h", "retry": "30m", "expiry": "30d", "minimum_ttl": "1h", "ttl": "1w"}

// rpzWriter writes a DNS response policy zone (MISP's RPZExport): the zone header, then
// the distinct IP addresses, the domains (each with its sub-domains) and the hostnames of
// ip-src, ip-dst, domain, domain|ip and hostname attributes, each section under a comment
// that explains the policy.
//
// note: the addresses are written as they come, but the domain and hostname sections,
// which follow them, are held in memory until the end, as is a 128-bit hash of each
// distinct name (as for text); memory grows with the distinct names of the answer.
type rpzWriter struct {
	w         *bufio.Writer
	opt       Options
	policy    rpzPolicy
	action    string
	seeds     [2]maphash.Seed
	seen      map[[2]uint64]struct{}
	ips       bool
	domains   bytes.Buffer
	hostnames bytes.Buffer
}

func newRPZ(w *bufio.Writer, opt Options) writer {
	r := &rpzWriter{w: w, opt: opt, seeds: [2]maphash.Seed{maphash.MakeSeed(),
		maphash.MakeSeed()}, seen: map[[2]uint64]struct{}{}}
	r.policy = rpzPolicies[1]
	for _, p := range rpzPolicies {
		if p.name == r.setting("policy") {
			r.policy = p
		}
	}
	r.action = strings.ReplaceAll(r.policy.action, "$walled_garden", r.setting("walled_garden"))
	return r
}

// setting returns the request's value of an rpz parameter, or MISP's default.
func (r *rpzWriter) setting(name string) string {
	if v, ok := r.opt.RPZ[name]; ok && v != "" {
		return v
	}
	return RPZDefaults[name]
}

func (r *rpzWriter) begin() error {
	now := r.opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	serial := strings.ReplaceAll(r.setting("serial"), "$date", now.UTC().Format("20060102"))
	serial = strings.ReplaceAll(serial, "$time", strconv.FormatInt(now.Unix(), 10))
	w := r.w
	w.WriteString("$TTL " + r.setting("ttl") + ";\n")
	w.WriteString("@               SOA " + r.setting("ns") + " " + r.setting("email") + " (" +
		serial + " " + r.setting("refresh") + " " + r.setting("retry") + " " +
		r.setting("expiry") + " " + r.setting("minimum_ttl") + ")\n")
	w.WriteString("                NS " + r.setting("ns") + "\n")
	if alt := r.setting("ns_alt"); alt != "" {
		w.WriteString("                NS " + alt + "\n")
	}
	return w.WriteByte('\n')
}

func (r *rpzWriter) explain(what string) string {
	return "; The following " + what + " " + r.policy.explanation + "\n"
}

// add records one name of a kind ("ip", "domain", "hostname") unless already seen.
func (r *rpzWriter) add(kind, name string) {
	key := [2]uint64{maphash.String(r.seeds[0], kind+"\x00"+name),
		maphash.String(r.seeds[1], kind+"\x00"+name)}
	if _, dup := r.seen[key]; dup || name == "" {
		return
	}
	r.seen[key] = struct{}{}
	switch kind {
	case "ip":
		if !r.ips {
			r.ips = true
			r.w.WriteString(r.explain("list of IP addresses will"))
		}
		r.w.WriteString(rpzIP(name) + " CNAME " + r.action + "\n")
	case "domain":
		r.domains.WriteString(name + " CNAME " + r.action + "\n*." + name + " CNAME " +
			r.action + "\n")
	case "hostname":
		r.hostnames.WriteString(name + " CNAME " + r.action + "\n")
	}
}

func (r *rpzWriter) write(a *model.Attribute) {
	switch a.Type {
	case "ip-src", "ip-dst":
		r.add("ip", a.Value)
	case "domain":
		r.add("domain", a.Value)
	case "hostname":
		r.add("hostname", a.Value)
	case "domain|ip":
		d, ip := misp.SplitValue(a.Type, a.Value)
		r.add("domain", d)
		r.add("ip", ip)
	}
}

func (r *rpzWriter) attribute(rec *Record) error {
	r.write(rec.Attribute)
	return nil
}

func (r *rpzWriter) event(e *model.Event) error {
	for _, a := range flatAttributes(e) {
		r.write(a)
	}
	return nil
}

func (r *rpzWriter) end() error {
	if r.ips {
		r.w.WriteByte('\n')
	}
	if r.domains.Len() > 0 {
		r.w.WriteString(r.explain("domain names and all of their sub-domains will"))
		r.w.Write(r.domains.Bytes())
		r.w.WriteByte('\n')
	}
	if r.hostnames.Len() > 0 {
		r.w.WriteString(r.explain("hostnames will"))
		r.w.Write(r.hostnames.Bytes())
		r.w.WriteByte('\n')
	}
	return nil
}

// rpzIP writes an address or a CIDR block as an rpz-ip owner name: the prefix length,
// then the address's labels in reverse order (IPv6 "::" written as "zz").
func rpzIP(v string) string {
	addr, prefix, hasPrefix := strings.Cut(v, "/")
	v6 := strings.Contains(addr, ":")
	if !hasPrefix {
		prefix = "32"
		if v6 {
			prefix = "128"
		}
	}
	var labels []string
	if v6 {
		for _, l := range strings.Split(strings.ReplaceAll(addr, "::", ":zz:"), ":") {
			if l != "" {
				labels = append(labels, l)
			}
		}
	} else {
		labels = strings.Split(addr, ".")
	}
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return prefix + "." + strings.Join(labels, ".") + ".rpz-ip"
}
