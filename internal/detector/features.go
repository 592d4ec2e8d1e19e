package detector

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Feature hashing: every feature is a 32-bit hash; the model keeps one
// weight per hash bucket. Seeds keep the feature families apart.
const (
	seedWord   = 0x9E3779B1
	seedBigram = 0x85EBCA77
	seedChar   = 0xC2B2AE3D
	seedSym    = 0x27D4EB2F
	fnvOffset  = 14695981039346656037
	fnvPrime   = 1099511628211
)

func mix32(h uint64) uint32 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return uint32(h)
}

// token is one word (or one CJK character) of a view.
type token struct {
	start, end int32  // byte range in the view text
	cats       uint32 // cue categories
	conj       uint32 // conjunctions completed at this token
	feat       int32  // index of its first feature in extraction.feats
	word       uint64 // hash of the lower-cased word
	sym        uint8  // unusual symbols between this token and the next
	nw         uint8  // word-level features (unigram, bigram) at feat
	odd        bool   // camel-humped or letter/digit-mixed word (adversarial-suffix debris)
}

// extraction holds the tokens and hashed features of one text. It is
// reused through a pool; nothing in it escapes a call.
type extraction struct {
	toks  []token
	feats []uint32
	buf   []byte // lower-cased current word
	runes []rune
	psum  []int32         // prefix sums of feature weights (scoring)
	bsum  [][Hidden]int32 // prefix sums of embedding rows over blocks (scoring)
	bcnt  []int32         // prefix counts of word features over blocks
	blk   []blockSum      // per block of stride tokens (see summarize)

	docCats uint32 // union of the cue categories of all tokens
	quoted  bool   // between an opening and a closing quotation mark
}

// wordByte reports whether b is part of a word (any byte of a non-ASCII
// character counts: an apostrophe next to one is not a quotation mark).
func wordByte(b byte) bool { return b >= utf8.RuneSelf || asciiWord[b] }

// quoteRune reports whether r is a quotation mark (ASCII ' is handled
// by the caller: only at a word boundary, not inside "don't").
func quoteRune(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '«', '»', '「', '」', '『', '』', '‘', '’', '‚', '‹', '›', '＂':
		return true
	}
	return false
}

func (x *extraction) reset() {
	x.toks = x.toks[:0]
	x.feats = x.feats[:0]
	x.quoted = false
}

func isCJK(r rune) bool {
	return r >= 0x3040 && r <= 0x30FF || r >= 0x3400 && r <= 0x4DBF || r >= 0x4E00 && r <= 0x9FFF ||
		r >= 0xF900 && r <= 0xFAFF || r >= 0xFF66 && r <= 0xFF9F
}

// asciiWord marks the ASCII bytes that belong to words.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
	}
	return t
}()

func wordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)
}

