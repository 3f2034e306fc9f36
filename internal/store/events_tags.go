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

// Tags as events and attributes carry them: looking tags up by name to attach them, creating
// the ones that do not exist yet, and the event_tags and attribute_tags links. The tags
// endpoints themselves live elsewhere; this file only selects and inserts in tags.

const attachedTagColumns = `
	t.id, t.name, t.colour, t.exportable, t.user_id, t.hide_tag, t.numerical_value,
	t.is_galaxy, t.is_custom_galaxy, t.local_only, t.org_id`

func scanAttachedTag(dest []any, t *model.AttachedTag) []any {
	return append(dest, &t.ID, &t.Name, &t.Colour, &t.Exportable, &t.UserID, &t.HideTag,
		&t.NumericalValue, &t.IsGalaxy, &t.IsCustomGalaxy, &t.LocalOnly, &t.OrgID)
}

// TagsForAttach returns the tags with the given names, compared case-insensitively, keyed
// by lower-cased name.
func TagsForAttach(ctx context.Context, q Querier, names []string) (
	map[string]model.AttachedTag, error) {
	out := map[string]model.AttachedTag{}
	seen := map[string]bool{}
	var lower []string
	for _, n := range names {
		l := strings.ToLower(n)
		if !seen[l] {
			seen[l] = true
			lower = append(lower, l)
		}
	}
	for len(lower) > 0 {
		n := min(len(lower), batchRows)
		chunk := lower[:n]
		lower = lower[n:]
		var b condBuilder
		in := b.params(toAny(chunk))
		rows, err := q.QueryContext(ctx, `SELECT `+attachedTagColumns+`
			FROM tags t WHERE lower(t.name) IN (`+in+`) ORDER BY t.id`, b.args...)
		if err != nil {
			return nil, fmt.Errorf("store: tags by name: %w", err)
		}
		for rows.Next() {
			var t model.AttachedTag
			if err := rows.Scan(scanAttachedTag(nil, &t)...); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: tags by name: %w", err)
			}
			if _, dup := out[strings.ToLower(t.Name)]; !dup {
				out[strings.ToLower(t.Name)] = t
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: tags by name: %w", err)
		}
	}
	return out, nil
}

// TagForAttachByID returns the tag with the given id.
func TagForAttachByID(ctx context.Context, q Querier, id int64) (model.AttachedTag, error) {
	var t model.AttachedTag
	err := q.QueryRowContext(ctx, `SELECT `+attachedTagColumns+` FROM tags t WHERE t.id = $1`,
		id).Scan(scanAttachedTag(nil, &t)...)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: tag: %w", err)
	}
	return t, nil
}

// CreateTagForAttach creates a tag on the fly, as MISP's Tag::quickAdd does when an unknown
// name is attached: exportable, usable by everyone, with the given colour.
func CreateTagForAttach(ctx context.Context, q Querier, name, colour string) (
	model.AttachedTag, error) {
	t := model.AttachedTag{Name: name, Colour: colour, Exportable: true,
		IsGalaxy: misp.Bool(strings.HasPrefix(name, "misp-galaxy:"))}
	err := q.QueryRowContext(ctx, `
		INSERT INTO tags (name, colour, exportable, org_id, user_id, hide_tag, is_galaxy,
			is_custom_galaxy, local_only)
		VALUES ($1, $2, true, 0, 0, false, $3, false, false)
		RETURNING id`, name, colour, t.IsGalaxy).Scan(&t.ID)
	if err != nil {
		return t, fmt.Errorf("store: create tag: %w", uniqueErr(err))
	}
	return t, nil
}

