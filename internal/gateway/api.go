package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"rampart/internal/anomaly"
	"rampart/internal/audit"
	"rampart/internal/guard"
	"rampart/internal/openai"
	"rampart/internal/policy"
	"rampart/internal/ratelimit"
	"rampart/internal/scan"
	"rampart/internal/tokens"
)

// exchange is one API request in flight.
type exchange struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	in     *info
	kind   openai.Kind
	ip     netip.Addr
	p      *Principal
	req    *openai.Request
	pol    *policy.Policy
	prompt *guard.PromptResult
	resv   ratelimit.Reservation
	est    int64
	ev     audit.Event
	// reqAudit is the request event on its way into the audit log; the
	// answer waits for it (nil: durable already, or not yet forwarded).
	reqAudit *audit.Pending
	status   int
	// presented is the credential the caller sent; kept only to
	// fingerprint failed attempts for credential-stuffing detection.
	presented string
}

func (s *Server) api(kind openai.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in := getInfo(r.Context())
		in.route = kind.Route()
		x := &exchange{s: s, w: w, r: r, in: in, kind: kind}
		x.ip = s.clientIP(r)
		x.ev = audit.Event{Time: in.start.UTC(), Kind: "request", RequestID: in.id, Route: "/v1" + kind.Path()}
		if x.ip.IsValid() {
			x.ev.ClientIP = x.ip.String()
		}
		x.serve()
	}
}

// fail writes an error answer, records it in the audit log (best effort:
// a refusal is already the safe outcome) and reports it to the observer.
func (x *exchange) fail(e *openai.Error, decision string) {
	x.status = e.Status
	x.ev.Decision = decision
	x.ev.Status = e.Status
	x.ev.ErrorCode = e.Code
	x.in.decision = decision
	x.finishEvent()
	if err := x.s.audit.Record(context.WithoutCancel(x.r.Context()), &x.ev); err != nil {
		x.s.metrics.AuditFailures.Inc()
		x.s.log.Warn("audit record of a refused request failed", "request_id", x.in.id, "err", err)
	}
	if x.resv != nil {
		x.resv.Settle(context.WithoutCancel(x.r.Context()), 0, 0)
		x.setLimitHeaders()
	} else {
		x.peekLimitHeaders()
	}
	x.observe(e.Status, decision)
	writeError(x.w, e)
}

func (x *exchange) finishEvent() {
	total := time.Since(x.in.start)
	x.ev.TotalMicros = total.Microseconds()
	x.ev.UpstreamMicros = x.in.upstreamDur.Microseconds()
	x.ev.GatewayMicros = max(0, total-x.in.upstreamDur).Microseconds()
}

func (x *exchange) serve() {
	s := x.s
	if s.anomaly != nil && x.ev.ClientIP != "" {
		if d := s.anomaly.BlockedFor(x.ev.ClientIP); d > 0 {
			e := openai.Errorf(http.StatusTooManyRequests, openai.CodeRateLimited, "too many failed authentication attempts from this address; try again later")
			e.RetryAfter = ceilSeconds(d)
			x.fail(e, "ip_blocked")
			return
		}
	}
	if !x.authenticate() {
		return
	}
	if !x.readBody() {
		return
	}
	x.in.model = x.req.Model
	x.ev.Model = x.req.Model
	x.ev.Stream = x.req.Stream
	x.in.stream = x.req.Stream
	if !s.up.Has(x.req.Model) {
		x.in.model = "unknown"
		x.fail(openai.Errorf(http.StatusNotFound, openai.CodeModelNotFound, "the model %q does not exist or is not served by this gateway", x.req.Model), "refused")
		return
	}
	if !x.p.Allows(x.req.Model) {
		x.fail(openai.Errorf(http.StatusForbidden, openai.CodeModelNotAllowed, "this API key may not use the model %q", x.req.Model), "refused")
		return
	}
	if s.anomaly != nil {
		if killed, why := s.anomaly.Killed(x.p.KeyID, x.p.Tenant, x.req.Model); killed {
			x.ev.Reason = why
			if strings.HasPrefix(why, "model") {
				x.fail(openai.Errorf(http.StatusForbidden, openai.CodeModelNotAllowed, "the model %q is disabled by the operator", x.req.Model), "killed")
			} else {
				x.fail(openai.Errorf(http.StatusUnauthorized, openai.CodeInvalidAPIKey, "this API key is disabled"), "killed")
			}
			return
		}
		if d := s.anomaly.Throttle(x.p.KeyID); d > 0 {
			e := openai.Errorf(http.StatusTooManyRequests, openai.CodeRateLimited, "this API key is throttled after unusual activity; slow down")
			e.RetryAfter = ceilSeconds(d)
			x.fail(e, "throttled")
			return
		}
	}
	if !x.applyCaps() {
		return
	}
	if !x.admit() {
		return
	}
	if !x.checkPrompt() {
		return
	}
	x.forward()
}

