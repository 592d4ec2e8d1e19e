package pii

// cueDFA is an Aho-Corasick automaton compiled to a dense DFA: one table
// lookup per input byte. It reports exactly the matches, in exactly the
// order, that github.com/BobuSumisu/aho-corasick's Trie.Walk reports for
// the same patterns (every occurrence, by end position, the longest first
// at one end; of duplicate patterns the last index), which
// TestCueDFAMatchesTrie checks. That library keeps 256 int64 transitions
// per state and follows failure links at run time; here bytes that occur
// in no pattern share one class, transitions are uint16, and the states
// that end a pattern are numbered last so the hot loop needs one compare.
type cueDFA struct {
	class    [256]uint8
	shift    uint     // log2 of the row width (number of classes, rounded up)
	trans    []uint16 // trans[state<<shift | class]
	firstOut uint16   // states >= firstOut end at least one pattern
	outStart []int32  // per output state (state-firstOut): its range in outs
	outs     []int32  // pattern indexes, the longest first
	lens     []int32  // pattern lengths in bytes
	maxLen   int      // the longest pattern
}

func newCueDFA(patterns []string) *cueDFA {
	m := &cueDFA{lens: make([]int32, len(patterns))}
	// Byte classes: every byte used by a pattern gets its own class.
	n := 1
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if m.class[p[i]] == 0 {
				m.class[p[i]] = uint8(n)
				n++
			}
		}
	}
	// Patterns are lower case: an upper-case ASCII letter shares its
	// lower-case letter's class, so the automaton reads the text itself.
	for c := 'A'; c <= 'Z'; c++ {
		m.class[c] = m.class[c+'a'-'A']
	}
	for 1<<m.shift < n {
		m.shift++
	}
	// The trie.
	type node struct {
		next map[uint8]int
		pat  int
	}
	nodes := []node{{next: map[uint8]int{}, pat: -1}}
	for pi, p := range patterns {
		m.lens[pi] = int32(len(p))
		m.maxLen = max(m.maxLen, len(p))
		s := 0
		for i := 0; i < len(p); i++ {
			if 'A' <= p[i] && p[i] <= 'Z' {
				panic("pii: cue pattern " + p + " is not lower case")
			}
			c := m.class[p[i]]
			t, ok := nodes[s].next[c]
			if !ok {
				t = len(nodes)
				nodes = append(nodes, node{next: map[uint8]int{}, pat: -1})
				nodes[s].next[c] = t
			}
			s = t
		}
		nodes[s].pat = pi // a duplicate pattern: the last index wins
	}
	// Breadth first: failure links, full transitions, output lists.
	width := 1 << m.shift
	delta := make([]int, len(nodes)*width)
	fail := make([]int, len(nodes))
	outs := make([][]int32, len(nodes))
	queue := []int{0}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		if nodes[u].pat >= 0 {
			outs[u] = append(outs[u], int32(nodes[u].pat))
		}
		if u != 0 {
			outs[u] = append(outs[u], outs[fail[u]]...)
		}
		for c := 0; c < width; c++ {
			v, ok := nodes[u].next[uint8(c)]
			switch {
			case ok:
				delta[u*width+c] = v
				if u != 0 {
					fail[v] = delta[fail[u]*width+c]
				}
				queue = append(queue, v)
			case u != 0:
				delta[u*width+c] = delta[fail[u]*width+c]
			}
		}
	}
	// Renumber: the root first, states without output, then the others.
	id := make([]int, len(nodes))
	next := 0
	for pass := 0; pass < 2; pass++ {
		for u := range nodes {
			if (len(outs[u]) > 0) == (pass == 1) {
				id[u] = next
				next++
			}
		}
		if pass == 0 {
			m.firstOut = uint16(next)
		}
	}
	if len(nodes) > 1<<16-1 || len(outs[0]) > 0 {
		panic("pii: cue automaton too large or has an empty pattern")
	}
	m.trans = make([]uint16, len(nodes)*width)
	m.outStart = make([]int32, len(nodes)-int(m.firstOut)+1)
	byID := make([]int, len(nodes))
	for u := range nodes {
		byID[id[u]] = u
		for c := 0; c < width; c++ {
			m.trans[id[u]*width+c] = uint16(id[delta[u*width+c]])
		}
	}
	for k := int(m.firstOut); k < len(nodes); k++ {
		m.outStart[k-int(m.firstOut)] = int32(len(m.outs))
		m.outs = append(m.outs, outs[byID[k]]...)
	}
	m.outStart[len(m.outStart)-1] = int32(len(m.outs))
	return m
}

