package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
)

// AttributeSearch is an attributes/restSearch compiled against the reader's rights.
type AttributeSearch struct {
	P *search.Params
	// Visible is the reader's access condition on aliases e, a and o (acl.AttributeCondition).
	Visible string
	// OrgID and SiteAdmin decide who sees deleted attributes: site admins everywhere,
	// others in their own organisation's events only.
	OrgID     int64
	SiteAdmin bool
	Dialect   Dialect
}

// EventStub is the event block each attribute of a restSearch carries.
type EventStub struct {
	OrgID            int64
	Distribution     int64
	PublishTimestamp int64
	ID               int64
	Info             string
	OrgcID           int64
	UUID             string
	// For includeContext.
	Date           string
	ThreatLevelID  int64
	Published      bool
	Analysis       int64
	Timestamp      int64
	SharingGroupID int64
	ExtendsUUID    string
}

// manyValues is the length above which a value list travels as one JSON parameter.
const manyValues = 50

// where compiles the filters into conditions on aliases a (attributes), e (events) and o
// (objects, LEFT JOINed).
func (s *AttributeSearch) where() (string, []any) {
	p := s.P
	var b condBuilder
	b.add(s.Visible)
	if p.MatchNothing {
		b.add("false")
	}

	s.valueTerms(&b, p.Value, "a.value1", "a.value2")
	s.valueTerms(&b, p.Value1, "a.value1")
	s.valueTerms(&b, p.Value2, "a.value2")
	s.valueTerms(&b, typeTerms(p.Type), "a.type")
	s.valueTerms(&b, p.Category, "a.category")
	s.valueTerms(&b, p.ObjectRelation, "a.object_relation")
	s.valueTerms(&b, p.Comment, "a.comment")
	s.valueTerms(&b, p.EventInfo, "e.info")
	s.intTerms(&b, p.ThreatLevel, "e.threat_level_id")
	s.intTerms(&b, p.Distribution, "a.distribution")
	// MISP matches an attribute on its own sharing group or on its event's, so that the
	// attributes that inherit an event's sharing group are found with it.
	s.intTerms(&b, p.SharingGroup, "e.sharing_group_id", "a.sharing_group_id")
	s.intTerms(&b, p.Analysis, "e.analysis")
	s.idOrUUIDTerms(&b, p.EventID, "a.event_id", "e.uuid")
	s.uuidTerms(&b, p.UUID)
	s.orgTerms(&b, p.Org)
	s.tagTerms(&b, p.Tags, true)
	s.tagTerms(&b, p.EventTags, false)

	if p.From != "" {
		b.add("e.date >= " + b.param(p.From))
	}
	if p.To != "" {
		b.add("e.date <= " + b.param(p.To))
	}
	if p.Last != 0 {
		b.add("e.publish_timestamp >= " + b.param(p.Last))
	}
	rangeCond(&b, "a.timestamp", p.Timestamp)
	rangeCond(&b, "a.timestamp", p.AttributeTimestamp)
	rangeCond(&b, "e.timestamp", p.EventTimestamp)
	rangeCond(&b, "e.publish_timestamp", p.PublishTimestamp)
	if p.FirstSeen != nil && p.FirstSeen.From != 0 {
		b.add("a.first_seen >= " + b.param(p.FirstSeen.From))
	}
	if p.LastSeen != nil && p.LastSeen.From != 0 {
		b.add("a.last_seen <= " + b.param(p.LastSeen.From))
	}
	if p.Published != nil {
		b.add("e.published = " + boolLiteral(*p.Published))
	}
	if p.ToIDs != nil {
		b.add("a.to_ids = " + boolLiteral(*p.ToIDs))
	}
	switch p.Deleted {
	case search.LiveOnly:
		b.add("a.deleted = false")
	case search.DeletedOnly:
		b.add("a.deleted = true")
	}
	if p.Deleted != search.LiveOnly && !s.SiteAdmin {
		b.add("(a.deleted = false OR e.org_id = " + strconv.FormatInt(s.OrgID, 10) + ")")
	}
	if p.SearchAll != "" {
		arg := b.like("%" + strings.Trim(p.SearchAll, "%") + "%")
		like := "LOWER(" + arg + ")" + likeEscape
		b.add("(LOWER(a.value1) LIKE " + like + " OR LOWER(a.value2) LIKE " + like +
			" OR LOWER(a.comment) LIKE " + like + " OR LOWER(e.info) LIKE " + like +
			" OR a.uuid = LOWER(" + arg + "))")
	}
	return b.where(), b.args
}

