// Package gateway is Rampart's HTTP surface: the OpenAI-compatible routes,
// the middleware order (in one place: Handler), OpenAI-shaped errors and
// the request lifecycle that ties authentication, limits, guardrails,
// audit and the upstream pool together.
package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"rampart/internal/anomaly"
	"rampart/internal/audit"
	"rampart/internal/openai"
	"rampart/internal/policy"
	"rampart/internal/ratelimit"
	"rampart/internal/telemetry"
)

// Principal is the authenticated caller.
type Principal struct {
	KeyID  string
	Name   string
	Tenant string
	Policy string   // policy profile assigned to the key
	Models []string // allowed models; empty = all
	Limits ratelimit.Limits
}

// Allows reports whether the principal may use model.
func (p *Principal) Allows(model string) bool {
	if len(p.Models) == 0 {
		return true
	}
	for _, m := range p.Models {
		if m == model || m == "*" {
			return true
		}
	}
	return false
}

// Authenticator turns a presented secret (or a verified client
// certificate) into a Principal. Any error means 401 invalid_api_key; the
// error text is logged (never the secret) and used as the metric reason.
type Authenticator interface {
	Authenticate(secret string) (*Principal, error)
	// ByCertificate maps a verified client certificate identity to a key.
	ByCertificate(r *http.Request) (*Principal, bool, error)
}

// UpstreamRequest is what the gateway asks the upstream pool to send.
type UpstreamRequest struct {
	Model  string
	Path   string
	Body   []byte
	Header http.Header
	Stream bool
}

// UpstreamResponse is the upstream's answer head; Body is the caller's to
// close.
type UpstreamResponse struct {
	*http.Response
	Upstream string
}

// Upstreams is the upstream pool. Forward returns *openai.Error for
// routing and upstream failures (404, 502, 504).
type Upstreams interface {
	Models() []string
	Has(model string) bool
	Ready() bool
	Forward(ctx context.Context, r *UpstreamRequest) (*UpstreamResponse, error)
}

// Options are the gateway's limits and switches.
type Options struct {
	MaxBody      int64         // bytes; default 8 MiB
	MaxDepth     int           // JSON nesting; default 64
	MaxResponse  int64         // non-streamed upstream body cap; default 64 MiB
	BodyTimeout  time.Duration // time to read a request body; default 30 s
	ContentAudit string        // hashed | redacted | full | none
}

// Server serves the gateway routes.
type Server struct {
	opts     Options
	auth     Authenticator
	policies atomic.Pointer[policy.Set]
	up       Upstreams
	limiter  ratelimit.Limiter
	audit    audit.Recorder
	metrics  *telemetry.Metrics
	log      *slog.Logger
	clientIP func(*http.Request) netip.Addr
	anomaly  *anomaly.Detector
	caps     func(keyID, tenant string) ratelimit.Caps
	storeOK  func(context.Context) error
	draining atomic.Bool
}

// Deps are the components a Server uses. Limiter and Observer may be nil.
type Deps struct {
	Auth      Authenticator
	Policies  *policy.Set
	Upstreams Upstreams
	Limiter   ratelimit.Limiter
	Audit     audit.Recorder
	Metrics   *telemetry.Metrics
	Logger    *slog.Logger
	ClientIP  func(*http.Request) netip.Addr
	Anomaly   *anomaly.Detector // nil: no anomaly detection
	// Caps returns the extraction caps (n, max_tokens, logprobs) for a key.
	Caps    func(keyID, tenant string) ratelimit.Caps
	StoreOK func(context.Context) error // readiness of the key store
}

// New builds a Server.
func New(opts Options, d Deps) *Server {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 8 << 20
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 64
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = 64 << 20
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = 30 * time.Second
	}
	if opts.ContentAudit == "" {
		opts.ContentAudit = "hashed"
	}
	s := &Server{
		opts: opts, auth: d.Auth, up: d.Upstreams, limiter: d.Limiter, audit: d.Audit,
		metrics: d.Metrics, log: d.Logger, clientIP: d.ClientIP, anomaly: d.Anomaly, caps: d.Caps, storeOK: d.StoreOK,
	}
	if s.audit == nil {
		s.audit = audit.Discard{}
	}
	if s.metrics == nil {
		s.metrics = telemetry.NewMetrics()
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clientIP == nil {
		s.clientIP = remoteIP
	}
	s.policies.Store(d.Policies)
	return s
}

// SetPolicies swaps the policy set (hot reload).
func (s *Server) SetPolicies(p *policy.Set) { s.policies.Store(p) }

// Drain marks the server as shutting down: /readyz answers 503.
func (s *Server) Drain() { s.draining.Store(true) }

// Handler returns the routes wrapped in the middleware, in this order:
// request id → panic recovery → access log and metrics → route.
// Authentication, limits, guardrails and audit run inside the API
// handlers, in the order of DESIGN.md.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.api(openai.Chat))
	mux.HandleFunc("POST /v1/completions", s.api(openai.Completion))
	mux.HandleFunc("POST /v1/embeddings", s.api(openai.Embedding))
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("GET /v1/models/{model...}", s.model)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", s.metrics.Handler())
	mux.HandleFunc("/", s.notFound)
	return s.requestID(s.recover(s.accessLog(canonical(mux))))
}

// canonical answers a request whose path is not in canonical form
// (//v1/…, /v1/./…, /v1/../v1/…) with a 404 in OpenAI's shape, where
// ServeMux would answer a redirect with a body in HTML.
func canonical(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; r.Method != http.MethodConnect && p != cleanPath(p) {
			writeError(w, openai.Errorf(http.StatusNotFound, "not_found", "unknown route %s %s (not a canonical path)", r.Method, clip(p)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cleanPath is p as ServeMux would redirect to: rooted, without empty,
// "." or ".." elements, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// clip shortens a caller-supplied string quoted in an error message.
func clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		a, _ := netip.ParseAddr(r.RemoteAddr)
		return a
	}
	return ap.Addr().Unmap()
}

// allowed are the methods of each route, for 405 answers.
var allowed = map[string]string{
	"/v1/chat/completions": "POST", "/v1/completions": "POST", "/v1/embeddings": "POST",
	"/v1/models": "GET, HEAD", "/healthz": "GET, HEAD", "/readyz": "GET, HEAD", "/metrics": "GET, HEAD",
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	code := http.StatusNotFound
	e := openai.Errorf(code, "not_found", "unknown route %s %s", r.Method, clip(r.URL.Path))
	// An escaped slash (/v1/chat%2Fcompletions) is not the route it
	// decodes to: ServeMux matches path segments.
	if !strings.Contains(strings.ToUpper(r.URL.EscapedPath()), "%2F") {
		if allow := allowed[r.URL.Path]; allow != "" {
			e = openai.Errorf(http.StatusMethodNotAllowed, "method_not_allowed", "method %s is not allowed on %s", r.Method, r.URL.Path)
			w.Header().Set("Allow", allow)
		}
	}
	writeError(w, e)
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}`))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	reason := ""
	switch {
	case s.draining.Load():
		reason = "draining"
	case s.storeOK != nil && s.storeOK(r.Context()) != nil:
		reason = "store unavailable"
	case !s.up.Ready():
		reason = "no upstream available"
	}
	if reason != "" {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":"unavailable","reason":"` + reason + `"}`))
		return
	}
	_, _ = w.Write([]byte(`{"status":"ready"}`))
}
