package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sighting is a row of sightings with the organisation that reported it.
type Sighting struct {
	ID, AttributeID, EventID, OrgID int64
	DateSighting                    int64
	UUID, Source                    string
	Type                            int64
	// OrgFound says whether the reporting organisation exists; OrgUUID and OrgName are
	// its uuid and name.
	OrgFound         bool
	OrgUUID, OrgName string
}

// SightingDetail is a sighting with what sightings/restSearch adds of its attribute and its
// event.
type SightingDetail struct {
	Sighting
	AttributeUUID, AttributeType, Category string
	Value1, Value2                         string
	ToIDs                                  bool
	EventUUID, EventInfo                   string
	EventOrgID, EventOrgcID                int64
	// OrgcName is the name of the event's creator organisation.
	OrgcName string
}

// sightingColumns are read in the order scanSighting expects; s is the sightings alias and
// org the reporting organisation, LEFT JOINed.
const sightingColumns = `
	s.id, s.attribute_id, s.event_id, s.org_id, s.date_sighting, s.uuid,
	COALESCE(s.source, ''), COALESCE(s.type, 0), COALESCE(org.id, 0), COALESCE(org.uuid, ''),
	COALESCE(org.name, '')`

// orgFound scans COALESCE(org.id, 0) into whether the organisation exists.
type orgFound struct{ found *bool }

func (f orgFound) Scan(src any) error {
	var id sql.NullInt64
	if err := id.Scan(src); err != nil {
		return err
	}
	*f.found = id.Int64 != 0
	return nil
}

func scanSighting(row interface{ Scan(...any) error }, s *Sighting, extra ...any) error {
	dest := []any{&s.ID, &s.AttributeID, &s.EventID, &s.OrgID, &s.DateSighting, &s.UUID,
		&s.Source, &s.Type, orgFound{&s.OrgFound}, &s.OrgUUID, &s.OrgName}
	return row.Scan(append(dest, extra...)...)
}

// SightingRef names a sighting by id or by uuid; exactly one is set.
type SightingRef struct {
	ID   int64
	UUID string
}

// FindSighting returns the sighting ref names, whoever may see it, or ErrNotFound.
func FindSighting(ctx context.Context, q Querier, ref SightingRef) (Sighting, error) {
	cond, arg := "s.id = $1", any(ref.ID)
	if ref.UUID != "" {
		cond, arg = "s.uuid = $1", strings.ToLower(ref.UUID)
	}
	var s Sighting
	err := scanSighting(q.QueryRowContext(ctx, `
		SELECT `+sightingColumns+`
		FROM sightings s
		LEFT JOIN organisations org ON org.id = s.org_id
		WHERE `+cond, arg), &s)
	if errors.Is(err, sql.ErrNoRows) {
		return s, ErrNotFound
	}
	if err != nil {
		return s, fmt.Errorf("store: find sighting: %w", err)
	}
	return s, nil
}

// DeleteSighting removes a sighting.
func DeleteSighting(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM sightings WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete sighting: %w", err)
	}
	return mustAffect(res)
}

// sightingBatch is how many rows one INSERT of sightings writes (7 parameters each).
const sightingBatch = 500

// InsertSightings stores new sightings (their ids are not read back: see SightingID).
func InsertSightings(ctx context.Context, q Querier, rows []Sighting) error {
	for len(rows) > 0 {
		n := min(len(rows), sightingBatch)
		var b strings.Builder
		b.WriteString(`INSERT INTO sightings (attribute_id, event_id, org_id, date_sighting, uuid,
			source, type) VALUES `)
		args := make([]any, 0, 7*n)
		for i, s := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			k := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", k+1, k+2, k+3, k+4, k+5,
				k+6, k+7)
			args = append(args, s.AttributeID, s.EventID, s.OrgID, s.DateSighting, s.UUID,
				s.Source, s.Type)
		}
		if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("store: insert sightings: %w", uniqueErr(err))
		}
		rows = rows[n:]
	}
	return nil
}

