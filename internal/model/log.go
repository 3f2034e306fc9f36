package model

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/cairn-project/cairn/internal/misp"
)

// The audit log in MISP's two wire shapes: AuditLog, MISP's current table, and Log, the
// legacy table that PyMISP's search_logs reads. Cairn keeps one table, audit_logs, and shows
// it in either shape.

// Log is an audit row in the shape of MISP's legacy Log (admin/logs/index).
type Log struct {
	ID          misp.StrInt `json:"id"`
	Title       string      `json:"title"`
	Created     string      `json:"created"`
	Model       string      `json:"model"`
	ModelID     misp.StrInt `json:"model_id"`
	Action      string      `json:"action"`
	UserID      misp.StrInt `json:"user_id"`
	Change      string      `json:"change"`
	Email       string      `json:"email"`
	Org         string      `json:"org"`
	Description string      `json:"description"`
	IP          string      `json:"ip"`
}

// EventLog is an audit row of one event's history (logs/event_index): the members of Log
// that MISP selects there.
type EventLog struct {
	Title   string      `json:"title"`
	Created string      `json:"created"`
	Model   string      `json:"model"`
	ModelID misp.StrInt `json:"model_id"`
	Action  string      `json:"action"`
	Change  string      `json:"change"`
	Org     string      `json:"org"`
	Email   string      `json:"email"`
}

// AuditLog is an audit row in the shape of MISP's AuditLog (reference §1.22). Change is
// the JSON {"field":[old,new],...} as recorded; the nullable columns are nil when unset.
type AuditLog struct {
	ID          misp.StrInt     `json:"id"`
	Created     string          `json:"created"`
	UserID      *misp.StrInt    `json:"user_id,omitempty"`
	OrgID       misp.StrInt     `json:"org_id"`
	Action      string          `json:"action"`
	Model       string          `json:"model"`
	ModelID     misp.StrInt     `json:"model_id"`
	ModelTitle  *string         `json:"model_title"`
	EventID     *misp.StrInt    `json:"event_id"`
	Change      json.RawMessage `json:"change"`
	IP          *string         `json:"ip"`
	RequestType misp.StrInt     `json:"request_type"`
	AuthkeyID   misp.StrInt     `json:"authkey_id"`
	RequestID   *string         `json:"request_id"`
	Title       string          `json:"title"`
}

// AuditLogEntry is one element of admin/audit_logs/index: the row with its user and its
// organisation. User is nil where MISP leaves it out (audit_logs/eventIndex hides the
// users of other organisations).
type AuditLogEntry struct {
	AuditLog     AuditLog      `json:"AuditLog"`
	User         *AuditLogUser `json:"User,omitempty"`
	Organisation AuditLogOrg   `json:"Organisation"`
}

// AuditLogUser is the user of an audit row; the members are null when the user is gone or
// the change was made by the system (user_id 0).
type AuditLogUser struct {
	ID    *misp.StrInt `json:"id"`
	Email *string      `json:"email"`
	OrgID *misp.StrInt `json:"org_id"`
}

// AuditLogOrg is the organisation of an audit row; the members are null when it is gone.
type AuditLogOrg struct {
	ID   *misp.StrInt `json:"id"`
	Name *string      `json:"name"`
	UUID *string      `json:"uuid"`
}

// LegacyChange writes an audit row's change, {"field":[old,new],...}, as MISP's legacy
// log writes one: "field (old) => (new), ..." in the recorded order. A null side is empty,
// booleans are 1 and 0 as MySQL stores them. A change that is not such an object is
// returned as it is.
func LegacyChange(change []byte) string {
	change = bytes.TrimSpace(change)
	if len(change) == 0 {
		return ""
	}
	dec := json.NewDecoder(bytes.NewReader(change))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return string(change)
	}
	var b strings.Builder
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return string(change)
		}
		var sides []json.RawMessage
		if err := dec.Decode(&sides); err != nil || len(sides) != 2 {
			return string(change)
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(key.(string))
		b.WriteString(" (")
		b.WriteString(legacyValue(sides[0]))
		b.WriteString(") => (")
		b.WriteString(legacyValue(sides[1]))
		b.WriteString(")")
	}
	return b.String()
}

// legacyValue writes one side of a change as PHP would print the column's value.
func legacyValue(raw json.RawMessage) string {
	switch s := string(bytes.TrimSpace(raw)); s {
	case "null":
		return ""
	case "true":
		return "1"
	case "false":
		return "0"
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}
