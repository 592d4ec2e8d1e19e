package anomaly

import (
	"fmt"
	"net/url"
	"time"

	"rampart/internal/config"
)

// Action is what the Detector does when a rule fires.
type Action string

// Actions a rule may take. Block applies only to credential stuffing (the
// client address is refused for a while); quarantine and throttle apply
// to the API key that sent the traffic.
const (
	ActAlert      Action = "alert"
	ActThrottle   Action = "throttle"
	ActQuarantine Action = "quarantine"
	ActBlock      Action = "block"
)

// Config is the `anomaly:` section of the gateway configuration. The zero
// value is usable: every unset field takes the default documented next to
// it (see docs/anomaly.md).
type Config struct {
	// Disabled turns every detector off; the kill switch keeps working.
	Disabled bool `yaml:"disabled"`

	Volume    VolumeConfig    `yaml:"volume"`
	Blocks    BlocksConfig    `yaml:"guardrail_blocks"`
	Stuffing  StuffingConfig  `yaml:"credential_stuffing"`
	Extract   ExtractConfig   `yaml:"extraction"`
	Throttle  ThrottleConfig  `yaml:"throttle"`
	Alert     AlertConfig     `yaml:"alert"`
	Kill      KillConfig      `yaml:"kill_switch"`
	Redis     RedisConfig     `yaml:"redis"`
	IdleAfter config.Duration `yaml:"forget_idle_after"` // drop a key's baseline after this long without traffic; 24h
}

// VolumeConfig: per-minute request counts against the subject's own
// baseline (EWMA mean and variance of its past minutes).
type VolumeConfig struct {
	Disabled bool     `yaml:"disabled"`
	Actions  []Action `yaml:"actions"`        // [alert, throttle]
	Alpha    float64  `yaml:"alpha"`          // weight of each closed minute in the EWMA; 0.05
	K        float64  `yaml:"k"`              // fire above mean + k·σ; 4
	Ratio    float64  `yaml:"min_ratio"`      // ... and above ratio·mean; 3
	MinRPM   int64    `yaml:"min_rpm"`        // ... and above this many requests in the minute; 60
	Warmup   int      `yaml:"warmup_minutes"` // minutes of history before the rule may fire; 30
	Tenants  *bool    `yaml:"tenants"`        // also watch each tenant's total (alert only); true
}

// BlocksConfig: Count guardrail blocks by one key within Window.
type BlocksConfig struct {
	Disabled bool            `yaml:"disabled"`
	Actions  []Action        `yaml:"actions"` // [alert, throttle]
	Count    int             `yaml:"count"`   // 10
	Window   config.Duration `yaml:"window"`  // 5m
}

// StuffingConfig: Failures authentication failures from one client
// address within Window (with at least MinDistinct different presented
// credentials when the gateway supplies their hashes) block the address
// for BlockFor.
type StuffingConfig struct {
	Disabled    bool            `yaml:"disabled"`
	Actions     []Action        `yaml:"actions"`      // [alert, block]
	Failures    int             `yaml:"failures"`     // 20
	Window      config.Duration `yaml:"window"`       // 1m
	MinDistinct int             `yaml:"min_distinct"` // 1 (any failures count)
	BlockFor    config.Duration `yaml:"block_for"`    // 15m
	IPv6Prefix  int             `yaml:"ipv6_prefix"`  // IPv6 clients are grouped by this prefix length; 64
	MaxTracked  int             `yaml:"max_tracked"`  // addresses tracked at once; 100000
}

// ExtractConfig: model-extraction patterns, evaluated per key over a
// tumbling Window.
type ExtractConfig struct {
	Window      config.Duration `yaml:"window"` // 10m
	Diversity   DiversityConfig `yaml:"diversity"`
	Enumeration EnumConfig      `yaml:"enumeration"`
	Logprobs    ShareConfig     `yaml:"logprobs"`
	MaxTokens   MaxTokensConfig `yaml:"max_tokens"`
}

