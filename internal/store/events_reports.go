package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

const reportColumns = `
	r.id, r.uuid, r.event_id, r.name, COALESCE(r.content, ''), r.distribution,
	COALESCE(r.sharing_group_id, 0), r.timestamp, r.deleted`

// EventReports returns the reports of an event in id order. visible is the access
// condition on alias r ("true" for none); deleted includes the soft-deleted reports.
func EventReports(ctx context.Context, q Querier, eventID int64, visible string, deleted bool) (
	[]model.EventReport, error) {
	query := `SELECT ` + reportColumns + ` FROM event_reports r WHERE r.event_id = $1`
	if !deleted {
		query += ` AND r.deleted = false`
	}
	if visible != "" && visible != "true" {
		query += ` AND ` + visible
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY r.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: event reports: %w", err)
	}
	defer rows.Close()
	var out []model.EventReport
	for rows.Next() {
		var r model.EventReport
		err := rows.Scan(&r.ID, &r.UUID, &r.EventID, &r.Name, &r.Content, &r.Distribution,
			&r.SharingGroupID, &r.Timestamp, &r.Deleted)
		if err != nil {
			return nil, fmt.Errorf("store: event reports: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertReports stores new event reports and sets their ids.
func InsertReports(ctx context.Context, tx *Tx, reports []*model.EventReport) error {
	pending := map[string]*model.EventReport{}
	w := newBatchWriter(tx, "event_reports",
		"uuid, event_id, name, content, distribution, sharing_group_id, timestamp, deleted",
		"RETURNING id, uuid", func(rows *sql.Rows) error {
			var id int64
			var uuid string
			if err := rows.Scan(&id, &uuid); err != nil {
				return err
			}
			if r := pending[uuid]; r != nil {
				r.ID = misp.StrInt(id)
			}
			return nil
		})
	for _, r := range reports {
		pending[r.UUID] = r
		err := w.add(ctx, r.UUID, r.EventID, r.Name, r.Content, r.Distribution,
			r.SharingGroupID, r.Timestamp, r.Deleted)
		if err != nil {
			return err
		}
	}
	return w.close(ctx)
}

// UpdateReport writes the editable columns of r.
func UpdateReport(ctx context.Context, q Querier, r *model.EventReport) error {
	res, err := q.ExecContext(ctx, `
		UPDATE event_reports SET name = $1, content = $2, distribution = $3,
			sharing_group_id = $4, timestamp = $5, deleted = $6
		WHERE id = $7`,
		r.Name, r.Content, r.Distribution, r.SharingGroupID, r.Timestamp, r.Deleted, r.ID)
	if err != nil {
		return fmt.Errorf("store: update event report: %w", err)
	}
	return mustAffect(res)
}

// ReportsByUUID returns the reports of an event with the given uuids.
func ReportsByUUID(ctx context.Context, q Querier, eventID int64, uuids []string) (
	map[string]model.EventReport, error) {
	out := map[string]model.EventReport{}
	if len(uuids) == 0 {
		return out, nil
	}
	var b condBuilder
	b.param(eventID)
	in := b.params(toAny(uuids))
	rows, err := q.QueryContext(ctx, `SELECT `+reportColumns+`
		FROM event_reports r WHERE r.event_id = $1 AND r.uuid IN (`+in+`)`, b.args...)
	if err != nil {
		return nil, fmt.Errorf("store: reports by uuid: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r model.EventReport
		err := rows.Scan(&r.ID, &r.UUID, &r.EventID, &r.Name, &r.Content, &r.Distribution,
			&r.SharingGroupID, &r.Timestamp, &r.Deleted)
		if err != nil {
			return nil, fmt.Errorf("store: reports by uuid: %w", err)
		}
		out[r.UUID] = r
	}
	return out, rows.Err()
}
