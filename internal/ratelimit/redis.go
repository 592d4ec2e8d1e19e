package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"rampart/internal/config"
)

// New returns the Limiter for cfg: in memory when rdb is nil, otherwise
// shared through Redis. It validates cfg first. A nil logger discards.
func New(cfg Config, rdb redis.UniversalClient, logger *slog.Logger) (Limiter, error) {
	ch := config.NewChecker()
	cfg.Validate(ch)
	if err := ch.Err(); err != nil {
		return nil, err
	}
	if rdb == nil {
		return NewMemory(cfg), nil
	}
	return newRedis(cfg, rdb, logger, nil), nil
}

// probeEvery is how often, during an outage, one request tries Redis
// again; the others fail fast.
const probeEvery = time.Second

// Redis is the shared Limiter: every decision is one EVALSHA of an
// atomic Lua script over all the request's dimensions.
type Redis struct {
	cfg      *Config
	rdb      redis.UniversalClient
	prefix   string
	timeout  time.Duration
	cttl     time.Duration
	local    *Memory // fallback when on_redis_error is local
	log      *slog.Logger
	hooks    Hooks
	now      func() time.Time
	luaClock bool // pass now to the scripts instead of Redis TIME (tests)
	win      winCache

	down      atomic.Bool
	downSince atomic.Int64
	nextProbe atomic.Int64
	seq       atomic.Uint64
	idPrefix  string
}

