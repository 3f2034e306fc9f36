package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
)

// ObjectSearch is an objects/restSearch compiled against the reader's rights, with MISP's
// split of the filters: object_name, object_template_uuid, object_template_version,
// first_seen, last_seen and deleted apply to the object; eventid, eventinfo, from, to, date,
// last, timestamp, event_timestamp, publish_timestamp, org and published to its event; and
// each of value, value1, value2, type, category, object_relation, comment, to_ids and
// attribute_timestamp selects the objects that hold a visible attribute passing it (each
// filter on its own, as MISP builds one subquery per filter). tags and uuid match the
// object, its event or one of its visible attributes.
type ObjectSearch struct {
	P *search.Params
	// ObjectVisible is the reader's access condition on aliases e and o
	// (acl.ObjectCondition).
	ObjectVisible string
	// AttributeVisible is the reader's access condition on aliases e, a and o
	// (acl.AttributeCondition).
	AttributeVisible string
	// OrgID and SiteAdmin decide who sees deleted objects and attributes: site admins
	// everywhere, others in their own organisation's events only.
	OrgID     int64
	SiteAdmin bool
	Dialect   Dialect
}

const objectSearchFrom = `
	FROM objects o
	JOIN events e ON e.id = o.event_id`

// where compiles the search into conditions on aliases o and e.
func (s *ObjectSearch) where() (string, []any) {
	p := s.P
	var b condBuilder
	as := &AttributeSearch{Dialect: s.Dialect}
	b.add(s.ObjectVisible)
	if p.MatchNothing {
		b.add("false")
	}

	as.valueTerms(&b, p.ObjectName, "o.name")
	as.valueTerms(&b, p.ObjectTemplateUUID, "o.template_uuid")
	as.intTerms(&b, p.ObjectTemplateVersion, "o.template_version")
	seenCond(&b, "o.first_seen", p.FirstSeen, true)
	seenCond(&b, "o.last_seen", p.LastSeen, false)
	switch p.Deleted {
	case search.LiveOnly:
		b.add("o.deleted = false")
	case search.DeletedOnly:
		b.add("o.deleted = true")
	}
	if p.Deleted != search.LiveOnly && !s.SiteAdmin {
		b.add("(o.deleted = false OR e.org_id = " + strconv.FormatInt(s.OrgID, 10) + ")")
	}

	as.idOrUUIDTerms(&b, p.EventID, "e.id", "e.uuid")
	as.valueTerms(&b, p.EventInfo, "e.info")
	as.orgTerms(&b, p.Org)
	if p.From != "" {
		b.add("e.date >= " + b.param(p.From))
	}
	if p.To != "" {
		b.add("e.date <= " + b.param(p.To))
	}
	if r := p.Date; r != nil {
		if r.From != 0 {
			b.add("e.date >= " + b.param(unixDate(r.From)))
		}
		if r.To != 0 {
			b.add("e.date <= " + b.param(unixDate(r.To)))
		}
	}
	if p.Last != 0 {
		b.add("e.publish_timestamp >= " + b.param(p.Last))
	}
	rangeCond(&b, "e.timestamp", p.Timestamp)
	rangeCond(&b, "e.timestamp", p.EventTimestamp)
	rangeCond(&b, "e.publish_timestamp", p.PublishTimestamp)
	if p.Published != nil {
		b.add("e.published = " + boolLiteral(*p.Published))
	}

	s.attributeTerms(&b, p.Value, "a.value1", "a.value2")
	s.attributeTerms(&b, p.Value1, "a.value1")
	s.attributeTerms(&b, p.Value2, "a.value2")
	s.attributeTerms(&b, typeTerms(p.Type), "a.type")
	s.attributeTerms(&b, p.Category, "a.category")
	s.attributeTerms(&b, p.ObjectRelation, "a.object_relation")
	s.attributeTerms(&b, p.Comment, "a.comment")
	if p.ToIDs != nil {
		b.add(s.hasAttribute("a.to_ids = " + boolLiteral(*p.ToIDs)))
	}
	if r := p.AttributeTimestamp; r != nil {
		var sub condBuilder
		sub.args = b.args
		rangeCond(&sub, "a.timestamp", r)
		b.args = sub.args
		if len(sub.conds) > 0 {
			b.add(s.hasAttribute(strings.Join(sub.conds, " AND ")))
		}
	}
	s.uuidTerms(&b, p.UUID)
	s.tagTerms(&b, p.Tags, true)
	s.tagTerms(&b, p.EventTags, false)
	if p.SearchAll != "" {
		like := b.like("%"+strings.ToLower(strings.Trim(p.SearchAll, "%"))+"%") + likeEscape
		b.add("(LOWER(e.info) LIKE " + like + " OR " + s.hasAttribute("(LOWER(a.value1) LIKE "+
			like+" OR LOWER(a.value2) LIKE "+like+" OR LOWER(a.comment) LIKE "+like+")") + ")")
	}
	return b.where(), b.args
}

