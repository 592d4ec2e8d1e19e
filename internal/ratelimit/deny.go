package ratelimit

import (
	"fmt"
	"time"
)

// Dimension names used in Denied.Dimension.
const (
	dimRPM     = "rpm"
	dimTPM     = "tpm"
	dimConc    = "concurrency"
	dimDayTok  = "daily_tokens"
	dimMonTok  = "monthly_tokens"
	dimDayCost = "daily_cost"
	dimMonCost = "monthly_cost"
)

// concurrencyRetry is the Retry-After of a request refused for
// concurrency: the time a slot frees is unknown.
const concurrencyRetry = time.Second

func newDenied(dim string, kind int, limit int64, retry time.Duration) *Denied {
	scope := kindNames[kind]
	d := &Denied{Code: CodeRateLimit, Dimension: dim, Scope: scope, RetryAfter: retry}
	switch dim {
	case dimRPM:
		d.Message = fmt.Sprintf("rate limit reached for requests: %s limit of %d requests per minute", scope, limit)
	case dimTPM:
		d.Message = fmt.Sprintf("rate limit reached for tokens: %s limit of %d tokens per minute", scope, limit)
	case dimConc:
		d.Message = fmt.Sprintf("too many concurrent requests: %s limit of %d", scope, limit)
	case dimDayTok:
		d.Code = CodeQuota
		d.Message = fmt.Sprintf("daily token budget exhausted: %s budget of %d tokens per UTC day", scope, limit)
	case dimMonTok:
		d.Code = CodeQuota
		d.Message = fmt.Sprintf("monthly token budget exhausted: %s budget of %d tokens per UTC month", scope, limit)
	case dimDayCost:
		d.Code = CodeQuota
		d.Message = fmt.Sprintf("daily cost budget exhausted: %s budget of %.2f per UTC day", scope, float64(limit)/nanoPerUnit)
	case dimMonCost:
		d.Code = CodeQuota
		d.Message = fmt.Sprintf("monthly cost budget exhausted: %s budget of %.2f per UTC month", scope, float64(limit)/nanoPerUnit)
	}
	if d.Code == CodeRateLimit {
		d.Message += fmt.Sprintf("; retry in %s", FormatReset(retry))
	}
	return d
}

// worse keeps the denial with the longest wait: that is when a retry can
// succeed.
func worse(a, b *Denied) *Denied {
	if a == nil || (b != nil && b.RetryAfter > a.RetryAfter) {
		return b
	}
	return a
}

func unavailable() *Denied {
	return &Denied{Code: CodeRateLimit, Dimension: "store", RetryAfter: time.Second, Status: NoStatus, Err: ErrUnavailable,
		Message: "rate limits cannot be checked right now; retry shortly"}
}

// statusAcc picks, per dimension, the subject with the least remaining.
type statusAcc struct{ s Status }

func newStatusAcc() statusAcc { return statusAcc{NoStatus} }

func (a *statusAcc) requests(limit, remaining int64, reset time.Duration) {
	if a.s.LimitRequests < 0 || remaining < a.s.RemainingRequests {
		a.s.LimitRequests, a.s.RemainingRequests, a.s.ResetRequests = limit, max(remaining, 0), max(reset, 0)
	}
}

func (a *statusAcc) tokens(limit, remaining int64, reset time.Duration) {
	if a.s.LimitTokens < 0 || remaining < a.s.RemainingTokens {
		a.s.LimitTokens, a.s.RemainingTokens, a.s.ResetTokens = limit, max(remaining, 0), max(reset, 0)
	}
}
