// Package guard runs the policy's scanners over prompts and completions
// and turns decisions into rewritten text: masks, placeholders and the
// restoration of placeholders in answers. Streams are checked with a
// holdback window so that text reaches the caller only once no scanner can
// still extend a match over it. No net/http here.
package guard

import (
	"context"
	"sync"

	"rampart/internal/policy"
	"rampart/internal/redact"
	"rampart/internal/scan"
)

// PromptResult is the outcome of checking a prompt.
type PromptResult struct {
	Decision policy.Decision
	// Rewrites holds the new text of every segment that changed
	// (redaction or pseudonymization), by segment index.
	Rewrites map[int]string
	// Vault maps this request's placeholders to their values.
	Vault *redact.Vault
}

// CheckPrompt scans a prompt and computes its rewrites.
func CheckPrompt(ctx context.Context, p *policy.Policy, t *scan.Text) *PromptResult {
	t.Direction = scan.Input
	d := p.Scan(ctx, t)
	res := &PromptResult{Decision: d}
	if d.Enforced == policy.Redact || d.Enforced == policy.Pseudonymize {
		res.Vault = redact.NewVault()
		res.Rewrites = Rewrite(t, &d, res.Vault)
	}
	return res
}

// Rewrite returns the new text of each segment that the decision's redact
// and pseudonymize findings change. Whole-segment findings (classifier
// scores) are never masked.
func Rewrite(t *scan.Text, d *policy.Decision, v *redact.Vault) map[int]string {
	var edits map[int][]redact.Edit
	for _, f := range d.Findings {
		if f.Whole || (f.Action != policy.Redact && f.Action != policy.Pseudonymize) {
			continue
		}
		if edits == nil {
			edits = map[int][]redact.Edit{}
		}
		pseudo := f.Action == policy.Pseudonymize && v != nil && t.Direction == scan.Input
		edits[f.Span.Segment] = append(edits[f.Span.Segment], redact.Edit{Start: f.Span.Start, End: f.Span.End, Type: f.Type, Pseudo: pseudo})
	}
	if edits == nil {
		return nil
	}
	out := make(map[int]string, len(edits))
	for seg, es := range edits {
		if seg < 0 || seg >= len(t.Segments) {
			continue
		}
		out[seg] = redact.Apply(t.Segments[seg].Text, es, v)
	}
	return out
}

// Output checks one exchange's completion: the policy, the request's
// pseudonym vault (for restoration) and what output scanners need to know
// about the request. An Output is safe for concurrent use once built; its
// zero-valued internal fields are filled on first use.
type Output struct {
	Policy  *policy.Policy
	Vault   *redact.Vault
	Context *scan.Context

	once sync.Once
	sc   *scanners
}

// Check scans a whole (non-streamed) completion. It returns the decision
// and the final text of every segment: rewritten where the policy redacts
// (URLs neutralized by their scanner's replacement, other spans masked),
// with this request's placeholders restored.
func (o *Output) Check(ctx context.Context, t *scan.Text) (policy.Decision, []string) {
	t.Direction = scan.Output
	t.Context = o.Context
	d := o.Policy.Scan(ctx, t)
	out := make([]string, len(t.Segments))
	for i, s := range t.Segments {
		out[i] = o.Rewrite(s.Text, &d, i)
	}
	return d, out
}
