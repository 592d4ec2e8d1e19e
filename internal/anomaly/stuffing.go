package anomaly

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientAddr parses the gateway's client address and groups IPv6 clients
// by prefix (one host usually owns a whole /64).
func (d *Detector) clientAddr(ip string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		ap, err := netip.ParseAddrPort(ip)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		if p, err := a.Prefix(d.cfg.Stuffing.IPv6Prefix); err == nil {
			a = p.Addr()
		}
	}
	return a, true
}

func newIPState(a netip.Addr) *ipState { return &ipState{addr: a} }

// observeFailure runs the credential-stuffing rule for an authentication
// failure.
func (d *Detector) observeFailure(o *Observation, now int64) Verdict {
	c := &d.cfg.Stuffing
	if c.Disabled {
		return Verdict{}
	}
	a, ok := d.clientAddr(o.ClientIP)
	if !ok {
		return Verdict{}
	}
	s := d.ips.lookup(a)
	if s == nil {
		if d.ipCount.Load() >= int64(c.MaxTracked) {
			return Verdict{} // full: forget() makes room as windows pass
		}
		s = d.ips.get(a, func(a netip.Addr) *ipState {
			d.ipCount.Add(1)
			st := newIPState(a)
			st.ring = newTimeRing(c.Failures, true)
			return st
		})
	}
	window := int64(c.Window)
	s.mu.Lock()
	s.lastSeen = now
	fire := s.ring.add(now, window, o.CredentialHash) && s.ring.distinctTags() >= c.MinDistinct
	observed := float64(c.Failures)
	var markDirty bool
	if d.rdb != nil {
		if b := now / window; b != s.bucket {
			s.bucket, s.pending, s.shared = b, 0, 0
		}
		s.pending++
		if n := s.shared + s.pending; n >= int64(c.Failures) {
			fire = true
			observed = max(observed, float64(n))
		}
		if !s.dirty {
			s.dirty, markDirty = true, true
		}
	}
	if fire && s.blockedUntil > now {
		fire = false // already blocked: nothing new to do
	}
	var v Verdict
	var alert *Alert
	acts := d.acts[RuleStuffing]
	if fire {
		d.stats.Fired[RuleStuffing].Add(1)
		s.ring.reset()
		v.Fired.add(RuleStuffing)
		v.Reason = describe(RuleStuffing, &d.cfg, observed, float64(c.Failures))
		if acts&doBlock != 0 {
			s.blockedUntil = now + int64(c.BlockFor)
			v.BlockIP = true
		}
		if acts&doAlert != 0 && (s.lastAlert == 0 || now-s.lastAlert >= int64(d.cfg.Alert.Cooldown)) {
			s.lastAlert = now
			alert = &Alert{
				Time: time.Unix(0, now).UTC(), Rule: RuleStuffing.String(), Subject: "ip", ID: a.String(),
				ClientIP: o.ClientIP, Actions: acts.names(), Observed: observed,
				Threshold: float64(c.Failures), Reason: v.Reason,
			}
			v.Alert = true
		}
	}
	until := s.blockedUntil
	s.mu.Unlock()
	if markDirty {
		d.dirtyMu.Lock()
		d.dirtyIPs = append(d.dirtyIPs, s)
		d.dirtyMu.Unlock()
	}
	if v.BlockIP {
		d.stats.IPBlocks.Add(1)
		d.blockMu.Lock()
		d.blocked[a] = max(d.blocked[a], until)
		d.blockedN.Store(int64(len(d.blocked)))
		if d.rdb != nil {
			d.newBlock = append(d.newBlock, ipBlock{a, until})
		}
		d.blockMu.Unlock()
	}
	if alert != nil {
		d.alerts.push(*alert)
	}
	return v
}

// IPBlocked reports whether the client address (or, for IPv6, its
// prefix) is blocked for credential stuffing. The gateway calls it before
// authenticating and answers 429 rate_limit_exceeded (Retry-After: the
// block's remainder, see BlockedFor) or simply refuses the connection.
func (d *Detector) IPBlocked(ip string) bool {
	return d.BlockedFor(ip) > 0
}

// BlockedFor returns how much longer the address stays blocked (0: not
// blocked).
func (d *Detector) BlockedFor(ip string) time.Duration {
	if d.blockedN.Load() == 0 {
		return 0
	}
	a, ok := d.clientAddr(ip)
	if !ok {
		return 0
	}
	d.blockMu.RLock()
	until := d.blocked[a]
	d.blockMu.RUnlock()
	if until == 0 {
		return 0
	}
	if left := until - d.now().UnixNano(); left > 0 {
		return time.Duration(left)
	}
	return 0
}

