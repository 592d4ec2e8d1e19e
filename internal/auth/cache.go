package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"rampart/internal/store"
)

// Reasons Authenticate refuses a key. The gateway answers every one of
// them with 401 invalid_api_key; the distinction is for logs and audit.
var (
	ErrMissing     = errors.New("no API key")
	ErrUnknown     = errors.New("unknown API key")
	ErrRevoked     = errors.New("API key revoked")
	ErrExpired     = errors.New("API key expired")
	ErrQuarantined = errors.New("API key quarantined")
	ErrDisabled    = errors.New("API key disabled")
)

// Principal is an authenticated caller. The Cache builds one per key when
// it loads them and hands out the same pointer to every request: treat it,
// and Key, as read-only.
type Principal struct {
	KeyID  string
	Name   string
	Tenant string
	Models []string // empty = every model
	RPM    int64
	TPM    int64
	Policy string
	Key    *store.Key
}

// AllowsModel reports whether the principal's key may use model.
func (p *Principal) AllowsModel(model string) bool { return p.Key.AllowsModel(model) }

// DefaultPollInterval is how often a Cache asks the store whether keys
// changed.
const DefaultPollInterval = 250 * time.Millisecond

// CacheOptions tune a Cache; the zero value is fine.
type CacheOptions struct {
	PollInterval time.Duration // default DefaultPollInterval
	Logger       *slog.Logger  // default slog.Default()
}

type entry struct {
	p    *Principal
	hash [sha256.Size]byte
	prev bool // the hash is the key's previous secret, valid until GraceUntil
}

type snapshot struct {
	gen    int64
	byHash map[[sha256.Size]byte]*entry
	byID   map[string]*Principal
	keys   []*store.Key
}

// Cache holds every key in memory, indexed by hash, and keeps them in step
// with the store: it polls Store.Generation and reloads when another
// process (the CLI, another replica) changed a key. Authenticate never
// touches the store.
type Cache struct {
	st       store.Store
	h        *hasher
	interval time.Duration
	log      *slog.Logger

	snap    atomic.Pointer[snapshot]
	lastErr atomic.Pointer[error]
	reload  sync.Mutex // one reload at a time

	mu     sync.Mutex // guards cancel and done
	cancel context.CancelFunc
	done   chan struct{}
}

