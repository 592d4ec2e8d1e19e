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

// Release steps. A Write scans only once enough text has arrived beyond
// the holdback: the first time MinReleaseStep bytes (so the first text goes
// out as soon as the holdback is filled), then a step that grows with the
// text released so far, up to the larger of the holdback and
// MaxReleaseStep. Each scan covers up to holdback bytes of released text
// (left context), the holdback and the step, so a byte is scanned about
// (2×holdback + step) / step times: about 3 times once the step has grown
// to the holdback, instead of once per token. The price is burstiness: in
// the steady state text goes out in pieces of up to the step.
const (
	MinReleaseStep = 16
	MaxReleaseStep = 256
)

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

	// text is up to hold bytes of released original text (the left
	// context, text[:base]) followed by the text received and not yet
	// released.
	text     []byte
	base     int
	off      int // offset of text[base:] in the whole text
	next     int // Write scans when this many bytes are unreleased
	released int // bytes released so far
	whole    *strings.Builder
	over     bool // whole text exceeded MaxWholeText

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
	s.schedule()
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
func (s *Stream) Pending() int { return len(s.text) - s.base }

// schedule sets the unreleased length at which Write scans next. While
// more than the holdback stays held (an open construct, a long match),
// the next scan waits for the held text to grow by half, so holding
// MaxHeld bytes costs a linear, not quadratic, number of rescanned bytes.
func (s *Stream) schedule() {
	if s.hold == 0 {
		s.next = 1
		return
	}
	step := min(max(s.released, MinReleaseStep), max(s.hold, MaxReleaseStep))
	held := s.Pending()
	if held > s.hold {
		step = max(step, (held-s.hold)/2)
	}
	s.next = min(max(held, s.hold)+step, MaxHeld+1)
}

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
	s.text = append(s.text, delta...)
	if s.Pending() < s.next {
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
	window := string(s.text)
	base := s.base
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
		s.text, s.base = nil, 0
		return "", true
	}
	if cut <= base {
		s.schedule()
		return "", false
	}
	// Keep hold bytes of left context, starting on a rune boundary.
	l := max(0, cut-s.hold)
	for l < cut && !utf8.RuneStart(window[l]) {
		l++
	}
	n := copy(s.text, s.text[l:])
	s.text = s.text[:n]
	if cap(s.text) > 4<<10 && cap(s.text) > 4*n {
		s.text = append([]byte(nil), s.text...) // give back a large buffer
	}
	s.base = cut - l
	s.off += cut - base
	s.released += cut - base
	s.schedule()
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
