package secrets

import (
	"slices"
)

// foldAC is an Aho-Corasick automaton compiled to a full DFA over
// ASCII-case-folded bytes: it finds lower-case patterns in text of any
// ASCII case without a lower-cased copy, with one table lookup per byte.
//
// Bytes that occur in no pattern share class 0; a transition is stored
// premultiplied by the class count, so a step is
// state = trans[state+class[c]]. States are numbered so that every state
// with an output (a pattern, or a suffix that is one) is ≥ acc: the scan
// loop tests one comparison per byte.
type foldAC struct {
	class [256]uint8
	ncls  int
	trans []uint32
	acc   uint32
	// outs[(state-acc)/ncls] are the pattern indices ending in a state,
	// longest first (the state's own pattern, then its suffixes).
	outs [][]int32
	lens []int
}

// newFoldAC builds the automaton for patterns, which it lower-cases
// (ASCII only); the pattern index of a hit is its position in pats.
// Duplicates are reported once per index. Empty patterns are ignored.
func newFoldAC(pats []string) *foldAC {
	a := &foldAC{lens: make([]int, len(pats))}
	pats = slices.Clone(pats)
	for i, p := range pats {
		pats[i] = string(lowerASCII(nil, p))
	}
	// Byte classes: one per distinct pattern byte, upper-case ASCII
	// letters share their lower-case letter's class.
	for i, p := range pats {
		a.lens[i] = len(p)
		for j := 0; j < len(p); j++ {
			c := p[j]
			if a.class[c] == 0 {
				a.ncls++
				if a.ncls > 255 {
					panic("secrets: too many byte classes")
				}
				a.class[c] = uint8(a.ncls)
			}
		}
	}
	a.ncls++ // class 0
	for c := 'A'; c <= 'Z'; c++ {
		a.class[c] = a.class[c+'a'-'A']
	}
	// The trie, over classes.
	type node struct {
		next  []int32 // by class; -1 = none
		fail  int32
		own   int32 // pattern ending here, or -1
		outs  []int32
		depth int
	}
	newNode := func(depth int) node {
		n := node{next: make([]int32, a.ncls), own: -1, depth: depth}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode(0)}
	for i, p := range pats {
		if p == "" {
			continue
		}
		s := int32(0)
		for j := 0; j < len(p); j++ {
			c := a.class[p[j]]
			if nodes[s].next[c] < 0 {
				nodes[s].next[c] = int32(len(nodes))
				nodes = append(nodes, newNode(nodes[s].depth+1))
			}
			s = nodes[s].next[c]
		}
		if nodes[s].own < 0 {
			nodes[s].own = int32(i)
		} else {
			// The same string twice: report both indices, in order.
			nodes[s].outs = append(nodes[s].outs, int32(i))
		}
	}
	// Breadth-first: failure links, complete transitions, outputs.
	order := []int32{0}
	for c := range nodes[0].next {
		if nodes[0].next[c] < 0 {
			nodes[0].next[c] = 0
		} else {
			nodes[nodes[0].next[c]].fail = 0
			order = append(order, nodes[0].next[c])
		}
	}
	for q := 1; q < len(order); q++ {
		s := order[q]
		for c := range nodes[s].next {
			t := nodes[s].next[c]
			if t < 0 {
				nodes[s].next[c] = nodes[nodes[s].fail].next[c]
				continue
			}
			nodes[t].fail = nodes[nodes[s].fail].next[c]
			order = append(order, t)
		}
	}
	for _, s := range order {
		n := &nodes[s]
		var outs []int32
		if n.own >= 0 {
			outs = append(outs, n.own)
			outs = append(outs, n.outs...)
		}
		if s != 0 {
			outs = append(outs, nodes[n.fail].outs...)
		}
		n.outs = outs
	}
	// Number states: without outputs first, then with outputs.
	ids := make([]uint32, len(nodes))
	var plain, out []int32
	for s := range nodes {
		if len(nodes[s].outs) == 0 {
			plain = append(plain, int32(s))
		} else {
			out = append(out, int32(s))
		}
	}
	// Keep the root at 0.
	all := append(plain, out...)
	for i, s := range all {
		ids[s] = uint32(i * a.ncls)
	}
	a.acc = uint32(len(plain) * a.ncls)
	a.trans = make([]uint32, len(all)*a.ncls)
	for i, s := range all {
		for c, t := range nodes[s].next {
			a.trans[i*a.ncls+c] = ids[t]
		}
	}
	for _, s := range out {
		a.outs = append(a.outs, slices.Clip(nodes[s].outs))
	}
	return a
}

// outputs returns the patterns ending in state st (st ≥ a.acc).
func (a *foldAC) outputs(st uint32) []int32 {
	return a.outs[(st-a.acc)/uint32(a.ncls)]
}

// any reports whether one of the patterns occurs in s, ASCII
// case-insensitively.
func (a *foldAC) any(s string) bool {
	st, trans, acc := uint32(0), a.trans, a.acc
	for i := 0; i < len(s); i++ {
		st = trans[st+uint32(a.class[s[i]])]
		if st >= acc {
			return true
		}
	}
	return false
}

// mayMatch reports whether s contains one of the patterns or a byte
// that is not ASCII (where required literals say nothing, see
// requiredLits).
func (a *foldAC) mayMatch(s string) bool {
	st, trans, acc := uint32(0), a.trans, a.acc
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return true
		}
		st = trans[st+uint32(a.class[c])]
		if st >= acc {
			return true
		}
	}
	return false
}

// eachUntil calls f for every occurrence in s, as each does, until f
// returns false.
func (a *foldAC) eachUntil(s string, f func(end int, pat int32) bool) {
	st, trans, acc := uint32(0), a.trans, a.acc
	for i := 0; i < len(s); i++ {
		st = trans[st+uint32(a.class[s[i]])]
		if st >= acc {
			for _, p := range a.outputs(st) {
				if !f(i+1, p) {
					return
				}
			}
		}
	}
}

// each calls f with the end offset (exclusive) and pattern index of
// every occurrence in s, by end offset and longest first.
func (a *foldAC) each(s string, f func(end int, pat int32)) {
	st, trans, acc := uint32(0), a.trans, a.acc
	for i := 0; i < len(s); i++ {
		st = trans[st+uint32(a.class[s[i]])]
		if st >= acc {
			for _, p := range a.outputs(st) {
				f(i+1, p)
			}
		}
	}
}
