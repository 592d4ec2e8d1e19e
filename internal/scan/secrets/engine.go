package secrets

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

//go:generate go run ./internal/gen -in ../../../../shared/datasets/secrets/gitleaks.toml -out rules_gitleaks.go

// gitleaksRule and gitleaksAllowlist mirror the fields of gitleaks.toml
// that matter for text (paths and commits do not exist in a prompt).
type gitleaksRule struct {
	ID, Description, Regex, Path string
	Entropy                      float64
	SecretGroup                  int
	Keywords                     []string
	Allowlists                   []gitleaksAllowlist
}

type gitleaksAllowlist struct {
	Description, Condition, RegexTarget string
	Regexes, Stopwords, Paths           []string
}

// allowlist is a compiled gitleaksAllowlist.
type allowlist struct {
	and       bool   // condition = "AND"
	target    string // "secret" (default), "match" or "line"
	regexes   []*regexp.Regexp
	stopwords []string // lower-case
	paths     bool     // path conditions exist (never satisfied in text)
	// re and stop answer "a regex matches" and "a stopword occurs"
	// quickly; slow, in tests, uses the plain loops instead.
	re   *litFilter
	stop stopSet
	slow bool
}

// allowed reports whether the allowlist exempts a match.
func (a *allowlist) allowed(secret, match, line string) bool {
	target := secret
	switch a.target {
	case "match":
		target = match
	case "line":
		target = line
	}
	var reOK, stopOK bool
	if a.slow {
		reOK, stopOK = a.slowRegexes(target), a.slowStopwords(secret)
	} else {
		// An OR list is settled by its regexes alone when one matches.
		reOK = a.re.match(target)
		if !reOK || a.and {
			stopOK = a.stop.contains(secret)
		}
	}
	if a.and {
		if a.paths {
			return false
		}
		return (len(a.regexes) == 0 || reOK) && (len(a.stopwords) == 0 || stopOK) &&
			(len(a.regexes) > 0 || len(a.stopwords) > 0)
	}
	return reOK || stopOK
}

func (a *allowlist) slowRegexes(target string) bool {
	for _, re := range a.regexes {
		if re.MatchString(target) {
			return true
		}
	}
	return false
}

func (a *allowlist) slowStopwords(secret string) bool {
	if len(a.stopwords) == 0 {
		return false
	}
	ls := strings.ToLower(secret)
	for _, w := range a.stopwords {
		if strings.Contains(ls, w) {
			return true
		}
	}
	return false
}

func compileAllowlist(a gitleaksAllowlist) (allowlist, error) {
	out := allowlist{and: strings.EqualFold(a.Condition, "AND"), target: a.RegexTarget, paths: len(a.Paths) > 0}
	for _, r := range a.Regexes {
		re, err := regexp.Compile(r)
		if err != nil {
			return out, err
		}
		out.regexes = append(out.regexes, re)
	}
	for _, w := range a.Stopwords {
		out.stopwords = append(out.stopwords, strings.ToLower(w))
	}
	f, err := newLitFilter(out.regexes)
	if err != nil {
		return out, err
	}
	out.re, out.stop = f, newStopSet(out.stopwords)
	return out, nil
}

// rule is one compiled detection rule.
type rule struct {
	id          string
	re          *regexp.Regexp
	entropy     float64
	secretGroup int
	keywords    []string
	allow       []allowlist
	// generic rules get the placeholder, hash, UUID and version filters
	// and a lower score.
	generic bool
	// check, when set, must accept the secret (own rules' validators).
	check func(secret, match, line string) bool
	// before and after bound the window searched around a keyword hit.
	before, after int
	// pre, when set, is a cheap test at a keyword hit (the text, keyword
	// end; it folds ASCII case itself) that must pass before the regexp runs there.
	pre func(s string, end int) bool
	// prefixExt > 0 means re is the gitleaks pattern without its leading
	// lazy `[\w.-]{0,50}?`: a match is extended back over at most
	// prefixExt identifier bytes instead, which finds the same matches
	// with a much smaller automaton.
	prefixExt int
	// anchored, when set, is re anchored at its start: every match of re
	// begins with one of the rule's keywords, so it is tried only at
	// keyword hits instead of over a window. wordStart means re began
	// with \b, which is checked by hand at the hit.
	anchored  *regexp.Regexp
	wordStart bool
	// lead, with anchored, checks by hand what re requires before the
	// keyword and returns where the match starts.
	lead func(s string, k int) (int, bool)
	// bound bounds where an anchored match can end, so the input can be
	// cut and the regexp can use its backtracker.
	bound *endBound
	// first, when set, is tried before anchored (see firstBranch).
	first *firstBranch
	// value, when set, must accept an anchored hit before the pattern
	// runs there (see valueAfter).
	value *valueAfter
	// need, when set, finds re's required literals (requiredLits): a
	// window without any cannot hold a match.
	need *foldAC
}

