package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting returns the stored value of a runtime setting; ok is false when it was never set.
func (db *DB) Setting(ctx context.Context, name string) (value string, ok bool, err error) {
	err = db.QueryRowContext(ctx, `SELECT value FROM admin_settings WHERE name = $1`, name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("store: setting %s: %w", name, err)
	}
	return value, true, nil
}

// Settings returns every stored runtime setting.
func (db *DB) Settings(ctx context.Context) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, value FROM admin_settings`)
	if err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
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

// SetSetting stores the value of a runtime setting.
func SetSetting(ctx context.Context, q Querier, name, value string) error {
	_, err := q.ExecContext(ctx, `
		INSERT INTO admin_settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", name, err)
	}
	return nil
}
