package store

import (
	"context"
)

// AuditLog is a row of audit_logs: who changed what, and how.
type AuditLog struct {
	Created     string // YYYY-MM-DD HH:MM:SS, UTC
	UserID      int64
	OrgID       int64
	AuthkeyID   int64 // 0 when the change did not come through an API key
	IP          string
	RequestType int // MISP's AuditLog::REQUEST_TYPE_*: 0 web, 1 API, 2 CLI
	RequestID   string
	Action      string // add, edit, delete, publish, ...
	Model       string // Event, Attribute, Object, ObjectReference, EventTag, ...
	ModelID     int64
	ModelTitle  string
	EventID     int64
	Change      []byte // JSON
}

const auditLogColumns = `created, user_id, org_id, authkey_id, ip, request_type, request_id,
	action, model, model_id, model_title, event_id, change`

// InsertAuditLogs records changes, many rows per statement.
func InsertAuditLogs(ctx context.Context, tx *Tx, logs []AuditLog) error {
	w := newBatchWriter(tx, "audit_logs", auditLogColumns, "", nil)
	for i := range logs {
		l := &logs[i]
		var key any
		if l.AuthkeyID != 0 {
			key = l.AuthkeyID
		}
		err := w.add(ctx, l.Created, l.UserID, l.OrgID, key, l.IP, l.RequestType, l.RequestID,
			l.Action, l.Model, l.ModelID, l.ModelTitle, l.EventID, l.Change)
		if err != nil {
			return err
		}
	}
	return w.close(ctx)
}
