package secrets

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/BobuSumisu/aho-corasick"
)

// foldTexts are the corpus texts plus upper-cased and mixed-case copies,
// so that case folding is exercised.
func foldTexts(t testing.TB) []string {
	var out []string
	for _, tx := range corpusTexts(t) {
		out = append(out, tx, strings.ToUpper(tx), swapCase(tx))
	}
	return append(out, "", "a", "\u212Aey", "ſecret", "EYJ", "S.", "-----BEGIN", "\xff\xfe")
}

func swapCase(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z' && i%3 == 0:
			b[i] = c - 'a' + 'A'
		case 'A' <= c && c <= 'Z':
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

type kwHit struct {
	end int
	pat int32
}

// TestKeywordAutomatonSame checks the case-folding automaton against an
// Aho-Corasick trie walked over a lower-cased copy of the text.
func TestKeywordAutomatonSame(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	var kws []string
	for range e.kwLen {
		kws = append(kws, "")
	}
	// Recover the keyword strings from the rules, in index order.
	for i, r := range e.rules {
		for _, k := range r.keywords {
			k = strings.ToLower(k)
			for j, rs := range e.kwRules {
				if slices.Contains(rs, i) && e.kwLen[j] == len(k) && (kws[j] == "" || kws[j] == k) {
					if kws[j] == "" && !slices.Contains(kws, k) {
						kws[j] = k
					}
				}
			}
		}
	}
	for j, k := range kws {
		if k == "" {
			t.Fatalf("keyword %d not recovered", j)
		}
	}
	trie := ahocorasick.NewTrieBuilder().AddStrings(kws).Build()
	for _, tx := range append(foldTexts(t), keywordSoup(kws, 3000)...) {
		checkSameHits(t, e.kw, trie, tx)
	}
}

// keywordSoup returns texts of many lengths made of keywords, their
// prefixes and random bytes, dense enough that occurrences straddle the
// points where the automaton's parallel walk cuts a text.
func keywordSoup(kws []string, n int) []string {
	r := rand.New(rand.NewPCG(3, 5))
	out := make([]string, n)
	for i := range out {
		size := r.IntN(3000)
		var b strings.Builder
		for b.Len() < size {
			switch k := kws[r.IntN(len(kws))]; r.IntN(4) {
			case 0:
				b.WriteString(strings.ToUpper(k))
			case 1:
				b.WriteString(k[:r.IntN(len(k))+1])
			case 2:
				b.WriteByte(byte(r.IntN(256)))
			default:
				b.WriteString(k)
			}
		}
		out[i] = b.String()
	}
	return out
}

func checkSameHits(t *testing.T, a *foldAC, trie *ahocorasick.Trie, tx string) {
	t.Helper()
	var got, want []kwHit
	a.each(tx, func(end int, p int32) { got = append(got, kwHit{end, p}) })
	trie.Walk(lowerASCII(nil, tx), func(end, _, p int64) bool {
		want = append(want, kwHit{int(end) + 1, int32(p)})
		return true
	})
	if !slices.Equal(got, want) {
		t.Errorf("%.80q: automaton %v, trie %v", tx, got, want)
	}
}

func TestFoldACSmall(t *testing.T) {
	a := newFoldAC([]string{"he", "she", "his", "hers", "Ab", "b"})
	trie := ahocorasick.NewTrieBuilder().AddStrings([]string{"he", "she", "his", "hers", "ab", "b"}).Build()
	for _, tx := range []string{"ushers", "USHERS", "hishe", "aB ab AB", "shshe", "", "\xffhe"} {
		checkSameHits(t, a, trie, tx)
	}
	if !a.any("xSHEx") || a.any("xyz") {
		t.Error("any")
	}
	// A pattern given twice is reported under both indices.
	var got []kwHit
	newFoldAC([]string{"she", "he", "she"}).each("ashe", func(end int, p int32) { got = append(got, kwHit{end, p}) })
	if want := []kwHit{{4, 0}, {4, 2}, {4, 1}}; !slices.Equal(got, want) {
		t.Errorf("duplicates: %v, want %v", got, want)
	}
}

// The pre-checks read the text folding ASCII case themselves; the
// reference versions below read a lower-cased copy, as they used to.

func refAssignAfter(lower []byte, end int) bool {
	i, n := end, 0
	for i < len(lower) && n <= 20 && isIdentSpace(lower[i]) {
		i++
		n++
	}
	if n > 20 {
		return false
	}
	for n = 0; i < len(lower) && n < 3 && (isSpace(lower[i]) || lower[i] == '\'' || lower[i] == '"'); n++ {
		i++
	}
	return i < len(lower) && strings.IndexByte("=>:|?,", lower[i]) >= 0
}

func refFlagWithinLines(flag string, lines, limit int) func([]byte, int) bool {
	return func(lower []byte, end int) bool {
		w := lower[end:min(len(lower), end+limit)]
		for i, nl := 0, 0; i < len(w); i++ {
			if w[i] == '\n' {
				if nl++; nl > lines {
					w = w[:i]
					break
				}
			}
		}
		return bytes.Contains(w, []byte(flag))
	}
}

func refJwtAfter(lower []byte, end int) bool {
	i := end
	for i < len(lower) && ('a' <= lower[i] && lower[i] <= 'z' || '0' <= lower[i] && lower[i] <= '9') {
		i++
	}
	return i-end >= 14 && i+2 < len(lower) && lower[i] == '.' && lower[i+1] == 'e' && lower[i+2] == 'y'
}

func refNearAll(words []string, dist int) func([]byte, int) bool {
	return func(lower []byte, end int) bool {
		w := lower[max(0, end-dist):min(len(lower), end+dist)]
		for _, x := range words {
			if !bytes.Contains(w, []byte(x)) {
				return false
			}
		}
		return true
	}
}

func refTokenAfter(n int) func([]byte, int) bool {
	return func(lower []byte, end int) bool {
		i := end
		for i < len(lower) && i-end < n && (isIdentSpace(lower[i]) && lower[i] != ' ' && lower[i] != '\t') {
			i++
		}
		return i-end >= n
	}
}

func refOperatorAfter(lower []byte, end int) bool {
	i := end
	for n := 0; i < len(lower) && n < 20 && (lower[i] == '_' || lower[i] == '-' || lower[i] == '.' || ('a' <= lower[i] && lower[i] <= 'z') || ('0' <= lower[i] && lower[i] <= '9')); n++ {
		i++
	}
	if i < len(lower) && (lower[i] == '"' || lower[i] == '\'') {
		i++
	}
	for n := 0; i < len(lower) && n < 3 && (lower[i] == ' ' || lower[i] == '\t'); n++ {
		i++
	}
	if i >= len(lower) {
		return false
	}
	if lower[i] == '=' || lower[i] == ':' || lower[i] == '>' {
		return true
	}
	return refProseVerbAfter(lower, i)
}

func refAssignOperatorAfter(lower []byte, end int) bool {
	i := end
	for n := 0; i < len(lower) && n < 20 && (lower[i] == '_' || ('a' <= lower[i] && lower[i] <= 'z') || ('0' <= lower[i] && lower[i] <= '9')); n++ {
		i++
	}
	if i < len(lower) && (lower[i] == '"' || lower[i] == '\'') {
		i++
	}
	for n := 0; i < len(lower) && n < 3 && (lower[i] == ' ' || lower[i] == '\t'); n++ {
		i++
	}
	return i < len(lower) && (lower[i] == '=' || lower[i] == ':')
}

func refProseVerbAfter(lower []byte, i int) bool {
	for w := 0; w < 5; w++ {
		j := i
		for j < len(lower) && (lower[j] == ' ' || lower[j] == '\t') {
			j++
		}
		if j == i && w > 0 {
			return false
		}
		k := j
		for k < len(lower) && k-j <= 20 && (('a' <= lower[k] && lower[k] <= 'z') || lower[k] >= 0x80 || lower[k] == '\'' || lower[k] == '-') {
			k++
		}
		if k == j {
			return false
		}
		switch string(lower[j:k]) {
		case "is", "est", "ist", "es", "was", "lautet", "é":
			return true
		}
		i = k
	}
	return false
}

func refUserinfoAfter(lower []byte, end int) bool {
	colon := false
	for i := end; i < len(lower) && i < end+400; i++ {
		switch c := lower[i]; c {
		case ':':
			colon = true
		case '@':
			return colon
		case ' ', '\t', '\n', '\r', '/', '"', '\'', '<', '>':
			return false
		}
	}
	return false
}

func refDigitsBefore(n int) func([]byte, int) bool {
	return func(lower []byte, end int) bool {
		k := end - 3
		for i := 1; i <= n; i++ {
			if k-i < 0 || lower[k-i] < '0' || lower[k-i] > '9' {
				return false
			}
		}
		return true
	}
}

type prePair struct {
	name string
	fast func(string, int) bool
	ref  func([]byte, int) bool
}

func prePairs(e *engine) []prePair {
	var tokenN int
	var token func(string, int) bool
	for _, r := range e.rules {
		if n, ok := tokenAfter[r.id]; ok {
			tokenN, token = n, r.pre
		}
	}
	return []prePair{
		{"assignAfter", assignAfter, refAssignAfter},
		{"flag -u", flagWithinLines("-u", 10, 300), refFlagWithinLines("-u", 10, 300)},
		{"jwtAfter", jwtAfter, refJwtAfter},
		{"nearAll", nearAll([]string{"kind:", "data:"}, 1024), refNearAll([]string{"kind:", "data:"}, 1024)},
		{"tokenAfter", token, refTokenAfter(tokenN)},
		{"operatorAfter", operatorAfter, refOperatorAfter},
		{"assignOperatorAfter", assignOperatorAfter, refAssignOperatorAfter},
		{"userinfoAfter", userinfoAfter, refUserinfoAfter},
		{"digitsBefore", digitsBefore(8), refDigitsBefore(8)},
	}
}

// TestPreChecksSame checks every pre-check against its reference at every
// offset of the corpora.
func TestPreChecksSame(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	pairs := prePairs(e)
	for _, tx := range foldTexts(t) {
		checkPre(t, pairs, tx)
	}
}

func checkPre(t *testing.T, pairs []prePair, tx string) {
	t.Helper()
	lower := lowerASCII(nil, tx)
	for end := 3; end <= len(tx); end++ {
		for _, p := range pairs {
			if got, want := p.fast(tx, end), p.ref(lower, end); got != want {
				t.Fatalf("%s at %d of %.80q: %v, reference %v", p.name, end, tx, got, want)
			}
		}
	}
}

func FuzzFold(f *testing.F) {
	e, err := newEngine(nil)
	if err != nil {
		f.Fatal(err)
	}
	pairs := prePairs(e)
	for _, s := range []string{"PASSWORD is Xk9", "API_KEY = 'x'", "S.abcdefghijklmnopqrstuvwxyz", "curl -U a:b", "eyJhbGciOiJIUzI1NiJ9.eyJz", "123456789:AAx", "x://u:p@h", "\u212Aey"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tx string) {
		checkPre(t, pairs, tx)
	})
}

