package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"rampart/internal/store"
)

// KeySpec describes a key to create.
type KeySpec struct {
	Name      string
	Tenant    string
	Models    []string // empty = every model
	RPM, TPM  int64    // 0 = no per-key limit
	Policy    string   // policy profile; "" = default
	ExpiresIn time.Duration
	Extra     []byte
}

// Validate reports every problem with the spec.
func (s KeySpec) Validate() error {
	var errs []error
	if strings.TrimSpace(s.Name) == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if s.RPM < 0 {
		errs = append(errs, errors.New("rpm must not be negative"))
	}
	if s.TPM < 0 {
		errs = append(errs, errors.New("tpm must not be negative"))
	}
	if s.ExpiresIn < 0 {
		errs = append(errs, errors.New("expiry must be in the future"))
	}
	for _, m := range s.Models {
		if strings.TrimSpace(m) == "" {
			errs = append(errs, errors.New("model names must not be empty"))
			break
		}
	}
	return errors.Join(errs...)
}

// Create makes a key, stores its hash and returns the record and the
// secret. Like Rotate, it first checks secret against the store
// (CheckSecret). The secret exists nowhere else: show it once and drop it.
func Create(ctx context.Context, st store.Store, secret []byte, spec KeySpec, now time.Time) (*store.Key, string, error) {
	if err := spec.Validate(); err != nil {
		return nil, "", err
	}
	if err := CheckSecret(ctx, st, secret); err != nil {
		return nil, "", err
	}
	plain := NewKey()
	now = now.UTC().Truncate(time.Microsecond)
	k := &store.Key{
		ID:        NewKeyID(),
		Name:      strings.TrimSpace(spec.Name),
		Tenant:    spec.Tenant,
		Prefix:    DisplayPrefix(plain),
		Hash:      Hash(secret, plain),
		Models:    spec.Models,
		RPM:       spec.RPM,
		TPM:       spec.TPM,
		Policy:    spec.Policy,
		CreatedAt: now,
		Extra:     spec.Extra,
	}
	if spec.ExpiresIn > 0 {
		k.ExpiresAt = now.Add(spec.ExpiresIn)
	}
	if err := st.CreateKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, plain, nil
}

// Rotate gives key id a new secret and returns it. Name, tenant, models,
// limits and expiry stay. With grace > 0 the previous secret keeps working
// until now+grace (only the latest previous one: rotating again ends the
// older secret's grace); otherwise it stops at once.
func Rotate(ctx context.Context, st store.Store, secret []byte, id string, grace time.Duration, now time.Time) (*store.Key, string, error) {
	if grace < 0 {
		return nil, "", errors.New("grace must not be negative")
	}
	if err := CheckSecret(ctx, st, secret); err != nil {
		return nil, "", err
	}
	plain := NewKey()
	k, err := st.ModifyKey(ctx, id, func(k *store.Key) error {
		if !k.RevokedAt.IsZero() {
			return fmt.Errorf("key %s is revoked and cannot be rotated", id)
		}
		if grace > 0 {
			k.PrevHash = k.Hash
			k.GraceUntil = now.UTC().Add(grace).Truncate(time.Microsecond)
		} else {
			k.PrevHash, k.GraceUntil = nil, time.Time{}
		}
		k.Hash = Hash(secret, plain)
		k.Prefix = DisplayPrefix(plain)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return k, plain, nil
}

// Revoke ends key id for good, including any rotated-out secret still in
// its grace period. Revoking a revoked key keeps its first revocation time.
func Revoke(ctx context.Context, st store.Store, id string, now time.Time) (*store.Key, error) {
	return st.ModifyKey(ctx, id, func(k *store.Key) error {
		if k.RevokedAt.IsZero() {
			k.RevokedAt = now.UTC().Truncate(time.Microsecond)
		}
		k.PrevHash, k.GraceUntil = nil, time.Time{}
		return nil
	})
}

// SetDisabled disables or re-enables key id. Unlike revocation this can
// be undone.
func SetDisabled(ctx context.Context, st store.Store, id string, disabled bool) (*store.Key, error) {
	return st.ModifyKey(ctx, id, func(k *store.Key) error {
		k.Disabled = disabled
		return nil
	})
}

// Quarantine refuses key id until an operator lifts it with Unquarantine.
func Quarantine(ctx context.Context, st store.Store, id, reason string) (*store.Key, error) {
	return st.ModifyKey(ctx, id, func(k *store.Key) error {
		k.Quarantined = true
		k.QuarantineReason = reason
		return nil
	})
}

// Unquarantine lifts a quarantine.
func Unquarantine(ctx context.Context, st store.Store, id string) (*store.Key, error) {
	return st.ModifyKey(ctx, id, func(k *store.Key) error {
		k.Quarantined = false
		k.QuarantineReason = ""
		return nil
	})
}

// Key states, as State reports them.
const (
	StateActive      = "active"
	StateRevoked     = "revoked"
	StateExpired     = "expired"
	StateQuarantined = "quarantined"
	StateDisabled    = "disabled"
)

// State names k's state at now; when several apply, the first of revoked,
// expired, quarantined, disabled wins.
func State(k *store.Key, now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return StateRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return StateExpired
	case k.Quarantined:
		return StateQuarantined
	case k.Disabled:
		return StateDisabled
	}
	return StateActive
}
