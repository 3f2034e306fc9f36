package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/search"
)

// EventSearch is an events/restSearch compiled against the reader's rights. The event
// filters apply to the event row; the attribute filters (value, type, category,
// object_relation, comment, to_ids, deleted) select the events that hold at least one
// attribute, visible to the reader, that passes all of them.
type EventSearch struct {
	P *search.Params
	// EventVisible is the reader's access condition on alias e (acl.EventCondition).
	EventVisible string
	// AttributeVisible is the reader's access condition on aliases e, a and o
	// (acl.AttributeCondition).
	AttributeVisible string
	// ObjectVisible is the reader's access condition on aliases e and o
	// (acl.ObjectCondition).
	ObjectVisible string
	// OrgID and SiteAdmin decide who sees deleted attributes, as in AttributeSearch.
	OrgID     int64
	SiteAdmin bool
	Dialect   Dialect
}

// eventSearchChunk is how many event rows are read at a time; each chunk is a fresh query,
// so that no query stays open while the events of a chunk are filled and written.
const eventSearchChunk = 100

// attributeFilter returns the filters of p that apply to the attributes of an event, and
// whether there is any.
func attributeFilter(p *search.Params) (*search.Params, bool) {
	ap := &search.Params{Value: p.Value, Type: p.Type, Category: p.Category,
		ObjectRelation: p.ObjectRelation, Comment: p.Comment, ToIDs: p.ToIDs, Deleted: p.Deleted}
	has := !ap.Value.Empty() || !ap.Type.Empty() || !ap.Category.Empty() ||
		!ap.ObjectRelation.Empty() || !ap.Comment.Empty() || ap.ToIDs != nil ||
		ap.Deleted == search.DeletedOnly
	return ap, has
}

// where compiles the search into conditions on alias e. The attribute filters come first so
// that their placeholders, numbered by AttributeSearch, stay at the start of the arguments.
func (s *EventSearch) where() (string, []any) {
	p := s.P
	var b condBuilder
	if ap, ok := attributeFilter(p); ok {
		as := AttributeSearch{P: ap, Visible: s.AttributeVisible, OrgID: s.OrgID,
			SiteAdmin: s.SiteAdmin, Dialect: s.Dialect}
		cond, args := as.where()
		b.args = args
		b.add("e.id IN (SELECT a.event_id FROM attributes a JOIN events e ON e.id = a.event_id" +
			" LEFT JOIN objects o ON o.id = a.object_id" + cond + ")")
	}
	b.add(s.EventVisible)
	if p.MatchNothing {
		b.add("false")
	}

	as := &AttributeSearch{Dialect: s.Dialect}
	as.idOrUUIDTerms(&b, p.EventID, "e.id", "e.uuid")
	as.valueTerms(&b, p.EventInfo, "e.info")
	as.intTerms(&b, p.ThreatLevel, "e.threat_level_id")
	as.intTerms(&b, p.Distribution, "e.distribution")
	as.intTerms(&b, p.SharingGroup, "e.sharing_group_id")
	as.orgTerms(&b, p.Org)
	s.uuidTerms(&b, p.UUID)
	s.tagTerms(&b, p.Tags, true)
	s.tagTerms(&b, p.EventTags, false)
	s.objectTerms(&b, p.ObjectName, "name")
	s.objectTerms(&b, p.ObjectTemplateUUID, "template_uuid")

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
	if p.SearchAll != "" {
		s.searchAll(&b, p.SearchAll)
	}
	return b.where(), b.args
}

func unixDate(sec int64) string { return time.Unix(sec, 0).UTC().Format("2006-01-02") }

// visibleAttributes is the FROM and the access part of a subquery over the live attributes
// of the event e that the reader may see.
func (s *EventSearch) visibleAttributes() string {
	cond := " WHERE a.event_id = e.id AND a.deleted = false"
	if s.AttributeVisible != "" && s.AttributeVisible != "true" {
		cond += " AND " + s.AttributeVisible
	}
	return " FROM attributes a LEFT JOIN objects o ON o.id = a.object_id" + cond
}

