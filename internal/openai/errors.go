// Package openai holds the OpenAI-compatible wire format: request bodies
// as scannable segments and back, the error shape, and the SSE codec.
package openai

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Error is an API error in OpenAI's shape:
// {"error":{"message":"…","type":"…","code":"…"}}.
type Error struct {
	Status  int    `json:"-"`
	Message string `json:"message"`
	Type    string `json:"type"`
	Param   any    `json:"param"`
	Code    string `json:"code"`
	// RetryAfter, in seconds, is sent as the Retry-After header when > 0.
	RetryAfter int `json:"-"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Body returns the JSON error body.
func (e *Error) Body() []byte {
	b, _ := json.Marshal(struct {
		Error *Error `json:"error"`
	}{e})
	return b
}

// Errorf builds an Error with a type derived from the status.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Type: typeFor(status), Message: fmt.Sprintf(format, args...)}
}

func typeFor(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "invalid_request_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status == http.StatusRequestEntityTooLarge || status == http.StatusBadRequest:
		return "invalid_request_error"
	case status == http.StatusServiceUnavailable:
		return "service_unavailable"
	case status >= 500:
		return "api_error"
	}
	return "invalid_request_error"
}

// Codes named by CONTRACT.md.
const (
	CodeInvalidAPIKey    = "invalid_api_key"
	CodeModelNotAllowed  = "model_not_allowed"
	CodeModelNotFound    = "model_not_found"
	CodeInvalidRequest   = "invalid_request"
	CodeTooLarge         = "request_too_large"
	CodePolicyViolation  = "content_policy_violation"
	CodeRateLimited      = "rate_limit_exceeded"
	CodeQuotaExceeded    = "quota_exceeded"
	CodeUpstreamError    = "upstream_error"
	CodeUpstreamTimeout  = "upstream_timeout"
	CodeAuditUnavailable = "audit_unavailable"
	CodeInternal         = "internal_error"
)
