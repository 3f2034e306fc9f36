package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/store"
)

// The audit log: every write of this package records, in the transaction that makes it, who
// changed which model row and how, as {"field":[old,new]} (old is null for a new row, new is
// null for a removed one). MISP's AuditLog behaviour does the same for each saved model.

// Audit actions.
const (
	actionAdd       = "add"
	actionEdit      = "edit"
	actionDelete    = "delete"
	actionSoftDel   = "soft-delete"
	actionRestore   = "restore"
	actionPublish   = "publish"
	actionUnpublish = "unpublish"
	actionTag       = "tag"
	actionUntag     = "untag"
)

// requestTypeAPI is MISP's AuditLog::REQUEST_TYPE_API.
const requestTypeAPI = 1

// audit collects the audit rows of one operation; write stores them in its transaction.
type audit struct {
	actor   *Actor
	created string
	rows    []store.AuditLog
}

func (s *Service) newAudit(a *Actor) *audit {
	return &audit{actor: a, created: s.now().UTC().Format("2006-01-02 15:04:05")}
}

// record notes one change of a row of model (Event, Attribute, Object, ...).
func (au *audit) record(action, model string, id, eventID int64, title string, c *change) {
	var data []byte
	if c != nil {
		data = c.bytes()
	}
	au.rows = append(au.rows, store.AuditLog{Created: au.created, UserID: au.actor.UserID(),
		OrgID: au.actor.OrgID(), AuthkeyID: au.actor.KeyID, IP: au.actor.IP,
		RequestType: requestTypeAPI, RequestID: au.actor.RequestID, Action: action,
		Model: model, ModelID: id, ModelTitle: title, EventID: eventID, Change: data})
}

// write stores the collected rows.
func (au *audit) write(ctx context.Context, tx *store.Tx) error {
	if len(au.rows) == 0 {
		return nil
	}
	if err := store.InsertAuditLogs(ctx, tx, au.rows); err != nil {
		return fmt.Errorf("events: audit: %w", err)
	}
	au.rows = au.rows[:0]
	return nil
}

// change builds the JSON of a change, {"field":[old,new],...}, cheaply enough to be written
// for each of the attributes of a large event.
type change struct{ buf []byte }

// set records field going from old to new; a nil old or new is JSON null. Values are
// strings, integers, booleans or MISP's wire types.
func (c *change) set(field string, old, new any) *change {
	if c.buf == nil {
		c.buf = append(make([]byte, 0, 256), '{')
	} else {
		c.buf = append(c.buf, ',')
	}
	c.buf = appendJSONString(c.buf, field)
	c.buf = append(c.buf, ':', '[')
	c.buf = appendJSONValue(c.buf, old)
	c.buf = append(c.buf, ',')
	c.buf = appendJSONValue(c.buf, new)
	c.buf = append(c.buf, ']')
	return c
}

// diff records field when old and new differ.
func (c *change) diff(field string, old, new any) *change {
	if old != new {
		c.set(field, old, new)
	}
	return c
}

func (c *change) empty() bool { return c.buf == nil }

func (c *change) bytes() []byte {
	if c.buf == nil {
		return []byte("{}")
	}
	return append(c.buf, '}')
}

func appendJSONValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, v)
	case *string:
		if v == nil {
			return append(b, "null"...)
		}
		return appendJSONString(b, *v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case misp.StrInt:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case misp.Bool:
		return strconv.AppendBool(b, bool(v))
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// appendJSONString appends s as a JSON string, replacing invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
