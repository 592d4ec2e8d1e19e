package ratelimit

import (
	"context"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestMemory(t *testing.T) {
	runSuite(t, func(t *testing.T, cfg Config, clk clock) Limiter {
		return newMemory(cfg, clk.Now)
	}, func() clock { return &manualClock{t: time.Date(2026, 11, 22, 15, 4, 5, 0, time.UTC)} }, nil)
}

type bubbleClock struct{}

func (bubbleClock) Now() time.Time          { return time.Now() }
func (bubbleClock) Advance(d time.Duration) { time.Sleep(d) }

// TestMemorySynctest runs the suite on the synctest fake clock.
func TestMemorySynctest(t *testing.T) {
	runSuite(t, func(t *testing.T, cfg Config, clk clock) Limiter {
		return NewMemory(cfg)
	}, func() clock { return bubbleClock{} }, func(t *testing.T, f func(*testing.T)) { synctest.Test(t, f) })
}

func TestMemoryEvictsIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		l := NewMemory(Config{Keys: Limits{RPM: 10, DailyTokens: 100}})
		for i := range 100 {
			res, err := l.Reserve(ctx, Request{KeyID: "k" + string(rune('a'+i%26)) + string(rune('a'+i/26)), EstTokens: 0})
			if err != nil {
				t.Fatal(err)
			}
			res.Settle(ctx, 0, 0)
		}
		held, err := l.Reserve(ctx, Request{KeyID: "held", EstTokens: 5})
		if err != nil {
			t.Fatal(err)
		}
		if n := l.Len(); n != 101 {
			t.Fatalf("Len = %d, want 101", n)
		}
		time.Sleep(2 * time.Minute)
		for i := range 2000 { // new keys trigger the sweeps of every shard
			if _, err := l.Reserve(ctx, Request{KeyID: "new" + string(rune(i))}); err != nil {
				t.Fatal(err)
			}
		}
		if _, ok := l.lookup(kindKey, "ka"); ok {
			t.Fatal("idle key with no budget spent was not evicted")
		}
		if _, ok := l.lookup(kindKey, "held"); !ok {
			t.Fatal("key with a pending reservation was evicted")
		}
		held.Settle(ctx, 0, 5)
		// Its 5 tokens are spent today: still kept.
		time.Sleep(2 * time.Minute)
		for i := range 2000 {
			_, _ = l.Reserve(ctx, Request{KeyID: "newer" + string(rune(i))})
		}
		if _, ok := l.lookup(kindKey, "held"); !ok {
			t.Fatal("key with budget spent today was evicted")
		}
	})
}

func (m *Memory) lookup(kind int, id string) (*memState, bool) {
	sh := &m.shards[maphash.String(m.seed, id)&m.mask]
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	st, ok := sh.m[memKey{uint8(kind), id}]
	return st, ok
}

func TestMemoryEmptyBudget(t *testing.T) {
	runEmptyBudget(t, NewMemory(Config{Keys: Limits{DailyTokens: 100}}))
}

// TestMemoryConcurrent: 500 concurrent requests over shared tenant and IP
// subjects admit exactly the limit.
func TestMemoryConcurrent(t *testing.T) {
	clk := &manualClock{t: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)}
	l := newMemory(Config{Keys: Limits{RPM: 30}, TenantDefault: Limits{RPM: 1000, DailyTokens: 1000}, IP: Limits{RPM: 1000}}, clk.Now)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			res, err := l.Reserve(context.Background(), Request{KeyID: "k" + strconv.Itoa(i%20), Tenant: "t", IP: "192.0.2." + strconv.Itoa(i%7), EstTokens: 10})
			if err == nil {
				admitted.Add(1)
				res.Settle(context.Background(), 5, 5)
			}
		})
	}
	wg.Wait()
	if admitted.Load() != 100 { // the tenant's 1000 daily tokens / 10
		t.Fatalf("admitted %d, want 100", admitted.Load())
	}
}