// uuidTerms matches the event's uuid or the uuid of one of its visible attributes.
func (s *EventSearch) uuidTerms(b *condBuilder, t search.Terms) {
	cond := func(vs []string) string {
		lower := make([]string, len(vs))
		for i, v := range vs {
			lower[i] = strings.ToLower(v)
		}
		list := (&AttributeSearch{Dialect: s.Dialect}).inList(b, lower)
		return "(e.uuid IN (" + list + ") OR EXISTS (SELECT 1" + s.visibleAttributes() +
			" AND a.uuid IN (" + list + ")))"
	}
	if len(t.OR) > 0 {
		b.add(cond(t.OR))
	}
	if len(t.NOT) > 0 {
		b.add("NOT " + cond(t.NOT))
	}
}

func (s *EventSearch) eventHasTag(cond string) string {
	return "EXISTS (SELECT 1 FROM event_tags et JOIN tags t ON t.id = et.tag_id" +
		" WHERE et.event_id = e.id AND " + cond + ")"
}

func (s *EventSearch) attributeHasTag(cond string) string {
	return "EXISTS (SELECT 1 FROM attribute_tags at JOIN tags t ON t.id = at.tag_id" +
		" JOIN attributes a ON a.id = at.attribute_id LEFT JOIN objects o ON o.id = a.object_id" +
		" WHERE at.event_id = e.id AND a.deleted = false AND " + s.attributeVisibleOrTrue() +
		" AND " + cond + ")"
}

func (s *EventSearch) attributeVisibleOrTrue() string {
	if s.AttributeVisible == "" {
		return "true"
	}
	return s.AttributeVisible
}

// tagTerms applies MISP's tag filter to events: OR (the event or one of its visible
// attributes carries one of the tags), AND (each tag on the event or on one of its visible
// attributes), NOT (the event does not carry it; attributes that carry it are dropped from
// the answer by the caller). withAttribute false limits OR and AND to event tags
// (event_tags).
func (s *EventSearch) tagTerms(b *condBuilder, t search.Terms, withAttribute bool) {
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
		b.add("NOT " + s.eventHasTag(tagMatch(b, v)))
	}
}

// objectTerms selects the events that hold a visible live object whose column matches.
func (s *EventSearch) objectTerms(b *condBuilder, t search.Terms, col string) {
	if t.Empty() {
		return
	}
	var sub condBuilder
	sub.args = b.args
	(&AttributeSearch{Dialect: s.Dialect}).valueTerms(&sub, t, "o."+col)
	b.args = sub.args
	visible := s.ObjectVisible
	if visible == "" {
		visible = "true"
	}
	b.add("EXISTS (SELECT 1 FROM objects o WHERE o.event_id = e.id AND o.deleted = false AND " +
		visible + " AND " + strings.Join(sub.conds, " AND ") + ")")
}

// searchAll matches the words of searchall anywhere: in the event's info or uuid, in the
// value or comment of one of its visible attributes, or in the name of a tag on the event
// or on one of those attributes.
func (s *EventSearch) searchAll(b *condBuilder, text string) {
	like := b.like("%"+strings.ToLower(strings.Trim(text, "%"))+"%") + likeEscape
	b.add("(LOWER(e.info) LIKE " + like + " OR e.uuid = " + b.param(strings.ToLower(text)) +
		" OR EXISTS (SELECT 1" + s.visibleAttributes() + " AND (LOWER(a.value1) LIKE " + like +
		" OR LOWER(a.value2) LIKE " + like + " OR LOWER(a.comment) LIKE " + like + "))" +
		" OR " + s.eventHasTag("LOWER(t.name) LIKE "+like) +
		" OR " + s.attributeHasTag("LOWER(t.name) LIKE "+like) + ")")
}

