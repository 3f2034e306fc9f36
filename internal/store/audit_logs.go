package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/search"
)

// Reading the audit log. One table, audit_logs, answers both of MISP's log indexes: the
// legacy Log view, whose title, description, email and org are worked out here from the
// row, its user and its organisation, and the AuditLog view.

// AuditEntry is a row of audit_logs with its user and its organisation, as the indexes read
// it. The nullable columns are nil when NULL; Title and Description are the legacy Log's.
type AuditEntry struct {
	ID, UserID, OrgID, AuthkeyID, ModelID, RequestType int64
	EventID                                            *int64
	Created, Action, Model                             string
	ModelTitle, IP, RequestID                          *string
	Change                                             []byte
	Title, Description                                 string
	// UserFound says whether the user exists; UserEmail and UserOrgID are its.
	UserFound bool
	UserEmail string
	UserOrgID int64
	// OrgFound says whether the organisation exists; OrgName and OrgUUID are its.
	OrgFound         bool
	OrgName, OrgUUID string
}

// AuditSearch selects rows of audit_logs.
type AuditSearch struct {
	// P holds the filters and the paging; nil is no filter and no limit.
	P *search.LogParams
	// Legacy reads the filters of P as admin/logs/index names them (search.LogFilters),
	// against the legacy Log view; otherwise as admin/audit_logs/index does.
	Legacy bool
	// OrgID, when not 0, keeps the changes made by members of that organisation.
	OrgID int64
	// EventID, when not 0, keeps the changes of that event. With Parts, only the rows of
	// the event itself and of the parts that Parts lets through are kept.
	EventID int64
	Parts   *EventParts
	// NewestFirst orders the rows by descending id; otherwise they come oldest first.
	NewestFirst bool
}

// EventParts are the SQL conditions under which a reader sees the parts of an event in its
// history: Attribute over attributes a (with the event e and the attribute's object o,
// LEFT JOINed), Object over objects o with e, Report over event_reports r with e.
type EventParts struct{ Attribute, Object, Report string }

// auditChunk is how many rows one query of SearchAudit reads.
const auditChunk = 1000

// The legacy Log's computed columns, the same text in the answer and in the filters.
const (
	auditTitle = `(l.model || ' (' || CAST(l.model_id AS TEXT) || ')' ||
		CASE WHEN l.model <> 'Event' AND COALESCE(l.event_id, 0) <> 0
			THEN ' from Event (' || CAST(l.event_id AS TEXT) || ')' ELSE '' END ||
		': ' || COALESCE(l.model_title, ''))`
	auditDescription = `(l.model || ' "' || COALESCE(l.model_title, '') || '" (' ||
		CAST(l.model_id AS TEXT) || ') ' ||
		CASE l.action WHEN 'add' THEN 'added' WHEN 'edit' THEN 'updated'
			WHEN 'delete' THEN 'deleted' WHEN 'soft-delete' THEN 'soft-deleted'
			WHEN 'restore' THEN 'restored' WHEN 'publish' THEN 'published'
			WHEN 'unpublish' THEN 'unpublished' WHEN 'tag' THEN 'tagged'
			WHEN 'untag' THEN 'untagged' ELSE l.action END)`
)

const auditColumns = `l.id, l.user_id, l.org_id, COALESCE(l.authkey_id, 0), l.model_id,
	l.request_type, l.event_id, l.created, l.action, l.model, l.model_title, l.ip,
	l.request_id, l.change, ` + auditTitle + `, ` + auditDescription + `,
	COALESCE(u.id, 0), COALESCE(u.email, ''), COALESCE(u.org_id, 0),
	COALESCE(org.id, 0), COALESCE(org.name, ''), COALESCE(org.uuid, '')`

const auditFrom = `
	FROM audit_logs l
	LEFT JOIN users u ON u.id = l.user_id
	LEFT JOIN organisations org ON org.id = l.org_id`

