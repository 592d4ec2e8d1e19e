// Package proxy sends OpenAI-compatible requests to upstream model servers:
// model routing with aliases, smooth weighted load balancing, failover
// before the first response byte, passive health and per-upstream
// transports, timeouts, credentials and TLS.
//
// The gateway decodes, checks and rewrites the request body itself, then
// calls Pool.Forward with the bytes; Forward returns the first usable
// response head and the gateway relays (and scans) the body.
package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tidwall/sjson"

	"rampart/internal/config"
)

// Options are the Pool's collaborators.
type Options struct {
	Logger *slog.Logger
	// Observe, when set, is called after every attempt with the upstream's
	// name, the response status (0 on a transport error), the error and the
	// time until the response head (or the failure). Use IsTimeout to
	// classify err; it is context.Canceled when the caller went away, which
	// does not count against the upstream's health.
	Observe func(upstream string, status int, err error, d time.Duration)
}

// Request is one call to forward. Header holds the client headers the
// gateway chose to pass (Accept, Content-Type, OpenAI-Beta, …); credential,
// cookie and hop-by-hop headers are dropped whatever it holds.
type Request struct {
	Model  string // the model the client asked for
	Path   string // "/chat/completions", "/completions", "/embeddings"
	Method string // default POST
	Body   []byte
	Header http.Header
	Stream bool // the response is SSE: no overall timeout, an idle timeout instead
}

// Response is the upstream's response head; the caller must close Body.
// For a stream, a Read that waits longer than the upstream's stream idle
// timeout fails with ErrStreamIdle.
type Response struct {
	*http.Response
	Upstream string // name of the upstream that answered
	Attempts int    // upstreams tried, this one included
}

// Pool routes requests to upstreams. It is safe for concurrent use.
type Pool struct {
	upstreams []*upstream
	routes    map[string]*route // public name (model or alias) → route
	catchAll  *route
	models    []string // sorted public names

	threshold int
	cooldown  time.Duration
	log       *slog.Logger
	observe   func(string, int, error, time.Duration)
	now       func() time.Time
}

// route is a set of candidate upstreams for one public model.
type route struct {
	model         string // public name, or CatchAll
	upstreamModel string // name sent upstream; "" = the requested name
	cands         []*upstream

	mu  sync.Mutex
	cur []int // smooth weighted round robin state, per candidate
}

