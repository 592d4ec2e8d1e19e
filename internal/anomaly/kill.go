package anomaly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/store"
)

// Kill-switch kinds.
const (
	KillKey    = "key"
	KillTenant = "tenant"
	KillModel  = "model"
)

// KillSetting is the store setting that holds the kill switch (JSON object
// "kind:id" → RFC 3339 time it was turned on).
const KillSetting = "anomaly.kill_switch"

// KillBackend is where the kill switch lives. With Redis, the hash
// <Prefix>kill is authoritative (and Settings, when set, keeps a durable
// copy that is restored if Redis loses it); without Redis, Settings; with
// neither, memory only (one process).
type KillBackend struct {
	Redis    redis.UniversalClient
	Settings Settings
	Prefix   string        // default "rampart:anomaly:"
	TTL      time.Duration // Redis hash expiry, renewed by writes and refreshes; default 720h
}

// KillSwitch is the kill switch for keys, tenants and models. Killed reads
// an immutable in-memory snapshot; Refresh replaces it from the backend.
// The CLI can use one on its own (NewKillSwitch + Set) to flip a switch
// for every running replica.
type KillSwitch struct {
	b          KillBackend
	mu         sync.Mutex // serializes writes and refreshes
	snap       atomic.Pointer[killSnap]
	lastExpire time.Time
	lastCheck  time.Time
}

type killSnap struct {
	set                map[string]string // "kind:id" → reason shown to the operator
	key, tenant, model map[string]string // id → reason (lookups without building "kind:id")
}

func (s *killSnap) index() *killSnap {
	s.key, s.tenant, s.model = map[string]string{}, map[string]string{}, map[string]string{}
	for f, why := range s.set {
		kind, id, _ := strings.Cut(f, ":")
		switch kind {
		case KillKey:
			s.key[id] = why
		case KillTenant:
			s.tenant[id] = why
		case KillModel:
			s.model[id] = why
		}
	}
	return s
}

// NewKillSwitch returns a KillSwitch over b. Call Refresh to load it.
func NewKillSwitch(b KillBackend) *KillSwitch {
	if b.Prefix == "" {
		b.Prefix = "rampart:anomaly:"
	}
	if b.TTL <= 0 {
		b.TTL = 720 * time.Hour
	}
	k := &KillSwitch{b: b}
	k.snap.Store(&killSnap{})
	return k
}

func killField(kind, id string) (string, error) {
	switch kind {
	case KillKey, KillTenant, KillModel:
	default:
		return "", fmt.Errorf("kill switch: unknown kind %q (want key, tenant or model)", kind)
	}
	if id == "" {
		return "", errors.New("kill switch: empty id")
	}
	return kind + ":" + id, nil
}

// Killed reports whether any of the key, tenant or model is switched off,
// and why. Empty arguments are skipped. The reason starts with the kind
// ("key …", "tenant …", "model …").
func (k *KillSwitch) Killed(keyID, tenant, model string) (bool, string) {
	s := k.snap.Load()
	if len(s.set) == 0 {
		return false, ""
	}
	if why, ok := s.key[keyID]; ok && keyID != "" {
		return true, why
	}
	if why, ok := s.tenant[tenant]; ok && tenant != "" {
		return true, why
	}
	if why, ok := s.model[model]; ok && model != "" {
		return true, why
	}
	return false, ""
}

// List returns the switches that are on, sorted, as "kind:id".
func (k *KillSwitch) List() []string {
	s := k.snap.Load()
	out := make([]string, 0, len(s.set))
	for f := range s.set {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

func snapOf(fields map[string]string) *killSnap {
	s := &killSnap{set: make(map[string]string, len(fields))}
	for f, at := range fields {
		kind, id, _ := strings.Cut(f, ":")
		// The reason starts with the kind: the gateway answers 403
		// model_not_allowed for "model …" and 401 invalid_api_key otherwise.
		why := kind + " " + id + " switched off by the kill switch"
		if at != "" {
			why += " since " + at
		}
		s.set[f] = why
	}
	return s.index()
}

// Set turns the switch for (kind, id) on or off, in the backend first and
// then in this process's snapshot.
func (k *KillSwitch) Set(ctx context.Context, kind, id string, on bool) error {
	f, err := killField(kind, id)
	if err != nil {
		return err
	}
	at := time.Now().UTC().Format(time.RFC3339)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.b.Redis != nil {
		key := k.b.Prefix + "kill"
		_, err := k.b.Redis.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if on {
				p.HSet(ctx, key, f, at)
			} else {
				p.HDel(ctx, key, f)
			}
			p.Expire(ctx, key, k.b.TTL)
			return nil
		})
		if err != nil {
			return fmt.Errorf("kill switch: redis: %w", err)
		}
	}
	if k.b.Settings != nil {
		cur, err := k.readSettings(ctx)
		if err != nil {
			return err
		}
		if on {
			cur[f] = at
		} else {
			delete(cur, f)
		}
		if err := k.writeSettings(ctx, cur); err != nil {
			return err
		}
	}
	// Local snapshot: copy-on-write.
	old := k.snap.Load().set
	next := make(map[string]string, len(old)+1)
	for kf, v := range old {
		next[kf] = v
	}
	if on {
		next[f] = snapOf(map[string]string{f: at}).set[f]
	} else {
		delete(next, f)
	}
	k.snap.Store((&killSnap{set: next}).index())
	return nil
}

func (k *KillSwitch) readSettings(ctx context.Context) (map[string]string, error) {
	b, err := k.b.Settings.GetSetting(ctx, KillSetting)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(b) == 0) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("kill switch: read setting: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("kill switch: setting %s: %w", KillSetting, err)
	}
	return m, nil
}

func (k *KillSwitch) writeSettings(ctx context.Context, m map[string]string) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := k.b.Settings.PutSetting(ctx, KillSetting, b); err != nil {
		return fmt.Errorf("kill switch: write setting: %w", err)
	}
	return nil
}

// settingsCheckEvery: with Redis and Settings both set, how often an empty
// Redis hash is compared with the durable copy (a Redis restart without
// persistence must not silently turn switches off).
const settingsCheckEvery = 10 * time.Second

// Refresh reloads the snapshot from the backend. On error the previous
// snapshot stays in force.
func (k *KillSwitch) Refresh(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.b.Redis != nil:
		key := k.b.Prefix + "kill"
		m, err := k.b.Redis.HGetAll(ctx, key).Result()
		if err != nil {
			return fmt.Errorf("kill switch: redis: %w", err)
		}
		now := time.Now()
		if len(m) == 0 && k.b.Settings != nil && now.Sub(k.lastCheck) >= settingsCheckEvery {
			k.lastCheck = now
			durable, err := k.readSettings(ctx)
			if err != nil {
				return err
			}
			if len(durable) > 0 {
				args := make([]any, 0, 2*len(durable))
				for f, at := range durable {
					args = append(args, f, at)
				}
				if err := k.b.Redis.HSet(ctx, key, args...).Err(); err != nil {
					return fmt.Errorf("kill switch: restore: %w", err)
				}
				k.b.Redis.Expire(ctx, key, k.b.TTL)
				m = durable
			}
		}
		if len(m) > 0 && now.Sub(k.lastExpire) >= time.Minute {
			k.lastExpire = now
			k.b.Redis.Expire(ctx, key, k.b.TTL)
		}
		k.snap.Store(snapOf(m))
	case k.b.Settings != nil:
		m, err := k.readSettings(ctx)
		if err != nil {
			return err
		}
		k.snap.Store(snapOf(m))
	}
	return nil
}
