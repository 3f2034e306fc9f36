package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// attributeColumns are read in the order scanAttribute expects; a is the attributes alias.
const attributeColumns = `
	a.id, a.event_id, a.object_id, a.object_relation, a.category, a.type, a.value1, a.value2,
	a.to_ids, a.uuid, a.timestamp, a.distribution, a.sharing_group_id, COALESCE(a.comment, ''),
	a.deleted, a.disable_correlation, a.first_seen, a.last_seen`

func scanAttribute(row interface{ Scan(...any) error }, a *model.Attribute) error {
	var v1, v2 string
	err := row.Scan(&a.ID, &a.EventID, &a.ObjectID, &a.ObjectRelation, &a.Category, &a.Type,
		&v1, &v2, &a.ToIDs, &a.UUID, &a.Timestamp, &a.Distribution, &a.SharingGroupID,
		&a.Comment, &a.Deleted, &a.DisableCorrelation, nullMicros{&a.FirstSeen},
		nullMicros{&a.LastSeen})
	a.Value = misp.JoinValue(v1, v2)
	if a.ObjectID == 0 {
		a.ObjectRelation = nil
	}
	return err
}

// AttributeQuery selects the attributes of one event for a view.
type AttributeQuery struct {
	EventID int64
	// Visible is the access condition on alias a ("true" or "" for none).
	Visible string
	// Deleted includes soft-deleted attributes.
	Deleted bool
	// InObjects selects the attributes inside objects rather than those outside.
	InObjects bool
	// IDs and UUIDs, when not empty, narrow the selection to these attributes.
	IDs   []int64
	UUIDs []string
}

