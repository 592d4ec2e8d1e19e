// Package ratelimit admits requests against per-key, per-tenant and
// per-IP limits: reserve an estimate before forwarding, then settle with
// the real usage.
//
// Two backends sit behind the Limiter interface: an in-memory one for a
// single node and a Redis one (one atomic Lua script per decision) for
// several replicas sharing the same limits. New picks one. See
// docs/limits.md for the semantics.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
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

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool { return l == Limits{} }

// Merge returns l with every zero field taken from def: a key record's
// own rpm/tpm override the configured key defaults field by field.
func (l Limits) Merge(def Limits) Limits {
	pick := func(a, b int64) int64 {
		if a != 0 {
			return a
		}
		return b
	}
	pickf := func(a, b float64) float64 {
		if a != 0 {
			return a
		}
		return b
	}
	return Limits{
		RPM:           pick(l.RPM, def.RPM),
		TPM:           pick(l.TPM, def.TPM),
		Concurrency:   pick(l.Concurrency, def.Concurrency),
		DailyTokens:   pick(l.DailyTokens, def.DailyTokens),
		MonthlyTokens: pick(l.MonthlyTokens, def.MonthlyTokens),
		DailyCost:     pickf(l.DailyCost, def.DailyCost),
		MonthlyCost:   pickf(l.MonthlyCost, def.MonthlyCost),
	}
}

// Request describes one request to admit.
type Request struct {
	KeyID, Tenant, IP, Model string
	Key                      Limits // the key's own limits (from the key record); zero fields fall back to the config's key defaults
	EstTokens                int64  // prompt estimate + max_tokens
	// MaxTokens is the part of EstTokens reserved for the completion
	// (the request's max_tokens, or the default the gateway assumed).
	// It prices the estimate (output tokens cost more) and lets Consume
	// count streamed completion tokens against it. Zero: EstTokens is
	// all prompt.
	MaxTokens int64
}

// Error codes carried by Denied.Code, the same as OpenAI's.
const (
	CodeRateLimit = "rate_limit_exceeded" // rpm, tpm, concurrency; also Redis unreachable with on_redis_error: closed
	CodeQuota     = "quota_exceeded"      // daily/monthly token and cost budgets
)

// ErrUnavailable is wrapped by the Denied returned when the shared store
// (Redis) cannot be reached and on_redis_error is "closed":
// errors.Is(err, ErrUnavailable) tells it apart from a real limit.
var ErrUnavailable = errors.New("rate limit store unavailable")

// Denied is the error Reserve returns when a limit refuses the request.
// The gateway answers 429 with Code, Message and a Retry-After header
// (Denied.SetHeaders).
type Denied struct {
	Code       string // rate_limit_exceeded | quota_exceeded
	Message    string
	RetryAfter time.Duration
	Status     Status
	// Dimension names the limit that refused: rpm, tpm, concurrency,
	// daily_tokens, monthly_tokens, daily_cost, monthly_cost or store.
	Dimension string
	// Scope is the subject whose limit refused: key, tenant or ip.
	Scope string
	// Err is ErrUnavailable when the store could not be reached.
	Err error
}

func (d *Denied) Error() string { return fmt.Sprintf("%s: %s", d.Code, d.Message) }

// Unwrap returns Err (ErrUnavailable or nil).
func (d *Denied) Unwrap() error { return d.Err }

// RetryAfterSeconds is the Retry-After value: whole seconds, rounded up,
// at least 1.
func (d *Denied) RetryAfterSeconds() int64 {
	s := int64(math.Ceil(d.RetryAfter.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}

// SetHeaders sets Retry-After and the x-ratelimit-* headers of a 429.
func (d *Denied) SetHeaders(h http.Header) {
	d.Status.SetHeaders(h)
	h.Set("Retry-After", strconv.FormatInt(d.RetryAfterSeconds(), 10))
}

// Status feeds the x-ratelimit-* response headers. A negative Limit means
// no such limit applies (the header is left out).
type Status struct {
	LimitRequests, RemainingRequests int64
	ResetRequests                    time.Duration
	LimitTokens, RemainingTokens     int64
	ResetTokens                      time.Duration
}

// NoStatus is the Status of a request no rpm or tpm limit applies to.
var NoStatus = Status{LimitRequests: -1, LimitTokens: -1}

// SetHeaders sets x-ratelimit-limit-requests, -remaining-requests,
// -reset-requests and the -tokens variants, as OpenAI does; a dimension
// with a negative Limit is left out (and its headers deleted).
func (s Status) SetHeaders(h http.Header) {
	// One buffer holds every value and one slice every header's value
	// list, so a response pays a few allocations instead of one per
	// header name, value and list.
	var buf [96]byte
	b := buf[:0]
	var ends [6]int
	var have [2]bool
	for i, l := range [2]struct {
		limit, remaining int64
		reset            time.Duration
	}{{s.LimitRequests, s.RemainingRequests, s.ResetRequests}, {s.LimitTokens, s.RemainingTokens, s.ResetTokens}} {
		if l.limit < 0 {
			continue
		}
		have[i] = true
		b = strconv.AppendInt(b, l.limit, 10)
		ends[3*i] = len(b)
		b = strconv.AppendInt(b, max(l.remaining, 0), 10)
		ends[3*i+1] = len(b)
		b = appendReset(b, l.reset)
		ends[3*i+2] = len(b)
	}
	all := string(b)
	vals := make([]string, 6)
	start := 0
	for i, ok := range have {
		for k := 3 * i; k < 3*i+3; k++ {
			if !ok {
				delete(h, headerNames[k])
				continue
			}
			vals[k] = all[start:ends[k]]
			start = ends[k]
			h[headerNames[k]] = vals[k : k+1 : k+1]
		}
	}
}

// headerNames are the rate-limit headers in canonical form, in the order
// limit, remaining, reset for requests, then for tokens.
var headerNames = [6]string{
	"X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests",
	"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens",
}

// appendReset appends FormatReset(d) to b; the common zero delay costs
// no allocation.
func appendReset(b []byte, d time.Duration) []byte {
	if d <= 0 {
		return append(b, "0s"...)
	}
	return append(b, FormatReset(d)...)
}

// FormatReset formats a reset delay like OpenAI: "0s", "20ms", "1s",
// "1.5s", "6m0s". Delays under a second keep milliseconds (rounded up),
// longer ones keep tenths of a second under a minute and whole seconds above.
func FormatReset(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Second:
		return ((d + time.Millisecond - 1) / time.Millisecond * time.Millisecond).String()
	case d < time.Minute:
		return ((d + 100*time.Millisecond - 1) / (100 * time.Millisecond) * (100 * time.Millisecond)).String()
	default:
		return ((d + time.Second - 1) / time.Second * time.Second).String()
	}
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
