package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/cairn-project/cairn/internal/model"
)

var roleColumns = `id, name, created, modified, ` + strings.Join(model.PermColumns, ", ") + `,
	default_role, memory_limit, max_execution_time, restricted_to_site_admin,
	enforce_rate_limit, rate_limit_count`

func scanRole(row interface{ Scan(...any) error }) (model.Role, error) {
	var r model.Role
	dest := []any{&r.ID, &r.Name, &r.Created, &r.Modified}
	for _, p := range r.Perms.Fields() {
		dest = append(dest, p)
	}
	dest = append(dest, &r.DefaultRole, &r.MemoryLimit, &r.MaxExecutionTime,
		&r.RestrictedToSiteAdmin, &r.EnforceRateLimit, &r.RateLimitCount)
	err := row.Scan(dest...)
	for _, p := range []**string{&r.MemoryLimit, &r.MaxExecutionTime} {
		if *p != nil && **p == "" {
			*p = nil // MISP sends an unset limit as null
		}
	}
	r.SetPermission()
	return r, err
}

// Role returns the role with the given id.
func (db *DB) Role(ctx context.Context, id int64) (model.Role, error) {
	r, err := scanRole(db.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: role: %w", err)
	}
	return r, nil
}

// Roles lists every role by id.
func (db *DB) Roles(ctx context.Context) ([]model.Role, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: roles: %w", err)
	}
	defer rows.Close()
	var out []model.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, fmt.Errorf("store: roles: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func roleArgs(r *model.Role) []any {
	args := []any{r.Name, r.Created, r.Modified}
	for _, p := range r.Perms.Fields() {
		args = append(args, *p)
	}
	return append(args, r.DefaultRole, r.MemoryLimit, r.MaxExecutionTime,
		r.RestrictedToSiteAdmin, r.EnforceRateLimit, r.RateLimitCount)
}

func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", from+i)
	}
	return b.String()
}

// InsertRole stores a role. A role with a non-zero id keeps it (MISP's stock roles have
// fixed ids); otherwise the id is assigned.
func InsertRole(ctx context.Context, q Querier, r *model.Role) error {
	cols := strings.TrimPrefix(roleColumns, "id, ")
	args := roleArgs(r)
	if r.ID != 0 {
		_, err := q.ExecContext(ctx, `INSERT INTO roles (id, `+cols+`) VALUES (`+
			placeholders(1, len(args)+1)+`)`, append([]any{r.ID}, args...)...)
		if err != nil {
			return fmt.Errorf("store: insert role: %w", uniqueErr(err))
		}
		return nil
	}
	err := q.QueryRowContext(ctx, `INSERT INTO roles (`+cols+`) VALUES (`+
		placeholders(1, len(args))+`) RETURNING id`, args...).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("store: insert role: %w", uniqueErr(err))
	}
	return nil
}

// UpdateRole writes every field of r.
func UpdateRole(ctx context.Context, q Querier, r *model.Role) error {
	cols := strings.Split(strings.TrimPrefix(roleColumns, "id, "), ",")
	var set []string
	for i, c := range cols {
		set = append(set, fmt.Sprintf("%s = $%d", strings.TrimSpace(c), i+1))
	}
	args := append(roleArgs(r), r.ID)
	res, err := q.ExecContext(ctx, `UPDATE roles SET `+strings.Join(set, ", ")+
		fmt.Sprintf(` WHERE id = $%d`, len(args)), args...)
	if err != nil {
		return fmt.Errorf("store: update role: %w", uniqueErr(err))
	}
	return mustAffect(res)
}

// DeleteRole removes a role.
func DeleteRole(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM roles WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete role: %w", err)
	}
	return mustAffect(res)
}

// SetDefaultRole makes id the only default role.
func SetDefaultRole(ctx context.Context, q Querier, id int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE roles SET default_role = false`); err != nil {
		return fmt.Errorf("store: default role: %w", err)
	}
	res, err := q.ExecContext(ctx, `UPDATE roles SET default_role = true WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: default role: %w", err)
	}
	return mustAffect(res)
}

// RoleInUse reports whether users hold the role.
func (db *DB) RoleInUse(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role_id = $1`, id).Scan(&n)
	return n > 0, err
}

// SyncSequence moves a table's id sequence past the largest id, after rows were inserted
// with explicit ids. SQLite's AUTOINCREMENT needs no help.
func (db *DB) SyncSequence(ctx context.Context, q Querier, table string) error {
	if db.Dialect() != Postgres {
		return nil
	}
	_, err := q.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'),
		(SELECT COALESCE(MAX(id), 1) FROM `+table+`))`)
	if err != nil {
		return fmt.Errorf("store: sync sequence of %s: %w", table, err)
	}
	return nil
}

// CountRoles returns the number of roles.
func CountRoles(ctx context.Context, q Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM roles`).Scan(&n)
	return n, err
}
