// Package denylist reports operator-defined phrases, regular expressions
// and topics. Phrases and topic keywords are matched with Aho-Corasick on
// every view the pipeline provides (raw, normalized, decoded), so
// fullwidth, homoglyph and encoded forms match too; spans map back to the
// original text.
package denylist

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	ahocorasick "github.com/BobuSumisu/aho-corasick"

	"rampart/internal/config"
	"rampart/internal/normalize"
	"rampart/internal/scan"
)

// Name is the scanner's registry name.
const Name = "denylist"

// DefaultMaxMatchLength bounds regex matches for the streaming holdback.
const DefaultMaxMatchLength = 256

func init() {
	scan.Register(scan.Spec{
		Name:    Name,
		Doc:     "Reports operator-defined phrases and regexes as DENIED_PHRASE and keyword topics as DENIED_TOPIC, on normalized and decoded views too.",
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

// Settings configure the scanner. With nothing configured it reports
// nothing.
type Settings struct {
	// Phrases are matched case-insensitively, at word boundaries, after
	// the same normalization as the text (NFKC, homoglyphs, invisibles).
	Phrases []string `yaml:"phrases"`
	// Regexes use Go RE2 syntax and run on every view; add (?i) for
	// case-insensitive matching.
	Regexes []string `yaml:"regexes"`
	// Topics map a topic name to keywords; a segment mentioning at least
	// MinMatches distinct keywords of a topic is reported as DENIED_TOPIC
	// with Rule = the topic name.
	Topics map[string][]string `yaml:"topics"`
	// MinMatches is the number of distinct keywords that make a topic
	// (default 2, or the keyword count when a topic has fewer).
	MinMatches int `yaml:"min_matches"`
	// MaxMatchLength bounds a regex match in bytes, for the streaming
	// holdback (default 256).
	MaxMatchLength int `yaml:"max_match_length"`
}

// Scanner is the deny-list scanner. It is safe for concurrent use.
type Scanner struct {
	trie     *ahocorasick.Trie
	patterns []pattern // trie pattern index → what it stands for
	regexes  []*regexp.Regexp
	topics   []topic
	holdback int
}

type pattern struct {
	phrase int // index into Settings.Phrases, or -1
	topic  int // index into topics, or -1
	kw     int // keyword index within the topic
}

type topic struct {
	name string
	n    int // keywords
	min  int
}

// New builds a scanner. Problems are reported as config.Problems with
// paths such as "regexes[2]" and "topics[\"weapons\"][0]".
func New(s Settings) (*Scanner, error) {
	c := config.NewChecker()
	sc := &Scanner{}
	if s.MinMatches < 0 {
		c.Field("min_matches").Failf("must be ≥ 0")
	}
	maxLen := s.MaxMatchLength
	if maxLen < 0 {
		c.Field("max_match_length").Failf("must be ≥ 0")
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxMatchLength
	}
	index := map[string]int{}
	var words []string
	add := func(w string, p pattern) {
		for _, form := range forms(w) {
			key := form + "\x00" + itoa(p.phrase) + "\x00" + itoa(p.topic)
			if _, dup := index[key]; dup {
				continue
			}
			index[key] = len(words)
			words = append(words, form)
			sc.patterns = append(sc.patterns, p)
		}
	}
	longest := 0
	for i, p := range s.Phrases {
		if strings.TrimSpace(p) == "" {
			c.Field("phrases").Index(i).Failf("empty phrase")
			continue
		}
		add(p, pattern{phrase: i, topic: -1})
		longest = max(longest, 4*utf8.RuneCountInString(p))
	}
	for i, r := range s.Regexes {
		re, err := regexp.Compile(r)
		if err != nil {
			c.Field("regexes").Index(i).Failf("invalid regexp: %v", err)
			continue
		}
		if re.MatchString("") {
			c.Field("regexes").Index(i).Failf("matches the empty string")
			continue
		}
		sc.regexes = append(sc.regexes, re)
		longest = max(longest, maxLen)
	}
	names := make([]string, 0, len(s.Topics))
	for name := range s.Topics {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		kws := s.Topics[name]
		tc := c.Field("topics").Key(name)
		if len(kws) == 0 {
			tc.Failf("no keywords")
			continue
		}
		ti := len(sc.topics)
		min := s.MinMatches
		if min == 0 {
			min = 2
		}
		sc.topics = append(sc.topics, topic{name: name, n: len(kws), min: max(1, minInt(min, len(kws)))})
		for k, kw := range kws {
			if strings.TrimSpace(kw) == "" {
				tc.Index(k).Failf("empty keyword")
				continue
			}
			add(kw, pattern{phrase: -1, topic: ti, kw: k})
			longest = max(longest, 4*utf8.RuneCountInString(kw))
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if len(words) > 0 {
		sc.trie = ahocorasick.NewTrieBuilder().AddStrings(words).Build()
	}
	sc.holdback = longest
	return sc, nil
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// forms returns the lower-cased and the normalized form of a phrase, so it
// matches both raw and normalized views.
func forms(w string) []string {
	w = strings.TrimSpace(w)
	a := string(lowerASCII(nil, w))
	b := normalize.Normalize(w)
	if b == a || b == "" {
		return []string{a}
	}
	return []string{a, b}
}

func itoa(i int) string {
	if i < 0 {
		return "-"
	}
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// Name implements scan.Scanner.
func (s *Scanner) Name() string { return Name }

// Holdback implements guard.Holdbacker: four bytes per rune of the longest
// phrase or keyword (an obfuscated form may use wider characters), or the
// regex match bound.
func (s *Scanner) Holdback() int { return s.holdback }

// Scan implements scan.Scanner.
func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	if s.trie == nil && len(s.regexes) == 0 {
		return nil, nil
	}
	views := t.Views
	if views == nil {
		views = make([]scan.View, len(t.Segments))
		for i, seg := range t.Segments {
			views[i] = scan.View{Segment: i, Kind: "raw", Text: seg.Text}
		}
	}
	var out []scan.Finding
	seen := map[scan.Finding]bool{}
	emit := func(f scan.Finding) {
		if f.Span.End <= f.Span.Start || seen[f] {
			return
		}
		seen[f] = true
		out = append(out, f)
	}
	// Topic hits per segment: topic → keyword → first span.
	type hit struct{ start, end int }
	topicHits := map[[2]int]map[int]hit{}
	var buf []byte
	for vi := range views {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := &views[vi]
		if s.trie != nil {
			buf = lowerASCII(buf[:0], v.Text)
			lower := buf
			s.trie.Walk(lower, func(end, n, p int64) bool {
				st, en := int(end-n+1), int(end+1)
				if !boundary(lower, st, en) {
					return true
				}
				pat := s.patterns[p]
				sp := v.Span(st, en)
				if pat.phrase >= 0 {
					emit(scan.Finding{Scanner: Name, Type: scan.DeniedPhrase, Rule: "phrase", Span: sp, Score: 1})
					return true
				}
				key := [2]int{v.Segment, pat.topic}
				m := topicHits[key]
				if m == nil {
					m = map[int]hit{}
					topicHits[key] = m
				}
				if _, ok := m[pat.kw]; !ok {
					m[pat.kw] = hit{sp.Start, sp.End}
				}
				return true
			})
		}
		for _, re := range s.regexes {
			for _, loc := range re.FindAllStringIndex(v.Text, -1) {
				if loc[1] > loc[0] {
					emit(scan.Finding{Scanner: Name, Type: scan.DeniedPhrase, Rule: "regex", Span: v.Span(loc[0], loc[1]), Score: 1})
				}
			}
		}
	}
	keys := make([][2]int, 0, len(topicHits))
	for k := range topicHits {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	for _, k := range keys {
		m, tp := topicHits[k], s.topics[k[1]]
		if len(m) < tp.min {
			continue
		}
		st, en := -1, -1
		for _, h := range m {
			if st < 0 || h.start < st {
				st = h.start
			}
			en = max(en, h.end)
		}
		score := min(1, float64(len(m))/float64(tp.n)+0.5)
		emit(scan.Finding{Scanner: Name, Type: scan.DeniedTopic, Rule: tp.name,
			Span: scan.Span{Segment: k[0], Start: st, End: en}, Score: score, Whole: true})
	}
	return out, nil
}

// boundary reports whether [s, e) of lower starts and ends at word edges
// (an edge next to a non-word byte needs no boundary).
// Only ASCII word edges need one: scripts written without spaces (CJK,
// Thai) match anywhere.
func boundary(lower []byte, s, e int) bool {
	if s > 0 && isASCIIWord(lower[s]) && isWord(lower[s-1]) {
		return false
	}
	if e < len(lower) && isASCIIWord(lower[e-1]) && isWord(lower[e]) {
		return false
	}
	return true
}

func isASCIIWord(c byte) bool { return c < 0x80 && isWord(c) }

// isWord treats ASCII letters, digits, "_" and every non-ASCII byte as
// word bytes (so a match never ends inside a multi-byte rune).
func isWord(c byte) bool {
	return c >= 0x80 || c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z')
}

func lowerASCII(dst []byte, s string) []byte {
	dst = append(dst, s...)
	for i, c := range dst {
		if 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}
