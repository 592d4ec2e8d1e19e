package gateway

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"rampart/internal/audit"
	"rampart/internal/guard"
	"rampart/internal/openai"
	"rampart/internal/policy"
	"rampart/internal/ratelimit"
)

// passHeaders are the client headers worth passing upstream. Credentials,
// cookies and hop-by-hop headers never are.
var passHeaders = []string{"Accept", "OpenAI-Beta", "User-Agent"}

// forward records the request, sends it upstream and relays the answer
// through the output guardrails.
func (x *exchange) forward() {
	s, r := x.s, x.r
	ctx := r.Context()
	out := &guard.Output{Policy: x.pol}
	if x.prompt != nil {
		out.Vault = x.prompt.Vault
	}
	if x.kind != openai.Embedding {
		octx, sys := guard.NewContext(x.pol, x.req.System, x.req.ResponseFormat)
		out.Context = octx
		if sys != "" {
			if err := x.req.AddSystem(sys); err != nil {
				s.log.Warn("canary not added", "request_id", x.in.id, "err", err)
			}
		}
	}
	askedUsage := false
	if x.req.Stream && !x.req.IncludeUsage && s.limiter != nil {
		// Ask for the usage chunk so token budgets settle exactly; it is
		// taken out again before the client sees the stream.
		askedUsage = x.req.Set("stream_options.include_usage", true) == nil
	}

	// A request that cannot be recorded is not served. Its event commits
	// while the upstream works; nothing reaches the client before it is
	// durable (requestRecorded, record). A log that is failing, or in strict
	// order, makes it durable here, before anything is forwarded.
	x.ev.Decision = x.prompt.Decision.Action.String()
	x.finishEvent()
	pend, err := s.startAudit(context.WithoutCancel(ctx), &x.ev)
	if err != nil {
		x.refuseUnrecorded(err)
		return
	}
	x.reqAudit = pend
	// From here on, events describe the response.
	resEv := x.ev
	resEv.Kind = "response"
	resEv.PromptText, resEv.Prompt, resEv.PromptRedacted = "", "", ""
	x.ev = resEv

	hdr := http.Header{"Content-Type": {"application/json"}}
	for _, h := range passHeaders {
		if v := r.Header.Get(h); v != "" {
			hdr.Set(h, v)
		}
	}
	upStart := time.Now()
	resp, err := s.up.Forward(ctx, &UpstreamRequest{Model: x.req.Model, Path: x.kind.Path(), Body: x.req.Body, Header: hdr, Stream: x.req.Stream})
	x.in.upstreamDur = time.Since(upStart)
	if err != nil {
		var oe *openai.Error
		if !errors.As(err, &oe) {
			oe = openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "the upstream failed")
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			oe = openai.Errorf(499, "client_closed_request", "the client closed the request")
		}
		x.failUpstream(oe)
		return
	}
	defer resp.Body.Close()
	x.in.upstream = resp.Upstream
	x.ev.Upstream = resp.Upstream
	s.metrics.ObserveUpstream(resp.Upstream, x.in.upstreamDur)

	if resp.StatusCode != http.StatusOK {
		x.relayError(resp)
		return
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "text/event-stream" {
		x.relayStream(resp, out, askedUsage)
		return
	}
	x.relayPlain(resp, out)
}

func (x *exchange) failUpstream(e *openai.Error) {
	x.status = e.Status
	x.ev.Status, x.ev.ErrorCode = e.Status, e.Code
	x.finishEvent()
	recorded := x.record()
	x.resv.Settle(context.WithoutCancel(x.r.Context()), 0, 0)
	if !recorded {
		x.refuseUnrecorded(nil)
		return
	}
	x.observe(e.Status, "error")
	if e.Status == 499 {
		return
	}
	writeError(x.w, e)
}

// startAudit queues the request event for the audit log. The returned
// Pending (nil: already durable) is waited for before the client sees
// anything of the answer.
func (s *Server) startAudit(ctx context.Context, e *audit.Event) (*audit.Pending, error) {
	if st, ok := s.audit.(audit.Starter); ok {
		return st.Start(ctx, e)
	}
	return nil, s.audit.Record(ctx, e)
}

