package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"rampart/internal/openai"
)

// ErrUnknownModel is returned by Forward when no route serves the model.
// The gateway answers 404 model_not_found.
var ErrUnknownModel = errors.New("proxy: unknown model")

// ErrStreamIdle is returned by a streamed response body's Read when the
// upstream sent nothing for the upstream's stream idle timeout.
var ErrStreamIdle = errors.New("proxy: upstream stream idle timeout")

// Error is an upstream failure: every candidate failed before a response
// head could be returned. Err and Status describe the last attempt.
//
// The message of Error is for logs. Clients get ClientMessage, which never
// carries the upstream's own error text, address or credentials.
type Error struct {
	Upstream string // name of the last upstream tried ("" if none was tried)
	Timeout  bool   // the last attempt timed out (connect, headers or overall)
	Status   int    // the last attempt's 5xx status, or 0 for a transport error
	Err      error  // the last attempt's transport error, if any
	Attempts int    // how many upstreams were tried
}

func (e *Error) Error() string {
	switch {
	case e.Status != 0:
		return fmt.Sprintf("upstream %s: status %d after %d attempt(s)", e.Upstream, e.Status, e.Attempts)
	case e.Err != nil:
		return fmt.Sprintf("upstream %s: %v (after %d attempt(s))", e.Upstream, e.Err, e.Attempts)
	}
	return fmt.Sprintf("upstream %s: failed after %d attempt(s)", e.Upstream, e.Attempts)
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the gateway answers with: 504 for a timeout,
// otherwise 502.
func (e *Error) HTTPStatus() int {
	if e.Timeout {
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

// Code is the OpenAI error code for the client answer.
func (e *Error) Code() string {
	if e.Timeout {
		return openai.CodeUpstreamTimeout
	}
	return openai.CodeUpstreamError
}

// ClientMessage is a safe summary for the client.
func (e *Error) ClientMessage() string {
	switch {
	case e.Timeout:
		return "the upstream model server did not answer in time"
	case e.Status != 0:
		return fmt.Sprintf("the upstream model server failed (status %d)", e.Status)
	}
	return "the upstream model server could not be reached"
}

// OpenAI returns the error in OpenAI's shape, ready for the gateway to write.
func (e *Error) OpenAI() *openai.Error {
	return openai.Errorf(e.HTTPStatus(), e.Code(), "%s", e.ClientMessage())
}

// IsTimeout reports whether err (as passed to Options.Observe or wrapped
// in an *Error) is a timeout: connect, TLS handshake, response header,
// overall or stream idle.
func IsTimeout(err error) bool { return isTimeout(err) }

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrStreamIdle) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
