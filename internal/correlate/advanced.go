package correlate

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/cairn-project/cairn/internal/store"
)

// Advanced correlation (MISP.enable_advanced_correlations) relates attributes whose values
// differ: an IP address with the CIDR blocks that contain it (value1 of ip-src, ip-dst and
// their |port forms, both ways), and ssdeep hashes whose fuzzy comparison reaches
// MISP.ssdeep_correlation_threshold. Its own indexes (one row per value, see package store)
// are kept by every write whatever the setting; the setting decides whether readers use
// them. Candidates found there are checked on the attributes themselves, with the reader's
// rights, as exact correlations are.
//
// The over-correlation limit applies to each side: an attribute whose value relates this way
// to more than MISP.correlation_limit attributes of other events correlates with none of
// them this way, and is flagged over-correlating.
//
// note: MISP stores one value with each correlation, the one of the attribute that was
// there first; Cairn shows, in RelatedAttribute, the value of the other attribute.

// ssdeepType is the type whose value1 correlates by ssdeep similarity.
const ssdeepType = "ssdeep"

// advancedTypes are the types that take part in advanced correlation.
var advancedTypes = []string{"ip-src", "ip-dst", "ip-src|port", "ip-dst|port", ssdeepType}

// advancedRows returns the rows of the advanced indexes for attrs: those whose value1
// correlates (see Values) and is an address or a CIDR block of an IP type, or an ssdeep hash.
func advancedRows(attrs []Attr, ex *Exclusions) store.AdvancedRows {
	var out store.AdvancedRows
	for _, a := range attrs {
		if v := Values(a, ex); len(v) > 0 && v[0] == a.Value1 {
			addAdvancedRows(&out, a)
		}
	}
	return out
}

func addAdvancedRows(out *store.AdvancedRows, a Attr) {
	switch {
	case networkTypes[a.Type]:
		if ip, ok := parseAddress(a.Value1); ok {
			out.Addresses = append(out.Addresses, store.AddressRow{Address: addressKey(ip),
				EventID: a.EventID, AttributeID: a.ID})
		} else if p, ok := parseBlock(a.Value1); ok {
			out.Blocks = append(out.Blocks, store.BlockRow{Bits: p.Bits(),
				Start: addressKey(p.Addr()), EventID: a.EventID, AttributeID: a.ID})
		}
	case a.Type == ssdeepType:
		if h, ok := parseSSDeep(a.Value1); ok {
			for _, k := range h.keys() {
				out.SSDeep = append(out.SSDeep, store.CorrelationRow{ValueHash: k,
					EventID: a.EventID, AttributeID: a.ID})
			}
		}
	}
}

// advancedRelated reports whether the value1 of attributes of types t1 and t2 relate by
// advanced correlation: an address and a block that contains it, or ssdeep hashes that
// differ and score at least threshold. Equal values are exact correlations, not these.
func advancedRelated(t1, v1, t2, v2 string, threshold int) bool {
	switch {
	case networkTypes[t1] && networkTypes[t2]:
		return blockContains(v1, v2) || blockContains(v2, v1)
	case t1 == ssdeepType && t2 == ssdeepType:
		return v1 != v2 && SSDeepScore(v1, v2) >= threshold
	}
	return false
}

func (r *Reader) threshold() int {
	if r.SSDeepThreshold <= 0 {
		return 40 // MISP's default, which it also uses for 0
	}
	return r.SSDeepThreshold
}

// advancedRead is what the advanced indexes give for some attributes of the reading side:
// candidate pairs, and the attributes that relate to too many others.
type advancedRead struct {
	eventID int64 // the event whose attributes were read, or 0
	pairs   []store.CorrelationPair
	over    map[int64]bool // by attribute id
}

func advancedPair(ownEvent, ownAttr, otherEvent, otherAttr int64) store.CorrelationPair {
	return store.CorrelationPair{Advanced: true,
		Own:   store.CorrelationRow{EventID: ownEvent, AttributeID: ownAttr},
		Other: store.CorrelationRow{EventID: otherEvent, AttributeID: otherAttr}}
}

