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

// Byte classes for gate, so the pass costs one table lookup per byte. The
// bit positions matter: gate shifts them out instead of branching.
const (
	clB64    uint8 = 1 << iota // base64 alphabet (standard or URL)
	clHex                      // hex digit
	clLetter                   // ASCII letter
	clLeet                     // leetspeak substitute (never a letter)
	clSep                      // separator of spaced hex: ' ' ':' ',' '-'
	clRare                     // '\\' or '%': escapes, handled off the fast path
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
		switch b {
		case ' ', ':', ',', '-':
			t[c] |= clSep
		case '\\', '%':
			t[c] |= clRare
		}
	}
	return t
}()

// gate is one pass over the bytes without data-dependent branches on the
// common path (prose alternates letters and spaces, which a branch
// predictor cannot follow): the run lengths are reset by masks.
func gate(text string) gates {
	var g gates
	b64run, b64max := 0, 0
	hexrun, hexmax := 0, 0
	spaced, spacedMax := 0, 0
	tokLeet, leet := 0, 0
	for i := 0; i < len(text); i++ {
		cl := int(byteClass[text[i]])
		isB64, isHex := cl&1, cl>>1&1
		isLetter, isLeet, isSep := cl>>2&1, cl>>3&1, cl>>4&1
		// Spaced hex ("69 67 6e"): a separator right after exactly two hex
		// digits extends the count; a non-hex byte after any other run
		// resets it.
		nonHex := isHex ^ 1
		pair := 0
		if hexrun == 2 {
			pair = 1
		}
		spaced += nonHex & pair & isSep
		spaced &= -(1 - nonHex&(pair^1))
		spacedMax = max(spacedMax, spaced)
		b64run = (b64run + 1) & -isB64
		b64max = max(b64max, b64run)
		hexrun = (hexrun + 1) & -isHex
		hexmax = max(hexmax, hexrun)
		// A letter after a substitute in the same token ("1gn0re").
		leet |= tokLeet & isLetter
		tokLeet = isLeet | tokLeet&isLetter
		if cl&int(clRare) != 0 {
			switch {
			case text[i] == '\\' && i+1 < len(text) && text[i+1] == 'x':
				g.hex = true
			case text[i] == '%' && i+2 < len(text):
				if byteClass[text[i+1]]&byteClass[text[i+2]]&clHex != 0 {
					g.pct++
				}
			}
		}
	}
	g.b64 = b64max >= 16
	g.hex = g.hex || hexmax >= 16 || spacedMax >= 7
	g.leet = leet != 0
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