// SightingID returns the id of the sighting with the given uuid, or ErrNotFound.
func SightingID(ctx context.Context, q Querier, uuid string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM sightings WHERE uuid = $1`, uuid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("store: sighting by uuid: %w", err)
	}
	return id, nil
}

// DeleteExpirations removes the expirations that organisation orgID reported on the given
// attributes: an organisation keeps one expiration per attribute, the newest.
func DeleteExpirations(ctx context.Context, q Querier, orgID int64, attributeIDs []int64) error {
	for ids := range slices.Chunk(attributeIDs, 1000) {
		_, err := q.ExecContext(ctx, `
			DELETE FROM sightings
			WHERE org_id = $1 AND type = 2 AND attribute_id IN (`+ints(ids)+`)`, orgID)
		if err != nil {
			return fmt.Errorf("store: delete expirations: %w", err)
		}
	}
	return nil
}

// SetSightingTimestamp sets the sighting_timestamp of the given events.
func SetSightingTimestamp(ctx context.Context, q Querier, eventIDs []int64, ts int64) error {
	for ids := range slices.Chunk(eventIDs, 1000) {
		_, err := q.ExecContext(ctx, `
			UPDATE events SET sighting_timestamp = $1 WHERE id IN (`+ints(ids)+`)`, ts)
		if err != nil {
			return fmt.Errorf("store: set sighting timestamp: %w", err)
		}
	}
	return nil
}

// SightingTarget is an attribute that a new sighting is for.
type SightingTarget struct {
	AttributeID, EventID int64
}

// SightingTargetQuery names attributes to sight: by ids, by uuid, or by value (value1 or
// value2 equal to one of Values), among those Visible lets through.
type SightingTargetQuery struct {
	IDs    []int64
	UUID   string
	Values []string
	// Visible is the reader's condition on the aliases a (attributes), e (their events)
	// and o (their objects, LEFT JOINed).
	Visible string
}

// SightingTargets returns the attributes q names, in id order.
func SightingTargets(ctx context.Context, db Querier, q SightingTargetQuery) (
	[]SightingTarget, error) {
	var out []SightingTarget
	run := func(match string, args ...any) error {
		rows, err := db.QueryContext(ctx, `
			SELECT a.id, a.event_id
			FROM attributes a
			JOIN events e ON e.id = a.event_id
			LEFT JOIN objects o ON o.id = a.object_id
			WHERE `+match+` AND `+q.Visible, args...)
		if err != nil {
			return fmt.Errorf("store: sighting targets: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var t SightingTarget
			if err := rows.Scan(&t.AttributeID, &t.EventID); err != nil {
				return fmt.Errorf("store: sighting targets: %w", err)
			}
			out = append(out, t)
		}
		return rows.Err()
	}
	for ids := range slices.Chunk(q.IDs, 1000) {
		if err := run(`a.id IN (` + ints(ids) + `)`); err != nil {
			return nil, err
		}
	}
	if q.UUID != "" {
		if err := run(`a.uuid = $1`, strings.ToLower(q.UUID)); err != nil {
			return nil, err
		}
	}
	for values := range slices.Chunk(q.Values, 500) {
		var b condBuilder
		list := b.params(toAny(values))
		match := `(a.value1 IN (` + list + `) OR (a.value2 IN (` + list + `) AND a.value2 <> ''))`
		if err := run(match, b.args...); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(x, y SightingTarget) int {
		return cmp.Compare(x.AttributeID, y.AttributeID)
	})
	return slices.CompactFunc(out, func(x, y SightingTarget) bool {
		return x.AttributeID == y.AttributeID
	}), nil
}

// EventSightings returns the sightings of an event that shown lets through, a condition on
// the aliases s (sightings) and e (the event), in id order.
func EventSightings(ctx context.Context, q Querier, eventID int64, shown string) (
	[]Sighting, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT `+sightingColumns+`
		FROM sightings s
		JOIN events e ON e.id = s.event_id
		LEFT JOIN organisations org ON org.id = s.org_id
		WHERE s.event_id = $1 AND `+shown+`
		ORDER BY s.id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: event sightings: %w", err)
	}
	defer rows.Close()
	var out []Sighting
	for rows.Next() {
		var s Sighting
		if err := scanSighting(rows, &s); err != nil {
			return nil, fmt.Errorf("store: event sightings: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: event sightings: %w", err)
	}
	return out, nil
}

// SightingOrder is the order in which SearchSightings reads.
type SightingOrder int

// The orders.
const (
	// ByID reads in id order.
	ByID SightingOrder = iota
	// ByEvent reads event by event, each in id order.
	ByEvent
	// NewestFirst reads the latest sighted first (date_sighting descending, then id).
	NewestFirst
)

// SightingSearch selects sightings across events. Empty lists filter nothing.
type SightingSearch struct {
	// Visible is the reader's condition on the aliases s (sightings), a (the sighted
	// attributes), e (their events) and o (their objects, LEFT JOINed).
	Visible string
	// MatchNothing selects no sighting (a filter that names nothing).
	MatchNothing bool

	EventIDs, AttributeIDs     []int64
	EventUUIDs, AttributeUUIDs []string
	Types                      []int64
	Sources                    []string
	// OrgIDs and OrgUUIDs keep the sightings of those organisations, NotOrgIDs and
	// NotOrgUUIDs drop them.
	OrgIDs, NotOrgIDs     []int64
	OrgUUIDs, NotOrgUUIDs []string
	// Since and Until bound date_sighting (inclusive) when not nil.
	Since, Until *int64
	// LiveAttributes leaves out the sightings of soft-deleted attributes.
	LiveAttributes bool

	Order SightingOrder
}

const sightingFrom = `
	FROM sightings s
	JOIN attributes a ON a.id = s.attribute_id
	JOIN events e ON e.id = s.event_id
	LEFT JOIN objects o ON o.id = a.object_id
	LEFT JOIN organisations org ON org.id = s.org_id`

func (q *SightingSearch) where() *condBuilder {
	var b condBuilder
	b.add(q.Visible)
	if q.MatchNothing {
		b.add("false")
	}
	b.inInts("s.event_id", q.EventIDs, false)
	b.inInts("s.attribute_id", q.AttributeIDs, false)
	if len(q.EventUUIDs) > 0 {
		b.add("e.uuid IN (" + b.params(toAny(lowered(q.EventUUIDs))) + ")")
	}
	if len(q.AttributeUUIDs) > 0 {
		b.add("a.uuid IN (" + b.params(toAny(lowered(q.AttributeUUIDs))) + ")")
	}
	b.inInts("s.type", q.Types, false)
	if len(q.Sources) > 0 {
		b.add("s.source IN (" + b.params(toAny(q.Sources)) + ")")
	}
	var orgs []string
	if len(q.OrgIDs) > 0 {
		orgs = append(orgs, "s.org_id IN ("+ints(q.OrgIDs)+")")
	}
	if len(q.OrgUUIDs) > 0 {
		orgs = append(orgs, "s.org_id IN (SELECT id FROM organisations WHERE uuid IN ("+
			b.params(toAny(lowered(q.OrgUUIDs)))+"))")
	}
	if len(orgs) > 0 {
		b.add("(" + strings.Join(orgs, " OR ") + ")")
	}
	b.inInts("s.org_id", q.NotOrgIDs, true)
	if len(q.NotOrgUUIDs) > 0 {
		b.add("s.org_id NOT IN (SELECT id FROM organisations WHERE uuid IN (" +
			b.params(toAny(lowered(q.NotOrgUUIDs))) + "))")
	}
	if q.Since != nil {
		b.add("s.date_sighting >= " + b.param(*q.Since))
	}
	if q.Until != nil {
		b.add("s.date_sighting <= " + b.param(*q.Until))
	}
	if q.LiveAttributes {
		b.add("a.deleted = false")
	}
	return &b
}

func lowered(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strings.ToLower(s)
	}
	return out
}

// CountSightings returns how many sightings q selects.
func CountSightings(ctx context.Context, db Querier, q SightingSearch) (int64, error) {
	b := q.where()
	var n int64
	err := db.QueryRowContext(ctx, `SELECT COUNT(*)`+sightingFrom+b.where(), b.args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count sightings: %w", err)
	}
	return n, nil
}

// sightingChunk is how many sightings SearchSightings reads per query.
const sightingChunk = 1000

// SearchSightings calls fn with each sighting q selects, in q's order, with its attribute
// and event. In id and event order the rows are read a chunk at a time (keyset pagination),
// and each chunk is read whole before fn sees it, so that fn may run queries of its own on
// the same pool. The value passed to fn is reused: fn must copy it.
func SearchSightings(ctx context.Context, db Querier, q SightingSearch,
	fn func(*SightingDetail) error) error {
	b := q.where()
	query := `SELECT ` + sightingColumns + `, a.uuid, a.type, a.category, a.value1, a.value2,
		a.to_ids, e.uuid, e.info, e.org_id, e.orgc_id, COALESCE(orgc.name, '')` +
		sightingFrom + `
	LEFT JOIN organisations orgc ON orgc.id = e.orgc_id`
	if q.Order == NewestFirst {
		chunk, err := readSightings(ctx, db, query+b.where()+
			" ORDER BY s.date_sighting DESC, s.id", b.args)
		if err != nil {
			return err
		}
		return eachSighting(chunk, fn)
	}
	var afterEvent, afterID int64
	for {
		kb := condBuilder{conds: slices.Clone(b.conds), args: slices.Clone(b.args)}
		if q.Order == ByEvent {
			// A row value comparison walks the index on (event_id, id) from the last row.
			kb.add("(s.event_id, s.id) > (" + kb.param(afterEvent) + ", " + kb.param(afterID) + ")")
		} else {
			kb.add("s.id > " + kb.param(afterID))
		}
		order := " ORDER BY s.id"
		if q.Order == ByEvent {
			order = " ORDER BY s.event_id, s.id"
		}
		chunk, err := readSightings(ctx, db,
			query+kb.where()+order+fmt.Sprintf(" LIMIT %d", sightingChunk), kb.args)
		if err != nil {
			return err
		}
		if err := eachSighting(chunk, fn); err != nil {
			return err
		}
		if len(chunk) < sightingChunk {
			return nil
		}
		last := chunk[len(chunk)-1]
		afterEvent, afterID = last.EventID, last.ID
	}
}

func eachSighting(chunk []SightingDetail, fn func(*SightingDetail) error) error {
	for i := range chunk {
		if err := fn(&chunk[i]); err != nil {
			return err
		}
	}
	return nil
}

func readSightings(ctx context.Context, db Querier, query string, args []any) (
	[]SightingDetail, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: search sightings: %w", err)
	}
	defer rows.Close()
	var out []SightingDetail
	for rows.Next() {
		var d SightingDetail
		err := scanSighting(rows, &d.Sighting, &d.AttributeUUID, &d.AttributeType, &d.Category,
			&d.Value1, &d.Value2, &d.ToIDs, &d.EventUUID, &d.EventInfo, &d.EventOrgID,
			&d.EventOrgcID, &d.OrgcName)
		if err != nil {
			return nil, fmt.Errorf("store: search sightings: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search sightings: %w", err)
	}
	return out, nil
}

// VisibleAttributeIDs returns those of ids whose attributes visible lets through (a
// condition on the aliases a, e and o), live ones only, in id order.
func VisibleAttributeIDs(ctx context.Context, q Querier, ids []int64, visible string) (
	[]int64, error) {
	return visibleIDs(ctx, q, `
		SELECT a.id FROM attributes a
		JOIN events e ON e.id = a.event_id
		LEFT JOIN objects o ON o.id = a.object_id
		WHERE a.deleted = false AND `+visible+` AND a.id IN `, ids)
}

// VisibleEventIDs returns those of ids whose events visible lets through (a condition on
// the alias e), in id order.
func VisibleEventIDs(ctx context.Context, q Querier, ids []int64, visible string) (
	[]int64, error) {
	return visibleIDs(ctx, q, `SELECT e.id FROM events e WHERE `+visible+` AND e.id IN `, ids)
}

// visibleIDs runs query, which ends with "IN ", over ids a chunk at a time.
func visibleIDs(ctx context.Context, q Querier, query string, ids []int64) ([]int64, error) {
	var out []int64
	for chunk := range slices.Chunk(ids, 1000) {
		rows, err := q.QueryContext(ctx, query+"("+ints(chunk)+")")
		if err != nil {
			return nil, fmt.Errorf("store: visible ids: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: visible ids: %w", err)
			}
			out = append(out, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("store: visible ids: %w", err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
