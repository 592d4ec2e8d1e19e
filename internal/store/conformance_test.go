package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

// opener returns a fresh, empty store for one test, and a function that
// opens a second handle on the same database (another process, in
// production).
type opener func(t *testing.T) (st Store, reopen func() Store)

// runConformance runs the behaviour every Store must share.
func runConformance(t *testing.T, open opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st Store, reopen func() Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"Duplicate", testDuplicate},
		{"NotFound", testNotFound},
		{"Update", testUpdate},
		{"ModifyKey", testModifyKey},
		{"ModifyKeyConcurrent", testModifyKeyConcurrent},
		{"List", testList},
		{"Generation", testGeneration},
		{"SecondHandle", testSecondHandle},
		{"Settings", testSettings},
		{"Validation", testValidation},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, reopen := open(t)
			tc.fn(t, st, reopen)
		})
	}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)

func sampleKey(id string) *Key {
	return &Key{
		ID:        id,
		Name:      "name " + id,
		Tenant:    "acme",
		Prefix:    "rk_abcde",
		Hash:      bytes.Repeat([]byte(id[len(id)-1:]), 32),
		Models:    []string{"gpt-4o", "demo"},
		RPM:       60,
		TPM:       100000,
		Policy:    "strict",
		CreatedAt: t0,
		ExpiresAt: t0.Add(720 * time.Hour),
		Extra:     []byte(`{"budget":5}`),
	}
}

func mustGen(t *testing.T, st Store) int64 {
	t.Helper()
	g, err := st.Generation(context.Background())
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	return g
}

func testRoundTrip(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	full := sampleKey("key_1")
	full.RevokedAt = t0.Add(time.Hour)
	full.Disabled = true
	full.Quarantined = true
	full.QuarantineReason = "extraction pattern"
	full.PrevHash = bytes.Repeat([]byte{7}, 32)
	full.GraceUntil = t0.Add(2 * time.Hour)
	minimal := &Key{ID: "key_2", Hash: bytes.Repeat([]byte{2}, 32), CreatedAt: t0}
	for _, k := range []*Key{full, minimal} {
		if err := st.CreateKey(ctx, k); err != nil {
			t.Fatalf("CreateKey(%s): %v", k.ID, err)
		}
		got, err := st.GetKey(ctx, k.ID)
		if err != nil {
			t.Fatalf("GetKey(%s): %v", k.ID, err)
		}
		if !reflect.DeepEqual(got, k) {
			t.Errorf("GetKey(%s) =\n %+v\nwant\n %+v", k.ID, got, k)
		}
	}
	// Times come back in UTC, at microsecond precision.
	loc := &Key{ID: "key_3", Hash: bytes.Repeat([]byte{3}, 32),
		CreatedAt: time.Date(2026, 1, 1, 12, 0, 0, 999, time.FixedZone("X", 3600))}
	if err := st.CreateKey(ctx, loc); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetKey(ctx, "key_3")
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC); !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, want)
	}
}

func testDuplicate(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	if err := st.CreateKey(ctx, sampleKey("key_1")); err != nil {
		t.Fatal(err)
	}
	g := mustGen(t, st)
	dupID := sampleKey("key_1")
	dupID.Hash = bytes.Repeat([]byte{9}, 32)
	if err := st.CreateKey(ctx, dupID); !errors.Is(err, ErrExists) {
		t.Errorf("CreateKey with a taken id: err = %v, want ErrExists", err)
	}
	dupHash := sampleKey("key_1")
	dupHash.ID = "key_other"
	if err := st.CreateKey(ctx, dupHash); !errors.Is(err, ErrExists) {
		t.Errorf("CreateKey with a taken hash: err = %v, want ErrExists", err)
	}
	if g2 := mustGen(t, st); g2 != g {
		t.Errorf("failed creates changed the generation: %d -> %d", g, g2)
	}
}

func testNotFound(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	if _, err := st.GetKey(ctx, "key_nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey: err = %v, want ErrNotFound", err)
	}
	if err := st.UpdateKey(ctx, sampleKey("key_nope")); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateKey: err = %v, want ErrNotFound", err)
	}
	called := false
	if _, err := st.ModifyKey(ctx, "key_nope", func(*Key) error { called = true; return nil }); !errors.Is(err, ErrNotFound) {
		t.Errorf("ModifyKey: err = %v, want ErrNotFound", err)
	}
	if called {
		t.Error("ModifyKey called fn for a missing key")
	}
	if _, err := st.GetSetting(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetSetting: err = %v, want ErrNotFound", err)
	}
	if g := mustGen(t, st); g != 0 {
		t.Errorf("generation of an untouched store = %d, want 0", g)
	}
}

