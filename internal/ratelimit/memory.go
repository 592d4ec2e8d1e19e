package ratelimit

import (
	"context"
	"hash/maphash"
	"runtime"
	"sync"
	"time"
)

// Memory is the in-process Limiter: GCRA for rpm and tpm (a bucket of
// capacity = the per-minute limit, refilled continuously), calendar UTC
// counters for budgets, and a counter for concurrency. State lives in
// sharded maps; idle entries are evicted.
type Memory struct {
	cfg    *Config
	clock  func() time.Time // nil: base + monotonic time elapsed
	base   time.Time
	baseNs int64
	hooks  Hooks
	seed   maphash.Seed
	shards []memShard
	mask   uint64
	win    winCache
}

type memKey struct {
	kind uint8
	id   string
}

type memShard struct {
	mu        sync.RWMutex
	m         map[memKey]*memState
	nextSweep int64
	_         [40]byte // keep shards on separate cache lines
}

// memState is every dimension of one subject.
type memState struct {
	mu       sync.Mutex
	dead     bool  // evicted: look it up again
	holds    int32 // unsettled reservations that will adjust this state
	rpmTAT   int64 // GCRA theoretical arrival times, unix ns
	tpmTAT   int64
	conc     int64
	day      int32
	month    int32
	dayTok   int64
	monTok   int64
	dayCost  int64
	monCost  int64
	lastSeen int64
}

const (
	// maxPerMinute is the finest rate the nanosecond GCRA resolves; a
	// larger rpm or tpm acts as this one (a billion a second).
	maxPerMinute = int64(time.Minute)
	period       = int64(time.Minute)
	sweepEvery   = int64(time.Minute)
)

// NewMemory returns an in-memory Limiter for cfg.
func NewMemory(cfg Config) *Memory { return newMemory(cfg, nil) }

// newMemory reads time from clock; nil reads the monotonic clock, which
// costs half as much as time.Now.
func newMemory(cfg Config, clock func() time.Time) *Memory {
	n := 1
	for n < 8*runtime.GOMAXPROCS(0) {
		n <<= 1
	}
	base := time.Now()
	m := &Memory{cfg: &cfg, clock: clock, base: base, baseNs: base.UnixNano(), hooks: cfg.Hooks, seed: maphash.MakeSeed(), shards: make([]memShard, n), mask: uint64(n - 1)}
	for i := range m.shards {
		m.shards[i].m = make(map[memKey]*memState)
	}
	return m
}

func (m *Memory) windows(now time.Time) *windows { return m.win.at(now) }

// now returns the time in unix nanoseconds.
func (m *Memory) now() int64 {
	if m.clock != nil {
		return m.clock().UnixNano()
	}
	return m.baseNs + int64(time.Since(m.base))
}

// state returns the live state of a subject, creating it.
func (m *Memory) state(kind int, id string, now int64) *memState {
	k := memKey{uint8(kind), id}
	sh := &m.shards[maphash.String(m.seed, id)&m.mask]
	sh.mu.RLock()
	st := sh.m[k]
	sh.mu.RUnlock()
	if st != nil {
		return st
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if st = sh.m[k]; st != nil {
		return st
	}
	if now >= sh.nextSweep {
		m.sweep(sh, now)
		sh.nextSweep = now + sweepEvery
	}
	st = &memState{}
	sh.m[k] = st
	return st
}

// sweep evicts states that hold nothing a fresh state would not: full
// buckets, no slot in use, no budget spent in the current windows, no
// pending reservation. Called with sh.mu held.
func (m *Memory) sweep(sh *memShard, now int64) {
	w := m.windows(time.Unix(0, now))
	for k, st := range sh.m {
		if !st.mu.TryLock() {
			continue // in use: not idle
		}
		if st.holds == 0 && st.conc == 0 && st.rpmTAT <= now && st.tpmTAT <= now &&
			(st.day != w.day || st.dayTok == 0 && st.dayCost == 0) &&
			(st.month != w.month || st.monTok == 0 && st.monCost == 0) {
			st.dead = true
			delete(sh.m, k)
		}
		st.mu.Unlock()
	}
}

// Len returns the number of live entries (for tests and metrics).
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		m.shards[i].mu.RLock()
		n += len(m.shards[i].m)
		m.shards[i].mu.RUnlock()
	}
	return n
}

// lockAll looks up and locks the states of p's subjects, in kind order.
// No state lock is held while a shard lock is taken.
func (m *Memory) lockAll(p *plan, now int64, sts *[numKinds]*memState) {
retry:
	for i := range p.subs[:p.n] {
		sts[i] = m.state(p.subs[i].kind, p.subs[i].id, now)
	}
	for i := range p.subs[:p.n] {
		sts[i].mu.Lock()
		if sts[i].dead {
			for j := range i + 1 {
				sts[j].mu.Unlock()
			}
			goto retry
		}
	}
}

func unlockAll(sts []*memState) {
	for _, st := range sts {
		st.mu.Unlock()
	}
}