// EventTags returns the tags of an event in link order; withLocal includes local tags.
func EventTags(ctx context.Context, q Querier, eventID int64, withLocal bool) (
	[]model.AttachedTag, error) {
	query := `SELECT et.id, et.local, COALESCE(et.relationship_type, ''), ` + attachedTagColumns +
		` FROM event_tags et JOIN tags t ON t.id = et.tag_id WHERE et.event_id = $1`
	if !withLocal {
		query += ` AND et.local = false`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY et.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: event tags: %w", err)
	}
	defer rows.Close()
	var out []model.AttachedTag
	for rows.Next() {
		t, err := scanLinkedTag(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("store: event tags: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func scanLinkedTag(rows *sql.Rows, extra []any) (model.AttachedTag, error) {
	var t model.AttachedTag
	var rel string
	dest := append(extra, &t.LinkID, &t.Local, &rel)
	err := rows.Scan(scanAttachedTag(dest, &t)...)
	if rel != "" {
		t.RelationshipType = &rel
	}
	return t, err
}

// EventAttributeTags calls fn with the tags of the attributes of an event, ordered by
// attribute id then link id, reading them with a single query. withLocal includes local
// tags.
func EventAttributeTags(ctx context.Context, q Querier, eventID int64, withLocal bool,
	fn func(attributeID int64, t model.AttachedTag)) error {
	return attributeTagsWhere(ctx, q, `at.event_id = $1`, []any{eventID}, withLocal, fn)
}

// AttributeTags returns the tags of one attribute in link order.
func AttributeTags(ctx context.Context, q Querier, attributeID int64, withLocal bool) (
	[]model.AttachedTag, error) {
	var out []model.AttachedTag
	err := attributeTagsWhere(ctx, q, `at.attribute_id = $1`, []any{attributeID}, withLocal,
		func(_ int64, t model.AttachedTag) { out = append(out, t) })
	return out, err
}

func attributeTagsWhere(ctx context.Context, q Querier, cond string, args []any, withLocal bool,
	fn func(int64, model.AttachedTag)) error {
	query := `SELECT at.attribute_id, at.id, at.local, COALESCE(at.relationship_type, ''), ` +
		attachedTagColumns + ` FROM attribute_tags at JOIN tags t ON t.id = at.tag_id WHERE ` +
		cond
	if !withLocal {
		query += ` AND at.local = false`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY at.attribute_id, at.id`, args...)
	if err != nil {
		return fmt.Errorf("store: attribute tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var attrID int64
		t, err := scanLinkedTag(rows, []any{&attrID})
		if err != nil {
			return fmt.Errorf("store: attribute tags: %w", err)
		}
		fn(attrID, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: attribute tags: %w", err)
	}
	return nil
}

// TagAttachment is a tag to attach to an event or an attribute.
type TagAttachment struct {
	EventID          int64
	AttributeID      int64 // 0 for an event tag
	TagID            int64
	Local            bool
	RelationshipType string
}

// AttachTags inserts tag links in batches; links already there are left as they are.
func AttachTags(ctx context.Context, tx *Tx, links []TagAttachment) error {
	ev := newBatchWriter(tx, "event_tags", "event_id, tag_id, local, relationship_type",
		"ON CONFLICT (event_id, tag_id) DO NOTHING", nil)
	at := newBatchWriter(tx, "attribute_tags",
		"attribute_id, event_id, tag_id, local, relationship_type",
		"ON CONFLICT (attribute_id, tag_id) DO NOTHING", nil)
	for _, l := range links {
		var err error
		if l.AttributeID == 0 {
			err = ev.add(ctx, l.EventID, l.TagID, l.Local, l.RelationshipType)
		} else {
			err = at.add(ctx, l.AttributeID, l.EventID, l.TagID, l.Local, l.RelationshipType)
		}
		if err != nil {
			return err
		}
	}
	if err := ev.close(ctx); err != nil {
		return err
	}
	return at.close(ctx)
}

// AttachTag attaches one tag and reports whether it was not attached before.
func AttachTag(ctx context.Context, q Querier, l TagAttachment) (bool, error) {
	var res sql.Result
	var err error
	if l.AttributeID == 0 {
		res, err = q.ExecContext(ctx, `
			INSERT INTO event_tags (event_id, tag_id, local, relationship_type)
			VALUES ($1, $2, $3, $4) ON CONFLICT (event_id, tag_id) DO NOTHING`,
			l.EventID, l.TagID, l.Local, l.RelationshipType)
	} else {
		res, err = q.ExecContext(ctx, `
			INSERT INTO attribute_tags (attribute_id, event_id, tag_id, local, relationship_type)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (attribute_id, tag_id) DO NOTHING`,
			l.AttributeID, l.EventID, l.TagID, l.Local, l.RelationshipType)
	}
	if err != nil {
		return false, fmt.Errorf("store: attach tag: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// DetachTag removes a tag from an event (attributeID 0) or an attribute and reports
// whether it was attached. The link's local flag is returned too.
func DetachTag(ctx context.Context, q Querier, eventID, attributeID, tagID int64) (
	found, local bool, err error) {
	table, cond, arg := "event_tags", "event_id = $1", eventID
	if attributeID != 0 {
		table, cond, arg = "attribute_tags", "attribute_id = $1", attributeID
	}
	err = q.QueryRowContext(ctx, `DELETE FROM `+table+` WHERE `+cond+` AND tag_id = $2
		RETURNING local`, arg, tagID).Scan(&local)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("store: detach tag: %w", err)
	}
	return true, local, nil
}

// IndexEventTags returns the exportable tags of some events for events/index, by event id.
func IndexEventTags(ctx context.Context, q Querier, eventIDs []int64) (
	map[int64][]model.IndexEventTag, error) {
	out := map[int64][]model.IndexEventTag{}
	for len(eventIDs) > 0 {
		n := min(len(eventIDs), 1000)
		chunk := eventIDs[:n]
		eventIDs = eventIDs[n:]
		rows, err := q.QueryContext(ctx, `
			SELECT et.id, et.event_id, et.tag_id, et.local, COALESCE(et.relationship_type, ''),
				t.name, t.colour, t.is_galaxy
			FROM event_tags et JOIN tags t ON t.id = et.tag_id
			WHERE et.event_id IN (`+ints(chunk)+`) AND t.exportable = true
			ORDER BY et.id`)
		if err != nil {
			return nil, fmt.Errorf("store: index event tags: %w", err)
		}
		for rows.Next() {
			var et model.IndexEventTag
			err := rows.Scan(&et.ID, &et.EventID, &et.TagID, &et.Local, &et.RelationshipType,
				&et.Tag.Name, &et.Tag.Colour, &et.Tag.IsGalaxy)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: index event tags: %w", err)
			}
			et.Tag.ID = et.TagID
			out[int64(et.EventID)] = append(out[int64(et.EventID)], et)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: index event tags: %w", err)
		}
	}
	return out, nil
}