// authenticate resolves the caller from the API key (or a verified client
// certificate).
func (x *exchange) authenticate() bool {
	secret := apiKey(x.r.Header)
	x.presented = secret
	var p *Principal
	var err error
	if secret == "" {
		var ok bool
		p, ok, err = x.s.auth.ByCertificate(x.r)
		if !ok && err == nil {
			err = errors.New("missing")
		}
	} else {
		p, err = x.s.auth.Authenticate(secret)
	}
	if err != nil || p == nil {
		reason := "unknown"
		if err != nil {
			reason = authReason(err)
		}
		x.s.metrics.AuthFailures.WithLabelValues(reason).Inc()
		msg := "invalid API key"
		if secret == "" {
			msg = "missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
		}
		x.ev.Reason = reason
		x.fail(openai.Errorf(http.StatusUnauthorized, openai.CodeInvalidAPIKey, "%s", msg), "unauthorized")
		return false
	}
	x.p = p
	x.in.keyID, x.in.tenant = p.KeyID, p.Tenant
	x.ev.KeyID, x.ev.Tenant = p.KeyID, p.Tenant
	return true
}

func authReason(err error) string {
	s := err.Error()
	for _, r := range []string{"missing", "revoked", "expired", "quarantined", "disabled", "unknown"} {
		if strings.Contains(s, r) {
			return r
		}
	}
	return "invalid"
}

// apiKey returns the key of 'Authorization: Bearer <key>' (any case, any
// blanks), else of 'x-api-key'. An Authorization header of another scheme
// (Basic, added by a proxy) does not hide an x-api-key.
func apiKey(h http.Header) string {
	a := strings.TrimSpace(h.Get("Authorization"))
	if len(a) > 6 && strings.EqualFold(a[:6], "bearer") && (a[6] == ' ' || a[6] == '\t') {
		return strings.TrimSpace(a[7:])
	}
	return strings.TrimSpace(h.Get("X-Api-Key"))
}

// readBody reads and decodes the body within the size, depth and time
// limits.
func (x *exchange) readBody() bool {
	s, r := x.s, x.r
	tooLarge := func() bool {
		x.fail(openai.Errorf(http.StatusRequestEntityTooLarge, openai.CodeTooLarge, "request body is larger than the limit of %d bytes", s.opts.MaxBody), "refused")
		return false
	}
	if r.ContentLength > s.opts.MaxBody {
		return tooLarge()
	}
	rc := http.NewResponseController(x.w)
	_ = rc.SetReadDeadline(time.Now().Add(s.opts.BodyTimeout))
	body, err := readAll(http.MaxBytesReader(x.w, r.Body, s.opts.MaxBody), r.ContentLength)
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		x.fail(openai.Errorf(http.StatusBadRequest, openai.CodeInvalidRequest, "could not read the request body"), "refused")
		return false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(strings.ToLower(ct), "json") {
		x.fail(openai.Errorf(http.StatusBadRequest, openai.CodeInvalidRequest, "Content-Type must be application/json"), "refused")
		return false
	}
	req, perr := openai.ParseRequest(x.kind, body, openai.Limits{MaxDepth: s.opts.MaxDepth})
	if perr != nil {
		x.fail(perr, "refused")
		return false
	}
	x.req = req
	return true
}