// anchorAtKeywords sets r.anchored when every match of expr must begin
// with one of r's keywords (case-insensitively).
func (r *rule) anchorAtKeywords(expr string) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return
	}
	wordStart := false
	if re.Op == syntax.OpConcat && len(re.Sub) > 1 && re.Sub[0].Op == syntax.OpWordBoundary {
		wordStart = true
		re.Sub = re.Sub[1:]
	}
	ps, _ := literalPrefixes(re)
	for _, p := range ps {
		if !slices.ContainsFunc(r.keywords, func(k string) bool {
			return k != "" && strings.HasPrefix(p, strings.ToLower(k))
		}) {
			return
		}
	}
	a, err := regexp.Compile(`^(?:` + re.String() + `)`)
	if err != nil {
		return
	}
	r.anchored, r.wordStart = a, wordStart
}

// literalPrefixes returns lower-cased strings one of which begins every
// match of re; exact reports that they are exactly re's matches. {""}
// means nothing is known.
func literalPrefixes(re *syntax.Regexp) (ps []string, exact bool) {
	return literalPrefixesN(re, 64)
}

// literalPrefixesN is literalPrefixes with at most limit strings.
func literalPrefixesN(re *syntax.Regexp, limit int) (ps []string, exact bool) {
	unknown := []string{""}
	switch re.Op {
	case syntax.OpEmptyMatch:
		return unknown, true
	case syntax.OpLiteral:
		b := make([]byte, 0, len(re.Rune))
		for _, c := range re.Rune {
			if c >= utf8.RuneSelf {
				return unknown, false
			}
			b = append(b, byte(unicode.ToLower(c)))
		}
		return []string{string(b)}, true
	case syntax.OpCharClass:
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] >= utf8.RuneSelf || re.Rune[i+1]-re.Rune[i] > 8 {
				return unknown, false
			}
			for c := re.Rune[i]; c <= re.Rune[i+1]; c++ {
				if l := string(rune(unicode.ToLower(c))); !slices.Contains(set, l) {
					set = append(set, l)
				}
			}
		}
		if len(set) == 0 || len(set) > 8 {
			return unknown, false
		}
		return set, true
	case syntax.OpCapture:
		return literalPrefixesN(re.Sub[0], limit)
	case syntax.OpQuest:
		sp, ex := literalPrefixesN(re.Sub[0], limit)
		if !ex || slices.Contains(sp, "") {
			return unknown, false
		}
		return append(sp, ""), true
	case syntax.OpPlus:
		sp, _ := literalPrefixesN(re.Sub[0], limit)
		return sp, false
	case syntax.OpRepeat:
		if re.Min < 1 {
			return unknown, false
		}
		sp, _ := literalPrefixesN(re.Sub[0], limit)
		return sp, false
	case syntax.OpAlternate:
		exact = true
		for _, sub := range re.Sub {
			sp, ex := literalPrefixesN(sub, limit)
			ps = append(ps, sp...)
			exact = exact && ex
		}
		if len(ps) > limit {
			return unknown, false
		}
		return ps, exact
	case syntax.OpConcat:
		ps = unknown
		for _, sub := range re.Sub {
			sp, ex := literalPrefixesN(sub, limit)
			if len(ps)*len(sp) > limit {
				return ps, false
			}
			next := make([]string, 0, len(ps)*len(sp))
			for _, a := range ps {
				for _, b := range sp {
					next = append(next, a+b)
				}
			}
			ps = next
			if !ex {
				return ps, false
			}
		}
		return ps, true
	}
	return unknown, false
}

// lazyIdentPrefix leads ~100 gitleaks patterns. As a regexp it is the
// costliest part of them: every byte of a word starts up to 50 threads.
const lazyIdentPrefix = `(?i)[\w.-]{0,50}?`