// Flush sends the counters gathered since the last flush to Redis in one
// pipeline and reads back the totals across replicas, and publishes new
// address blocks. The background loop calls it every redis.flush; tests
// call it directly. Without Redis it does nothing.
func (d *Detector) Flush(ctx context.Context) error {
	if d.rdb == nil {
		return nil
	}
	d.dirtyMu.Lock()
	subs, ips := d.dirty, d.dirtyIPs
	d.dirty, d.dirtyIPs = nil, nil
	d.dirtyMu.Unlock()
	d.blockMu.Lock()
	blocks := d.newBlock
	d.newBlock = nil
	d.blockMu.Unlock()
	if len(subs)+len(ips)+len(blocks) == 0 {
		return nil
	}

	type subFlush struct {
		s      *subject
		minute int64
		cmd    *redis.IntCmd
	}
	type ipFlush struct {
		s      *ipState
		bucket int64
		cmd    *redis.IntCmd
	}
	sf := make([]subFlush, 0, len(subs))
	ipf := make([]ipFlush, 0, len(ips))
	p := d.cfg.Redis.Prefix
	_, err := d.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, s := range subs {
			s.mu.Lock()
			delta, minute := s.vol.pending, s.vol.minute
			s.vol.pending, s.dirty = 0, false
			s.mu.Unlock()
			if delta == 0 {
				continue
			}
			k := p + "v:" + s.id + ":" + strconv.FormatInt(minute, 10)
			sf = append(sf, subFlush{s, minute, pipe.IncrBy(ctx, k, delta)})
			pipe.Expire(ctx, k, 3*time.Minute)
		}
		window := d.cfg.Stuffing.Window.D()
		for _, s := range ips {
			s.mu.Lock()
			delta, bucket := s.pending, s.bucket
			s.pending, s.dirty = 0, false
			s.mu.Unlock()
			if delta == 0 {
				continue
			}
			k := p + "f:" + s.addr.String() + ":" + strconv.FormatInt(bucket, 10)
			ipf = append(ipf, ipFlush{s, bucket, pipe.IncrBy(ctx, k, delta)})
			pipe.Expire(ctx, k, 2*window+time.Second)
		}
		if len(blocks) > 0 {
			zs := make([]redis.Z, len(blocks))
			for i, b := range blocks {
				zs[i] = redis.Z{Score: float64(b.until / int64(time.Millisecond)), Member: b.addr.String()}
			}
			pipe.ZAdd(ctx, p+"blocked", zs...)
			pipe.ZRemRangeByScore(ctx, p+"blocked", "-inf", "("+strconv.FormatInt(d.now().UnixMilli(), 10))
			pipe.Expire(ctx, p+"blocked", 2*d.cfg.Stuffing.BlockFor.D())
		}
		return nil
	})
	if err != nil {
		// Counts stay local; blocks are retried at the next flush.
		d.blockMu.Lock()
		d.newBlock = append(blocks, d.newBlock...)
		d.blockMu.Unlock()
		return err
	}
	for _, f := range sf {
		f.s.mu.Lock()
		if f.s.vol.minute == f.minute && f.cmd.Val() > f.s.vol.shared {
			f.s.vol.shared = f.cmd.Val()
		}
		f.s.mu.Unlock()
	}
	for _, f := range ipf {
		f.s.mu.Lock()
		if f.s.bucket == f.bucket && f.cmd.Val() > f.s.shared {
			f.s.shared = f.cmd.Val()
		}
		f.s.mu.Unlock()
	}
	return nil
}

// refreshBlocks reads the addresses other replicas blocked.
func (d *Detector) refreshBlocks(ctx context.Context) error {
	nowMS := d.now().UnixMilli()
	key := d.cfg.Redis.Prefix + "blocked"
	zs, err := d.rdb.ZRangeByScoreWithScores(ctx, key, &redis.ZRangeBy{
		Min: strconv.FormatInt(nowMS, 10), Max: "+inf",
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if len(zs) == 0 {
		return nil
	}
	d.blockMu.Lock()
	defer d.blockMu.Unlock()
	for _, z := range zs {
		m, _ := z.Member.(string)
		a, err := netip.ParseAddr(m)
		if err != nil {
			continue
		}
		until := int64(z.Score) * int64(time.Millisecond)
		if until > d.blocked[a] {
			d.blocked[a] = until
		}
	}
	d.blockedN.Store(int64(len(d.blocked)))
	return nil
}