// newRedis builds the Redis limiter; a non-nil now replaces both the
// local clock and Redis TIME (tests).
func newRedis(cfg Config, rdb redis.UniversalClient, logger *slog.Logger, now func() time.Time) *Redis {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Redis{cfg: &cfg, rdb: rdb, log: logger, hooks: cfg.Hooks, now: now, luaClock: now != nil}
	if l.now == nil {
		l.now = time.Now
	}
	prefix := cfg.RedisKeyPrefix
	if prefix == "" {
		prefix = defaultPrefix
	}
	// One hash tag: every key of a decision is in the same Redis Cluster slot.
	l.prefix = "{" + prefix + "}:"
	l.timeout = cfg.RedisTimeout.D()
	if l.timeout <= 0 {
		l.timeout = defaultRedisTimeout
	}
	l.cttl = cfg.ConcurrencyTTL.D()
	if l.cttl <= 0 {
		l.cttl = defaultConcurrencyTTL
	}
	if cfg.OnRedisError == OnErrorLocal {
		lc := cfg
		if f := cfg.Hooks.OnDecision; f != nil {
			lc.Hooks.OnDecision = func(_, outcome string) { f("fallback", outcome) }
		}
		if now != nil {
			l.local = newMemory(lc, now)
		} else {
			l.local = newMemory(lc, nil)
		}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	l.idPrefix = hex.EncodeToString(b[:]) + "-"
	return l
}

// reserveScript checks every op, and applies them all only if all pass.
// ARGV: now_us (0: Redis TIME), member, concurrency ttl ms, then four
// values per key: kind, a, b, c.
//
//	b bucket:      a = capacity per minute, b = cost
//	w window:      a = limit, b = cost, c = window end (unix ms)
//	c concurrency: a = limit
//
// Returns {allowed, then per op: ok, retry_us, remaining, reset_us}.
var reserveScript = redis.NewScript(luaCommon + `
local res = {0}
local ok_all = 1
local newlevel = {}
for i = 1, #KEYS do
  local key, kind, a, b, c = KEYS[i], ARGV[4*i], tonumber(ARGV[4*i+1]), tonumber(ARGV[4*i+2]), tonumber(ARGV[4*i+3])
  local ok, retry, remaining, reset = 1, 0, 0, 0
  if kind == 'b' then
    local level = bucket(key, a)
    if level >= b then
      newlevel[i] = level - b
      remaining = math.floor(level - b)
      reset = (a - level + b) * PERIOD / a
    else
      ok = 0
      retry = (b - level) * PERIOD / a
      remaining = math.floor(level)
      reset = (a - level) * PERIOD / a
    end
  elseif kind == 'w' then
    local used = tonumber(redis.call('GET', key) or '0')
    remaining = a - used - b
    -- an empty budget refuses even a request estimated at 0
    if used + math.max(b, 1) > a then
      ok = 0
      retry = c * 1000 - now
    end
  elseif kind == 'c' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', nowms)
    local n = redis.call('ZCARD', key)
    remaining = a - n - 1
    if n >= a then
      ok = 0
      retry = 1000000
    end
  end
  if ok == 0 then ok_all = 0 end
  res[#res+1] = ok
  res[#res+1] = math.ceil(retry)
  res[#res+1] = remaining
  res[#res+1] = math.ceil(reset)
end
if ok_all == 1 then
  for i = 1, #KEYS do
    local key, kind, b, c = KEYS[i], ARGV[4*i], tonumber(ARGV[4*i+2]), tonumber(ARGV[4*i+3])
    if kind == 'b' then
      store(key, newlevel[i], tonumber(ARGV[4*i+1]))
    elseif kind == 'w' then
      redis.call('INCRBY', key, b)
      redis.call('PEXPIREAT', key, c)
    elseif kind == 'c' then
      redis.call('ZADD', key, nowms + cttl, member)
      redis.call('PEXPIRE', key, cttl)
    end
  end
end
res[1] = ok_all
return res
`)

// adjustScript applies deltas after admission (settle, streamed tokens).
// ARGV as reserveScript; ops:
//
//	b bucket:  a = capacity, b = delta (negative: refund)
//	w window:  a = limit (0: no check), b = delta, c = window end (unix ms); skipped once the window ended
//	r release: drop member from the concurrency set
//	t touch:   push member's expiry to now + ttl
//
// Returns per op: over (1 when the limit is now exceeded), retry_us.
var adjustScript = redis.NewScript(luaCommon + `
local res = {}
for i = 1, #KEYS do
  local key, kind, a, b, c = KEYS[i], ARGV[4*i], tonumber(ARGV[4*i+1]), tonumber(ARGV[4*i+2]), tonumber(ARGV[4*i+3])
  local over, retry = 0, 0
  if kind == 'b' then
    local level = bucket(key, a) - b
    if level > a then level = a end
    if level < 0 then
      over = 1
      retry = -level * PERIOD / a
    end
    store(key, level, a)
  elseif kind == 'w' then
    if c > nowms then
      local v = redis.call('INCRBY', key, b)
      if v < 0 then redis.call('SET', key, 0) v = 0 end
      redis.call('PEXPIREAT', key, c)
      if a > 0 and v > a then
        over = 1
        retry = c * 1000 - now
      end
    end
  elseif kind == 'r' then
    redis.call('ZREM', key, member)
  elseif kind == 't' then
    if redis.call('ZADD', key, 'XX', 'CH', nowms + cttl, member) == 1 then
      redis.call('PEXPIRE', key, cttl)
    end
  end
  res[#res+1] = over
  res[#res+1] = math.ceil(retry)
end
return res
`)

// luaCommon reads the clock and defines the token bucket: a hash with
// the level l and the time t (µs) it was measured, refilled continuously
// at capacity per minute; a full bucket is deleted.
const luaCommon = `
local PERIOD = 60000000
local now = tonumber(ARGV[1])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local nowms = math.floor(now / 1000)
local member = ARGV[2]
local cttl = tonumber(ARGV[3])
local function bucket(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  local level, ts = tonumber(v[1]), tonumber(v[2])
  if level == nil or ts == nil then return cap end
  if now > ts then level = level + (now - ts) * cap / PERIOD end
  if level > cap then level = cap end
  return level
end
local function store(key, level, cap)
  if level >= cap then
    redis.call('DEL', key)
    return
  end
  redis.call('HSET', key, 'l', string.format('%.6f', level), 't', string.format('%.0f', now))
  redis.call('PEXPIRE', key, math.ceil((cap - level) * PERIOD / cap / 1000) + 1000)
end
`

// op is one script operation on one key.
type op struct {
	dim     string // dimension, for denials and status
	kind    int    // subject kind
	limit   int64
	bucket  bool
	key     string
	a, b, c int64
	code    string // b, w, c, r, t
}

type scriptCall struct {
	keys []string
	args []any
	ops  []op
}

func (l *Redis) newCall(member string, n int) *scriptCall {
	sc := &scriptCall{keys: make([]string, 0, n), args: make([]any, 0, 3+4*n), ops: make([]op, 0, n)}
	var now int64
	if l.luaClock {
		now = l.now().UnixMicro()
	}
	sc.args = append(sc.args, now, member, l.cttl.Milliseconds())
	return sc
}

func (sc *scriptCall) add(o op) {
	sc.keys = append(sc.keys, o.key)
	sc.args = append(sc.args, o.code, o.a, o.b, o.c)
	sc.ops = append(sc.ops, o)
}

func (l *Redis) key(dim string, s *subject) string {
	return l.prefix + dim + ":" + kindTags[s.kind] + ":" + s.id
}

func (l *Redis) decision(outcome string) {
	if l.hooks.OnDecision != nil {
		l.hooks.OnDecision("redis", outcome)
	}
}

// Reserve implements Limiter.
func (l *Redis) Reserve(ctx context.Context, r Request) (Reservation, error) {
	p := l.cfg.plan(&r)
	if p.n == 0 {
		l.decision("allowed")
		return noReservation{}, nil
	}
	if d := p.tooBig(); d != nil {
		d.Status = NoStatus
		l.decision(d.Code)
		return nil, d
	}
	if l.down.Load() && !l.probeDue() {
		return l.fallback(ctx, r)
	}
	nowT := l.now()
	w := l.win.at(nowT)
	member := l.idPrefix + strconv.FormatUint(l.seq.Add(1), 36)
	sc := l.newCall(member, 4*p.n)
	res := &redisReservation{l: l, member: member, win: *w, charged: p.est, chargedCost: p.estCost,
		promptEst: p.promptEst, price: p.price, lastTouch: nowT}
	for i := range p.subs[:p.n] {
		s := &p.subs[i]
		if s.rpm > 0 {
			sc.add(op{dim: dimRPM, kind: s.kind, limit: s.rpm, bucket: true, key: l.key("rpm", s), code: "b", a: s.rpm, b: 1})
		}
		if s.tpm > 0 {
			sc.add(op{dim: dimTPM, kind: s.kind, limit: s.tpm, bucket: true, key: l.key("tpm", s), code: "b", a: s.tpm, b: p.est})
		}
		if s.conc > 0 {
			sc.add(op{dim: dimConc, kind: s.kind, limit: s.conc, key: l.key("conc", s), code: "c", a: s.conc})
			res.conc = true
		}
		l.windowOps(sc, s, w, p.est, p.estCost)
		if s.tokens() || s.conc > 0 {
			res.subs[res.n] = *s
			res.n++
		}
	}
	ctx2, cancel := context.WithTimeout(ctx, l.timeout)
	vals, err := reserveScript.Run(ctx2, l.rdb, sc.keys, sc.args...).Int64Slice()
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		l.storeDown("reserve", err)
		return l.fallback(ctx, r)
	}
	l.storeUp()
	if len(vals) != 1+4*len(sc.ops) {
		l.storeDown("reserve", errors.New("unexpected reply from the rate limit script"))
		return l.fallback(ctx, r)
	}
	acc := newStatusAcc()
	var denied *Denied
	for i, o := range sc.ops {
		ok, retry, rem, reset := vals[1+4*i], vals[2+4*i], vals[3+4*i], vals[4+4*i]
		switch o.dim {
		case dimRPM:
			acc.requests(o.limit, rem, time.Duration(reset)*time.Microsecond)
		case dimTPM:
			acc.tokens(o.limit, rem, time.Duration(reset)*time.Microsecond)
		}
		if ok == 0 {
			denied = worse(denied, newDenied(o.dim, o.kind, o.limit, time.Duration(retry)*time.Microsecond))
		}
	}
	if denied != nil || vals[0] != 1 {
		if denied == nil { // cannot happen: the script refused without saying why
			denied = newDenied(dimRPM, kindKey, 0, time.Second)
		}
		denied.Status = acc.s
		l.decision(denied.Code)
		return nil, denied
	}
	l.decision("allowed")
	res.status = acc.s
	if res.n == 0 {
		return statusReservation(acc), nil
	}
	return res, nil
}

