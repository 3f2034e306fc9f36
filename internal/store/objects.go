package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// objectColumns are read in the order scanObject expects; o is the objects alias.
const objectColumns = `
	o.id, COALESCE(o.name, ''), COALESCE(o."meta-category", ''), COALESCE(o.description, ''),
	COALESCE(o.template_uuid, ''), o.template_version, o.event_id, o.uuid, o.timestamp,
	o.distribution, COALESCE(o.sharing_group_id, 0), o.comment, o.deleted, o.first_seen,
	o.last_seen`

func scanObject(row interface{ Scan(...any) error }, o *model.Object) error {
	return row.Scan(&o.ID, &o.Name, &o.MetaCategory, &o.Description, &o.TemplateUUID,
		&o.TemplateVersion, &o.EventID, &o.UUID, &o.Timestamp, &o.Distribution,
		&o.SharingGroupID, &o.Comment, &o.Deleted, nullMicros{&o.FirstSeen},
		nullMicros{&o.LastSeen})
}

// EventObjects returns the objects of an event in id order, without their attributes.
// visible is the access condition on alias o ("true" for none); deleted includes the
// soft-deleted objects.
func EventObjects(ctx context.Context, q Querier, eventID int64, visible string, deleted bool) (
	[]model.Object, error) {
	query := `SELECT ` + objectColumns + ` FROM objects o WHERE o.event_id = $1`
	if !deleted {
		query += ` AND o.deleted = false`
	}
	if visible != "" && visible != "true" {
		query += ` AND ` + visible
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY o.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: event objects: %w", err)
	}
	defer rows.Close()
	var out []model.Object
	for rows.Next() {
		var o model.Object
		if err := scanObject(rows, &o); err != nil {
			return nil, fmt.Errorf("store: event objects: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// ObjectRef names an object by id or by uuid; exactly one is set.
type ObjectRef struct {
	ID   int64
	UUID string
}

// FindObject returns the object ref names if it passes the access condition visible, a SQL
// condition on the aliases e (its event) and o; "true" for none. Soft-deleted objects are
// found too.
func FindObject(ctx context.Context, q Querier, ref ObjectRef, visible string) (
	model.Object, error) {
	cond, arg := "o.id = $1", any(ref.ID)
	if ref.UUID != "" {
		cond, arg = "o.uuid = $1", ref.UUID
	}
	var o model.Object
	err := scanObject(q.QueryRowContext(ctx, `
		SELECT `+objectColumns+`
		FROM objects o JOIN events e ON e.id = o.event_id
		WHERE `+cond+` AND `+visible, arg), &o)
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("store: find object: %w", err)
	}
	return o, nil
}

const objectInsertColumns = `name, "meta-category", description, template_uuid,
	template_version, event_id, uuid, timestamp, distribution, sharing_group_id, comment,
	deleted, first_seen, last_seen`

// InsertObjects stores new objects (not their attributes) in batches and sets their ids.
func InsertObjects(ctx context.Context, tx *Tx, objs []*model.Object) error {
	w := newIDWriter(tx, "objects", objectInsertColumns, func(row int, id int64) {
		objs[row].ID = misp.StrInt(id)
	})
	for _, o := range objs {
		err := w.add(ctx, o.Name, o.MetaCategory, o.Description, o.TemplateUUID,
			o.TemplateVersion, o.EventID, o.UUID, o.Timestamp, o.Distribution, o.SharingGroupID,
			o.Comment, o.Deleted, microsArg(o.FirstSeen), microsArg(o.LastSeen))
		if err != nil {
			return err
		}
	}
	return w.close(ctx)
}

// UpdateObject writes the editable columns of o.
func UpdateObject(ctx context.Context, q Querier, o *model.Object) error {
	res, err := q.ExecContext(ctx, `
		UPDATE objects SET name = $1, "meta-category" = $2, description = $3,
			template_uuid = $4, template_version = $5, timestamp = $6, distribution = $7,
			sharing_group_id = $8, comment = $9, deleted = $10, first_seen = $11,
			last_seen = $12
		WHERE id = $13`,
		o.Name, o.MetaCategory, o.Description, o.TemplateUUID, o.TemplateVersion, o.Timestamp,
		o.Distribution, o.SharingGroupID, o.Comment, o.Deleted, microsArg(o.FirstSeen),
		microsArg(o.LastSeen), o.ID)
	if err != nil {
		return fmt.Errorf("store: update object: %w", err)
	}
	return mustAffect(res)
}

// DeleteObject removes an object with its attributes and references.
func DeleteObject(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM attributes WHERE object_id = $1`, id); err != nil {
		return fmt.Errorf("store: delete object: %w", err)
	}
	res, err := q.ExecContext(ctx, `DELETE FROM objects WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete object: %w", err)
	}
	return mustAffect(res)
}

// ObjectsByUUID returns the objects of an event with the given uuids, deleted or not.
func ObjectsByUUID(ctx context.Context, q Querier, eventID int64, uuids []string) (
	map[string]model.Object, error) {
	return byUUID(ctx, q, `SELECT `+objectColumns+` FROM objects o
		WHERE o.event_id = $1 AND o.uuid IN (`, eventID, uuids,
		func(rows *sql.Rows, o *model.Object) (string, error) {
			err := scanObject(rows, o)
			return o.UUID, err
		})
}

// referenceColumns are read in the order scanReference expects; r is the alias.
const referenceColumns = `
	r.id, r.uuid, r.timestamp, r.object_id, COALESCE(r.referenced_uuid, ''), r.referenced_id,
	r.referenced_type, COALESCE(r.relationship_type, ''), r.comment, r.deleted, r.event_id,
	COALESCE(r.source_uuid, '')`

func scanReference(row interface{ Scan(...any) error }, r *model.ObjectReference) error {
	return row.Scan(&r.ID, &r.UUID, &r.Timestamp, &r.ObjectID, &r.ReferencedUUID,
		&r.ReferencedID, &r.ReferencedType, &r.RelationshipType, &r.Comment, &r.Deleted,
		&r.EventID, &r.SourceUUID)
}

// EventReferences returns the object references of an event in id order; deleted includes
// the soft-deleted ones.
func EventReferences(ctx context.Context, q Querier, eventID int64, deleted bool) (
	[]model.ObjectReference, error) {
	query := `SELECT ` + referenceColumns + ` FROM object_references r WHERE r.event_id = $1`
	if !deleted {
		query += ` AND r.deleted = false`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY r.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: object references: %w", err)
	}
	defer rows.Close()
	var out []model.ObjectReference
	for rows.Next() {
		var r model.ObjectReference
		if err := scanReference(rows, &r); err != nil {
			return nil, fmt.Errorf("store: object references: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FindReference returns the object reference with the given id or uuid.
func FindReference(ctx context.Context, q Querier, id int64, uuid string) (
	model.ObjectReference, error) {
	cond, arg := "r.id = $1", any(id)
	if uuid != "" {
		cond, arg = "r.uuid = $1", uuid
	}
	var r model.ObjectReference
	err := scanReference(q.QueryRowContext(ctx,
		`SELECT `+referenceColumns+` FROM object_references r WHERE `+cond, arg), &r)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: find object reference: %w", err)
	}
	return r, nil
}

const referenceInsertColumns = `uuid, timestamp, object_id, event_id, source_uuid,
	referenced_uuid, referenced_id, referenced_type, relationship_type, comment, deleted`

// InsertReferences stores new object references in batches and sets their ids.
func InsertReferences(ctx context.Context, tx *Tx, refs []*model.ObjectReference) error {
	w := newIDWriter(tx, "object_references", referenceInsertColumns, func(row int, id int64) {
		refs[row].ID = misp.StrInt(id)
	})
	for _, r := range refs {
		err := w.add(ctx, r.UUID, r.Timestamp, r.ObjectID, r.EventID, r.SourceUUID,
			r.ReferencedUUID, r.ReferencedID, r.ReferencedType, r.RelationshipType, r.Comment,
			r.Deleted)
		if err != nil {
			return err
		}
	}
	return w.close(ctx)
}

// UpdateReference writes the editable columns of r.
func UpdateReference(ctx context.Context, q Querier, r *model.ObjectReference) error {
	res, err := q.ExecContext(ctx, `
		UPDATE object_references SET timestamp = $1, referenced_uuid = $2, referenced_id = $3,
			referenced_type = $4, relationship_type = $5, comment = $6, deleted = $7
		WHERE id = $8`,
		r.Timestamp, r.ReferencedUUID, r.ReferencedID, r.ReferencedType, r.RelationshipType,
		r.Comment, r.Deleted, r.ID)
	if err != nil {
		return fmt.Errorf("store: update object reference: %w", err)
	}
	return mustAffect(res)
}

// DeleteReference removes an object reference row.
func DeleteReference(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM object_references WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete object reference: %w", err)
	}
	return mustAffect(res)
}

// ReferenceTarget is an attribute or object that a reference may point at.
type ReferenceTarget struct {
	ID      int64
	EventID int64
	UUID    string
	Type    int64 // model.ReferencedAttributeType or model.ReferencedObjectType
}

// FindReferenceTarget looks up the attribute or object with the given uuid (or id, with
// type), anywhere on the instance.
func FindReferenceTarget(ctx context.Context, q Querier, uuid string, id, typ int64) (
	ReferenceTarget, error) {
	var t ReferenceTarget
	if uuid != "" {
		for _, c := range []struct {
			table string
			typ   int64
		}{{"objects", model.ReferencedObjectType}, {"attributes", model.ReferencedAttributeType}} {
			err := q.QueryRowContext(ctx, `SELECT id, event_id, uuid FROM `+c.table+
				` WHERE uuid = $1`, uuid).Scan(&t.ID, &t.EventID, &t.UUID)
			if err == nil {
				t.Type = c.typ
				return t, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return t, fmt.Errorf("store: reference target: %w", err)
			}
		}
		return t, ErrNotFound
	}
	table := "attributes"
	if typ == model.ReferencedObjectType {
		table = "objects"
	}
	err := q.QueryRowContext(ctx, `SELECT id, event_id, uuid FROM `+table+` WHERE id = $1`,
		id).Scan(&t.ID, &t.EventID, &t.UUID)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("store: reference target: %w", err)
	}
	t.Type = typ
	return t, nil
}

// TouchObject sets an object's timestamp.
func TouchObject(ctx context.Context, q Querier, id, ts int64) error {
	_, err := q.ExecContext(ctx, `UPDATE objects SET timestamp = $1 WHERE id = $2`, ts, id)
	if err != nil {
		return fmt.Errorf("store: touch object: %w", err)
	}
	return nil
}
