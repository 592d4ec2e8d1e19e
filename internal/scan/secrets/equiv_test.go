package secrets

import (
	"bufio"
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// corpusTexts are the texts the fast paths are checked against: the
// golden corpus (lines and whole), gitleaks' rule examples, the OOD
// corpus and a few hand-written cases.
func corpusTexts(t testing.TB) []string {
	corpusMu.Lock()
	defer corpusMu.Unlock()
	if corpusCache == nil {
		corpusCache = readCorpusTexts(t)
	}
	return corpusCache
}

var (
	corpusMu    sync.Mutex
	corpusCache []string
)

func readCorpusTexts(t testing.TB) []string {
	var texts []string
	if corpus, err := os.ReadFile("testdata/corpus.txt"); err == nil {
		texts = append(texts, strings.Split(string(corpus), "\n")...)
		texts = append(texts, string(corpus))
	}
	if f, err := os.Open(examplesPath); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				texts = append(texts, rec.Text)
			}
		}
	}
	for _, c := range loadOOD(t) {
		texts = append(texts, c.text)
	}
	return append(texts, "rootPassword: Zq8!Lw3Rt7", "const stripeApiKey = 'q8Zr5Lw3Tt7Yp2Mn5Kd'", "DBPassword=Zq8!Lw3Rt7",
		"db_userPassword=Zq8!Lw3Rt7", "compass: N45W", "x-api-key=abcdef0123456789XYZ", "my_secret_token_value: 'Zq8Lw3Rt7Yp2Mn5Kd9Hs'",
		"curl -u admin:Sup3rS3cret https://x", "Bearer abcdefghij0123456789klmnop", "a.b-c_d.e.f.g.api_key = \"q8Zr5Lw3Tt7Yp2Mn5Kd\"",
		"KEY_ALIAS=Zq8Lw3Rt7Yp2Mn5Kd9Hs", "api_version: 2024-01-01-Zq8Lw3", "x${{ secrets.FOO }}", "FALSE", "tRuEsecret", "aNull",
		"\u212Aey_id = Zq8Lw3Rt7Yp2Mn5Kd9Hs", "falſe", "monkey_token: Zq8Lw3Rt7Yp2Mn5Kd9Hs", "Monkey", "MONKEY", "mONKEY")
}

// allowTargets are strings to try allowlists on: every text, line and
// whitespace-separated token of the corpora, and each required literal
// of each allowlist in a few cases and surroundings.
func allowTargets(t testing.TB, e *engine) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		// Allowlists see secrets, matches and lines: short texts.
		if len(s) <= 1024 && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, tx := range corpusTexts(t) {
		add(tx)
		for _, l := range strings.Split(tx, "\n") {
			add(l)
			for _, w := range strings.Fields(l) {
				add(w)
			}
		}
	}
	for _, w := range []string{"aaaa", "AAAA", "aAaA", "****", "....", "abc-def", "abc-def1", "kKk\u212A", "$1", "${12}", "$FOO", "${foo_bar}", "%FOO%", "%s", "{1}", "@FOO@", "/Users/x/a b", "/tmp/x"} {
		add(w)
		add(w + " ")
	}
	for _, a := range e.allowlists() {
		lits := append(slices.Clone(a.re.lits), a.stopwords...)
		for _, l := range lits {
			for _, v := range []string{l, strings.ToUpper(l), "x" + l + "y", "Zq8Lw3" + l, l + "=\n", "_" + l + "_id", "/" + l + "/a b", l + "\u212A"} {
				add(v)
			}
		}
	}
	return out
}

// allowlists returns the engine's allowlists, each once (rules share
// gitleaks' generic one).
func (e *engine) allowlists() []*allowlist {
	out := []*allowlist{&e.global}
	for _, r := range e.rules {
		for i := range r.allow {
			if !slices.Contains(out, &r.allow[i]) {
				out = append(out, &r.allow[i])
			}
		}
	}
	return out
}

// TestAllowlistFilterSame checks the literal prefilter and the stopword
// automaton against plain regexp and strings.Contains loops.
func TestAllowlistFilterSame(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	targets := allowTargets(t, e)
	t.Logf("%d targets", len(targets))
	for _, a := range e.allowlists() {
		for _, s := range targets {
			if got, want := a.re.match(s), a.slowRegexes(s); got != want {
				t.Errorf("regexes %v on %q: filter %v, plain %v", a.regexes, s, got, want)
			}
			if got, want := a.stop.contains(s), a.slowStopwords(s); got != want {
				t.Errorf("stopwords on %q: automaton %v, plain %v", s, got, want)
			}
		}
	}
}

