// Package anomaly watches the traffic of every API key, tenant and client
// address for abuse — volume spikes against the key's own baseline,
// repeated guardrail blocks, credential stuffing and model-extraction
// patterns — and responds by alerting, throttling or quarantining the key,
// or blocking the address. It also holds the kill switch for a key, a
// tenant or a model.
//
// The request path (Observe, Throttle, IPBlocked, Killed) touches only
// memory. Alerts, quarantines and Redis traffic happen on background
// goroutines; New starts them and Close stops them.
package anomaly

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/config"
)

// Decisions the gateway reports in Observation.Decision (the audit
// vocabulary).
const (
	DecisionAllow        = "allow"
	DecisionFlag         = "flag"
	DecisionRedact       = "redact"
	DecisionBlock        = "block"
	DecisionRateLimited  = "rate_limited"
	DecisionUnauthorized = "unauthorized"
)

// Observation describes one finished request. The gateway fills it after
// every request, refused ones included; for an authentication failure
// KeyID is empty and Decision is "unauthorized".
type Observation struct {
	Time     time.Time // zero: the Detector's clock
	KeyID    string
	Tenant   string
	ClientIP string // address only, no port
	Model    string
	Status   int
	Decision string   // allow | flag | redact | pseudonymize | block | rate_limited | unauthorized | error
	Findings []string // finding types (never matched text)

	// Prompt is the request's text; it is hashed in Observe and neither
	// kept nor logged. Set Print instead when the fingerprint is already
	// computed (anomaly.Fingerprint).
	Prompt string
	Print  Print

	PromptTokens   int64
	MaxTokens      int64 // max_tokens / max_completion_tokens asked; 0 = unset
	ModelMaxTokens int64 // the model's output limit when known; 0 = unknown
	Logprobs       bool
	TopLogprobs    int
	N              int // choices asked; 0 = 1

	// CredentialHash identifies the presented (bad) credential for an
	// authentication failure, e.g. the first 8 bytes of its keyed hash;
	// 0 = unknown or none presented. It lets credential stuffing count
	// distinct credentials.
	CredentialHash uint64
}

// Verdict is what Observe decided. The zero Verdict means nothing to do.
type Verdict struct {
	Fired Rules // rules whose threshold this observation crossed
	// Alert: an alert was queued (webhook, log line, metric).
	Alert bool
	// Throttle: the key is throttled; the gateway calls Throttle before
	// each of its requests.
	Throttle bool
	// Quarantine: the key is being quarantined; refuse this key's requests
	// with 401 invalid_api_key from now on (Killed also reports it until
	// the store has caught up).
	Quarantine bool
	// BlockIP: the client address is blocked (IPBlocked reports it).
	BlockIP bool
	// Reason explains the verdict (rule, observed value, threshold); it
	// names no prompt text and no secret.
	Reason string
}

// Quarantiner quarantines a key in the store (the gateway passes one
// backed by store.Store that also writes the audit record with the
// reason). When Quarantine returns nil the gateway's own key lookup must
// already refuse the key (the gateway reloads its key cache): Killed then
// stops reporting the key from memory, so that lifting the quarantine in
// the store takes effect at once.
type Quarantiner interface {
	Quarantine(ctx context.Context, keyID, reason string) error
}

// QuarantineFunc adapts a function to Quarantiner.
type QuarantineFunc func(ctx context.Context, keyID, reason string) error

// Quarantine implements Quarantiner.
func (f QuarantineFunc) Quarantine(ctx context.Context, keyID, reason string) error {
	return f(ctx, keyID, reason)
}

// Settings persists the kill switch when there is no Redis; store.Store
// satisfies it.
type Settings interface {
	GetSetting(ctx context.Context, name string) ([]byte, error)
	PutSetting(ctx context.Context, name string, value []byte) error
}

