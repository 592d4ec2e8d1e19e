package ratelimit

import (
	"errors"
	"fmt"

	"rampart/internal/config"
)

// Caps bound the request parameters that help invert or extract a model
// (many samples, long outputs, log probabilities). Zero means no cap.
type Caps struct {
	// Mode is "refuse" (default: 400 invalid_request naming the cap) or
	// "clamp" (lower the value to the cap and forward).
	Mode string `yaml:"mode"`
	// N caps the number of choices.
	N int64 `yaml:"n"`
	// MaxTokens caps max_tokens and max_completion_tokens. A request that
	// sets neither gets max_tokens = MaxTokens in both modes.
	MaxTokens int64 `yaml:"max_tokens"`
	// TopLogprobs caps top_logprobs.
	TopLogprobs int64 `yaml:"top_logprobs"`
	// DenyLogprobs forbids logprobs (and so top_logprobs) altogether.
	DenyLogprobs bool `yaml:"deny_logprobs"`
}

// Cap modes.
const (
	CapRefuse = "refuse"
	CapClamp  = "clamp"
)

// Params are the capped fields of a request. Zero means absent.
type Params struct {
	N                   int64
	MaxTokens           int64
	MaxCompletionTokens int64
	Logprobs            bool
	TopLogprobs         int64
}

// ErrCapExceeded is matched (errors.Is) by every CapError.
var ErrCapExceeded = errors.New("request exceeds a policy cap")

// CapError is a refused parameter; its message is safe to show the
// client (400 invalid_request).
type CapError struct {
	Param string // n, max_tokens, max_completion_tokens, logprobs, top_logprobs
	Cap   int64
	Got   int64
}

func (e *CapError) Error() string {
	if e.Param == "logprobs" {
		return "logprobs is not allowed for this key"
	}
	return fmt.Sprintf("%s=%d exceeds the maximum of %d allowed for this key", e.Param, e.Got, e.Cap)
}

// Is makes errors.Is(err, ErrCapExceeded) true.
func (e *CapError) Is(target error) bool { return target == ErrCapExceeded }

// Apply checks p against the caps. In refuse mode it returns the first
// violation as a *CapError and leaves p alone (except filling in an
// absent max_tokens); in clamp mode it lowers p to the caps. changed
// reports whether p was modified.
func (c Caps) Apply(p *Params) (changed bool, err error) {
	clamp := c.Mode == CapClamp
	var errs []error
	limit := func(name string, v *int64, cap int64) {
		if cap <= 0 || *v <= cap {
			return
		}
		if clamp {
			*v, changed = cap, true
			return
		}
		errs = append(errs, &CapError{Param: name, Cap: cap, Got: *v})
	}
	limit("n", &p.N, c.N)
	limit("max_tokens", &p.MaxTokens, c.MaxTokens)
	limit("max_completion_tokens", &p.MaxCompletionTokens, c.MaxTokens)
	if c.DenyLogprobs && (p.Logprobs || p.TopLogprobs > 0) {
		if clamp {
			p.Logprobs, p.TopLogprobs, changed = false, 0, true
		} else {
			errs = append(errs, &CapError{Param: "logprobs"})
		}
	} else {
		limit("top_logprobs", &p.TopLogprobs, c.TopLogprobs)
	}
	if len(errs) > 0 {
		return false, errs[0]
	}
	if c.MaxTokens > 0 && p.MaxTokens <= 0 && p.MaxCompletionTokens <= 0 {
		p.MaxTokens, changed = c.MaxTokens, true
	}
	return changed, nil
}

func (c Caps) validate(ch *config.Checker) {
	switch c.Mode {
	case "", CapRefuse, CapClamp:
	default:
		ch.Field("mode").Failf("must be %q or %q, got %q", CapRefuse, CapClamp, c.Mode)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"n", c.N}, {"max_tokens", c.MaxTokens}, {"top_logprobs", c.TopLogprobs}} {
		if f.v < 0 {
			ch.Field(f.name).Failf("must be ≥ 0 (0 means no cap), got %d", f.v)
		}
	}
	if c.TopLogprobs > 20 {
		ch.Field("top_logprobs").Failf("must be at most 20 (OpenAI's own maximum), got %d", c.TopLogprobs)
	}
}