// CountEvents returns how many events the search selects in all, whatever its limit and
// page: MISP's X-Result-Count of events/restSearch is that total.
func CountEvents(ctx context.Context, q Querier, s EventSearch) (int64, error) {
	where, args := s.where()
	query := `SELECT COUNT(*) FROM events e` + where
	var n int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count events: %w", err)
	}
	return n, nil
}

// SearchEvents calls fn with the row of each event the search selects, in id order,
// without its children. No query is open while fn runs, so fn may query the database.
//
// note: the ids of the selected events are read first, in one pass of the filters, and
// the rows then a chunk at a time: memory grows by 8 bytes per selected event, where
// reading the rows a page at a time would run the filters again for every page.
func SearchEvents(ctx context.Context, q Querier, s EventSearch,
	fn func(*model.Event) error) error {
	where, args := s.where()
	query := `SELECT e.id FROM events e` + where + ` ORDER BY e.id`
	if s.P.Limit > 0 {
		query += fmt.Sprintf(" LIMIT %d OFFSET %d", s.P.Limit, (max(s.P.Page, 1)-1)*s.P.Limit)
	}
	ids, err := selectIDs(ctx, q, query, args)
	if err != nil {
		return fmt.Errorf("store: search events: %w", err)
	}
	visible := s.EventVisible
	if visible == "" {
		visible = "true"
	}
	for start := 0; start < len(ids); start += eventSearchChunk {
		chunk := ids[start:min(start+eventSearchChunk, len(ids))]
		heads, err := searchEventChunk(ctx, q, eventSelect+"\n\tWHERE e.id IN ("+ints(chunk)+
			") AND "+visible+" ORDER BY e.id")
		if err != nil {
			return err
		}
		for i := range heads {
			// fn fills the event with its children: let each go once written.
			e := heads[i]
			heads[i] = model.Event{}
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
	return nil
}

func selectIDs(ctx context.Context, q Querier, query string, args []any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// searchEventChunk reads the event rows of query, whose events may have gone or changed
// since their ids were read: those are left out.
func searchEventChunk(ctx context.Context, q Querier, query string) ([]model.Event, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: search events: %w", err)
	}
	defer rows.Close()
	out := make([]model.Event, 0, eventSearchChunk)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: search events: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search events: %w", err)
	}
	return out, nil
}

// ObjectSummary is what exports show of the object an attribute is in.
type ObjectSummary struct {
	UUID, Name, MetaCategory string
}

// ObjectSummaries returns the uuid, name and meta-category of the given objects, by id.
func ObjectSummaries(ctx context.Context, q Querier, ids []int64) (map[int64]ObjectSummary, error) {
	out := make(map[int64]ObjectSummary, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT id, uuid, COALESCE(name, ''),
		COALESCE("meta-category", '') FROM objects WHERE id IN (`+ints(ids)+`)`)
	if err != nil {
		return nil, fmt.Errorf("store: object summaries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var o ObjectSummary
		if err := rows.Scan(&id, &o.UUID, &o.Name, &o.MetaCategory); err != nil {
			return nil, fmt.Errorf("store: object summaries: %w", err)
		}
		out[id] = o
	}
	return out, rows.Err()
}

// ChunkAttributeTags returns the tags of a chunk of attributes, by attribute id, in link
// order; ids are ascending, as a search returns them. withLocal includes local tags. A
// dense chunk is read by its id range, which costs less than a long IN list; a sparse one
// by its ids.
func ChunkAttributeTags(ctx context.Context, q Querier, ids []int64, withLocal bool) (
	map[int64][]model.AttachedTag, error) {
	out := map[int64][]model.AttachedTag{}
	if len(ids) == 0 {
		return out, nil
	}
	lo, hi := ids[0], ids[len(ids)-1]
	if hi-lo >= int64(4*len(ids)) {
		return AttributeTagsOf(ctx, q, ids, withLocal)
	}
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	err := attributeTagsWhere(ctx, q, `at.attribute_id BETWEEN $1 AND $2`, []any{lo, hi}, withLocal, func(id int64, t model.AttachedTag) {
		if want[id] {
			out[id] = append(out[id], t)
		}
	})
	return out, err
}