// Deps are the Detector's collaborators. Every field is optional.
type Deps struct {
	Now         func() time.Time // default time.Now
	Quarantiner Quarantiner      // nil: the quarantine action only alerts
	// Alerter receives every alert, from a background goroutine. Nil: the
	// default built from Config.Alert (webhook, log line, Metric).
	Alerter Alerter
	Metric  func(Alert) // called for every alert by the default Alerter
	HTTP    *http.Client
	// Redis shares counters, blocked addresses and the kill switch across
	// replicas. Nil: each replica counts alone and the kill switch lives in
	// Settings (or only in memory).
	Redis    redis.UniversalClient
	Settings Settings
	Logger   *slog.Logger
}

// Detector is safe for concurrent use.
type Detector struct {
	cfg    Config
	acts   [numRules]actionSet
	now    func() time.Time
	quar   Quarantiner
	alerts *alertQueue
	rdb    redis.UniversalClient
	sets   Settings
	log    *slog.Logger
	seed   maphash.Seed

	keys    shardMap[string, subject]
	tenants shardMap[string, subject]
	ips     shardMap[netip.Addr, ipState]
	ipCount atomic.Int64

	throttleMax atomic.Int64 // latest throttleUntil of any key (fast path)

	blockMu  sync.RWMutex
	blocked  map[netip.Addr]int64 // address → blocked until (unix ns), local and shared
	blockedN atomic.Int64
	newBlock []ipBlock // blocks to publish to Redis

	kill     *KillSwitch
	qmu      sync.Mutex
	qpending map[string]int64 // key → until (unix ns): quarantined here, store not yet caught up
	qn       atomic.Int64

	dirtyMu   sync.Mutex
	dirty     []*subject
	dirtyIPs  []*ipState
	stats     Stats
	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// New builds a Detector and starts its background goroutines (the alert
// sender, and with Redis or Settings the refresh and flush loops). Call
// Close when done.
func New(cfg Config, deps Deps) (*Detector, error) {
	cfg = cfg.withDefaults()
	if err := validate(cfg); err != nil {
		return nil, err
	}
	d := &Detector{
		cfg:      cfg,
		now:      deps.Now,
		quar:     deps.Quarantiner,
		rdb:      deps.Redis,
		sets:     deps.Settings,
		log:      deps.Logger,
		seed:     maphash.MakeSeed(),
		blocked:  map[netip.Addr]int64{},
		qpending: map[string]int64{},
		stop:     make(chan struct{}),
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	d.keys.init(d.seed)
	d.tenants.init(d.seed)
	d.ips.init(d.seed)
	d.acts = [numRules]actionSet{
		RuleVolume:      compileActions(cfg.Volume.Actions),
		RuleBlocks:      compileActions(cfg.Blocks.Actions),
		RuleStuffing:    compileActions(cfg.Stuffing.Actions),
		RuleDiversity:   compileActions(cfg.Extract.Diversity.Actions),
		RuleEnumeration: compileActions(cfg.Extract.Enumeration.Actions),
		RuleLogprobs:    compileActions(cfg.Extract.Logprobs.Actions),
		RuleMaxTokens:   compileActions(cfg.Extract.MaxTokens.Actions),
	}
	alerter := deps.Alerter
	if alerter == nil {
		alerter = NewAlerter(cfg.Alert, deps.HTTP, d.log, deps.Metric)
	}
	d.alerts = newAlertQueue(alerter, cfg.Alert, d.log, &d.stats)
	d.kill = NewKillSwitch(KillBackend{Redis: deps.Redis, Settings: deps.Settings, Prefix: cfg.Redis.Prefix, TTL: cfg.Redis.KillTTL.D()})

	d.wg.Add(1)
	go func() { defer d.wg.Done(); d.alerts.run(d.stop) }()
	if d.rdb != nil || d.sets != nil {
		// A first read, so a replica starts with the switches already on.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := d.Refresh(ctx); err != nil {
			d.log.Warn("anomaly: initial refresh failed; retrying in the background", "err", err)
		}
		cancel()
		d.wg.Add(1)
		go func() { defer d.wg.Done(); d.loop(cfg.Kill.Refresh.D(), d.Refresh) }()
	}
	if d.rdb != nil {
		d.wg.Add(1)
		go func() { defer d.wg.Done(); d.loop(cfg.Redis.Flush.D(), d.Flush) }()
	}
	d.wg.Add(1)
	go func() { defer d.wg.Done(); d.loop(time.Minute, func(context.Context) error { d.forget(); return nil }) }()
	return d, nil
}

func validate(cfg Config) error {
	ck := config.NewChecker()
	cfg.Validate(ck)
	return ck.Err()
}

// Close stops the background goroutines, sending queued alerts first (for
// at most the alert timeout) and flushing counters to Redis.
func (d *Detector) Close() error {
	d.closeOnce.Do(func() {
		close(d.stop)
		d.wg.Wait()
		if d.rdb != nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_ = d.Flush(ctx)
			cancel()
		}
	})
	return nil
}