// TestFastSameMatches checks that the engine with every fast path finds
// exactly what the engine with the slow paths finds, on the corpora.
func TestFastSameMatches(t *testing.T) {
	fast, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow := slowEngine(t)
	uncut := uncutEngine(t)
	unchecked := uncheckedEngine(t)
	texts := append(corpusTexts(t), curlTexts(500)...)
	assigns := assignTexts(3000)
	for i, tx := range append(texts, assigns...) {
		got, want := fast.find(tx), slow.find(tx)
		// The random assignments are compared with the unchecked engine
		// only: they contain on purpose what anchoring has always missed
		// and a window around another keyword's hit may catch (a Kelvin
		// sign inside "api_\u212Aey", a form feed before the operator,
		// which the operator pre-check does not skip).
		if i < len(texts) && !slices.EqualFunc(got, want, sameMatch) {
			t.Errorf("%q:\nfast %v\nslow %v", tx, ids(got), ids(want))
		}
		if u := unchecked.find(tx); !slices.EqualFunc(got, u, sameMatch) {
			t.Errorf("%q:\nchecked %v\nunchecked %v", tx, ids(got), ids(u))
		}
		if u := uncut.find(tx); !slices.EqualFunc(got, u, sameMatch) {
			t.Errorf("%q:\ncut %v\nuncut %v", tx, ids(got), ids(u))
		}
	}
}

// uncheckedEngine skips no window and no anchored hit by the required
// literal and value checks.
func uncheckedEngine(t testing.TB) *engine {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.noNeed = true
	return e
}

// uncutEngine tries anchored patterns, whole, on the whole window after
// a hit.
func uncutEngine(t testing.TB) *engine {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.noBound, e.noFirst = true, true
	return e
}

// curlTexts are random multi-line curl commands: flags on the first or
// later lines, \r\n and blank lines, headers and users that match or
// nearly match gitleaks' curl rules.
func curlTexts(n int) []string {
	r := rand.New(rand.NewPCG(7, 11))
	parts := []string{"curl", " -X POST", " https://api.example.org/v1", " -H 'Authorization: Bearer Zq8Lw3Rt7Yp2Mn5Kd9Hs'",
		" -H \"X-Api-Key: q8Zr5Lw3Tt7Yp2Mn\"", "-H 'Content-Type: application/json'", " --header=\"Token: abcdefgh12\"",
		" -u admin:Sup3rS3cret", " --user 'bob:hunter22x'", " -u \"a:b\"", " -d '{\"a\": 1}'", " \\", "\n", "\n", "\r\n", "\n\n",
		"\n  ", "\t", " -H'Authorization: Basic dXNlcjpwYXNzd29yZA=='", " -H 'authorization: token 12345678'", "curl"}
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		b.WriteString("curl")
		for range 2 + r.IntN(14) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		out[i] = b.String()
	}
	return out
}