// admit reserves the request's share of its limits.
func (x *exchange) admit() bool {
	x.est = tokens.Estimate(x.promptBytes()) + x.req.MaxTokens
	if x.kind == openai.Chat {
		x.est += tokens.ChatOverhead(len(x.req.Segments))
	}
	if x.s.limiter == nil {
		x.resv = nopReservation{}
		return true
	}
	res, err := x.s.limiter.Reserve(x.r.Context(), ratelimit.Request{
		KeyID: x.p.KeyID, Tenant: x.p.Tenant, IP: x.ev.ClientIP, Model: x.req.Model,
		Key: x.p.Limits, EstTokens: x.est, MaxTokens: x.req.MaxTokens,
	})
	if err != nil {
		var d *ratelimit.Denied
		if errors.As(err, &d) {
			x.s.metrics.RateLimited.WithLabelValues(d.Code).Inc()
			x.resv = ratelimit.StatusOnly(d.Status) // fail sets its headers
			e := openai.Errorf(http.StatusTooManyRequests, d.Code, "%s", d.Message)
			e.RetryAfter = ceilSeconds(d.RetryAfter)
			x.fail(e, "rate_limited")
			return false
		}
		x.s.log.Error("rate limiter failed", "request_id", x.in.id, "err", err)
		e := openai.Errorf(http.StatusServiceUnavailable, "limiter_unavailable", "the rate limiter is unavailable; try again shortly")
		e.RetryAfter = 1
		x.fail(e, "rate_limited")
		return false
	}
	x.resv = res
	x.setLimitHeaders()
	return true
}

func (x *exchange) setLimitHeaders() {
	if x.resv != nil {
		x.resv.Status().SetHeaders(x.w.Header())
	}
}

// peekLimitHeaders sets the x-ratelimit-* headers of a request refused
// before admission from what is known of it, without charging anything.
func (x *exchange) peekLimitHeaders() {
	pk, ok := x.s.limiter.(ratelimit.Peeker)
	if !ok {
		return
	}
	r := ratelimit.Request{IP: x.ev.ClientIP}
	if x.p != nil {
		r.KeyID, r.Tenant, r.Key = x.p.KeyID, x.p.Tenant, x.p.Limits
	}
	if x.req != nil {
		r.Model = x.req.Model
	}
	pk.Peek(context.WithoutCancel(x.r.Context()), r).SetHeaders(x.w.Header())
}

func (x *exchange) promptBytes() int {
	n := 0
	for _, sg := range x.req.Segments {
		n += len(sg.Text)
	}
	return n
}

// checkPrompt runs the input guardrails and applies their decision.
func (x *exchange) checkPrompt() bool {
	set := x.s.policies.Load()
	x.pol = set.For(x.p.Tenant, x.p.KeyID, x.p.Policy)
	t := &scan.Text{Direction: scan.Input, Model: x.req.Model, Segments: x.req.Segments}
	res := guard.CheckPrompt(x.r.Context(), x.pol, t)
	x.prompt = res
	d := &res.Decision
	x.countFindings("input", d)
	x.ev.Decision = d.Action.String()
	x.ev.Shadow = d.Shadow
	x.ev.Rules = d.Rules()
	x.ev.Findings = auditFindings(d)
	x.in.decision = d.Enforced.String()
	for _, f := range d.Failures {
		x.s.log.Warn("scanner failed", "request_id", x.in.id, "scanner", f.Scanner, "err", f.Err)
	}
	if d.Enforced == policy.Block {
		types := d.Types(policy.Block)
		x.fail(openai.Errorf(http.StatusBadRequest, openai.CodePolicyViolation,
			"the request was blocked by the gateway's input guardrails (%s)", strings.Join(types, ", ")), "block")
		return false
	}
	if x.s.opts.ContentAudit != "none" {
		x.ev.Prompt = joinSegments(x.req.Segments)
	}
	if len(res.Rewrites) > 0 {
		if err := x.req.Rewrite(res.Rewrites); err != nil {
			x.s.log.Error("rewrite failed", "request_id", x.in.id, "err", err)
			x.fail(openai.Errorf(http.StatusInternalServerError, openai.CodeInternal, "internal error (request %s)", x.in.id), "error")
			return false
		}
	}
	if x.s.opts.ContentAudit != "none" {
		x.ev.PromptRedacted = x.ev.Prompt
		if len(res.Rewrites) > 0 {
			x.ev.PromptRedacted = joinSegments(x.req.Segments)
		}
	}
	return true
}

func (x *exchange) countFindings(dir string, d *policy.Decision) {
	for _, f := range d.Findings {
		x.s.metrics.Findings.WithLabelValues(dir, f.Type).Inc()
	}
}