func (d *Detector) loop(every time.Duration, fn func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), max(every, time.Second))
			if err := fn(ctx); err != nil {
				d.stats.RedisErrors.Add(1)
				d.log.Warn("anomaly: background sync failed", "err", err)
			}
			cancel()
		}
	}
}

// subject is the state of one key or tenant.
type subject struct {
	mu            sync.Mutex
	id            string
	lastSeen      int64
	vol           volumeState
	blocks        timeRing      // keys only, allocated on the first block
	ext           *extractState // keys only
	throttleUntil int64
	tat           int64
	quarantinedAt int64
	lastAlert     [numRules]int64
	dirty         bool
}

// ipState is the state of one client address (IPv6: one prefix).
type ipState struct {
	mu           sync.Mutex
	addr         netip.Addr
	lastSeen     int64
	ring         timeRing
	blockedUntil int64
	lastAlert    int64
	// shared fixed-window failure count (with Redis)
	bucket, pending, shared int64
	dirty                   bool
}

type ipBlock struct {
	addr  netip.Addr
	until int64
}

// evidence is what a rule saw when it fired.
type evidence [numRules]struct{ observed, threshold float64 }

// Observe records one finished request and applies the actions of every
// rule it makes fire. It touches only memory and is safe for concurrent
// use.
func (d *Detector) Observe(o Observation) Verdict {
	if d.cfg.Disabled {
		return Verdict{}
	}
	t := o.Time
	if t.IsZero() {
		t = d.now()
	}
	now := t.UnixNano()
	if o.KeyID == "" || o.Decision == DecisionUnauthorized {
		return d.observeFailure(&o, now)
	}

	var ev evidence
	var v Verdict
	s := d.keys.get(o.KeyID, newSubject)
	s.mu.Lock()
	s.lastSeen = now
	fired := d.observeKey(s, &o, now, &ev)
	var quarantine string
	var alerts []Alert
	if fired != 0 {
		v, quarantine, alerts = d.actKey(s, fired, &ev, &o, now)
	} else if s.throttleUntil > now {
		v.Throttle = true
	}
	markDirty := d.rdb != nil && !s.dirty && s.vol.pending > 0
	if markDirty {
		s.dirty = true
	}
	s.mu.Unlock()
	if markDirty {
		d.dirtyMu.Lock()
		d.dirty = append(d.dirty, s)
		d.dirtyMu.Unlock()
	}

	if o.Tenant != "" && *d.cfg.Volume.Tenants && !d.cfg.Volume.Disabled {
		if a, ok := d.observeTenant(&o, now); ok {
			alerts = append(alerts, a)
			v.Alert = true
			v.Fired.add(RuleVolume)
			if v.Reason == "" {
				v.Reason = a.Reason
			}
		}
	}
	if quarantine != "" {
		d.quarantine(o.KeyID, quarantine, now)
	}
	for _, a := range alerts {
		d.alerts.push(a)
	}
	return v
}

