package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cairn-project/cairn/internal/model"
)

const orgColumns = `
	id, name, date_created, date_modified, description, type, nationality, sector,
	created_by, uuid, contacts, local, restricted_to_domain, landingpage`

func scanOrg(row interface{ Scan(...any) error }) (model.Organisation, error) {
	var o model.Organisation
	err := row.Scan(&o.ID, &o.Name, &o.DateCreated, &o.DateModified, &o.Description, &o.Type,
		&o.Nationality, &o.Sector, &o.CreatedBy, &o.UUID, &o.Contacts, &o.Local,
		&o.RestrictedToDomain, &o.Landingpage)
	return o, err
}

// Organisation returns the organisation with the given id.
func (db *DB) Organisation(ctx context.Context, id int64) (model.Organisation, error) {
	return orgWhere(ctx, db, "id = $1", id)
}

// OrganisationByUUID returns the organisation with the given uuid.
func (db *DB) OrganisationByUUID(ctx context.Context, uuid string) (model.Organisation, error) {
	return orgWhere(ctx, db, "uuid = $1", uuid)
}

// OrganisationByName returns the organisation with the given name.
func (db *DB) OrganisationByName(ctx context.Context, name string) (model.Organisation, error) {
	return orgWhere(ctx, db, "name = $1", name)
}

func orgWhere(ctx context.Context, q Querier, cond string, arg any) (model.Organisation, error) {
	o, err := scanOrg(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organisations WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	if err != nil {
		return o, fmt.Errorf("store: organisation: %w", err)
	}
	return o, nil
}

// OrgFilter selects organisations for a listing.
type OrgFilter struct {
	Scope  string // local, external or all
	Search string // substring of the name, case-insensitive
}

// Organisations lists organisations by name.
func (db *DB) Organisations(ctx context.Context, f OrgFilter) ([]model.Organisation, error) {
	q := `SELECT ` + orgColumns + ` FROM organisations WHERE 1=1`
	var args []any
	switch f.Scope {
	case "local", "":
		q += ` AND local = true`
	case "external":
		q += ` AND local = false`
	}
	if f.Search != "" {
		args = append(args, "%"+f.Search+"%")
		q += fmt.Sprintf(` AND (LOWER(name) LIKE LOWER($%d) OR LOWER(uuid) LIKE LOWER($%[1]d))`, len(args))
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY LOWER(name)`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: organisations: %w", err)
	}
	defer rows.Close()
	var out []model.Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("store: organisations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// InsertOrganisation stores a new organisation and sets its id.
func InsertOrganisation(ctx context.Context, q Querier, o *model.Organisation) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO organisations (name, date_created, date_modified, description, type,
			nationality, sector, created_by, uuid, contacts, local, restricted_to_domain,
			landingpage)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING id`,
		o.Name, o.DateCreated, o.DateModified, o.Description, o.Type, o.Nationality, o.Sector,
		o.CreatedBy, o.UUID, o.Contacts, o.Local, o.RestrictedToDomain, o.Landingpage,
	).Scan(&o.ID)
	if err != nil {
		return fmt.Errorf("store: insert organisation: %w", uniqueErr(err))
	}
	return nil
}

// UpdateOrganisation writes every field of o.
func UpdateOrganisation(ctx context.Context, q Querier, o *model.Organisation) error {
	_, err := q.ExecContext(ctx, `
		UPDATE organisations SET name = $1, date_modified = $2, description = $3, type = $4,
			nationality = $5, sector = $6, uuid = $7, contacts = $8, local = $9,
			restricted_to_domain = $10, landingpage = $11
		WHERE id = $12`,
		o.Name, o.DateModified, o.Description, o.Type, o.Nationality, o.Sector, o.UUID,
		o.Contacts, o.Local, o.RestrictedToDomain, o.Landingpage, o.ID)
	if err != nil {
		return fmt.Errorf("store: update organisation: %w", uniqueErr(err))
	}
	return nil
}

// DeleteOrganisation removes an organisation.
func DeleteOrganisation(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM organisations WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete organisation: %w", err)
	}
	return mustAffect(res)
}

// OrgUserCount returns how many users belong to an organisation.
func (db *DB) OrgUserCount(ctx context.Context, id int64) (int64, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE org_id = $1`, id).Scan(&n)
	return n, err
}

// OrgInUse reports whether events, users or sharing groups still refer to an organisation.
func (db *DB) OrgInUse(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := db.QueryRowContext(ctx, `
		SELECT (SELECT COUNT(*) FROM users WHERE org_id = $1)
		     + (SELECT COUNT(*) FROM events WHERE org_id = $1 OR orgc_id = $1)`, id).Scan(&n)
	return n > 0, err
}

func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