// New builds a Pool from a configuration that passed Validate; it
// validates again and returns the Problems if any.
func New(cfg Config, opts Options) (*Pool, error) {
	ch := config.NewChecker()
	cfg.Validate(ch)
	if err := ch.Err(); err != nil {
		return nil, err
	}
	p := &Pool{
		routes:    map[string]*route{},
		threshold: cfg.Health.FailureThreshold,
		cooldown:  cfg.Health.Cooldown.D(),
		log:       opts.Logger,
		observe:   opts.Observe,
		now:       time.Now,
	}
	if p.threshold == 0 {
		p.threshold = DefaultFailureThreshold
	}
	if p.cooldown == 0 {
		p.cooldown = DefaultCooldown
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	byName := map[string]*upstream{}
	for i := range cfg.Upstreams {
		u, err := newUpstream(&cfg.Upstreams[i])
		if err != nil {
			p.Close()
			return nil, err
		}
		p.upstreams = append(p.upstreams, u)
		byName[u.name] = u
	}
	for _, rc := range cfg.Routes {
		rt := &route{model: rc.Model, upstreamModel: rc.UpstreamModel}
		for _, n := range rc.Upstreams {
			rt.cands = append(rt.cands, byName[n])
		}
		rt.cur = make([]int, len(rt.cands))
		if rc.Model == CatchAll {
			p.catchAll = rt
			continue
		}
		p.routes[rc.Model] = rt
		for _, a := range rc.Aliases {
			p.routes[a] = rt
		}
	}
	// Implicit routes: a model an upstream lists, that no route names, is
	// served by every upstream listing it, in configuration order.
	implicit := map[string]*route{}
	for _, u := range p.upstreams {
		for _, m := range u.cfg.Models {
			if _, named := p.routes[m]; named {
				continue
			}
			rt := implicit[m]
			if rt == nil {
				rt = &route{model: m}
				implicit[m] = rt
			}
			rt.cands = append(rt.cands, u)
			rt.cur = append(rt.cur, 0)
		}
	}
	maps.Copy(p.routes, implicit)
	// With no routes at all, upstreams without a model list serve anything.
	if len(cfg.Routes) == 0 {
		var any []*upstream
		for _, u := range p.upstreams {
			if len(u.cfg.Models) == 0 {
				any = append(any, u)
			}
		}
		if len(any) > 0 {
			p.catchAll = &route{model: CatchAll, cands: any, cur: make([]int, len(any))}
		}
	}
	for name := range p.routes {
		p.models = append(p.models, name)
	}
	slices.Sort(p.models)
	return p, nil
}

// Close releases idle upstream connections.
func (p *Pool) Close() {
	for _, u := range p.upstreams {
		u.transport.CloseIdleConnections()
	}
}

// Models returns the public model names (aliases included), sorted. A
// catch-all route adds no names.
func (p *Pool) Models() []string { return slices.Clone(p.models) }

// Has reports whether some route serves model.
func (p *Pool) Has(model string) bool { return p.lookup(model) != nil }

// Ready reports whether at least one upstream is not cooling down.
func (p *Pool) Ready() bool {
	now := p.now()
	for _, u := range p.upstreams {
		if u.health.available(now) {
			return true
		}
	}
	return false
}

func (p *Pool) lookup(model string) *route {
	if model == "" {
		return nil
	}
	if rt, ok := p.routes[model]; ok {
		return rt
	}
	if rt := p.catchAll; rt != nil {
		for _, u := range rt.cands {
			if u.serves(model) {
				return rt
			}
		}
	}
	return nil
}

// Forward sends r to the route's upstreams until one returns a response
// head that is not a 5xx. Connect errors, timeouts and 5xx heads move on to
// the next candidate with the same body; nothing is retried once a head has
// been returned. It returns ErrUnknownModel or an *Error.
func (p *Pool) Forward(ctx context.Context, r *Request) (*Response, error) {
	rt := p.lookup(r.Model)
	if rt == nil {
		return nil, ErrUnknownModel
	}
	if !strings.HasPrefix(r.Path, "/") || strings.ContainsAny(r.Path, "?#") || strings.Contains(r.Path, "..") {
		return nil, fmt.Errorf("proxy: invalid path %q", r.Path)
	}
	model := rt.upstreamModel
	if model == "" {
		model = rt.model
		if model == CatchAll {
			model = r.Model
		}
	}
	body := r.Body
	if model != r.Model && len(body) > 0 {
		b, err := sjson.SetBytes(slices.Clip(body), "model", model)
		if err != nil {
			return nil, fmt.Errorf("proxy: rewriting the model: %w", err)
		}
		body = b
	}
	cands := p.order(rt, r.Model)
	var last *Error
	for i, u := range cands {
		resp, err := p.attempt(ctx, u, r, body, model)
		if err == nil {
			resp.Attempts = i + 1
			return resp, nil
		}
		last = err
		last.Attempts = i + 1
		if ctx.Err() != nil {
			break // the caller went away: not the upstream's fault, no failover
		}
	}
	if last == nil {
		last = &Error{Err: errors.New("no upstream available")}
	}
	return nil, last
}

// order returns the candidates to try: the weighted pick among healthy
// upstreams first, then the other healthy ones in route order. When every
// candidate is cooling down, the least recently failed one is tried anyway.
func (p *Pool) order(rt *route, model string) []*upstream {
	now := p.now()
	healthy := make([]int, 0, len(rt.cands))
	for i, u := range rt.cands {
		if u.serves(model) && u.health.available(now) {
			healthy = append(healthy, i)
		}
	}
	if len(healthy) == 0 {
		var best *upstream
		for _, u := range rt.cands {
			if u.serves(model) && (best == nil || u.health.lastFailure().Before(best.health.lastFailure())) {
				best = u
			}
		}
		if best == nil {
			return nil
		}
		return []*upstream{best}
	}
	first := rt.pick(healthy)
	out := make([]*upstream, 0, len(healthy))
	out = append(out, rt.cands[first])
	for _, i := range healthy {
		if i != first {
			out = append(out, rt.cands[i])
		}
	}
	return out
}

// pick is smooth weighted round robin (as in nginx) over the candidate
// indexes in healthy: deterministic, and interleaves rather than bursts.
func (rt *route) pick(healthy []int) int {
	if len(healthy) == 1 {
		return healthy[0]
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	total, best := 0, -1
	for _, i := range healthy {
		w := rt.cands[i].weight
		rt.cur[i] += w
		total += w
		if best < 0 || rt.cur[i] > rt.cur[best] {
			best = i
		}
	}
	rt.cur[best] -= total
	return best
}

// attempt sends one request to u. It returns a response whose head is not
// a 5xx, or an *Error, and records the outcome in u's health.
func (p *Pool) attempt(ctx context.Context, u *upstream, r *Request, body []byte, model string) (*Response, *Error) {
	var (
		actx   context.Context
		cancel context.CancelFunc
	)
	if r.Stream {
		actx, cancel = context.WithCancel(ctx)
	} else {
		actx, cancel = context.WithTimeout(ctx, u.timeout)
	}
	req, err := p.newRequest(actx, u, r, body, model)
	if err != nil {
		cancel()
		return nil, &Error{Upstream: u.name, Err: err}
	}
	start := p.now()
	resp, err := u.transport.RoundTrip(req)
	d := p.now().Sub(start)
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			err = ctx.Err() // report the caller's cancellation, not a wrapped copy
		} else {
			p.failed(u, 0, err)
		}
		p.record(u, 0, err, d)
		return nil, &Error{Upstream: u.name, Err: err, Timeout: isTimeout(err)}
	}
	p.record(u, resp.StatusCode, nil, d)
	if resp.StatusCode >= 500 {
		// Never relayed, and not drained either: a 5xx body that trickles
		// must not hold up the failover. Closing costs the connection.
		cancel()
		resp.Body.Close()
		p.failed(u, resp.StatusCode, nil)
		return nil, &Error{Upstream: u.name, Status: resp.StatusCode}
	}
	u.health.success()
	cleanResponseHeader(resp.Header)
	if r.Stream {
		resp.Body = newIdleBody(resp.Body, u.idleTimeout, cancel)
	} else {
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	}
	return &Response{Response: resp, Upstream: u.name}, nil
}

func (p *Pool) newRequest(ctx context.Context, u *upstream, r *Request, body []byte, model string) (*http.Request, error) {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, u.target(r.Path, model), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		req.Body, req.GetBody, req.ContentLength = http.NoBody, nil, 0
	}
	req.Header = outHeader(r.Header, len(u.headers)+3)
	for k, vs := range u.headers {
		req.Header[k] = vs
	}
	if u.keyHeader != "" {
		req.Header.Set(u.keyHeader, u.keyValue)
	}
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "rampart")
	}
	return req, nil
}

func (p *Pool) failed(u *upstream, status int, err error) {
	if u.health.failure(p.now(), p.threshold, p.cooldown) {
		p.log.Warn("upstream cooling down", "upstream", u.name, "status", status, "err", err, "cooldown", p.cooldown)
	}
}

func (p *Pool) record(u *upstream, status int, err error, d time.Duration) {
	if p.observe != nil {
		p.observe(u.name, status, err, d)
	}
}

// cancelBody ends the attempt's context (and its overall timeout) when
// the caller closes the body.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