// DiversityConfig: at least MinRequests in the window of which at least
// MinDistinct (a fraction) are different prompts.
type DiversityConfig struct {
	Disabled    bool     `yaml:"disabled"`
	Actions     []Action `yaml:"actions"`      // [alert]
	MinRequests int      `yaml:"min_requests"` // 600
	MinDistinct float64  `yaml:"min_distinct"` // 0.9
}

// EnumConfig: at least MinRequests in the window, at least MinShare of
// them following one template (same length and the same half of the
// text, numbers masked) and at least MinDistinct of them different.
type EnumConfig struct {
	Disabled    bool     `yaml:"disabled"`
	Actions     []Action `yaml:"actions"`      // [alert, throttle]
	MinRequests int      `yaml:"min_requests"` // 100
	MinShare    float64  `yaml:"min_share"`    // 0.6
	MinDistinct float64  `yaml:"min_distinct"` // 0.5
}

// ShareConfig: at least MinRequests in the window, at least MinShare of
// them asking for logprobs or top_logprobs.
type ShareConfig struct {
	Disabled    bool     `yaml:"disabled"`
	Actions     []Action `yaml:"actions"`      // [alert]
	MinRequests int      `yaml:"min_requests"` // 100
	MinShare    float64  `yaml:"min_share"`    // 0.8
	MinTop      int      `yaml:"min_top"`      // a request counts when logprobs is set or top_logprobs >= min_top; 1
}

// MaxTokensConfig: at least MinRequests in the window, at least MinShare
// of them asking for max_tokens >= Threshold (or >= Ratio of the model's
// output limit when the gateway knows it).
type MaxTokensConfig struct {
	Disabled    bool     `yaml:"disabled"`
	Actions     []Action `yaml:"actions"`      // [alert]
	MinRequests int      `yaml:"min_requests"` // 100
	MinShare    float64  `yaml:"min_share"`    // 0.8
	Threshold   int64    `yaml:"threshold"`    // 4096
	Ratio       float64  `yaml:"ratio"`        // 0.9
}

// ThrottleConfig: a throttled key is held to RPM requests per minute for
// For after the rule fired.
type ThrottleConfig struct {
	RPM int64           `yaml:"rpm"` // 6
	For config.Duration `yaml:"for"` // 15m
}

// AlertConfig: where alerts go. Every alert is logged and counted; a
// webhook is optional.
type AlertConfig struct {
	Webhook  string          `yaml:"webhook"`  // POST JSON here; empty = no webhook
	Secret   string          `yaml:"secret"`   // when set, X-Rampart-Signature: sha256=<hex HMAC of the body>
	Timeout  config.Duration `yaml:"timeout"`  // 5s
	Cooldown config.Duration `yaml:"cooldown"` // one alert per rule and subject per cooldown; 10m
	Queue    int             `yaml:"queue"`    // alerts waiting for the webhook; 1024 (then dropped and counted)
}

// KillConfig: how often the kill switch is re-read from Redis or the
// store. Must be at most 500ms so that a flip takes effect within 1s.
type KillConfig struct {
	Refresh config.Duration `yaml:"refresh"` // 250ms
}

// RedisConfig: shared state when the gateway runs with --redis.
type RedisConfig struct {
	Prefix  string          `yaml:"prefix"`   // "rampart:anomaly:"
	Flush   config.Duration `yaml:"flush"`    // batch counter updates this often; 250ms
	KillTTL config.Duration `yaml:"kill_ttl"` // the kill-switch hash expires after this long without a write; 720h
}

