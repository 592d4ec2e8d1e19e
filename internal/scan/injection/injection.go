// Package injection is the prompt-injection and jailbreak scanner. It
// scores every segment of every role (tool results and documents too), in
// its normalized and decoded views, with the embedded detector model
// (see internal/detector and MODEL_CARD.md) and reports PROMPT_INJECTION or
// JAILBREAK with a calibrated score. The policy's threshold decides.
package injection

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"sync"

	"rampart/internal/detector"
	"rampart/internal/scan"
)

//go:embed model.bin
var modelBin []byte

var (
	loadOnce sync.Once
	model    *detector.Model
	loadErr  error
)

// Model returns the embedded detector model.
func Model() (*detector.Model, error) {
	loadOnce.Do(func() { model, loadErr = detector.Decode(modelBin) })
	return model, loadErr
}

// Settings are the scanner's policy settings.
type Settings struct {
	// MinScore drops findings scored below it (the policy threshold still
	// decides the action). Default 0.05, so near-zero scores stay quiet.
	MinScore float64 `yaml:"min_score"`
}

func init() {
	scan.Register(scan.Spec{
		Name:    "injection",
		Doc:     "Scores prompt injection and jailbreak attempts in every segment and decoded view with an embedded multilingual model.",
		Input:   true,
		Default: true,
		New: func(dec scan.Decoder) (scan.Scanner, error) {
			s := Settings{MinScore: 0.05}
			if err := dec(&s); err != nil {
				return nil, err
			}
			if s.MinScore < 0 || s.MinScore > 1 {
				return nil, fmt.Errorf("min_score must be within [0, 1]")
			}
			m, err := Model()
			if err != nil {
				return nil, err
			}
			return &Scanner{m: m, min: s.MinScore}, nil
		},
	})
}

// Scanner is the injection scanner.
type Scanner struct {
	m   *detector.Model
	min float64
}

// New returns a scanner over the embedded model.
func New() (*Scanner, error) {
	m, err := Model()
	if err != nil {
		return nil, err
	}
	return &Scanner{m: m, min: 0.05}, nil
}

func (s *Scanner) Name() string { return "injection" }

// Scan reports at most one finding per segment: the best-scoring view
// and window. A raw view is skipped when a normalized view of the same
// segment exists (the normalized one carries the same words, folded), and
// a view whose text equals one already scored is not scored again.
func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	var out []scan.Finding
	for i := range t.Views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := &t.Views[i]
		if v.Kind == "raw" && hasNormalized(t.Views, v.Segment) || seen(t.Views, i) {
			continue
		}
		r := s.m.Score(v.Text)
		if r.Score < s.min {
			continue
		}
		k := slices.IndexFunc(out, func(f scan.Finding) bool { return f.Span.Segment == v.Segment })
		if k >= 0 && out[k].Score >= r.Score {
			continue
		}
		typ, rule := scan.PromptInjection, "injection"
		if r.Jailbreak >= 0.5 {
			typ, rule = scan.Jailbreak, "jailbreak"
		}
		if v.Kind != "raw" && v.Kind != "normalized" {
			rule += "/" + v.Kind
		}
		f := scan.Finding{Type: typ, Rule: rule, Span: v.Span(r.Start, r.End), Score: r.Score, Whole: true}
		if k >= 0 {
			out[k] = f
		} else {
			out = append(out, f)
		}
	}
	scan.SortFindings(out)
	return out, nil
}

func hasNormalized(vs []scan.View, seg int) bool {
	for i := range vs {
		if vs[i].Segment == seg && vs[i].Kind == "normalized" {
			return true
		}
	}
	return false
}

// seen reports whether a view before vs[i] of the same segment, one that
// was scored, has the same text.
func seen(vs []scan.View, i int) bool {
	v := &vs[i]
	for j := range vs[:i] {
		w := &vs[j]
		if w.Segment == v.Segment && len(w.Text) == len(v.Text) && w.Text == v.Text &&
			!(w.Kind == "raw" && hasNormalized(vs, w.Segment)) {
			return true
		}
	}
	return false
}
