package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/cairn-project/cairn/internal/misp"
	"github.com/cairn-project/cairn/internal/model"
)

// The correlation index: one row per correlating value part of each attribute, keyed by a
// 64-bit hash of the value (package correlate decides what goes in). Readers find the
// other rows of a hash, bounded by the over-correlation limit, and check the values
// themselves on the attributes.

// CorrelationRow is one row of the correlation index.
type CorrelationRow struct {
	ValueHash   int64
	EventID     int64
	AttributeID int64
}

// CorrelationPair is an index row of the reading side and one of another event that
// shares its value hash.
type CorrelationPair struct {
	Own, Other CorrelationRow
	// Advanced marks a pair of advanced correlation (an address inside a CIDR block, similar
	// ssdeep hashes), found by the advanced indexes: its value hashes are not used.
	Advanced bool
}

// corrBatch keeps a statement with an IN list of ids short.
const corrBatch = 500

// InsertCorrelations adds the rows of attributes that have none in the index yet (new
// ones, or ones whose rows were just deleted) inside tx. The rows are written in hash
// order, so that the index's pages are visited once each, in order.
func InsertCorrelations(ctx context.Context, tx *Tx, rows []CorrelationRow) error {
	return insertCorrelations(ctx, tx, rows, "")
}

// AddCorrelations adds rows to the index inside tx, keeping those already there.
func AddCorrelations(ctx context.Context, tx *Tx, rows []CorrelationRow) error {
	return insertCorrelations(ctx, tx, rows, "ON CONFLICT DO NOTHING")
}

func insertCorrelations(ctx context.Context, tx *Tx, rows []CorrelationRow, tail string) error {
	if len(rows) == 0 {
		return nil
	}
	slices.SortFunc(rows, func(a, b CorrelationRow) int {
		return cmp.Or(cmp.Compare(a.ValueHash, b.ValueHash), cmp.Compare(a.EventID, b.EventID),
			cmp.Compare(a.AttributeID, b.AttributeID))
	})
	rows = slices.Compact(rows) // an attribute changed twice in one write
	if err := tx.growCache(ctx, len(rows)); err != nil {
		return err
	}
	w := newBatchWriter(tx, "correlations", "value_hash, event_id, attribute_id", tail, nil)
	for _, r := range rows {
		if err := w.add(ctx, r.ValueHash, r.EventID, r.AttributeID); err != nil {
			return fmt.Errorf("store: insert correlations: %w", err)
		}
	}
	if err := w.close(ctx); err != nil {
		return fmt.Errorf("store: insert correlations: %w", err)
	}
	return nil
}

// DeleteObjectCorrelations removes the index rows of the attributes of an object, those
// of advanced correlation too.
func DeleteObjectCorrelations(ctx context.Context, q Querier, eventID, objectID int64) error {
	defer deleting(q)()
	_, err := q.ExecContext(ctx, `DELETE FROM correlations WHERE event_id = $1
		AND attribute_id IN (SELECT id FROM attributes WHERE object_id = $2)`, eventID, objectID)
	if err != nil {
		return fmt.Errorf("store: delete object correlations: %w", err)
	}
	return deleteAdvancedWhere(ctx, q, `event_id = $1
		AND attribute_id IN (SELECT id FROM attributes WHERE object_id = $2)`, eventID, objectID)
}

// DeleteEventCorrelations removes the index rows of every attribute of an event, those of
// advanced correlation too.
func DeleteEventCorrelations(ctx context.Context, q Querier, eventID int64) error {
	defer deleting(q)()
	_, err := q.ExecContext(ctx, `DELETE FROM correlations WHERE event_id = $1`, eventID)
	if err != nil {
		return fmt.Errorf("store: delete event correlations: %w", err)
	}
	return deleteAdvancedWhere(ctx, q, `event_id = $1`, eventID)
}

