package detector

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Reference definitions of what extract computes per word in one pass.

// wordCues returns the cue categories of a lower-cased word (exact
// entries, and stems that are a prefix of it at a rune boundary) and the
// word's FNV-1a hash.
func wordCues(w []byte) (uint32, uint64) {
	var cats uint32
	h := uint64(fnvOffset)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * fnvPrime
		if i+1 >= 2 && (i+1 == len(w) || utf8.RuneStart(w[i+1])) && prefixBits[(h&0xFFFF)>>6]&(1<<(h&63)) != 0 {
			cats |= prefixCues[h]
		}
	}
	return cats | exactTab.get(h), h
}

// oddWord reports camel humps inside a word ("GoldenategyListIV") and
// letters mixed with digits, typical debris of optimized suffixes.
func oddWord(w string) bool {
	humps, digits, letters := 0, 0, 0
	for k := 0; k < len(w); k++ {
		c := w[k]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			letters++
			if k > 0 && w[k-1] >= 'a' && w[k-1] <= 'z' {
				humps++
			}
		case c >= 'a' && c <= 'z':
			letters++
		}
	}
	return humps > 0 || digits > 0 && letters > 1
}

// TestWordPassMatchesReference checks the one-pass word loop of extract
// (hash, cue stems at rune boundaries, suffix-debris marks) against the
// reference definitions.
func TestWordPassMatchesReference(t *testing.T) {
	x := new(extraction)
	words := []string{"Ignore", "IGNORIERE", "vorherigen", "GoldenategyListIV", "abc123", "a1", "x_y", "Überschreibe",
		"Игнорируй", "предыдущие", "yoksay", "무시하고", "تجاهل", "ΑΓΝΟΗΣΕ", "İgnore", "camelCase", "dev2prod", "ǅemal", "ignoring"}
	x.extract(strings.Join(words, " "))
	if len(x.toks) != len(words) {
		t.Fatalf("%d tokens for %d words", len(x.toks), len(words))
	}
	for i, w := range words {
		var lw []byte
		for _, r := range w {
			if r < utf8.RuneSelf {
				if r >= 'A' && r <= 'Z' {
					r += 'a' - 'A'
				}
				lw = append(lw, byte(r))
				continue
			}
			lw = utf8.AppendRune(lw, unicode.ToLower(r))
		}
		cats, h := wordCues(lw)
		tk := x.toks[i]
		if tk.cats != cats || tk.word != h || tk.odd != oddWord(w) {
			t.Errorf("%q: cats %b hash %x odd %v, want %b %x %v", w, tk.cats, tk.word, tk.odd, cats, h, oddWord(w))
		}
	}
}
