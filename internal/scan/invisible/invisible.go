// Package invisible reports INVISIBLE_TEXT when characters that render as
// nothing carry text: Unicode tag characters spelling ASCII, long runs of
// zero-width characters (binary encodings), bidi overrides that reorder
// what is shown, and variation selectors smuggling bytes. Legitimate uses
// pass: emoji ZWJ sequences, subdivision-flag tag sequences, ZWNJ in
// Persian and other scripts, a leading BOM, soft hyphens inside words.
package invisible

import (
	"context"
	"unicode"
	"unicode/utf8"

	"rampart/internal/normalize"
	"rampart/internal/scan"
)

// Settings tune the scanner.
type Settings struct {
	// ZeroWidthRun is the number of consecutive zero-width characters
	// that counts as hidden data (default 4).
	ZeroWidthRun int `yaml:"zero_width_run"`
}

func init() {
	scan.Register(scan.Spec{
		Name:    "invisible",
		Doc:     "Reports hidden text carried by tag characters, zero-width runs, bidi overrides and variation selectors.",
		Input:   true,
		Output:  true,
		Default: true,
		New: func(dec scan.Decoder) (scan.Scanner, error) {
			s := Settings{ZeroWidthRun: 4}
			if err := dec(&s); err != nil {
				return nil, err
			}
			if s.ZeroWidthRun < 2 {
				s.ZeroWidthRun = 2
			}
			return &Scanner{run: s.ZeroWidthRun}, nil
		},
	})
}

// Scanner is the invisible-text scanner.
type Scanner struct{ run int }

// New returns a scanner with default settings.
func New() *Scanner { return &Scanner{run: 4} }

func (s *Scanner) Name() string { return "invisible" }

func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	var out []scan.Finding
	for i, seg := range t.Segments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = s.segment(i, seg.Text, out)
	}
	return out, nil
}

func isZeroWidth(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x00AD, 0x034F:
		return true
	}
	return false
}

func (s *Scanner) segment(seg int, text string, out []scan.Finding) []scan.Finding {
	ascii := true
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return out
	}
	add := func(rule string, start, end int, score float64) {
		out = append(out, scan.Finding{Type: scan.InvisibleText, Rule: rule, Span: scan.Span{Segment: seg, Start: start, End: end}, Score: score})
	}
	first, last, zwRun := -1, -1, false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case normalize.Tag(r):
			end, flag := normalize.FlagTagSequence(text, i)
			if !flag {
				add("tag-characters", i, end, 1)
			}
			i = end
			continue
		case normalize.VariationSelector(r):
			j, n := i, 0
			for j < len(text) {
				r2, sz := utf8.DecodeRuneInString(text[j:])
				if !normalize.VariationSelector(r2) {
					break
				}
				j += sz
				n++
			}
			// One selector after a base character is ordinary (emoji
			// presentation, CJK variants); a run encodes data.
			if n >= 3 {
				add("variation-selectors", i, j, 1)
			}
			i = j
			continue
		case isZeroWidth(r):
			j, n, joiners := i, 0, 0
			for j < len(text) {
				r2, sz := utf8.DecodeRuneInString(text[j:])
				if !isZeroWidth(r2) {
					break
				}
				if r2 == 0x200D || r2 == 0x200C {
					joiners++
				}
				j += sz
				n++
			}
			if n >= s.run && !(n == joiners && n <= 2) {
				add("zero-width-run", i, j, 1)
				zwRun = true
			}
			if first < 0 {
				first = i
			}
			last = j
			i = j
			continue
		case r == 0x202E || r == 0x202D:
			// Overrides reorder the characters that follow; in prose they
			// serve to display something other than what is sent.
			end := len(text)
			for k := i + size; k < len(text); {
				r2, sz := utf8.DecodeRuneInString(text[k:])
				if r2 == 0x202C || r2 == '\n' {
					end = k + sz
					break
				}
				k += sz
			}
			if hasLetters(text[i+size : end]) {
				add("bidi-override", i, end, 0.9)
			}
			i = end
			continue
		}
		i += size
	}
	if first >= 0 && !zwRun && spreadHidden(text) {
		add("zero-width-encoding", first, last, 0.8)
	}
	return out
}

// spreadHidden reports whether zero-width characters are spread through
// the text in numbers that only an encoding explains (≥ 16 outside emoji
// and joining scripts).
func spreadHidden(text string) bool {
	n := 0
	var prev rune
	for _, r := range text {
		if isZeroWidth(r) && r != 0xFEFF && r != 0x00AD {
			if !(r == 0x200D && isEmoji(prev)) && !(r == 0x200C && joining(prev)) {
				n++
			}
		}
		prev = r
	}
	return n >= 16
}

func isEmoji(r rune) bool {
	return r >= 0x1F000 || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F
}

func joining(r rune) bool {
	return unicode.In(r, unicode.Arabic, unicode.Syriac, unicode.Devanagari, unicode.Bengali, unicode.Malayalam, unicode.Kannada, unicode.Telugu, unicode.Tamil)
}

func hasLetters(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
