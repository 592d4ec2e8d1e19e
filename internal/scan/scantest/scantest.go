// Package scantest holds what every scanner's tests need: running a
// scanner over one text the way the pipeline does, the invariants every
// finding must meet (spans in bounds and on rune boundaries, deterministic
// results), golden corpora, and benchmark prompts.
package scantest

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"rampart/internal/normalize"
	"rampart/internal/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// Scan runs sc over text prepared with the default normalizer, as the
// pipeline does for prompts.
func Scan(t testing.TB, sc scan.Scanner, text string) []scan.Finding {
	t.Helper()
	tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: text}}}
	tx.Prepare(normalize.Views)
	fs, err := sc.Scan(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Registered checks that name is registered with a documented spec whose
// default settings build a scanner of that name.
func Registered(t *testing.T, name string, input, output bool) scan.Scanner {
	t.Helper()
	spec, ok := scan.Lookup(name)
	if !ok || spec.Input != input || spec.Output != output || !spec.Default || !strings.HasSuffix(spec.Doc, ".") {
		t.Fatalf("spec %+v", spec)
	}
	sc, err := spec.New(func(any) error { return nil })
	if err != nil || sc.Name() != name {
		t.Fatalf("New with default settings: %v %v", sc, err)
	}
	return sc
}

// CheckFindings checks what must hold for any input: two scans give the
// same findings, and every span is non-empty, within text and on rune
// boundaries.
func CheckFindings(t testing.TB, text string, a, b []scan.Finding) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("nondeterministic: %v vs %v", a, b)
	}
	for i, f := range a {
		if f != b[i] {
			t.Fatalf("nondeterministic: %v vs %v", a, b)
		}
		sp := f.Span
		if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
			t.Fatalf("span %+v out of bounds for %d bytes", sp, len(text))
		}
		if utf8.ValidString(text) && (!utf8.RuneStart(byteAt(text, sp.Start)) || !utf8.RuneStart(byteAt(text, sp.End))) {
			t.Fatalf("span %+v not on rune boundaries of %q", sp, text)
		}
	}
}

// byteAt returns the byte at i, or a rune-start byte at the end of s.
func byteAt(s string, i int) byte {
	if i >= len(s) {
		return 'x'
	}
	return s[i]
}

// Golden scans every case of testdata/corpus.txt (cases separated by lines
// "----": positives and near-misses) and compares the findings with
// testdata/golden.txt. Run the package's tests with -update after a
// deliberate change, and read the diff.
func Golden(t *testing.T, sc scan.Scanner) {
	t.Helper()
	data, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, c := range strings.Split(string(data), "\n----\n") {
		c = strings.TrimSuffix(c, "\n")
		fmt.Fprintf(&b, "case %d: %q\n", i, firstLine(c))
		for _, f := range Scan(t, sc, c) {
			fmt.Fprintf(&b, "  %s %s [%d,%d) %q\n", f.Type, f.Rule, f.Span.Start, f.Span.End, c[f.Span.Start:f.Span.End])
		}
	}
	got := b.String()
	if *update {
		if err := os.WriteFile("testdata/golden.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("testdata/golden.txt")
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got == string(want) {
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("golden mismatch at line %d:\n got: %s\nwant: %s", i+1, g, w)
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "…"
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

// MixedPrompt builds an n-byte prompt of prose with code, numbers and a
// few identifiers, the shape of a real chat turn.
func MixedPrompt(n int) string {
	parts := []string{
		"Could you summarize the following meeting notes for the team? ",
		"We discussed the Q3 roadmap, the migration to version 2.4.1 and the budget of 12,500 EUR. ",
		"func main() { fmt.Println(\"hello\") } // prints a greeting\n",
		"The key takeaway is that the access layer needs a token bucket per tenant. ",
		"Order 55123 was shipped on 2024-05-02; see ticket ABC-1234 for details. ",
		"Please keep the tone friendly and mention the secret sauce of our onboarding. ",
	}
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteString(parts[i%len(parts)])
	}
	return b.String()[:n]
}

// Bench measures sc over an n-byte MixedPrompt (raw view only).
func Bench(b *testing.B, sc scan.Scanner, n int) {
	tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: MixedPrompt(n)}}}
	tx.Prepare(nil)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Scan(context.Background(), tx); err != nil {
			b.Fatal(err)
		}
	}
}