// NewCache checks that secret matches the store (see CheckSecret) and
// loads every key. Call Start to follow changes.
func NewCache(ctx context.Context, st store.Store, secret []byte, opts *CacheOptions) (*Cache, error) {
	if len(secret) == 0 {
		return nil, errors.New("auth: empty server secret")
	}
	if err := CheckSecret(ctx, st, secret); err != nil {
		return nil, err
	}
	c := &Cache{st: st, h: newHasher(secret), interval: DefaultPollInterval, log: slog.Default()}
	if opts != nil {
		if opts.PollInterval > 0 {
			c.interval = opts.PollInterval
		}
		if opts.Logger != nil {
			c.log = opts.Logger
		}
	}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Authenticate returns the principal that key belongs to, or one of
// ErrMissing, ErrUnknown, ErrRevoked, ErrExpired, ErrQuarantined,
// ErrDisabled. It does not allocate, and compares hashes in constant time.
func (c *Cache) Authenticate(key string, now time.Time) (*Principal, error) {
	if key == "" {
		return nil, ErrMissing
	}
	if !WellFormed(key) {
		return nil, ErrUnknown
	}
	sum := c.h.sum(key)
	s := c.snap.Load()
	e, ok := s.byHash[sum]
	// The map lookup keys on an HMAC the caller cannot compute; the
	// explicit comparison keeps the check itself constant-time.
	if !ok || subtle.ConstantTimeCompare(e.hash[:], sum[:]) != 1 {
		return nil, ErrUnknown
	}
	k := e.p.Key
	switch {
	case !k.RevokedAt.IsZero():
		return nil, ErrRevoked
	case e.prev && !now.Before(k.GraceUntil):
		return nil, ErrUnknown // a rotated-out secret past its grace period
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return nil, ErrExpired
	case k.Quarantined:
		return nil, ErrQuarantined
	case k.Disabled:
		return nil, ErrDisabled
	}
	return e.p, nil
}

// ByID returns the principal of key id, whatever its state.
func (c *Cache) ByID(id string) (*Principal, bool) {
	p, ok := c.snap.Load().byID[id]
	return p, ok
}

// Keys returns every key as last loaded, oldest first. Read-only.
func (c *Cache) Keys() []*store.Key { return c.snap.Load().keys }

// Generation returns the store generation the cache last loaded.
func (c *Cache) Generation() int64 { return c.snap.Load().gen }

// Err returns the error of the last poll, or nil when the cache is in
// step with the store. While the store is unreachable the cache keeps
// serving the keys it has.
func (c *Cache) Err() error {
	if p := c.lastErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Reload reads every key from the store now.
func (c *Cache) Reload(ctx context.Context) error {
	c.reload.Lock()
	defer c.reload.Unlock()
	return c.load(ctx)
}

// Refresh reloads when the store's generation differs from the cache's.
func (c *Cache) Refresh(ctx context.Context) error {
	c.reload.Lock()
	defer c.reload.Unlock()
	g, err := c.st.Generation(ctx)
	if err != nil {
		return err
	}
	if s := c.snap.Load(); s != nil && s.gen == g {
		return nil
	}
	return c.load(ctx)
}

func (c *Cache) load(ctx context.Context) error {
	// Read the generation first: a change that lands between the two reads
	// makes the next poll reload again, never miss it.
	g, err := c.st.Generation(ctx)
	if err != nil {
		return err
	}
	keys, err := c.st.ListKeys(ctx)
	if err != nil {
		return err
	}
	s := &snapshot{
		gen:    g,
		byHash: make(map[[sha256.Size]byte]*entry, len(keys)),
		byID:   make(map[string]*Principal, len(keys)),
		keys:   keys,
	}
	for _, k := range keys {
		p := &Principal{KeyID: k.ID, Name: k.Name, Tenant: k.Tenant, Models: k.Models,
			RPM: k.RPM, TPM: k.TPM, Policy: k.Policy, Key: k}
		s.byID[k.ID] = p
		if len(k.Hash) == sha256.Size {
			e := &entry{p: p}
			copy(e.hash[:], k.Hash)
			s.byHash[e.hash] = e
		}
		if len(k.PrevHash) == sha256.Size && !k.GraceUntil.IsZero() {
			e := &entry{p: p, prev: true}
			copy(e.hash[:], k.PrevHash)
			if _, taken := s.byHash[e.hash]; !taken {
				s.byHash[e.hash] = e
			}
		}
	}
	c.snap.Store(s)
	return nil
}

// Start polls the store every poll interval until ctx ends or Stop is
// called. Calling Start on a started cache does nothing.
func (c *Cache) Start(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return
	}
	ctx, c.cancel = context.WithCancel(ctx)
	c.done = make(chan struct{})
	go c.poll(ctx, c.done)
}

// Stop ends polling and waits for it.
func (c *Cache) Stop() {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.cancel, c.done = nil, nil
	c.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (c *Cache) poll(ctx context.Context, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Refresh(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		prev := c.Err()
		if err != nil {
			err = fmt.Errorf("auth: reload keys: %w", err)
			c.lastErr.Store(&err)
			if prev == nil {
				c.log.Warn("cannot reload API keys; serving the last known set", "err", err)
			}
			continue
		}
		if prev != nil {
			c.lastErr.Store(nil)
			c.log.Info("API keys reloaded again")
		}
	}
}

// Quarantine quarantines key id in the store and reloads at once, for
// detectors running inside the server.
func (c *Cache) Quarantine(ctx context.Context, id, reason string) error {
	if _, err := Quarantine(ctx, c.st, id, reason); err != nil {
		return err
	}
	return c.Reload(ctx)
}

// Unquarantine lifts a quarantine in the store and reloads at once.
func (c *Cache) Unquarantine(ctx context.Context, id string) error {
	if _, err := Unquarantine(ctx, c.st, id); err != nil {
		return err
	}
	return c.Reload(ctx)
}
