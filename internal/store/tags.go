package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/model"
)

const tagColumns = `
	id, name, colour, exportable, org_id, user_id, hide_tag, numerical_value, is_galaxy,
	is_custom_galaxy, local_only`

func scanTag(row interface{ Scan(...any) error }) (model.Tag, error) {
	var t model.Tag
	err := row.Scan(&t.ID, &t.Name, &t.Colour, &t.Exportable, &t.OrgID, &t.UserID, &t.HideTag,
		&t.NumericalValue, &t.IsGalaxy, &t.IsCustomGalaxy, &t.LocalOnly)
	return t, err
}

// TagByID returns the tag with the given id.
func TagByID(ctx context.Context, q Querier, id int64) (model.Tag, error) {
	return tagWhere(ctx, q, "id = $1", id)
}

// TagByName returns the tag whose name matches name case-insensitively, as MISP's
// collation matches it; of several such tags, the oldest.
func TagByName(ctx context.Context, q Querier, name string) (model.Tag, error) {
	return tagWhere(ctx, q, "LOWER(name) = LOWER($1)", name)
}

func tagWhere(ctx context.Context, q Querier, cond string, arg any) (model.Tag, error) {
	row := q.QueryRowContext(ctx,
		`SELECT `+tagColumns+` FROM tags WHERE `+cond+` ORDER BY id LIMIT 1`, arg)
	t, err := scanTag(row)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: tag: %w", err)
	}
	return t, nil
}

// TagFilter selects tags for a listing. Empty fields select everything.
type TagFilter struct {
	Contains string // a substring of the name, case-insensitive
	Name     string // the whole name, case-insensitive
	// Patterns are LIKE patterns (% and _ wildcards, \ to escape them) on the name,
	// case-insensitive; a tag matching any of them is listed.
	Patterns []string
	// UsableBy, when set, keeps the tags that organisation and user may use (org_id and
	// user_id 0 or theirs).
	UsableBy *TagUser
}

// TagUser is a user and organisation that tag restrictions apply to.
type TagUser struct{ OrgID, UserID int64 }

