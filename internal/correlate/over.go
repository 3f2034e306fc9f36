package correlate

import (
	"sync"

	"github.com/cairn-project/cairn/internal/store"
)

// OverCache remembers, for the readers of one database, the value hashes that they found
// shared by more rows of the index than the limit. A value that is over the limit stays
// over while rows are only added, so the readers of an event need not count its rows again
// until some leave the index; then everything is forgotten. Counting the rows of a value
// reads the limit's worth of them, on pages that every write changes: when most of an
// event's values are common ones, that was most of the cost of reading its correlations.
//
// Only a database that can tell when rows leave the index (a SQLite one, which this process
// alone writes: store.DB.CorrelationDeletions) keeps anything.
type OverCache struct {
	db *store.DB

	mu sync.Mutex
	// deletions and limit are what the hashes were found under.
	deletions uint64
	limit     int
	hashes    map[int64]struct{}
}

// maxOverHashes bounds the cache: about 4 MB. The values found once it is full are counted
// again at each read.
const maxOverHashes = 1 << 17

// NewOverCache returns an empty cache for the readers of db.
func NewOverCache(db *store.DB) *OverCache { return &OverCache{db: db} }

// memo returns what one read, with limit, may use of the cache, from now on; nil when
// the database cannot tell deletions.
func (c *OverCache) memo(limit int) store.OverCorrelationMemo {
	if c == nil {
		return nil
	}
	n, ok := c.db.CorrelationDeletions()
	if !ok {
		return nil
	}
	return &overMemo{c: c, deletions: n, limit: limit}
}

// current returns the hashes, if they were found under the deletion count the database
// has now and limit, and resets them if they are older. c.mu is held.
func (c *OverCache) current(limit int) map[int64]struct{} {
	n, _ := c.db.CorrelationDeletions()
	if n != c.deletions || limit != c.limit {
		c.deletions, c.limit, c.hashes = n, limit, nil
		return nil
	}
	return c.hashes
}

// overMemo is the cache as one read sees it: deletions is the count when it started.
type overMemo struct {
	c         *OverCache
	deletions uint64
	limit     int
}

func (m *overMemo) Known(hash int64) bool {
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	_, ok := m.c.current(m.limit)[hash]
	return ok
}

// Found keeps hashes only if no row has left the index since the read started: its counts
// might be from before a deletion otherwise.
func (m *overMemo) Found(hashes []int64) {
	c := m.c
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current(m.limit)
	if c.deletions != m.deletions {
		return
	}
	if c.hashes == nil {
		c.hashes = make(map[int64]struct{}, len(hashes))
	}
	for _, h := range hashes {
		if len(c.hashes) >= maxOverHashes {
			return
		}
		c.hashes[h] = struct{}{}
	}
}