// SearchAudit calls fn with each row that s selects, in id order. The rows are read in
// chunks by id, so that neither the database nor fn holds more than a chunk at a time
// whatever the size of the log.
func SearchAudit(ctx context.Context, q Querier, s AuditSearch, fn func(*AuditEntry) error) error {
	b, err := s.where(q)
	if err != nil {
		return err
	}
	remaining, offset := int64(-1), int64(0)
	if s.P != nil && s.P.Limit > 0 {
		remaining = s.P.Limit
		offset = (max(s.P.Page, 1) - 1) * s.P.Limit
	}
	order, after := " ORDER BY l.id", " > "
	if s.NewestFirst {
		order, after = " ORDER BY l.id DESC", " < "
	}
	var last int64
	for first := true; remaining != 0; first = false {
		kb := condBuilder{conds: slices.Clone(b.conds), args: slices.Clone(b.args)}
		if !first {
			kb.add("l.id" + after + kb.param(last))
		}
		n := int64(auditChunk)
		if remaining > 0 {
			n = min(n, remaining)
		}
		page := fmt.Sprintf(" LIMIT %d", n)
		if first && offset > 0 {
			page += fmt.Sprintf(" OFFSET %d", offset)
		}
		chunk, err := readAudit(ctx, q, `SELECT `+auditColumns+auditFrom+kb.where()+order+page,
			kb.args)
		if err != nil {
			return err
		}
		for i := range chunk {
			if err := fn(&chunk[i]); err != nil {
				return err
			}
		}
		if int64(len(chunk)) < n {
			return nil
		}
		last = chunk[len(chunk)-1].ID
		if remaining > 0 {
			remaining -= int64(len(chunk))
		}
	}
	return nil
}

func readAudit(ctx context.Context, q Querier, query string, args []any) ([]AuditEntry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var userID, orgID int64
		err := rows.Scan(&e.ID, &e.UserID, &e.OrgID, &e.AuthkeyID, &e.ModelID, &e.RequestType,
			&e.EventID, &e.Created, &e.Action, &e.Model, &e.ModelTitle, &e.IP, &e.RequestID,
			&e.Change, &e.Title, &e.Description, &userID, &e.UserEmail, &e.UserOrgID, &orgID,
			&e.OrgName, &e.OrgUUID)
		if err != nil {
			return nil, fmt.Errorf("store: search audit log: %w", err)
		}
		e.UserFound, e.OrgFound = userID != 0, orgID != 0
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search audit log: %w", err)
	}
	return out, nil
}

func (s *AuditSearch) where(q Querier) (*condBuilder, error) {
	b := &condBuilder{}
	if s.OrgID != 0 {
		b.add("l.org_id = " + b.param(s.OrgID))
	}
	if s.EventID != 0 {
		b.add("l.event_id = " + b.param(s.EventID))
		if s.Parts != nil {
			b.add(s.Parts.condition(s.EventID))
		}
	}
	if s.P == nil {
		return b, nil
	}
	if r := s.P.Created; r != nil {
		if r.From != 0 {
			b.add("l.created >= " + b.param(auditTime(r.From)))
		}
		if r.To != 0 {
			b.add("l.created <= " + b.param(auditTime(r.To)))
		}
	}
	filters := auditFilters
	if s.Legacy {
		var err error
		if filters, err = legacyFilters(q); err != nil {
			return nil, err
		}
	}
	for name, values := range s.P.Filters {
		match, ok := filters[name]
		if !ok {
			continue
		}
		alts := make([]string, 0, len(values))
		for _, v := range values {
			alts = append(alts, match(b, v))
		}
		b.add("(" + strings.Join(alts, " OR ") + ")")
	}
	return b, nil
}

// condition keeps the rows of event id itself and of the parts that the conditions let
// through. The parts are found by their event first, through the indexes on event_id.
func (p *EventParts) condition(id int64) string {
	ev := strconv.FormatInt(id, 10)
	return `(l.model IN ('Event', 'EventTag')
		OR (l.model IN ('Attribute', 'AttributeTag') AND l.model_id IN (
			SELECT a.id FROM attributes a
			JOIN events e ON e.id = a.event_id
			LEFT JOIN objects o ON o.id = a.object_id
			WHERE a.event_id = ` + ev + ` AND ` + p.Attribute + `))
		OR (l.model = 'Object' AND l.model_id IN (
			SELECT o.id FROM objects o
			JOIN events e ON e.id = o.event_id
			WHERE o.event_id = ` + ev + ` AND ` + p.Object + `))
		OR (l.model = 'ObjectReference' AND l.model_id IN (
			SELECT r.id FROM object_references r
			JOIN objects o ON o.id = r.object_id
			JOIN events e ON e.id = o.event_id
			WHERE r.event_id = ` + ev + ` AND ` + p.Object + `))
		OR (l.model = 'EventReport' AND l.model_id IN (
			SELECT r.id FROM event_reports r
			JOIN events e ON e.id = r.event_id
			WHERE r.event_id = ` + ev + ` AND ` + p.Report + `)))`
}

