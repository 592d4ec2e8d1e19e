package ratelimit

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"rampart/internal/config"
)

// Config is the limits section of the gateway configuration.
type Config struct {
	// Keys are the defaults for every API key; a key record's own rpm/tpm
	// (rampart keys create --rpm/--tpm) override them field by field.
	Keys Limits `yaml:"keys"`
	// Tenants maps a tenant to its limits, shared by all its keys.
	Tenants map[string]Limits `yaml:"tenants"`
	// TenantDefault applies to a tenant not listed in Tenants.
	TenantDefault Limits `yaml:"tenant_default"`
	// IP applies to every client IP (see internal/clientip).
	IP Limits `yaml:"ip"`
	// Models is the offline price table for cost budgets, per model name;
	// "*" prices any model not listed. A model with no price costs 0.
	Models map[string]Price `yaml:"models"`

	// Caps bound n, max_tokens and logprobs (inversion and extraction
	// limits); TenantCaps and KeyCaps (by key ID) replace them.
	Caps       Caps            `yaml:"caps"`
	TenantCaps map[string]Caps `yaml:"tenant_caps"`
	KeyCaps    map[string]Caps `yaml:"key_caps"`

	// OnRedisError is what happens while Redis cannot be reached:
	// "closed" (default) refuses with 429 rate_limit_exceeded, Retry-After 1;
	// "local" falls back to per-process in-memory limits.
	OnRedisError string `yaml:"on_redis_error"`
	// RedisKeyPrefix prefixes every Redis key (default "rampart:rl").
	RedisKeyPrefix string `yaml:"redis_key_prefix"`
	// RedisTimeout bounds one Redis decision (default 500ms).
	RedisTimeout config.Duration `yaml:"redis_timeout"`
	// ConcurrencyTTL frees a concurrency slot whose request never settled
	// (a crashed process) after this long (default 10m); streams longer
	// than that keep their slot alive while they Consume.
	ConcurrencyTTL config.Duration `yaml:"concurrency_ttl"`

	// Hooks receive metrics; set in code, not in YAML.
	Hooks Hooks `yaml:"-"`
}

// Price is a model's price per million tokens, in the currency of the
// cost budgets.
type Price struct {
	Input  float64 `yaml:"input"`
	Output float64 `yaml:"output"`
}

// Hooks are optional callbacks for metrics. Each may be nil and must be
// fast and safe for concurrent use.
type Hooks struct {
	// OnDecision is called once per Reserve: backend is "memory",
	// "redis" or "fallback"; outcome is "allowed", a Denied code, or
	// "unavailable".
	OnDecision func(backend, outcome string)
	// OnStoreError is called for every failed Redis call (op: reserve,
	// adjust).
	OnStoreError func(op string, err error)
	// OnStoreState is called with false when Redis becomes unreachable
	// and with true when it is reachable again.
	OnStoreState func(up bool)
}

// Failure modes for OnRedisError.
const (
	OnErrorClosed = "closed"
	OnErrorLocal  = "local"
)

const (
	defaultPrefix         = "rampart:rl"
	defaultRedisTimeout   = 500 * time.Millisecond
	defaultConcurrencyTTL = 10 * time.Minute
)

// Validate reports every problem at its path.
func (c *Config) Validate(ch *config.Checker) {
	validateLimits(ch.Field("keys"), c.Keys)
	for t, l := range c.Tenants {
		validateLimits(ch.Field("tenants").Key(t), l)
	}
	validateLimits(ch.Field("tenant_default"), c.TenantDefault)
	validateLimits(ch.Field("ip"), c.IP)
	for m, p := range c.Models {
		mc := ch.Field("models").Key(m)
		if p.Input < 0 || math.IsNaN(p.Input) || math.IsInf(p.Input, 0) {
			mc.Field("input").Failf("price must be a finite number ≥ 0, got %v", p.Input)
		}
		if p.Output < 0 || math.IsNaN(p.Output) || math.IsInf(p.Output, 0) {
			mc.Field("output").Failf("price must be a finite number ≥ 0, got %v", p.Output)
		}
	}
	c.Caps.validate(ch.Field("caps"))
	for t, cp := range c.TenantCaps {
		cp.validate(ch.Field("tenant_caps").Key(t))
	}
	for k, cp := range c.KeyCaps {
		cp.validate(ch.Field("key_caps").Key(k))
	}
	switch c.OnRedisError {
	case "", OnErrorClosed, OnErrorLocal:
	default:
		ch.Field("on_redis_error").Failf("must be %q or %q, got %q", OnErrorClosed, OnErrorLocal, c.OnRedisError)
	}
	if c.RedisTimeout < 0 {
		ch.Field("redis_timeout").Failf("must be ≥ 0")
	}
	if c.ConcurrencyTTL < 0 || (c.ConcurrencyTTL > 0 && c.ConcurrencyTTL.D() < time.Second) {
		ch.Field("concurrency_ttl").Failf("must be at least 1s")
	}
}

func validateLimits(ch *config.Checker, l Limits) {
	for _, f := range []struct {
		name string
		v    int64
	}{{"rpm", l.RPM}, {"tpm", l.TPM}, {"concurrency", l.Concurrency}, {"daily_tokens", l.DailyTokens}, {"monthly_tokens", l.MonthlyTokens}} {
		if f.v < 0 {
			ch.Field(f.name).Failf("must be ≥ 0 (0 means unlimited), got %d", f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"daily_cost", l.DailyCost}, {"monthly_cost", l.MonthlyCost}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			ch.Field(f.name).Failf("must be a finite number ≥ 0 (0 means unlimited), got %v", f.v)
		}
		if f.v > maxCost {
			ch.Field(f.name).Failf("must be at most %v", float64(maxCost))
		}
	}
}