func TestContainsFold(t *testing.T) {
	subs := []string{"-u", "-h", "kind:", "data:", "curl", "a", "é", "x-y"}
	for _, tx := range append(foldTexts(t), "KIND:", "kInD :", "-U", "--USER", "data", "") {
		lower := string(lowerASCII(nil, tx))
		for _, sub := range subs {
			if got, want := containsFold(tx, sub), strings.Contains(lower, sub); got != want {
				t.Errorf("containsFold(%.60q, %q) = %v, want %v", tx, sub, got, want)
			}
		}
	}
}

// TestPlaceholderWordsSame checks the automaton for placeholder words
// against ToLower and Contains.
func TestPlaceholderWordsSame(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(allowTargets(t, e), placeholderWords...) {
		ls, want := strings.ToLower(s), false
		for _, w := range placeholderWords {
			want = want || strings.Contains(ls, w)
		}
		if got := placeholderSet.contains(s); got != want {
			t.Errorf("%.60q: automaton %v, Contains %v", s, got, want)
		}
	}
}

// TestEntropySame checks the memoized entropy bit for bit against the
// plain formula.
func TestEntropySame(t *testing.T) {
	plain := func(s string) float64 {
		if s == "" {
			return 0
		}
		var freq [256]int
		for i := 0; i < len(s); i++ {
			freq[s[i]]++
		}
		var h float64
		n := float64(len(s))
		for _, c := range freq {
			if c > 0 {
				p := float64(c) / n
				h -= p * math.Log2(p)
			}
		}
		return h
	}
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	texts := append(allowTargets(t, e), strings.Repeat("a", 100), strings.Repeat("ab", 40)+"c", strings.Repeat("abc", 30))
	for _, s := range texts {
		if got, want := entropy(s), plain(s); got != want {
			t.Errorf("entropy(%.40q) = %v, plain %v", s, got, want)
		}
	}
}
