package secrets

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"rampart/internal/normalize"
	"rampart/internal/scan"
)

func scanOne(t testing.TB, sc scan.Scanner, text string) []scan.Finding {
	t.Helper()
	tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: text}}}
	tx.Prepare(normalize.Views)
	fs, err := sc.Scan(context.Background(), tx)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestRegistered(t *testing.T) {
	spec, ok := scan.Lookup(Name)
	if !ok || !spec.Input || !spec.Output || !spec.Default || !strings.HasSuffix(spec.Doc, ".") {
		t.Fatalf("spec %+v", spec)
	}
	sc, err := spec.New(nil)
	if err != nil || sc.Name() != Name {
		t.Fatalf("New(nil): %v %v", sc, err)
	}
	if hb, ok := sc.(interface{ Holdback() int }); !ok || hb.Holdback() <= 0 {
		t.Errorf("no positive Holdback")
	}
}

// mixedPrompt builds an n-byte prompt of prose with code, numbers and a
// few identifiers, the shape of a real chat turn.
func mixedPrompt(n int) string {
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

func benchScan(b *testing.B, n int) {
	sc, err := New(Settings{})
	if err != nil {
		b.Fatal(err)
	}
	tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: mixedPrompt(n)}}}
	tx.Prepare(nil)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Scan(context.Background(), tx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan1K(b *testing.B)  { benchScan(b, 1<<10) }
func BenchmarkScan4K(b *testing.B)  { benchScan(b, 4<<10) }
func BenchmarkScan64K(b *testing.B) { benchScan(b, 64<<10) }

func checkSpans(t *testing.T, text string, a, b []scan.Finding) {
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

func byteAt(s string, i int) byte {
	if i >= len(s) {
		return 'x'
	}
	return s[i]
}

func TestRules(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, rule, secret string // rule "" = no finding
	}{
		{"key: AKIAZ7Q3N2LX5VW4KR6B", "aws-access-token", "AKIAZ7Q3N2LX5VW4KR6B"},
		{"AKIAIOSFODNN7EXAMPLE", "", ""},
		{"GITLAB=glpat-Zx8Kq2Lm9Tv4Wn7Rp3Ys", "gitlab-pat", "glpat-Zx8Kq2Lm9Tv4Wn7Rp3Ys"},
		{"mysql://root:Gh7!kLq2Zp@10.0.0.5:3306/app", "connection-string-password", "Gh7!kLq2Zp"},
		{"https://user:pass@example.com", "", ""},
		{"Data Source=db;Initial Catalog=x;User Id=u;Pwd=Xk9#mLq2Tz;", "connection-string-password", "Xk9#mLq2Tz"},
		{"password=changeme", "", ""},
		{"PASSWORD: ${DB_PASSWORD}", "", ""},
		{"password = config.database.password", "", ""},
		{"passwd: Qz8!rT3mXw", "generic-password", "Qz8!rT3mXw"},
		{"uuid: 123e4567-e89b-12d3-a456-426614174000", "", ""},
		{"the secret: 1.2.3", "", ""},
		{"token = 5f2b8c9d1e4a7b3c6d0e9f8a2b1c4d7e", "generic-api-key", "5f2b8c9d1e4a7b3c6d0e9f8a2b1c4d7e"},
		{"sha1 token da39a3ee5e6b4b0d3255bfef95601890afd80709", "", ""},
	}
	for _, tt := range tests {
		fs := scanOne(t, sc, tt.text)
		if tt.rule == "" {
			if len(fs) != 0 {
				t.Errorf("%q: unexpected %v", tt.text, fs)
			}
			continue
		}
		found := false
		for _, f := range fs {
			if f.Type == scan.Secret && f.Rule == tt.rule && tt.text[f.Span.Start:f.Span.End] == tt.secret {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s %q, got %v", tt.text, tt.rule, tt.secret, fs)
		}
	}
}

func TestDecodedView(t *testing.T) {
	sc, _ := New(Settings{})
	// base64 of "export GITHUB_TOKEN=ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt"
	text := "run: ZXhwb3J0IEdJVEhVQl9UT0tFTj1naHBfNHNUOXZRMm1YcjhMa1Axelc3eU4zYkM2ZEYwaEo1Z0EyZVJ0"
	fs := scanOne(t, sc, text)
	if len(fs) == 0 || fs[0].Rule != "github-pat" || fs[0].Span.Start < 5 {
		t.Fatalf("base64-wrapped token: %v", fs)
	}
}

func TestSettings(t *testing.T) {
	if _, err := New(Settings{Disable: []string{"no-such-rule"}, Allow: []string{"("}}); err == nil ||
		!strings.Contains(err.Error(), "disable[0]") || !strings.Contains(err.Error(), "allow[0]") {
		t.Fatalf("want problems at disable[0] and allow[0], got %v", err)
	}
	sc, err := New(Settings{Disable: []string{"github-pat"}, Allow: []string{`^AKIAZ7Q3`}})
	if err != nil {
		t.Fatal(err)
	}
	if fs := scanOne(t, sc, "ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt AKIAZ7Q3N2LX5VW4KR6B"); len(fs) != 0 {
		t.Fatalf("disabled/allowed still reported: %v", fs)
	}
}

func FuzzSecrets(f *testing.F) {
	sc, _ := New(Settings{})
	for _, s := range []string{"password=Xk9#mLq2Tz", "ghp_4sT9vQ2mXr8LkP1zW7yN3bC6dF0hJ5gA2eRt", "-----BEGIN PRIVATE KEY-----\nabc", "postgres://a:b@c", "\xff key=é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		checkSpans(t, text, scanOne(t, sc, text), scanOne(t, sc, text))
	})
}

func TestMaskedMatchesRegexp(t *testing.T) {
	for _, s := range []string{"", "xxxx", "xXxX", "abcxxxd", "xxx", "***", "**", "####", "###", "•••", "••", "…", "...", "a..", "a..b",
		"________", "_______", "sk_live_xxxxxxxx", "Zq8Lw3Rt7Yp2Mn5Kd9Hs", "a.b.c", "x*x*x*x", "xx..xx", "AKIA****"} {
		if got, want := masked(s), maskRe.MatchString(s); got != want {
			t.Errorf("masked(%q) = %v, regexp says %v", s, got, want)
		}
	}
}