// advanced finds the advanced candidates of own, rows of the reading side's attributes that
// are in the advanced indexes.
func (r *Reader) advanced(ctx context.Context, own store.AdvancedRows) (*advancedRead, error) {
	out := &advancedRead{over: map[int64]bool{}}
	if err := r.networkPairs(ctx, own, out); err != nil {
		return nil, fmt.Errorf("correlate: cidr correlations: %w", err)
	}
	if err := r.ssdeepPairs(ctx, own.SSDeep, out); err != nil {
		return nil, fmt.Errorf("correlate: ssdeep correlations: %w", err)
	}
	return out, nil
}

// eventAdvanced returns the advanced candidates of event eventID, read once per Reader.
func (r *Reader) eventAdvanced(ctx context.Context, eventID int64) (*advancedRead, error) {
	if r.adv != nil && r.adv.eventID == eventID {
		return r.adv, nil
	}
	own, err := store.EventAdvancedRows(ctx, r.Q, eventID)
	if err != nil {
		return nil, err
	}
	adv, err := r.advanced(ctx, own)
	if err != nil {
		return nil, err
	}
	adv.eventID, r.adv = eventID, adv
	return adv, nil
}

// networkPairs adds the CIDR candidates of own's addresses and blocks to out.
func (r *Reader) networkPairs(ctx context.Context, own store.AdvancedRows,
	out *advancedRead) error {
	if len(own.Addresses)+len(own.Blocks) == 0 {
		return nil
	}
	lengths, err := store.BlockLengths(ctx, r.Q)
	if err != nil || len(lengths) == 0 {
		return err // no block anywhere: nothing relates
	}
	n := &networkCounts{r: r, lengths: lengths, inside: map[string][]store.AddressRow{}}

	keys := make([][]byte, len(own.Addresses))
	for i, a := range own.Addresses {
		keys[i] = a.Address
	}
	containing, err := n.containing(ctx, keys)
	if err != nil {
		return err
	}
	for _, a := range own.Addresses {
		blocks := otherEvents(containing[string(a.Address)], a.EventID, blockEvent)
		if len(blocks) > r.limit() {
			out.over[a.AttributeID] = true
			continue
		}
		for _, b := range blocks {
			inside, err := n.addresses(ctx, b)
			if err != nil {
				return err
			}
			if len(inside) <= r.limit() {
				out.pairs = append(out.pairs, advancedPair(a.EventID, a.AttributeID,
					b.EventID, b.AttributeID))
			}
		}
	}

	insides := make([][]store.AddressRow, len(own.Blocks))
	var found [][]byte
	for i, b := range own.Blocks {
		if insides[i], err = n.addresses(ctx, b); err != nil {
			return err
		}
		for _, x := range insides[i] {
			found = append(found, x.Address)
		}
	}
	if containing, err = n.containing(ctx, found); err != nil {
		return err
	}
	for i, b := range own.Blocks {
		if len(insides[i]) > r.limit() {
			out.over[b.AttributeID] = true
			continue
		}
		for _, x := range insides[i] {
			blocks := otherEvents(containing[string(x.Address)], x.EventID, blockEvent)
			if len(blocks) <= r.limit() {
				out.pairs = append(out.pairs, advancedPair(b.EventID, b.AttributeID,
					x.EventID, x.AttributeID))
			}
		}
	}
	return nil
}

func blockEvent(b store.BlockRow) int64 { return b.EventID }

// otherEvents returns the rows of list that are not of event eventID.
func otherEvents[T any](list []T, eventID int64, event func(T) int64) []T {
	var out []T
	for _, x := range list {
		if event(x) != eventID {
			out = append(out, x)
		}
	}
	return out
}

// networkCounts reads the CIDR index for one question, keeping what it read.
type networkCounts struct {
	r       *Reader
	lengths []int
	inside  map[string][]store.AddressRow // by block and event
}

