package size

import (
	"context"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"rampart/internal/config"
	"rampart/internal/scan"
	"rampart/internal/tokens"
)

func build(t *testing.T, settings string) scan.Scanner {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(settings), &n); err != nil {
		t.Fatal(err)
	}
	s, err := New(func(into any) error {
		if len(n.Content) == 0 {
			return nil
		}
		return config.DecodeNode(n.Content[0], into)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenCountsMatchTiktoken(t *testing.T) {
	// Known cl100k_base / o200k_base counts (tiktoken).
	cases := []struct {
		enc  tokens.Encoding
		text string
		want int
	}{
		{tokens.Cl100k, "hello world", 2},
		{tokens.Cl100k, "tiktoken is great!", 6},
		{tokens.O200k, "hello world", 2},
		{tokens.Cl100k, "<|endoftext|>", 7}, // special tokens in user text are ordinary text
	}
	for _, c := range cases {
		got, err := tokens.Count(c.enc, c.text)
		if err != nil || got != c.want {
			t.Errorf("%s %q: %d (%v), want %d", c.enc, c.text, got, err, c.want)
		}
	}
	if tokens.ForModel("gpt-4o-mini") != tokens.O200k || tokens.ForModel("llama3") != tokens.Cl100k {
		t.Error("ForModel")
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	text := func(s ...string) *scan.Text {
		t := &scan.Text{Direction: scan.Input, Model: "gpt-4"}
		for _, x := range s {
			t.Segments = append(t.Segments, scan.Segment{Text: x})
		}
		return t
	}
	sc := build(t, "max_input_tokens: 10")
	if fs, _ := sc.Scan(ctx, text("short prompt")); len(fs) != 0 {
		t.Errorf("short: %+v", fs)
	}
	// 40 bytes but few tokens: counted exactly, within the cap.
	if fs, _ := sc.Scan(ctx, text(strings.Repeat("a", 40))); len(fs) != 0 {
		t.Errorf("40 a's are few tokens: %+v", fs)
	}
	fs, _ := sc.Scan(ctx, text("one two three four five", "six seven eight nine ten eleven twelve"))
	if len(fs) != 1 || fs[0].Type != scan.TokenLimit || fs[0].Rule != "max_input_tokens" || !fs[0].Whole {
		t.Fatalf("over the token cap: %+v", fs)
	}
	sc = build(t, "max_input_tokens: 0\nmax_input_bytes: 16")
	if fs, _ := sc.Scan(ctx, text("0123456789abcdefX")); len(fs) != 1 || fs[0].Rule != "max_input_bytes" {
		t.Fatalf("byte cap: %+v", fs)
	}
	sc = build(t, "max_input_tokens: 0")
	if fs, _ := sc.Scan(ctx, text(strings.Repeat("word ", 100000))); len(fs) != 0 {
		t.Fatalf("token cap 0 means none: %+v", fs)
	}
}

func TestBadSettings(t *testing.T) {
	var n yaml.Node
	yaml.Unmarshal([]byte("max_input_tokens: -1\nencoding: r2d2"), &n)
	_, err := New(func(into any) error { return config.DecodeNode(n.Content[0], into) })
	if err == nil || !strings.Contains(err.Error(), "max_input_tokens") || !strings.Contains(err.Error(), "encoding") {
		t.Fatalf("err = %v", err)
	}
}

func FuzzSize(f *testing.F) {
	f.Add("hello world", uint16(3))
	f.Add("\xff\xfe broken utf8 <|endoftext|>", uint16(1))
	f.Fuzz(func(t *testing.T, s string, limit uint16) {
		sc := &scanner{s: Settings{MaxInputTokens: int64(limit), Encoding: "auto"}}
		fs, err := sc.Scan(context.Background(), &scan.Text{Segments: []scan.Segment{{Text: s}}})
		if err != nil {
			return
		}
		for _, f := range fs {
			if f.Span.Start < 0 || f.Span.End > len(s) || f.Span.Start > f.Span.End {
				t.Fatalf("span %+v out of range", f.Span)
			}
		}
	})
}

func BenchmarkSize4KB(b *testing.B) {
	sc := &scanner{s: Settings{MaxInputTokens: 128000, Encoding: "auto"}}
	t := &scan.Text{Segments: []scan.Segment{{Text: strings.Repeat("The quick brown fox jumps. ", 150)}}}
	b.SetBytes(int64(t.Len()))
	b.ReportAllocs()
	for b.Loop() {
		sc.Scan(context.Background(), t)
	}
}