// Tags lists tags in id order; callers sort them as their answer needs.
func Tags(ctx context.Context, q Querier, f TagFilter) ([]model.Tag, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Contains != "" {
		where = append(where, `LOWER(name) LIKE `+arg("%"+strings.ToLower(f.Contains)+"%"))
	}
	if f.Name != "" {
		where = append(where, `LOWER(name) = LOWER(`+arg(f.Name)+`)`)
	}
	if len(f.Patterns) > 0 {
		var or []string
		for _, p := range f.Patterns {
			or = append(or, `LOWER(name) LIKE `+arg(strings.ToLower(p))+` ESCAPE '\'`)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if u := f.UsableBy; u != nil {
		where = append(where, `org_id IN (0, `+arg(u.OrgID)+`)`,
			`user_id IN (0, `+arg(u.UserID)+`)`)
	}
	query := `SELECT ` + tagColumns + ` FROM tags`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: tags: %w", err)
	}
	defer rows.Close()
	var out []model.Tag
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return nil, fmt.Errorf("store: tags: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// InsertTag stores a new tag and sets its id. A name already taken is ErrConflict.
func InsertTag(ctx context.Context, q Querier, t *model.Tag) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO tags (name, colour, exportable, org_id, user_id, hide_tag, numerical_value,
			is_galaxy, is_custom_galaxy, local_only)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id`,
		t.Name, t.Colour, t.Exportable, t.OrgID, t.UserID, t.HideTag, t.NumericalValue,
		t.IsGalaxy, t.IsCustomGalaxy, t.LocalOnly,
	).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("store: insert tag: %w", uniqueErr(err))
	}
	return nil
}

// UpdateTag writes every field of t.
func UpdateTag(ctx context.Context, q Querier, t *model.Tag) error {
	res, err := q.ExecContext(ctx, `
		UPDATE tags SET name = $1, colour = $2, exportable = $3, org_id = $4, user_id = $5,
			hide_tag = $6, numerical_value = $7, is_galaxy = $8, is_custom_galaxy = $9,
			local_only = $10
		WHERE id = $11`,
		t.Name, t.Colour, t.Exportable, t.OrgID, t.UserID, t.HideTag, t.NumericalValue,
		t.IsGalaxy, t.IsCustomGalaxy, t.LocalOnly, t.ID)
	if err != nil {
		return fmt.Errorf("store: update tag: %w", uniqueErr(err))
	}
	return mustAffect(res)
}

// DeleteTag removes a tag; its attachments to events and attributes go with it.
func DeleteTag(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM tags WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete tag: %w", err)
	}
	return mustAffect(res)
}

// TaggedEvent is what access checks need to know of an event that tags attach to.
type TaggedEvent struct {
	ID, OrgID, OrgcID, UserID int64
	Distribution              int
	SharingGroupID            int64
	Published                 bool
}

// TaggedAttribute is an attribute that tags attach to, with its event and, when it belongs
// to an object, that object's distribution.
type TaggedAttribute struct {
	ID, ObjectID         int64
	Distribution         int
	SharingGroupID       int64
	ObjectDistribution   int
	ObjectSharingGroupID int64
	Event                TaggedEvent
}

// TaggedEventByUUID returns the event with the given uuid.
func TaggedEventByUUID(ctx context.Context, q Querier, uuid string) (TaggedEvent, error) {
	var e TaggedEvent
	err := q.QueryRowContext(ctx, `
		SELECT id, org_id, orgc_id, user_id, distribution, sharing_group_id, published
		FROM events WHERE uuid = $1`, uuid,
	).Scan(&e.ID, &e.OrgID, &e.OrgcID, &e.UserID, &e.Distribution, &e.SharingGroupID, &e.Published)
	if errors.Is(err, sql.ErrNoRows) {
		return e, ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("store: event for tagging: %w", err)
	}
	return e, nil
}

// TaggedAttributeByUUID returns the attribute with the given uuid, unless it is deleted.
func TaggedAttributeByUUID(ctx context.Context, q Querier, uuid string) (TaggedAttribute, error) {
	var a TaggedAttribute
	e := &a.Event
	err := q.QueryRowContext(ctx, `
		SELECT a.id, a.object_id, a.distribution, a.sharing_group_id,
			COALESCE(o.distribution, 5), COALESCE(o.sharing_group_id, 0),
			e.id, e.org_id, e.orgc_id, e.user_id, e.distribution, e.sharing_group_id, e.published
		FROM attributes a
		JOIN events e ON e.id = a.event_id
		LEFT JOIN objects o ON o.id = a.object_id AND a.object_id <> 0
		WHERE a.uuid = $1 AND a.deleted = false`, uuid,
	).Scan(&a.ID, &a.ObjectID, &a.Distribution, &a.SharingGroupID, &a.ObjectDistribution,
		&a.ObjectSharingGroupID, &e.ID, &e.OrgID, &e.OrgcID, &e.UserID, &e.Distribution,
		&e.SharingGroupID, &e.Published)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: attribute for tagging: %w", err)
	}
	return a, nil
}

// TagLink is one attachment of a tag to an event or an attribute.
type TagLink struct {
	ID    int64
	Local bool
}

// EventTagLink returns the attachment of a tag to an event.
func EventTagLink(ctx context.Context, q Querier, eventID, tagID int64) (TagLink, error) {
	return tagLink(ctx, q, `
		SELECT id, local FROM event_tags WHERE event_id = $1 AND tag_id = $2
		ORDER BY id LIMIT 1`, eventID, tagID)
}

// AttributeTagLink returns the attachment of a tag to an attribute.
func AttributeTagLink(ctx context.Context, q Querier, attributeID, tagID int64) (TagLink, error) {
	return tagLink(ctx, q, `
		SELECT id, local FROM attribute_tags WHERE attribute_id = $1 AND tag_id = $2
		ORDER BY id LIMIT 1`, attributeID, tagID)
}

func tagLink(ctx context.Context, q Querier, query string, targetID, tagID int64) (TagLink, error) {
	var l TagLink
	err := q.QueryRowContext(ctx, query, targetID, tagID).Scan(&l.ID, &l.Local)
	if errors.Is(err, sql.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("store: tag link: %w", err)
	}
	return l, nil
}

const insertEventTag = `
	INSERT INTO event_tags (event_id, tag_id, local, relationship_type)
	VALUES ($1, $2, $3, $4)
	ON CONFLICT (event_id, tag_id) DO NOTHING`

// AttachEventTag attaches a tag to an event. It reports false when the tag was already
// attached (by a concurrent request, say), which is not an error.
func AttachEventTag(ctx context.Context, q Querier, eventID, tagID int64, local bool,
	relationship string) (bool, error) {
	res, err := q.ExecContext(ctx, insertEventTag, eventID, tagID, local, relationship)
	if err != nil {
		return false, fmt.Errorf("store: attach event tag: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

const insertAttributeTag = `
	INSERT INTO attribute_tags (attribute_id, event_id, tag_id, local, relationship_type)
	VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (attribute_id, tag_id) DO NOTHING`

// AttachAttributeTag attaches a tag to an attribute of the given event, reporting false
// when it was already attached.
func AttachAttributeTag(ctx context.Context, q Querier, attributeID, eventID, tagID int64,
	local bool, relationship string) (bool, error) {
	res, err := q.ExecContext(ctx, insertAttributeTag, attributeID, eventID, tagID, local,
		relationship)
	if err != nil {
		return false, fmt.Errorf("store: attach attribute tag: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DetachEventTag removes the event_tags row with the given id.
func DetachEventTag(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM event_tags WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: detach event tag: %w", err)
	}
	return mustAffect(res)
}

// DetachAttributeTag removes the attribute_tags row with the given id.
func DetachAttributeTag(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM attribute_tags WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: detach attribute tag: %w", err)
	}
	return mustAffect(res)
}

// TouchTaggedEvent records a change of an event's global tags: the event is unpublished
// and its timestamp set to now (Unix seconds).
func TouchTaggedEvent(ctx context.Context, q Querier, eventID, now int64) error {
	_, err := q.ExecContext(ctx, `
		UPDATE events SET published = false, timestamp = $1 WHERE id = $2`, now, eventID)
	if err != nil {
		return fmt.Errorf("store: touch tagged event: %w", err)
	}
	return nil
}

// TouchTaggedAttribute records a change of an attribute's global tags: the attribute's
// timestamp is set to now and its event is touched as [TouchTaggedEvent] does.
func TouchTaggedAttribute(ctx context.Context, q Querier, attributeID, eventID, now int64) error {
	_, err := q.ExecContext(ctx, `UPDATE attributes SET timestamp = $1 WHERE id = $2`,
		now, attributeID)
	if err != nil {
		return fmt.Errorf("store: touch tagged attribute: %w", err)
	}
	return TouchTaggedEvent(ctx, q, eventID, now)
}

// TagUsage is how often tags are attached to the events (or attributes) of one kind of
// event: the same owner, distribution, sharing group and published state, and for
// attributes the same attribute distribution and sharing group. Callers decide which kinds
// a reader may see and add up the counts.
type TagUsage struct {
	TagID int64
	Event TaggedEvent // ID, OrgcID and UserID are not set
	// Attribute distribution and sharing group; zero for event tags.
	Distribution   int
	SharingGroupID int64
	Count          int64
}

const eventTagUsage = `
	SELECT et.tag_id, e.org_id, e.distribution, e.sharing_group_id, e.published, COUNT(*)
	FROM event_tags et
	JOIN events e ON e.id = et.event_id
	%s
	GROUP BY et.tag_id, e.org_id, e.distribution, e.sharing_group_id, e.published`

const attributeTagUsage = `
	SELECT at.tag_id, e.org_id, e.distribution, e.sharing_group_id, e.published,
		a.distribution, a.sharing_group_id, COUNT(*)
	FROM attribute_tags at
	JOIN attributes a ON a.id = at.attribute_id
	JOIN events e ON e.id = a.event_id
	WHERE a.deleted = false %s
	GROUP BY at.tag_id, e.org_id, e.distribution, e.sharing_group_id, e.published,
		a.distribution, a.sharing_group_id`

// EventTagUsage counts the attachments of tags to events, of tagID only unless it is 0.
func EventTagUsage(ctx context.Context, q Querier, tagID int64) ([]TagUsage, error) {
	query, args := fmt.Sprintf(eventTagUsage, ""), []any(nil)
	if tagID != 0 {
		query, args = fmt.Sprintf(eventTagUsage, "WHERE et.tag_id = $1"), []any{tagID}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: event tag usage: %w", err)
	}
	defer rows.Close()
	var out []TagUsage
	for rows.Next() {
		var u TagUsage
		e := &u.Event
		err := rows.Scan(&u.TagID, &e.OrgID, &e.Distribution, &e.SharingGroupID, &e.Published,
			&u.Count)
		if err != nil {
			return nil, fmt.Errorf("store: event tag usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// AttributeTagUsage counts the attachments of tags to attributes that are not deleted, of
// tagID only unless it is 0.
func AttributeTagUsage(ctx context.Context, q Querier, tagID int64) ([]TagUsage, error) {
	query, args := fmt.Sprintf(attributeTagUsage, ""), []any(nil)
	if tagID != 0 {
		query, args = fmt.Sprintf(attributeTagUsage, "AND at.tag_id = $1"), []any{tagID}
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: attribute tag usage: %w", err)
	}
	defer rows.Close()
	var out []TagUsage
	for rows.Next() {
		var u TagUsage
		e := &u.Event
		err := rows.Scan(&u.TagID, &e.OrgID, &e.Distribution, &e.SharingGroupID, &e.Published,
			&u.Distribution, &u.SharingGroupID, &u.Count)
		if err != nil {
			return nil, fmt.Errorf("store: attribute tag usage: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// GalaxyTagNames returns the tag names of the galaxy clusters whose value, or one of whose
// synonyms, matches one of the given LIKE patterns case-insensitively.
func GalaxyTagNames(ctx context.Context, q Querier, patterns []string) ([]string, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	var or []string
	var args []any
	for _, p := range patterns {
		args = append(args, strings.ToLower(p))
		n := len(args)
		or = append(or, fmt.Sprintf(
			`LOWER(c.value) = $%d OR (ge.key = 'synonyms' AND LOWER(ge.value) LIKE $%[1]d)`, n))
	}
	rows, err := q.QueryContext(ctx, `
		SELECT DISTINCT c.tag_name
		FROM galaxy_clusters c
		LEFT JOIN galaxy_elements ge ON ge.galaxy_cluster_id = c.id
		WHERE c.tag_name <> '' AND (`+strings.Join(or, " OR ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: galaxy tag names: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("store: galaxy tag names: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