func newSubject(id string) *subject { return &subject{id: id} }

// observeKey updates a key's counters and returns the rules that fired.
func (d *Detector) observeKey(s *subject, o *Observation, now int64, ev *evidence) Rules {
	var fired Rules
	c := &d.cfg
	if !c.Volume.Disabled {
		if ok, obs, thr := s.vol.observe(&c.Volume, now/int64(time.Minute)); ok {
			fired.add(RuleVolume)
			ev[RuleVolume].observed, ev[RuleVolume].threshold = obs, thr
		}
	}
	if !c.Blocks.Disabled && o.Decision == DecisionBlock {
		if s.blocks.t == nil {
			s.blocks = newTimeRing(c.Blocks.Count, false)
		}
		if s.blocks.add(now, int64(c.Blocks.Window), 0) {
			fired.add(RuleBlocks)
			ev[RuleBlocks].observed, ev[RuleBlocks].threshold = float64(c.Blocks.Count), float64(c.Blocks.Count)
			s.blocks.reset()
		}
	}
	if o.Decision != DecisionRateLimited {
		fired |= d.observeExtraction(s, o, now, ev)
	}
	return fired
}

func (d *Detector) observeExtraction(s *subject, o *Observation, now int64, ev *evidence) Rules {
	c := &d.cfg.Extract
	if c.Diversity.Disabled && c.Enumeration.Disabled && c.Logprobs.Disabled && c.MaxTokens.Disabled {
		return 0
	}
	if s.ext == nil {
		s.ext = new(extractState)
		s.ext.roll(now)
	}
	e := s.ext
	if now-e.start >= int64(c.Window) || now < e.start {
		e.roll(now)
	}
	e.n++
	p := o.Print
	if p.IsZero() && o.Prompt != "" {
		p = Fingerprint(o.Prompt)
	}
	if !p.IsZero() {
		e.prints++
		e.distinct.add(p.Exact)
		if p.Head != 0 {
			e.templated++
			e.head.add(p.Head)
			e.tail.add(p.Tail)
		}
	}
	if o.Logprobs || (o.TopLogprobs > 0 && o.TopLogprobs >= c.Logprobs.MinTop) {
		e.logprobs++
	}
	if o.MaxTokens > 0 && (o.MaxTokens >= c.MaxTokens.Threshold ||
		(o.ModelMaxTokens > 0 && float64(o.MaxTokens) >= c.MaxTokens.Ratio*float64(o.ModelMaxTokens))) {
		e.maxToks++
	}

	var fired Rules
	set := func(r Rule, obs, thr float64) {
		e.fired.add(r)
		fired.add(r)
		ev[r].observed, ev[r].threshold = obs, thr
	}
	n := float64(e.n)
	if dc := &c.Diversity; !dc.Disabled && !e.fired.Has(RuleDiversity) && e.n >= int64(dc.MinRequests) && e.prints > 0 {
		if div := e.distinct.estimate() / float64(e.prints); div >= dc.MinDistinct {
			set(RuleDiversity, min(div, 1), dc.MinDistinct)
		}
	}
	if ec := &c.Enumeration; !ec.Disabled && !e.fired.Has(RuleEnumeration) && e.templated >= int64(ec.MinRequests) {
		share := float64(max(e.head.top(), e.tail.top())) / float64(e.templated)
		div := e.distinct.estimate() / float64(e.prints)
		if share >= ec.MinShare && div >= ec.MinDistinct {
			set(RuleEnumeration, share, ec.MinShare)
		}
	}
	if lc := &c.Logprobs; !lc.Disabled && !e.fired.Has(RuleLogprobs) && e.n >= int64(lc.MinRequests) {
		if share := float64(e.logprobs) / n; share >= lc.MinShare {
			set(RuleLogprobs, share, lc.MinShare)
		}
	}
	if mc := &c.MaxTokens; !mc.Disabled && !e.fired.Has(RuleMaxTokens) && e.n >= int64(mc.MinRequests) {
		if share := float64(e.maxToks) / n; share >= mc.MinShare {
			set(RuleMaxTokens, share, mc.MinShare)
		}
	}
	return fired
}

