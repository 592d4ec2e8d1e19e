package guard

import (
	"context"
	"strings"
	"unicode/utf8"

	"rampart/internal/policy"
	"rampart/internal/scan"
)

// Memory bounds of one Stream. A stream keeps at most MaxHeld bytes of
// unreleased text plus its holdback of already released text as left
// context, and, only when a WholeTexter scanner needs it for the request,
// a copy of the answer up to MaxWholeText bytes.
const (
	MaxHeld      = 64 << 10
	MaxWholeText = 1 << 20
)

// ReleaseStep is how many bytes beyond the holdback must be waiting
// before a Write rescans: rescanning on every token would cost a scan of
// about twice the holdback per token. It delays release by at most
// ReleaseStep bytes (a few tokens).
const ReleaseStep = 16

// Stream checks one streamed text (one choice's content, or one tool
// call's arguments) as it arrives.
//
// The guarantee: text is released only once no scanner can still extend a
// match over it. Each Write rescans the unreleased text together with up
// to holdback bytes of released text before it (so matches see their left
// context), and releases up to (received − holdback), moved back to the
// start of any finding that crosses that point, of any construct a Pender
// scanner reports open, and of any possible split placeholder. A released
// part is rewritten with the findings that lie inside it, exactly as a
// non-streamed check of the whole text would rewrite it, for every scanner
// whose matches are shorter than the holdback and depend on no more than
// holdback bytes of context.
type Stream struct {
	o    *Output
	sc   *scanners
	ctx  context.Context
	seg  int
	path string
	hold int

	left  string // up to hold bytes of released original text
	buf   string // received and not yet released
	off   int    // offset of buf in the whole text
	whole *strings.Builder
	over  bool // whole text exceeded MaxWholeText

	// Decision accumulates every finding settled so far, with spans in
	// offsets of the whole streamed text and Span.Segment set to the
	// stream's segment number.
	Decision  policy.Decision
	seenWhole map[string]bool
	blocked   bool
	closed    bool
}

// NewStream starts checking a streamed text. seg numbers the stream in the
// findings it reports (RelaySSE numbers every text field of every choice
// in order of appearance); path names the field for scanners
// ("choices.0.delta.content"), as scan.Segment.Path does.
func (o *Output) NewStream(ctx context.Context, seg int, path string) *Stream {
	sc := o.scanners()
	s := &Stream{o: o, sc: sc, ctx: ctx, seg: seg, path: path, hold: sc.holdback}
	s.hold = max(s.hold, o.Vault.MaxPlaceholderLen())
	s.Decision.Shadow = o.Policy.Shadow
	for _, w := range sc.whole.Scanners {
		if w.(WholeTexter).WholeText(o.Context) {
			s.whole = new(strings.Builder)
			break
		}
	}
	return s
}

// Holdback is the number of bytes the stream withholds.
func (s *Stream) Holdback() int { return s.hold }

// Pending is the number of bytes held back right now.
func (s *Stream) Pending() int { return len(s.buf) }

// Blocked reports whether the policy blocked the stream.
func (s *Stream) Blocked() bool { return s.blocked }

// Write adds a delta and returns the text that may be released now. When
// the policy blocks, it returns blocked=true and the stream must end
// without releasing anything more.
func (s *Stream) Write(delta string) (release string, blocked bool) {
	if s.blocked {
		return "", true
	}
	if s.closed || delta == "" {
		return "", false
	}
	if s.whole != nil && !s.over {
		if s.whole.Len()+len(delta) > MaxWholeText {
			s.over = true
			s.whole = new(strings.Builder) // drop the copy
		} else {
			s.whole.WriteString(delta)
		}
	}
	s.buf += delta
	if len(s.buf) < s.hold+ReleaseStep {
		return "", false
	}
	return s.flush(false)
}

// Close settles the held-back text at the end of the stream: whole-text
// scanners run, then everything still held is scanned and released.
func (s *Stream) Close() (release string, blocked bool) {
	if s.blocked {
		return "", true
	}
	if s.closed {
		return "", false
	}
	s.closed = true
	if s.whole != nil && !s.over && len(s.sc.whole.Scanners) > 0 {
		t := &scan.Text{Direction: scan.Output, Context: s.o.Context,
			Segments: []scan.Segment{{Role: "assistant", Path: s.path, Text: s.whole.String()}}}
		fs, fails := s.sc.whole.Run(s.ctx, t)
		d := s.o.Policy.Decide(scan.Output, fs, fails)
		for i := range d.Findings {
			d.Findings[i].Span.Segment = s.seg
		}
		s.merge(&d)
		s.whole = nil
		if d.Enforced == policy.Block {
			s.blocked = true
			return "", true
		}
	}
	return s.flush(true)
}