// walk calls fn for every match: the index of its last byte, its length
// and the pattern's index.
func (m *cueDFA) walk(b []byte, fn func(end, n, pattern int)) {
	var s uint16
	trans, class, shift, firstOut := m.trans, &m.class, m.shift, m.firstOut
	for i, c := range b {
		s = trans[int(s)<<shift|int(class[c])]
		if s >= firstOut {
			k := int(s - firstOut)
			for _, p := range m.outs[m.outStart[k]:m.outStart[k+1]] {
				fn(i, int(m.lens[p]), int(p))
			}
		}
	}
}

// cueEvent is one match of the automaton: its last byte, its length and
// the pattern's index.
type cueEvent struct {
	end     int32
	n, kind int16 // kind: the pattern index
}

// walk4 appends every match in t to events, in text order.
//
// One walk is a chain of dependent table loads, each waiting for the one
// before. Long texts are therefore cut into four parts walked side by
// side, so the loads overlap; each part after the first starts maxLen-1
// bytes early (the automaton's state depends on at most that many bytes)
// and reports only matches that end inside it. spare holds the other
// parts' matches between calls.
func (m *cueDFA) walk4(t string, events []cueEvent, spare *[3][]cueEvent) []cueEvent {
	const parts = 4
	q := len(t) / parts
	if q < 4*m.maxLen {
		return m.walkRange(t, 0, 0, len(t), events)
	}
	var b [parts + 1]int // part k reports matches ending in [b[k], b[k+1])
	for k := range parts {
		b[k] = k * q
	}
	b[parts] = len(t)
	var st [parts]uint16
	for k := 1; k < parts; k++ {
		st[k] = m.warm(t, b[k]-m.maxLen+1, b[k])
	}
	var ev [parts][]cueEvent
	ev[0] = events
	for k := 1; k < parts; k++ {
		ev[k] = spare[k-1][:0]
	}
	trans, class, shift, firstOut := m.trans, &m.class, m.shift, m.firstOut
	s0, s1, s2, s3 := st[0], st[1], st[2], st[3]
	t0, t1, t2, t3 := t[b[0]:b[1]], t[b[1]:b[2]], t[b[2]:b[3]], t[b[3]:b[3]+q]
	for i := 0; i < q; i++ {
		s0 = trans[int(s0)<<shift|int(class[t0[i]])]
		s1 = trans[int(s1)<<shift|int(class[t1[i]])]
		s2 = trans[int(s2)<<shift|int(class[t2[i]])]
		s3 = trans[int(s3)<<shift|int(class[t3[i]])]
		if s0 >= firstOut {
			ev[0] = m.emit(ev[0], s0, b[0]+i)
		}
		if s1 >= firstOut {
			ev[1] = m.emit(ev[1], s1, b[1]+i)
		}
		if s2 >= firstOut {
			ev[2] = m.emit(ev[2], s2, b[2]+i)
		}
		if s3 >= firstOut {
			ev[3] = m.emit(ev[3], s3, b[3]+i)
		}
	}
	// The last part's tail.
	for i := b[3] + q; i < len(t); i++ {
		s3 = trans[int(s3)<<shift|int(class[t[i]])]
		if s3 >= firstOut {
			ev[3] = m.emit(ev[3], s3, i)
		}
	}
	events = ev[0]
	for k := 1; k < parts; k++ {
		events = append(events, ev[k]...)
		spare[k-1] = ev[k]
	}
	return events
}

// walkRange walks t[from:to] from the root and appends the matches that
// end at or after report.
func (m *cueDFA) walkRange(t string, from, report, to int, events []cueEvent) []cueEvent {
	var s uint16
	trans, class, shift, firstOut := m.trans, &m.class, m.shift, m.firstOut
	for i := from; i < to; i++ {
		s = trans[int(s)<<shift|int(class[t[i]])]
		if s >= firstOut && i >= report {
			events = m.emit(events, s, i)
		}
	}
	return events
}

// warm returns the state after t[from:to] read from the root.
func (m *cueDFA) warm(t string, from, to int) uint16 {
	var s uint16
	for i := max(0, from); i < to; i++ {
		s = m.trans[int(s)<<m.shift|int(m.class[t[i]])]
	}
	return s
}

// emit appends the matches of output state s ending at i.
func (m *cueDFA) emit(events []cueEvent, s uint16, i int) []cueEvent {
	k := int(s - m.firstOut)
	for _, p := range m.outs[m.outStart[k]:m.outStart[k+1]] {
		events = append(events, cueEvent{end: int32(i), n: int16(m.lens[p]), kind: int16(p)})
	}
	return events
}

var lowerTable = func() (t [256]byte) {
	for c := range t {
		t[c] = lowerByte(byte(c))
	}
	return t
}()