// seenCond filters a first_seen or last_seen column as MISP does: one value is a bound
// (first_seen from it, last_seen up to it), two a range.
func seenCond(b *condBuilder, col string, r *search.Range, from bool) {
	switch {
	case r == nil:
	case r.To != 0:
		b.add(col + " >= " + b.param(r.From))
		b.add(col + " <= " + b.param(r.To))
	case from:
		b.add(col + " >= " + b.param(r.From))
	default:
		b.add(col + " <= " + b.param(r.From))
	}
}

// attributes is the FROM and the access part of a subquery over the attributes of the
// object o that the search shows: visible to the reader, live unless deleted ones are
// asked for.
func (s *ObjectSearch) attributes() string {
	cond := " WHERE a.object_id = o.id"
	switch {
	case s.P.Deleted == search.LiveOnly:
		cond += " AND a.deleted = false"
	case !s.SiteAdmin:
		cond += " AND (a.deleted = false OR e.org_id = " + strconv.FormatInt(s.OrgID, 10) + ")"
	}
	if s.AttributeVisible != "" && s.AttributeVisible != "true" {
		cond += " AND " + s.AttributeVisible
	}
	return " FROM attributes a" + cond
}

// hasAttribute is the condition that the object holds an attribute, of those the search
// shows, that passes cond.
func (s *ObjectSearch) hasAttribute(cond string) string {
	return "EXISTS (SELECT 1" + s.attributes() + " AND " + cond + ")"
}

// attributeTerms selects the objects that hold an attribute whose cols pass t, as MISP's
// subquery does: with NOT, an attribute that does not match.
func (s *ObjectSearch) attributeTerms(b *condBuilder, t search.Terms, cols ...string) {
	if t.Empty() {
		return
	}
	var sub condBuilder
	sub.args = b.args
	(&AttributeSearch{Dialect: s.Dialect}).valueTerms(&sub, t, cols...)
	b.args = sub.args
	b.add(s.hasAttribute(strings.Join(sub.conds, " AND ")))
}

// uuidTerms matches the object's uuid, its event's, or that of one of its attributes.
func (s *ObjectSearch) uuidTerms(b *condBuilder, t search.Terms) {
	cond := func(vs []string) string {
		lower := make([]string, len(vs))
		for i, v := range vs {
			lower[i] = strings.ToLower(v)
		}
		list := (&AttributeSearch{Dialect: s.Dialect}).inList(b, lower)
		return "(o.uuid IN (" + list + ") OR e.uuid IN (" + list + ") OR " +
			s.hasAttribute("a.uuid IN ("+list+")") + ")"
	}
	if len(t.OR) > 0 {
		b.add(cond(t.OR))
	}
	if len(t.NOT) > 0 {
		b.add("NOT " + cond(t.NOT))
	}
}

func (s *ObjectSearch) eventHasTag(cond string) string {
	return "EXISTS (SELECT 1 FROM event_tags et JOIN tags t ON t.id = et.tag_id" +
		" WHERE et.event_id = e.id AND " + cond + ")"
}

func (s *ObjectSearch) attributeHasTag(cond string) string {
	return "EXISTS (SELECT 1" + s.attributes() + " AND EXISTS (SELECT 1 FROM attribute_tags at" +
		" JOIN tags t ON t.id = at.tag_id WHERE at.attribute_id = a.id AND " + cond + "))"
}