func (m *Memory) decision(outcome string) {
	if m.hooks.OnDecision != nil {
		m.hooks.OnDecision("memory", outcome)
	}
}

// Reserve implements Limiter.
func (m *Memory) Reserve(_ context.Context, r Request) (Reservation, error) {
	p := m.cfg.plan(&r)
	res, d := m.reserve(&p)
	if d != nil {
		m.decision(d.Code)
		return nil, d
	}
	m.decision("allowed")
	return res, nil
}

func (m *Memory) reserve(p *plan) (Reservation, *Denied) {
	if p.n == 0 {
		return noReservation{}, nil
	}
	if d := p.tooBig(); d != nil {
		d.Status = NoStatus
		return nil, d
	}
	now := m.now()
	var nowT time.Time
	var w *windows
	settles := false
	for i := range p.subs[:p.n] {
		s := &p.subs[i]
		if s.tokens() || s.conc > 0 {
			settles = true
		}
		if w == nil && (s.dayTok > 0 || s.monTok > 0 || s.dayCost > 0 || s.monCost > 0) {
			nowT = time.Unix(0, now)
			w = m.windows(nowT)
		}
	}
	var sts [numKinds]*memState
	m.lockAll(p, now, &sts)
	held := sts[:p.n]
	var denied *Denied
	acc := newStatusAcc()
	var newRPM, newTPM [numKinds]int64
	for i := range held {
		s, st := &p.subs[i], held[i]
		st.lastSeen = now
		if s.rpm > 0 {
			t, ok, rem, reset, retry := gcra(st.rpmTAT, now, s.rpm, 1)
			newRPM[i] = t
			acc.requests(s.rpm, rem, reset)
			if !ok {
				denied = worse(denied, newDenied(dimRPM, s.kind, s.rpm, retry))
			}
		}
		if s.tpm > 0 {
			t, ok, rem, reset, retry := gcra(st.tpmTAT, now, s.tpm, p.est)
			newTPM[i] = t
			acc.tokens(s.tpm, rem, reset)
			if !ok {
				denied = worse(denied, newDenied(dimTPM, s.kind, s.tpm, retry))
			}
		}
		if s.conc > 0 && st.conc >= s.conc {
			denied = worse(denied, newDenied(dimConc, s.kind, s.conc, concurrencyRetry))
		}
		if w != nil {
			st.roll(w)
			untilDay, untilMonth := w.dayEnd.Sub(nowT), w.monthEnd.Sub(nowT)
			if s.dayTok > 0 && st.dayTok+max(p.est, 1) > s.dayTok {
				denied = worse(denied, newDenied(dimDayTok, s.kind, s.dayTok, untilDay))
			}
			if s.monTok > 0 && st.monTok+max(p.est, 1) > s.monTok {
				denied = worse(denied, newDenied(dimMonTok, s.kind, s.monTok, untilMonth))
			}
			if s.dayCost > 0 && st.dayCost+max(p.estCost, 1) > s.dayCost {
				denied = worse(denied, newDenied(dimDayCost, s.kind, s.dayCost, untilDay))
			}
			if s.monCost > 0 && st.monCost+max(p.estCost, 1) > s.monCost {
				denied = worse(denied, newDenied(dimMonCost, s.kind, s.monCost, untilMonth))
			}
		}
	}
	if denied != nil {
		unlockAll(held)
		denied.Status = acc.s
		return nil, denied
	}
	for i := range held {
		s, st := &p.subs[i], held[i]
		if s.rpm > 0 {
			st.rpmTAT = newRPM[i]
		}
		if s.tpm > 0 {
			st.tpmTAT = newTPM[i]
		}
		if s.conc > 0 {
			st.conc++
		}
		if w != nil {
			st.dayTok += p.est
			st.monTok += p.est
			st.dayCost += p.estCost
			st.monCost += p.estCost
		}
		if settles {
			st.holds++
		}
	}
	unlockAll(held)
	if !settles {
		return statusReservation(acc), nil
	}
	res := &memReservation{m: m, sts: sts, subs: p.subs, n: p.n, charged: p.est, chargedCost: p.estCost,
		promptEst: p.promptEst, price: p.price, status: acc.s}
	if w != nil {
		res.win, res.hasWin = *w, true
	}
	return res, nil
}

// roll resets the budget counters when the calendar window changed.
func (st *memState) roll(w *windows) {
	if st.day != w.day {
		st.day, st.dayTok, st.dayCost = w.day, 0, 0
	}
	if st.month != w.month {
		st.month, st.monTok, st.monCost = w.month, 0, 0
	}
}

// gcra admits cost units against a bucket of limit units per minute.
// It returns the new theoretical arrival time, whether cost fits, the
// units remaining, the time until the bucket is full again and, when
// cost does not fit, the wait until it does.
func gcra(tat, now, limit, cost int64) (newTAT int64, ok bool, remaining int64, reset, retry time.Duration) {
	limit = min(limit, maxPerMinute)
	T := period / limit
	tau := T * limit
	if tat < now {
		tat = now
	}
	newTAT = tat + cost*T
	if newTAT-now > tau {
		// Refused: report the state as it is, and the wait until cost fits.
		return tat, false, (tau - (tat - now)) / T, time.Duration(tat - now), time.Duration(newTAT - now - tau)
	}
	return newTAT, true, (tau - (newTAT - now)) / T, time.Duration(newTAT - now), 0
}