// extendIdent moves start back over at most n bytes of [\w.-], not past
// floor: what the lazy prefix would have matched.
func extendIdent(s string, start, floor, n int) int {
	lim := max(floor, start-n)
	for start > lim && isIdentByte(s[start-1]) {
		start--
	}
	return start
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '.' || c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// assignTemplate is the "identifier, operator, value" shape shared by
// gitleaks' generic and many provider rules.
const assignTemplate = `(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)`

// assignAfter reports whether an assignment operator follows a keyword the
// way assignTemplate requires: at most 20 identifier characters, at most 3
// spaces or quotes, then one of = > : | ? ,. None of those operators is in
// the skipped classes, so the greedy skip is exact.
func assignAfter(s string, end int) bool {
	i, n := end, 0
	for i < len(s) && n <= 20 && isIdentSpace(lc(s[i])) {
		i++
		n++
	}
	if n > 20 {
		return false
	}
	for n = 0; i < len(s) && n < 3 && (isSpace(s[i]) || s[i] == '\'' || s[i] == '"'); n++ {
		i++
	}
	return i < len(s) && strings.IndexByte("=>:|?,", s[i]) >= 0
}

func isIdentSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '_' || c == '.' || c == '-' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z')
}

// keywordOverrides tighten keywords that are too common in prose: every
// JWT starts with "eyJ" (base64 of `{"`), while "ey" is in "key".
var keywordOverrides = map[string][]string{"jwt": {"eyj"}}

// requiredNear lists words that must occur near a keyword hit for rules
// whose keyword is common but whose pattern needs more.
var requiredNear = map[string][]string{"kubernetes-secret-yaml": {"kind:", "data:"}}

// tokenAfter gives the token length that must follow a keyword that is
// common in prose ("s." ends many sentences).
var tokenAfter = map[string]int{"vault-service-token": 24}

// flagAfter lists the command-line flag that must follow a keyword within
// six lines (curl's -u/--user and -H/--header both contain it).
var flagAfter = map[string]string{"curl-auth-user": "-u", "curl-auth-header": "-h"}

func flagWithinLines(flag string, lines, limit int) func(string, int) bool {
	return func(s string, end int) bool {
		w := s[end:min(len(s), end+limit)]
		for i, nl := 0, 0; i < len(w); i++ {
			if w[i] == '\n' {
				if nl++; nl > lines {
					w = w[:i]
					break
				}
			}
		}
		return containsFold(w, flag)
	}
}

// jwtAfter: "eyJ" starts a JWT only if at least 14 more header characters,
// a dot and "ey" follow.
func jwtAfter(s string, end int) bool {
	i := end
	for i < len(s) && isAlnum(s[i]) {
		i++
	}
	return i-end >= 14 && i+2 < len(s) && s[i] == '.' && lc(s[i+1]) == 'e' && lc(s[i+2]) == 'y'
}

func nearAll(words []string, dist int) func(string, int) bool {
	return func(s string, end int) bool {
		w := s[max(0, end-dist):min(len(s), end+dist)]
		for _, x := range words {
			if !containsFold(w, x) {
				return false
			}
		}
		return true
	}
}

// lc lower-cases an ASCII letter.
func lc(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// containsFold reports whether s contains the lower-case sub, ignoring
// ASCII case only (as a search in lowerASCII(s) would).
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	// Jump to a byte of sub that is not a letter (":" in "kind:").
	for j := 0; j < len(sub); j++ {
		if c := sub[j]; !('a' <= c && c <= 'z') {
			for i := j; i < len(s); {
				k := strings.IndexByte(s[i:], c)
				if k < 0 {
					return false
				}
				if i += k; hasPrefixFold(s[i-j:], sub) {
					return true
				}
				i++
			}
			return false
		}
	}
	for i := 0; i+len(sub) <= len(s); i++ {
		if lc(s[i]) == sub[0] && hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s begins with the lower-case prefix,
// ignoring ASCII case only.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lc(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// maxMatchLen returns the longest match of a regexp in bytes, or false
// when it is unbounded.
func maxMatchLen(expr string) (int, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return 0, false
	}
	n := maxLen(re.Simplify())
	return n, n >= 0
}

// maxLen returns -1 for unbounded.
func maxLen(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			l := utf8.RuneLen(r)
			if re.Flags&syntax.FoldCase != 0 {
				// (?i)k also matches the Kelvin sign (3 bytes).
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					l = max(l, utf8.RuneLen(f))
				}
			}
			n += l
		}
		return n
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		return utf8.RuneLen(min(re.Rune[len(re.Rune)-1], unicode.MaxRune))
	case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return utf8.UTFMax
	case syntax.OpCapture:
		return maxLen(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return -1
	case syntax.OpQuest:
		return maxLen(re.Sub[0])
	case syntax.OpRepeat:
		n := maxLen(re.Sub[0])
		if n < 0 || re.Max < 0 {
			return -1
		}
		return n * re.Max
	case syntax.OpConcat:
		t := 0
		for _, s := range re.Sub {
			n := maxLen(s)
			if n < 0 {
				return -1
			}
			t += n
		}
		return t
	case syntax.OpAlternate:
		t := 0
		for _, s := range re.Sub {
			n := maxLen(s)
			if n < 0 {
				return -1
			}
			t = max(t, n)
		}
		return t
	}
	return -1
}