func (s *Stream) flush(final bool) (string, bool) {
	window := s.left + s.buf
	base := len(s.left)
	if len(window) == base {
		return "", false
	}
	t := &scan.Text{Direction: scan.Output, Context: s.o.Context,
		Segments: []scan.Segment{{Role: "assistant", Path: s.path, Text: window}}}
	fs, fails := s.sc.window.Run(s.ctx, t)
	d := s.o.Policy.Decide(scan.Output, fs, fails)
	// Findings that start in the left context were settled earlier; one
	// that crosses into the new text (possible only for scanners that
	// need more context than the holdback) is clipped so its remainder is
	// still rewritten.
	for i := range d.Findings {
		f := &d.Findings[i].Finding
		if !f.Whole && f.Span.Start < base && f.Span.End > base {
			f.Span.Start = base
		}
	}
	cut := len(window)
	if !final {
		cut = s.cutPoint(window, base, d.Findings)
	}
	var settled policy.Decision
	settled.Shadow = d.Shadow
	for _, f := range d.Findings {
		if f.Whole {
			k := f.Scanner + "\x00" + f.Type + "\x00" + f.Rule
			if s.seenWhole[k] {
				continue
			}
			if s.seenWhole == nil {
				s.seenWhole = map[string]bool{}
			}
			s.seenWhole[k] = true
		} else if f.Span.End <= base || f.Span.Start >= cut || f.Span.End > cut {
			continue
		}
		settled.Findings = append(settled.Findings, f)
		settled.Action = max(settled.Action, f.Action)
	}
	if len(fails) > 0 {
		settled.Failures = fails
		settled.Action = max(settled.Action, s.o.Policy.OnScannerError)
	}
	settled.Enforced = settled.Action
	if settled.Shadow {
		settled.Enforced = policy.Allow
	}
	release := window[base:cut]
	if settled.Enforced >= policy.Pseudonymize {
		release = applyEdits(release, outputEdits(s.sc.reps, release, settled.Findings, 0, base))
	}
	// Report spans in whole-text offsets.
	for i := range settled.Findings {
		f := &settled.Findings[i].Finding
		f.Span.Segment = s.seg
		f.Span.Start += s.off - base
		f.Span.End += s.off - base
	}
	s.merge(&settled)
	if settled.Enforced == policy.Block {
		s.blocked = true
		s.buf, s.left = "", ""
		return "", true
	}
	if cut <= base {
		return "", false
	}
	// Keep hold bytes of left context, starting on a rune boundary.
	l := max(0, cut-s.hold)
	for l < cut && !utf8.RuneStart(window[l]) {
		l++
	}
	s.left = window[l:cut]
	s.buf = window[cut:]
	s.off += cut - base
	return s.o.Vault.Restore(release), false
}

// cutPoint is where the release stops: holdback bytes before the end,
// moved back before any crossing finding, open construct or possible
// placeholder, on a rune boundary. When more than MaxHeld bytes are held,
// only the holdback counts, so memory stays bounded.
func (s *Stream) cutPoint(window string, base int, fs []policy.Decided) int {
	cut := len(window) - s.hold
	if cut <= base {
		return base
	}
	forced := len(window)-base > MaxHeld
	if forced {
		for cut > base && !utf8.RuneStart(window[cut]) {
			cut--
		}
		return cut
	}
	for _, p := range s.sc.penders {
		if at := p.Pending(window); at < cut {
			cut = max(at, base)
		}
	}
	maxPH := s.o.Vault.MaxPlaceholderLen()
	for changed := true; changed && cut > base; {
		changed = false
		for _, f := range fs {
			if !f.Whole && f.Span.Start < cut && f.Span.End > cut {
				cut = max(f.Span.Start, base)
				changed = true
			}
		}
		if maxPH > 0 {
			lo := max(base, cut-maxPH)
			if i := strings.LastIndexByte(window[lo:cut], '<'); i >= 0 && !strings.Contains(window[lo+i:cut], ">") {
				if lo+i < cut {
					cut = lo + i
					changed = true
				}
			}
		}
		for cut > base && !utf8.RuneStart(window[cut]) {
			cut--
			changed = true
		}
	}
	return cut
}

func (s *Stream) merge(d *policy.Decision) {
	s.Decision.Findings = append(s.Decision.Findings, d.Findings...)
	s.Decision.Failures = append(s.Decision.Failures, d.Failures...)
	s.Decision.Action = max(s.Decision.Action, d.Action)
	s.Decision.Enforced = max(s.Decision.Enforced, d.Enforced)
	for k, v := range d.Scores {
		if s.Decision.Scores == nil {
			s.Decision.Scores = map[string]float64{}
		}
		s.Decision.Scores[k] = max(s.Decision.Scores[k], v)
	}
}