func testUpdate(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	k := sampleKey("key_1")
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	u := *k
	u.Name, u.Tenant, u.Prefix, u.Policy = "renamed", "other", "rk_zzzzz", "permissive"
	u.Hash = bytes.Repeat([]byte{8}, 32)
	u.Models = nil
	u.RPM, u.TPM = 1, 2
	u.ExpiresAt = time.Time{}
	u.RevokedAt = t0.Add(time.Minute)
	u.Disabled, u.Quarantined, u.QuarantineReason = true, true, "why"
	u.PrevHash, u.GraceUntil = k.Hash, t0.Add(time.Hour)
	u.Extra = nil
	u.CreatedAt = t0.Add(time.Hour) // not mutable: ignored
	if err := st.UpdateKey(ctx, &u); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetKey(ctx, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := u
	want.CreatedAt = k.CreatedAt
	if !reflect.DeepEqual(got, &want) {
		t.Errorf("after UpdateKey:\n %+v\nwant\n %+v", got, &want)
	}
}

func testModifyKey(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	if err := st.CreateKey(ctx, sampleKey("key_1")); err != nil {
		t.Fatal(err)
	}
	g := mustGen(t, st)
	boom := errors.New("boom")
	_, err := st.ModifyKey(ctx, "key_1", func(k *Key) error {
		k.Name = "changed"
		return boom
	})
	if err != boom {
		t.Errorf("ModifyKey returned %v, want fn's error as is", err)
	}
	if k, _ := st.GetKey(ctx, "key_1"); k.Name != "name key_1" {
		t.Errorf("aborted ModifyKey changed the name to %q", k.Name)
	}
	if g2 := mustGen(t, st); g2 != g {
		t.Errorf("aborted ModifyKey changed the generation %d -> %d", g, g2)
	}
	out, err := st.ModifyKey(ctx, "key_1", func(k *Key) error {
		k.ID = "key_hijack" // ignored: the id is fixed
		k.Quarantined = true
		k.QuarantineReason = "r"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.ID != "key_1" || !out.Quarantined {
		t.Errorf("ModifyKey returned %+v", out)
	}
	got, err := st.GetKey(ctx, "key_1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, out) {
		t.Errorf("stored %+v, ModifyKey returned %+v", got, out)
	}
	if _, err := st.GetKey(ctx, "key_hijack"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ModifyKey renamed the key: %v", err)
	}
	if g2 := mustGen(t, st); g2 <= g {
		t.Errorf("ModifyKey did not increase the generation (%d -> %d)", g, g2)
	}
}

// Concurrent read-modify-write cycles through two handles lose nothing.
func testModifyKeyConcurrent(t *testing.T, st Store, reopen func() Store) {
	ctx := context.Background()
	k := sampleKey("key_1")
	k.RPM = 0
	if err := st.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	other := reopen()
	const workers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		h := st
		if w%2 == 1 {
			h = other
		}
		wg.Go(func() {
			for range each {
				if _, err := h.ModifyKey(ctx, "key_1", func(k *Key) error { k.RPM++; return nil }); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("ModifyKey: %v", err)
	}
	got, err := st.GetKey(ctx, "key_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.RPM != workers*each {
		t.Errorf("RPM = %d after %d increments", got.RPM, workers*each)
	}
}

func testList(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	ks, err := st.ListKeys(ctx)
	if err != nil || len(ks) != 0 {
		t.Fatalf("ListKeys on an empty store = %v, %v", ks, err)
	}
	var want []string
	for i := range 5 {
		k := sampleKey(fmt.Sprintf("key_%d", i))
		k.CreatedAt = t0.Add(time.Duration(5-i) * time.Second) // reverse order
		if err := st.CreateKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		want = append([]string{k.ID}, want...)
	}
	ks, err = st.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range ks {
		got = append(got, k.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListKeys order = %v, want oldest first %v", got, want)
	}
	if !reflect.DeepEqual(ks[0].Models, []string{"gpt-4o", "demo"}) {
		t.Errorf("listed models = %v", ks[0].Models)
	}
}

func testGeneration(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	g0 := mustGen(t, st)
	if err := st.CreateKey(ctx, sampleKey("key_1")); err != nil {
		t.Fatal(err)
	}
	g1 := mustGen(t, st)
	if g1 <= g0 {
		t.Errorf("CreateKey: generation %d -> %d", g0, g1)
	}
	if err := st.UpdateKey(ctx, sampleKey("key_1")); err != nil {
		t.Fatal(err)
	}
	g2 := mustGen(t, st)
	if g2 <= g1 {
		t.Errorf("UpdateKey: generation %d -> %d", g1, g2)
	}
	if err := st.PutSetting(ctx, "x", []byte("y")); err != nil {
		t.Fatal(err)
	}
	if g3 := mustGen(t, st); g3 != g2 {
		t.Errorf("PutSetting changed the key generation %d -> %d", g2, g3)
	}
}

func testSecondHandle(t *testing.T, st Store, reopen func() Store) {
	ctx := context.Background()
	other := reopen()
	g := mustGen(t, st)
	if err := other.CreateKey(ctx, sampleKey("key_1")); err != nil {
		t.Fatal(err)
	}
	if g2 := mustGen(t, st); g2 <= g {
		t.Errorf("a change through another handle left the generation at %d (was %d)", g2, g)
	}
	if _, err := st.GetKey(ctx, "key_1"); err != nil {
		t.Errorf("the first handle does not see the key: %v", err)
	}
	if err := other.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func testSettings(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	for _, v := range [][]byte{[]byte("one"), []byte("two"), {}, {0, 1, 2, 255}} {
		if err := st.PutSetting(ctx, "s", v); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetSetting(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, v) || got == nil {
			t.Errorf("GetSetting = %q, want %q", got, v)
		}
	}
}

func testValidation(t *testing.T, st Store, _ func() Store) {
	ctx := context.Background()
	for name, k := range map[string]*Key{
		"no id":      {Hash: []byte{1}, CreatedAt: t0},
		"no hash":    {ID: "key_x", CreatedAt: t0},
		"no created": {ID: "key_x", Hash: []byte{1}},
	} {
		if err := st.CreateKey(ctx, k); err == nil {
			t.Errorf("CreateKey(%s) succeeded", name)
		}
	}
	if err := st.CreateKey(ctx, nil); err == nil {
		t.Error("CreateKey(nil) succeeded")
	}
}
