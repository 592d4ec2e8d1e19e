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
// a view whose text equals one already scored is not scored again. In all
// but the base64 and hex views, encoded runs that a base64 or hex view of
// the segment holds decoded are masked (see maskDecoded).
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
		text := v.Text
		if v.Kind != "base64" && v.Kind != "hex" {
			var ok bool
			if text, ok = maskDecoded(t, v); !ok {
				continue
			}
		}
		r := s.m.Score(text)
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

// minMasked is the shortest encoded run maskDecoded masks (the shortest
// one the normalizer decodes as base64 or contiguous hex).
const minMasked = 16

// b64Byte marks the bytes of base64 (standard and URL alphabets, with
// padding) and hex runs.
var b64Byte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '-' || c == '_' || c == '='
	}
	return t
}()

// maskDecoded returns the text of v (raw, normalized, rot13, …) with every
// maximal run of base64 or hex characters that a decoded view of its
// segment holds replaced by spaces (the same length, so offsets and spans
// are unchanged). An opaque blob is not prose: scored as text its random
// letters and digits read like adversarial debris, and a benign file
// pasted as base64 would be blocked; its decoded content is scored through
// the decoded view instead. ok is false when nothing but masked runs and
// separators is left: then the decoded views say everything.
func maskDecoded(t *scan.Text, v *scan.View) (_ string, ok bool) {
	text := v.Text
	var dec []*scan.View
	for i := range t.Views {
		w := &t.Views[i]
		if w.Segment == v.Segment && (w.Kind == "base64" || w.Kind == "hex") && len(w.Offsets) > 0 {
			dec = append(dec, w)
		}
	}
	if len(dec) == 0 {
		return text, true
	}
	orig := t.Segments[v.Segment].Text
	var buf []byte
	for i := 0; i < len(text); {
		if !b64Byte[text[i]] {
			i++
			continue
		}
		j := i
		for j < len(text) && b64Byte[text[j]] {
			j++
		}
		if j-i >= minMasked {
			// The run's place in the segment (the views that keep it
			// map its ASCII bytes one to one).
			s, e := i, j
			if v.Offsets != nil {
				s, e = int(v.Offsets[i]), int(v.Offsets[j-1])+1
			}
			if e-s == j-i && s >= 0 && e <= len(orig) && decodedIn(dec, s, e) {
				if buf == nil {
					buf = []byte(text)
				}
				for k := i; k < j; k++ {
					buf[k] = ' '
				}
			}
		}
		i = j
	}
	if buf == nil {
		return text, true
	}
	for _, c := range buf {
		if c >= 0x80 || b64Byte[c] && c != '=' {
			return string(buf), true
		}
	}
	return "", false
}

// decodedIn reports whether one of the decoded views has a byte that comes
// from the segment's bytes [s, e).
func decodedIn(dec []*scan.View, s, e int) bool {
	for _, w := range dec {
		// Offsets are non-decreasing: find the first one ≥ s.
		o := w.Offsets[:len(w.Offsets)-1]
		k, _ := slices.BinarySearch(o, int32(s))
		if k < len(o) && int(o[k]) < e {
			return true
		}
	}
	return false
}