// engine is the compiled rule set with its keyword prefilter.
type engine struct {
	rules   []*rule
	global  allowlist
	kw      *foldAC // the rules' keywords
	kwRules [][]int // keyword index → rule indices
	kwLen   []int
	states  sync.Pool // of *findState
	// noAnchor turns off the anchored fast path, noBound the cut of
	// its input, noFirst the first-branch try, noNeed the required
	// literal check of windows (tests compare them).
	noAnchor, noBound, noFirst, noNeed bool
}

const (
	defaultBefore = 64
	defaultAfter  = 512
	// maxBlock is the longest single match the engine looks for (PEM
	// blocks of 8192-bit RSA keys stay below it); it is also the
	// streaming holdback.
	maxBlock = 8192
)

var defaultEngine = sync.OnceValues(func() (*engine, error) { return newEngine(nil) })

// newEngine compiles the gitleaks table plus Rampart's own rules, minus
// the disabled rule IDs.
func newEngine(disabled map[string]bool) (*engine, error) {
	e := &engine{}
	g, err := compileAllowlist(gitleaksGlobal)
	if err != nil {
		return nil, fmt.Errorf("global allowlist: %w", err)
	}
	e.global = g
	// The rules compile independently; compiling them on every core cuts
	// start-up (≈ 40% of `rampart scan` on a few MB) without changing them.
	built := make([]*rule, len(gitleaksRules))
	if err := parallel(len(gitleaksRules), func(i int) error {
		gr := gitleaksRules[i]
		if gr.Regex == "" || disabled[gr.ID] {
			return nil // path-only rules (pkcs12-file) cannot fire on text
		}
		expr, ext := gr.Regex, 0
		if rest, ok := strings.CutPrefix(expr, lazyIdentPrefix); ok {
			expr, ext = "(?i)"+rest, 50
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return fmt.Errorf("rule %s: %w", gr.ID, err)
		}
		r := &rule{
			id: gr.ID, re: re, entropy: gr.Entropy, secretGroup: gr.SecretGroup,
			keywords: gr.Keywords, generic: strings.HasPrefix(gr.ID, "generic"),
			before: defaultBefore, after: defaultAfter, prefixExt: ext,
		}
		if kw, ok := keywordOverrides[gr.ID]; ok {
			r.keywords = kw
		}
		if n, ok := maxMatchLen(gr.Regex); ok {
			// A bounded pattern: the match lies within n bytes of the
			// keyword on either side.
			r.before, r.after = min(n, 1024), min(n, maxBlock)
		}
		r.anchorAtKeywords(expr)
		if words, ok := requiredNear[gr.ID]; ok {
			r.pre = nearAll(words, 1024)
		}
		if f, ok := flagAfter[gr.ID]; ok {
			r.pre = flagWithinLines(f, 10, r.after)
		}
		if gr.ID == "jwt" {
			// Every JWT starts with the keyword eyJ: try the pattern there.
			r.pre = jwtAfter
			if re, err := syntax.Parse(expr, syntax.Perl); err == nil && re.Op == syntax.OpConcat && re.Sub[0].Op == syntax.OpWordBoundary {
				if a, err := regexp.Compile(`^(?:` + (&syntax.Regexp{Op: syntax.OpConcat, Sub: re.Sub[1:]}).String() + `)`); err == nil {
					r.anchored, r.wordStart = a, true
				}
			}
		}
		if gr.ID == "generic-api-key" && gr.Regex == genericAPIKeyRegex {
			r.value = genericAPIKeyValue
		}
		if n, ok := tokenAfter[gr.ID]; ok {
			r.pre = func(s string, end int) bool {
				i := end
				for i < len(s) && i-end < n && isIdentSpace(lc(s[i])) && s[i] != ' ' && s[i] != '\t' {
					i++
				}
				return i-end >= n
			}
		}
		switch {
		case strings.Contains(gr.Regex, assignTemplate):
			r.pre = assignAfter
			r.before, r.after = min(r.before, 96), min(r.after, 640)
		case r.after == defaultAfter && (strings.Contains(gr.Regex, ",}") || strings.Contains(gr.Regex, "PRIVATE KEY")):
			// Unbounded repetitions (JWTs, private keys, long tokens).
			r.after = maxBlock
		}
		for _, a := range gr.Allowlists {
			ca, err := compileAllowlist(a)
			if err != nil {
				return fmt.Errorf("rule %s allowlist: %w", gr.ID, err)
			}
			r.allow = append(r.allow, ca)
		}
		built[i] = r
		return nil
	}); err != nil {
		return nil, err
	}
	for _, r := range built {
		if r != nil {
			e.rules = append(e.rules, r)
		}
	}
	var genericAllow []allowlist
	for _, r := range e.rules {
		if r.id == "generic-api-key" {
			genericAllow = r.allow
		}
	}
	for _, r := range ownRules() {
		if disabled[r.id] {
			continue
		}
		if r.anchored == nil {
			r.anchorAtKeywords(r.re.String())
		}
		if r.id == "generic-secret-assignment" {
			// gitleaks' curated exemptions (csrf tokens, key ids, its
			// stopwords) apply to our assignment rule too.
			r.allow = genericAllow
		}
		e.rules = append(e.rules, r)
	}
	_ = parallel(len(e.rules), func(i int) error {
		r := e.rules[i]
		if re, err := syntax.Parse(r.re.String(), syntax.Perl); err == nil {
			if lits := requiredLits(re); lits != nil {
				r.need = newFoldAC(lits)
			}
		}
		if r.anchored != nil {
			if re, err := syntax.Parse(r.anchored.String(), syntax.Perl); err == nil {
				r.bound = newEndBound(re.Simplify())
				r.first = newFirstBranch(re)
			}
		}
		return nil
	})
	// One trie over the distinct lower-cased keywords.
	index := map[string]int{}
	var kws []string
	for i, r := range e.rules {
		if len(r.keywords) == 0 {
			return nil, fmt.Errorf("rule %s has no keywords", r.id)
		}
		for _, k := range r.keywords {
			k = strings.ToLower(k)
			j, ok := index[k]
			if !ok {
				j = len(kws)
				index[k] = j
				kws = append(kws, k)
				e.kwRules = append(e.kwRules, nil)
				e.kwLen = append(e.kwLen, len(k))
			}
			if !slices.Contains(e.kwRules[j], i) {
				e.kwRules[j] = append(e.kwRules[j], i)
			}
		}
	}
	e.kw = newFoldAC(kws)
	return e, nil
}

