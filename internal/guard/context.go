package guard

import (
	"slices"

	"rampart/internal/policy"
	"rampart/internal/scan"
)

// Canarier is implemented by the canary scanner: when the policy asks for
// a canary to be injected, Canary returns a fresh random token and the
// instruction text that carries it into the system prompt.
type Canarier interface {
	Canary() (token, instruction string, ok bool)
}

// NewContext builds the output-scan context of an exchange and, when the
// policy's canary scanner is set to inject, the text to add to the system
// prompt (the gateway adds it as a system message). responseFormat is the
// request's response_format JSON, if any.
func NewContext(p *policy.Policy, systemPrompts []string, responseFormat []byte) (c *scan.Context, systemAddition string) {
	c = &scan.Context{System: slices.Clone(systemPrompts)}
	if len(responseFormat) > 0 {
		c.ResponseFormat = slices.Clone(responseFormat)
	}
	if p == nil {
		return c, ""
	}
	for _, s := range p.Pipeline(scan.Output).Scanners {
		if cn, ok := s.(Canarier); ok {
			if tok, instr, ok := cn.Canary(); ok {
				c.Canary = tok
				return c, instr
			}
		}
	}
	return c, ""
}