// extract tokenizes text, hashes its features and marks its cues.
func (x *extraction) extract(text string) {
	x.reset()
	var prev, sym uint64
	var nsym, nodd int
	cjkStart := -1
	flushCJK := func(end int) {
		if cjkStart >= 0 {
			x.cjkCues(text, cjkStart, end)
			cjkStart = -1
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf && !asciiWord[c] {
			i++
			if c == '.' || c == '\n' || c == '!' || c == '?' {
				prev = 0 // no bigrams across sentences
			}
			if c == '\n' {
				x.quoted = false // an unbalanced quote ends with its line
			} else if c == '"' || c == '\'' && (i < 2 || !wordByte(text[i-2]) || i >= len(text) || !wordByte(text[i])) {
				x.quoted = !x.quoted
			}
			if c > ' ' {
				sym = sym*131 + uint64(c)
				nsym++
				if unusual[c] {
					nodd++
				}
			} else if nsym > 0 {
				x.flushSym(sym, nsym, nodd)
				sym, nsym, nodd = 0, 0, 0
			}
			flushCJK(i - 1)
			continue
		}
		if nsym > 0 {
			x.flushSym(sym, nsym, nodd)
			sym, nsym, nodd = 0, 0, 0
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		if isCJK(r) {
			if cjkStart < 0 {
				cjkStart = i
			}
			h := uint64(fnvOffset)
			for k := 0; k < size; k++ {
				h = (h ^ uint64(text[i+k])) * fnvPrime
			}
			x.addToken(int32(i), int32(i+size), h, prev, 0)
			prev = h
			i += size
			continue
		}
		flushCJK(i)
		if !wordRune(r) {
			if quoteRune(r) {
				x.quoted = !x.quoted
			}
			i += size
			continue
		}
		// A word, in one pass: lower-case it into buf while hashing it
		// (FNV-1a), look up cue stems at every rune boundary (as
		// wordCues does), and count what oddWord counts on the original
		// bytes.
		j := i
		x.buf = x.buf[:0]
		x.runes = x.runes[:0]
		h := uint64(fnvOffset)
		var cats uint32
		var humps, digits, letters int
		prevLower := false
		for j < len(text) {
			c := text[j]
			if c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				switch {
				case c >= 'a' && c <= 'z':
					letters++
					prevLower = true
				case c >= 'A' && c <= 'Z':
					letters++
					if prevLower {
						humps++
					}
					prevLower = false
					c += 'a' - 'A'
				default:
					if c <= '9' {
						digits++
					}
					prevLower = false
				}
				h = (h ^ uint64(c)) * fnvPrime
				x.buf = append(x.buf, c)
				x.runes = append(x.runes, rune(c))
				j++
			} else {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !wordRune(r) || isCJK(r) {
					break
				}
				prevLower = false
				r = unicode.ToLower(r)
				n0 := len(x.buf)
				x.buf = utf8.AppendRune(x.buf, r)
				for _, b := range x.buf[n0:] {
					h = (h ^ uint64(b)) * fnvPrime
				}
				x.runes = append(x.runes, r)
				j += size
			}
			if len(x.buf) >= 2 && prefixBits[(h&0xFFFF)>>6]&(1<<(h&63)) != 0 {
				cats |= prefixCues[h]
			}
		}
		cats |= exactTab.get(h)
		x.addToken(int32(i), int32(j), h, prev, cats)
		x.toks[len(x.toks)-1].odd = humps > 0 || digits > 0 && letters > 1
		x.charGrams()
		prev = h
		i = j
	}
	if nsym > 0 {
		x.flushSym(sym, nsym, nodd)
	}
	flushCJK(len(text))
	x.conjoin()
	x.summarize()
}

// blockSum is what the dense features need of a block of stride tokens.
type blockSum struct {
	cats, conj uint32
	sym, odd   int32
}

// summarize aggregates the tokens of each block of stride tokens, so the
// dense features of a window (which starts on a block boundary and ends
// on one or at the end of the text) cost O(blocks), not O(tokens).
func (x *extraction) summarize() {
	x.blk = x.blk[:0]
	for a := 0; a < len(x.toks); a += stride {
		var s blockSum
		for _, t := range x.toks[a:min(a+stride, len(x.toks))] {
			s.cats |= t.cats
			s.conj |= t.conj
			s.sym += int32(t.sym)
			if t.odd {
				s.odd++
			}
		}
		x.blk = append(x.blk, s)
	}
}

// unusual marks the ASCII symbols that are rare in prose and frequent in
// optimized adversarial suffixes (and in code, which the training data
// balances with benign code).
var unusual = [128]bool{'(': true, ')': true, '[': true, ']': true, '{': true, '}': true, '<': true, '>': true,
	'\\': true, '|': true, '`': true, '~': true, '^': true, '$': true, '%': true, '=': true, '@': true, '#': true,
	'*': true, ';': true, '+': true, '&': true}

// flushSym records a run of punctuation between words: a hashed feature
// for runs holding an unusual symbol, and the count on the previous token.
func (x *extraction) flushSym(h uint64, n, odd int) {
	if odd == 0 || len(x.toks) == 0 {
		return
	}
	if n > 4 {
		n = 4 // the hash covers the whole run; only its weight is capped
	}
	x.feats = append(x.feats, mix32(h^seedSym))
	t := &x.toks[len(x.toks)-1]
	t.sym = uint8(min(int(t.sym)+odd, 255))
}

func (x *extraction) addToken(start, end int32, h, prev uint64, cats uint32) {
	if x.quoted {
		cats |= 1 << cQuoted
	}
	x.toks = append(x.toks, token{start: start, end: end, cats: cats, feat: int32(len(x.feats)), word: h, nw: 1})
	x.feats = append(x.feats, mix32(h^seedWord))
	if prev != 0 {
		x.feats = append(x.feats, mix32(prev*31^h^seedBigram))
		x.toks[len(x.toks)-1].nw = 2
	}
}

// charGrams adds the character 4-grams of the current word, padded with
// word boundaries (at most the first 24 positions of a long word).
func (x *extraction) charGrams() {
	rs := x.runes
	n := len(rs)
	if n > 24 {
		n = 24
	}
	var a, b, c rune = 0, 0, '^'
	for k := 0; k <= n; k++ {
		d := rune('$')
		if k < n {
			d = rs[k]
		}
		if k >= 2 || k == n {
			h := uint64(a)<<48 ^ uint64(b)<<32 ^ uint64(c)<<16 ^ uint64(d)
			x.feats = append(x.feats, mix32(h*0x9E3779B97F4A7C15^seedChar))
		}
		a, b, c = b, c, d
	}
}

// cjkCues marks cue words found as substrings of a run of CJK characters:
// the token where a cue starts gets its categories.
func (x *extraction) cjkCues(text string, start, end int) {
	t := len(x.toks) - 1
	for t > 0 && x.toks[t-1].start >= int32(start) {
		t--
	}
	for ; t < len(x.toks) && x.toks[t].start < int32(end); t++ {
		pos := int(x.toks[t].start)
		r, _ := utf8.DecodeRuneInString(text[pos:])
		for _, e := range cjkFirst[r] {
			if strings.HasPrefix(text[pos:end], e.s) {
				x.toks[t].cats |= e.cats
			}
		}
	}
}

// conjoin marks, at each token, the conjunctions whose two sides occur
// within conjDist tokens of each other.
func (x *extraction) conjoin() {
	x.docCats = 0
	for t := range x.toks {
		x.docCats |= x.toks[t].cats
	}
	for t := range x.toks {
		cats := x.toks[t].cats
		if cats == 0 {
			continue
		}
		// Categories seen within conjDist tokens before this one (the
		// union of the cue tokens among the previous conjDist).
		var recent uint32
		for _, u := range x.toks[max(0, t-conjDist):t] {
			recent |= u.cats
		}
		var conj uint32
		for k, cj := range conjunctions {
			if cats&cj[0] != 0 && recent&cj[1] != 0 || cats&cj[1] != 0 && recent&cj[0] != 0 {
				conj |= 1 << k
			}
		}
		x.toks[t].conj = conj
	}
}