// withDefaults returns c with every unset field defaulted.
func (c Config) withDefaults() Config {
	def := func(p *[]Action, d ...Action) {
		if len(*p) == 0 {
			*p = d
		}
	}
	f := func(p *float64, d float64) {
		if *p == 0 {
			*p = d
		}
	}
	i := func(p *int, d int) {
		if *p == 0 {
			*p = d
		}
	}
	i64 := func(p *int64, d int64) {
		if *p == 0 {
			*p = d
		}
	}
	dur := func(p *config.Duration, d time.Duration) {
		if *p == 0 {
			*p = config.Duration(d)
		}
	}
	v := &c.Volume
	def(&v.Actions, ActAlert, ActThrottle)
	f(&v.Alpha, 0.05)
	f(&v.K, 4)
	f(&v.Ratio, 3)
	i64(&v.MinRPM, 60)
	i(&v.Warmup, 30)
	if v.Tenants == nil {
		t := true
		v.Tenants = &t
	}
	b := &c.Blocks
	def(&b.Actions, ActAlert, ActThrottle)
	i(&b.Count, 10)
	dur(&b.Window, 5*time.Minute)
	s := &c.Stuffing
	def(&s.Actions, ActAlert, ActBlock)
	i(&s.Failures, 20)
	dur(&s.Window, time.Minute)
	i(&s.MinDistinct, 1)
	dur(&s.BlockFor, 15*time.Minute)
	i(&s.IPv6Prefix, 64)
	i(&s.MaxTracked, 100000)
	e := &c.Extract
	dur(&e.Window, 10*time.Minute)
	def(&e.Diversity.Actions, ActAlert)
	i(&e.Diversity.MinRequests, 600)
	f(&e.Diversity.MinDistinct, 0.9)
	def(&e.Enumeration.Actions, ActAlert, ActThrottle)
	i(&e.Enumeration.MinRequests, 100)
	f(&e.Enumeration.MinShare, 0.6)
	f(&e.Enumeration.MinDistinct, 0.5)
	def(&e.Logprobs.Actions, ActAlert)
	i(&e.Logprobs.MinRequests, 100)
	f(&e.Logprobs.MinShare, 0.8)
	i(&e.Logprobs.MinTop, 1)
	def(&e.MaxTokens.Actions, ActAlert)
	i(&e.MaxTokens.MinRequests, 100)
	f(&e.MaxTokens.MinShare, 0.8)
	i64(&e.MaxTokens.Threshold, 4096)
	f(&e.MaxTokens.Ratio, 0.9)
	i64(&c.Throttle.RPM, 6)
	dur(&c.Throttle.For, 15*time.Minute)
	dur(&c.Alert.Timeout, 5*time.Second)
	dur(&c.Alert.Cooldown, 10*time.Minute)
	i(&c.Alert.Queue, 1024)
	dur(&c.Kill.Refresh, 250*time.Millisecond)
	if c.Redis.Prefix == "" {
		c.Redis.Prefix = "rampart:anomaly:"
	}
	dur(&c.Redis.Flush, 250*time.Millisecond)
	dur(&c.Redis.KillTTL, 720*time.Hour)
	dur(&c.IdleAfter, 24*time.Hour)
	return c
}