// typeTerms widens email-src and email-dst to email, as MISP's search does.
func typeTerms(t search.Terms) search.Terms {
	for _, v := range t.OR {
		if v == "email-src" || v == "email-dst" {
			t.OR = append(t.OR[:len(t.OR):len(t.OR)], "email")
			break
		}
	}
	return t
}

// matchAny returns the condition that one of cols matches one of values: exact values with
// IN (one JSON parameter for long lists), patterns with a case-insensitive LIKE.
func (s *AttributeSearch) matchAny(b *condBuilder, values []string, cols ...string) string {
	var exact, patterns []string
	for _, v := range values {
		if search.IsPattern(v) {
			patterns = append(patterns, v)
		} else {
			exact = append(exact, v)
		}
	}
	var ors []string
	if len(exact) > 0 {
		list := s.inList(b, exact)
		for _, c := range cols {
			if c == "a.value2" {
				// value2's index leaves out the empty second parts: saying so lets the
				// planner use it.
				ors = append(ors, "(a.value2 IN ("+list+") AND a.value2 <> '')")
				continue
			}
			ors = append(ors, c+" IN ("+list+")")
		}
	}
	for _, pat := range patterns {
		ph := b.like(pat)
		for _, c := range cols {
			ors = append(ors, "LOWER("+c+") LIKE LOWER("+ph+")"+likeEscape)
		}
	}
	if len(ors) == 0 {
		return "false"
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// inList returns the inside of an IN (...) for values: placeholders, or for long lists a
// subquery over one JSON array parameter.
func (s *AttributeSearch) inList(b *condBuilder, values []string) string {
	if len(values) <= manyValues {
		return b.params(toAny(values))
	}
	raw, _ := json.Marshal(values)
	ph := b.param(string(raw))
	if s.Dialect == Postgres {
		return "SELECT jsonb_array_elements_text(" + ph + "::jsonb)"
	}
	return "SELECT value FROM json_each(" + ph + ")"
}

func (s *AttributeSearch) valueTerms(b *condBuilder, t search.Terms, cols ...string) {
	if len(t.OR) > 0 {
		b.add(s.matchAny(b, t.OR, cols...))
	}
	for _, v := range t.AND {
		b.add(s.matchAny(b, []string{v}, cols...))
	}
	if len(t.NOT) > 0 {
		b.add("NOT " + s.matchAny(b, t.NOT, cols...))
	}
}

// intTerms filters on integer columns: one of cols in the OR values, and none of cols in
// the NOT values.
func (s *AttributeSearch) intTerms(b *condBuilder, t search.Terms, cols ...string) {
	parse := func(vs []string) []int64 {
		var out []int64
		for _, v := range vs {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				out = append(out, n)
			}
		}
		return out
	}
	if len(t.OR) > 0 {
		ids := parse(t.OR)
		if len(ids) == 0 {
			b.add("false")
		}
		var either condBuilder
		for _, col := range cols {
			either.inInts(col, ids, false)
		}
		if len(either.conds) > 0 {
			b.add("(" + strings.Join(either.conds, " OR ") + ")")
		}
	}
	for _, col := range cols {
		b.inInts(col, parse(t.NOT), true)
	}
}

// idOrUUIDTerms filters on ids or uuids given together.
func (s *AttributeSearch) idOrUUIDTerms(b *condBuilder, t search.Terms, idCol, uuidCol string) {
	split := func(vs []string) (ids []int64, uuids []string) {
		for _, v := range vs {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				ids = append(ids, n)
			} else {
				uuids = append(uuids, strings.ToLower(v))
			}
		}
		return ids, uuids
	}
	cond := func(vs []string) string {
		ids, uuids := split(vs)
		var ors []string
		if len(ids) > 0 {
			ors = append(ors, idCol+" IN ("+ints(ids)+")")
		}
		if len(uuids) > 0 {
			ors = append(ors, uuidCol+" IN ("+s.inList(b, uuids)+")")
		}
		if len(ors) == 0 {
			return "false"
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
	if len(t.OR) > 0 {
		b.add(cond(t.OR))
	}
	if len(t.NOT) > 0 {
		b.add("NOT " + cond(t.NOT))
	}
}

// uuidTerms matches the attribute's uuid or its event's.
func (s *AttributeSearch) uuidTerms(b *condBuilder, t search.Terms) {
	lower := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = strings.ToLower(v)
		}
		return out
	}
	if len(t.OR) > 0 {
		list := s.inList(b, lower(t.OR))
		b.add("(a.uuid IN (" + list + ") OR e.uuid IN (" + list + "))")
	}
	if len(t.NOT) > 0 {
		list := s.inList(b, lower(t.NOT))
		b.add("NOT (a.uuid IN (" + list + ") OR e.uuid IN (" + list + "))")
	}
}