// gcraAdjust adds delta units (negative: a refund) to a bucket and
// reports whether it is now overdrawn.
func gcraAdjust(tat, now, limit, delta int64) (newTAT int64, over bool) {
	limit = min(limit, maxPerMinute)
	T := period / limit
	delta = min(max(delta, -limit*1_000_000), limit*1_000_000)
	if tat < now {
		tat = now
	}
	tat += delta * T
	if tat < now {
		tat = now
	}
	return tat, tat-now > T*limit
}

// noReservation is the reservation of a request no limit applies to.
type noReservation struct{}

func (noReservation) Status() Status                       { return NoStatus }
func (noReservation) Consume(context.Context, int64) error { return nil }
func (noReservation) Settle(context.Context, int64, int64) {}

// statusReservation is the reservation of a request limited only in
// requests per minute: there is nothing to settle.
type statusReservation struct{ s Status }

func (r statusReservation) Status() Status                     { return r.s }
func (statusReservation) Consume(context.Context, int64) error { return nil }
func (statusReservation) Settle(context.Context, int64, int64) {}

type memReservation struct {
	m           *Memory
	mu          sync.Mutex
	sts         [numKinds]*memState
	subs        [numKinds]subject
	n           int
	win         windows
	hasWin      bool
	charged     int64 // tokens charged so far (estimate, then streamed overflow)
	chargedCost int64
	promptEst   int64
	used        int64 // completion tokens streamed so far
	price       Price
	status      Status
	done        bool
}

func (r *memReservation) Status() Status { return r.status }

// Consume implements Reservation: streamed completion tokens beyond the
// estimate are charged as they come, and a budget or tpm bucket that
// runs out ends the stream.
func (r *memReservation) Consume(_ context.Context, tokens int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || tokens <= 0 {
		return nil
	}
	r.used += tokens
	need := r.promptEst + r.used - r.charged
	if need <= 0 {
		return nil
	}
	cost := r.price.cost(0, need)
	r.charged += need
	r.chargedCost += cost
	if d := r.adjust(need, cost, false); d != nil {
		return d
	}
	return nil
}

// Settle implements Reservation.
func (r *memReservation) Settle(_ context.Context, promptTokens, completionTokens int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	actual := max(promptTokens, 0) + max(completionTokens, 0)
	cost := r.price.cost(max(promptTokens, 0), max(completionTokens, 0))
	r.adjust(actual-r.charged, cost-r.chargedCost, true)
	r.charged, r.chargedCost = actual, cost
}

// adjust applies token and cost deltas to every subject; release frees
// the concurrency slot and the hold. It returns the denial of the first
// limit now overdrawn.
func (r *memReservation) adjust(delta, costDelta int64, release bool) *Denied {
	now := r.m.now()
	nowT := time.Unix(0, now)
	untilDay, untilMonth := r.win.dayEnd.Sub(nowT), r.win.monthEnd.Sub(nowT)
	var denied *Denied
	for i := range r.subs[:r.n] {
		s, st := &r.subs[i], r.sts[i]
		st.mu.Lock()
		if s.tpm > 0 && delta != 0 {
			var over bool
			st.tpmTAT, over = gcraAdjust(st.tpmTAT, now, s.tpm, delta)
			if over && !release {
				denied = worse(denied, newDenied(dimTPM, s.kind, s.tpm, time.Duration(st.tpmTAT-now-period/s.tpm*s.tpm)))
			}
		}
		if r.hasWin && st.day == r.win.day {
			st.dayTok = max(st.dayTok+delta, 0)
			st.dayCost = max(st.dayCost+costDelta, 0)
			if !release && s.dayTok > 0 && st.dayTok > s.dayTok {
				denied = worse(denied, newDenied(dimDayTok, s.kind, s.dayTok, untilDay))
			}
			if !release && s.dayCost > 0 && st.dayCost > s.dayCost {
				denied = worse(denied, newDenied(dimDayCost, s.kind, s.dayCost, untilDay))
			}
		}
		if r.hasWin && st.month == r.win.month {
			st.monTok = max(st.monTok+delta, 0)
			st.monCost = max(st.monCost+costDelta, 0)
			if !release && s.monTok > 0 && st.monTok > s.monTok {
				denied = worse(denied, newDenied(dimMonTok, s.kind, s.monTok, untilMonth))
			}
			if !release && s.monCost > 0 && st.monCost > s.monCost {
				denied = worse(denied, newDenied(dimMonCost, s.kind, s.monCost, untilMonth))
			}
		}
		if release {
			if s.conc > 0 && st.conc > 0 {
				st.conc--
			}
			st.holds--
		}
		st.lastSeen = now
		st.mu.Unlock()
	}
	if denied != nil {
		denied.Status = r.status
	}
	return denied
}
