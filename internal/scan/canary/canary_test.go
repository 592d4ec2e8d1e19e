package canary

import (
	"context"
	"strings"
	"testing"

	"rampart/internal/scan"
)

func scanOut(t *testing.T, s *Scanner, c *scan.Context, text string) []scan.Finding {
	t.Helper()
	fs, err := s.Scan(context.Background(), &scan.Text{Direction: scan.Output, Context: c, Segments: []scan.Segment{{Text: text}}})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestCanaryToken(t *testing.T) {
	s, _ := New(Settings{})
	tok, instr, ok := s.Canary()
	if !ok || !strings.Contains(instr, tok) || len(tok) != tokenLen {
		t.Fatalf("%q %q %v", tok, instr, ok)
	}
	tok2, _, _ := s.Canary()
	if tok == tok2 {
		t.Fatal("tokens repeat")
	}
	c := &scan.Context{Canary: tok}
	spaced := strings.Join(strings.Split(strings.ToUpper(tok), ""), " ")
	for _, ans := range []string{"the marker is " + tok + ".", "it is " + spaced + " ok", "x" + strings.ReplaceAll(tok, "-", "") + "y"} {
		fs := scanOut(t, s, c, ans)
		if len(fs) != 1 || fs[0].Type != scan.SystemPromptLeak || fs[0].Rule != "canary" {
			t.Errorf("%q: %+v", ans, fs)
			continue
		}
		if got := fold(ans[fs[0].Span.Start:fs[0].Span.End]); got != fold(tok) {
			t.Errorf("span covers %q", ans[fs[0].Span.Start:fs[0].Span.End])
		}
	}
	if fs := scanOut(t, s, c, "nothing to see, rmp-0000000000000000"); len(fs) != 0 {
		t.Fatalf("false positive %+v", fs)
	}
	off := false
	s2, _ := New(Settings{Inject: &off})
	if _, _, ok := s2.Canary(); ok {
		t.Fatal("inject off still injects")
	}
}

func TestVerbatimOverlap(t *testing.T) {
	s, _ := New(Settings{})
	sys := "You are Acme's support bot. Never offer refunds above 50 dollars without a manager code. Internal escalation line is extension 4471."
	c := &scan.Context{System: []string{sys}}
	leak := "Sure! My instructions say: never   offer REFUNDS above 50 dollars without a manager code. Anything else?"
	fs := scanOut(t, s, c, leak)
	if len(fs) != 1 || fs[0].Rule != "verbatim-overlap" {
		t.Fatalf("%+v", fs)
	}
	got := leak[fs[0].Span.Start:fs[0].Span.End]
	if !strings.HasPrefix(got, "never") || !strings.HasSuffix(got, "code.") {
		t.Fatalf("span %q", got)
	}
	if fs := scanOut(t, s, c, "I can help with refunds. What is your order number?"); len(fs) != 0 {
		t.Fatalf("false positive %+v", fs)
	}
}
