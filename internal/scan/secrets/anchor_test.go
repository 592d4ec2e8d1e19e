package secrets

import (
	"slices"
	"testing"
)

// TestAnchoredSameMatches checks that trying anchored patterns at keyword
// hits finds exactly what the unanchored search over windows finds.
func TestAnchoredSameMatches(t *testing.T) {
	fast, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := newEngine(nil)
	if err != nil {
		t.Fatal(err)
	}
	slow.noAnchor = true
	n := 0
	for _, r := range fast.rules {
		if r.anchored != nil {
			n++
		}
	}
	if n < 90 {
		t.Errorf("only %d anchored rules", n)
	}
	texts := corpusTexts(t)
	for _, tx := range texts {
		got, want := fast.find(tx), slow.find(tx)
		if !slices.EqualFunc(got, want, func(a, b match) bool { return a.rule.id == b.rule.id && a.start == b.start && a.end == b.end }) {
			t.Errorf("%q:\nanchored %v\nwindowed %v", tx, ids(got), ids(want))
		}
	}
}

func ids(ms []match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.rule.id)
	}
	return out
}
