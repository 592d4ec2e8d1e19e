// Package normalize produces the views of a text that scanners read:
// Unicode-normalized text with invisible characters removed and homoglyphs
// folded, and decoded layers (base64, hex, URL-encoding, rot13, leetspeak,
// Unicode tag characters, variation-selector bytes). Every view carries an
// offset map back to the original text.
package normalize

import (
	"sync/atomic"
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
	g := gate(text)
	if !g.ascii {
		nb, hidden := normalized(text)
		add(KindNormalized, nb)
		if hidden {
			add(KindTags, tagText(text))
			add(KindVarSel, varselText(text))
		}
	}
	if g.b64 {
		add(KindBase64, decodeRuns(text, base64Run, clB64))
	}
	if g.hex {
		add(KindHex, decodeRuns(text, hexRun, clHex|clRare))
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
	ascii               bool // no byte ≥ 0x80
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
// predictor cannot follow): the run lengths are reset by masks. Hex runs
// are checked exactly only when a superset condition holds: a contiguous
// hex run of 16 is a base64 run of 16, and seven spaced pairs ("69 67 6e
// …") need seven separators after exactly two hex digits.
func gate(text string) gates {
	var g gates
	b64run, b64max := 0, 0
	hexrun, pairs := 0, 0
	tokLeet, leet := 0, 0
	var high byte
	for i := 0; i < len(text); i++ {
		high |= text[i]
		cl := int(byteClass[text[i]])
		isB64, isHex := cl&1, cl>>1&1
		isLetter, isLeet, isSep := cl>>2&1, cl>>3&1, cl>>4&1
		if hexrun == 2 {
			pairs += isSep
		}
		b64run = (b64run + 1) & -isB64
		b64max = max(b64max, b64run)
		hexrun = (hexrun + 1) & -isHex
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
	g.ascii = high < utf8.RuneSelf
	g.b64 = b64max >= 16
	if !g.hex && (g.b64 || pairs >= 7) {
		g.hex = hexGate(text)
	}
	g.leet = leet != 0
	g.rot = rotGate(text)
	return g
}

// hexGate reports a run of 16 hex digits or seven spaced hex pairs in a
// row ("69 67 6e 6f 72 65 20").
func hexGate(text string) bool {
	hexrun, spaced := 0, 0
	for i := 0; i < len(text); i++ {
		cl := byteClass[text[i]]
		if cl&clHex != 0 {
			if hexrun++; hexrun >= 16 {
				return true
			}
			continue
		}
		if hexrun == 2 && cl&clSep != 0 {
			if spaced++; spaced >= 7 {
				return true
			}
		} else if hexrun != 2 {
			spaced = 0
		}
		hexrun = 0
	}
	return false
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
	// ident: off is not kept yet because byte k of buf comes from byte k
	// of the text (the normalized view's folder sets it).
	ident bool
	// end, when not zero, is where the view's end maps to (the end of the
	// last decoded run) instead of the end of the text.
	end int
}

func newBuilder(n int) *builder {
	return &builder{buf: make([]byte, 0, n), off: make([]int32, 0, n+1)}
}

// materialize writes out the identity offsets kept implicitly so far.
func (b *builder) materialize() {
	if !b.ident {
		return
	}
	b.ident = false
	b.off = make([]int32, len(b.buf), cap(b.buf)+1)
	for k := range b.off {
		b.off[k] = int32(k)
	}
}

func (b *builder) addRune(r rune, at int) {
	b.materialize()
	n := len(b.buf)
	b.buf = utf8.AppendRune(b.buf, r)
	for range len(b.buf) - n {
		b.off = append(b.off, int32(at))
	}
}

func (b *builder) addByte(c byte, at int) {
	b.materialize()
	b.buf = append(b.buf, c)
	b.off = append(b.off, int32(at))
}

// addSpread appends decoded bytes that all come from the encoded run
// [start, end), spreading their offsets monotonically over the run.
func (b *builder) addSpread(dec []byte, start, end int) {
	b.materialize()
	b.buf = append(b.buf, dec...)
	n := len(dec)
	for k := range n {
		b.off = append(b.off, int32(start+k*(end-start)/n))
	}
}

// finish returns the offsets for a text of n bytes: nil when the view's
// bytes all sit where they came from (identity), else len(buf)+1 entries.
func (b *builder) finish(n int) []int32 {
	if b.ident && len(b.buf) == n {
		return nil
	}
	b.materialize()
	if b.end > 0 {
		n = b.end
	}
	return append(b.off, int32(n))
}

// normalized builds the normalized view, or nil when it would equal the
// text up to ASCII case. hidden reports tag characters or variation
// selectors, which may carry text of their own.
//
// Most non-ASCII text has no invisible characters, is already in NFKC and
// only changes case: then no intermediate copies are made and the view
// keeps identity offsets (nil) as long as every character keeps its length.
func normalized(text string) (_ *builder, hidden bool) {
	// 1. Drop invisible characters (and re-encode invalid bytes). Until the
	// first one, the text is its own stage-1 output with identity offsets
	// (o1 == nil).
	s1 := text
	var o1 []int32
	var b1 []byte
	nfkc := false // a character NFKC might change or join to the one before
	for i, r := range text {
		if r < utf8.RuneSelf {
			if b1 != nil {
				b1 = append(b1, byte(r))
				o1 = append(o1, int32(i))
			}
			continue
		}
		invalid := false
		if r == utf8.RuneError {
			_, size := utf8.DecodeRuneInString(text[i:])
			invalid = size == 1
		}
		var inv bool
		p := props(r)
		inv, nfkc = p&rpInvisible != 0, nfkc || p&rpNFKC != 0
		if b1 == nil {
			if !inv && !invalid {
				continue
			}
			b1 = make([]byte, i, len(text))
			copy(b1, text[:i])
			o1 = make([]int32, i, len(text)+1)
			for k := range o1 {
				o1[k] = int32(k)
			}
		}
		if inv {
			hidden = hidden || Tag(r) || VariationSelector(r)
			continue
		}
		n := len(b1)
		b1 = utf8.AppendRune(b1, r)
		for range len(b1) - n {
			o1 = append(o1, int32(i))
		}
	}
	if b1 != nil {
		s1, o1 = string(b1), append(o1, int32(len(text)))
	}
	// 2. NFKC. Spans that are already normal are copied as they are; only
	// the segments after them are normalized, one at a time, so offsets stay
	// exact (a segment's bytes map to its start).
	if nfkc && !norm.NFKC.IsNormalString(s1) {
		s2 := make([]byte, 0, len(s1)+8)
		o2 := make([]int32, 0, len(s1)+9)
		at := func(k int) int32 {
			if o1 == nil {
				return int32(k)
			}
			return o1[k]
		}
		var it norm.Iter
		for pos := 0; pos < len(s1); {
			n := norm.NFKC.QuickSpanString(s1[pos:])
			s2 = append(s2, s1[pos:pos+n]...)
			for k := pos; k < pos+n; k++ {
				o2 = append(o2, at(k))
			}
			if pos += n; pos == len(s1) {
				break
			}
			// One segment; a long decomposition (U+FDFA) comes in several
			// pieces before the iterator moves on.
			it.InitString(norm.NFKC, s1[pos:])
			for {
				seg := it.Next()
				s2 = append(s2, seg...)
				for range seg {
					o2 = append(o2, at(pos))
				}
				if it.Pos() > 0 || it.Done() {
					break
				}
			}
			pos += it.Pos()
		}
		s1, o1 = string(s2), append(o2, int32(len(text)))
	}
	// 3. Lower-case, and fold homoglyphs inside words that mix scripts
	// with ASCII letters or consist only of look-alikes.
	f := folder{src: s1, o1: o1, ident: o1 == nil}
	if o1 != nil {
		f.buf = make([]byte, 0, len(s1)+8)
		f.off = make([]int32, 0, len(s1)+9)
	}
	f.buf, f.off, f.ident = f.run(f.buf, f.off, f.ident)
	if f.buf == nil || o1 != nil && equalFoldASCII(f.buf, text) {
		return nil, hidden
	}
	return &builder{buf: f.buf, off: f.off, ident: f.ident}, hidden
}

// Rune properties for stage 3, one table lookup instead of several
// range-table searches per character.
const (
	rpWord      uint8 = 1 << iota // letter, mark or digit
	rpMark                        // mark
	rpConf                        // its lower case has an ASCII prototype
	rpLower                       // unicode.ToLower changes it
	rpInvisible                   // Invisible
	rpNFKC                        // NFKC changes it, or it may join the character before
)

// scratch is a buffer of capacity ≥ 4 for the NFKC check.
func runeProps(r rune, scratch []byte) uint8 {
	var p uint8
	if isWordRune(r) {
		p |= rpWord
	}
	if unicode.IsMark(r) {
		p |= rpMark
	}
	lr := unicode.ToLower(r)
	if _, ok := confusable(lr); ok {
		p |= rpConf
	}
	if lr != r {
		p |= rpLower
	}
	if Invisible(r) {
		p |= rpInvisible
	}
	// A text of characters that are each NFKC-normal and start a segment
	// that cannot join the one before is NFKC-normal.
	b := utf8.AppendRune(scratch[:0], r)
	if !norm.NFKC.IsNormal(b) || !norm.NFKC.Properties(b).BoundaryBefore() {
		p |= rpNFKC
	}
	return p
}

var asciiProps = func() (t [utf8.RuneSelf]uint8) {
	scratch := make([]byte, 0, utf8.UTFMax)
	for r := range rune(utf8.RuneSelf) {
		t[r] = runeProps(r, scratch)
	}
	return t
}()

// propBlocks caches runeProps in blocks of 256 code points, each built on
// first use (a text touches the few blocks of its scripts; building all of
// the BMP would cost ~10 ms on the first request). Two goroutines may build
// the same block at once; they compute the same values.
var propBlocks [0x110000 >> 8]atomic.Pointer[[256]uint8]

// props returns runeProps(r) from the cache.
func props(r rune) uint8 {
	if uint32(r) >= 0x110000 {
		return runeProps(r, make([]byte, 0, utf8.UTFMax))
	}
	blk := propBlocks[r>>8].Load()
	if blk == nil {
		blk = new([256]uint8)
		base := r &^ 0xFF
		scratch := make([]byte, 0, utf8.UTFMax)
		for k := range rune(256) {
			blk[k] = runeProps(base+k, scratch)
		}
		propBlocks[r>>8].Store(blk)
	}
	return blk[r&0xFF]
}

// folder writes stage 3 of the normalized view: lower case, homoglyphs
// folded. The output starts lazy (buf nil: the output so far is src up to
// ASCII case, nothing written) and with identity offsets (ident, off nil)
// when the earlier stages changed nothing, and leaves each state at the
// first character that needs it. The output slices are passed around by
// value, not kept in the struct, so the per-character appends write no
// pointers through a pointer (no GC write barriers).
type folder struct {
	src   string
	o1    []int32 // src's offsets into the original; nil for identity
	buf   []byte
	off   []int32
	ident bool
}

func (f *folder) at(k int) int32 {
	if f.o1 == nil {
		return int32(k)
	}
	return f.o1[k]
}

// start leaves the lazy state at src[k]: the output so far is src[:k]
// with ASCII lower-cased.
func (f *folder) start(k int) []byte {
	buf := make([]byte, k, len(f.src)+8)
	for j := range k {
		buf[j] = lowerASCII(f.src[j])
	}
	return buf
}

// identOffsets writes out the identity offsets of buf.
func identOffsets(buf []byte) []int32 {
	off := make([]int32, len(buf), cap(buf)+1)
	for k := range off {
		off[k] = int32(k)
	}
	return off
}

// emitMapped appends enc, the image of the character at src[k], with
// offsets (all pointing at k's place in the original).
func (f *folder) emitMapped(buf []byte, off []int32, enc []byte, k int) ([]byte, []int32) {
	at := f.at(k)
	buf = append(buf, enc...)
	for range enc {
		off = append(off, at)
	}
	return buf, off
}

func (f *folder) run(buf []byte, off []int32, ident bool) ([]byte, []int32, bool) {
	src := f.src
	wordStart, wordOut := -1, 0
	ascii, conf, other := 0, 0, 0
	var enc [utf8.UTFMax]byte
	for i := 0; i < len(src); {
		c := src[i]
		r, size := rune(c), 1
		var p uint8
		if c < utf8.RuneSelf {
			p = asciiProps[c]
		} else {
			r, size = utf8.DecodeRuneInString(src[i:])
			p = props(r)
		}
		if p&rpWord != 0 {
			if wordStart < 0 {
				wordStart, wordOut = i, -1
				if buf != nil {
					wordOut = len(buf)
				}
				ascii, conf, other = 0, 0, 0
			}
			switch {
			case c < utf8.RuneSelf:
				ascii++
			case p&rpMark != 0:
			case p&rpConf != 0:
				conf++
			default:
				other++
			}
		} else if wordStart >= 0 {
			if conf > 0 && (ascii > 0 || other == 0) {
				buf, off, ident = f.refold(buf, off, ident, wordStart, wordOut, i)
			}
			wordStart = -1
		}
		var out []byte
		switch {
		case c < utf8.RuneSelf:
			if buf == nil {
				i++
				continue
			}
			enc[0] = lowerASCII(c)
			out = enc[:1]
		case p&rpLower != 0:
			if buf == nil {
				buf = f.start(i)
			}
			out = utf8.AppendRune(enc[:0], unicode.ToLower(r))
		case buf != nil:
			out = append(enc[:0], src[i:i+size]...)
		default:
			i += size
			continue
		}
		if ident && len(out) == size {
			buf = append(buf, out...)
		} else {
			if ident {
				ident, off = false, identOffsets(buf)
			}
			buf, off = f.emitMapped(buf, off, out, i)
		}
		i += size
	}
	if wordStart >= 0 && conf > 0 && (ascii > 0 || other == 0) {
		buf, off, ident = f.refold(buf, off, ident, wordStart, wordOut, len(src))
	}
	return buf, off, ident
}

// refold writes the word src[ws:we] again with its homoglyphs folded to
// ASCII; out is where the word starts in buf (-1: the output was lazy
// there, so at ws). A prototype's characters all map to the homoglyph's
// start, which identity offsets cannot say, so the offsets are written out.
func (f *folder) refold(buf []byte, off []int32, ident bool, ws, out, we int) ([]byte, []int32, bool) {
	if buf == nil {
		buf = f.start(ws)
	} else {
		if out < 0 {
			out = ws
		}
		buf = buf[:out]
		if !ident {
			off = off[:out]
		}
	}
	if ident {
		ident, off = false, identOffsets(buf)
	}
	var enc [utf8.UTFMax]byte
	for k := ws; k < we; {
		if c := f.src[k]; c < utf8.RuneSelf {
			enc[0] = lowerASCII(c)
			buf, off = f.emitMapped(buf, off, enc[:1], k)
			k++
			continue
		}
		r, size := utf8.DecodeRuneInString(f.src[k:])
		lr := unicode.ToLower(r)
		if t, ok := confusable(lr); ok {
			buf, off = f.emitMapped(buf, off, []byte(t), k)
		} else {
			buf, off = f.emitMapped(buf, off, utf8.AppendRune(enc[:0], lr), k)
		}
		k += size
	}
	return buf, off, ident
}

func isWordRune(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r))
}

// wordEnd returns the end of the word starting at i and whether its
// homoglyphs should be folded.
func wordEnd(s string, i int) (int, bool) {
	ascii, conf, other := 0, 0, 0
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
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

func equalFoldASCII[S string | []byte](a S, b string) bool {
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
