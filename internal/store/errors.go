package store

import (
	"errors"
	"fmt"
	"strings"
)

// The error kinds the store returns. Callers test them with errors.Is; the API maps them
// to statuses in one table.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique value (a name, an email, a uuid) is already taken.
	ErrConflict = errors.New("conflict")
)

// uniqueErr turns a unique-constraint violation of either dialect into ErrConflict.
func uniqueErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
