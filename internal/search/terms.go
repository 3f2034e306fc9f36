// Package search parses MISP's restSearch filters, from a JSON body or from named
// parameters in the path, into one typed [Params] that the store compiles to SQL. Parsing is
// pure and lenient as MISP is: unknown parameters are ignored, booleans come as true, 1 or
// "1", lists come as JSON arrays, "&&"-joined strings or {"OR":[],"AND":[],"NOT":[]}.
package search

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Terms is a list filter: any of OR, all of AND, none of NOT.
type Terms struct {
	OR, AND, NOT []string
}

// Empty reports whether the filter filters nothing.
func (t Terms) Empty() bool { return len(t.OR) == 0 && len(t.AND) == 0 && len(t.NOT) == 0 }

// maxTerms bounds the values of one filter, so that a request cannot ask for unbounded work.
const maxTerms = 100_000

// parseTerms reads a filter value: a string ("a", "!a", "a&&!b"), a number, a list of those,
// or an object with OR, AND and NOT lists. "!" at the start of a value negates it.
func parseTerms(raw json.RawMessage) (Terms, error) {
	var t Terms
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return t, err
	}
	if err := t.add(v, ""); err != nil {
		return t, err
	}
	if n := len(t.OR) + len(t.AND) + len(t.NOT); n > maxTerms {
		return t, fmt.Errorf("too many values (%d, at most %d)", n, maxTerms)
	}
	return t, nil
}

func (t *Terms) add(v any, bucket string) error {
	switch x := v.(type) {
	case nil:
	case string:
		for _, part := range strings.Split(x, "&&") {
			t.put(part, bucket)
		}
	case float64:
		t.put(strconv.FormatFloat(x, 'f', -1, 64), bucket)
	case bool:
		if x {
			t.put("1", bucket)
		} else {
			t.put("0", bucket)
		}
	case []any:
		for _, item := range x {
			if err := t.add(item, bucket); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, item := range x {
			switch strings.ToUpper(k) {
			case "OR":
				if err := t.add(item, "OR"); err != nil {
					return err
				}
			case "AND":
				if err := t.add(item, "AND"); err != nil {
					return err
				}
			case "NOT":
				if err := t.add(item, "NOT"); err != nil {
					return err
				}
			default:
				return fmt.Errorf("unknown operator %q", k)
			}
		}
	default:
		return fmt.Errorf("unsupported value %T", v)
	}
	return nil
}

func (t *Terms) put(s, bucket string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if bucket == "" || bucket == "OR" {
		if strings.HasPrefix(s, "!") {
			if s = s[1:]; s != "" {
				t.NOT = append(t.NOT, s)
			}
			return
		}
	}
	switch bucket {
	case "AND":
		t.AND = append(t.AND, s)
	case "NOT":
		t.NOT = append(t.NOT, strings.TrimPrefix(s, "!"))
	default:
		t.OR = append(t.OR, s)
	}
}

// IsPattern reports whether a value uses MISP's % wildcard, which makes it a LIKE match.
func IsPattern(s string) bool { return strings.Contains(s, "%") }
