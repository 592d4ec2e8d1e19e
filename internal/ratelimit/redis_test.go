package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func redisAddr() string {
	if a := os.Getenv("RAMPART_TEST_REDIS"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testRedis returns a client of the real Redis. It skips when Redis is
// unreachable outside CI, and fails in CI.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), PoolSize: 64})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("redis at %s unreachable in CI: %v", redisAddr(), err)
		}
		t.Skipf("redis at %s unreachable: %v", redisAddr(), err)
	}
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// testPrefix is a random key prefix whose keys are deleted after the test.
func testPrefix(t testing.TB, rdb *redis.Client) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	p := "rltest:" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, "{"+p+"}:*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return p
}

// testStart is a fake "now" one day ahead of the real one, so that
// PEXPIREAT at the end of a fake window is still in the future for Redis.
func testStart() time.Time {
	return time.Now().UTC().Truncate(24 * time.Hour).Add(36 * time.Hour)
}

func TestRedis(t *testing.T) {
	rdb := testRedis(t)
	runSuite(t, func(t *testing.T, cfg Config, clk clock) Limiter {
		cfg.RedisKeyPrefix = testPrefix(t, rdb)
		return newRedis(cfg, rdb, nil, clk.Now)
	}, func() clock { return &manualClock{t: testStart()} }, nil)
}

// TestRedisKeysHaveTTL checks that every key the scripts write expires.
func TestRedisKeysHaveTTL(t *testing.T) {
	rdb := testRedis(t)
	ctx := context.Background()
	prefix := testPrefix(t, rdb)
	cfg := Config{RedisKeyPrefix: prefix, Keys: Limits{RPM: 10, TPM: 1000, Concurrency: 3, DailyTokens: 1e6, MonthlyTokens: 1e7, DailyCost: 5, MonthlyCost: 50},
		Models: map[string]Price{"*": {Input: 1, Output: 2}}}
	l := newRedis(cfg, rdb, nil, nil) // Redis TIME
	res, err := l.Reserve(ctx, Request{KeyID: "k", EstTokens: 100, MaxTokens: 50})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Consume(ctx, 80); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "{"+prefix+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 7 {
		t.Fatalf("keys %v, want 7 (rpm, tpm, conc, 4 budgets)", keys)
	}
	for _, k := range keys {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s: PTTL %v %v, want an expiry", k, ttl, err)
		}
	}
	res.Settle(ctx, 50, 80)
	if n, _ := rdb.ZCard(ctx, "{"+prefix+"}:conc:k:k").Result(); n != 0 {
		t.Fatalf("concurrency set holds %d after settle", n)
	}
	w := windowsAt(time.Now())
	if v, _ := rdb.Get(ctx, "{"+prefix+"}:dt:"+w.dayTag+":k:k").Int64(); v != 130 {
		t.Fatalf("daily tokens %d, want 130", v)
	}
	// 50 input at 1/M + 80 output at 2/M = 210e-6 = 210000 nano.
	if v, _ := rdb.Get(ctx, "{"+prefix+"}:dc:"+w.dayTag+":k:k").Int64(); v != 210000 {
		t.Fatalf("daily cost %d nano, want 210000", v)
	}
}

