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
}

func sortCJK(es []cjkEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && (len(es[j].s) > len(es[j-1].s) || len(es[j].s) == len(es[j-1].s) && es[j].s < es[j-1].s); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// wordCues returns the cue categories of a lower-cased word: exact
// entries, and stems that are a prefix of it (at a rune boundary).
func wordCues(w []byte) uint32 {
	var cats uint32
	h := uint64(fnvOffset)
	for i := 0; i < len(w); i++ {
		h = (h ^ uint64(w[i])) * fnvPrime
		if i+1 >= 2 && (i+1 == len(w) || utf8.RuneStart(w[i+1])) && prefixBits[(h&0xFFFF)>>6]&(1<<(h&63)) != 0 {
			cats |= prefixCues[h]
		}
	}
	return cats | exactCues[h]
}
