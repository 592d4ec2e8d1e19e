// Package size limits prompt size: a byte cap and a token cap counted the
// way OpenAI's tokenizers count (cl100k_base / o200k_base), offline.
package size

import (
	"context"
	"fmt"

	"rampart/internal/config"
	"rampart/internal/scan"
	"rampart/internal/tokens"
)

func init() {
	scan.Register(scan.Spec{
		Name:    "size",
		Doc:     "Reports TOKEN_LIMIT when a prompt has more tokens (tiktoken-compatible count) or bytes than the policy allows.",
		Input:   true,
		Default: true,
		New:     New,
	})
}

// Settings of the size scanner.
type Settings struct {
	MaxInputTokens int64       `yaml:"max_input_tokens"` // 0 = no token cap
	MaxInputBytes  config.Size `yaml:"max_input_bytes"`  // 0 = no byte cap (the body limit still applies)
	Encoding       string      `yaml:"encoding"`         // auto (by model) | cl100k_base | o200k_base
}

// New builds the scanner from its settings.
func New(dec scan.Decoder) (scan.Scanner, error) {
	s := Settings{MaxInputTokens: 128_000, Encoding: "auto"}
	if err := dec(&s); err != nil {
		return nil, err
	}
	var ps config.Problems
	if s.MaxInputTokens < 0 {
		ps = append(ps, config.Problem{Path: "max_input_tokens", Msg: "must not be negative"})
	}
	if s.MaxInputBytes < 0 {
		ps = append(ps, config.Problem{Path: "max_input_bytes", Msg: "must not be negative"})
	}
	switch s.Encoding {
	case "auto", string(tokens.Cl100k), string(tokens.O200k):
	default:
		ps = append(ps, config.Problem{Path: "encoding", Msg: fmt.Sprintf("unknown encoding %q (known: auto, cl100k_base, o200k_base)", s.Encoding)})
	}
	if ps != nil {
		return nil, ps
	}
	return &scanner{s: s}, nil
}

type scanner struct{ s Settings }

func (*scanner) Name() string { return "size" }

// Scan counts tokens only when the byte length could exceed the cap: a
// token is at least one byte, so text no longer than the cap in bytes is
// within it in tokens, and the common case costs nothing.
func (sc *scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	total := t.Len()
	whole := func(rule string) []scan.Finding {
		last := max(0, len(t.Segments)-1)
		end := 0
		if len(t.Segments) > 0 {
			end = len(t.Segments[last].Text)
		}
		return []scan.Finding{{Type: scan.TokenLimit, Rule: rule, Span: scan.Span{Segment: last, Start: 0, End: end}, Score: 1, Whole: true}}
	}
	if sc.s.MaxInputBytes > 0 && int64(total) > int64(sc.s.MaxInputBytes) {
		return whole("max_input_bytes"), nil
	}
	limit := sc.s.MaxInputTokens
	if limit == 0 || int64(total) <= limit {
		return nil, nil
	}
	enc := tokens.Encoding(sc.s.Encoding)
	if sc.s.Encoding == "auto" {
		enc = tokens.ForModel(t.Model)
	}
	var n int64
	for _, seg := range t.Segments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := tokens.Count(enc, seg.Text)
		if err != nil {
			return nil, err
		}
		n += int64(c)
		if n > limit {
			return whole("max_input_tokens"), nil
		}
	}
	return nil, nil
}