// requarantineAfter: a key quarantined by this replica is not quarantined
// again sooner (the operator may have lifted it in between).
const requarantineAfter = int64(time.Minute)

// pendingQuarantine: how long Killed reports a key this replica has just
// quarantined, covering the time the gateway's key cache takes to see it.
const pendingQuarantine = int64(5 * time.Second)

// actKey applies the actions of the rules that fired for key s (locked).
func (d *Detector) actKey(s *subject, fired Rules, ev *evidence, o *Observation, now int64) (v Verdict, quarantine string, alerts []Alert) {
	v.Fired = fired
	for r := Rule(0); r < numRules; r++ {
		if !fired.Has(r) {
			continue
		}
		d.stats.Fired[r].Add(1)
		acts := d.acts[r]
		reason := describe(r, &d.cfg, ev[r].observed, ev[r].threshold)
		if v.Reason == "" {
			v.Reason = reason
		}
		if acts&doThrottle != 0 {
			until := now + int64(d.cfg.Throttle.For)
			if until > s.throttleUntil {
				s.throttleUntil = until
			}
			for {
				m := d.throttleMax.Load()
				if until <= m || d.throttleMax.CompareAndSwap(m, until) {
					break
				}
			}
			d.stats.Throttled.Add(1)
		}
		if acts&doQuarantine != 0 && (s.quarantinedAt == 0 || now-s.quarantinedAt >= requarantineAfter) {
			s.quarantinedAt = now
			quarantine = "anomaly: " + reason
			v.Quarantine = true
		}
		if acts&doAlert != 0 && (s.lastAlert[r] == 0 || now-s.lastAlert[r] >= int64(d.cfg.Alert.Cooldown)) {
			s.lastAlert[r] = now
			alerts = append(alerts, Alert{
				Time: time.Unix(0, now).UTC(), Rule: r.String(), Subject: "key", ID: o.KeyID,
				Tenant: o.Tenant, Model: o.Model, ClientIP: o.ClientIP, Actions: acts.names(),
				Observed: ev[r].observed, Threshold: ev[r].threshold, Reason: reason,
			})
			v.Alert = true
		}
	}
	if s.throttleUntil > now {
		v.Throttle = true
	}
	return v, quarantine, alerts
}

// observeTenant runs the volume rule on the tenant's total (alert only).
func (d *Detector) observeTenant(o *Observation, now int64) (Alert, bool) {
	s := d.tenants.get(o.Tenant, newSubject)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastSeen = now
	ok, obs, thr := s.vol.observe(&d.cfg.Volume, now/int64(time.Minute))
	if !ok {
		return Alert{}, false
	}
	d.stats.Fired[RuleVolume].Add(1)
	if d.acts[RuleVolume]&doAlert == 0 || (s.lastAlert[RuleVolume] != 0 && now-s.lastAlert[RuleVolume] < int64(d.cfg.Alert.Cooldown)) {
		return Alert{}, false
	}
	s.lastAlert[RuleVolume] = now
	reason := describe(RuleVolume, &d.cfg, obs, thr)
	return Alert{
		Time: time.Unix(0, now).UTC(), Rule: RuleVolume.String(), Subject: "tenant", ID: o.Tenant,
		Tenant: o.Tenant, Actions: []string{"alert"}, Observed: obs, Threshold: thr, Reason: "tenant " + reason,
	}, true
}

