package ratelimit

import (
	"context"
	"hash/maphash"
	"time"

	"github.com/redis/go-redis/v9"
)

// Peeker reports the x-ratelimit-* status of a request's subjects without
// charging anything: the gateway uses it for the headers of responses
// refused before admission (bad key, unknown model, a cap, …), so every
// response carries them. Both backends implement it.
type Peeker interface {
	Peek(ctx context.Context, r Request) Status
}

// StatusOnly is a Reservation that holds nothing and reports s: the
// gateway keeps a refused request's status with it.
func StatusOnly(s Status) Reservation { return statusReservation{s} }

// existing returns the live state of a subject, or nil.
func (m *Memory) existing(kind int, id string) *memState {
	sh := &m.shards[maphash.String(m.seed, id)&m.mask]
	sh.mu.RLock()
	st := sh.m[memKey{uint8(kind), id}]
	sh.mu.RUnlock()
	return st
}

// Peek implements Peeker.
func (m *Memory) Peek(_ context.Context, r Request) Status {
	p := m.cfg.plan(&r)
	acc := newStatusAcc()
	if p.n == 0 {
		return acc.s
	}
	now := m.now()
	for i := range p.subs[:p.n] {
		s := &p.subs[i]
		if s.rpm == 0 && s.tpm == 0 {
			continue
		}
		var rpmTAT, tpmTAT int64 // zero: a full bucket
		if st := m.existing(s.kind, s.id); st != nil {
			st.mu.Lock()
			rpmTAT, tpmTAT = st.rpmTAT, st.tpmTAT
			st.mu.Unlock()
		}
		if s.rpm > 0 {
			_, _, rem, reset, _ := gcra(rpmTAT, now, s.rpm, 0)
			acc.requests(s.rpm, rem, reset)
		}
		if s.tpm > 0 {
			_, _, rem, reset, _ := gcra(tpmTAT, now, s.tpm, 0)
			acc.tokens(s.tpm, rem, reset)
		}
	}
	return acc.s
}

// peekScript reads buckets without changing them. ARGV as reserveScript,
// ops "b" with a = capacity. Returns per op: remaining, reset_us.
var peekScript = redis.NewScript(luaCommon + `
local res = {}
for i = 1, #KEYS do
  local a = tonumber(ARGV[4*i+1])
  local level = bucket(KEYS[i], a)
  res[#res+1] = math.floor(level)
  res[#res+1] = math.ceil((a - level) * PERIOD / a)
end
return res
`)

// Peek implements Peeker: one read-only round trip, none while Redis is
// known to be down (the local fallback answers then, if configured).
func (l *Redis) Peek(ctx context.Context, r Request) Status {
	p := l.cfg.plan(&r)
	if p.n == 0 {
		return NoStatus
	}
	if l.down.Load() {
		if l.local != nil {
			return l.local.Peek(ctx, r)
		}
		return NoStatus
	}
	sc := l.newCall("", 2*p.n)
	for i := range p.subs[:p.n] {
		s := &p.subs[i]
		if s.rpm > 0 {
			sc.add(op{dim: dimRPM, limit: s.rpm, key: l.key("rpm", s), code: "b", a: s.rpm})
		}
		if s.tpm > 0 {
			sc.add(op{dim: dimTPM, limit: s.tpm, key: l.key("tpm", s), code: "b", a: s.tpm})
		}
	}
	if len(sc.ops) == 0 {
		return NoStatus
	}
	ctx2, cancel := context.WithTimeout(ctx, l.timeout)
	vals, err := peekScript.Run(ctx2, l.rdb, sc.keys, sc.args...).Int64Slice()
	cancel()
	if err != nil || len(vals) != 2*len(sc.ops) {
		return NoStatus
	}
	acc := newStatusAcc()
	for i, o := range sc.ops {
		rem, reset := vals[2*i], time.Duration(vals[2*i+1])*time.Microsecond
		if o.dim == dimRPM {
			acc.requests(o.limit, rem, reset)
		} else {
			acc.tokens(o.limit, rem, reset)
		}
	}
	return acc.s
}
