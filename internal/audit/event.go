// Package audit records every request and admin action as a typed event
// in a tamper-evident, hash-chained log.
package audit

import (
	"context"
	"errors"
	"time"
)

// Finding is a finding as the audit log keeps it: never the matched text.
type Finding struct {
	Type    string  `json:"type"`
	Scanner string  `json:"scanner,omitempty"`
	Rule    string  `json:"rule,omitempty"`
	Count   int     `json:"count"`
	Score   float64 `json:"score,omitempty"`
	Action  string  `json:"action,omitempty"`
}

// Event is one audit record's payload. Kind is "request" for gateway
// traffic and "admin" for operator actions.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      string    `json:"kind"` // request | admin | anomaly
	RequestID string    `json:"request_id,omitempty"`
	KeyID     string    `json:"key_id,omitempty"`
	Tenant    string    `json:"tenant,omitempty"`
	ClientIP  string    `json:"client_ip,omitempty"`
	Route     string    `json:"route,omitempty"`
	Model     string    `json:"model,omitempty"`
	Upstream  string    `json:"upstream,omitempty"`
	Stream    bool      `json:"stream,omitempty"`

	// Decision is allow | flag | redact | pseudonymize | block for
	// guardrail outcomes, or rate_limited | unauthorized | error.
	Decision       string    `json:"decision"`
	OutputDecision string    `json:"output_decision,omitempty"`
	Shadow         bool      `json:"shadow,omitempty"`
	Rules          []string  `json:"rules,omitempty"`
	Findings       []Finding `json:"findings,omitempty"`
	OutputFindings []Finding `json:"output_findings,omitempty"`

	Status           int    `json:"status"`
	ErrorCode        string `json:"error_code,omitempty"`
	PromptTokens     int64  `json:"prompt_tokens,omitempty"`
	CompletionTokens int64  `json:"completion_tokens,omitempty"`
	GatewayMicros    int64  `json:"gateway_us,omitempty"`
	UpstreamMicros   int64  `json:"upstream_us,omitempty"`
	TotalMicros      int64  `json:"total_us,omitempty"`

	// Content: keyed HMACs by default ("hmac-sha256:…"), redacted text or
	// (with an encrypted sink) full text, as configured.
	PromptHash     string `json:"prompt_hmac,omitempty"`
	CompletionHash string `json:"completion_hmac,omitempty"`
	PromptText     string `json:"prompt_text,omitempty"`
	CompletionText string `json:"completion_text,omitempty"`

	// Admin actions.
	Actor  string `json:"actor,omitempty"`
	Action string `json:"action,omitempty"` // key.create, key.revoke, key.quarantine, …
	Target string `json:"target,omitempty"`
	Reason string `json:"reason,omitempty"`

	// Raw content, never stored or serialized as is: Record turns it into
	// PromptHash/CompletionHash (always) and PromptText/CompletionText
	// (per the content mode: nothing when hashed, PromptRedacted when
	// redacted, Prompt when full; encrypted when a KEK is configured).
	// Callers may instead fill PromptText/CompletionText themselves with
	// the text to keep in redacted or full mode; hashed mode clears them.
	Prompt             string `json:"-"`
	Completion         string `json:"-"`
	PromptRedacted     string `json:"-"`
	CompletionRedacted string `json:"-"`

	// Seq is set by Record to the event's sequence number in the chain
	// once it is durable.
	Seq uint64 `json:"-"`
}

// ErrUnavailable means the event was not durably recorded by the required
// sinks: the request must be refused (503 audit_unavailable).
var ErrUnavailable = errors.New("audit: event not recorded")

// ErrNotRecorded is another name for ErrUnavailable.
var ErrNotRecorded = ErrUnavailable

// Recorder durably records events. Record returns only after the event is
// durable in at least one sink (group commit makes that cheap); an error
// means the request must not be served (503 audit_unavailable).
type Recorder interface {
	Record(ctx context.Context, e *Event) error
}

// Discard is a Recorder that keeps nothing (audit disabled by config).
type Discard struct{}

// Record implements Recorder.
func (Discard) Record(context.Context, *Event) error { return nil }

// Starter is a Recorder that can commit an event while its caller goes on
// (*Log): Start queues it, Pending.Wait waits until it is durable.
type Starter interface {
	Recorder
	Start(ctx context.Context, e *Event) (*Pending, error)
}

var _ Starter = (*Log)(nil)