// EventAttributes calls fn with the attributes q selects, in id order, reading them with a
// single query. The attribute passed to fn is reused for the next row: fn must copy it.
func EventAttributes(ctx context.Context, db Querier, q AttributeQuery,
	fn func(*model.Attribute) error) error {
	query := `SELECT ` + attributeColumns + ` FROM attributes a WHERE a.event_id = $1`
	if q.InObjects {
		query += ` AND a.object_id <> 0`
	} else {
		query += ` AND a.object_id = 0`
	}
	if !q.Deleted {
		query += ` AND a.deleted = false`
	}
	if q.Visible != "" && q.Visible != "true" {
		query += ` AND ` + q.Visible
	}
	args := []any{q.EventID}
	if len(q.IDs) > 0 {
		query += ` AND a.id IN (` + ints(q.IDs) + `)`
	}
	if len(q.UUIDs) > 0 {
		query += ` AND a.uuid IN (` + placeholders(2, len(q.UUIDs)) + `)`
		args = append(args, toAny(q.UUIDs)...)
	}
	rows, err := db.QueryContext(ctx, query+` ORDER BY a.id`, args...)
	if err != nil {
		return fmt.Errorf("store: event attributes: %w", err)
	}
	defer rows.Close()
	var a model.Attribute
	for rows.Next() {
		a = model.Attribute{}
		if err := scanAttribute(rows, &a); err != nil {
			return fmt.Errorf("store: event attributes: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: event attributes: %w", err)
	}
	return nil
}

// AttributeRef names an attribute by id or by uuid; exactly one is set.
type AttributeRef struct {
	ID   int64
	UUID string
}

// FindAttribute returns the attribute ref names if it passes the access condition visible,
// a SQL condition on the aliases e (its event), a and o (its object, when in one); "true"
// for none. A soft-deleted attribute is found too: the caller decides.
func FindAttribute(ctx context.Context, q Querier, ref AttributeRef, visible string) (
	model.Attribute, error) {
	cond, arg := "a.id = $1", any(ref.ID)
	if ref.UUID != "" {
		cond, arg = "a.uuid = $1", ref.UUID
	}
	var a model.Attribute
	err := scanAttribute(q.QueryRowContext(ctx, `
		SELECT `+attributeColumns+`
		FROM attributes a
		JOIN events e ON e.id = a.event_id
		LEFT JOIN objects o ON o.id = a.object_id
		WHERE `+cond+` AND `+visible, arg), &a)
	if errors.Is(err, sql.ErrNoRows) {
		return a, ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: find attribute: %w", err)
	}
	return a, nil
}

// IndexAttributes returns a page of the live attributes that pass the access condition
// visible (on the aliases e, a and o, as for FindAttribute), newest event first as MISP's
// attributes/index lists them, and in id order within an event.
func IndexAttributes(ctx context.Context, q Querier, visible string, limit, offset int) (
	[]model.Attribute, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT `+attributeColumns+`
		FROM attributes a
		JOIN events e ON e.id = a.event_id
		LEFT JOIN objects o ON o.id = a.object_id
		WHERE a.deleted = false AND (`+visible+`)
		ORDER BY a.event_id DESC, a.id
		LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("store: index attributes: %w", err)
	}
	defer rows.Close()
	list := []model.Attribute{}
	for rows.Next() {
		var a model.Attribute
		if err := scanAttribute(rows, &a); err != nil {
			return nil, fmt.Errorf("store: index attributes: %w", err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: index attributes: %w", err)
	}
	return list, nil
}

// AttributeKey is what makes an attribute a duplicate of another in the same event.
type AttributeKey struct {
	Type, Category, Value1, Value2 string
}

// Key returns the duplicate key of a.
func AttributeKeyOf(a *model.Attribute) AttributeKey {
	v1, v2 := a.Values()
	return AttributeKey{a.Type, a.Category, v1, v2}
}

// ExistingAttributeKeys returns, among keys, those already held by a non-deleted attribute
// outside objects in the event, with that attribute's id. It reads in batches of values.
func ExistingAttributeKeys(ctx context.Context, q Querier, eventID int64, keys []AttributeKey) (
	map[AttributeKey]int64, error) {
	found := map[AttributeKey]int64{}
	seen := map[string]bool{}
	var values []string
	for _, k := range keys {
		if !seen[k.Value1] {
			seen[k.Value1] = true
			values = append(values, k.Value1)
		}
	}
	for len(values) > 0 {
		n := min(len(values), 5000)
		chunk := values[:n]
		values = values[n:]
		// note: "+a.event_id" keeps the planner off the event_id index, which it would
		// otherwise pick and then scan every attribute of a large event for each batch;
		// the values' index finds the few rows that matter.
		list, err := jsonList(q, "$2")
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(chunk)
		rows, err := q.QueryContext(ctx, `
			SELECT type, category, value1, value2, id FROM attributes a
			WHERE +a.event_id = $1 AND a.object_id = 0 AND a.deleted = false
				AND a.value1 IN (`+list+`)`, eventID, string(raw))
		if err != nil {
			return nil, fmt.Errorf("store: existing attributes: %w", err)
		}
		for rows.Next() {
			var k AttributeKey
			var id int64
			if err := rows.Scan(&k.Type, &k.Category, &k.Value1, &k.Value2, &id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: existing attributes: %w", err)
			}
			found[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: existing attributes: %w", err)
		}
	}
	return found, nil
}

const attributeInsertColumns = `event_id, object_id, object_relation, category, type, value1,
	value2, to_ids, uuid, timestamp, distribution, sharing_group_id, comment, deleted,
	disable_correlation, first_seen, last_seen`

func attributeArgs(a *model.Attribute) []any {
	v1, v2 := a.Values()
	return []any{a.EventID, a.ObjectID, a.ObjectRelation, a.Category, a.Type, v1, v2,
		a.ToIDs, a.UUID, a.Timestamp, a.Distribution, a.SharingGroupID, a.Comment, a.Deleted,
		a.DisableCorrelation, microsArg(a.FirstSeen), microsArg(a.LastSeen)}
}

// InsertAttributes stores new attributes in batches and sets their ids. Uuids must be
// unique: one already taken gives ErrConflict.
func InsertAttributes(ctx context.Context, tx *Tx, attrs []*model.Attribute) error {
	if err := tx.growCache(ctx, len(attrs)); err != nil {
		return err
	}
	w := newIDWriter(tx, "attributes", attributeInsertColumns, func(row int, id int64) {
		attrs[row].ID = misp.StrInt(id)
	})
	for _, a := range attrs {
		if err := w.add(ctx, attributeArgs(a)...); err != nil {
			return err
		}
	}
	return w.close(ctx)
}

// UpdateAttribute writes the editable columns of a.
func UpdateAttribute(ctx context.Context, q Querier, a *model.Attribute) error {
	v1, v2 := a.Values()
	res, err := q.ExecContext(ctx, `
		UPDATE attributes SET object_relation = $1, category = $2, type = $3, value1 = $4,
			value2 = $5, to_ids = $6, timestamp = $7, distribution = $8, sharing_group_id = $9,
			comment = $10, deleted = $11, disable_correlation = $12, first_seen = $13,
			last_seen = $14
		WHERE id = $15`,
		a.ObjectRelation, a.Category, a.Type, v1, v2, a.ToIDs, a.Timestamp, a.Distribution,
		a.SharingGroupID, a.Comment, a.Deleted, a.DisableCorrelation, microsArg(a.FirstSeen),
		microsArg(a.LastSeen), a.ID)
	if err != nil {
		return fmt.Errorf("store: update attribute: %w", err)
	}
	return mustAffect(res)
}

// SoftDeleteObjectAttributes marks every attribute of an object deleted, with timestamp ts.
func SoftDeleteObjectAttributes(ctx context.Context, q Querier, objectID, ts int64) error {
	_, err := q.ExecContext(ctx, `
		UPDATE attributes SET deleted = true, timestamp = $1
		WHERE object_id = $2 AND deleted = false`, ts, objectID)
	if err != nil {
		return fmt.Errorf("store: delete object attributes: %w", err)
	}
	return nil
}

// DeleteAttribute removes an attribute row and, through the foreign keys, its tags,
// sightings, correlations and attachment.
func DeleteAttribute(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM attributes WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete attribute: %w", err)
	}
	return mustAffect(res)
}

// ObjectAttributes returns the attributes of some objects, in id order; deleted includes the
// soft-deleted ones. visible is an access condition on alias a ("true" for none).
func ObjectAttributes(ctx context.Context, q Querier, objectIDs []int64, deleted bool,
	visible string) ([]model.Attribute, error) {
	if len(objectIDs) == 0 {
		return nil, nil
	}
	query := `SELECT ` + attributeColumns + ` FROM attributes a WHERE a.object_id IN (` +
		ints(objectIDs) + `)`
	if !deleted {
		query += ` AND a.deleted = false`
	}
	if visible != "" && visible != "true" {
		query += ` AND ` + visible
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("store: object attributes: %w", err)
	}
	defer rows.Close()
	var out []model.Attribute
	for rows.Next() {
		var a model.Attribute
		if err := scanAttribute(rows, &a); err != nil {
			return nil, fmt.Errorf("store: object attributes: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AttributesByUUID returns the attributes of an event with the given uuids, deleted or not.
func AttributesByUUID(ctx context.Context, q Querier, eventID int64, uuids []string) (
	map[string]model.Attribute, error) {
	return byUUID(ctx, q, `SELECT `+attributeColumns+` FROM attributes a
		WHERE a.event_id = $1 AND a.uuid IN (`, eventID, uuids,
		func(rows *sql.Rows, a *model.Attribute) (string, error) {
			err := scanAttribute(rows, a)
			return a.UUID, err
		})
}

// byUUID runs query, which ends with "uuid IN (", for an event's rows with the given uuids,
// a batch at a time, and returns them by uuid; scan reads one row and returns its uuid.
func byUUID[T any](ctx context.Context, q Querier, query string, eventID int64, uuids []string,
	scan func(*sql.Rows, *T) (string, error)) (map[string]T, error) {
	out := map[string]T{}
	for len(uuids) > 0 {
		n := min(len(uuids), batchRows)
		chunk := uuids[:n]
		uuids = uuids[n:]
		var b condBuilder
		b.param(eventID)
		in := b.params(toAny(chunk))
		if err := func() error {
			rows, err := q.QueryContext(ctx, query+in+`)`, b.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var v T
				uuid, err := scan(rows, &v)
				if err != nil {
					return err
				}
				out[uuid] = v
			}
			return rows.Err()
		}(); err != nil {
			return nil, fmt.Errorf("store: rows by uuid: %w", err)
		}
	}
	return out, nil
}

// UUIDsTaken returns which of uuids are already used by a row of table (attributes,
// objects, object_references, events or event_reports), anywhere on the instance.
func UUIDsTaken(ctx context.Context, q Querier, table string, uuids []string) (
	map[string]bool, error) {
	switch table {
	case "attributes", "objects", "object_references", "events", "event_reports":
	default:
		return nil, fmt.Errorf("store: uuids taken: unknown table %q", table)
	}
	taken := map[string]bool{}
	for len(uuids) > 0 {
		n := min(len(uuids), batchRows)
		chunk := uuids[:n]
		uuids = uuids[n:]
		var b condBuilder
		in := b.params(toAny(chunk))
		rows, err := q.QueryContext(ctx,
			`SELECT uuid FROM `+table+` WHERE uuid IN (`+in+`)`, b.args...)
		if err != nil {
			return nil, fmt.Errorf("store: uuids taken: %w", err)
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: uuids taken: %w", err)
			}
			taken[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: uuids taken: %w", err)
		}
	}
	return taken, nil
}

// InsertAttachments stores the contents of attachment attributes, by attribute id.
func InsertAttachments(ctx context.Context, tx *Tx, data map[int64][]byte) error {
	w := newBatchWriter(tx, "attribute_attachments", "attribute_id, data",
		"ON CONFLICT (attribute_id) DO UPDATE SET data = excluded.data", nil)
	for id, d := range data {
		if err := w.add(ctx, id, d); err != nil {
			return err
		}
	}
	return w.close(ctx)
}

// Attachments returns the stored contents of the attachment attributes of an event.
func Attachments(ctx context.Context, q Querier, eventID int64) (map[int64][]byte, error) {
	return attachmentsWhere(ctx, q, `a.event_id = $1`, eventID)
}

// Attachment returns the stored contents of one attribute, or nil.
func Attachment(ctx context.Context, q Querier, attributeID int64) ([]byte, error) {
	m, err := attachmentsWhere(ctx, q, `a.id = $1`, attributeID)
	return m[attributeID], err
}

func attachmentsWhere(ctx context.Context, q Querier, cond string, arg any) (
	map[int64][]byte, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT d.attribute_id, d.data FROM attribute_attachments d
		JOIN attributes a ON a.id = d.attribute_id
		WHERE `+cond, arg)
	if err != nil {
		return nil, fmt.Errorf("store: attachments: %w", err)
	}
	defer rows.Close()
	out := map[int64][]byte{}
	for rows.Next() {
		var id int64
		var d []byte
		if err := rows.Scan(&id, &d); err != nil {
			return nil, fmt.Errorf("store: attachments: %w", err)
		}
		out[id] = d
	}
	return out, rows.Err()
}

// EventAttributeSharingGroups returns the sharing groups that attributes of an event name.
func EventAttributeSharingGroups(ctx context.Context, q Querier, eventID int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT sharing_group_id FROM attributes
		WHERE event_id = $1 AND sharing_group_id <> 0`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: attribute sharing groups: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: attribute sharing groups: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// jsonList returns a subquery over the JSON array of strings in parameter ph, in q's
// dialect: one parameter for a list of any length.
func jsonList(q Querier, ph string) (string, error) {
	d, ok := q.(interface{ Dialect() Dialect })
	if !ok {
		return "", fmt.Errorf("store: %T has no SQL dialect", q)
	}
	if d.Dialect() == Postgres {
		return "SELECT jsonb_array_elements_text(" + ph + "::jsonb)", nil
	}
	return "SELECT value FROM json_each(" + ph + ")", nil
}