func (d *Detector) quarantine(keyID, reason string, now int64) {
	d.stats.Quarantined.Add(1)
	d.qmu.Lock()
	d.qpending[keyID] = now + pendingQuarantine
	d.qmu.Unlock()
	d.qn.Add(1)
	if d.quar == nil {
		return
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.quar.Quarantine(ctx, keyID, reason); err != nil {
			d.stats.QuarantineErrors.Add(1)
			d.log.Error("anomaly: quarantine failed", "key_id", keyID, "err", err)
			return
		}
		// The store (and, through the Quarantiner, the key cache) now
		// holds the quarantine: stop reporting it from memory, so that an
		// operator's `rampart keys unquarantine` takes effect at once
		// instead of after pendingQuarantine.
		d.qmu.Lock()
		if until, ok := d.qpending[keyID]; ok && until == now+pendingQuarantine {
			delete(d.qpending, keyID)
			d.qn.Add(-1)
		}
		d.qmu.Unlock()
		d.log.Warn("anomaly: key quarantined", "key_id", keyID, "reason", reason)
	}()
}

// describe explains why rule r fired; it never includes prompt text.
func describe(r Rule, c *Config, obs, thr float64) string {
	switch r {
	case RuleVolume:
		return fmt.Sprintf("%s: %.0f requests in one minute, threshold %.1f (baseline mean+%.1f·σ, ×%.1f, min %d)", r, obs, thr, c.Volume.K, c.Volume.Ratio, c.Volume.MinRPM)
	case RuleBlocks:
		return fmt.Sprintf("%s: %d guardrail blocks within %v", r, c.Blocks.Count, c.Blocks.Window.D())
	case RuleStuffing:
		return fmt.Sprintf("%s: %.0f authentication failures within %v (threshold %.0f)", r, obs, c.Stuffing.Window.D(), thr)
	case RuleDiversity:
		return fmt.Sprintf("%s: at least %d requests within %v with %.0f%% distinct prompts (threshold %.0f%%)", r, c.Extract.Diversity.MinRequests, c.Extract.Window.D(), obs*100, thr*100)
	case RuleEnumeration:
		return fmt.Sprintf("%s: %.0f%% of at least %d prompts within %v follow one template (threshold %.0f%%)", r, obs*100, c.Extract.Enumeration.MinRequests, c.Extract.Window.D(), thr*100)
	case RuleLogprobs:
		return fmt.Sprintf("%s: %.0f%% of at least %d requests within %v ask for logprobs (threshold %.0f%%)", r, obs*100, c.Extract.Logprobs.MinRequests, c.Extract.Window.D(), thr*100)
	case RuleMaxTokens:
		return fmt.Sprintf("%s: %.0f%% of at least %d requests within %v ask for max_tokens >= %d (threshold %.0f%%)", r, obs*100, c.Extract.MaxTokens.MinRequests, c.Extract.Window.D(), c.Extract.MaxTokens.Threshold, thr*100)
	}
	return r.String()
}

// Throttle is called by the gateway before forwarding a request of a key.
// It returns 0 when the request may proceed (and counts it), or how long
// the client must wait: the gateway then answers 429 rate_limit_exceeded
// with Retry-After. Keys that are not throttled cost one atomic load.
func (d *Detector) Throttle(keyID string) time.Duration {
	now := d.now().UnixNano()
	if d.throttleMax.Load() <= now {
		return 0
	}
	s := d.keys.lookup(keyID)
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.throttleUntil <= now {
		return 0
	}
	interval := int64(time.Minute) / d.cfg.Throttle.RPM
	if s.tat > now {
		return time.Duration(s.tat - now)
	}
	s.tat = now + interval
	return 0
}

// Killed reports whether requests for this key, tenant or model must be
// refused, and why: the kill switch is on for one of them, or this
// replica has just quarantined the key. It reads memory only.
func (d *Detector) Killed(keyID, tenant, model string) (bool, string) {
	if killed, why := d.kill.Killed(keyID, tenant, model); killed {
		return true, why
	}
	if d.qn.Load() == 0 || keyID == "" {
		return false, ""
	}
	now := d.now().UnixNano()
	d.qmu.Lock()
	defer d.qmu.Unlock()
	if until, ok := d.qpending[keyID]; ok {
		if now < until {
			return true, "key quarantined by anomaly detection"
		}
		delete(d.qpending, keyID)
		d.qn.Add(-1)
	}
	return false, ""
}