// windowOps adds the calendar budget counters of s.
func (l *Redis) windowOps(sc *scriptCall, s *subject, w *windows, tokens, cost int64) {
	dayEnd, monEnd := w.dayEnd.UnixMilli(), w.monthEnd.UnixMilli()
	if s.dayTok > 0 {
		sc.add(op{dim: dimDayTok, kind: s.kind, limit: s.dayTok, key: l.key("dt:"+w.dayTag, s), code: "w", a: s.dayTok, b: tokens, c: dayEnd})
	}
	if s.monTok > 0 {
		sc.add(op{dim: dimMonTok, kind: s.kind, limit: s.monTok, key: l.key("mt:"+w.monthTag, s), code: "w", a: s.monTok, b: tokens, c: monEnd})
	}
	if s.dayCost > 0 {
		sc.add(op{dim: dimDayCost, kind: s.kind, limit: s.dayCost, key: l.key("dc:"+w.dayTag, s), code: "w", a: s.dayCost, b: cost, c: dayEnd})
	}
	if s.monCost > 0 {
		sc.add(op{dim: dimMonCost, kind: s.kind, limit: s.monCost, key: l.key("mc:"+w.monthTag, s), code: "w", a: s.monCost, b: cost, c: monEnd})
	}
}

// fallback answers while Redis is unreachable.
func (l *Redis) fallback(ctx context.Context, r Request) (Reservation, error) {
	if l.local != nil {
		return l.local.Reserve(ctx, r)
	}
	l.decision("unavailable")
	return nil, unavailable()
}

func (l *Redis) probeDue() bool {
	now := l.now().UnixNano()
	next := l.nextProbe.Load()
	return now >= next && l.nextProbe.CompareAndSwap(next, now+int64(probeEvery))
}