// CapsFor returns the caps for a key: KeyCaps[keyID], else
// TenantCaps[tenant], else Caps.
func (c *Config) CapsFor(keyID, tenant string) Caps {
	if cp, ok := c.KeyCaps[keyID]; ok && keyID != "" {
		return cp
	}
	if cp, ok := c.TenantCaps[tenant]; ok && tenant != "" {
		return cp
	}
	return c.Caps
}

// Costs are counted as integers in nano-units of the currency
// (1e-9 dollar), so Redis can add them exactly.
const (
	nanoPerUnit = 1e9
	maxCost     = 1e9 // currency units; 1e18 nano-units fit in int64
)

func toNano(v float64) int64 { return int64(math.Round(v * nanoPerUnit)) }

// cost in nano-units of prompt and completion tokens at price p (per 1M).
func (p Price) cost(prompt, completion int64) int64 {
	// price per token in nano-units = price per 1M * 1e9 / 1e6 = price * 1e3.
	return int64(math.Round(float64(prompt)*p.Input*1e3 + float64(completion)*p.Output*1e3))
}

func (c *Config) price(model string) Price {
	if p, ok := c.Models[model]; ok {
		return p
	}
	return c.Models["*"]
}

// Subject kinds, in the fixed order reservations lock them.
const (
	kindKey = iota
	kindTenant
	kindIP
	numKinds
)

var kindNames = [numKinds]string{"key", "tenant", "ip"}
var kindTags = [numKinds]string{"k", "t", "i"}

// subject is one key, tenant or IP with its resolved limits (costs in
// nano-units).
type subject struct {
	kind             int
	id               string
	rpm, tpm, conc   int64
	dayTok, monTok   int64
	dayCost, monCost int64
}

func (s *subject) tokens() bool {
	return s.tpm > 0 || s.dayTok > 0 || s.monTok > 0 || s.dayCost > 0 || s.monCost > 0
}

func makeSubject(kind int, id string, l Limits) subject {
	return subject{kind: kind, id: id, rpm: l.RPM, tpm: l.TPM, conc: l.Concurrency,
		dayTok: l.DailyTokens, monTok: l.MonthlyTokens, dayCost: toNano(l.DailyCost), monCost: toNano(l.MonthlyCost)}
}

// plan is what one request asks of its subjects.
type plan struct {
	subs      [numKinds]subject
	n         int
	est       int64 // tokens charged at admission
	promptEst int64 // est - MaxTokens
	estCost   int64 // nano-units
	price     Price
}

func (c *Config) plan(r *Request) plan {
	var p plan
	add := func(kind int, id string, l Limits) {
		if id == "" || l.IsZero() {
			return
		}
		p.subs[p.n] = makeSubject(kind, id, l)
		p.n++
	}
	add(kindKey, r.KeyID, r.Key.Merge(c.Keys))
	if r.Tenant != "" {
		l, ok := c.Tenants[r.Tenant]
		if !ok {
			l = c.TenantDefault
		}
		add(kindTenant, r.Tenant, l)
	}
	add(kindIP, r.IP, c.IP)
	p.est = max(r.EstTokens, 0)
	out := min(max(r.MaxTokens, 0), p.est)
	p.promptEst = p.est - out
	p.price = c.price(r.Model)
	p.estCost = p.price.cost(p.promptEst, out)
	return p
}

// tooBig reports a request that could never fit a limit, whatever the wait.
func (p *plan) tooBig() *Denied {
	for i := range p.subs[:p.n] {
		s := &p.subs[i]
		scope := kindNames[s.kind]
		switch {
		case s.tpm > 0 && p.est > s.tpm:
			return &Denied{Code: CodeRateLimit, Dimension: "tpm", Scope: scope, RetryAfter: time.Minute,
				Message: fmt.Sprintf("request needs about %d tokens (prompt estimate + max_tokens), above the %s limit of %d tokens per minute; lower max_tokens or shorten the prompt", p.est, scope, s.tpm)}
		}
	}
	return nil
}

// windows are the calendar UTC day and month of t, with their ends.
type windows struct {
	day, month       int32 // days since epoch, months since year 0
	dayStart         time.Time
	dayEnd, monthEnd time.Time
	dayTag, monthTag string // 20261122, 202611
}

func windowsAt(t time.Time) windows {
	t = t.UTC()
	y, m, d := t.Date()
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return windows{
		day:      int32(dayStart.Unix() / 86400),
		month:    int32(y*12 + int(m) - 1),
		dayStart: dayStart,
		dayEnd:   dayStart.AddDate(0, 0, 1),
		monthEnd: time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC),
		dayTag:   dayStart.Format("20060102"),
		monthTag: dayStart.Format("200601"),
	}
}

// winCache keeps the current windows so most decisions skip the
// calendar arithmetic.
type winCache struct{ p atomic.Pointer[windows] }

func (c *winCache) at(now time.Time) *windows {
	w := c.p.Load()
	if w != nil && now.Before(w.dayEnd) && !now.Before(w.dayStart) {
		return w
	}
	nw := windowsAt(now)
	c.p.Store(&nw)
	return &nw
}
