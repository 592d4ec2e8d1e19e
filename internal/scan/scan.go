// Package scan defines the guardrail vocabulary: the text a scanner sees,
// the findings it reports, the registry of scanner types, and the pipeline
// that runs them. Scanners report facts; package policy decides.
package scan

import (
	"context"
	"unicode/utf8"
)

// Direction tells scanners which way text is flowing.
type Direction uint8

const (
	Input  Direction = iota + 1 // client → model (the prompt)
	Output                      // model → client (the completion)
)

func (d Direction) String() string {
	switch d {
	case Input:
		return "input"
	case Output:
		return "output"
	}
	return "unknown"
}

// Finding types named by CONTRACT.md. Scanners may add their own upper-case
// types; policies refer to them by name.
const (
	PromptInjection  = "PROMPT_INJECTION"
	Jailbreak        = "JAILBREAK"
	InvisibleText    = "INVISIBLE_TEXT"
	Secret           = "SECRET"
	Email            = "EMAIL"
	Phone            = "PHONE"
	CreditCard       = "CREDIT_CARD"
	IBAN             = "IBAN"
	USSSN            = "US_SSN"
	IPAddress        = "IP_ADDRESS"
	Person           = "PERSON"
	Address          = "ADDRESS"
	DateOfBirth      = "DATE_OF_BIRTH"
	Passport         = "PASSPORT"
	DeniedTopic      = "DENIED_TOPIC"
	DeniedPhrase     = "DENIED_PHRASE"
	URLExfiltration  = "URL_EXFILTRATION"
	SystemPromptLeak = "SYSTEM_PROMPT_LEAK"
	TokenLimit       = "TOKEN_LIMIT"
	Refusal          = "REFUSAL"
	SchemaViolation  = "SCHEMA_VIOLATION"
)

// Segment is one piece of model-visible text. Path locates it in the wire
// body (for example "messages.2.content") so a rewrite can be written back.
type Segment struct {
	Role string // system, user, assistant, tool, or "" for completions/embeddings
	Path string
	Text string
}

// Text is everything scanners may inspect for one direction of one exchange.
type Text struct {
	Direction Direction
	Model     string
	Segments  []Segment

	// Context carries what output scanners need to know about the
	// request (system prompt, canary, requested response format). Nil for
	// prompts and for offline scans.
	Context *Context

	// Views are the forms of the segments that scanners read: for every
	// segment a raw view (identity offsets) first, then any normalized or
	// decoded views a Normalizer added. Built by Prepare.
	Views []View
}

// Context is request-level information for output scanners.
type Context struct {
	System         []string // the request's system prompt texts
	Canary         string   // the canary token placed in the system prompt, if any
	ResponseFormat []byte   // the request's response_format JSON, if any
}

// Span is the byte range [Start, End) of Segments[Segment].Text. Start and
// End always fall on rune boundaries.
type Span struct {
	Segment    int
	Start, End int
}

// View is a transformed form of one segment (raw, normalized, decoded
// base64, …). Offsets maps each byte offset of Text (0..len(Text)) back to a
// byte offset in the original segment; nil means identity: the raw view, and
// a normalized view that only lower-cased letters of the same byte length
// (no invisible characters, nothing NFKC changes, no homoglyphs folded). Decoded views (base64, hex) hold only the decoded runs,
// one per line, not the text around them, which the raw view has.
type View struct {
	Segment int
	Kind    string // "raw", "normalized", "base64", "hex", "rot13", "url", "leet", "tags", …
	Text    string
	Offsets []int32
}

// Span converts a byte range of the view into a Span of the original
// segment. Decoded views map a match anywhere inside an encoded run back to
// the whole run, because Offsets says so.
func (v *View) Span(start, end int) Span {
	if v.Offsets == nil {
		return Span{Segment: v.Segment, Start: start, End: end}
	}
	start = max(0, min(start, len(v.Offsets)-1))
	end = max(start, min(end, len(v.Offsets)-1))
	s, e := int(v.Offsets[start]), int(v.Offsets[end])
	if end > start && e <= s {
		// A zero-width image of a non-empty match (a decoded byte maps to
		// the start of its encoded run): widen to the next mapped offset.
		for i := end; i < len(v.Offsets); i++ {
			if int(v.Offsets[i]) > s {
				e = int(v.Offsets[i])
				break
			}
		}
	}
	return Span{Segment: v.Segment, Start: s, End: max(s, e)}
}

// Raw reports whether the view is the untouched segment text.
func (v *View) Raw() bool { return v.Offsets == nil && v.Kind == "raw" }

// Finding is a fact a scanner observed. It has no field for the matched
// text on purpose: policy and audit work from spans, types and rule IDs.
type Finding struct {
	Scanner string  // the scanner that reported it (stamped by the pipeline)
	Type    string  // PROMPT_INJECTION, EMAIL, SECRET, …
	Rule    string  // scanner-specific detail, e.g. "aws-access-token"
	Span    Span    // in original segment byte offsets
	Score   float64 // confidence in [0, 1]; 1 for exact matches
	// Whole marks a finding about the segment as a whole (a classifier
	// score) rather than about a span to mask.
	Whole bool
}

// Scanner inspects a whole Text. Scanners are built once from settings, are
// safe for concurrent use, and return promptly once ctx is done.
type Scanner interface {
	Name() string
	Scan(ctx context.Context, t *Text) ([]Finding, error)
}

// Normalizer adds views (normalized and decoded forms) for one segment.
// Package normalize provides the default one.
type Normalizer func(segment int, text string) []View

// Prepare fills t.Views: one raw view per segment followed by whatever norm
// adds. Calling it twice is harmless.
func (t *Text) Prepare(norm Normalizer) {
	if t.Views != nil {
		return
	}
	t.Views = make([]View, 0, len(t.Segments)*2)
	for i, s := range t.Segments {
		t.Views = append(t.Views, View{Segment: i, Kind: "raw", Text: s.Text})
	}
	if norm == nil {
		return
	}
	for i, s := range t.Segments {
		t.Views = append(t.Views, norm(i, s.Text)...)
	}
}

// Len returns the total byte length of all segments.
func (t *Text) Len() int {
	n := 0
	for _, s := range t.Segments {
		n += len(s.Text)
	}
	return n
}

// RuneOffset converts a byte offset in s to a code-point offset.
func RuneOffset(s string, byteOff int) int {
	if byteOff > len(s) {
		byteOff = len(s)
	}
	return utf8.RuneCountInString(s[:byteOff])
}