// tagTerms applies MISP's tag filter to objects: OR (the event or one of the object's
// attributes carries one of the tags), AND (each on the event or one of the object's
// attributes), NOT (neither carries it). withAttribute false limits the filter to the
// event's tags (event_tags).
func (s *ObjectSearch) tagTerms(b *condBuilder, t search.Terms, withAttribute bool) {
	either := func(cond string) string {
		if !withAttribute {
			return s.eventHasTag(cond)
		}
		return "(" + s.eventHasTag(cond) + " OR " + s.attributeHasTag(cond) + ")"
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

// CountObjects returns how many objects the search selects, within its limit and page.
func CountObjects(ctx context.Context, q Querier, s ObjectSearch) (int64, error) {
	where, args := s.where()
	query := `SELECT COUNT(*) FROM (SELECT o.id` + objectSearchFrom + where + s.page() + `) x`
	var n int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count objects: %w", err)
	}
	return n, nil
}

func (s *ObjectSearch) page() string {
	if s.P.Limit <= 0 {
		return ""
	}
	page := max(s.P.Page, 1)
	return fmt.Sprintf(" ORDER BY o.id LIMIT %d OFFSET %d", s.P.Limit, (page-1)*s.P.Limit)
}

// objectSearchChunk is how many objects SearchObjects reads per query.
const objectSearchChunk = 200

// SearchObjects calls fn with the objects the search selects, in id order, a chunk at a
// time, each with its event's short form, without their attributes. Each chunk's query is
// closed before fn runs: fn may query the database.
func SearchObjects(ctx context.Context, q Querier, s ObjectSearch,
	fn func([]model.Object, map[int64]model.EventBrief) error) error {
	where, args := s.where()
	remaining, offset := int64(-1), int64(0)
	if s.P.Limit > 0 {
		remaining = int64(s.P.Limit)
		offset = int64(max(s.P.Page, 1)-1) * int64(s.P.Limit)
	}
	after := int64(0)
	for remaining != 0 {
		n := int64(objectSearchChunk)
		if remaining > 0 && remaining < n {
			n = remaining
		}
		cond := fmt.Sprintf("o.id > $%d", len(args)+1)
		if where == "" {
			cond = "\n\tWHERE " + cond
		} else {
			cond = where + " AND " + cond
		}
		query := `SELECT ` + objectColumns + `, e.info, e.org_id, e.orgc_id` + objectSearchFrom +
			cond + fmt.Sprintf(" ORDER BY o.id LIMIT %d OFFSET %d", n, offset)
		objs, events, err := readObjects(ctx, q, query, append(args, after))
		if err != nil {
			return err
		}
		offset = 0
		if len(objs) > 0 {
			if err := fn(objs, events); err != nil {
				return err
			}
		}
		if int64(len(objs)) < n {
			return nil
		}
		after = int64(objs[len(objs)-1].ID)
		if remaining > 0 {
			remaining -= int64(len(objs))
		}
	}
	return nil
}

func readObjects(ctx context.Context, q Querier, query string, args []any) (
	[]model.Object, map[int64]model.EventBrief, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: search objects: %w", err)
	}
	defer rows.Close()
	var objs []model.Object
	events := map[int64]model.EventBrief{}
	for rows.Next() {
		var o model.Object
		var ev model.EventBrief
		err := rows.Scan(&o.ID, &o.Name, &o.MetaCategory, &o.Description, &o.TemplateUUID,
			&o.TemplateVersion, &o.EventID, &o.UUID, &o.Timestamp, &o.Distribution,
			&o.SharingGroupID, &o.Comment, &o.Deleted, nullMicros{&o.FirstSeen},
			nullMicros{&o.LastSeen}, &ev.Info, &ev.OrgID, &ev.OrgcID)
		if err != nil {
			return nil, nil, fmt.Errorf("store: search objects: %w", err)
		}
		ev.ID = o.EventID
		events[int64(o.EventID)] = ev
		objs = append(objs, o)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: search objects: %w", err)
	}
	return objs, events, nil
}

// SearchedObjectAttributes returns the attributes of the objects ids that the search shows
// (visible to the reader; deleted ones with deleted), by object id, in id order.
func SearchedObjectAttributes(ctx context.Context, q Querier, s ObjectSearch, ids []int64,
	deleted bool) (map[int64][]model.Attribute, error) {
	out := map[int64][]model.Attribute{}
	if len(ids) == 0 {
		return out, nil
	}
	query := `SELECT ` + attributeColumns + `
		FROM attributes a
		JOIN events e ON e.id = a.event_id
		JOIN objects o ON o.id = a.object_id
		WHERE a.object_id IN (` + ints(ids) + `)`
	if !deleted {
		query += ` AND a.deleted = false`
	}
	if s.AttributeVisible != "" && s.AttributeVisible != "true" {
		query += ` AND ` + s.AttributeVisible
	}
	err := scanAll(ctx, q, query+` ORDER BY a.id`, nil, func(rows *sql.Rows) error {
		var a model.Attribute
		err := scanAttribute(rows, &a)
		out[int64(a.ObjectID)] = append(out[int64(a.ObjectID)], a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: object attributes: %w", err)
	}
	return out, nil
}
