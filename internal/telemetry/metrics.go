// Package telemetry holds the gateway's Prometheus metrics and logging
// setup. Nothing here opens a network connection of its own.
package telemetry

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the gateway's Prometheus collectors, on their own registry.
type Metrics struct {
	Registry *prometheus.Registry

	Requests        *prometheus.CounterVec   // route, model, status, decision
	GatewayLatency  *prometheus.HistogramVec // route: the gateway's own time
	UpstreamLatency *prometheus.HistogramVec // upstream: time to response head
	InFlight        prometheus.Gauge
	UpstreamErrors  *prometheus.CounterVec   // upstream, kind
	StreamDuration  *prometheus.HistogramVec // route
	ScannerLatency  *prometheus.HistogramVec // scanner
	ScannerErrors   *prometheus.CounterVec   // scanner
	Findings        *prometheus.CounterVec   // direction, type
	AuthFailures    *prometheus.CounterVec   // reason
	AuditFailures   prometheus.Counter
	RateLimited     *prometheus.CounterVec // code
	LimitDecisions  *prometheus.CounterVec // backend, outcome
	LimitStoreErrs  *prometheus.CounterVec // op
	LimitStoreUp    prometheus.Gauge
	Anomalies       *prometheus.CounterVec // rule

	// Children of the vectors the request path touches on every request,
	// so it neither hashes labels nor builds a label slice per call.
	requests children[requestLabels, prometheus.Counter]
	gateway  children[string, prometheus.Observer]
	upstream children[string, prometheus.Observer]
	scanner  children[string, prometheus.Observer]
	limits   children[[2]string, prometheus.Counter]
}

type requestLabels struct {
	route, model, decision string
	status                 int
}

// children memoizes a vector's children by label values. Label sets are
// bounded (routes, served models, statuses, decisions, scanner and
// upstream names), so the map stays small.
type children[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

func (c *children[K, V]) get(k K, newChild func() V) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	if c.m == nil {
		c.m = map[K]V{}
	}
	v = newChild()
	c.m[k] = v
	return v
}

var fast = []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25}
var slow = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120}

// NewMetrics creates and registers the collectors.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: r,
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_requests_total", Help: "Requests by route, model, status and guardrail decision.",
		}, []string{"route", "model", "status", "decision"}),
		GatewayLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_gateway_seconds", Help: "Time the gateway itself spends on a request (excluding the upstream).", Buckets: fast,
		}, []string{"route"}),
		UpstreamLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_upstream_seconds", Help: "Upstream time to response headers.", Buckets: slow,
		}, []string{"upstream"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rampart_in_flight_requests", Help: "Requests being served.",
		}),
		UpstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_upstream_errors_total", Help: "Upstream failures by upstream and kind (connect, timeout, status).",
		}, []string{"upstream", "kind"}),
		StreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_stream_seconds", Help: "Duration of streamed responses.", Buckets: slow,
		}, []string{"route"}),
		ScannerLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rampart_scanner_seconds", Help: "Time per scanner run.", Buckets: fast,
		}, []string{"scanner"}),
		ScannerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_scanner_errors_total", Help: "Scanner failures (errors, timeouts, panics).",
		}, []string{"scanner"}),
		Findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_findings_total", Help: "Guardrail findings by direction and type.",
		}, []string{"direction", "type"}),
		AuthFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_auth_failures_total", Help: "Refused credentials by reason.",
		}, []string{"reason"}),
		AuditFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rampart_audit_failures_total", Help: "Requests refused because no audit sink recorded them.",
		}),
		RateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_rate_limited_total", Help: "Requests refused by limits, by code.",
		}, []string{"code"}),
		LimitDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_limit_decisions_total", Help: "Rate-limit decisions by backend (memory, redis, fallback) and outcome.",
		}, []string{"backend", "outcome"}),
		LimitStoreErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_limit_store_errors_total", Help: "Failed calls to the shared limit store (Redis) by operation.",
		}, []string{"op"}),
		LimitStoreUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "rampart_limit_store_up", Help: "1 while the shared limit store (Redis) is reachable, 0 during an outage.",
		}),
		Anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rampart_anomaly_alerts_total", Help: "Anomaly alerts by rule.",
		}, []string{"rule"}),
	}
	r.MustRegister(m.LimitDecisions, m.LimitStoreErrs, m.LimitStoreUp, m.Anomalies, m.Requests, m.GatewayLatency, m.UpstreamLatency, m.InFlight, m.UpstreamErrors,
		m.StreamDuration, m.ScannerLatency, m.ScannerErrors, m.Findings, m.AuthFailures, m.AuditFailures, m.RateLimited)
	return m
}

// CounterFunc registers a counter read from f at scrape time, for
// components that keep their own atomic counters (the audit log, the
// anomaly detector). labels may be nil.
func (m *Metrics) CounterFunc(name, help string, labels map[string]string, f func() float64) {
	m.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveScanner is a scan.Pipeline Observe hook.
func (m *Metrics) ObserveScanner(scanner string, d time.Duration, _ int, err error) {
	m.scanner.get(scanner, func() prometheus.Observer { return m.ScannerLatency.WithLabelValues(scanner) }).Observe(d.Seconds())
	if err != nil {
		m.ScannerErrors.WithLabelValues(scanner).Inc()
	}
}

// Status formats a status code label.
func Status(code int) string { return strconv.Itoa(code) }

// Request counts one finished API request (the Requests vector).
func (m *Metrics) Request(route, model string, status int, decision string) {
	k := requestLabels{route: route, model: model, decision: decision, status: status}
	m.requests.get(k, func() prometheus.Counter {
		return m.Requests.WithLabelValues(route, model, strconv.Itoa(status), decision)
	}).Inc()
}

// LimitDecision counts one rate-limiter decision (the LimitDecisions
// vector); a ratelimit.Hooks OnDecision hook.
func (m *Metrics) LimitDecision(backend, outcome string) {
	m.limits.get([2]string{backend, outcome}, func() prometheus.Counter {
		return m.LimitDecisions.WithLabelValues(backend, outcome)
	}).Inc()
}

// ObserveGateway records the gateway's own time for a route.
func (m *Metrics) ObserveGateway(route string, d time.Duration) {
	m.gateway.get(route, func() prometheus.Observer { return m.GatewayLatency.WithLabelValues(route) }).Observe(d.Seconds())
}

// ObserveUpstream records an upstream's time to response headers.
func (m *Metrics) ObserveUpstream(upstream string, d time.Duration) {
	m.upstream.get(upstream, func() prometheus.Observer { return m.UpstreamLatency.WithLabelValues(upstream) }).Observe(d.Seconds())
}