// Validate reports every problem in c (after defaults) at its path.
func (c Config) Validate(ck *config.Checker) {
	c = c.withDefaults()
	actions := func(ck *config.Checker, as []Action, allowed ...Action) {
		for i, a := range as {
			ok := false
			for _, b := range allowed {
				ok = ok || a == b
			}
			if !ok {
				ck.Index(i).Failf("unknown action %q (want one of %v)", a, allowed)
			}
		}
	}
	key := []Action{ActAlert, ActThrottle, ActQuarantine}
	pos := func(ck *config.Checker, name string, v float64) {
		if v <= 0 {
			ck.Field(name).Failf("must be positive")
		}
	}
	frac := func(ck *config.Checker, name string, v float64) {
		if v <= 0 || v > 1 {
			ck.Field(name).Failf("must be in (0, 1], got %v", v)
		}
	}

	v := ck.Field("volume")
	actions(v.Field("actions"), c.Volume.Actions, key...)
	if c.Volume.Alpha <= 0 || c.Volume.Alpha >= 1 {
		v.Field("alpha").Failf("must be in (0, 1), got %v", c.Volume.Alpha)
	}
	pos(v, "k", c.Volume.K)
	pos(v, "min_ratio", c.Volume.Ratio)
	pos(v, "min_rpm", float64(c.Volume.MinRPM))
	pos(v, "warmup_minutes", float64(c.Volume.Warmup))

	b := ck.Field("guardrail_blocks")
	actions(b.Field("actions"), c.Blocks.Actions, key...)
	pos(b, "count", float64(c.Blocks.Count))
	if c.Blocks.Count > 10000 {
		b.Field("count").Failf("at most 10000")
	}
	pos(b, "window", float64(c.Blocks.Window))

	s := ck.Field("credential_stuffing")
	actions(s.Field("actions"), c.Stuffing.Actions, ActAlert, ActBlock)
	pos(s, "failures", float64(c.Stuffing.Failures))
	if c.Stuffing.Failures > 10000 {
		s.Field("failures").Failf("at most 10000")
	}
	if c.Stuffing.MinDistinct > c.Stuffing.Failures {
		s.Field("min_distinct").Failf("cannot exceed failures (%d)", c.Stuffing.Failures)
	}
	pos(s, "window", float64(c.Stuffing.Window))
	pos(s, "block_for", float64(c.Stuffing.BlockFor))
	if c.Stuffing.IPv6Prefix < 1 || c.Stuffing.IPv6Prefix > 128 {
		s.Field("ipv6_prefix").Failf("must be in [1, 128]")
	}
	pos(s, "max_tracked", float64(c.Stuffing.MaxTracked))

	e := ck.Field("extraction")
	pos(e, "window", float64(c.Extract.Window))
	d := e.Field("diversity")
	actions(d.Field("actions"), c.Extract.Diversity.Actions, key...)
	pos(d, "min_requests", float64(c.Extract.Diversity.MinRequests))
	frac(d, "min_distinct", c.Extract.Diversity.MinDistinct)
	n := e.Field("enumeration")
	actions(n.Field("actions"), c.Extract.Enumeration.Actions, key...)
	pos(n, "min_requests", float64(c.Extract.Enumeration.MinRequests))
	frac(n, "min_share", c.Extract.Enumeration.MinShare)
	frac(n, "min_distinct", c.Extract.Enumeration.MinDistinct)
	l := e.Field("logprobs")
	actions(l.Field("actions"), c.Extract.Logprobs.Actions, key...)
	pos(l, "min_requests", float64(c.Extract.Logprobs.MinRequests))
	frac(l, "min_share", c.Extract.Logprobs.MinShare)
	pos(l, "min_top", float64(c.Extract.Logprobs.MinTop))
	m := e.Field("max_tokens")
	actions(m.Field("actions"), c.Extract.MaxTokens.Actions, key...)
	pos(m, "min_requests", float64(c.Extract.MaxTokens.MinRequests))
	frac(m, "min_share", c.Extract.MaxTokens.MinShare)
	pos(m, "threshold", float64(c.Extract.MaxTokens.Threshold))
	frac(m, "ratio", c.Extract.MaxTokens.Ratio)

	t := ck.Field("throttle")
	pos(t, "rpm", float64(c.Throttle.RPM))
	pos(t, "for", float64(c.Throttle.For))

	a := ck.Field("alert")
	if c.Alert.Webhook != "" {
		u, err := url.Parse(c.Alert.Webhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			a.Field("webhook").Failf("must be an http(s) URL")
		}
	}
	pos(a, "timeout", float64(c.Alert.Timeout))
	pos(a, "cooldown", float64(c.Alert.Cooldown))
	pos(a, "queue", float64(c.Alert.Queue))

	if r := c.Kill.Refresh.D(); r <= 0 || r > 500*time.Millisecond {
		ck.Field("kill_switch").Field("refresh").Failf("must be in (0, 500ms] so a flip takes effect within 1s, got %v", r)
	}
	if f := c.Redis.Flush.D(); f <= 0 || f > 5*time.Second {
		ck.Field("redis").Field("flush").Failf("must be in (0, 5s], got %v", f)
	}
	pos(ck.Field("redis"), "kill_ttl", float64(c.Redis.KillTTL))
	if c.IdleAfter.D() < c.Extract.Window.D() {
		ck.Field("forget_idle_after").Failf("must be at least extraction.window (%v)", c.Extract.Window.D())
	}
}

func (a Action) String() string { return string(a) }

var _ fmt.Stringer = Action("")