// refuseUnrecorded answers 503 audit_unavailable: the request event could
// not be recorded (err; nil when it was already logged), so nothing of
// the answer is served.
func (x *exchange) refuseUnrecorded(err error) {
	s, ctx := x.s, x.r.Context()
	s.metrics.AuditFailures.Inc()
	if err != nil {
		s.log.Error("audit unavailable; refusing request", "request_id", x.in.id, "err", err)
	}
	e := openai.Errorf(http.StatusServiceUnavailable, openai.CodeAuditUnavailable, "the request could not be recorded in the audit log, so it was not served")
	e.RetryAfter = 1
	x.status = e.Status
	x.resv.Settle(context.WithoutCancel(ctx), 0, 0)
	x.observe(e.Status, "error")
	writeError(x.w, e)
}

// requestRecorded waits until the request event is durable. When it could
// not be recorded, the answer must not be served.
func (x *exchange) requestRecorded() bool {
	if err := x.reqAudit.Wait(); err != nil {
		x.s.log.Error("audit unavailable; the forwarded request is not served", "request_id", x.in.id, "err", err)
		return false
	}
	return true
}

// record writes the response event and reports whether the request event
// is durable (if not, the answer must not be served). The response event
// is queued before the wait for the request event, so the two can share
// one commit. A failure of the response event alone is counted and
// logged: the request is on record.
func (x *exchange) record() bool {
	ctx := context.WithoutCancel(x.r.Context())
	resp, err := x.s.startAudit(ctx, &x.ev)
	if !x.requestRecorded() {
		if err == nil && resp.Wait() == nil {
			// The response event made it, the request event did not:
			// say what the client got instead.
			x.ev.Status, x.ev.ErrorCode = http.StatusServiceUnavailable, openai.CodeAuditUnavailable
			_ = x.s.audit.Record(ctx, &x.ev)
		}
		return false
	}
	if err == nil {
		err = resp.Wait()
	}
	if err != nil {
		x.s.metrics.AuditFailures.Inc()
		x.s.log.Error("audit record of a response failed", "request_id", x.in.id, "err", err)
	}
	return true
}

// relayError passes an upstream's non-200 answer (a 4xx about the request)
// through, as JSON in OpenAI's shape when it is one.
func (x *exchange) relayError(resp *UpstreamResponse) {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status := resp.StatusCode
	if !gjson.ValidBytes(body) || !gjson.GetBytes(body, "error").Exists() {
		e := openai.Errorf(status, openai.CodeUpstreamError, "the upstream answered with status %d", status)
		if status >= 500 {
			e = openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "the upstream answered with status %d", status)
		}
		x.failUpstream(e)
		return
	}
	x.status = status
	x.ev.Status = status
	x.ev.ErrorCode = gjson.GetBytes(body, "error.code").String()
	x.finishEvent()
	recorded := x.record()
	x.resv.Settle(context.WithoutCancel(x.r.Context()), 0, 0)
	if !recorded {
		x.refuseUnrecorded(nil)
		return
	}
	x.observe(status, "upstream_error")
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

func (x *exchange) relayPlain(resp *UpstreamResponse, out *guard.Output) {
	ctx := x.r.Context()
	body, err := readAll(io.LimitReader(resp.Body, x.s.opts.MaxResponse+1), min(resp.ContentLength, x.s.opts.MaxResponse))
	if err != nil {
		x.failUpstream(openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "reading the upstream answer failed"))
		return
	}
	if int64(len(body)) > x.s.opts.MaxResponse {
		x.failUpstream(openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "the upstream answer exceeds %d bytes", x.s.opts.MaxResponse))
		return
	}
	var usage *openai.Usage
	if x.kind == openai.Embedding {
		if u := gjson.GetBytes(body, "usage"); u.Exists() {
			usage = &openai.Usage{PromptTokens: u.Get("prompt_tokens").Int(), TotalTokens: u.Get("total_tokens").Int()}
		}
	} else {
		nb, d, u, cerr := out.CheckResponse(ctx, body)
		if cerr != nil {
			x.failUpstream(openai.Errorf(http.StatusBadGateway, openai.CodeUpstreamError, "the upstream answer is not a valid completion"))
			return
		}
		usage = u
		x.outputDecision(&d)
		if d.Enforced == policy.Block {
			e := openai.Errorf(http.StatusBadRequest, openai.CodePolicyViolation,
				"the answer was blocked by the gateway's output guardrails (%s)", strings.Join(d.Types(policy.Block), ", "))
			x.settle(usage)
			x.failUpstream(e)
			return
		}
		body = nb
		if x.auditsContent() {
			c := gjson.GetBytes(body, "choices.0")
			x.contentAuditOutput(c.Get("message.content").String() + c.Get("text").String())
		}
	}
	x.settle(usage)
	x.status = http.StatusOK
	x.ev.Status = http.StatusOK
	x.finishEvent()
	if !x.record() {
		x.refuseUnrecorded(nil)
		return
	}
	x.observe(http.StatusOK, x.in.decision)
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(body)
}

