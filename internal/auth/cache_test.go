package auth

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"rampart/internal/store"
)

var testSecret = []byte("test-secret-0123456789abcdef-0123456789")

func newTestStore(t testing.TB) (store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func newTestCache(t testing.TB, st store.Store) *Cache {
	t.Helper()
	c, err := NewCache(context.Background(), st, testSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustCreate(t testing.TB, st store.Store, spec KeySpec) (*store.Key, string) {
	t.Helper()
	k, plain, err := Create(context.Background(), st, testSecret, spec, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return k, plain
}

func wantErr(t *testing.T, c *Cache, key string, now time.Time, want error) {
	t.Helper()
	p, err := c.Authenticate(key, now)
	if !errors.Is(err, want) || (want != nil && p != nil) {
		t.Errorf("Authenticate = %v, %v; want error %v", p, err, want)
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	k, plain := mustCreate(t, st, KeySpec{Name: "alice", Tenant: "acme", Models: []string{"demo"}, RPM: 5, TPM: 50, Policy: "strict"})
	other, otherPlain := mustCreate(t, st, KeySpec{Name: "bob"})
	c := newTestCache(t, st)
	now := time.Now()

	p, err := c.Authenticate(plain, now)
	if err != nil {
		t.Fatalf("Authenticate(valid) = %v", err)
	}
	if p.KeyID != k.ID || p.Name != "alice" || p.Tenant != "acme" || p.RPM != 5 || p.TPM != 50 ||
		p.Policy != "strict" || len(p.Models) != 1 || p.Key.ID != k.ID {
		t.Errorf("principal = %+v", p)
	}
	if !p.AllowsModel("demo") || p.AllowsModel("gpt-4o") {
		t.Error("AllowsModel ignores the key's models")
	}
	if p2, _ := c.Authenticate(otherPlain, now); p2 == nil || p2.KeyID != other.ID {
		t.Errorf("second key authenticated as %+v", p2)
	}
	if bp, ok := c.ByID(k.ID); !ok || bp != p {
		t.Errorf("ByID = %v, %v", bp, ok)
	}
	if _, ok := c.ByID("key_nope"); ok {
		t.Error("ByID found a missing key")
	}

	wantErr(t, c, "", now, ErrMissing)
	wantErr(t, c, "garbage", now, ErrUnknown)
	wantErr(t, c, NewKey(), now, ErrUnknown)                    // well formed, never issued
	wantErr(t, c, plain[:len(plain)-1]+"x", now, ErrUnknown)    // checksum typo
	wantErr(t, c, string(make([]byte, 10000)), now, ErrUnknown) // long garbage

	// A cache under another server secret knows none of the keys.
	st2, _ := newTestStore(t)
	if _, _, err := Create(ctx, st2, []byte("another-secret-another-secret-xx"), KeySpec{Name: "x"}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCache(ctx, st2, testSecret, nil); !errors.Is(err, ErrSecretMismatch) {
		t.Errorf("NewCache with the wrong secret: %v, want ErrSecretMismatch", err)
	}
}

func TestAuthenticateStates(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	_, plain := mustCreate(t, st, KeySpec{Name: "k", ExpiresIn: time.Hour})
	c := newTestCache(t, st)
	id := c.Keys()[0].ID
	now := time.Now()

	if _, err := c.Authenticate(plain, now); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c, plain, now.Add(2*time.Hour), ErrExpired)

	step := func(name string, fn func() error, want error) {
		t.Helper()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := c.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		wantErr(t, c, plain, now, want)
		if got := State(c.Keys()[0], now); want == nil && got != StateActive {
			t.Errorf("after %s: State = %s", name, got)
		}
	}
	step("disable", func() error { _, err := SetDisabled(ctx, st, id, true); return err }, ErrDisabled)
	step("enable", func() error { _, err := SetDisabled(ctx, st, id, false); return err }, nil)
	step("quarantine", func() error { return c.Quarantine(ctx, id, "extraction") }, ErrQuarantined)
	if k := c.Keys()[0]; k.QuarantineReason != "extraction" || State(k, now) != StateQuarantined {
		t.Errorf("quarantined key: %+v", k)
	}
	step("unquarantine", func() error { return c.Unquarantine(ctx, id) }, nil)
	step("revoke", func() error { _, err := Revoke(ctx, st, id, now); return err }, ErrRevoked)
	if got := State(c.Keys()[0], now); got != StateRevoked {
		t.Errorf("State after revoke = %s", got)
	}
	// Revocation is final: enabling does not bring the key back.
	step("enable revoked", func() error { _, err := SetDisabled(ctx, st, id, false); return err }, ErrRevoked)
	if _, _, err := Rotate(ctx, st, testSecret, id, 0, now); err == nil {
		t.Error("rotating a revoked key succeeded")
	}
	if _, err := Revoke(ctx, st, "key_missing", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Revoke(missing) = %v, want ErrNotFound", err)
	}
}

func TestRotate(t *testing.T) {
	ctx := context.Background()
	st, _ := newTestStore(t)
	k, old := mustCreate(t, st, KeySpec{Name: "k", Tenant: "t", Models: []string{"m"}, RPM: 7})
	c := newTestCache(t, st)
	now := time.Now()

	// Without grace the old secret stops at once.
	rk, fresh, err := Rotate(ctx, st, testSecret, k.ID, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	if fresh == old || rk.ID != k.ID || rk.Name != "k" || rk.Tenant != "t" || rk.RPM != 7 || rk.Prefix != DisplayPrefix(fresh) {
		t.Errorf("rotated key = %+v", rk)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c, old, now, ErrUnknown)
	if p, err := c.Authenticate(fresh, now); err != nil || p.KeyID != k.ID {
		t.Errorf("new secret: %v, %v", p, err)
	}

	// With grace both work until the grace ends, then only the new one.
	_, newer, err := Rotate(ctx, st, testSecret, k.ID, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fresh, newer} {
		if p, err := c.Authenticate(s, now.Add(59*time.Minute)); err != nil || p.KeyID != k.ID {
			t.Errorf("during grace: %v, %v", p, err)
		}
	}
	wantErr(t, c, fresh, now.Add(time.Hour), ErrUnknown)
	if _, err := c.Authenticate(newer, now.Add(time.Hour)); err != nil {
		t.Errorf("new secret after grace: %v", err)
	}
	wantErr(t, c, old, now, ErrUnknown)

	// Revocation ends the grace too.
	if _, err := Revoke(ctx, st, k.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c, fresh, now, ErrUnknown)
	wantErr(t, c, newer, now, ErrRevoked)

	if _, _, err := Rotate(ctx, st, testSecret, "key_missing", 0, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Rotate(missing) = %v, want ErrNotFound", err)
	}
}

// A change made through another Store handle (the CLI, in production)
// reaches a started cache by polling.
func TestCachePicksUpChanges(t *testing.T) {
	ctx := context.Background()
	st, dir := newTestStore(t)
	c, err := NewCache(ctx, st, testSecret, &CacheOptions{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c.Start(ctx)
	defer c.Stop()
	c.Start(ctx) // idempotent

	cli, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	k, plain := mustCreate(t, cli, KeySpec{Name: "late"})
	eventually(t, func() bool { _, err := c.Authenticate(plain, time.Now()); return err == nil })
	if _, err := Revoke(ctx, cli, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { _, err := c.Authenticate(plain, time.Now()); return errors.Is(err, ErrRevoked) })
	if c.Err() != nil {
		t.Errorf("Err() = %v", c.Err())
	}
	c.Stop()
	c.Stop() // idempotent
}

// eventually waits for cond under a generous deadline; it asserts an
// outcome, not a duration.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached before the deadline")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCacheReportsStoreErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	_, plain := mustCreate(t, st, KeySpec{Name: "k"})
	c, err := NewCache(ctx, st, testSecret, &CacheOptions{PollInterval: 5 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	c.Start(ctx)
	defer c.Stop()
	st.Close() // the store goes away under the running cache
	eventually(t, func() bool { return c.Err() != nil })
	if _, err := c.Authenticate(plain, time.Now()); err != nil {
		t.Errorf("known keys stop working while the store is down: %v", err)
	}
}

func TestCreateValidates(t *testing.T) {
	st, _ := newTestStore(t)
	for name, spec := range map[string]KeySpec{
		"no name":      {},
		"blank name":   {Name: "  "},
		"negative rpm": {Name: "x", RPM: -1},
		"negative tpm": {Name: "x", TPM: -1},
		"past expiry":  {Name: "x", ExpiresIn: -time.Hour},
		"empty model":  {Name: "x", Models: []string{"a", " "}},
	} {
		if _, _, err := Create(context.Background(), st, testSecret, spec, time.Now()); err == nil {
			t.Errorf("Create(%s) succeeded", name)
		}
	}
	ks, _ := st.ListKeys(context.Background())
	if len(ks) != 0 {
		t.Errorf("invalid specs stored %d keys", len(ks))
	}
}

func TestStoredKeyHoldsNoSecret(t *testing.T) {
	st, _ := newTestStore(t)
	k, plain := mustCreate(t, st, KeySpec{Name: "k"})
	got, err := st.GetKey(context.Background(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Hash) == plain || len(got.Hash) != 32 || got.Prefix != plain[:DisplayPrefixLen] {
		t.Errorf("stored key: %+v", got)
	}
}

func TestAuthenticateDoesNotAllocate(t *testing.T) {
	st, _ := newTestStore(t)
	_, plain := mustCreate(t, st, KeySpec{Name: "k"})
	c := newTestCache(t, st)
	now := time.Now()
	bad := NewKey()
	allocs := testing.AllocsPerRun(100, func() {
		c.Authenticate(plain, now)
		c.Authenticate(bad, now)
	})
	if allocs != 0 {
		t.Errorf("Authenticate allocates %.1f times per call", allocs)
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	st, _ := newTestStore(b)
	var plain string
	for i := range 1000 {
		_, p := mustCreate(b, st, KeySpec{Name: "k"})
		if i == 500 {
			plain = p
		}
	}
	c := newTestCache(b, st)
	now := time.Now()
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Authenticate(plain, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	unknown := NewKey()
	b.Run("unknown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Authenticate(unknown, now)
		}
	})
	b.Run("malformed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Authenticate("rk_not-a-key", now)
		}
	})
}