// match is one accepted secret in a text.
type match struct {
	rule       *rule
	start, end int // of the secret (or the whole match)
}

// lowerASCII lower-cases ASCII letters only, so byte offsets are kept.
func lowerASCII(dst []byte, s string) []byte {
	dst = append(dst[:0], s...)
	for i, c := range dst {
		if 'A' <= c && c <= 'Z' {
			dst[i] = c + 'a' - 'A'
		}
	}
	return dst
}

type window struct{ start, end int }

// findState is find's scratch space, reused through engine.states.
type findState struct {
	// rule index → windows around its keyword hits, or the hits
	// themselves for anchored rules.
	hits [][]window
	used []int // rule indices with hits
}

// find returns the accepted matches in s, sorted by position.
func (e *engine) find(s string) []match {
	st, _ := e.states.Get().(*findState)
	if st == nil {
		st = &findState{hits: make([][]window, len(e.rules))}
	}
	defer func() {
		for _, ri := range st.used {
			st.hits[ri] = st.hits[ri][:0]
		}
		st.used = st.used[:0]
		e.states.Put(st)
	}()
	hits := st.hits
	e.kw.each(s, func(end int, pattern int32) {
		pos := end - e.kwLen[pattern]
		for _, ri := range e.kwRules[pattern] {
			r := e.rules[ri]
			if r.pre != nil && !r.pre(s, end) {
				continue
			}
			if len(hits[ri]) == 0 {
				st.used = append(st.used, ri)
			}
			if r.anchored != nil && !e.noAnchor {
				hits[ri] = append(hits[ri], window{pos, min(len(s), end+r.after)})
				continue
			}
			w := window{max(0, pos-r.before), min(len(s), end+r.after)}
			ws := hits[ri]
			if k := len(ws) - 1; k >= 0 && w.start <= ws[k].end {
				ws[k].end = max(ws[k].end, w.end)
			} else {
				ws = append(ws, w)
			}
			hits[ri] = ws
		}
	})
	if len(st.used) == 0 {
		return nil
	}
	var out []match
	slices.Sort(st.used)
	for _, ri := range st.used {
		r := e.rules[ri]
		if r.anchored != nil && !e.noAnchor {
			out = e.findAnchored(r, s, hits[ri], out)
			continue
		}
		lastEnd := -1
		for _, w := range hits[ri] {
			ws, we := snapStart(s, w.start), snapEnd(s, w.end)
			if ws < lastEnd {
				ws = lastEnd
			}
			if ws >= we {
				continue
			}
			lastEnd = we
			if r.need != nil && !e.noNeed && !r.need.mayMatch(s[ws:we]) {
				continue
			}
			prev := ws
			for _, loc := range r.re.FindAllStringSubmatchIndex(s[ws:we], -1) {
				for i := range loc {
					if loc[i] >= 0 {
						loc[i] += ws
					}
				}
				if r.prefixExt > 0 {
					loc[0] = extendIdent(s, loc[0], prev, r.prefixExt)
				}
				prev = loc[1]
				if m, ok := e.accept(r, s, loc); ok {
					out = append(out, m)
				}
			}
		}
	}
	return dedupe(out)
}