// auditTime writes Unix seconds as audit_logs.created is stored.
func auditTime(unix int64) string {
	return time.Unix(unix, 0).UTC().Format("2006-01-02 15:04:05")
}

// matcher returns the SQL test of one value of a filter.
type matcher func(b *condBuilder, v string) string

// auditFilters are the filters of admin/audit_logs/index.
var auditFilters = map[string]matcher{
	"ip":           exact("COALESCE(l.ip, '')"),
	"request_id":   exact("COALESCE(l.request_id, '')"),
	"action":       exact("l.action"),
	"authkey_id":   number("COALESCE(l.authkey_id, 0)"),
	"model_id":     number("l.model_id"),
	"event_id":     number("COALESCE(l.event_id, 0)"),
	"request_type": number("l.request_type"),
	"model_title": func(b *condBuilder, v string) string {
		return "LOWER(COALESCE(l.model_title, '')) LIKE LOWER(" + b.param("%"+v+"%") + ")"
	},
	// "Attribute:12" names a model and an id at once.
	"model": func(b *condBuilder, v string) string {
		name, id, ok := strings.Cut(v, ":")
		if !ok {
			return "l.model = " + b.param(v)
		}
		return "(l.model = " + b.param(name) + " AND " + number("l.model_id")(b, id) + ")"
	},
	// A user is SYSTEM (changes without one), an id or an email address.
	"user": func(b *condBuilder, v string) string {
		if strings.EqualFold(v, "SYSTEM") {
			return "l.user_id = 0"
		}
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return number("l.user_id")(b, v)
		}
		return "l.user_id IN (SELECT id FROM users WHERE LOWER(email) = LOWER(" + b.param(v) + "))"
	},
	// An organisation is an id, a name or a uuid.
	"org": func(b *condBuilder, v string) string {
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return number("l.org_id")(b, v)
		}
		p := b.param(v)
		return "l.org_id IN (SELECT id FROM organisations WHERE name = " + p +
			" OR uuid = LOWER(" + p + "))"
	},
}

// legacyFilters are the filters of admin/logs/index, over the legacy Log view: a value that
// starts or ends with % is a pattern matched regardless of case, any other an exact value.
//
// note: the legacy change text ("field (old) => (new), ...") is written from the JSON of
// the row when it is read; the change filter looks for its value, without the %s, inside
// that JSON, so that it runs in the database and pages with the rest.
func legacyFilters(q Querier) (map[string]matcher, error) {
	d, ok := q.(interface{ Dialect() Dialect })
	if !ok {
		return nil, fmt.Errorf("store: %T has no SQL dialect", q)
	}
	changeText := "CAST(l.change AS TEXT)"
	if d.Dialect() == Postgres {
		changeText = "convert_from(l.change, 'UTF8')"
	}
	return map[string]matcher{
		"id":          number("l.id"),
		"model_id":    number("l.model_id"),
		"user_id":     number("l.user_id"),
		"title":       pattern(auditTitle),
		"model":       pattern("l.model"),
		"action":      pattern("l.action"),
		"email":       pattern("COALESCE(u.email, '')"),
		"org":         pattern("COALESCE(org.name, '')"),
		"description": pattern(auditDescription),
		"ip":          pattern("COALESCE(l.ip, '')"),
		"change": func(b *condBuilder, v string) string {
			return "LOWER(COALESCE(" + changeText + ", '')) LIKE LOWER(" +
				b.param("%"+strings.Trim(v, "%")+"%") + ")"
		},
	}, nil
}

func exact(col string) matcher {
	return func(b *condBuilder, v string) string { return col + " = " + b.param(v) }
}

// number matches an integer column: a value that starts or ends with % is a pattern
// matched against its digits, and any other value that is not an integer matches nothing.
func number(col string) matcher {
	return func(b *condBuilder, v string) string {
		if strings.HasPrefix(v, "%") || strings.HasSuffix(v, "%") {
			return "CAST(" + col + " AS TEXT) LIKE " + b.param(v)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "false"
		}
		return col + " = " + b.param(n)
	}
}

// pattern matches a text column exactly, or as a LIKE pattern regardless of case when the
// value starts or ends with %.
func pattern(col string) matcher {
	return func(b *condBuilder, v string) string {
		if strings.HasPrefix(v, "%") || strings.HasSuffix(v, "%") {
			return "LOWER(" + col + ") LIKE LOWER(" + b.param(v) + ")"
		}
		return col + " = " + b.param(v)
	}
}
