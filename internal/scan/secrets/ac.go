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
	outs   [][]int32
	lens   []int
	maxLen int
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
		a.maxLen = max(a.maxLen, len(p))
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
//
// A DFA step waits for the previous one (the next state is loaded from
// the current), so long texts are cut into four parts walked in lock
// step, which lets the processor overlap the four chains of loads. A
// part after the first starts maxLen-1 bytes early with a fresh state
// and reports only occurrences ending inside it: an occurrence ending
// there starts at or after that point, and an automaton started at a
// point finds every occurrence starting at or after it, with the same
// outputs in the same order. Hits are reported part by part, so in
// order.
func (a *foldAC) each(s string, f func(end int, pat int32)) {
	const lanes = 4
	if len(s) < 64*lanes+a.maxLen {
		a.eachIn(s, 0, 0, f)
		return
	}
	// Part j reports ends in (bound[j], bound[j+1]] and walks from
	// start[j].
	var bound [lanes + 1]int
	var start [lanes]int
	for j := range lanes {
		bound[j] = j * (len(s) / lanes)
		start[j] = max(0, bound[j]-(a.maxLen-1))
	}
	bound[lanes] = len(s)
	// Lock step over the length of the shortest part (the first).
	m := bound[1] - start[0]
	t0 := s[start[0] : start[0]+m]
	t1 := s[start[1] : start[1]+m]
	t2 := s[start[2] : start[2]+m]
	t3 := s[start[3] : start[3]+m]
	t1, t2, t3 = t1[:len(t0)], t2[:len(t0)], t3[:len(t0)]
	trans, acc, class := a.trans, a.acc, &a.class
	var st [lanes]uint32
	s0, s1, s2, s3 := uint32(0), uint32(0), uint32(0), uint32(0)
	// Hits as offset<<32 | state, per part.
	var hitBuf [lanes][16]uint64
	var hits [lanes][]uint64
	for j := range lanes {
		hits[j] = hitBuf[j][:0]
	}
	for i := 0; i < len(t0); i++ { // bytes, not runes
		s0 = trans[s0+uint32(class[t0[i]])]
		s1 = trans[s1+uint32(class[t1[i]])]
		s2 = trans[s2+uint32(class[t2[i]])]
		s3 = trans[s3+uint32(class[t3[i]])]
		if max(s0, s1, s2, s3) >= acc {
			st = [lanes]uint32{s0, s1, s2, s3}
			for j, q := range st {
				if q >= acc {
					hits[j] = append(hits[j], uint64(start[j]+i)<<32|uint64(q))
				}
			}
		}
	}
	st = [lanes]uint32{s0, s1, s2, s3}
	for j := range lanes {
		for _, h := range hits[j] {
			a.report(int(h>>32), uint32(h), bound[j], f)
		}
		// The rest of the part, alone.
		q := st[j]
		for i := start[j] + m; i < bound[j+1]; i++ {
			q = trans[q+uint32(class[s[i]])]
			if q >= acc {
				a.report(i, q, bound[j], f)
			}
		}
	}
}

// report calls f for the outputs of state q after the byte at offset i,
// if the occurrence ends after from.
func (a *foldAC) report(i int, q uint32, from int, f func(end int, pat int32)) {
	if i+1 <= from {
		return
	}
	for _, p := range a.outputs(q) {
		f(i+1, p)
	}
}

// eachIn is each without parts, from offset i0 with state q.
func (a *foldAC) eachIn(s string, i0 int, q uint32, f func(end int, pat int32)) {
	trans, acc := a.trans, a.acc
	for i := i0; i < len(s); i++ {
		q = trans[q+uint32(a.class[s[i]])]
		if q >= acc {
			for _, p := range a.outputs(q) {
				f(i+1, p)
			}
		}
	}
}
