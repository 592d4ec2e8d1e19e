// Package store keeps API keys and settings. SQLite (embedded, the
// default) and PostgreSQL implement the same Store interface.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a record does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by CreateKey when a key with the same ID (or the
// same hash) already exists.
var ErrExists = errors.New("already exists")

// Key is an API key record. The secret itself is never stored: only
// Hash = HMAC-SHA256(server secret, key).
type Key struct {
	ID        string    // public identifier, e.g. "key_3f9a…"; safe to log
	Name      string    // operator-chosen label
	Tenant    string    // "" = default tenant
	Prefix    string    // first characters of the secret, for display ("rk_AB12…")
	Hash      []byte    // HMAC-SHA256 of the secret under the server secret
	Models    []string  // allowed models; empty = all
	RPM       int64     // requests per minute; 0 = unlimited (or config default)
	TPM       int64     // tokens per minute; 0 = unlimited (or config default)
	Policy    string    // policy profile name; "" = tenant's or default
	CreatedAt time.Time // UTC
	ExpiresAt time.Time // zero = never
	RevokedAt time.Time // zero = active
	Disabled  bool
	// Quarantined keys are refused (401) until an operator lifts it.
	Quarantined      bool
	QuarantineReason string
	// Rotation: the previous hash stays valid until GraceUntil.
	PrevHash   []byte
	GraceUntil time.Time
	// Extra holds limits and budgets added by later features, as JSON.
	Extra []byte
}

// Active reports whether the key may be used at time now.
func (k *Key) Active(now time.Time) bool {
	if k.Disabled || k.Quarantined || !k.RevokedAt.IsZero() {
		return false
	}
	return k.ExpiresAt.IsZero() || now.Before(k.ExpiresAt)
}

// AllowsModel reports whether the key may use model.
func (k *Key) AllowsModel(model string) bool {
	if len(k.Models) == 0 {
		return true
	}
	for _, m := range k.Models {
		if m == model || m == "*" {
			return true
		}
	}
	return false
}

// Store is the persistence interface for keys and settings.
type Store interface {
	CreateKey(ctx context.Context, k *Key) error
	// UpdateKey replaces every mutable field of the key with k's.
	UpdateKey(ctx context.Context, k *Key) error
	// ModifyKey reads the key, lets fn change it and writes it back in one
	// transaction, so concurrent changes by other processes are not lost.
	// An error from fn aborts the change and is returned as is. It
	// returns the key as written.
	ModifyKey(ctx context.Context, id string, fn func(*Key) error) (*Key, error)
	GetKey(ctx context.Context, id string) (*Key, error)
	ListKeys(ctx context.Context) ([]*Key, error)
	// Generation increases whenever any key changes; a server polls it to
	// pick up changes made by another process (the CLI, another replica).
	Generation(ctx context.Context) (int64, error)

	GetSetting(ctx context.Context, name string) ([]byte, error)
	PutSetting(ctx context.Context, name string, value []byte) error

	Ping(ctx context.Context) error
	Close() error
}