// containing returns, by address key, the rows of the blocks that contain the addresses
// keys: one lookup per prefix length in use, for all the addresses at once.
func (n *networkCounts) containing(ctx context.Context, keys [][]byte) (
	map[string][]store.BlockRow, error) {
	out := map[string][]store.BlockRow{}
	if len(keys) == 0 {
		return out, nil
	}
	for _, bits := range n.lengths {
		byStart := map[string][]string{}
		var starts [][]byte
		for _, k := range keys {
			if bits > (len(k)-1)*8 {
				continue
			}
			s := maskKey(k, bits)
			if _, seen := byStart[string(s)]; !seen {
				starts = append(starts, s)
			}
			byStart[string(s)] = append(byStart[string(s)], string(k))
		}
		if len(starts) == 0 {
			continue
		}
		rows, err := store.BlocksAt(ctx, n.r.Q, bits, starts)
		if err != nil {
			return nil, err
		}
		for _, b := range rows {
			for _, k := range byStart[string(b.Start)] {
				out[k] = append(out[k], b)
			}
		}
	}
	return out, nil
}

// addresses returns the rows of the addresses inside block b that are not of b's event:
// all of them, or limit+1 when there are more than the limit.
func (n *networkCounts) addresses(ctx context.Context, b store.BlockRow) (
	[]store.AddressRow, error) {
	key := fmt.Sprintf("%d/%x/%d", b.Bits, b.Start, b.EventID)
	if rows, ok := n.inside[key]; ok {
		return rows, nil
	}
	rows, err := store.AddressesIn(ctx, n.r.Q, b.Start, lastKey(b.Start, b.Bits), b.EventID,
		n.r.limit()+1)
	if err != nil {
		return nil, err
	}
	n.inside[key] = rows
	return rows, nil
}

// maskKey returns the key of the first address of the block of prefix length bits that
// holds the address of key k.
func maskKey(k []byte, bits int) []byte {
	out := slices.Clone(k)
	for i := bits; i < (len(k)-1)*8; i++ {
		out[1+i/8] &^= 0x80 >> (i % 8)
	}
	return out
}

// lastKey returns the key of the last address of the block of prefix length bits that
// starts at start.
func lastKey(start []byte, bits int) []byte {
	out := slices.Clone(start)
	for i := bits; i < (len(start)-1)*8; i++ {
		out[1+i/8] |= 0x80 >> (i % 8)
	}
	return out
}

// ssdeepAttr is an ssdeep attribute with its parsed hash.
type ssdeepAttr struct {
	id, eventID int64
	value       string
	hash        ssdeepHash
}

// ssdeepPairs adds the ssdeep candidates of own, rows of the ssdeep index, to out.
func (r *Reader) ssdeepPairs(ctx context.Context, own []store.CorrelationRow,
	out *advancedRead) error {
	if len(own) == 0 {
		return nil
	}
	events := map[int64]int64{}
	for _, row := range own {
		events[row.AttributeID] = row.EventID
	}
	list, err := r.ssdeepAttrs(ctx, events)
	if err != nil {
		return err
	}
	matches, err := r.ssdeepMatches(ctx, list)
	if err != nil {
		return err
	}
	others := map[int64]int64{}
	for _, a := range list {
		if len(matches[a.id]) > r.limit() {
			out.over[a.id] = true
			continue
		}
		for _, o := range matches[a.id] {
			others[o.id] = o.eventID
		}
	}
	// The other side must not relate to too many attributes either.
	otherList, err := r.ssdeepAttrs(ctx, others)
	if err != nil {
		return err
	}
	otherMatches, err := r.ssdeepMatches(ctx, otherList)
	if err != nil {
		return err
	}
	for _, a := range list {
		if out.over[a.id] {
			continue
		}
		for _, o := range matches[a.id] {
			if len(otherMatches[o.id]) <= r.limit() {
				out.pairs = append(out.pairs, advancedPair(a.eventID, a.id, o.eventID, o.id))
			}
		}
	}
	return nil
}