func (x *exchange) relayStream(resp *UpstreamResponse, out *guard.Output, dropUsage bool) {
	ctx := x.r.Context()
	if !x.requestRecorded() {
		x.refuseUnrecorded(nil)
		return
	}
	h := x.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	x.w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(x.w)
	_ = rc.Flush()
	start := time.Now()
	opt := guard.SSEOptions{Flush: func() { _ = rc.Flush() }, DropUsage: dropUsage}
	if x.resv != nil {
		opt.Consume = func(n int64) *openai.Error {
			if err := x.resv.Consume(ctx, n); err != nil {
				var d *ratelimit.Denied
				if errors.As(err, &d) {
					return openai.Errorf(http.StatusTooManyRequests, d.Code, "%s", d.Message)
				}
				return openai.Errorf(http.StatusTooManyRequests, openai.CodeQuotaExceeded, "%v", err)
			}
			return nil
		}
	}
	res, err := out.RelaySSE(ctx, x.w, resp.Body, opt)
	x.s.metrics.StreamDuration.WithLabelValues(x.kind.Route()).Observe(time.Since(start).Seconds())
	if err != nil && ctx.Err() == nil {
		x.s.log.Warn("stream relay ended with an error", "request_id", x.in.id, "err", err)
	}
	usage := res.Usage
	if usage == nil {
		usage = &openai.Usage{PromptTokens: x.est - x.req.MaxTokens, CompletionTokens: res.CompletionTokens}
	}
	x.outputDecision(&res.Decision)
	x.contentAuditOutput(res.Text)
	x.settle(usage)
	x.status = http.StatusOK
	x.ev.Status = http.StatusOK
	switch {
	case res.Blocked:
		x.ev.ErrorCode = openai.CodePolicyViolation
	case err != nil && ctx.Err() != nil:
		// The caller went away mid-stream: the record says so, as for a
		// request abandoned before the answer started.
		x.ev.Status, x.ev.ErrorCode = 499, "client_closed_request"
	}
	x.finishEvent()
	x.record()
	x.observe(http.StatusOK, x.in.decision)
}

func (x *exchange) outputDecision(d *policy.Decision) {
	x.countFindings("output", d)
	x.ev.OutputDecision = d.Action.String()
	x.ev.OutputFindings = auditFindings(d)
	if d.Enforced > policy.Allow && d.Enforced.String() != x.in.decision {
		x.in.decision = x.in.decision + "+output_" + d.Enforced.String()
	}
}

// auditsContent reports whether audit events carry prompt and answer
// content (hashed, redacted or full), so text is only assembled for them
// when it is used.
func (x *exchange) auditsContent() bool { return x.s.opts.ContentAudit != "none" }

// contentAuditOutput hands the answer as the caller received it to the
// audit log, which keeps a keyed hash (and text, per its content mode).
func (x *exchange) contentAuditOutput(text string) {
	if x.auditsContent() {
		x.ev.Completion, x.ev.CompletionRedacted = text, text
	}
}

func (x *exchange) settle(u *openai.Usage) {
	var pt, ct int64
	if u != nil {
		pt, ct = u.PromptTokens, u.CompletionTokens
		x.ev.PromptTokens, x.ev.CompletionTokens = pt, ct
	}
	x.resv.Settle(context.WithoutCancel(x.r.Context()), pt, ct)
}