// TestRedisConcurrentReplicas: several limiter instances, each with its
// own connection pool, share one Redis and admit exactly the limit.
func TestRedisConcurrentReplicas(t *testing.T) {
	base := testRedis(t)
	prefix := testPrefix(t, base)
	const replicas, requests = 3, 500
	clk := &manualClock{t: testStart()}
	var ls []Limiter
	for range replicas {
		rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), PoolSize: 50})
		t.Cleanup(func() { rdb.Close() })
		ls = append(ls, newRedis(Config{RedisKeyPrefix: prefix, Keys: Limits{RPM: 100}, Tenants: map[string]Limits{"t": {DailyTokens: 1000}}}, rdb, nil, clk.Now))
	}
	// A replica on Redis TIME too: the budget does not depend on the clock.
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr(), PoolSize: 50})
	t.Cleanup(func() { rdb.Close() })
	ls = append(ls, newRedis(Config{RedisKeyPrefix: prefix + "x", Tenants: map[string]Limits{"t": {DailyTokens: 1000}}}, rdb, nil, nil))
	t.Cleanup(func() { // second prefix
		ctx := context.Background()
		for _, k := range base.Keys(ctx, "{"+prefix+"x}:*").Val() {
			base.Del(ctx, k)
		}
	})

	for _, tc := range []struct {
		name  string
		ls    []Limiter
		req   Request
		limit int64
	}{
		{"rpm", ls[:replicas], Request{KeyID: "k"}, 100},
		{"daily tokens", ls[:replicas], Request{KeyID: "k2", Tenant: "t", EstTokens: 10}, 100},
		{"daily tokens on Redis TIME", ls[replicas:], Request{KeyID: "k3", Tenant: "t", EstTokens: 10}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var admitted, denied atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range requests {
				wg.Go(func() {
					<-start
					_, err := tc.ls[i%len(tc.ls)].Reserve(context.Background(), tc.req)
					var d *Denied
					switch {
					case err == nil:
						admitted.Add(1)
					case errors.As(err, &d) && !errors.Is(err, ErrUnavailable):
						denied.Add(1)
					default:
						t.Errorf("Reserve: %v", err)
					}
				})
			}
			close(start)
			wg.Wait()
			if admitted.Load() != tc.limit || denied.Load() != requests-tc.limit {
				t.Fatalf("admitted %d, denied %d of %d; want exactly %d admitted", admitted.Load(), denied.Load(), requests, tc.limit)
			}
		})
	}
}

// countHook counts the commands sent to Redis.
type countHook struct{ cmds atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.cmds.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func TestRedisOneRoundTripPerDecision(t *testing.T) {
	rdb := testRedis(t)
	prefix := testPrefix(t, rdb)
	hook := &countHook{}
	rdb.AddHook(hook)
	ctx := context.Background()
	l := newRedis(Config{RedisKeyPrefix: prefix, Keys: Limits{RPM: 1000, TPM: 1e6, Concurrency: 10, DailyTokens: 1e9, MonthlyCost: 100},
		TenantDefault: Limits{RPM: 1000, DailyTokens: 1e9}, IP: Limits{RPM: 1000}}, rdb, nil, nil)
	r := Request{KeyID: "k", Tenant: "t", IP: "203.0.113.9", EstTokens: 100, MaxTokens: 50}
	res, err := l.Reserve(ctx, r) // may load the script (EVALSHA, then EVAL)
	if err != nil {
		t.Fatal(err)
	}
	res.Settle(ctx, 10, 10)
	hook.cmds.Store(0)
	for range 20 {
		res, err := l.Reserve(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := hook.cmds.Swap(0); got != 1 {
			t.Fatalf("Reserve sent %d commands, want 1", got)
		}
		if err := res.Consume(ctx, 40); err != nil { // within the estimate: no call
			t.Fatal(err)
		}
		if got := hook.cmds.Swap(0); got != 0 {
			t.Fatalf("Consume within the estimate sent %d commands, want 0", got)
		}
		res.Settle(ctx, 50, 40)
		if got := hook.cmds.Swap(0); got != 1 {
			t.Fatalf("Settle sent %d commands, want 1", got)
		}
	}
}

// proxy is a TCP relay to Redis that a test can cut and restore, to
// simulate Redis going away and coming back.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[u] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(u, c); u.Close() }()
			go func() { _, _ = io.Copy(c, u); c.Close() }()
		}
	}()
}

// stop closes the listener and every relayed connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// start listens again on the same address.
func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// logCounter counts log records by level.
type logCounter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	warns int
	infos int
}

func (c *logCounter) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCounter) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch r.Level {
	case slog.LevelWarn:
		c.warns++
	case slog.LevelInfo:
		c.infos++
	}
	c.buf.WriteString(r.Level.String() + " " + r.Message + "\n")
	return nil
}
func (c *logCounter) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *logCounter) WithGroup(string) slog.Handler      { return c }

