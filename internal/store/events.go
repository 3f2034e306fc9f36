package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// The event queries. Read paths take the access condition of package acl as a SQL text on
// the alias e (it carries no parameters); the store applies it and knows nothing of the rules.

const eventSelect = `
	SELECT e.id, e.org_id, e.date, e.info, e.user_id, e.uuid, e.published, e.analysis,
		COALESCE(e.attribute_count, 0), e.orgc_id, e.timestamp, e.distribution,
		e.sharing_group_id, e.proposal_email_lock, e.locked, e.threat_level_id,
		e.publish_timestamp, e.sighting_timestamp, e.disable_correlation,
		COALESCE(e.extends_uuid, ''), e.protected,
		COALESCE(o.name, ''), COALESCE(o.uuid, ''), COALESCE(o.local, false),
		COALESCE(c.name, ''), COALESCE(c.uuid, ''), COALESCE(c.local, false),
		COALESCE(u.email, '')
	FROM events e
	LEFT JOIN organisations o ON o.id = e.org_id
	LEFT JOIN organisations c ON c.id = e.orgc_id
	LEFT JOIN users u ON u.id = e.user_id`

func scanEvent(row interface{ Scan(...any) error }) (model.Event, error) {
	var e model.Event
	err := row.Scan(&e.ID, &e.OrgID, &e.Date, &e.Info, &e.UserID, &e.UUID, &e.Published,
		&e.Analysis, &e.AttributeCount, &e.OrgcID, &e.Timestamp, &e.Distribution,
		&e.SharingGroupID, &e.ProposalEmailLock, &e.Locked, &e.ThreatLevelID,
		&e.PublishTimestamp, &e.SightingTimestamp, &e.DisableCorrelation, &e.ExtendsUUID,
		&e.Protected, &e.Org.Name, &e.Org.UUID, &e.Org.Local, &e.Orgc.Name, &e.Orgc.UUID,
		&e.Orgc.Local, &e.CreatorEmail)
	e.Org.ID, e.Orgc.ID = e.OrgID, e.OrgcID
	e.Date = dateOnly(e.Date)
	return e, err
}

// dateOnly keeps the YYYY-MM-DD of a date column, which PostgreSQL drivers may hand back
// with a time part.
func dateOnly(s string) string {
	if len(s) > 10 {
		return s[:10]
	}
	return s
}

// EventRef names an event by id or by uuid; exactly one is set.
type EventRef struct {
	ID   int64
	UUID string
}

func (r EventRef) where(alias string) (string, any) {
	if r.UUID != "" {
		return alias + ".uuid = $1", r.UUID
	}
	return alias + ".id = $1", r.ID
}

