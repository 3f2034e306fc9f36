package api

import (
	"context"
	"regexp"
	"strings"

	"github.com/cairn-project/cairn/internal/auth"
)

// MISP's URLs follow CakePHP's form: /controller/action/arg1/arg2/key:value, with an
// optional ".json" suffix, controllers spelt in camelCase or snake_case, and "+" for spaces.
// [parsePath] turns such a URL into a canonical path for the ServeMux, with the named
// parameters set apart.

// Named holds a request's named parameters (key:value path segments). A key written
// key[]:v collects its values in order under "key".
type Named map[string][]string

// Get returns the first value of key, or "".
func (n Named) Get(key string) string {
	if v := n[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Has reports whether key was given.
func (n Named) Has(key string) bool { _, ok := n[key]; return ok }

var namedKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*(\[\])?$`)

// positional lists the actions whose first arguments are taken as they are, since values
// such as tag names ("tlp:white") look like named parameters.
var positional = map[string]int{
	"events/addTag":        2,
	"events/removeTag":     2,
	"attributes/addTag":    2,
	"attributes/removeTag": 2,
	"tags/search":          1,
	"tags/view":            1,

	"tags/attachTagToObject":   2,
	"tags/removeTagFromObject": 2,
}

// parsePath returns the canonical path and the named parameters of a MISP URL.
func parsePath(p string) (string, Named) {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	if n := len(segs); n > 0 {
		last := segs[n-1]
		if strings.HasSuffix(strings.ToLower(last), ".json") {
			segs[n-1] = last[:len(last)-len(".json")]
		}
	}
	ctrl := 0
	if len(segs) > 1 && segs[0] == "admin" {
		ctrl = 1
	}
	if len(segs) > ctrl {
		segs[ctrl] = snakeCase(segs[ctrl])
	}
	keep := 0
	if len(segs) > ctrl+1 {
		keep = positional[segs[ctrl]+"/"+segs[ctrl+1]]
	}

	named := Named{}
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		if i <= ctrl+1 {
			out = append(out, s)
			continue
		}
		if i-ctrl-1 > keep {
			if k, v, ok := strings.Cut(s, ":"); ok && namedKey.MatchString(k) {
				k = strings.TrimSuffix(k, "[]")
				named[k] = append(named[k], plusToSpace(v))
				continue
			}
		}
		out = append(out, plusToSpace(s))
	}
	return "/" + strings.Join(out, "/"), named
}

func plusToSpace(s string) string { return strings.ReplaceAll(s, "+", " ") }

// snakeCase turns a camelCase controller name into MISP's table-style name:
// sharingGroups → sharing_groups.
func snakeCase(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// camelClass turns a controller name into the PHP class name MISP names in its errors:
// sharing_groups → SharingGroupsController.
func camelClass(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String() + "Controller"
}

type ctxKey int

const keyRequest ctxKey = 0

// reqInfo is what the router learnt of a request before dispatch.
type reqInfo struct {
	path      string // the path as the client sent it, for error bodies
	named     Named
	principal *auth.Principal // set once the API key is checked
}

func infoOf(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(keyRequest).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{named: Named{}}
}