// orgTerms matches the event's creator organisation by id, name or uuid.
func (s *AttributeSearch) orgTerms(b *condBuilder, t search.Terms) {
	cond := func(v string) string {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return "e.orgc_id = " + strconv.FormatInt(n, 10)
		}
		ph := b.param(v)
		return "e.orgc_id IN (SELECT id FROM organisations WHERE name = " + ph +
			" OR uuid = LOWER(" + ph + "))"
	}
	var ors []string
	for _, v := range t.OR {
		ors = append(ors, cond(v))
	}
	if len(ors) > 0 {
		b.add("(" + strings.Join(ors, " OR ") + ")")
	}
	for _, v := range t.NOT {
		b.add("NOT " + cond(v))
	}
}

// tagMatch is the condition on alias t that a tag is v: an id, or a name compared as MISP's
// LIKE does (case-insensitive, % wildcards).
func tagMatch(b *condBuilder, v string) string {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return "t.id = " + strconv.FormatInt(n, 10)
	}
	return "LOWER(t.name) LIKE LOWER(" + b.like(v) + ")" + likeEscape
}

func eventHasTag(cond string) string {
	return "EXISTS (SELECT 1 FROM event_tags et JOIN tags t ON t.id = et.tag_id" +
		" WHERE et.event_id = a.event_id AND " + cond + ")"
}

func attributeHasTag(cond string) string {
	return "EXISTS (SELECT 1 FROM attribute_tags at JOIN tags t ON t.id = at.tag_id" +
		" WHERE at.attribute_id = a.id AND " + cond + ")"
}

// tagTerms applies MISP's tag filter: OR (the event or the attribute carries one), AND (each
// on the event or the attribute), NOT (neither the event nor the attribute carries it).
// withAttribute false limits the filter to event tags (event_tags).
func (s *AttributeSearch) tagTerms(b *condBuilder, t search.Terms, withAttribute bool) {
	either := func(cond string) string {
		if !withAttribute {
			return eventHasTag(cond)
		}
		return "(" + eventHasTag(cond) + " OR " + attributeHasTag(cond) + ")"
	}
	if len(t.OR) > 0 {
		var ors []string
		for _, v := range t.OR {
			ors = append(ors, tagMatch(b, v))
		}
		b.add(either("(" + strings.Join(ors, " OR ") + ")"))
	}
	for _, v := range t.AND {
		b.add(either(tagMatch(b, v)))
	}
	for _, v := range t.NOT {
		b.add("NOT " + either(tagMatch(b, v)))
	}
}

func rangeCond(b *condBuilder, col string, r *search.Range) {
	if r == nil {
		return
	}
	if r.From != 0 {
		b.add(col + " >= " + b.param(r.From))
	}
	if r.To != 0 {
		b.add(col + " <= " + b.param(r.To))
	}
}

var (
	usesEvent  = regexp.MustCompile(`\be\.`)
	usesObject = regexp.MustCompile(`\bo\.`)
)

// fromFor returns the FROM clause that a search's conditions need: the joins with events and
// objects cost a lookup for every attribute read, and a site admin's search without event
// filters needs neither.
func fromFor(where string) string {
	from := "\n\tFROM attributes a"
	if usesEvent.MatchString(where) {
		from += "\n\tJOIN events e ON e.id = a.event_id"
	}
	if usesObject.MatchString(where) {
		from += "\n\tLEFT JOIN objects o ON o.id = a.object_id"
	}
	return from
}

