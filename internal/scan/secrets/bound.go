package secrets

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode"
	"unicode/utf8"
)

// endBound computes, for a text and a start offset, an upper bound on
// where a match of a regexp starting there can end, from the regexp's
// syntax tree: bounded parts add their longest match, unbounded
// repetitions extend over the run of bytes they can consume. Cutting the
// text one byte after the bound changes no match (\b and $ still see the
// real next byte) and lets Go use its backtracker on short inputs instead
// of the NFA over a whole window.
type endBound struct {
	max  int // longest match in bytes, or -1 when unbounded
	op   syntax.Op
	set  *byteSet // bytes a repetition's matches can contain
	subs []*endBound
}

// byteSet is a set of bytes.
type byteSet [4]uint64

func (b *byteSet) add(c byte)      { b[c>>6] |= 1 << (c & 63) }
func (b *byteSet) has(c byte) bool { return b[c>>6]&(1<<(c&63)) != 0 }
func (b *byteSet) union(o *byteSet) {
	b[0], b[1], b[2], b[3] = b[0]|o[0], b[1]|o[1], b[2]|o[2], b[3]|o[3]
}
func (b *byteSet) addRange(lo, hi byte) {
	for c := int(lo); c <= int(hi); c++ {
		b.add(byte(c))
	}
}

// newEndBound compiles the bound of re (a parsed, simplified regexp).
func newEndBound(re *syntax.Regexp) *endBound {
	b := &endBound{max: maxLen(re), op: re.Op}
	if b.max >= 0 {
		return b
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpQuest:
		return newEndBound(re.Sub[0])
	case syntax.OpConcat, syntax.OpAlternate:
		for _, s := range re.Sub {
			b.subs = append(b.subs, newEndBound(s))
		}
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		b.op = syntax.OpStar
		b.set = matchBytes(re)
	default:
		// Unknown: anything up to the end of the text.
		b.op = syntax.OpAnyChar
	}
	return b
}

// end returns the bound for a match starting at or before p in s.
func (b *endBound) end(s string, p int) int {
	if b.max >= 0 {
		return p + b.max
	}
	switch b.op {
	case syntax.OpConcat:
		for _, sub := range b.subs {
			p = sub.end(s, p)
		}
		return p
	case syntax.OpAlternate:
		e := p
		for _, sub := range b.subs {
			e = max(e, sub.end(s, p))
		}
		return e
	case syntax.OpStar:
		// A run of set bytes that starts at or before p and reaches p
		// ends where the run from p ends; one that stops earlier ends
		// before p.
		for p < len(s) && b.set.has(s[p]) {
			p++
		}
		return p
	}
	return len(s)
}

// matchBytes returns the bytes any match of re can contain. Non-ASCII
// runes (also the fold partners of k and s) add every byte ≥ 0x80;
// classes that contain U+FFFD cover invalid UTF-8 that way too.
func matchBytes(re *syntax.Regexp) *byteSet {
	var b byteSet
	high := func() { b.addRange(0x80, 0xff) }
	addRune := func(r rune) {
		if r < utf8.RuneSelf {
			b.add(byte(r))
		} else {
			high()
		}
	}
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			addRune(r)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					addRune(f)
				}
			}
		}
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if lo < utf8.RuneSelf {
				b.addRange(byte(lo), byte(min(hi, utf8.RuneSelf-1)))
			}
			if hi >= utf8.RuneSelf {
				high()
			}
		}
	case syntax.OpAnyCharNotNL:
		b.addRange(0, 0xff)
		b[0] &^= 1 << '\n'
	case syntax.OpAnyChar:
		b.addRange(0, 0xff)
	default:
		for _, s := range re.Sub {
			b.union(matchBytes(s))
		}
	}
	return &b
}

// firstBranch is an anchored pattern cut down to the first alternative
// of its first choice point, e.g. gitleaks' curl rules without the
// branch that reads up to five more lines:
//
//	curl\b(?:.*?|.*?(?:[\r\n]{1,2}.*?){1,5})[ \t\n\r](?:-H|--header)…
//
// Before that alternation there are only fixed-width pieces, so every way
// through its first branch comes before every way through the others in
// the order leftmost-first matching tries them: when the cut-down
// pattern matches, the whole pattern matches the same way, with the same
// groups. It is much cheaper (its input ends with the line), and the
// whole pattern runs only when it fails.
type firstBranch struct {
	re    *regexp.Regexp
	bound *endBound
}

// get returns the cut-down pattern and its bound.
func (f *firstBranch) get() (*regexp.Regexp, *endBound) { return f.re, f.bound }

// newFirstBranch returns nil when re (anchored, parsed) has no such
// alternation: an unbounded one (where the cost is) after at least one
// literal and only fixed-width pieces, whose other branches hold no
// capture group.
func newFirstBranch(re *syntax.Regexp) *firstBranch {
	subs := flatConcat(re)
	literal := false
	for i, sub := range subs {
		switch sub.Op {
		case syntax.OpBeginText, syntax.OpBeginLine, syntax.OpWordBoundary, syntax.OpNoWordBoundary,
			syntax.OpEmptyMatch, syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			continue
		case syntax.OpLiteral:
			literal = true
			continue
		case syntax.OpAlternate:
			if !literal || len(sub.Sub) < 2 || maxLen(sub) >= 0 || slices.ContainsFunc(sub.Sub[1:], hasCapture) {
				return nil
			}
			cut := &syntax.Regexp{Op: syntax.OpConcat, Flags: re.Flags}
			cut.Sub = append(cut.Sub, subs[:i]...)
			cut.Sub = append(cut.Sub, sub.Sub[0])
			cut.Sub = append(cut.Sub, subs[i+1:]...)
			// Compiled here, not on first use: printing the parsed
			// pattern takes milliseconds, which belong to start-up, not
			// to the first request with a curl command.
			c, err := regexp.Compile(cut.String())
			if err != nil {
				return nil
			}
			return &firstBranch{re: c, bound: newEndBound(cut.Simplify())}
		}
		return nil
	}
	return nil
}

// flatConcat returns the pieces of a concatenation, nested ones inlined.
func flatConcat(re *syntax.Regexp) []*syntax.Regexp {
	if re.Op != syntax.OpConcat {
		return []*syntax.Regexp{re}
	}
	var out []*syntax.Regexp
	for _, s := range re.Sub {
		out = append(out, flatConcat(s)...)
	}
	return out
}

func hasCapture(re *syntax.Regexp) bool {
	return re.Op == syntax.OpCapture || slices.ContainsFunc(re.Sub, hasCapture)
}
