package pii

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	ahocorasick "github.com/BobuSumisu/aho-corasick"

	"rampart/internal/scan/chainbench"
)

// cueTestTexts are the texts the fast paths are checked on: the golden
// and out-of-distribution corpora, the benchmark's mixed prompts and,
// when present, the shared dev split.
func cueTestTexts(t *testing.T) []string {
	t.Helper()
	var texts []string
	raw, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, string(raw))
	texts = append(texts, strings.Split(string(raw), "\n")...)
	for _, c := range readOOD(t) {
		texts = append(texts, c.text)
	}
	for _, size := range []int{1 << 10, 4 << 10} {
		texts = append(texts, chainbench.Corpus(size, 64)...)
	}
	texts = append(texts, chainbench.Corpus(64<<10, 8)...)
	if f, err := os.ReadFile(devPath); err == nil {
		texts = append(texts, strings.Split(string(f), "\n")...)
	}
	// Random splices of cue words and corpus text.
	r := rand.New(rand.NewPCG(7, 9))
	words := append([]string{}, cueTries().words...)
	for range 2000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			switch r.IntN(3) {
			case 0:
				b.WriteString(words[r.IntN(len(words))])
			case 1:
				w := words[r.IntN(len(words))]
				b.WriteString(w[:r.IntN(len(w)+1)])
			default:
				s := texts[r.IntN(len(texts))]
				if s == "" {
					continue
				}
				i := r.IntN(len(s))
				b.WriteString(s[i:min(len(s), i+r.IntN(40))])
			}
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestCueDFAMatchesTrie checks that the compiled cue automaton reports
// exactly the matches, in the same order, as the Aho-Corasick trie it
// replaced.
func TestCueDFAMatchesTrie(t *testing.T) {
	texts := cueTestTexts(t)
	ct := cueTries()
	trie := ahocorasick.NewTrieBuilder().AddStrings(ct.words).Build()
	for _, text := range texts {
		lower := lowerASCII(nil, text)
		var want, got, gotFused []string
		trie.Walk(lower, func(end, n, p int64) bool {
			want = append(want, fmt.Sprint(end, n, p))
			return true
		})
		ct.trie.walk(lower, func(end, n, p int) {
			got = append(got, fmt.Sprint(end, n, p))
		})
		if !slices.Equal(got, want) {
			t.Fatalf("walk on %q:\n got %v\nwant %v", text, got, want)
		}
		// walk4 reads the text itself, in four parts when it is long.
		var spare [3][]cueEvent
		for _, ev := range ct.trie.walk4(text, nil, &spare) {
			gotFused = append(gotFused, fmt.Sprint(ev.end, ev.n, ev.kind))
		}
		if !slices.Equal(gotFused, want) {
			t.Fatalf("walk4 on %q:\n got %v\nwant %v", text, gotFused, want)
		}
	}
}
