package anomaly

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"rampart/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type recAlerter struct {
	mu  sync.Mutex
	got []Alert
	ch  chan Alert
}

func (r *recAlerter) Alert(_ context.Context, a Alert) error {
	r.mu.Lock()
	r.got = append(r.got, a)
	r.mu.Unlock()
	select {
	case r.ch <- a:
	default:
	}
	return nil
}

// wait returns the next alert (the test fails if none comes at all).
func (r *recAlerter) wait(t *testing.T) Alert {
	t.Helper()
	select {
	case a := <-r.ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no alert delivered")
		return Alert{}
	}
}

type recQuarantiner struct {
	ch  chan [2]string
	err error // returned after recording the call (set before traffic)
}

func (q *recQuarantiner) Quarantine(_ context.Context, keyID, reason string) error {
	q.ch <- [2]string{keyID, reason}
	return q.err
}

type memSettings struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memSettings) GetSetting(_ context.Context, name string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	if !ok {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (s *memSettings) PutSetting(_ context.Context, name string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[name] = append([]byte(nil), v...)
	return nil
}

type harness struct {
	d     *Detector
	clock *fakeClock
	al    *recAlerter
	q     *recQuarantiner
}

func newHarness(t testing.TB, cfg Config, deps Deps) *harness {
	t.Helper()
	h := &harness{
		clock: &fakeClock{t: t0},
		al:    &recAlerter{ch: make(chan Alert, 64)},
		q:     &recQuarantiner{ch: make(chan [2]string, 16)},
	}
	deps.Now = h.clock.Now
	if deps.Alerter == nil {
		deps.Alerter = h.al
	}
	deps.Quarantiner = h.q
	d, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	h.d = d
	return h
}

// at observes o at time t (also moving the clock there).
func (h *harness) at(t time.Time, o Observation) Verdict {
	h.clock.Set(t)
	o.Time = t
	return h.d.Observe(o)
}

// spread returns n times evenly spread over [start, start+span).
func spread(start time.Time, span time.Duration, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.Add(time.Duration(i) * span / time.Duration(n))
	}
	return out
}

var vocabulary = strings.Fields(`the a of to and in is it you that he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year live me back give most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow came want show also around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us move try kind hand picture again change off play spell air away animal house point page letter mother answer found study still learn should america world`)

// randomPrompt returns a natural-looking prompt of random length.
func randomPrompt(r *rand.Rand, minWords, maxWords int) string {
	n := minWords + r.IntN(maxWords-minWords+1)
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	return strings.Join(w, " ") + "?"
}

func keyObs(key string) Observation {
	return Observation{KeyID: key, Tenant: "acme", ClientIP: "198.51.100.4", Model: "demo", Status: 200, Decision: DecisionAllow}
}

func mustFire(t *testing.T, v Verdict, r Rule) {
	t.Helper()
	if !v.Fired.Has(r) {
		t.Fatalf("want %s to fire, verdict %+v", r, v)
	}
}

func fmtN(format string, i int) string { return fmt.Sprintf(format, i) }
