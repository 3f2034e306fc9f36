package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cairn-project/cairn/internal/model"
)

const userColumns = `
	id, password, org_id, server_id, email, autoalert, invited_by, gpgkey, certif_public,
	nids_sid, termsaccepted, newsread, role_id, change_pw, contactalert, disabled, expiration,
	current_login, last_login, force_logout, date_created, date_modified, sub,
	external_auth_required, external_auth_key, last_api_access, notification_daily,
	notification_weekly, notification_monthly, totp, hotp_counter, last_pw_change`

func scanUser(row interface{ Scan(...any) error }) (model.User, error) {
	var u model.User
	err := row.Scan(&u.ID, &u.Password, &u.OrgID, &u.ServerID, &u.Email, &u.Autoalert,
		&u.InvitedBy, &u.GPGKey, &u.CertifPublic, &u.NIDSSID, &u.TermsAccepted, &u.NewsRead,
		&u.RoleID, &u.ChangePW, &u.ContactAlert, &u.Disabled, &u.Expiration, &u.CurrentLogin,
		&u.LastLogin, &u.ForceLogout, &u.DateCreated, &u.DateModified, &u.Sub,
		&u.ExternalAuthRequired, &u.ExternalAuthKey, &u.LastAPIAccess, &u.NotificationDaily,
		&u.NotificationWeekly, &u.NotificationMonthly, &u.TOTP, &u.HOTPCounter, &u.LastPWChange)
	return u, err
}

// User returns the user with the given id.
func (db *DB) User(ctx context.Context, id int64) (model.User, error) {
	return userWhere(ctx, db, "id = $1", id)
}

// UserByEmail returns the user with the given email, compared case-insensitively.
func (db *DB) UserByEmail(ctx context.Context, email string) (model.User, error) {
	return userWhere(ctx, db, "LOWER(email) = LOWER($1)", email)
}

func userWhere(ctx context.Context, q Querier, cond string, arg any) (model.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("store: user: %w", err)
	}
	return u, nil
}

// UserWithRoleAndOrg loads a user with its role and organisation.
func (db *DB) UserWithRoleAndOrg(ctx context.Context, id int64) (
	model.User, model.Role, model.Organisation, error) {
	u, err := db.User(ctx, id)
	if err != nil {
		return u, model.Role{}, model.Organisation{}, err
	}
	r, err := db.Role(ctx, int64(u.RoleID))
	if err != nil {
		return u, r, model.Organisation{}, fmt.Errorf("store: role of user %d: %w", id, err)
	}
	o, err := db.Organisation(ctx, int64(u.OrgID))
	if err != nil {
		return u, r, o, fmt.Errorf("store: organisation of user %d: %w", id, err)
	}
	return u, r, o, nil
}

// UserFilter selects users for a listing.
type UserFilter struct {
	OrgID  int64  // 0: every organisation
	Search string // substring of the email
}

// Users lists users by id.
func (db *DB) Users(ctx context.Context, f UserFilter) ([]model.User, error) {
	q := `SELECT ` + userColumns + ` FROM users WHERE 1=1`
	var args []any
	if f.OrgID != 0 {
		args = append(args, f.OrgID)
		q += fmt.Sprintf(` AND org_id = $%d`, len(args))
	}
	if f.Search != "" {
		args = append(args, "%"+f.Search+"%")
		q += fmt.Sprintf(` AND LOWER(email) LIKE LOWER($%d)`, len(args))
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// InsertUser stores a new user and sets its id.
func InsertUser(ctx context.Context, q Querier, u *model.User) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO users (password, org_id, server_id, email, autoalert, invited_by, gpgkey,
			certif_public, nids_sid, termsaccepted, newsread, role_id, change_pw, contactalert,
			disabled, expiration, current_login, last_login, force_logout, date_created,
			date_modified, sub, external_auth_required, external_auth_key, last_api_access,
			notification_daily, notification_weekly, notification_monthly, totp, hotp_counter,
			last_pw_change)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
			$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31)
		RETURNING id`,
		u.Password, u.OrgID, u.ServerID, u.Email, u.Autoalert, u.InvitedBy, u.GPGKey,
		u.CertifPublic, u.NIDSSID, u.TermsAccepted, u.NewsRead, u.RoleID, u.ChangePW,
		u.ContactAlert, u.Disabled, u.Expiration, u.CurrentLogin, u.LastLogin, u.ForceLogout,
		u.DateCreated, u.DateModified, u.Sub, u.ExternalAuthRequired, u.ExternalAuthKey,
		u.LastAPIAccess, u.NotificationDaily, u.NotificationWeekly, u.NotificationMonthly,
		u.TOTP, u.HOTPCounter, u.LastPWChange,
	).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("store: insert user: %w", uniqueErr(err))
	}
	return nil
}

// UpdateUser writes the editable fields of u.
func UpdateUser(ctx context.Context, q Querier, u *model.User) error {
	res, err := q.ExecContext(ctx, `
		UPDATE users SET password = $1, org_id = $2, email = $3, autoalert = $4, gpgkey = $5,
			certif_public = $6, nids_sid = $7, termsaccepted = $8, role_id = $9,
			change_pw = $10, contactalert = $11, disabled = $12, expiration = $13,
			force_logout = $14, date_modified = $15, external_auth_required = $16,
			external_auth_key = $17, notification_daily = $18, notification_weekly = $19,
			notification_monthly = $20, last_pw_change = $21
		WHERE id = $22`,
		u.Password, u.OrgID, u.Email, u.Autoalert, u.GPGKey, u.CertifPublic, u.NIDSSID,
		u.TermsAccepted, u.RoleID, u.ChangePW, u.ContactAlert, u.Disabled, u.Expiration,
		u.ForceLogout, u.DateModified, u.ExternalAuthRequired, u.ExternalAuthKey,
		u.NotificationDaily, u.NotificationWeekly, u.NotificationMonthly, u.LastPWChange, u.ID)
	if err != nil {
		return fmt.Errorf("store: update user: %w", uniqueErr(err))
	}
	return mustAffect(res)
}

// DeleteUser removes a user and its keys and settings.
func DeleteUser(ctx context.Context, q Querier, id int64) error {
	for _, stmt := range []string{
		`DELETE FROM auth_keys WHERE user_id = $1`,
		`DELETE FROM user_settings WHERE user_id = $1`,
	} {
		if _, err := q.ExecContext(ctx, stmt, id); err != nil {
			return fmt.Errorf("store: delete user: %w", err)
		}
	}
	res, err := q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete user: %w", err)
	}
	return mustAffect(res)
}

// CountUsers returns the number of users.
func CountUsers(ctx context.Context, q Querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// UserSettings returns a user's settings as name → raw JSON value.
func (db *DB) UserSettings(ctx context.Context, userID int64) (map[string]string, error) {
	rows, err := db.QueryContext(ctx,
		`SELECT setting, value FROM user_settings WHERE user_id = $1 ORDER BY setting`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: user settings: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}