// FindEvent returns the event ref names if it passes the access condition visible (a SQL
// condition on alias e; "true" for none), or ErrNotFound.
func FindEvent(ctx context.Context, q Querier, ref EventRef, visible string) (model.Event, error) {
	cond, arg := ref.where("e")
	e, err := scanEvent(q.QueryRowContext(ctx, eventSelect+`
	WHERE `+cond+` AND `+visible, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: find event: %w", err)
	}
	return e, nil
}

// EventIDByUUID returns the id of the event with the given uuid, or ErrNotFound.
func EventIDByUUID(ctx context.Context, q Querier, uuid string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM events WHERE uuid = $1`, uuid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: event by uuid: %w", err)
	}
	return id, nil
}

const insertEvent = `
	INSERT INTO events (org_id, date, info, user_id, uuid, published, analysis,
		attribute_count, orgc_id, timestamp, distribution, sharing_group_id,
		proposal_email_lock, locked, threat_level_id, publish_timestamp, sighting_timestamp,
		disable_correlation, extends_uuid, protected)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
		$19, $20)`

// InsertEvent stores a new event row and sets its id. A uuid already taken gives
// ErrConflict.
func InsertEvent(ctx context.Context, q Querier, e *model.Event) error {
	args := []any{e.OrgID, e.Date, e.Info, e.UserID, e.UUID, e.Published, e.Analysis,
		e.AttributeCount, e.OrgcID, e.Timestamp, e.Distribution, e.SharingGroupID,
		e.ProposalEmailLock, e.Locked, e.ThreatLevelID, e.PublishTimestamp,
		e.SightingTimestamp, e.DisableCorrelation, e.ExtendsUUID, nullBool(e.Protected)}
	var err error
	if tx, ok := q.(*Tx); ok && tx.dialect == SQLite {
		// An INSERT without RETURNING spares the reading of a row, and the goroutines
		// database/sql starts for one (see Tx.statementCtx).
		var res sql.Result
		if res, err = q.ExecContext(ctx, insertEvent, args...); err == nil {
			var id int64
			id, err = res.LastInsertId()
			e.ID = misp.StrInt(id)
		}
	} else {
		err = q.QueryRowContext(ctx, insertEvent+" RETURNING id", args...).Scan(&e.ID)
	}
	if err != nil {
		return fmt.Errorf("store: insert event: %w", uniqueErr(err))
	}
	return nil
}

const updateEvent = `
	UPDATE events SET date = $1, info = $2, published = $3, analysis = $4, timestamp = $5,
		distribution = $6, sharing_group_id = $7, proposal_email_lock = $8, locked = $9,
		threat_level_id = $10, publish_timestamp = $11, disable_correlation = $12,
		extends_uuid = $13, protected = $14
	WHERE id = $15`

// UpdateEvent writes the editable columns of e.
func UpdateEvent(ctx context.Context, q Querier, e *model.Event) error {
	res, err := q.ExecContext(ctx, updateEvent, e.Date, e.Info, e.Published, e.Analysis,
		e.Timestamp, e.Distribution, e.SharingGroupID, e.ProposalEmailLock, e.Locked,
		e.ThreatLevelID, e.PublishTimestamp, e.DisableCorrelation, e.ExtendsUUID,
		nullBool(e.Protected), e.ID)
	if err != nil {
		return fmt.Errorf("store: update event: %w", err)
	}
	return mustAffect(res)
}

// TouchEvent records a change of an event's content (Q14): the timestamp moves to ts and
// the event is unpublished.
func TouchEvent(ctx context.Context, q Querier, id, ts int64) error {
	_, err := q.ExecContext(ctx,
		`UPDATE events SET timestamp = $1, published = false WHERE id = $2`, ts, id)
	if err != nil {
		return fmt.Errorf("store: touch event: %w", err)
	}
	return nil
}

// SetEventPublished publishes (with publishTS as the publish timestamp) or unpublishes an
// event.
func SetEventPublished(ctx context.Context, q Querier, id int64, published bool,
	publishTS int64) error {
	var err error
	if published {
		_, err = q.ExecContext(ctx, `
			UPDATE events SET published = true, publish_timestamp = $1 WHERE id = $2`,
			publishTS, id)
	} else {
		_, err = q.ExecContext(ctx, `UPDATE events SET published = false WHERE id = $1`, id)
	}
	if err != nil {
		return fmt.Errorf("store: publish event: %w", err)
	}
	return nil
}

// RefreshAttributeCount sets an event's attribute_count to its number of attributes that
// are not deleted, and returns it.
func RefreshAttributeCount(ctx context.Context, q Querier, eventID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `
		UPDATE events SET attribute_count = (
			SELECT COUNT(*) FROM attributes WHERE event_id = $1 AND deleted = false)
		WHERE id = $1
		RETURNING attribute_count`, eventID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count attributes: %w", err)
	}
	return n, nil
}

// DeleteEvent removes an event and, through the foreign keys, everything inside it.
func DeleteEvent(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM events WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete event: %w", err)
	}
	return mustAffect(res)
}

// EventBlocked reports whether uuid is on the event blocklist.
func EventBlocked(ctx context.Context, q Querier, uuid string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*) FROM event_blocklists WHERE event_uuid = $1`, uuid).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: event blocklist: %w", err)
	}
	return n > 0, nil
}

