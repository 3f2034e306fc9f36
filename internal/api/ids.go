package api

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// idOrUUID reads a path parameter that MISP accepts as a numeric id or a UUID. Exactly one
// of the results is set when ok.
func idOrUUID(s string) (id int64, uid string, ok bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, "", true
	}
	if u, err := uuid.Parse(s); err == nil && len(s) == 36 {
		return 0, u.String(), true
	}
	return 0, "", false
}

// pathInt reads a positive integer path parameter.
func pathInt(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil && n > 0
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