// CountAttributes returns how many attributes the search selects, within its limit and page.
func CountAttributes(ctx context.Context, q Querier, s AttributeSearch) (int64, error) {
	where, args := s.where()
	query := `SELECT COUNT(*) FROM (SELECT a.id` + fromFor(where) + where + s.page() + `) x`
	var n int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count attributes: %w", err)
	}
	return n, nil
}

func (s *AttributeSearch) page() string {
	if s.P.Limit <= 0 {
		return ""
	}
	page := max(s.P.Page, 1)
	return fmt.Sprintf(" ORDER BY a.id LIMIT %d OFFSET %d", s.P.Limit, (page-1)*s.P.Limit)
}

// searchChunk is how many rows SearchAttributes reads per query.
const searchChunk = 1000

// SearchAttributes calls fn with each attribute the search selects, in id order, with its
// event stub. Rows are read a chunk at a time (keyset pagination on the attribute id), and
// each chunk's result set is closed before fn runs: fn may query the database, and a
// request never holds a connection while it waits for another, which under many
// concurrent searches would starve the pool. The values passed to fn are reused for the
// next row.
//
// Outside a transaction, the next chunk is read while fn handles the current one, so that
// a large export keeps two cores busy: one reading, one encoding.
func SearchAttributes(ctx context.Context, q Querier, s AttributeSearch,
	fn func(*model.Attribute, *EventStub) error) error {
	where, args := s.where()
	remaining, offset := int64(-1), int64(0)
	if s.P.Limit > 0 {
		remaining = int64(s.P.Limit)
		offset = int64(max(s.P.Page, 1)-1) * int64(s.P.Limit)
	}
	cond := fmt.Sprintf("a.id > $%d", len(args)+1)
	if where == "" {
		cond = "\n\tWHERE " + cond
	} else {
		cond = where + " AND " + cond
	}
	from := fromFor(where)
	query := `SELECT ` + attributeColumns + from + cond +
		fmt.Sprintf(" ORDER BY a.id LIMIT $%d OFFSET $%d", len(args)+2, len(args)+3)
	// On SQLite every chunk runs the same statement, prepared once: the driver would parse
	// it again for each chunk. PostgreSQL's driver keeps its statements already, and a
	// generic plan there would not see how small the limit is, so it gets the literals.
	var stmt preparedQuery = unprepared{q, query}
	if s.Dialect == SQLite {
		var err error
		if stmt, err = prepare(ctx, q, query); err != nil {
			return fmt.Errorf("store: search attributes: %w", err)
		}
		defer stmt.Close()
	}
	// read reads the chunk of at most n attributes after the id after into out.
	read := func(ctx context.Context, after, n, offset int64, out *[]model.Attribute) error {
		*out = (*out)[:0]
		chunkArgs := append(args[:len(args):len(args)], after, n, offset)
		st := stmt
		if s.Dialect != SQLite {
			st = unprepared{q, `SELECT ` + attributeColumns + from + cond +
				fmt.Sprintf(" ORDER BY a.id LIMIT %d OFFSET %d", n, offset)}
			chunkArgs = chunkArgs[:len(args)+1]
		}
		return readAttributes(ctx, st, chunkArgs, out)
	}
	// A transaction is one connection, which cannot serve two statements at once.
	_, prefetch := q.(*DB)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type fetched struct {
		chunk []model.Attribute
		err   error
	}
	var pending chan fetched // the read of the next chunk, when one runs
	defer func() {
		if pending != nil {
			cancel()
			<-pending
		}
	}()

	stubs := map[int64]*EventStub{}
	chunk := make([]model.Attribute, 0, searchChunk)
	spare := make([]model.Attribute, 0, searchChunk)
	n := chunkSize(remaining)
	if err := read(ctx, 0, n, offset, &chunk); err != nil {
		return err
	}
	for {
		// A request that ended (its client went away) stops at the next chunk.
		if err := ctx.Err(); err != nil {
			return err
		}
		full := int64(len(chunk)) == n
		if remaining > 0 {
			remaining -= int64(len(chunk))
		}
		next := chunkSize(remaining)
		more := full && remaining != 0
		var after int64 // where the next chunk starts; the offset of a page applied once
		if more {
			after = int64(chunk[len(chunk)-1].ID)
		}
		if more && prefetch {
			pending = make(chan fetched, 1)
			out := spare
			go func() {
				err := read(ctx, after, next, 0, &out)
				pending <- fetched{out, err}
			}()
		}
		for i := range chunk {
			a := &chunk[i]
			ev, ok := stubs[int64(a.EventID)]
			if !ok {
				if len(stubs) >= 4096 {
					clear(stubs)
				}
				var err error
				if ev, err = eventStub(ctx, q, int64(a.EventID)); err != nil {
					return err
				}
				stubs[int64(a.EventID)] = ev
			}
			if err := fn(a, ev); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		chunk, spare = spare, chunk
		if pending != nil {
			f := <-pending
			pending = nil
			if f.err != nil {
				return f.err
			}
			chunk = f.chunk
		} else if err := read(ctx, after, next, 0, &chunk); err != nil {
			return err
		}
		n = next
	}
}

// chunkSize is how many rows the next chunk of a search reads, with remaining rows left to
// return (-1 for no limit).
func chunkSize(remaining int64) int64 {
	if remaining > 0 && remaining < searchChunk {
		return remaining
	}
	return searchChunk
}

// readAttributes appends the attributes a query returns to out, and closes its rows.
func readAttributes(ctx context.Context, stmt preparedQuery, args []any,
	out *[]model.Attribute) error {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("store: search attributes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a model.Attribute
		if err := scanAttribute(rows, &a); err != nil {
			return fmt.Errorf("store: search attributes: %w", err)
		}
		*out = append(*out, a)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: search attributes: %w", err)
	}
	return nil
}

// eventStub reads the event block of an attribute of a restSearch.
func eventStub(ctx context.Context, q Querier, id int64) (*EventStub, error) {
	ev := &EventStub{ID: id}
	var published misp.Bool
	err := q.QueryRowContext(ctx, `
		SELECT org_id, distribution, publish_timestamp, info, orgc_id, uuid, date,
			threat_level_id, published, analysis, timestamp, sharing_group_id,
			COALESCE(extends_uuid, '')
		FROM events WHERE id = $1`, id).Scan(&ev.OrgID, &ev.Distribution,
		&ev.PublishTimestamp, &ev.Info, &ev.OrgcID, &ev.UUID, &ev.Date, &ev.ThreatLevelID,
		&published, &ev.Analysis, &ev.Timestamp, &ev.SharingGroupID, &ev.ExtendsUUID)
	if err != nil {
		return nil, fmt.Errorf("store: search attributes: event %d: %w", id, err)
	}
	ev.Published, ev.Date = bool(published), dateOnly(ev.Date)
	return ev, nil
}

// AttributeTagsOf returns the tags of the given attributes, by attribute id, in link order;
// withLocal includes local tags.
func AttributeTagsOf(ctx context.Context, q Querier, ids []int64, withLocal bool) (
	map[int64][]model.AttachedTag, error) {
	out := map[int64][]model.AttachedTag{}
	if len(ids) == 0 {
		return out, nil
	}
	err := attributeTagsWhere(ctx, q, `at.attribute_id IN (`+ints(ids)+`)`, nil,
		withLocal, func(id int64, t model.AttachedTag) { out[id] = append(out[id], t) })
	return out, err
}

// preparedQuery is a statement run many times with different arguments.
type preparedQuery interface {
	QueryContext(ctx context.Context, args ...any) (*sql.Rows, error)
	Close() error
}

// prepare prepares query on q when q can (a *DB or a *Tx), and otherwise stands for a
// statement that q runs each time.
func prepare(ctx context.Context, q Querier, query string) (preparedQuery, error) {
	switch q := q.(type) {
	case *DB:
		return q.sql.PrepareContext(ctx, query)
	case *Tx:
		return q.tx.PrepareContext(ctx, query)
	}
	return unprepared{q, query}, nil
}

type unprepared struct {
	q     Querier
	query string
}

func (u unprepared) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return u.q.QueryContext(ctx, u.query, args...)
}

func (u unprepared) Close() error { return nil }