func TestRedisOutage(t *testing.T) {
	base := testRedis(t)
	for _, mode := range []string{OnErrorClosed, OnErrorLocal} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			px := newProxy(t, redisAddr())
			rdb := redis.NewClient(&redis.Options{Addr: px.addr, MaxRetries: -1, DialTimeout: time.Second})
			t.Cleanup(func() { rdb.Close() })
			logs := &logCounter{}
			var states []bool
			var stateMu sync.Mutex
			var storeErrs, fallbackDecisions atomic.Int64
			cfg := Config{RedisKeyPrefix: testPrefix(t, base), OnRedisError: mode, Keys: Limits{RPM: 3},
				Hooks: Hooks{
					OnStoreState: func(up bool) { stateMu.Lock(); states = append(states, up); stateMu.Unlock() },
					OnStoreError: func(string, error) { storeErrs.Add(1) },
					OnDecision: func(backend, _ string) {
						if backend == "fallback" {
							fallbackDecisions.Add(1)
						}
					},
				}}
			clk := &manualClock{t: testStart()}
			l := newRedis(cfg, rdb, slog.New(logs), clk.Now)
			r := Request{KeyID: "k"}
			if _, err := l.Reserve(ctx, r); err != nil {
				t.Fatal(err)
			}

			px.stop()
			for i := range 5 {
				_, err := l.Reserve(ctx, r)
				switch mode {
				case OnErrorClosed:
					var d *Denied
					if !errors.As(err, &d) || !errors.Is(err, ErrUnavailable) || d.Code != CodeRateLimit || d.RetryAfterSeconds() != 1 {
						t.Fatalf("request %d during the outage: %v, want a rate_limit_exceeded Denied wrapping ErrUnavailable", i, err)
					}
				case OnErrorLocal:
					// The local limiter enforces rpm 3 on its own.
					var d *Denied
					if i < 3 && err != nil || i >= 3 && (!errors.As(err, &d) || d.Dimension != dimRPM || errors.Is(err, ErrUnavailable)) {
						t.Fatalf("request %d during the outage: %v", i, err)
					}
				}
			}
			if logs.warns != 1 {
				t.Fatalf("%d warnings for one outage, want 1:\n%s", logs.warns, logs.buf.String())
			}
			if storeErrs.Load() != 1 {
				t.Fatalf("%d store errors, want 1 (the others fail fast until the next probe)", storeErrs.Load())
			}
			clk.Advance(probeEvery) // the next request probes, and fails
			if _, err := l.Reserve(ctx, r); mode == OnErrorClosed && !errors.Is(err, ErrUnavailable) {
				t.Fatalf("probe during the outage: %v", err)
			}
			if storeErrs.Load() != 2 || logs.warns != 1 {
				t.Fatalf("after a failed probe: %d store errors, %d warnings; want 2 and 1", storeErrs.Load(), logs.warns)
			}

			px.start()
			clk.Advance(probeEvery)
			res, err := l.Reserve(ctx, r) // Redis again: its bucket still has 2 of 3
			if err != nil {
				t.Fatalf("after recovery: %v", err)
			}
			if s := res.Status(); s.RemainingRequests != 1 {
				t.Fatalf("after recovery: remaining %d, want 1 (state from Redis)", s.RemainingRequests)
			}
			if !l.Up() || logs.infos != 1 || !strings.Contains(logs.buf.String(), "reachable again") {
				t.Fatalf("recovery not reported: up=%v logs:\n%s", l.Up(), logs.buf.String())
			}
			stateMu.Lock()
			defer stateMu.Unlock()
			if len(states) != 2 || states[0] || !states[1] {
				t.Fatalf("store states %v, want [false true]", states)
			}
			if mode == OnErrorLocal && fallbackDecisions.Load() == 0 {
				t.Fatal("no fallback decision reported")
			}
		})
	}
}

func TestRedisEmptyBudget(t *testing.T) {
	rdb := testRedis(t)
	runEmptyBudget(t, newRedis(Config{RedisKeyPrefix: testPrefix(t, rdb), Keys: Limits{DailyTokens: 100}}, rdb, nil, nil))
}
