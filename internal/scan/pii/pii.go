// Package pii finds personal data: e-mail addresses, phone numbers, payment
// cards, IBANs, US social security numbers, IP addresses, and — from
// context cues and small gazetteers — person names, street addresses,
// dates of birth and passport numbers. Structured types are validated
// (Luhn and IIN ranges, IBAN mod-97 and lengths, SSA rules, libphonenumber)
// rather than only matched.
package pii

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"rampart/internal/config"
	"rampart/internal/scan"
)

// Name is the scanner's registry name.
const Name = "pii"

func init() {
	scan.Register(scan.Spec{
		Name:    Name,
		Doc:     "Finds personal data (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS with validators; PERSON, ADDRESS, DATE_OF_BIRTH, PASSPORT from context cues and gazetteers).",
		Input:   true,
		Output:  true,
		Default: true,
		New: func(settings scan.Decoder) (scan.Scanner, error) {
			var s Settings
			if settings != nil {
				if err := settings(&s); err != nil {
					return nil, err
				}
			}
			return New(s)
		},
	})
}

// AllTypes lists the finding types this scanner reports.
var AllTypes = []string{
	scan.Email, scan.Phone, scan.CreditCard, scan.IBAN, scan.USSSN, scan.IPAddress,
	scan.Person, scan.Address, scan.DateOfBirth, scan.Passport,
}

// Settings configure the scanner.
type Settings struct {
	// Types limits the reported types (default: all of AllTypes).
	Types []string `yaml:"types"`
	// Region is the default region (ISO 3166 alpha-2) for phone numbers
	// written without a country code; default "US".
	Region string `yaml:"region"`
}

// Scanner is the PII scanner. It is safe for concurrent use.
type Scanner struct {
	enabled map[string]bool
	region  string
}

