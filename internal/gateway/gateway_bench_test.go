package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rampart/internal/anomaly"
	"rampart/internal/audit"
	"rampart/internal/demo"
	"rampart/internal/gateway"
	"rampart/internal/policy"
	"rampart/internal/ratelimit"
	"rampart/internal/scan"
	_ "rampart/internal/scan/all"
	"rampart/internal/telemetry"
)

// benchBody is the load benchmark's 1 KB chat request (test/load).
var benchBody = func() []byte {
	const system = "Reply in British English and keep answers under two hundred words."
	user := "Hello! We are planning the spring menu and would like a few ideas. " +
		"Our customers like sourdough, rye and seeded loaves, and in the afternoon we sell cinnamon rolls, " +
		"almond croissants and a lemon tart. We want to add two or three seasonal items that use rhubarb, " +
		"strawberries or fresh herbs, without buying new equipment: one deck oven, two mixers and a proofing cabinet. " +
		"Please suggest the items, say roughly how long each takes from mixing to the shelf, and mention anything " +
		"that could go wrong for a team of four bakers working an early shift. We also wonder whether a savoury " +
		"option, such as a focaccia with spring onions, would sell well next to the sweet pastries. "
	head := `{"model":"demo","max_tokens":256,"messages":[{"role":"system","content":"` + system + `"},{"role":"user","content":"`
	tail := `"}]}`
	for len(head)+len(user)+len(tail) < 1024 {
		user += "Thanks! "
	}
	return []byte(head + user[:1024-len(head)-len(tail)] + tail)
}()

const benchKey = "rk_bench_secret"

type benchAuth struct{ p *gateway.Principal }

func (a benchAuth) Authenticate(secret string) (*gateway.Principal, error) {
	if secret != benchKey {
		return nil, errors.New("unknown")
	}
	// A fresh copy per request, as the real adapter returns.
	p := *a.p
	return &p, nil
}

func (benchAuth) ByCertificate(*http.Request) (*gateway.Principal, bool, error) {
	return nil, false, nil
}

// memUpstream answers from memory with the demo model's answer, so the
// benchmark measures the gateway and nothing on the network.
type memUpstream struct{ body []byte }

func newMemUpstream() *memUpstream {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(benchBody))
	(&demo.Server{Name: "bench", Models: []string{"demo"}}).ServeHTTP(rec, req)
	return &memUpstream{body: rec.Body.Bytes()}
}

func (u *memUpstream) Models() []string      { return []string{"demo"} }
func (u *memUpstream) Has(model string) bool { return model == "demo" }
func (u *memUpstream) Ready() bool           { return true }
func (u *memUpstream) Forward(_ context.Context, r *gateway.UpstreamRequest) (*gateway.UpstreamResponse, error) {
	resp := &http.Response{
		StatusCode:    http.StatusOK,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(u.body)),
		ContentLength: int64(len(u.body)),
	}
	return &gateway.UpstreamResponse{Response: resp, Upstream: "mem"}, nil
}

type benchSetup struct {
	noPolicy, noAudit, noLimits, noAnomaly bool
	scanTime                               *tally      // nil: not tallied
	auditLog                               **audit.Log // set to the audit log, if any
}

// tally sums the time each scanner reports through the pipeline hook.
type tally struct {
	mu sync.Mutex
	d  map[string]time.Duration
}

func (t *tally) add(name string, d time.Duration) {
	t.mu.Lock()
	t.d[name] += d
	t.mu.Unlock()
}

// report adds each scanner's wall time per request as a metric.
func (t *tally) report(b *testing.B) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var all time.Duration
	for name, d := range t.d {
		all += d
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "ns/op-"+name)
	}
	b.ReportMetric(float64(all.Nanoseconds())/float64(b.N), "ns/op-scanners")
}

