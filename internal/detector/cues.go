package detector

import (
	"strings"
	"unicode/utf8"
)

type cjkEntry struct {
	s    string
	cats uint32
}

var (
	exactCues  = map[uint64]uint32{}
	prefixCues = map[uint64]uint32{}
	prefixBits [1024]uint64 // filter on the low 16 bits of prefix hashes
	cjkLex     []cjkEntry
	cjkFirst   = map[rune][]cjkEntry{} // entries by their first rune, longest first
)

func init() {
	cjk := map[string]uint32{}
	for cat, words := range lexicon {
		for _, w := range words {
			w = strings.ToLower(w)
			if r, _ := utf8.DecodeRuneInString(w); isCJK(r) {
				cjk[w] |= 1 << cat
				continue
			}
			prefix := strings.HasSuffix(w, "*")
			w = strings.TrimSuffix(w, "*")
			h := uint64(fnvOffset)
			for i := 0; i < len(w); i++ {
				h = (h ^ uint64(w[i])) * fnvPrime
			}
			if prefix {
				prefixCues[h] |= 1 << cat
				prefixBits[(h&0xFFFF)>>6] |= 1 << (h & 63)
			} else {
				exactCues[h] |= 1 << cat
			}
		}
	}
	for s, c := range cjk {
		cjkLex = append(cjkLex, cjkEntry{s, c})
	}
	// Longest first, then by text, so extraction is deterministic.
	sortCJK(cjkLex)
	for _, e := range cjkLex {
		r, _ := utf8.DecodeRuneInString(e.s)
		cjkFirst[r] = append(cjkFirst[r], e)
	}
	// Exact cues go into an open-addressing table: a map lookup per word
	// is a large part of extraction.
	for h, c := range exactCues {
		exactTab.put(h, c)
	}
}

// cueTable is an open-addressing hash table from word hashes to cue
// categories (a zero hash marks an empty slot; FNV never yields it for
// the words here).
type cueTable struct {
	keys [1 << 12]uint64
	vals [1 << 12]uint32
}

var exactTab cueTable

func (t *cueTable) put(h uint64, c uint32) {
	i := h & (uint64(len(t.keys)) - 1)
	for t.keys[i] != 0 && t.keys[i] != h {
		i = (i + 1) & (uint64(len(t.keys)) - 1)
	}
	t.keys[i] = h
	t.vals[i] |= c
}

func (t *cueTable) get(h uint64) uint32 {
	i := h & (uint64(len(t.keys)) - 1)
	for {
		switch t.keys[i] {
		case h:
			return t.vals[i]
		case 0:
			return 0
		}
		i = (i + 1) & (uint64(len(t.keys)) - 1)
	}
}

func sortCJK(es []cjkEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && (len(es[j].s) > len(es[j-1].s) || len(es[j].s) == len(es[j-1].s) && es[j].s < es[j-1].s); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}
