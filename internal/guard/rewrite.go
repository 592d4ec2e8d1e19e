package guard

import (
	"slices"
	"strings"
	"unicode/utf8"

	"rampart/internal/policy"
	"rampart/internal/redact"
	"rampart/internal/scan"
)

// Replacer is implemented by output scanners whose findings are rewritten
// with something other than a typed mask. The urls scanner, for example,
// reports the URL inside "![alt](URL)" and replaces it with nothing, so
// the caller gets "![alt]()" instead of "![alt]([URL_EXFILTRATION])".
// Replace receives the finding and the text it covers; ok=false falls back
// to the typed mask.
type Replacer interface {
	Replace(f scan.Finding, matched string) (replacement string, ok bool)
}

// Holdbacker is implemented by output scanners that know the longest
// match they can make; the stream holds back that many bytes.
type Holdbacker interface {
	Holdback() int
}

// StreamHoldbacker is implemented by output scanners whose longest
// possible match is much longer than their ordinary ones (a private-key
// block against an API key). StreamHoldback is the window the scanner
// needs for ordinary matches; the scanner must then also be a Pender that
// reports the long constructs still open, so they are held as a whole.
// Streams use StreamHoldback instead of Holdback.
type StreamHoldbacker interface {
	StreamHoldback() int
}

// Pender is implemented by output scanners that can see an unfinished
// construct at the end of a text (a markdown link whose URL is still
// arriving). Pending returns the byte offset from which the text must stay
// held, or len(text) when nothing is open. The stream honours it up to
// MaxHeld bytes.
type Pender interface {
	Pending(text string) int
}

// WholeTexter is implemented by output scanners that can only judge a
// complete answer (JSON schema validation). In streams they never run over
// windows; when WholeText reports that the request needs them, the stream
// keeps a copy of the answer (up to MaxWholeText bytes) and runs them once
// when the choice ends.
type WholeTexter interface {
	WholeText(c *scan.Context) bool
}

// DefaultHoldback is the holdback for scanners that do not declare one.
const DefaultHoldback = 256

// edit is one rewrite of an output span.
type edit struct {
	start, end int
	repl       string
}

// outputEdits turns the redact-level span findings of one segment into
// edits, asking the finding's scanner for a replacement first.
func outputEdits(reps map[string]Replacer, text string, fs []policy.Decided, seg int, shift int) []edit {
	var es []edit
	for _, f := range fs {
		if f.Whole || f.Span.Segment != seg || (f.Action != policy.Redact && f.Action != policy.Pseudonymize) {
			continue
		}
		s, e := f.Span.Start-shift, f.Span.End-shift
		s = max(0, min(s, len(text)))
		e = max(s, min(e, len(text)))
		for s > 0 && !utf8.RuneStart(text[s]) {
			s--
		}
		for e < len(text) && !utf8.RuneStart(text[e]) {
			e++
		}
		if e <= s {
			continue
		}
		repl := redact.Mask(f.Type)
		if r := reps[f.Scanner]; r != nil {
			local := f.Finding
			local.Span.Start, local.Span.End = s, e
			if v, ok := r.Replace(local, text[s:e]); ok {
				repl = v
			}
		}
		es = append(es, edit{s, e, repl})
	}
	return es
}

// applyEdits rewrites text. Overlapping edits merge into one, and the
// earliest-starting (then longest) edit's replacement wins, as in
// redact.Apply.
func applyEdits(text string, es []edit) string {
	if len(es) == 0 {
		return text
	}
	slices.SortStableFunc(es, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end
	})
	var b strings.Builder
	b.Grow(len(text))
	pos := 0
	for i := 0; i < len(es); {
		cur := es[i]
		j := i + 1
		for j < len(es) && es[j].start < cur.end {
			cur.end = max(cur.end, es[j].end)
			j++
		}
		b.WriteString(text[pos:cur.start])
		b.WriteString(cur.repl)
		pos = cur.end
		i = j
	}
	b.WriteString(text[pos:])
	return b.String()
}

// scanners is what the output side needs to know about a policy's output
// scanners, computed once per policy.
type scanners struct {
	window   *scan.Pipeline // scanners that run over stream windows
	whole    *scan.Pipeline // WholeTexter scanners, run at the end
	reps     map[string]Replacer
	penders  []Pender
	holdback int
}

func (o *Output) scanners() *scanners {
	o.once.Do(func() {
		o.sc = analyze(o.Policy)
	})
	return o.sc
}

func analyze(p *policy.Policy) *scanners {
	pl := p.Pipeline(scan.Output)
	sc := &scanners{reps: map[string]Replacer{}}
	win, whole := *pl, *pl
	win.Scanners, whole.Scanners = nil, nil
	for _, s := range pl.Scanners {
		if r, ok := s.(Replacer); ok {
			sc.reps[s.Name()] = r
		}
		if _, ok := s.(WholeTexter); ok {
			whole.Scanners = append(whole.Scanners, s)
			continue
		}
		win.Scanners = append(win.Scanners, s)
		if pd, ok := s.(Pender); ok {
			sc.penders = append(sc.penders, pd)
		}
		if hb, ok := s.(StreamHoldbacker); ok {
			sc.holdback = max(sc.holdback, hb.StreamHoldback())
		} else if hb, ok := s.(Holdbacker); ok {
			sc.holdback = max(sc.holdback, hb.Holdback())
		} else {
			sc.holdback = max(sc.holdback, DefaultHoldback)
		}
	}
	sc.window, sc.whole = &win, &whole
	return sc
}

// Rewrite returns the text of a checked output segment as the caller sees
// it: redact-level findings replaced (by their scanner's replacement or a
// typed mask), then this request's placeholders restored. Nothing is
// rewritten when the decision is not enforced (shadow mode, or an action
// below redact).
func (o *Output) Rewrite(text string, d *policy.Decision, seg int) string {
	if d.Enforced == policy.Redact || d.Enforced == policy.Pseudonymize || d.Enforced == policy.Block {
		text = applyEdits(text, outputEdits(o.scanners().reps, text, d.Findings, seg, 0))
	}
	return o.Vault.Restore(text)
}