// New builds a scanner. Problems come back as config.Problems.
func New(s Settings) (*Scanner, error) {
	c := config.NewChecker()
	sc := &Scanner{enabled: map[string]bool{}, region: "US"}
	if len(s.Types) == 0 {
		for _, t := range AllTypes {
			sc.enabled[t] = true
		}
	}
	for i, t := range s.Types {
		if !slices.Contains(AllTypes, t) {
			c.Field("types").Index(i).Failf("unknown type %q (want one of %s)", t, strings.Join(AllTypes, ", "))
			continue
		}
		sc.enabled[t] = true
	}
	if s.Region != "" {
		r := strings.ToUpper(s.Region)
		if !phonenumbers.GetSupportedRegions()[r] {
			c.Field("region").Failf("unknown phone region %q", s.Region)
		}
		sc.region = r
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return sc, nil
}

// Name implements scan.Scanner.
func (s *Scanner) Name() string { return Name }

// Holdback implements guard.Holdbacker: the longest value reported is a
// multi-line street address or an IBAN written in groups.
func (s *Scanner) Holdback() int { return 128 }

// Scan implements scan.Scanner over every view, mapping spans back to the
// original segments and reporting each (type, span) once.
func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	views := t.Views
	if views == nil {
		views = make([]scan.View, len(t.Segments))
		for i, seg := range t.Segments {
			views[i] = scan.View{Segment: i, Kind: "raw", Text: seg.Text}
		}
	}
	var out []scan.Finding
	var byType [16][]int32 // indexes into out, by typeIndex
	var memo scanMemo
	for i := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := &views[i]
		for _, m := range s.find(v.Text, &memo) {
			sp := v.Span(m.start, m.end)
			if sp.End <= sp.Start {
				continue
			}
			f := scan.Finding{Scanner: Name, Type: m.typ, Rule: m.rule, Span: sp, Score: m.score}
			// Report each (type, span) once: a finding of the same type
			// overlapping one already reported is a repeat from another view.
			ti := typeIndex(m.typ)
			if !slices.ContainsFunc(byType[ti], func(k int32) bool {
				o := &out[k]
				return o.Type == f.Type && o.Span.Segment == sp.Segment && o.Span.Start < sp.End && sp.Start < o.Span.End
			}) {
				byType[ti] = append(byType[ti], int32(len(out)))
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// typeIndex is t's position in AllTypes (len(AllTypes) for others).
func typeIndex(t string) int {
	switch t {
	case scan.Email:
		return 0
	case scan.Phone:
		return 1
	case scan.CreditCard:
		return 2
	case scan.IBAN:
		return 3
	case scan.USSSN:
		return 4
	case scan.IPAddress:
		return 5
	case scan.Person:
		return 6
	case scan.Address:
		return 7
	case scan.DateOfBirth:
		return 8
	case scan.Passport:
		return 9
	}
	return len(AllTypes)
}

// match is one detection in a view, in view byte offsets.
type match struct {
	typ, rule  string
	start, end int
	score      float64
}

// scanMemo keeps answers that the views of one Scan call share.
type scanMemo struct {
	streetFirst map[string][]int // streetNumFirstAt's match on a street window
}

// find runs every enabled detector on one text; memo is nil outside Scan.
func (s *Scanner) find(text string, memo *scanMemo) []match {
	if text == "" {
		return nil
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	d := detector{s: s, text: text, sc: sc, memo: memo}
	d.prepare()
	hasDigit := len(sc.nums) > 0
	if s.enabled[scan.Email] && strings.IndexByte(text, '@') >= 0 {
		d.emails()
	}
	if hasDigit {
		d.numbers()
		if s.enabled[scan.IBAN] {
			d.ibans()
		}
		if s.enabled[scan.IPAddress] && strings.IndexByte(text, ':') >= 0 {
			d.ipv6()
		}
	}
	d.cues(hasDigit)
	if s.enabled[scan.Person] {
		d.gazetteerNames()
		d.nameLists()
	}
	return d.resolve()
}

// scratch holds a find call's buffers, reused through scratchPool.
type scratch struct {
	events []cueEvent // cue, street and unit word matches, by end
	caps   []int32    // word starts with an upper-case ASCII or a non-ASCII byte
	nums   []int32    // number starts: a digit after a non-digit, "+" or "(" before one
	spare  [3][]cueEvent
	lines  []line  // addressBlocks' lines
	ord    []int32 // resolve's scratch
	pmax   []int32
	rank   []int8
	keep   []bool
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// prepare is the pass over the text's bytes everything else starts from:
// the cue matches (one automaton walk) and the places where names and
// numbers can start (one byte-class walk), so the detectors visit
// candidates instead of every byte.
func (d *detector) prepare() {
	sc, t := d.sc, d.text
	sc.events = cueTries().trie.walk4(t, sc.events[:0], &sc.spare)
	caps, nums := sc.caps[:0], sc.nums[:0]
	var prev uint8
	for i := 0; i < len(t); i++ {
		f := byteClass[t[i]]
		if f&(cDigit|cCap) != 0 {
			if f&cDigit != 0 {
				if prev&cDigit == 0 {
					if prev&cSign != 0 {
						nums = append(nums, int32(i-1))
					}
					nums = append(nums, int32(i))
				}
			} else if prev&cAlnum == 0 {
				caps = append(caps, int32(i))
			}
		}
		prev = f
	}
	sc.caps, sc.nums = caps, nums
}

// Byte classes for prepare.
const (
	cAlnum = 1 << iota // isAlnum
	cDigit
	cCap  // A-Z or a non-ASCII byte
	cSign // "+" or "("
)

var byteClass = func() (t [256]uint8) {
	for c := range t {
		b := byte(c)
		if isAlnum(b) {
			t[c] |= cAlnum
		}
		if isDigit(b) {
			t[c] |= cDigit
		}
		if 'A' <= b && b <= 'Z' || b >= utf8.RuneSelf {
			t[c] |= cCap
		}
		if b == '+' || b == '(' {
			t[c] |= cSign
		}
	}
	return t
}()

func lowerASCII(dst []byte, s string) []byte {
	dst = append(dst, s...)
	for i, c := range dst {
		if 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}

// detector holds the state of one find call.
type detector struct {
	cl           cluster // readCluster's scratch
	seps, digits []byte
	s            *Scanner
	sc           *scratch
	memo         *scanMemo // nil outside Scan
	text         string
	out          []match
	region       string // textRegion, once regionDone
	regionDone   bool
}

func (d *detector) add(typ, rule string, start, end int, score float64) {
	if d.s.enabled[typ] && end > start {
		d.out = append(d.out, match{typ: typ, rule: rule, start: start, end: end, score: score})
	}
}

// rank orders the structured types for overlaps: the higher one stays.
func rank(t string) int {
	switch t {
	case scan.Email:
		return 9
	case scan.CreditCard, scan.IBAN:
		return 8
	case scan.USSSN, scan.IPAddress:
		return 7
	case scan.Passport, scan.DateOfBirth:
		return 6
	case scan.Phone:
		return 5
	}
	return 1
}

// structured reports whether t is found by pattern and validator rather
// than by context (PERSON, ADDRESS).
func structured(t string) bool { return t != scan.Address && t != scan.Person }

// resolve settles overlaps: structured types exclude each other by rank
// (a card number is not also a phone number), a name inside an address is
// part of the address, and an address may contain other types.
func (d *detector) resolve() []match {
	ms := d.out
	if len(ms) == 0 {
		return nil
	}
	// Whether m is dropped depends on whether any overlapping match drops
	// it, so only overlapping pairs are compared: ord sorts the matches by
	// start, pmax[p] is the largest end among ord[:p+1].
	sc := d.sc
	ord, pmax, rk := sc.ord[:0], sc.pmax[:0], sc.rank[:0]
	for i, m := range ms {
		ord = append(ord, int32(i))
		rk = append(rk, int8(rank(m.typ)))
	}
	slices.SortFunc(ord, func(a, b int32) int { return ms[a].start - ms[b].start })
	end := 0
	for _, k := range ord {
		end = max(end, ms[k].end)
		pmax = append(pmax, int32(end))
	}
	sc.ord, sc.pmax, sc.rank = ord, pmax, rk
	dropBy := func(i, j int) bool {
		m, o := ms[i], ms[j]
		if !(o.start < m.end && m.start < o.end) {
			return false
		}
		switch {
		case m.typ == o.typ:
			// Same type: keep the longer, then the first.
			return (o.end-o.start) > (m.end-m.start) || ((o.end-o.start) == (m.end-m.start) && j < i)
		case m.typ == scan.Person && (o.typ == scan.Address || o.typ == scan.Email):
			return true
		case structured(m.typ) && structured(o.typ):
			return rk[j] > rk[i] || (rk[j] == rk[i] && j < i)
		}
		return false
	}
	keep := slices.Grow(sc.keep[:0], len(ms))[:len(ms)]
	for p, k := range ord {
		i, m := int(k), ms[k]
		drop := false
		for q := p + 1; !drop && q < len(ord) && ms[ord[q]].start < m.end; q++ {
			drop = dropBy(i, int(ord[q]))
		}
		for q := p - 1; !drop && q >= 0 && int(pmax[q]) > m.start; q-- {
			drop = dropBy(i, int(ord[q]))
		}
		keep[i] = !drop
	}
	sc.keep = keep
	var out []match
	for i, m := range ms {
		if keep[i] {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b match) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
	return out
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '_' || c >= 0x80
}

// near reports whether any of words occurs, ASCII case-insensitively, in
// text[from:to]. A word
// must start a word ("ver" is not in "server"); words that start with
// punctuation or a non-ASCII byte (电话, 携帯, "$") may start anywhere.
func (d *detector) near(from, to int, words *wordSet) bool {
	t := d.text
	from, to = max(0, from), min(len(t), to)
	for p := from; p < to; p++ {
		ks := words.byFirst[lowerTable[t[p]]]
		if len(ks) == 0 {
			continue
		}
		start := p == 0 || !isAlnum(t[p-1])
		for _, k := range ks {
			if p+len(k) <= to && (start || !isAlnum(k[0]) || k[0] >= utf8.RuneSelf) && equalLower(t[p:p+len(k)], k) {
				return true
			}
		}
	}
	return false
}

// equalLower reports whether s, ASCII-lower-cased, equals the lower-case
// k (len(s) == len(k)).
func equalLower(s, k string) bool {
	for i := 0; i < len(k); i++ {
		if lowerTable[s[i]] != k[i] {
			return false
		}
	}
	return true
}

// wordSet holds context words by their first byte.
type wordSet struct {
	words   []string
	byFirst [256][]string
}

func newWordSet(words ...string) *wordSet {
	s := &wordSet{words: words}
	for _, w := range words {
		s.byFirst[w[0]] = append(s.byFirst[w[0]], w)
	}
	return s
}

func (d *detector) String() string { return fmt.Sprintf("detector(%d bytes)", len(d.text)) }
