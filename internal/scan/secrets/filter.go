package secrets

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
)

// requiredLits returns lower-case strings one of which every match of re
// contains, compared ASCII case-insensitively, or nil when nothing useful
// is known. The condition is necessary, not sufficient: a text without
// any of them cannot match, a text with one still needs the regexp. It
// holds for ASCII texts only: (?i)k also matches the Kelvin sign.
func requiredLits(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLits(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLits(re.Sub[0])
		}
		return nil
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			l := requiredLits(sub)
			if l == nil {
				return nil
			}
			out = append(out, l...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	case syntax.OpConcat:
		var best []string
		for i := range re.Sub {
			// Every match contains a match of the rest of the
			// concatenation, and so one of its literal prefixes.
			ps, _ := literalPrefixesN(&syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[i:]}, maxLits)
			best = betterLits(best, ps)
			best = betterLits(best, requiredLits(re.Sub[i]))
		}
		return best
	}
	ps, _ := literalPrefixesN(re, maxLits)
	return betterLits(nil, ps)
}

// maxLits bounds a required-literal set (exact expansions of small
// alternations and classes; the automaton takes thousands).
const maxLits = 256

// betterLits returns the more selective of two literal sets: the one
// whose shortest string is longer, then the smaller one. Sets with an
// empty string or too many strings are useless.
func betterLits(a, b []string) []string {
	useful := func(l []string) bool {
		return len(l) > 0 && len(l) <= maxLits && !slices.Contains(l, "")
	}
	if !useful(b) {
		return a
	}
	if !useful(a) {
		return b
	}
	minLen := func(l []string) int {
		m := len(l[0])
		for _, s := range l {
			m = min(m, len(s))
		}
		return m
	}
	if ma, mb := minLen(a), minLen(b); ma != mb {
		if mb > ma {
			return b
		}
		return a
	}
	if len(b) < len(a) {
		return b
	}
	return a
}

// altRegexps splits a regexp at its top-level alternation: it matches a
// text iff one of the parts does.
func altRegexps(expr string) ([]*syntax.Regexp, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpAlternate {
		return []*syntax.Regexp{re}, nil
	}
	return re.Sub, nil
}

// litFilter answers "does any of these regexps match?" quickly: each
// regexp is split at its top-level alternation, and an alternative runs
// only when the text contains one of its required literals (one automaton
// pass over the text finds them all). Texts with non-ASCII bytes run
// every regexp, as without the filter.
type litFilter struct {
	all    []*regexp.Regexp // the original regexps (slow path)
	alts   []*regexp.Regexp
	whole  []*byteSet // for \A…$ alternatives: the bytes a match can contain
	always []int      // alternatives without a required literal
	ac     *foldAC
	lits   []string
	litAlt []int32 // automaton pattern → alternative
}

func newLitFilter(res []*regexp.Regexp) (*litFilter, error) {
	f := &litFilter{all: res}
	var lits []string
	for _, re := range res {
		parts, err := altRegexps(re.String())
		if err != nil {
			return nil, err
		}
		for _, p := range parts {
			// Printing a parsed regexp is slow (it recomputes case
			// folding for every class), so a regexp without a top-level
			// alternation is used as it is.
			a := re
			if len(parts) > 1 {
				if a, err = regexp.Compile(p.String()); err != nil {
					return nil, err
				}
			}
			i := len(f.alts)
			f.alts = append(f.alts, a)
			f.whole = append(f.whole, wholeBytes(p))
			ls := requiredLits(p)
			if ls == nil || (f.whole[i] != nil && slices.ContainsFunc(ls, func(l string) bool { return len(l) == 1 })) {
				// No literal, or single characters that most texts
				// have (\A(?:a+|b+|…)$): the byte set decides.
				f.always = append(f.always, i)
				continue
			}
			for _, l := range ls {
				lits = append(lits, l)
				f.litAlt = append(f.litAlt, int32(i))
			}
		}
	}
	if len(lits) > 0 {
		f.ac, f.lits = newFoldAC(lits), lits
	}
	return f, nil
}

// match reports whether one of the regexps matches s.
func (f *litFilter) match(s string) bool {
	if len(f.all) == 0 {
		return false
	}
	if !isASCII(s) {
		return f.matchSlow(s)
	}
	for _, i := range f.always {
		if f.possible(i, s) && f.alts[i].MatchString(s) {
			return true
		}
	}
	if f.ac == nil {
		return false
	}
	// Candidates, each tried once: few alternatives per filter, so a
	// small bit set on the stack.
	var tried [4]uint64
	found := false
	f.ac.eachUntil(s, func(_ int, p int32) bool {
		i := f.litAlt[p]
		if int(i) < 64*len(tried) {
			if tried[i/64]&(1<<(i%64)) != 0 {
				return true
			}
			tried[i/64] |= 1 << (i % 64)
		}
		if f.possible(int(i), s) && f.alts[i].MatchString(s) {
			found = true
			return false
		}
		return true
	})
	return found
}

// possible reports whether alternative i can match s as far as its byte
// set tells: a match of \A…$ is the whole text.
func (f *litFilter) possible(i int, s string) bool {
	w := f.whole[i]
	if w == nil {
		return true
	}
	for j := 0; j < len(s); j++ {
		if !w.has(s[j]) {
			return false
		}
	}
	return true
}

// wholeBytes returns the bytes a match of re can contain when re
// matches only whole texts (\A…$ or \A…\z), or nil.
func wholeBytes(re *syntax.Regexp) *byteSet {
	for re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText || re.Sub[len(re.Sub)-1].Op != syntax.OpEndText {
		return nil
	}
	return matchBytes(re)
}

func (f *litFilter) matchSlow(s string) bool {
	for _, re := range f.all {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// stopSet finds lower-case stopwords in a text: strings.Contains of
// strings.ToLower(text) for each word, with one automaton pass for ASCII
// texts.
type stopSet struct {
	words []string
	ac    *foldAC
	empty bool // an empty word is in every text
}

func newStopSet(words []string) stopSet {
	s := stopSet{words: words, empty: slices.Contains(words, "")}
	if len(words) > 0 {
		s.ac = newFoldAC(words)
	}
	return s
}

func (s *stopSet) contains(text string) bool {
	if s.ac == nil {
		return false
	}
	if s.empty {
		return true
	}
	if isASCII(text) {
		return s.ac.any(text)
	}
	lt := strings.ToLower(text)
	for _, w := range s.words {
		if strings.Contains(lt, w) {
			return true
		}
	}
	return false
}
