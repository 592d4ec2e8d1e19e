package pii

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"rampart/internal/scan"
)

// addressWindowed is address as it was before the window cut and the
// anchored streetNumFirst: both patterns over the whole window, matches
// that involve the street word kept.
func (d *detector) addressWindowed(s, e int) int {
	t := d.text
	ws, we := streetWindow(t, s, e)
	w := t[ws:we]
	last := 0
	for _, re := range []*regexp.Regexp{streetNumFirst, streetNumLast} {
		for _, loc := range re.FindAllStringIndex(w, -1) {
			ms, me := ws+loc[0], ws+loc[1]
			if me <= s || ms >= e {
				continue
			}
			last = max(last, d.streetMatch(ms, me))
		}
	}
	return last
}

// addressTestTexts adds street-shaped random text to the corpora.
func addressTestTexts(t *testing.T) []string {
	texts := cueTestTexts(t)
	r := rand.New(rand.NewPCG(3, 5))
	parts := []string{"12", "1600", "5th", "221b", "7a", " ", " ", " ", "  ", "\t", ", ", ",", ".", "-", "'", "’", "(", ":", "_", "\n",
		"Main", "Pennsylvania", "Élysée", "de la", "del", "d'", "Hauptstraße", "Bahnhofstr.", "Lindenweg", "Gran",
		"NW", "Washington", "DC", "Suite 4", "Apt. 5", "rue", "Rue", "via", "Via", "calle", "Avenue", "avenue", "St", "St.", "Road",
		"Drive", "Lane", "weg", "gatan", "Straße", "utca", "ulica", "ul.", "улица", "Ленина", "οδός", "the", "and", "we", "Ship to:"}
	for range 1500 {
		var b strings.Builder
		for range 3 + r.IntN(20) {
			b.WriteString(parts[r.IntN(len(parts))])
			if r.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		texts = append(texts, b.String())
	}
	return texts
}

// TestAddressMatchesWindowed checks the cut, anchored street search
// against the windowed one at every street word of the corpora.
func TestAddressMatchesWindowed(t *testing.T) {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	ct := cueTries()
	n := 0
	for _, text := range addressTestTexts(t) {
		if len(text) > 8<<10 {
			continue // the windowed search is slow; the 64 KB prompts repeat the 4 KB ones
		}
		lower := lowerASCII(nil, text)
		ct.trie.walk(lower, func(end, l, p int) {
			if ct.kinds[p] != cueStreet {
				return
			}
			s, e := end-l+1, end+1
			a, b := testDetector(sc, text), testDetector(sc, text)
			la, lb := a.address(s, e), b.addressWindowed(s, e)
			if la != lb || !slices.Equal(a.out, b.out) {
				t.Fatalf("street word %q at %d in %q:\n got %d %v\nwant %d %v", text[s:e], s, text, la, a.out, lb, b.out)
			}
			n += len(b.out)
		})
	}
	t.Logf("%d street matches", n)
	if n < 100 {
		t.Fatalf("only %d street matches: the test does not exercise address", n)
	}
	_ = scan.Address
}