// Kill turns the kill switch for a key, a tenant or a model on or off. It
// takes effect at once on this replica and, through Redis or the store,
// on every other replica within 1s (their refresh interval, ≤ 500ms).
// kind is "key", "tenant" or "model".
func (d *Detector) Kill(ctx context.Context, kind, id string, on bool) error {
	return d.kill.Set(ctx, kind, id, on)
}

// Switches lists the kill switches that are on, as "kind:id".
func (d *Detector) Switches() []string { return d.kill.List() }

// Refresh re-reads the kill switch and the shared blocked addresses from
// Redis (or the kill switch from Settings). The background loop calls it
// every kill_switch.refresh; tests call it directly.
func (d *Detector) Refresh(ctx context.Context) error {
	err := d.kill.Refresh(ctx)
	if d.rdb != nil {
		err = errors.Join(err, d.refreshBlocks(ctx))
	}
	return err
}

// forget drops state that has been idle for longer than forget_idle_after
// (addresses: once their window and block have passed).
func (d *Detector) forget() {
	now := d.now().UnixNano()
	idle := int64(d.cfg.IdleAfter)
	drop := func(s *subject) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return now-s.lastSeen > idle && s.throttleUntil < now && !s.dirty
	}
	d.keys.sweep(drop)
	d.tenants.sweep(drop)
	ipIdle := int64(d.cfg.Stuffing.Window) * 2
	d.ips.sweep(func(s *ipState) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if now-s.lastSeen > ipIdle && s.blockedUntil < now && !s.dirty {
			d.ipCount.Add(-1)
			return true
		}
		return false
	})
	d.blockMu.Lock()
	for a, until := range d.blocked {
		if until <= now {
			delete(d.blocked, a)
		}
	}
	d.blockedN.Store(int64(len(d.blocked)))
	d.blockMu.Unlock()
}

// Stats are counters for /metrics.
type Stats struct {
	Fired            [numRules]atomic.Int64
	Throttled        atomic.Int64
	Quarantined      atomic.Int64
	QuarantineErrors atomic.Int64
	IPBlocks         atomic.Int64
	AlertsSent       atomic.Int64
	AlertsDropped    atomic.Int64
	AlertErrors      atomic.Int64
	RedisErrors      atomic.Int64
}

// Stats returns the Detector's counters (live; read them atomically).
func (d *Detector) Stats() *Stats { return &d.stats }

// shardMap is a map split over shards to keep lock contention low.
type shardMap[K comparable, V any] struct {
	seed   maphash.Seed
	shards [32]struct {
		mu sync.RWMutex
		m  map[K]*V
	}
}

func (s *shardMap[K, V]) init(seed maphash.Seed) {
	s.seed = seed
	for i := range s.shards {
		s.shards[i].m = map[K]*V{}
	}
}

func (s *shardMap[K, V]) shard(k K) int {
	return int(maphash.Comparable(s.seed, k) % uint64(len(s.shards)))
}

func (s *shardMap[K, V]) lookup(k K) *V {
	sh := &s.shards[s.shard(k)]
	sh.mu.RLock()
	v := sh.m[k]
	sh.mu.RUnlock()
	return v
}

func (s *shardMap[K, V]) get(k K, mk func(K) *V) *V {
	sh := &s.shards[s.shard(k)]
	sh.mu.RLock()
	v := sh.m[k]
	sh.mu.RUnlock()
	if v != nil {
		return v
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if v = sh.m[k]; v == nil {
		v = mk(k)
		sh.m[k] = v
	}
	return v
}

func (s *shardMap[K, V]) sweep(drop func(*V) bool) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, v := range sh.m {
			if drop(v) {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
