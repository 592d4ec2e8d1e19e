// Package normalize produces the views of a text that scanners read:
// Unicode-normalized text with invisible characters removed and homoglyphs
// folded, and decoded layers (base64, hex, URL-encoding, rot13, leetspeak,
// Unicode tag characters, variation-selector bytes). Every view carries an
// offset map back to the original text.
package normalize

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"rampart/internal/scan"
)

// View kinds produced by Views.
const (
	KindNormalized = "normalized"
	KindBase64     = "base64"
	KindHex        = "hex"
	KindURL        = "url"
	KindROT13      = "rot13"
	KindLeet       = "leet"
	KindTags       = "tags"
	KindVarSel     = "varsel"
)

// Views returns the extra views of one segment (the pipeline adds the raw
// view itself). Plain ASCII text with nothing encoded in it gets none, so
// the common case costs one pass over the bytes. It is a scan.Normalizer.
func Views(segment int, text string) []scan.View {
	var out []scan.View
	add := func(kind string, b *builder) {
		b = b.validText()
		if b == nil {
			return
		}
		out = append(out, scan.View{Segment: segment, Kind: kind, Text: string(b.buf), Offsets: b.finish(len(text))})
	}
	ascii := isASCII(text)
	if !ascii {
		nb, hidden := normalized(text)
		add(KindNormalized, nb)
		if hidden {
			add(KindTags, tagText(text))
			add(KindVarSel, varselText(text))
		}
	}
	g := gate(text)
	if g.b64 {
		add(KindBase64, decodeRuns(text, base64Run))
	}
	if g.hex {
		add(KindHex, decodeRuns(text, hexRun))
	}
	if g.pct >= 3 {
		add(KindURL, urlDecode(text))
	}
	if g.rot {
		add(KindROT13, rot13(text))
	}
	if g.leet {
		add(KindLeet, leet(text))
	}
	return out
}

// Normalize returns the normalized form of s (NFKC, invisible characters
// removed, homoglyphs folded, lower-cased) without offsets.
func Normalize(s string) string {
	if isASCII(s) {
		return asciiLower(s)
	}
	if b, _ := normalized(s); b != nil {
		return string(b.buf)
	}
	return asciiLower(s)
}

// gates says which decoders could find something; one cheap pass.
type gates struct {
	b64, hex, rot, leet bool
	pct                 int
}

// Byte classes for gate, so the pass costs one table lookup per byte.
const (
	clB64 uint8 = 1 << iota
	clHex
	clLetter
	clLeet
)

var byteClass = func() (t [256]uint8) {
	for c := range 256 {
		b := byte(c)
		if isB64(b) {
			t[c] |= clB64
		}
		if _, ok := hexVal(b); ok {
			t[c] |= clHex
		}
		if isLetter(b) {
			t[c] |= clLetter
		}
		if _, ok := leetChar(b); ok {
			t[c] |= clLeet
		}
	}
	return t
}()

func gate(text string) gates {
	var g gates
	b64run, hexrun, spacedHex := 0, 0, 0
	tokLeet := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		cl := byteClass[c]
		if cl&clB64 != 0 {
			b64run++
			if b64run >= 16 {
				g.b64 = true
			}
		} else {
			b64run = 0
		}
		if cl&clHex != 0 {
			hexrun++
			if hexrun >= 16 {
				g.hex = true
			}
		} else {
			if hexrun == 2 && (c == ' ' || c == ':' || c == ',' || c == '-') {
				spacedHex++
				if spacedHex >= 7 {
					g.hex = true
				}
			} else if hexrun != 2 {
				spacedHex = 0
			}
			hexrun = 0
			switch {
			case c == '\\' && i+1 < len(text) && text[i+1] == 'x':
				g.hex = true
			case c == '%' && i+2 < len(text):
				if byteClass[text[i+1]]&byteClass[text[i+2]]&clHex != 0 {
					g.pct++
				}
			}
		}
		switch {
		case cl&clLetter != 0:
			if tokLeet {
				g.leet = true
			}
		case cl&clLeet != 0:
			tokLeet = true
		default:
			tokLeet = false
		}
	}
	g.rot = rotGate(text)
	return g
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// builder accumulates a view's bytes and, for each byte, its offset in
// the original text.
type builder struct {
	buf []byte
	off []int32
}

