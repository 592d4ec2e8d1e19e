// Package ratelimit admits requests against per-key, per-tenant and
// per-IP limits: reserve an estimate before forwarding, then settle with
// the real usage.
package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limits are the limits that apply to one subject (key, tenant or IP).
// Zero means unlimited.
type Limits struct {
	RPM           int64   `yaml:"rpm" json:"rpm,omitempty"`
	TPM           int64   `yaml:"tpm" json:"tpm,omitempty"`
	Concurrency   int64   `yaml:"concurrency" json:"concurrency,omitempty"`
	DailyTokens   int64   `yaml:"daily_tokens" json:"daily_tokens,omitempty"`
	MonthlyTokens int64   `yaml:"monthly_tokens" json:"monthly_tokens,omitempty"`
	DailyCost     float64 `yaml:"daily_cost" json:"daily_cost,omitempty"`
	MonthlyCost   float64 `yaml:"monthly_cost" json:"monthly_cost,omitempty"`
}

// Request describes one request to admit.
type Request struct {
	KeyID, Tenant, IP, Model string
	Key                      Limits // the key's own limits (from the key record)
	EstTokens                int64  // prompt estimate + max_tokens
}

// Denied is the error Reserve returns when a limit refuses the request.
type Denied struct {
	Code       string // rate_limit_exceeded | quota_exceeded
	Message    string
	RetryAfter time.Duration
	Status     Status
}

func (d *Denied) Error() string { return fmt.Sprintf("%s: %s", d.Code, d.Message) }

// Status feeds the x-ratelimit-* response headers. A negative Limit means
// no such limit applies (the header is left out).
type Status struct {
	LimitRequests, RemainingRequests int64
	ResetRequests                    time.Duration
	LimitTokens, RemainingTokens     int64
	ResetTokens                      time.Duration
}

// Reservation is an admitted request's hold on its limits.
type Reservation interface {
	Status() Status
	// Consume charges streamed tokens as they flow; an error (a *Denied)
	// means a budget ran out and the stream must end.
	Consume(ctx context.Context, tokens int64) error
	// Settle replaces the estimate with the real usage and releases the
	// concurrency slot. It is safe to call once; later calls do nothing.
	Settle(ctx context.Context, promptTokens, completionTokens int64)
}

// Limiter admits requests.
type Limiter interface {
	Reserve(ctx context.Context, r Request) (Reservation, error)
}