// findAnchored tries r's anchored pattern at each keyword hit (start, and
// the end of its window), leftmost first and without overlaps, as an
// unanchored search over the hits' windows would.
func (e *engine) findAnchored(r *rule, s string, hs []window, out []match) []match {
	slices.SortFunc(hs, func(a, b window) int { return cmp.Compare(a.start, b.start) })
	prev := 0
	for i, h := range hs {
		k := h.start
		if k < prev || (i > 0 && k == hs[i-1].start) {
			continue
		}
		if r.wordStart && (k > 0 && isWordByte(s[k-1])) == isWordByte(s[k]) {
			continue
		}
		start := k
		if r.value != nil && !e.noNeed && !r.value.ok(s, k) {
			continue
		}
		if r.lead != nil {
			var ok bool
			if start, ok = r.lead(s, k); !ok || start < prev {
				continue
			}
		}
		we := snapEnd(s, h.end)
		if we <= k {
			continue // the windowed search would not reach k either
		}
		if r.bound != nil && !e.noBound {
			// One byte more than the longest match keeps \b and $ exact.
			we = min(we, r.bound.end(s, k)+1)
		}
		var loc []int
		if r.first != nil && !e.noFirst {
			if re, bound := r.first.get(); re != nil {
				fe := we
				if !e.noBound {
					fe = min(we, bound.end(s, k)+1)
				}
				loc = re.FindStringSubmatchIndex(s[k:fe])
			}
		}
		if loc == nil {
			loc = r.anchored.FindStringSubmatchIndex(s[k:we])
		}
		if loc == nil {
			continue
		}
		for j := range loc {
			if loc[j] >= 0 {
				loc[j] += k
			}
		}
		if r.prefixExt > 0 {
			loc[0] = extendIdent(s, loc[0], prev, r.prefixExt)
		}
		loc[0] = min(loc[0], start)
		prev = loc[1]
		if m, ok := e.accept(r, s, loc); ok {
			out = append(out, m)
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// snapStart moves a window start back to the previous space (or forward
// past a partial token) so that anchors and \b do not see a cut word.
func snapStart(s string, i int) int {
	if i <= 0 {
		return 0
	}
	for k := i; k > max(0, i-128); k-- {
		if isSpace(s[k-1]) {
			return k
		}
	}
	if i <= 128 {
		return 0
	}
	for i < len(s) && !isSpace(s[i-1]) {
		i++
	}
	return i
}

// snapEnd moves a window end forward to the next space (or back to one).
func snapEnd(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	for k := i; k < min(len(s), i+128); k++ {
		if isSpace(s[k]) {
			return k
		}
	}
	if i+128 >= len(s) {
		return len(s)
	}
	for i > 0 && !isSpace(s[i]) {
		i--
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// accept applies secretGroup, allowlists, entropy and validators to one
// regexp match.
func (e *engine) accept(r *rule, s string, loc []int) (match, bool) {
	ms, me := loc[0], loc[1]
	ss, se := ms, me
	if n := len(loc) / 2; n > 1 {
		if r.secretGroup > 0 && r.secretGroup < n {
			if loc[2*r.secretGroup] >= 0 {
				ss, se = loc[2*r.secretGroup], loc[2*r.secretGroup+1]
			}
		} else {
			for g := 1; g < n; g++ {
				if loc[2*g] >= 0 && loc[2*g+1] > loc[2*g] {
					ss, se = loc[2*g], loc[2*g+1]
					break
				}
			}
		}
	}
	secret, full := s[ss:se], s[ms:me]
	if secret == "" {
		return match{}, false
	}
	ls := strings.LastIndexByte(s[:ms], '\n') + 1
	le := len(s)
	if j := strings.IndexByte(s[me:], '\n'); j >= 0 {
		le = me + j
	}
	line := s[ls:le]
	// Every filter must pass; the cheap ones go first.
	if r.entropy > 0 {
		if entropy(secret) <= r.entropy {
			return match{}, false
		}
		if r.generic && !strings.ContainsAny(secret, "0123456789") {
			return match{}, false
		}
	}
	if e.global.allowed(secret, full, line) {
		return match{}, false
	}
	for i := range r.allow {
		if r.allow[i].allowed(secret, full, line) {
			return match{}, false
		}
	}
	if isPlaceholder(secret) {
		return match{}, false
	}
	if r.generic && (isHashLike(secret, line) || isUUID(secret) || isVersion(secret) || hasSequence(secret, 6)) {
		return match{}, false
	}
	if r.check != nil && !r.check(secret, full, line) {
		return match{}, false
	}
	return match{rule: r, start: ss, end: se}, true
}

// dedupe sorts matches and drops those inside another match's span,
// preferring specific rules over generic ones on equal spans.
func dedupe(ms []match) []match {
	if len(ms) < 2 {
		return ms
	}
	slices.SortFunc(ms, func(a, b match) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		if c := cmp.Compare(b.end, a.end); c != 0 {
			return c // longer first
		}
		if a.rule.generic != b.rule.generic {
			if a.rule.generic {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.rule.id, b.rule.id)
	})
	out := ms[:0]
	for _, m := range ms {
		if k := len(out) - 1; k >= 0 && m.start >= out[k].start && m.end <= out[k].end {
			// Contained. A specific rule keeps its own finding (a JWT
			// inside a curl command) and takes over an identical span a
			// generic rule found; generic findings inside another go.
			if m.start == out[k].start && m.end == out[k].end {
				switch {
				case out[k].rule.generic && !m.rule.generic:
					out[k] = m
				case !out[k].rule.generic && !m.rule.generic && out[k].rule.id != m.rule.id:
					out = append(out, m) // two specific rules agree
				}
				continue
			}
			if m.rule.generic {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// entropy is the Shannon entropy of s in bits per byte, as gitleaks
// computes it. Most bytes of a token occur once or a few times, so
// log2(count/len) is computed once per count: the same terms in the same
// order, so the same float64 result.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var freq [256]int
	for i := 0; i < len(s); i++ {
		freq[s[i]]++
	}
	var (
		h    float64
		logs [64]float64
		have uint64
	)
	n := float64(len(s))
	for _, c := range freq {
		if c > 0 {
			p := float64(c) / n
			var l float64
			switch {
			case c >= len(logs):
				l = math.Log2(p)
			case have&(1<<c) != 0:
				l = logs[c]
			default:
				l = math.Log2(p)
				logs[c], have = l, have|1<<c
			}
			h -= p * l
		}
	}
	return h
}

// parallel calls f(0) … f(n-1) on up to GOMAXPROCS goroutines and returns
// the error of the lowest index that failed, so the result does not depend
// on scheduling.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				errs[i] = f(i)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