func newBenchServer(b *testing.B, o benchSetup) http.Handler {
	b.Helper()
	logw := telemetry.NewAsyncWriter(io.Discard, 8192)
	b.Cleanup(func() { logw.Close() })
	log := telemetry.NewLogger(logw, slog.LevelInfo, false)
	metrics := telemetry.NewMetrics()

	// The built-in balanced policy with a scanner timeout that a loaded
	// benchmark machine cannot trip (a timeout blocks the request).
	pols, err := policy.Parse([]byte("version: 1\nextends: balanced\nscanner_timeout: 1m\n"))
	if o.noPolicy {
		// Every scanner off: the guard pipeline runs with nothing in it.
		var y strings.Builder
		y.WriteString("version: 1\nname: none\nscanners:\n")
		for _, n := range scan.Names() {
			fmt.Fprintf(&y, "  %s: off\n", n)
		}
		pols, err = policy.Parse([]byte(y.String()))
	}
	if err != nil {
		b.Fatal(err)
	}
	// The metrics hook, plus a per-scanner time tally for the report.
	obs := func(name string, d time.Duration, n int, err error) {
		metrics.ObserveScanner(name, d, n, err)
		if o.scanTime != nil {
			o.scanTime.add(name, d)
		}
	}
	pols.Default.Pipeline(scan.Input).Observe = obs
	pols.Default.Pipeline(scan.Output).Observe = obs

	d := gateway.Deps{
		Auth:      benchAuth{&gateway.Principal{KeyID: "key_bench", Name: "bench"}},
		Policies:  pols,
		Upstreams: newMemUpstream(),
		Metrics:   metrics,
		Logger:    log,
	}
	var cfg ratelimit.Config
	if !o.noLimits {
		if d.Limiter, err = ratelimit.New(cfg, nil, log); err != nil {
			b.Fatal(err)
		}
		d.Caps = cfg.CapsFor
	}
	content := "none"
	if !o.noAudit {
		al, err := audit.Open(audit.Config{}, b.TempDir(), "", log)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { al.Close() })
		d.Audit = al
		if o.auditLog != nil {
			*o.auditLog = al
		}
		content = al.ContentMode()
	}
	if !o.noAnomaly {
		det, err := anomaly.New(anomaly.Config{}, anomaly.Deps{Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { det.Close() })
		d.Anomaly = det
	}
	return gateway.New(gateway.Options{ContentAudit: content}, d).Handler()
}

func serveOne(b *testing.B, h http.Handler) {
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(benchBody))
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+benchKey)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

// BenchmarkGateway is one 1 KB chat request through the whole handler
// (middleware, auth, body decode, limits, both guardrail directions,
// audit, access log, metrics) against an in-memory upstream. The
// sub-benchmarks switch one component off at a time, so the difference to
// "full" is that component's cost; "bare" has everything optional off.
// Parallel, because the audit log commits concurrent events together.
func BenchmarkGateway(b *testing.B) {
	for _, c := range []struct {
		name string
		o    benchSetup
	}{
		{"full", benchSetup{}},
		{"no-audit", benchSetup{noAudit: true}},
		{"no-policy", benchSetup{noPolicy: true}},
		{"no-limits", benchSetup{noLimits: true}},
		{"no-anomaly", benchSetup{noAnomaly: true}},
		{"bare", benchSetup{noPolicy: true, noAudit: true, noLimits: true, noAnomaly: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var al *audit.Log
			c.o.auditLog = &al
			h := newBenchServer(b, c.o)
			serveOne(b, h)
			var st0 audit.Stats
			if al != nil {
				st0 = al.Stats()
			}
			b.ReportAllocs()
			b.SetParallelism(2)
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					serveOne(b, h)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			if al != nil {
				st := al.Stats()
				b.ReportMetric(float64(st.Recorded-st0.Recorded)/float64(max(st.Commits-st0.Commits, 1)), "events/commit")
			}
		})
	}
}

// BenchmarkGatewaySerial is the same request one at a time without the
// audit log (whose commit latency would dominate): the handler's own
// latency and allocations, with each scanner's share ("policy") and
// without any scanner ("no-policy").
func BenchmarkGatewaySerial(b *testing.B) {
	for _, noPolicy := range []bool{false, true} {
		name := "policy"
		if noPolicy {
			name = "no-policy"
		}
		b.Run(name, func(b *testing.B) {
			st := &tally{d: map[string]time.Duration{}}
			h := newBenchServer(b, benchSetup{noAudit: true, noPolicy: noPolicy, scanTime: st})
			serveOne(b, h)
			st.d = map[string]time.Duration{}
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				serveOne(b, h)
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
			if !noPolicy {
				st.report(b)
			}
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