func joinSegments(segs []scan.Segment) string {
	if len(segs) == 1 {
		return segs[0].Text
	}
	var b strings.Builder
	for i, sg := range segs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(sg.Text)
	}
	return b.String()
}

func auditFindings(d *policy.Decision) []audit.Finding {
	if len(d.Findings) == 0 {
		return nil
	}
	var out []audit.Finding
	idx := map[string]int{}
	for _, f := range d.Findings {
		k := f.Type + "\x00" + f.Scanner + "\x00" + f.Finding.Rule
		if i, ok := idx[k]; ok {
			out[i].Count++
			out[i].Score = max(out[i].Score, f.Score)
			continue
		}
		idx[k] = len(out)
		out = append(out, audit.Finding{Type: f.Type, Scanner: f.Scanner, Rule: f.Finding.Rule, Count: 1, Score: f.Score, Action: f.Action.String()})
	}
	return out
}

func (x *exchange) observe(status int, decision string) {
	a := x.s.anomaly
	if a == nil {
		return
	}
	o := anomaly.Observation{Time: time.Now(), ClientIP: x.ev.ClientIP, Status: status, Decision: decision}
	if x.p != nil {
		o.KeyID, o.Tenant = x.p.KeyID, x.p.Tenant
	} else if x.presented != "" {
		h := sha256.Sum256([]byte(x.presented))
		o.CredentialHash = binary.BigEndian.Uint64(h[:8])
	}
	if x.req != nil {
		o.Model, o.MaxTokens, o.Logprobs = x.req.Model, x.req.MaxTokens, x.req.Logprobs
		o.TopLogprobs, o.N = int(x.req.TopLogprobs), int(x.req.N)
		o.PromptTokens = x.est - x.req.MaxTokens
		if n := len(x.req.Segments); n > 0 {
			o.Prompt = x.req.Segments[n-1].Text
		}
	}
	if x.prompt != nil {
		o.Findings = x.prompt.Decision.Types(policy.Flag)
	}
	if v := a.Observe(o); v.Quarantine {
		x.s.log.Warn("key quarantined by anomaly detection", "request_id", x.in.id, "key_id", o.KeyID, "reason", v.Reason)
	}
}

func ceilSeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// applyCaps enforces the extraction caps on n, max_tokens and logprobs:
// refused with 400 or clamped in the body, as configured.
func (x *exchange) applyCaps() bool {
	if x.s.caps == nil || x.kind == openai.Embedding {
		return true
	}
	c := x.s.caps(x.p.KeyID, x.p.Tenant)
	r := x.req
	p := ratelimit.Params{N: r.N, MaxTokens: r.MaxTokensField, MaxCompletionTokens: r.MaxCompletionTokens, Logprobs: r.Logprobs, TopLogprobs: r.TopLogprobs}
	changed, err := c.Apply(&p)
	if err != nil {
		x.fail(openai.Errorf(http.StatusBadRequest, openai.CodeInvalidRequest, "%v", err), "refused")
		return false
	}
	if !changed {
		return true
	}
	set := func(field string, old, v int64) {
		if v != old {
			_ = r.Set(field, v)
		}
	}
	set("n", r.N, p.N)
	set("max_tokens", r.MaxTokensField, p.MaxTokens)
	set("max_completion_tokens", r.MaxCompletionTokens, p.MaxCompletionTokens)
	set("top_logprobs", r.TopLogprobs, p.TopLogprobs)
	if r.Logprobs && !p.Logprobs {
		_ = r.Set("logprobs", false)
	}
	r.N, r.MaxTokensField, r.MaxCompletionTokens, r.Logprobs, r.TopLogprobs = p.N, p.MaxTokens, p.MaxCompletionTokens, p.Logprobs, p.TopLogprobs
	r.MaxTokens = max(p.MaxTokens, p.MaxCompletionTokens)
	return true
}

// readAll reads r to the end. A declared length n (a Content-Length)
// sizes the buffer up front, so a body is read with one allocation instead
// of io.ReadAll's doublings. The hint is capped, so a false large length
// cannot make the gateway allocate memory the peer never sends; the
// reader's own limit still applies.
func readAll(r io.Reader, n int64) ([]byte, error) {
	if n <= 0 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, min(n, 1<<20)+1) // +1: EOF arrives without a regrowth
	for {
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
