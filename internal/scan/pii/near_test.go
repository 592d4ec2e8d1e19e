package pii

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// nearIndex is near as it was: bytes.Index per word, retried after an
// occurrence that does not start a word.
func (d *detector) nearIndex(lower []byte, from, to int, words []string) bool {
	from, to = max(0, from), min(len(d.text), to)
	if from >= to {
		return false
	}
	w := lower[from:to]
	for _, k := range words {
		for off := 0; off < len(w); {
			i := bytes.Index(w[off:], []byte(k))
			if i < 0 {
				break
			}
			i += off
			if i == 0 && from == 0 || i > 0 && !isAlnum(w[i-1]) || i == 0 && !isAlnum(lower[from-1]) || !isAlnum(k[0]) || k[0] >= 0x80 {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// TestNearMatchesIndex checks the first-byte context-word search against
// the bytes.Index one on windows of the corpora.
func TestNearMatchesIndex(t *testing.T) {
	sets := []*wordSet{phoneBefore, phoneAfter, notPII, strongPhone, ssnWords, versionCtx, cardWords, passWords, dobWords}
	r := rand.New(rand.NewPCG(1, 1))
	hits := 0
	for _, text := range cueTestTexts(t) {
		if text == "" {
			continue
		}
		lower := lowerASCII(nil, text)
		d := &detector{text: text}
		for range 20 {
			from := r.IntN(len(text)+20) - 10
			to := from + r.IntN(50) - 5
			for _, ws := range sets {
				got, want := d.near(from, to, ws), d.nearIndex(lower, from, to, ws.words)
				if got != want {
					t.Fatalf("near(%d, %d, %q) in %q = %v, want %v", from, to, ws.words[0], text, got, want)
				}
				if got {
					hits++
				}
			}
		}
	}
	if hits < 100 {
		t.Fatalf("only %d hits", hits)
	}
}
