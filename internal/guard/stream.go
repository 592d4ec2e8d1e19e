package guard

import (
	"context"
	"strings"
	"unicode/utf8"

	"rampart/internal/policy"
	"rampart/internal/scan"
)

// Stream checks one streamed completion text (one choice's content, or one
// tool call's arguments) as it arrives. Text is released only up to
// (written − holdback), never in the middle of a finding or of a possible
// placeholder, so what the caller receives is what a non-streamed check of
// the same text would produce for every scanner whose matches are shorter
// than the holdback.
type Stream struct {
	o    *Output
	ctx  context.Context
	hold int
	buf  strings.Builder // text received and not yet released
	// Decision accumulates every finding seen so far.
	Decision policy.Decision
	blocked  bool
}

// NewStream starts checking a streamed text.
func (o *Output) NewStream(ctx context.Context) *Stream {
	return &Stream{o: o, ctx: ctx, hold: o.holdback()}
}

// Write adds a delta and returns the text that may be released now. When
// the policy blocks, it returns blocked=true and the stream must end.
func (s *Stream) Write(delta string) (release string, blocked bool) {
	if s.blocked {
		return "", true
	}
	s.buf.WriteString(delta)
	if s.buf.Len() <= s.hold {
		return "", false
	}
	return s.flush(false)
}

// Close settles the held-back text at the end of the stream.
func (s *Stream) Close() (release string, blocked bool) {
	if s.blocked {
		return "", true
	}
	return s.flush(true)
}

// Pending is the number of bytes held back right now.
func (s *Stream) Pending() int { return s.buf.Len() }

func (s *Stream) flush(final bool) (string, bool) {
	text := s.buf.String()
	if text == "" {
		return "", false
	}
	t := &scan.Text{Direction: scan.Output, Context: s.o.Context, Segments: []scan.Segment{{Role: "assistant", Text: text}}}
	d := s.o.Policy.Scan(s.ctx, t)
	cut := len(text)
	if !final {
		cut = len(text) - s.hold
		// Never cut through a finding: a match that reaches past the cut
		// may still grow.
		for _, f := range d.Findings {
			if f.Span.Start < cut && f.Span.End > cut {
				cut = f.Span.Start
			}
		}
		// Never cut through a possible placeholder.
		if s.o.Vault.Len() > 0 {
			lo := max(0, cut-s.o.Vault.MaxPlaceholderLen())
			if i := strings.LastIndexByte(text[lo:cut], '<'); i >= 0 && !strings.Contains(text[lo+i:cut], ">") {
				cut = lo + i
			}
		}
		for cut > 0 && cut < len(text) && !utf8.RuneStart(text[cut]) {
			cut--
		}
	}
	// Only findings inside the released part count now; the rest will be
	// seen again with more context.
	var settled []policy.Decided
	for _, f := range d.Findings {
		if final || f.Span.End <= cut {
			settled = append(settled, f)
		}
	}
	d.Findings = settled
	d.Action, d.Enforced = policy.Allow, policy.Allow
	for _, f := range settled {
		d.Action = max(d.Action, f.Action)
	}
	if len(d.Failures) > 0 {
		d.Action = max(d.Action, s.o.Policy.OnScannerError)
	}
	d.Enforced = d.Action
	if d.Shadow {
		d.Enforced = policy.Allow
	}
	s.merge(&d)
	if d.Enforced == policy.Block {
		s.blocked = true
		return "", true
	}
	if cut <= 0 {
		return "", false
	}
	part := &scan.Text{Direction: scan.Output, Segments: []scan.Segment{{Text: text[:cut]}}}
	out := text[:cut]
	if d.Enforced == policy.Redact || d.Enforced == policy.Pseudonymize {
		if rw := Rewrite(part, &d, nil); rw != nil {
			out = rw[0]
		}
	}
	out = s.o.Vault.Restore(out)
	rest := text[cut:]
	s.buf.Reset()
	s.buf.WriteString(rest)
	return out, false
}

func (s *Stream) merge(d *policy.Decision) {
	s.Decision.Findings = append(s.Decision.Findings, d.Findings...)
	s.Decision.Failures = append(s.Decision.Failures, d.Failures...)
	s.Decision.Action = max(s.Decision.Action, d.Action)
	s.Decision.Enforced = max(s.Decision.Enforced, d.Enforced)
	s.Decision.Shadow = d.Shadow
}