// assignTexts are random assignments and bearer headers around the
// limits of the value checks (valueAfter): names, separators, operators,
// quotes, values of 8 to 24 bytes, Kelvin signs and long s.
func assignTexts(n int) []string {
	r := rand.New(rand.NewPCG(9, 13))
	names := []string{"api_key", "apikey", "API-KEY", "access_token", "auth", "client_secret", "token", "private_key", "secret",
		"credential", "creds", "passwd", "password", "bearer", "Bearer", "BEARER", "api_\u212Aey", "\u017Fecret", "my_token_value"}
	seps := []string{"", " ", "\t", "  ", "\"", "'", "\n", " \f", ".x", "_id", "-1", "\u212A"}
	ops := []string{"=", ":", ":=", "=>", "::=", ":::=", "||", "?=", ",", ">", " is ", "", " "}
	pres := []string{"", " ", "\"", "'", "`", "=", "  \"", " = ", "\t'", "      ", "\n"}
	vals := []string{"Zq8Lw3Rt7Yp2Mn5Kd9Hs", "q8Zr5Lw3Tt", "q8Zr5Lw3T", "q8Zr5Lw3Tt7Y", "q8Zr5Lw3Tt7", "await getToken()", "${token}",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4", "ab+/cd==ef12GH34", "\u212A8Zr5Lw3Tt7Yp2", "None", "_, value"}
	ends := []string{"", "\n", ";", "\"", " x", "\\n", "'", ","}
	out := make([]string, n)
	for i := range out {
		pick := func(l []string) string { return l[r.IntN(len(l))] }
		out[i] = pick(names) + pick(seps) + pick(ops) + pick(pres) + pick(vals) + pick(ends)
		if r.IntN(3) == 0 {
			out[i] = "Authorization: " + out[i]
		}
	}
	return out
}

// TestFirstBranchSame checks the first-branch try against the whole
// pattern at every "curl" of random commands.
func TestFirstBranchSame(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range e.rules {
		if r.first == nil {
			continue
		}
		n++
		for _, tx := range append(curlTexts(2000), corpusTexts(t)...) {
			for k := 0; k < len(tx); k++ {
				if !hasPrefixFold(tx[k:], "curl") {
					continue
				}
				want := r.anchored.FindStringSubmatchIndex(tx[k:])
				re, bound := r.first.get()
				got := re.FindStringSubmatchIndex(tx[k:min(len(tx), bound.end(tx, k)+1)])
				if got == nil {
					got = want
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s at %d of %q: first branch %v, whole %v", r.id, k, tx, got, want)
				}
			}
		}
	}
	if n < 2 {
		t.Errorf("first-branch patterns: %d, want the two curl rules", n)
	}
}

// TestEndBound checks that no anchored match at a keyword hit ends after
// the bound computed for it.
func TestEndBound(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range foldTexts(t) {
		checkEndBound(t, e, tx)
	}
}

func checkEndBound(t *testing.T, e *engine, tx string) {
	t.Helper()
	e.kw.each(tx, func(end int, p int32) {
		k := end - e.kwLen[p]
		for _, ri := range e.kwRules[p] {
			r := e.rules[ri]
			if r.bound == nil {
				continue
			}
			loc := r.anchored.FindStringIndex(tx[k:])
			if b := r.bound.end(tx, k); loc != nil && k+loc[1] > b {
				t.Errorf("%s at %d of %.80q: match ends at %d, bound %d", r.id, k, tx, k+loc[1], b)
			}
		}
	})
}

func sameMatch(a, b match) bool {
	return a.rule.id == b.rule.id && a.start == b.start && a.end == b.end
}

// slowEngine is an engine with every fast path turned off.
func slowEngine(t testing.TB) *engine {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.noAnchor, e.noNeed = true, true
	for _, a := range e.allowlists() {
		a.slow = true
	}
	return e
}

func FuzzFastSameMatches(f *testing.F) {
	fast, err := newEngine(nil)
	if err != nil {
		f.Fatal(err)
	}
	slow := slowEngine(f)
	uncut := uncutEngine(f)
	for _, s := range []string{"password=Xk9#mLq2Tz", "api_key = \"q8Zr5Lw3Tt7Yp2Mn5Kd\"", "KEY_ALIAS=Zq8Lw3Rt7Yp2Mn5Kd9Hs",
		"token: ${{ secrets.X }}", "ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt", "\u212Aey = Zq8Lw3Rt7Yp2Mn5Kd9Hs", "\xff key=é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, want := fast.find(text), slow.find(text)
		if !slices.EqualFunc(got, want, sameMatch) {
			t.Errorf("%q:\nfast %v\nslow %v", text, ids(got), ids(want))
		}
		if u := uncut.find(text); !slices.EqualFunc(got, u, sameMatch) {
			t.Errorf("%q:\ncut %v\nuncut %v", text, ids(got), ids(u))
		}
		checkEndBound(t, fast, text)
		for _, a := range fast.allowlists() {
			if got, want := a.re.match(text), a.slowRegexes(text); got != want {
				t.Errorf("regexes %v on %q: filter %v, plain %v", a.regexes, text, got, want)
			}
			if got, want := a.stop.contains(text), a.slowStopwords(text); got != want {
				t.Errorf("stopwords on %q: automaton %v, plain %v", text, got, want)
			}
		}
	})
}

// TestValueChecksAttached notices when a value check stops applying (the
// gitleaks pattern changed): the results stay right, the speed does not.
func TestValueChecksAttached(t *testing.T) {
	e, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range e.rules {
		if r.value != nil {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d rules with a value check, want 3 (generic-api-key, generic-secret-assignment, bearer-token)", n)
	}
}