func newBuilder(n int) *builder {
	return &builder{buf: make([]byte, 0, n), off: make([]int32, 0, n+1)}
}

func (b *builder) addString(s string, at int) {
	b.buf = append(b.buf, s...)
	for range len(s) {
		b.off = append(b.off, int32(at))
	}
}

func (b *builder) addRune(r rune, at int) {
	n := len(b.buf)
	b.buf = utf8.AppendRune(b.buf, r)
	for range len(b.buf) - n {
		b.off = append(b.off, int32(at))
	}
}

func (b *builder) addByte(c byte, at int) {
	b.buf = append(b.buf, c)
	b.off = append(b.off, int32(at))
}

// addSpread appends decoded bytes that all come from the encoded run
// [start, end), spreading their offsets monotonically over the run.
func (b *builder) addSpread(dec []byte, start, end int) {
	b.buf = append(b.buf, dec...)
	n := len(dec)
	for k := range n {
		b.off = append(b.off, int32(start+k*(end-start)/n))
	}
}

func (b *builder) finish(n int) []int32 {
	return append(b.off, int32(n))
}

// normalized builds the normalized view, or nil when it would equal the
// text up to ASCII case. hidden reports tag characters or variation
// selectors, which may carry text of their own.
func normalized(text string) (_ *builder, hidden bool) {
	// 1. Drop invisible characters.
	s1 := make([]byte, 0, len(text))
	o1 := make([]int32, 0, len(text)+1)
	for i, r := range text {
		if r < utf8.RuneSelf {
			s1 = append(s1, byte(r))
			o1 = append(o1, int32(i))
			continue
		}
		if Invisible(r) {
			hidden = hidden || Tag(r) || VariationSelector(r)
			continue
		}
		n := len(s1)
		s1 = utf8.AppendRune(s1, r)
		for range len(s1) - n {
			o1 = append(o1, int32(i))
		}
	}
	o1 = append(o1, int32(len(text)))
	// 2. NFKC, segment by segment so offsets stay exact.
	if !norm.NFKC.IsNormal(s1) {
		s2 := make([]byte, 0, len(s1)+8)
		o2 := make([]int32, 0, len(s1)+9)
		var it norm.Iter
		it.Init(norm.NFKC, s1)
		for !it.Done() {
			p := it.Pos()
			seg := it.Next()
			s2 = append(s2, seg...)
			for range seg {
				o2 = append(o2, o1[p])
			}
		}
		s1, o1 = s2, append(o2, int32(len(text)))
	}
	// 3. Lower-case, and fold homoglyphs inside words that mix scripts
	// with ASCII letters or consist only of look-alikes.
	b := newBuilder(len(s1))
	for i := 0; i < len(s1); {
		if c := s1[i]; c < utf8.RuneSelf && !isWordRune(rune(c)) {
			b.addByte(lowerASCII(c), int(o1[i]))
			i++
			continue
		}
		r, size := utf8.DecodeRune(s1[i:])
		if !isWordRune(r) {
			b.addRune(unicode.ToLower(r), int(o1[i]))
			i += size
			continue
		}
		j, fold := wordEnd(s1, i)
		for k := i; k < j; {
			if c := s1[k]; c < utf8.RuneSelf {
				b.addByte(lowerASCII(c), int(o1[k]))
				k++
				continue
			}
			r, size := utf8.DecodeRune(s1[k:])
			lr := unicode.ToLower(r)
			if t, ok := confusable(lr); fold && ok {
				b.addString(t, int(o1[k]))
			} else {
				b.addRune(lr, int(o1[k]))
			}
			k += size
		}
		i = j
	}
	if equalFoldASCII(string(b.buf), text) {
		return nil, hidden
	}
	return b, hidden
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

// wordEnd returns the end of the word starting at i and whether its
// homoglyphs should be folded.
func wordEnd(s []byte, i int) (int, bool) {
	ascii, conf, other := 0, 0, 0
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRune(s[j:])
		if !isWordRune(r) {
			break
		}
		switch {
		case r < utf8.RuneSelf:
			ascii++
		case unicode.IsMark(r):
		default:
			if _, ok := confusable(unicode.ToLower(r)); ok {
				conf++
			} else {
				other++
			}
		}
		j += size
	}
	return j, conf > 0 && (ascii > 0 || other == 0)
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if y >= 'A' && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
