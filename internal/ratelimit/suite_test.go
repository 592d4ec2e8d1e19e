package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// clock is the time source of a suite run: a manual clock, or the
// synctest bubble's.
type clock interface {
	Now() time.Time
	Advance(d time.Duration)
}

type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// factory builds a limiter for cfg reading time from clk.
type factory func(t *testing.T, cfg Config, clk clock) Limiter

// runSuite checks the limiter semantics shared by every backend.
// wrap runs each case (synctest.Test for the bubble clock).
func runSuite(t *testing.T, newL factory, newClock func() clock, wrap func(*testing.T, func(*testing.T))) {
	ctx := context.Background()
	run := func(t *testing.T, name string, f func(*testing.T)) {
		t.Run(name, func(t *testing.T) {
			if wrap == nil {
				f(t)
				return
			}
			wrap(t, f)
		})
	}
	reserve := func(t *testing.T, l Limiter, r Request) Reservation {
		t.Helper()
		res, err := l.Reserve(ctx, r)
		if err != nil {
			t.Fatalf("Reserve(%+v) = %v, want admitted", r, err)
		}
		return res
	}
	deny := func(t *testing.T, l Limiter, r Request, code, dim string) *Denied {
		t.Helper()
		_, err := l.Reserve(ctx, r)
		var d *Denied
		if !errors.As(err, &d) {
			t.Fatalf("Reserve(%+v) = %v, want *Denied", r, err)
		}
		if d.Code != code || d.Dimension != dim {
			t.Fatalf("denied %s/%s (%s), want %s/%s", d.Code, d.Dimension, d.Message, code, dim)
		}
		if d.RetryAfter <= 0 {
			t.Fatalf("RetryAfter = %v, want > 0", d.RetryAfter)
		}
		return d
	}

	run(t, "rpm burst then refill", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{RPM: 60}}, clk)
		r := Request{KeyID: "k1"}
		for i := range 60 {
			res := reserve(t, l, r)
			if got := res.Status(); got.LimitRequests != 60 || got.RemainingRequests != int64(59-i) {
				t.Fatalf("request %d: status %+v, want limit 60 remaining %d", i, got, 59-i)
			}
			res.Settle(ctx, 0, 0)
		}
		d := deny(t, l, r, CodeRateLimit, dimRPM)
		if d.RetryAfter > time.Second || d.RetryAfter < 999*time.Millisecond {
			t.Fatalf("RetryAfter = %v, want 1s", d.RetryAfter)
		}
		if d.Status.RemainingRequests != 0 || d.Status.LimitRequests != 60 {
			t.Fatalf("denied status %+v", d.Status)
		}
		clk.Advance(time.Second)
		reserve(t, l, r)
		deny(t, l, r, CodeRateLimit, dimRPM)
		// Another key is independent.
		reserve(t, l, Request{KeyID: "k2"})
	})

	run(t, "key record overrides defaults", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{RPM: 100, TPM: 1000}}, clk)
		r := Request{KeyID: "k", Key: Limits{RPM: 2}, EstTokens: 10}
		res := reserve(t, l, r)
		if s := res.Status(); s.LimitRequests != 2 || s.LimitTokens != 1000 || s.RemainingTokens != 990 {
			t.Fatalf("status %+v, want rpm 2 from the key and tpm 1000 from the defaults", s)
		}
		reserve(t, l, r)
		deny(t, l, r, CodeRateLimit, dimRPM)
	})

	run(t, "tpm estimate then settle refunds", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{TPM: 1000}}, clk)
		r := Request{KeyID: "k", EstTokens: 600, MaxTokens: 500}
		a := reserve(t, l, r)
		deny(t, l, r, CodeRateLimit, dimTPM)
		a.Settle(ctx, 80, 20) // 100 used: 500 refunded
		a.Settle(ctx, 900, 0) // ignored
		b := reserve(t, l, r) // 100 + 600 ≤ 1000
		if s := b.Status(); s.RemainingTokens != 300 {
			t.Fatalf("remaining tokens %d, want 300", s.RemainingTokens)
		}
		b.Settle(ctx, 500, 400) // charged 300 more: 1000 used
		deny(t, l, Request{KeyID: "k", EstTokens: 1}, CodeRateLimit, dimTPM)
		clk.Advance(6 * time.Second) // 100 tokens back
		c := reserve(t, l, Request{KeyID: "k", EstTokens: 100})
		if s := c.Status(); s.RemainingTokens != 0 {
			t.Fatalf("remaining tokens %d, want 0", s.RemainingTokens)
		}
	})

	run(t, "peek reports without charging", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{RPM: 10, TPM: 1000}, IP: Limits{RPM: 100}}, clk)
		pk, ok := l.(Peeker)
		if !ok {
			t.Fatalf("%T does not implement Peeker", l)
		}
		r := Request{KeyID: "k", IP: "10.0.0.1", EstTokens: 600, MaxTokens: 500}
		if s := pk.Peek(ctx, r); s.LimitRequests != 10 || s.RemainingRequests != 10 || s.LimitTokens != 1000 || s.RemainingTokens != 1000 || s.ResetTokens != 0 {
			t.Fatalf("peek of fresh subjects %+v, want full buckets", s)
		}
		a := reserve(t, l, r)
		a.Settle(ctx, 80, 20)
		for range 3 {
			if s := pk.Peek(ctx, r); s.RemainingRequests != 9 || s.RemainingTokens != 900 || s.ResetTokens <= 0 {
				t.Fatalf("peek after one settled request %+v, want 9 requests and 900 tokens left", s)
			}
		}
		if s := pk.Peek(ctx, Request{IP: "10.0.0.1"}); s.LimitRequests != 100 || s.RemainingRequests != 99 || s.LimitTokens != -1 {
			t.Fatalf("peek of the IP alone %+v, want 99 of 100 requests and no token limit", s)
		}
		if s := pk.Peek(ctx, Request{IP: "10.0.0.2", KeyID: ""}); s.RemainingRequests != 100 {
			t.Fatalf("peek of another IP %+v, want a full bucket", s)
		}
	})

	run(t, "request larger than tpm", func(t *testing.T) {
		l := newL(t, Config{Keys: Limits{TPM: 100}}, newClock())
		deny(t, l, Request{KeyID: "k", EstTokens: 101}, CodeRateLimit, dimTPM)
	})

	run(t, "daily budget settles exactly", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{DailyTokens: 1000, MonthlyTokens: 5000}}, clk)
		r := func(est int64) Request { return Request{KeyID: "k", EstTokens: est} }
		a := reserve(t, l, r(300))
		a.Settle(ctx, 200, 50) // 250 used
		deny(t, l, r(751), CodeQuota, dimDayTok)
		b := reserve(t, l, r(750)) // exactly fills the day
		deny(t, l, r(1), CodeQuota, dimDayTok)
		b.Settle(ctx, 700, 0) // 950 used
		c := reserve(t, l, r(50))
		deny(t, l, r(1), CodeQuota, dimDayTok)
		c.Settle(ctx, 10, 10) // 970 used
		reserve(t, l, r(30))
		d := deny(t, l, r(1), CodeQuota, dimDayTok)
		if want := clk.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(clk.Now()); d.RetryAfter != want {
			t.Fatalf("RetryAfter %v, want %v (next UTC midnight)", d.RetryAfter, want)
		}
		clk.Advance(24 * time.Hour) // a new day; the month keeps 1000
		reserve(t, l, r(1000))
		deny(t, l, r(1), CodeQuota, dimDayTok)
	})

	run(t, "stream is cut at its budget", func(t *testing.T) {
		clk := newClock()
		l := newL(t, Config{Keys: Limits{DailyTokens: 1000}}, clk)
		res := reserve(t, l, Request{KeyID: "k", EstTokens: 300, MaxTokens: 200}) // prompt 100 + max_tokens 200
		streamed := int64(0)
		var err error
		for streamed < 5000 {
			if err = res.Consume(ctx, 7); err != nil {
				break
			}
			streamed += 7
		}
		streamed += 7 // the chunk that was refused was produced too
		var d *Denied
		if !errors.As(err, &d) || d.Code != CodeQuota || d.Dimension != dimDayTok {
			t.Fatalf("Consume = %v after %d tokens, want a daily quota denial", err, streamed)
		}
		if total := 100 + streamed; total <= 1000 || total > 1007 {
			t.Fatalf("stream cut after %d tokens in total, want the first chunk past 1000", total)
		}
		res.Settle(ctx, 100, streamed)
		deny(t, l, Request{KeyID: "k", EstTokens: 1}, CodeQuota, dimDayTok)
		clk.Advance(24 * time.Hour)
		reserve(t, l, Request{KeyID: "k", EstTokens: 1000})
	})

	run(t, "streamed tokens within the estimate are already held", func(t *testing.T) {
		l := newL(t, Config{Keys: Limits{DailyTokens: 1000}}, newClock())
		res := reserve(t, l, Request{KeyID: "k", EstTokens: 600, MaxTokens: 500})
		for range 50 {
			if err := res.Consume(ctx, 10); err != nil {
				t.Fatalf("Consume within the estimate: %v", err)
			}
		}
		res.Settle(ctx, 90, 500) // 590: 10 refunded
		reserve(t, l, Request{KeyID: "k", EstTokens: 410})
		deny(t, l, Request{KeyID: "k", EstTokens: 1}, CodeQuota, dimDayTok)
	})

	run(t, "tpm overdrawn mid-stream", func(t *testing.T) {
		l := newL(t, Config{Keys: Limits{TPM: 100}}, newClock())
		res := reserve(t, l, Request{KeyID: "k", EstTokens: 50})
		if err := res.Consume(ctx, 50); err != nil {
			t.Fatal(err)
		}
		err := res.Consume(ctx, 51)
		var d *Denied
		if !errors.As(err, &d) || d.Dimension != dimTPM {
			t.Fatalf("Consume past tpm = %v, want a tpm denial", err)
		}
	})

	run(t, "concurrency slots", func(t *testing.T) {
		l := newL(t, Config{Tenants: map[string]Limits{"acme": {Concurrency: 2}}}, newClock())
		r := Request{KeyID: "k", Tenant: "acme"}
		a := reserve(t, l, r)
		b := reserve(t, l, Request{KeyID: "other", Tenant: "acme"})
		deny(t, l, r, CodeRateLimit, dimConc)
		reserve(t, l, Request{KeyID: "k", Tenant: "globex"}) // another tenant, no limit
		a.Settle(ctx, 0, 0)
		a.Settle(ctx, 0, 0) // a second settle must not free a second slot
		c := reserve(t, l, r)
		deny(t, l, r, CodeRateLimit, dimConc)
		b.Settle(ctx, 0, 0)
		c.Settle(ctx, 0, 0)
		reserve(t, l, r)
		reserve(t, l, r)
		deny(t, l, r, CodeRateLimit, dimConc)
	})

	run(t, "cost budget", func(t *testing.T) {
		cfg := Config{
			TenantDefault: Limits{DailyCost: 0.01},
			Models:        map[string]Price{"gpt": {Input: 2, Output: 8}, "*": {Input: 1, Output: 1}},
		}
		l := newL(t, cfg, newClock())
		// 1000 prompt + 500 max_tokens: 0.002 + 0.004 = 0.006.
		r := Request{KeyID: "k", Tenant: "t", Model: "gpt", EstTokens: 1500, MaxTokens: 500}
		a := reserve(t, l, r)
		deny(t, l, r, CodeQuota, dimDayCost)
		a.Settle(ctx, 1000, 0) // 0.002
		b := reserve(t, l, r)  // 0.008
		b.Settle(ctx, 1000, 250)
		// 0.002 + 0.004 = 0.006 spent; 0.004 left = 4000 tokens of "other" at 1/M.
		reserve(t, l, Request{KeyID: "k", Tenant: "t", Model: "other", EstTokens: 4000})
		deny(t, l, Request{KeyID: "k", Tenant: "t", Model: "other", EstTokens: 1}, CodeQuota, dimDayCost)
	})

	run(t, "subjects are checked together", func(t *testing.T) {
		l := newL(t, Config{Keys: Limits{RPM: 3}, IP: Limits{RPM: 4}, TenantDefault: Limits{RPM: 5}}, newClock())
		for range 3 {
			reserve(t, l, Request{KeyID: "a", Tenant: "t", IP: "192.0.2.1"})
		}
		d := deny(t, l, Request{KeyID: "a", Tenant: "t", IP: "192.0.2.1"}, CodeRateLimit, dimRPM)
		if d.Scope != "key" {
			t.Fatalf("scope %q, want key", d.Scope)
		}
		reserve(t, l, Request{KeyID: "b", Tenant: "t", IP: "192.0.2.1"})
		d = deny(t, l, Request{KeyID: "c", Tenant: "t", IP: "192.0.2.1"}, CodeRateLimit, dimRPM)
		if d.Scope != "ip" {
			t.Fatalf("scope %q, want ip", d.Scope)
		}
		// The refused requests charged nothing: the tenant has one left.
		res := reserve(t, l, Request{KeyID: "c", Tenant: "t", IP: "192.0.2.2"})
		if s := res.Status(); s.RemainingRequests != 0 || s.LimitRequests != 5 {
			t.Fatalf("status %+v, want the tenant's 5 with 0 remaining", s)
		}
		deny(t, l, Request{KeyID: "d", Tenant: "t", IP: "192.0.2.3"}, CodeRateLimit, dimRPM)
	})

	run(t, "no limits", func(t *testing.T) {
		l := newL(t, Config{}, newClock())
		res := reserve(t, l, Request{KeyID: "k", EstTokens: 1 << 40})
		if s := res.Status(); s.LimitRequests != -1 || s.LimitTokens != -1 {
			t.Fatalf("status %+v, want no limits", s)
		}
		if err := res.Consume(ctx, 1<<40); err != nil {
			t.Fatal(err)
		}
		res.Settle(ctx, 1, 1)
	})
}

// runEmptyBudget: a spent budget refuses even a request estimated at 0.
func runEmptyBudget(t *testing.T, l Limiter) {
	ctx := context.Background()
	res, err := l.Reserve(ctx, Request{KeyID: "k", EstTokens: 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Consume(ctx, 101); err == nil {
		t.Fatal("Consume past the budget: want a denial")
	}
	res.Settle(ctx, 0, 100) // exactly the budget
	_, err = l.Reserve(ctx, Request{KeyID: "k", EstTokens: 0})
	var d *Denied
	if !errors.As(err, &d) || d.Code != CodeQuota {
		t.Fatalf("Reserve with the budget spent = %v, want quota_exceeded", err)
	}
}