// BlockEvent puts a deleted event's uuid on the event blocklist.
func BlockEvent(ctx context.Context, q Querier, e *model.Event, created, comment string) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO event_blocklists (event_uuid, created, event_info, comment, event_orgc)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (event_uuid) DO NOTHING`,
		e.UUID, created, e.Info, comment, e.Orgc.Name)
	if err != nil {
		return fmt.Errorf("store: block event: %w", err)
	}
	return nil
}

// EventFilter selects events for events/index. Empty fields do not filter. Lists match any
// of their values; the Not lists exclude.
type EventFilter struct {
	Visible string // the access condition on alias e

	IDs, NotIDs          []int64
	UUIDs                []string
	Info                 []string // substrings of info, case-insensitive, % wildcards kept
	Published            *bool
	DateFrom, DateUntil  string
	OrgcIDs, NotOrgcIDs  []int64
	TagIDs, NotTagIDs    []int64
	NoMatch              bool // a filter named something that does not exist
	Distributions        []int64
	NotDistributions     []int64
	SharingGroupIDs      []int64
	NotSharingGroupIDs   []int64
	Analysis             []int64
	NotAnalysis          []int64
	ThreatLevels         []int64
	NotThreatLevels      []int64
	CreatorEmail         string
	TimestampFrom        int64
	PublishTimestampFrom int64
	Values               []string // attribute values (value1 or value2), % wildcards kept
	AttributeVisible     string   // the access condition on aliases e, a and ao (the object)
	SearchAll            string

	Sort  string // a column of events; "" is id
	Desc  bool
	Limit int // 0: no limit
	Page  int // from 1
}

// eventSortColumns are the columns events/index may sort on.
var eventSortColumns = map[string]string{
	"id": "e.id", "date": "e.date", "info": "e.info", "timestamp": "e.timestamp",
	"publish_timestamp": "e.publish_timestamp", "attribute_count": "e.attribute_count",
	"distribution": "e.distribution", "threat_level_id": "e.threat_level_id",
	"analysis": "e.analysis", "published": "e.published", "uuid": "e.uuid",
	"org_id": "e.org_id", "orgc_id": "e.orgc_id", "org": "o.name", "orgc": "c.name",
	"sighting_timestamp": "e.sighting_timestamp",
}

// IsEventSortColumn reports whether events/index can sort on name.
func IsEventSortColumn(name string) bool { _, ok := eventSortColumns[name]; return ok }

// where builds the WHERE clause of f and its arguments.
func (f *EventFilter) where() (string, []any) {
	var b condBuilder
	b.add(f.Visible)
	if f.NoMatch {
		b.add("false")
	}
	b.inInts("e.id", f.IDs, false)
	b.inInts("e.id", f.NotIDs, true)
	if len(f.UUIDs) > 0 {
		b.add("e.uuid IN (" + b.params(toAny(f.UUIDs)) + ")")
	}
	if len(f.Info) > 0 {
		var ors []string
		for _, s := range f.Info {
			ors = append(ors, "LOWER(e.info) LIKE "+b.like("%"+strings.ToLower(s)+"%")+likeEscape)
		}
		b.add("(" + strings.Join(ors, " OR ") + ")")
	}
	if f.Published != nil {
		b.add("e.published = " + boolLiteral(*f.Published))
	}
	if f.DateFrom != "" {
		b.add("e.date >= " + b.param(f.DateFrom))
	}
	if f.DateUntil != "" {
		b.add("e.date <= " + b.param(f.DateUntil))
	}
	b.inInts("e.orgc_id", f.OrgcIDs, false)
	b.inInts("e.orgc_id", f.NotOrgcIDs, true)
	if len(f.TagIDs) > 0 {
		b.add("EXISTS (SELECT 1 FROM event_tags et WHERE et.event_id = e.id AND et.tag_id IN (" +
			ints(f.TagIDs) + "))")
	}
	if len(f.NotTagIDs) > 0 {
		b.add("NOT EXISTS (SELECT 1 FROM event_tags et WHERE et.event_id = e.id AND " +
			"et.tag_id IN (" + ints(f.NotTagIDs) + "))")
	}
	b.inInts("e.distribution", f.Distributions, false)
	b.inInts("e.distribution", f.NotDistributions, true)
	b.inInts("e.sharing_group_id", f.SharingGroupIDs, false)
	b.inInts("e.sharing_group_id", f.NotSharingGroupIDs, true)
	b.inInts("e.analysis", f.Analysis, false)
	b.inInts("e.analysis", f.NotAnalysis, true)
	b.inInts("e.threat_level_id", f.ThreatLevels, false)
	b.inInts("e.threat_level_id", f.NotThreatLevels, true)
	if f.CreatorEmail != "" {
		b.add("LOWER(u.email) LIKE " + b.like("%"+strings.ToLower(f.CreatorEmail)+"%") +
			likeEscape)
	}
	if f.TimestampFrom > 0 {
		b.add("e.timestamp >= " + b.param(f.TimestampFrom))
	}
	if f.PublishTimestampFrom > 0 {
		b.add("e.publish_timestamp >= " + b.param(f.PublishTimestampFrom))
	}
	if len(f.Values) > 0 {
		var ors []string
		for _, v := range f.Values {
			p := b.like(strings.ToLower(v)) + likeEscape
			ors = append(ors, "LOWER(a.value1) LIKE "+p+" OR LOWER(a.value2) LIKE "+p)
		}
		b.add(`EXISTS (SELECT 1 FROM attributes a LEFT JOIN objects ao ON ao.id = a.object_id
			WHERE a.event_id = e.id AND a.deleted = false AND (` + strings.Join(ors, " OR ") +
			") AND " + f.attributeVisible() + ")")
	}
	if f.SearchAll != "" {
		p := b.like("%"+strings.ToLower(f.SearchAll)+"%") + likeEscape
		b.add("(LOWER(e.info) LIKE " + p + " OR LOWER(e.uuid) LIKE " + p +
			" OR EXISTS (SELECT 1 FROM event_tags et JOIN tags t ON t.id = et.tag_id" +
			" WHERE et.event_id = e.id AND LOWER(t.name) LIKE " + p + ")" +
			" OR EXISTS (SELECT 1 FROM attributes a LEFT JOIN objects ao ON ao.id = a.object_id" +
			" WHERE a.event_id = e.id AND a.deleted = false AND (LOWER(a.value1) LIKE " + p +
			" OR LOWER(a.value2) LIKE " + p + " OR LOWER(a.comment) LIKE " + p + ") AND " +
			f.attributeVisible() + "))")
	}
	return b.where(), b.args
}

func (f *EventFilter) attributeVisible() string {
	if f.AttributeVisible == "" {
		return "true"
	}
	return f.AttributeVisible
}

// Events returns a page of the events f selects, in f's order (ascending id by default),
// and the number of events f selects in all.
func Events(ctx context.Context, q Querier, f EventFilter) ([]model.Event, int64, error) {
	where, args := f.where()
	var total int64
	err := q.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM events e LEFT JOIN users u ON u.id = e.user_id`+where,
		args...).Scan(&total)
	if err != nil {
		return nil, 0, fmt.Errorf("store: count events: %w", err)
	}

	order := "e.id"
	if col, ok := eventSortColumns[f.Sort]; ok {
		order = col
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	query := eventSelect + where + " ORDER BY " + order + dir + ", e.id" + dir
	if f.Limit > 0 {
		page := max(f.Page, 1)
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, (page-1)*f.Limit)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store: events: %w", err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// condBuilder collects the conditions and the $n arguments of a dynamic WHERE clause.
type condBuilder struct {
	conds []string
	args  []any
}

func (b *condBuilder) add(cond string) {
	if cond != "" && cond != "true" {
		b.conds = append(b.conds, cond)
	}
}

func (b *condBuilder) param(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

// likeEscape ends a LIKE whose pattern comes from a client. MISP's database, MySQL, reads
// a backslash in a pattern as an escape (`\%` is a literal %, `\\` a backslash), as
// PostgreSQL does by default and SQLite never does: saying it makes both dialects read the
// patterns as MISP does.
const likeEscape = ` ESCAPE '\'`

// like adds a client's LIKE pattern as an argument, for use before likeEscape. A lone
// backslash at its end is made literal, as MySQL reads it: PostgreSQL refuses a pattern
// that ends with its escape character.
func (b *condBuilder) like(pattern string) string {
	if n := len(pattern) - len(strings.TrimRight(pattern, `\`)); n%2 == 1 {
		pattern += `\`
	}
	return b.param(pattern)
}

func (b *condBuilder) params(vs []any) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = b.param(v)
	}
	return strings.Join(ps, ", ")
}

// inInts adds col IN (ids), or NOT IN when not; ids are written into the text.
func (b *condBuilder) inInts(col string, ids []int64, not bool) {
	if len(ids) == 0 {
		return
	}
	op := " IN ("
	if not {
		op = " NOT IN ("
	}
	b.add(col + op + ints(ids) + ")")
}

func (b *condBuilder) where() string {
	if len(b.conds) == 0 {
		return ""
	}
	return "\n\tWHERE " + strings.Join(b.conds, "\n\tAND ")
}

// ints writes integers as a SQL list.
func ints(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprint(id)
	}
	return strings.Join(parts, ", ")
}

func toAny[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func boolLiteral(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// nullMicros reads a nullable first_seen/last_seen column into a misp.Micros (0 for NULL).
type nullMicros struct{ p *misp.Micros }

func (n nullMicros) Scan(src any) error {
	var v sql.NullInt64
	if err := v.Scan(src); err != nil {
		return err
	}
	*n.p = misp.Micros(v.Int64)
	return nil
}

// microsArg writes a misp.Micros as its column value: NULL for 0.
func microsArg(m misp.Micros) any {
	if m == 0 {
		return nil
	}
	return int64(m)
}

// nullBool writes a nullable flag: NULL for nil.
func nullBool(b *misp.Bool) any {
	if b == nil {
		return nil
	}
	return bool(*b)
}
