package store

import (
	"context"
	"fmt"
)

// AuthKey is a stored API key: its bcrypt hash and what it grants.
type AuthKey struct {
	ID         int64
	UUID       string
	UserID     int64
	Hash       string
	Start, End string
	Created    int64
	Expiration int64 // 0: never
	ReadOnly   bool
	Comment    string
}

// AuthKeysByEnds returns the keys whose first and last four characters are start and end.
func (db *DB) AuthKeysByEnds(ctx context.Context, start, end string) ([]AuthKey, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT id, uuid, user_id, authkey, authkey_start, authkey_end, created, expiration,
			read_only, comment
		FROM auth_keys WHERE authkey_start = $1 AND authkey_end = $2`, start, end)
	if err != nil {
		return nil, fmt.Errorf("store: auth keys: %w", err)
	}
	defer rows.Close()
	var out []AuthKey
	for rows.Next() {
		var k AuthKey
		var comment *string
		if err := rows.Scan(&k.ID, &k.UUID, &k.UserID, &k.Hash, &k.Start, &k.End, &k.Created,
			&k.Expiration, &k.ReadOnly, &comment); err != nil {
			return nil, fmt.Errorf("store: auth keys: %w", err)
		}
		if comment != nil {
			k.Comment = *comment
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// InsertAuthKey stores a key and sets its id.
func InsertAuthKey(ctx context.Context, q Querier, k *AuthKey) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO auth_keys (uuid, authkey, authkey_start, authkey_end, created, expiration,
			read_only, user_id, comment)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`,
		k.UUID, k.Hash, k.Start, k.End, k.Created, k.Expiration, k.ReadOnly, k.UserID, k.Comment,
	).Scan(&k.ID)
	if err != nil {
		return fmt.Errorf("store: insert auth key: %w", uniqueErr(err))
	}
	return nil
}

// DeleteUserAuthKeys removes every key of a user.
func DeleteUserAuthKeys(ctx context.Context, q Querier, userID int64) error {
	_, err := q.ExecContext(ctx, `DELETE FROM auth_keys WHERE user_id = $1`, userID)
	if err != nil {
		return fmt.Errorf("store: delete auth keys: %w", err)
	}
	return nil
}

// AddAuthFailure records a failed authentication from ip, remembered until expire.
func (db *DB) AddAuthFailure(ctx context.Context, ip string, expire int64) error {
	_, err := db.ExecContext(ctx, `INSERT INTO bruteforces (ip, username, expire) VALUES ($1, '', $2)`,
		ip, expire)
	return err
}

// CountAuthFailures returns the failures from ip that have not expired at now, and removes
// the expired ones.
func (db *DB) CountAuthFailures(ctx context.Context, ip string, now int64) (int, error) {
	if _, err := db.ExecContext(ctx, `DELETE FROM bruteforces WHERE expire <= $1`, now); err != nil {
		return 0, err
	}
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bruteforces WHERE ip = $1`, ip).Scan(&n)
	return n, err
}

// AuthKeysOfUsers lists the keys of the given users (all users when userIDs is nil), by id.
func (db *DB) AuthKeysOfUsers(ctx context.Context, userIDs []int64) ([]AuthKey, error) {
	query := `SELECT id, uuid, user_id, authkey, authkey_start, authkey_end, created, expiration,
			read_only, comment
		FROM auth_keys`
	if userIDs != nil {
		if len(userIDs) == 0 {
			return nil, nil
		}
		query += ` WHERE user_id IN (` + ints(userIDs) + `)`
	}
	rows, err := db.QueryContext(ctx, query+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: auth keys: %w", err)
	}
	defer rows.Close()
	var out []AuthKey
	for rows.Next() {
		var k AuthKey
		var comment *string
		if err := rows.Scan(&k.ID, &k.UUID, &k.UserID, &k.Hash, &k.Start, &k.End, &k.Created,
			&k.Expiration, &k.ReadOnly, &comment); err != nil {
			return nil, fmt.Errorf("store: auth keys: %w", err)
		}
		if comment != nil {
			k.Comment = *comment
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// DeleteAuthKey removes one key.
func DeleteAuthKey(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM auth_keys WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete auth key: %w", err)
	}
	return mustAffect(res)
}
