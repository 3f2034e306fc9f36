// Package auth checks MISP API keys. Keys are 40 letters and digits, stored as bcrypt
// hashes with their first and last four characters in clear for lookup, as MISP's advanced
// keys are. Verified keys are cached in memory for a short time so that a request does not
// pay bcrypt each time; the cache is only a cache, and every replica can rebuild it from
// the database. Failed attempts are counted per client address in the database, and an
// address that fails too often is locked out for a while.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sync/singleflight"

	"github.com/cairn-project/cairn/internal/config"
	"github.com/cairn-project/cairn/internal/model"
	"github.com/cairn-project/cairn/internal/store"
)

// Principal is an authenticated caller: the user, the role and the organisation.
type Principal struct {
	User     model.User
	Role     model.Role
	Org      model.Organisation
	KeyID    int64
	ReadOnly bool
}

// UserID returns the caller's user id.
func (p *Principal) UserID() int64 { return int64(p.User.ID) }

// OrgID returns the caller's organisation id.
func (p *Principal) OrgID() int64 { return int64(p.User.OrgID) }

// SiteAdmin reports whether the caller sees and may change everything.
func (p *Principal) SiteAdmin() bool { return bool(p.Role.SiteAdmin) }

// ErrFailed is returned for a missing, malformed, unknown, expired or disabled key.
var ErrFailed = errors.New("authentication failed")

// ErrLockedOut is returned while the client address is locked out.
var ErrLockedOut = errors.New("too many failed attempts")

// Limits of the lock-out: MaxFailures failed attempts from one address within Window lock
// that address out until the window has passed.
const (
	MaxFailures = 20
	Window      = 5 * time.Minute
	cacheTTL    = 30 * time.Second
	cacheMax    = 100_000
)

// Authenticator checks keys against the store.
type Authenticator struct {
	db  *store.DB
	now func() time.Time

	mu     sync.RWMutex
	cache  map[[32]byte]cached
	flight singleflight.Group // one bcrypt check per key at a time
}

type cached struct {
	p       *Principal
	expires time.Time
}

// New returns an Authenticator over db.
func New(db *store.DB) *Authenticator {
	return &Authenticator{db: db, now: time.Now, cache: map[[32]byte]cached{}}
}

// Authenticate checks the value of an Authorization (or X-MISP-AUTH) header sent from ip.
// Several keys may be given, separated by commas; the first valid one wins. A header that
// starts with "Basic" is not an API key and fails.
func (a *Authenticator) Authenticate(ctx context.Context, header, ip string) (*Principal, error) {
	header = strings.TrimSpace(header)
	if header == "" || strings.HasPrefix(header, "Basic") {
		return nil, ErrFailed
	}
	for _, key := range strings.Split(header, ",") {
		key = strings.TrimSpace(key)
		if !config.ValidKey(key) {
			continue
		}
		if p := a.fromCache(key); p != nil {
			return p, nil
		}
	}

	locked, err := a.lockedOut(ctx, ip)
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, ErrLockedOut
	}
	for _, key := range strings.Split(header, ",") {
		key = strings.TrimSpace(key)
		if !config.ValidKey(key) {
			continue
		}
		v, err, _ := a.flight.Do(key, func() (any, error) {
			if p := a.fromCache(key); p != nil {
				return p, nil
			}
			p, err := a.verify(ctx, key)
			if err == nil {
				a.remember(key, p)
			}
			return p, err
		})
		if errors.Is(err, ErrFailed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return v.(*Principal), nil
	}
	if err := a.db.AddAuthFailure(ctx, ip, a.now().Add(Window).Unix()); err != nil {
		return nil, fmt.Errorf("auth: record failure: %w", err)
	}
	return nil, ErrFailed
}

func (a *Authenticator) lockedOut(ctx context.Context, ip string) (bool, error) {
	n, err := a.db.CountAuthFailures(ctx, ip, a.now().Unix())
	if err != nil {
		return false, fmt.Errorf("auth: count failures: %w", err)
	}
	return n >= MaxFailures, nil
}

// verify finds the key among the stored hashes that share its first and last characters.
func (a *Authenticator) verify(ctx context.Context, key string) (*Principal, error) {
	keys, err := a.db.AuthKeysByEnds(ctx, key[:4], key[36:])
	if err != nil {
		return nil, fmt.Errorf("auth: look up key: %w", err)
	}
	now := a.now().Unix()
	for _, k := range keys {
		if k.Expiration != 0 && k.Expiration <= now {
			continue
		}
		if bcrypt.CompareHashAndPassword([]byte(k.Hash), []byte(key)) != nil {
			continue
		}
		p, err := a.principal(ctx, k.UserID)
		if err != nil {
			return nil, err
		}
		p.KeyID, p.ReadOnly = k.ID, k.ReadOnly
		return p, nil
	}
	return nil, ErrFailed
}

func (a *Authenticator) principal(ctx context.Context, userID int64) (*Principal, error) {
	u, role, org, err := a.db.UserWithRoleAndOrg(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrFailed
	}
	if err != nil {
		return nil, fmt.Errorf("auth: load user %d: %w", userID, err)
	}
	if u.Disabled || !role.Auth {
		return nil, ErrFailed
	}
	return &Principal{User: u, Role: role, Org: org}, nil
}

func (a *Authenticator) fromCache(key string) *Principal {
	h := sha256.Sum256([]byte(key))
	a.mu.RLock()
	c, ok := a.cache[h]
	a.mu.RUnlock()
	if !ok || a.now().After(c.expires) {
		return nil
	}
	return c.p
}

func (a *Authenticator) remember(key string, p *Principal) {
	h := sha256.Sum256([]byte(key))
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.cache) >= cacheMax {
		clear(a.cache)
	}
	a.cache[h] = cached{p: p, expires: a.now().Add(cacheTTL)}
}

// Forget drops every cached key, after a change to users, roles, organisations or keys.
// Other replicas see such changes when their entries expire, within cacheTTL.
func (a *Authenticator) Forget() {
	a.mu.Lock()
	clear(a.cache)
	a.mu.Unlock()
}

const keyAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// GenerateKey returns a new random 40-character API key.
func GenerateKey() string {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		// 256 is not a multiple of 62; the rejection-free modulo skews by under 2 %,
		// which leaves more than 236 bits of entropy in a key.
		b[i] = keyAlphabet[int(b[i])%len(keyAlphabet)]
	}
	return string(b)
}

// HashKey returns the bcrypt hash of key, for storage.
func HashKey(key string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(key), bcrypt.DefaultCost)
	return string(h), err
}

// HashPassword returns the bcrypt hash of a password.
func HashPassword(pw string) (string, error) { return HashKey(pw) }
