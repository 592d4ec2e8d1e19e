package pii

import (
	"math/rand/v2"
	"slices"
	"testing"

	"rampart/internal/scan"
)

// resolveAllPairs is resolve as it was, comparing every pair of matches.
func (d *detector) resolveAllPairs() []match {
	var out []match
	for i, m := range d.out {
		drop := false
		for j, o := range d.out {
			if i == j || !(o.start < m.end && m.start < o.end) {
				continue
			}
			switch {
			case m.typ == o.typ:
				// Same type: keep the longer, then the first.
				drop = (o.end-o.start) > (m.end-m.start) || ((o.end-o.start) == (m.end-m.start) && j < i)
			case m.typ == scan.Person && (o.typ == scan.Address || o.typ == scan.Email):
				drop = true
			case structured(m.typ) && structured(o.typ):
				drop = rank(o.typ) > rank(m.typ) || (rank(o.typ) == rank(m.typ) && j < i)
			}
			if drop {
				break
			}
		}
		if !drop {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b match) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.end - b.end
	})
	return out
}

// TestResolveMatchesAllPairs checks resolve, which compares only
// overlapping matches, against the all-pairs version on random sets of
// overlapping, nested and duplicate matches.
func TestResolveMatchesAllPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	rules := []string{"a", "b"}
	for range 20000 {
		n := r.IntN(12)
		span := 1 + r.IntN(60)
		var ms []match
		for range n {
			s := r.IntN(span)
			ms = append(ms, match{typ: AllTypes[r.IntN(len(AllTypes))], rule: rules[r.IntN(2)], start: s, end: s + 1 + r.IntN(15), score: float64(r.IntN(3))})
			if r.IntN(5) == 0 {
				ms = append(ms, ms[r.IntN(len(ms))])
			}
		}
		a := &detector{out: slices.Clone(ms), sc: new(scratch)}
		b := &detector{out: slices.Clone(ms), sc: new(scratch)}
		if got, want := a.resolve(), b.resolveAllPairs(); !slices.Equal(got, want) {
			t.Fatalf("resolve(%v):\n got %v\nwant %v", ms, got, want)
		}
	}
	_ = scan.Email
}