// ssdeepAttrs reads the ssdeep attributes of the ids in events (attribute id to event id),
// in id order, leaving out those whose value is excluded or does not parse.
func (r *Reader) ssdeepAttrs(ctx context.Context, events map[int64]int64) ([]ssdeepAttr, error) {
	ids := make([]int64, 0, len(events))
	for id := range events {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	values, err := store.AttributeValues(ctx, r.Q, ids)
	if err != nil {
		return nil, err
	}
	var out []ssdeepAttr
	for _, id := range ids {
		v, ok := values[id]
		if !ok || v[0] != ssdeepType || r.Exclusions.Excluded(v[1]) {
			continue
		}
		if h, ok := parseSSDeep(v[1]); ok {
			out = append(out, ssdeepAttr{id: id, eventID: events[id], value: v[1], hash: h})
		}
	}
	return out, nil
}

// ssdeepMatches returns, by attribute id, the ssdeep attributes of other events that share
// a key with one of list and score at least the threshold with it, in id order.
//
// note: every row that shares a key is read and scored (a comparison costs microseconds):
// ssdeep attributes are few beside the others, and the hashes that share a window of
// seven characters are mostly similar enough to correlate.
func (r *Reader) ssdeepMatches(ctx context.Context, list []ssdeepAttr) (
	map[int64][]ssdeepAttr, error) {
	out := map[int64][]ssdeepAttr{}
	owners := map[int64][]int{}
	var keys []int64
	for i, a := range list {
		for _, k := range a.hash.keys() {
			if _, seen := owners[k]; !seen {
				keys = append(keys, k)
			}
			owners[k] = append(owners[k], i)
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := store.SSDeepRowsByKey(ctx, r.Q, keys)
	if err != nil {
		return nil, err
	}
	candidates := make([]map[int64]int64, len(list))
	all := map[int64]int64{}
	for _, row := range rows {
		for _, i := range owners[row.ValueHash] {
			if row.EventID == list[i].eventID {
				continue
			}
			if candidates[i] == nil {
				candidates[i] = map[int64]int64{}
			}
			candidates[i][row.AttributeID] = row.EventID
			all[row.AttributeID] = row.EventID
		}
	}
	found, err := r.ssdeepAttrs(ctx, all)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]ssdeepAttr, len(found))
	for _, o := range found {
		byID[o.id] = o
	}
	for i, a := range list {
		for id := range candidates[i] {
			o, ok := byID[id]
			if ok && o.value != a.value && a.hash.compare(o.hash) >= r.threshold() {
				out[a.id] = append(out[a.id], o)
			}
		}
		slices.SortFunc(out[a.id], func(x, y ssdeepAttr) int { return cmp.Compare(x.id, y.id) })
	}
	return out, nil
}

// Backfill adds to the advanced indexes the attributes stored before those indexes
// existed, once: the migration that created them asks for it, and Backfill does nothing
// afterwards.
func Backfill(ctx context.Context, db *store.DB) error {
	pending, err := store.AdvancedBackfillPending(ctx, db)
	if err != nil || !pending {
		return err
	}
	return db.Tx(ctx, func(tx *store.Tx) error {
		ex, err := LoadExclusions(ctx, tx)
		if err != nil {
			return err
		}
		err = store.AdvancedCandidates(ctx, tx, advancedTypes,
			func(batch []store.IndexedAttribute) error {
				attrs := make([]Attr, len(batch))
				for i, a := range batch {
					attrs[i] = Attr{ID: a.ID, EventID: a.EventID, Type: a.Type, Value1: a.Value1,
						Value2: a.Value2, Off: a.DisableCorrelation || a.EventDisableCorrelation}
				}
				return store.InsertAdvancedCorrelations(ctx, tx, advancedRows(attrs, ex))
			})
		if err != nil {
			return fmt.Errorf("correlate: backfill: %w", err)
		}
		return store.AdvancedBackfillDone(ctx, tx)
	})
}