// storeDown records a failed Redis call: a metric every time, a log line
// once per outage.
func (l *Redis) storeDown(op string, err error) {
	if l.hooks.OnStoreError != nil {
		l.hooks.OnStoreError(op, err)
	}
	l.nextProbe.Store(l.now().UnixNano() + int64(probeEvery))
	if l.down.CompareAndSwap(false, true) {
		l.downSince.Store(l.now().UnixNano())
		mode := OnErrorClosed
		if l.local != nil {
			mode = OnErrorLocal
		}
		l.log.Warn("rate limit store unreachable", "err", err, "on_redis_error", mode)
		if l.hooks.OnStoreState != nil {
			l.hooks.OnStoreState(false)
		}
	}
}

func (l *Redis) storeUp() {
	if l.down.Load() && l.down.CompareAndSwap(true, false) {
		l.log.Info("rate limit store reachable again", "outage", time.Duration(l.now().UnixNano()-l.downSince.Load()).Round(time.Millisecond))
		if l.hooks.OnStoreState != nil {
			l.hooks.OnStoreState(true)
		}
	}
}

// Up reports whether Redis answered the last call (for readiness).
func (l *Redis) Up() bool { return !l.down.Load() }

type redisReservation struct {
	l           *Redis
	mu          sync.Mutex
	subs        [numKinds]subject // the subjects with something to settle
	n           int
	member      string
	win         windows
	conc        bool
	charged     int64
	chargedCost int64
	promptEst   int64
	used        int64
	price       Price
	status      Status
	lastTouch   time.Time
	done        bool
}

func (r *redisReservation) Status() Status { return r.status }

// Consume implements Reservation: one round trip when the stream has
// outgrown the estimate (or its concurrency slot needs refreshing).
func (r *redisReservation) Consume(ctx context.Context, tokens int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || tokens <= 0 {
		return nil
	}
	r.used += tokens
	need := r.promptEst + r.used - r.charged
	now := r.l.now()
	touch := r.conc && now.Sub(r.lastTouch) > r.l.cttl/2
	if need <= 0 && !touch {
		return nil
	}
	var cost int64
	if need > 0 {
		cost = r.price.cost(0, need)
		r.charged += need
		r.chargedCost += cost
	} else {
		need = 0
	}
	if touch {
		r.lastTouch = now
	}
	return r.adjust(ctx, "consume", need, cost, touch, false)
}

// Settle implements Reservation.
func (r *redisReservation) Settle(ctx context.Context, promptTokens, completionTokens int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	prompt, completion := max(promptTokens, 0), max(completionTokens, 0)
	actual, cost := prompt+completion, r.price.cost(prompt, completion)
	_ = r.adjust(context.WithoutCancel(ctx), "settle", actual-r.charged, cost-r.chargedCost, false, true)
	r.charged, r.chargedCost = actual, cost
}

func (r *redisReservation) adjust(ctx context.Context, what string, delta, costDelta int64, touch, release bool) error {
	l := r.l
	sc := l.newCall(r.member, 6*r.n)
	for i := range r.subs[:r.n] {
		s := &r.subs[i]
		if s.tpm > 0 && delta != 0 {
			sc.add(op{dim: dimTPM, kind: s.kind, limit: s.tpm, key: l.key("tpm", s), code: "b", a: s.tpm, b: delta})
		}
		if delta != 0 || costDelta != 0 {
			before := len(sc.ops)
			l.windowOps(sc, s, &r.win, delta, costDelta)
			for j := before; j < len(sc.ops); j++ {
				if release {
					sc.args[3+4*j+1] = int64(0) // no check when settling
				}
			}
		}
		if s.conc > 0 && (release || touch) {
			code := "t"
			if release {
				code = "r"
			}
			sc.add(op{dim: dimConc, kind: s.kind, limit: s.conc, key: l.key("conc", s), code: code})
		}
	}
	if len(sc.ops) == 0 {
		return nil
	}
	ctx2, cancel := context.WithTimeout(ctx, l.timeout)
	vals, err := adjustScript.Run(ctx2, l.rdb, sc.keys, sc.args...).Int64Slice()
	cancel()
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // the client went away; Redis is fine
	}
	if err != nil || len(vals) != 2*len(sc.ops) {
		if err == nil {
			err = errors.New("unexpected reply from the rate limit script")
		}
		l.storeDown(what, err)
		l.log.Debug("rate limit adjustment lost", "op", what, "tokens", delta, "err", err)
		if !release && l.local == nil {
			d := unavailable()
			d.Status = r.status
			return d
		}
		return nil
	}
	l.storeUp()
	var denied *Denied
	for i, o := range sc.ops {
		if vals[2*i] == 1 {
			denied = worse(denied, newDenied(o.dim, o.kind, o.limit, time.Duration(vals[2*i+1])*time.Microsecond))
		}
	}
	if denied != nil {
		denied.Status = r.status
		return denied
	}
	return nil
}