// DeleteCorrelations removes the given rows of the index, found by their key; rows that
// are not there are no error.
func DeleteCorrelations(ctx context.Context, q Querier, rows []CorrelationRow) error {
	if len(rows) == 0 {
		return nil
	}
	defer deleting(q)()
	for len(rows) > 0 {
		n := min(len(rows), corrBatch)
		_, err := q.ExecContext(ctx, `DELETE FROM correlations
			WHERE (value_hash, event_id, attribute_id) IN (`+rowValues(rows[:n])+`)`)
		if err != nil {
			return fmt.Errorf("store: delete correlations: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}

// deletionCount counts the deletions from the correlation index of a SQLite database, for
// the readers that remember which values are over-correlating (see CorrelationDeletions):
// the number of rows that share a value hash only falls when rows are deleted. It moves
// when a transaction deletes rows, before the deletion, and again after the commit that
// makes them gone, so that what a reader found while the deletion was under way is not
// kept either.
type deletionCount struct {
	n       atomic.Uint64
	pending atomic.Bool // a deletion since the last commit
}

func (d *deletionCount) committed() {
	if d != nil && d.pending.Swap(false) {
		d.n.Add(1)
	}
}

// deleting notes a deletion from the correlation index through q, and returns what notes
// its end: for a statement on the pool, which commits at once, the count moves again then;
// in a transaction, the commit moves it.
func deleting(q Querier) func() {
	switch q := q.(type) {
	case *Tx:
		if q.deletions != nil {
			q.deletions.pending.Store(true)
			q.deletions.n.Add(1)
		}
	case *DB:
		if d := q.deletions; d != nil {
			d.n.Add(1)
			return func() { d.n.Add(1) }
		}
	}
	return func() {}
}

// CorrelationDeletions returns a number that changes whenever rows leave the correlation
// index, so that a reader may keep what it learnt of the index (which values are
// over-correlating) while it stays the same. Only a SQLite database, written by this
// process alone, can tell: ok is false on PostgreSQL, whose other replicas also delete.
func (db *DB) CorrelationDeletions() (n uint64, ok bool) {
	if db.deletions == nil {
		return 0, false
	}
	return db.deletions.n.Load(), true
}

// rowValues writes rows as a SQL VALUES list, typed for PostgreSQL. The values are
// integers written into the text.
func rowValues(rows []CorrelationRow) string {
	var b strings.Builder
	b.WriteString("VALUES ")
	for i, r := range rows {
		if i == 0 {
			fmt.Fprintf(&b, "(CAST(%d AS BIGINT), CAST(%d AS BIGINT), CAST(%d AS BIGINT))",
				r.ValueHash, r.EventID, r.AttributeID)
			continue
		}
		fmt.Fprintf(&b, ", (%d, %d, %d)", r.ValueHash, r.EventID, r.AttributeID)
	}
	return b.String()
}

// sharedBy is the number of rows of the index that have the hash in column col, counted up
// to the value of the parameter max: it reads at most that many rows, however common the
// value.
func sharedBy(col, max string) string {
	return `(SELECT COUNT(*) FROM (SELECT 1 FROM correlations x WHERE x.value_hash = ` + col +
		` LIMIT ` + max + `) n)`
}

// OverCorrelationMemo is what a reader of the correlation index already knows of the
// over-correlating values: Known says that more than the limit of rows shared the hash,
// Found is told of the hashes found so.
type OverCorrelationMemo interface {
	Known(hash int64) bool
	Found(hashes []int64)
}

// EventCorrelationCandidates calls fn with the pairs of index rows that join an attribute
// of event eventID with one of another event by their value hash, leaving out the hashes
// that more than limit rows share (over-correlating values). The values themselves are not
// compared: the caller checks them on the attributes. over, if not nil, spares counting the
// rows of the hashes it knows, and learns those found over the limit.
//
// The event's rows are read in batches; for each, one query counts the rows that share the
// hashes (up to limit+1), and one reads the other events' rows of the hashes that
// correlate. q must be the pool, not a transaction: the event's rows stay open meanwhile.
func EventCorrelationCandidates(ctx context.Context, q Querier, eventID int64, limit int,
	over OverCorrelationMemo, fn func(CorrelationPair) error) error {
	rows, err := q.QueryContext(ctx,
		`SELECT value_hash, attribute_id FROM correlations WHERE event_id = $1`, eventID)
	if err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	defer rows.Close()
	own := map[int64][]int64{} // the attributes of a hash, for a batch of hashes
	flush := func() error {
		err := eventCandidates(ctx, q, eventID, limit, own, over, fn)
		clear(own)
		return err
	}
	for rows.Next() {
		var h, id int64
		if err := rows.Scan(&h, &id); err != nil {
			return fmt.Errorf("store: correlation candidates: %w", err)
		}
		if over != nil && over.Known(h) {
			continue
		}
		own[h] = append(own[h], id)
		if len(own) == corrBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	return flush()
}

// eventCandidates reads the candidates of the hashes of own, which maps each to the
// event's attributes that have it.
func eventCandidates(ctx context.Context, q Querier, eventID int64, limit int,
	own map[int64][]int64, over OverCorrelationMemo, fn func(CorrelationPair) error) error {
	if len(own) == 0 {
		return nil
	}
	hashes := make([]int64, 0, len(own))
	for h := range own {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	rows, err := q.QueryContext(ctx, `
		WITH h (value_hash) AS (`+intValues(hashes)+`)
		SELECT h.value_hash, `+sharedBy("h.value_hash", "$1")+` FROM h`, limit+1)
	if err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	var shared, found []int64
	for rows.Next() {
		var h, n int64
		if err := rows.Scan(&h, &n); err != nil {
			rows.Close()
			return fmt.Errorf("store: correlation candidates: %w", err)
		}
		switch {
		case n > int64(limit):
			found = append(found, h)
		case n >= 2:
			shared = append(shared, h)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	if over != nil && len(found) > 0 {
		over.Found(found)
	}
	if len(shared) == 0 {
		return nil
	}
	slices.Sort(shared)
	rows, err = q.QueryContext(ctx, `
		SELECT value_hash, event_id, attribute_id FROM correlations
		WHERE value_hash IN (`+ints(shared)+`) AND event_id <> $1`, eventID)
	if err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	defer rows.Close()
	p := CorrelationPair{Own: CorrelationRow{EventID: eventID}}
	for rows.Next() {
		if err := rows.Scan(&p.Other.ValueHash, &p.Other.EventID, &p.Other.AttributeID); err != nil {
			return fmt.Errorf("store: correlation candidates: %w", err)
		}
		p.Own.ValueHash = p.Other.ValueHash
		for _, id := range own[p.Own.ValueHash] {
			p.Own.AttributeID = id
			if err := fn(p); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	return nil
}

// intValues writes ints as a SQL VALUES list of one BIGINT column.
func intValues(ints []int64) string {
	var b strings.Builder
	b.WriteString("VALUES ")
	for i, v := range ints {
		if i == 0 {
			fmt.Fprintf(&b, "(CAST(%d AS BIGINT))", v)
			continue
		}
		fmt.Fprintf(&b, ", (%d)", v)
	}
	return b.String()
}

// EventOverCorrelating returns the value hashes of event eventID that more than limit rows
// of the index share.
func EventOverCorrelating(ctx context.Context, q Querier, eventID int64, limit int) (
	map[int64]bool, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT h.value_hash FROM correlations h
		WHERE h.event_id = $1 AND `+sharedBy("h.value_hash", "$2")+` > $3`,
		eventID, limit+1, limit)
	if err != nil {
		return nil, fmt.Errorf("store: over-correlating values: %w", err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var h int64
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("store: over-correlating values: %w", err)
		}
		out[h] = true
	}
	return out, rows.Err()
}

// CorrelationCandidates calls fn with the index rows of other events that share a value
// hash with one of the rows own, for those of own that are in the index and whose hash
// at most limit rows share. own rows come from the caller's attributes; they are checked
// against the index, so an attribute that does not correlate (disabled, deleted, in an
// event that disables correlation) finds nothing.
func CorrelationCandidates(ctx context.Context, q Querier, own []CorrelationRow, limit int,
	fn func(CorrelationPair) error) error {
	for len(own) > 0 {
		n := min(len(own), corrBatch)
		if err := correlationCandidates(ctx, q, own[:n], limit, fn); err != nil {
			return err
		}
		own = own[n:]
	}
	return nil
}

func correlationCandidates(ctx context.Context, q Querier, own []CorrelationRow, limit int,
	fn func(CorrelationPair) error) error {
	rows, err := q.QueryContext(ctx, `
		WITH own (value_hash, event_id, attribute_id) AS (`+rowValues(own)+`)
		SELECT own.value_hash, own.event_id, own.attribute_id, c.event_id, c.attribute_id
		FROM own
		JOIN correlations k ON k.value_hash = own.value_hash AND k.event_id = own.event_id
			AND k.attribute_id = own.attribute_id
		JOIN correlations c ON c.value_hash = own.value_hash AND c.event_id <> own.event_id
		WHERE `+sharedBy("own.value_hash", "$1")+` BETWEEN 2 AND $2`, limit+1, limit)
	if err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p CorrelationPair
		if err := rows.Scan(&p.Own.ValueHash, &p.Own.EventID, &p.Own.AttributeID,
			&p.Other.EventID, &p.Other.AttributeID); err != nil {
			return fmt.Errorf("store: correlation candidates: %w", err)
		}
		p.Other.ValueHash = p.Own.ValueHash
		if err := fn(p); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: correlation candidates: %w", err)
	}
	return nil
}

// CorrelatedEvent is the event of the other side of a correlation, as attributes/restSearch
// sends it inside RelatedAttribute.
type CorrelatedEvent struct {
	ID             misp.StrInt `json:"id"`
	UUID           string      `json:"uuid"`
	ThreatLevelID  misp.StrInt `json:"threat_level_id"`
	Analysis       misp.StrInt `json:"analysis"`
	Info           string      `json:"info"`
	ExtendsUUID    string      `json:"extends_uuid"`
	Distribution   misp.StrInt `json:"distribution"`
	SharingGroupID misp.StrInt `json:"sharing_group_id"`
	Published      misp.Bool   `json:"published"`
	Date           string      `json:"date"`
	OrgcID         misp.StrInt `json:"orgc_id"`
	OrgID          misp.StrInt `json:"org_id"`
}

// CorrelatedAttribute is the other side of a correlation: an attribute with its value
// parts and its event.
type CorrelatedAttribute struct {
	model.Attribute
	Value1, Value2 string
	Event          CorrelatedEvent
}

const correlatedSelect = `
	SELECT a.id, a.event_id, a.object_id, a.object_relation, a.category, a.type, a.value1,
		a.value2, a.to_ids, a.uuid, a.timestamp, a.distribution, a.sharing_group_id,
		COALESCE(a.comment, ''), e.uuid, e.threat_level_id, e.analysis, e.info,
		COALESCE(e.extends_uuid, ''), e.distribution, e.sharing_group_id, e.published, e.date,
		e.orgc_id, e.org_id
	FROM attributes a
	JOIN events e ON e.id = a.event_id`

// CorrelatedAttributes returns, by id, those of the attributes ids that correlate (not
// deleted, correlation not disabled on them or their event) and pass the access condition
// visible (on aliases e, a and o, as acl.AttributeCondition writes it; "true" for none).
func CorrelatedAttributes(ctx context.Context, q Querier, ids []int64, visible string) (
	map[int64]*CorrelatedAttribute, error) {
	out := make(map[int64]*CorrelatedAttribute, len(ids))
	join := ""
	if visible != "" && visible != "true" {
		join = "\n\tLEFT JOIN objects o ON o.id = a.object_id"
		visible = " AND " + visible
	} else {
		visible = ""
	}
	for len(ids) > 0 {
		n := min(len(ids), corrBatch)
		rows, err := q.QueryContext(ctx, correlatedSelect+join+`
			WHERE a.id IN (`+ints(ids[:n])+`) AND a.deleted = false
				AND a.disable_correlation = false AND e.disable_correlation = false`+visible)
		if err != nil {
			return nil, fmt.Errorf("store: correlated attributes: %w", err)
		}
		err = scanCorrelated(rows, out)
		if err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

func scanCorrelated(rows *sql.Rows, out map[int64]*CorrelatedAttribute) error {
	defer rows.Close()
	for rows.Next() {
		c := &CorrelatedAttribute{}
		a, ev := &c.Attribute, &c.Event
		err := rows.Scan(&a.ID, &a.EventID, &a.ObjectID, &a.ObjectRelation, &a.Category, &a.Type,
			&c.Value1, &c.Value2, &a.ToIDs, &a.UUID, &a.Timestamp, &a.Distribution,
			&a.SharingGroupID, &a.Comment, &ev.UUID, &ev.ThreatLevelID, &ev.Analysis, &ev.Info,
			&ev.ExtendsUUID, &ev.Distribution, &ev.SharingGroupID, &ev.Published, &ev.Date,
			&ev.OrgcID, &ev.OrgID)
		if err != nil {
			return fmt.Errorf("store: correlated attributes: %w", err)
		}
		a.Value = misp.JoinValue(c.Value1, c.Value2)
		if a.ObjectID == 0 {
			a.ObjectRelation = nil
		}
		ev.ID, ev.Date = a.EventID, dateOnly(ev.Date)
		out[int64(a.ID)] = c
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: correlated attributes: %w", err)
	}
	return nil
}

// EventsByID returns the events with the given ids, with their organisations, in no
// particular order. The caller has checked that the reader may see them.
func EventsByID(ctx context.Context, q Querier, ids []int64) ([]model.Event, error) {
	var out []model.Event
	for len(ids) > 0 {
		n := min(len(ids), corrBatch)
		rows, err := q.QueryContext(ctx, eventSelect+`
			WHERE e.id IN (`+ints(ids[:n])+`)`)
		if err != nil {
			return nil, fmt.Errorf("store: events by id: %w", err)
		}
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: events by id: %w", err)
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: events by id: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// OverCorrelatingHash is a value hash that more rows of the index share than the limit.
type OverCorrelatingHash struct {
	ValueHash int64
	Count     int64
	// AttributeID is one of the attributes that carry the value.
	AttributeID int64
}

// OverCorrelatingHashes returns the value hashes that more than limit rows share, most
// shared first, page (from 1) of perPage.
//
// note: this reads the whole index once, in hash order; it serves an administrator's
// listing, not a request path.
func OverCorrelatingHashes(ctx context.Context, q Querier, limit, page, perPage int) (
	[]OverCorrelatingHash, error) {
	rows, err := q.QueryContext(ctx, `
		SELECT value_hash, COUNT(*), MIN(attribute_id) FROM correlations
		GROUP BY value_hash HAVING COUNT(*) > $1
		ORDER BY COUNT(*) DESC, value_hash
		LIMIT $2 OFFSET $3`, limit, perPage, (page-1)*perPage)
	if err != nil {
		return nil, fmt.Errorf("store: over-correlating values: %w", err)
	}
	defer rows.Close()
	var out []OverCorrelatingHash
	for rows.Next() {
		var h OverCorrelatingHash
		if err := rows.Scan(&h.ValueHash, &h.Count, &h.AttributeID); err != nil {
			return nil, fmt.Errorf("store: over-correlating values: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// AttributeValues returns the type and value parts of some attributes, by id, deleted or
// not.
func AttributeValues(ctx context.Context, q Querier, ids []int64) (map[int64][3]string, error) {
	out := make(map[int64][3]string, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), corrBatch)
		rows, err := q.QueryContext(ctx, `SELECT id, type, value1, value2 FROM attributes
			WHERE id IN (`+ints(ids[:n])+`)`)
		if err != nil {
			return nil, fmt.Errorf("store: attribute values: %w", err)
		}
		for rows.Next() {
			var id int64
			var v [3]string
			if err := rows.Scan(&id, &v[0], &v[1], &v[2]); err != nil {
				rows.Close()
				return nil, fmt.Errorf("store: attribute values: %w", err)
			}
			out[id] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("store: attribute values: %w", err)
		}
		ids = ids[n:]
	}
	return out, nil
}

// IndexedAttribute is an attribute as the correlation index needs it, with the row of the
// index it was found by (zero when it was found by value).
type IndexedAttribute struct {
	Row                CorrelationRow
	ID, EventID        int64
	Type               string
	Value1, Value2     string
	DisableCorrelation bool
	// EventDisableCorrelation is the attribute's event's disable_correlation flag.
	EventDisableCorrelation bool
}

// IndexedRowsByHash calls fn with the rows of the index that have one of the hashes, with
// their attributes.
func IndexedRowsByHash(ctx context.Context, q Querier, hashes []int64,
	fn func(*IndexedAttribute) error) error {
	for len(hashes) > 0 {
		n := min(len(hashes), corrBatch)
		err := indexedRows(ctx, q, `c.value_hash IN (`+ints(hashes[:n])+`)`, nil, fn)
		if err != nil {
			return err
		}
		hashes = hashes[n:]
	}
	return nil
}

// IndexedRowsLike calls fn with the rows of the index whose attribute has a value part
// that matches one of the LIKE patterns (written with ! as the escape character). Matching
// is case-insensitive on SQLite: callers check the values again.
func IndexedRowsLike(ctx context.Context, q Querier, patterns []string,
	fn func(*IndexedAttribute) error) error {
	if len(patterns) == 0 {
		return nil
	}
	var b condBuilder
	return indexedRows(ctx, q, valueMatch(&b, nil, patterns), b.args, fn)
}

// valueMatch returns the condition that a value part of the attribute aliased a equals
// one of exact or matches one of the LIKE patterns (! escapes).
func valueMatch(b *condBuilder, exact, patterns []string) string {
	var or []string
	for _, v := range exact {
		ph := b.param(v)
		// The value2 index leaves out empty values: say so, for the planner to use it.
		or = append(or, `a.value1 = `+ph, `(a.value2 = `+ph+` AND a.value2 <> '')`)
	}
	for _, p := range patterns {
		ph := b.param(p)
		or = append(or, `a.value1 LIKE `+ph+` ESCAPE '!'`, `a.value2 LIKE `+ph+` ESCAPE '!'`)
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

func indexedRows(ctx context.Context, q Querier, cond string, args []any,
	fn func(*IndexedAttribute) error) error {
	rows, err := q.QueryContext(ctx, `
		SELECT c.value_hash, c.event_id, c.attribute_id, a.type, a.value1, a.value2
		FROM correlations c JOIN attributes a ON a.id = c.attribute_id
		WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("store: indexed rows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a IndexedAttribute
		if err := rows.Scan(&a.Row.ValueHash, &a.Row.EventID, &a.Row.AttributeID, &a.Type,
			&a.Value1, &a.Value2); err != nil {
			return fmt.Errorf("store: indexed rows: %w", err)
		}
		a.ID, a.EventID = a.Row.AttributeID, a.Row.EventID
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: indexed rows: %w", err)
	}
	return nil
}

// AttributesWithValues calls fn with the attributes that are not deleted and have a value
// part equal to one of exact or matching one of the LIKE patterns (! escapes), with their
// flags, whether or not they are in the index.
func AttributesWithValues(ctx context.Context, q Querier, exact, patterns []string,
	fn func(*IndexedAttribute) error) error {
	if len(exact)+len(patterns) == 0 {
		return nil
	}
	var b condBuilder
	rows, err := q.QueryContext(ctx, `
		SELECT a.id, a.event_id, a.type, a.value1, a.value2, a.disable_correlation,
			e.disable_correlation
		FROM attributes a JOIN events e ON e.id = a.event_id
		WHERE a.deleted = false AND `+valueMatch(&b, exact, patterns), b.args...)
	if err != nil {
		return fmt.Errorf("store: attributes by value: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a IndexedAttribute
		if err := rows.Scan(&a.ID, &a.EventID, &a.Type, &a.Value1, &a.Value2,
			&a.DisableCorrelation, &a.EventDisableCorrelation); err != nil {
			return fmt.Errorf("store: attributes by value: %w", err)
		}
		if err := fn(&a); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: attributes by value: %w", err)
	}
	return nil
}

// CorrelationExclusion is a row of correlation_exclusions.
type CorrelationExclusion struct {
	ID       misp.StrInt `json:"id"`
	Value    string      `json:"value"`
	FromJSON misp.Bool   `json:"from_json"`
	Comment  *string     `json:"comment"`
}

// CorrelationExclusionValues returns every correlation exclusion pattern.
func CorrelationExclusionValues(ctx context.Context, q Querier) ([]string, error) {
	list, err := CorrelationExclusions(ctx, q, "")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(list))
	for i, x := range list {
		out[i] = x.Value
	}
	return out, nil
}

// CorrelationExclusions returns the correlation exclusions in id order; search, when not
// empty, keeps those whose value or comment contains it.
func CorrelationExclusions(ctx context.Context, q Querier, search string) (
	[]CorrelationExclusion, error) {
	query := `SELECT id, value, COALESCE(from_json, false), comment FROM correlation_exclusions`
	var args []any
	if search != "" {
		query += ` WHERE value LIKE $1 ESCAPE '!' OR comment LIKE $1 ESCAPE '!'`
		args = append(args, "%"+EscapeLike(search)+"%")
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: correlation exclusions: %w", err)
	}
	defer rows.Close()
	var out []CorrelationExclusion
	for rows.Next() {
		var x CorrelationExclusion
		if err := rows.Scan(&x.ID, &x.Value, &x.FromJSON, &x.Comment); err != nil {
			return nil, fmt.Errorf("store: correlation exclusions: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// FindCorrelationExclusion returns one correlation exclusion, or ErrNotFound.
func FindCorrelationExclusion(ctx context.Context, q Querier, id int64) (
	CorrelationExclusion, error) {
	var x CorrelationExclusion
	err := q.QueryRowContext(ctx, `
		SELECT id, value, COALESCE(from_json, false), comment FROM correlation_exclusions
		WHERE id = $1`, id).Scan(&x.ID, &x.Value, &x.FromJSON, &x.Comment)
	if errors.Is(err, sql.ErrNoRows) {
		return x, ErrNotFound
	}
	if err != nil {
		return x, fmt.Errorf("store: correlation exclusion: %w", err)
	}
	return x, nil
}

// InsertCorrelationExclusion stores a new exclusion and sets its id; a value already
// excluded gives ErrConflict.
func InsertCorrelationExclusion(ctx context.Context, q Querier, x *CorrelationExclusion) error {
	err := q.QueryRowContext(ctx, `
		INSERT INTO correlation_exclusions (value, from_json, comment) VALUES ($1, $2, $3)
		RETURNING id`, x.Value, x.FromJSON, x.Comment).Scan(&x.ID)
	if err != nil {
		return fmt.Errorf("store: add correlation exclusion: %w", uniqueErr(err))
	}
	return nil
}

// DeleteCorrelationExclusion removes an exclusion, or gives ErrNotFound.
func DeleteCorrelationExclusion(ctx context.Context, q Querier, id int64) error {
	res, err := q.ExecContext(ctx, `DELETE FROM correlation_exclusions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete correlation exclusion: %w", err)
	}
	return mustAffect(res)
}

// EscapeLike escapes the LIKE wildcards of s with !, the escape character the queries of
// this file declare.
func EscapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}
