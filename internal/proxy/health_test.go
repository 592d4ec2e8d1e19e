package proxy

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

func TestPassiveHealthCooldownAndRecovery(t *testing.T) {
	var failing atomic.Bool
	failing.Store(true)
	flaky := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			w.WriteHeader(500)
			return
		}
		w.Write([]byte(`{}`))
	})
	ok := newFake(t, nil)
	p := mustPool(t, Config{
		// flaky's weight makes it the first pick whenever it is healthy.
		Upstreams: []UpstreamConfig{{Name: "flaky", URL: flaky.v1(), Weight: 100}, {Name: "ok", URL: ok.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"flaky", "ok"}}},
		Health:    HealthConfig{FailureThreshold: 2, Cooldown: dur(10 * time.Second)},
	})
	clk := &clock{t: time.Unix(1_000_000, 0)}
	p.now = clk.now

	send := func() string {
		t.Helper()
		resp, _, err := forward(t, p, chat("m"))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Upstream
	}
	send()
	send() // second consecutive failure: flaky cools down
	if flaky.hits.Load() != 2 {
		t.Fatalf("flaky hits %d, want 2", flaky.hits.Load())
	}
	send()
	clk.add(9 * time.Second)
	send()
	if flaky.hits.Load() != 2 {
		t.Errorf("flaky was tried during its cooldown: hits %d", flaky.hits.Load())
	}
	if !p.Ready() {
		t.Error("Ready() = false with a healthy upstream")
	}

	// Half-open: after the cooldown one try; a failure sends it straight back.
	clk.add(2 * time.Second)
	send()
	if flaky.hits.Load() != 3 {
		t.Fatalf("flaky not retried after the cooldown: hits %d", flaky.hits.Load())
	}
	send()
	if flaky.hits.Load() != 3 {
		t.Errorf("one failure in half-open did not restart the cooldown: hits %d", flaky.hits.Load())
	}

	// Recovery: healthy again after the next cooldown, and stays so.
	failing.Store(false)
	clk.add(11 * time.Second)
	if got := send(); got != "flaky" {
		t.Errorf("recovered upstream not used: %s", got)
	}
	if got := send(); got != "flaky" {
		t.Errorf("recovered upstream not kept: %s", got)
	}
}

func TestAllCoolingStillTriesLeastRecentlyFailed(t *testing.T) {
	a, b := newFake(t, status(500)), newFake(t, status(500))
	p := mustPool(t, Config{
		Upstreams: []UpstreamConfig{{Name: "a", URL: a.v1()}, {Name: "b", URL: b.v1()}},
		Routes:    []RouteConfig{{Model: "m", Upstreams: []string{"a", "b"}}},
		Health:    HealthConfig{FailureThreshold: 1, Cooldown: dur(time.Minute)},
	})
	clk := &clock{t: time.Unix(1_000_000, 0)}
	p.now = clk.now

	// a fails, then b one second later: both are cooling down.
	p.upstreams[0].health.failure(clk.now(), 1, time.Minute)
	clk.add(time.Second)
	p.upstreams[1].health.failure(clk.now(), 1, time.Minute)
	if p.Ready() {
		t.Error("Ready() = true with every upstream cooling down")
	}
	_, err := p.Forward(context.Background(), chat("m"))
	pe := asError(t, err)
	if pe.Upstream != "a" || pe.Attempts != 1 || a.hits.Load() != 1 || b.hits.Load() != 0 {
		t.Errorf("want one try of a (least recently failed), got %+v, hits a=%d b=%d", pe, a.hits.Load(), b.hits.Load())
	}
}
