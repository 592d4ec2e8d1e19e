package normalize

import (
	"encoding/base64"
	"unicode"
	"unicode/utf8"
)

// plausible reports whether decoded bytes look like text: valid UTF-8,
// almost all printable, and mostly letters and spaces.
func plausible(dec []byte) bool {
	if len(dec) < 4 || !utf8.Valid(dec) {
		return false
	}
	n, printable, letters := 0, 0, 0
	for _, r := range string(dec) {
		n++
		switch {
		case unicode.IsLetter(r) || r == ' ':
			letters++
			printable++
		case unicode.IsPrint(r) || r == '\n' || r == '\t' || r == '\r':
			printable++
		}
	}
	return printable*10 >= n*9 && letters*2 >= n
}

// runDecoder looks for an encoded run starting at text[i]. It returns the
// run's end and its decoded bytes (nil when there is no plausible run).
type runDecoder func(text string, i int) (end int, dec []byte)

// decodeRuns returns the decoded text of every plausible encoded run,
// one run per line, each byte mapped into its run (a line break maps to
// the end of the run before it). The text around the runs is left out:
// every scanner already reads it in the raw view, so repeating it made
// each scanner read an encoded prompt twice. It returns nil when nothing
// was decoded.
//
// A run can only start at a byte of class start; other bytes are skipped
// without calling dec.
func decodeRuns(text string, dec runDecoder, start uint8) *builder {
	var b *builder
	for i := 0; i < len(text); {
		if byteClass[text[i]]&start == 0 {
			i++
			continue
		}
		end, d := dec(text, i)
		if d == nil {
			i = max(end, i+1)
			continue
		}
		if b == nil {
			b = newBuilder(len(d) + 1)
		} else {
			b.addByte('\n', i)
		}
		b.addSpread(d, i, end)
		b.end = end
		i = end
	}
	return b
}

// validText returns the builder itself when its bytes are valid UTF-8,
// else a copy with each invalid byte replaced by U+FFFD at the same offset.
func (b *builder) validText() *builder {
	if b == nil || utf8.Valid(b.buf) {
		return b
	}
	nb := newBuilder(len(b.buf) + 8)
	for i := 0; i < len(b.buf); {
		r, size := utf8.DecodeRune(b.buf[i:])
		if r == utf8.RuneError && size == 1 {
			nb.addRune(utf8.RuneError, int(b.off[i]))
		} else {
			nb.buf = append(nb.buf, b.buf[i:i+size]...)
			nb.off = append(nb.off, b.off[i:i+size]...)
		}
		i += size
	}
	return nb
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_'
}

// base64Run decodes a run of ≥ 16 base64 characters (standard or URL
// alphabet, padding optional).
func base64Run(text string, i int) (int, []byte) {
	if i > 0 && byteClass[text[i-1]]&clB64 != 0 {
		// Only maximal runs; skip to the end of this one.
		j := i
		for j < len(text) && byteClass[text[j]]&clB64 != 0 {
			j++
		}
		return j, nil
	}
	j := i
	upper, lower, digit, url, std := 0, 0, 0, false, false
	for j < len(text) && byteClass[text[j]]&clB64 != 0 {
		switch c := text[j]; {
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c >= '0' && c <= '9':
			digit++
		case c == '-' || c == '_':
			url = true
		default:
			std = true
		}
		j++
	}
	end := j
	for end < len(text) && text[end] == '=' && end-j < 2 {
		end++
	}
	n := j - i
	if n < 16 || upper == 0 || lower == 0 || (url && std) {
		return end, nil
	}
	body := text[i:j]
	if len(body)%4 == 1 {
		body = body[:len(body)-1]
	}
	enc := base64.RawStdEncoding
	if url {
		enc = base64.RawURLEncoding
	}
	dec, err := enc.DecodeString(body)
	if err != nil || !plausible(dec) {
		return end, nil
	}
	return end, dec
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hexRun decodes ≥ 8 hex-encoded bytes: contiguous ("69676e"), prefixed
// ("\x69\x67", "0x69 0x67") or separated by single spaces, colons,
// commas or dashes ("69 67 6e").
func hexRun(text string, i int) (int, []byte) {
	if i > 0 {
		if _, ok := hexVal(text[i-1]); ok {
			return i + 1, nil
		}
	}
	if _, ok := hexVal(text[i]); !ok && text[i] != '\\' {
		return i + 1, nil
	}
	n, end := hexPairs(text, i, nil)
	if n < 8 {
		return max(end, i+1), nil
	}
	if end < len(text) {
		if _, ok := hexVal(text[end]); ok {
			// An odd digit left over: not a clean hex run.
			return end + 1, nil
		}
	}
	dec := make([]byte, 0, n)
	hexPairs(text, i, func(c byte) { dec = append(dec, c) })
	if !plausible(dec) {
		return end, nil
	}
	return end, dec
}

// hexPairs walks the hex run at i, calling emit (if not nil) for each
// byte; it returns the number of bytes and the run's end.
func hexPairs(text string, i int, emit func(byte)) (n, end int) {
	j := i
	end = i
	for {
		k := j
		if k+1 < len(text) && (text[k] == '\\' || text[k] == '0') && (text[k+1] == 'x' || text[k+1] == 'X') {
			k += 2
		}
		if k+1 >= len(text) {
			return n, end
		}
		h, ok1 := hexVal(text[k])
		l, ok2 := hexVal(text[k+1])
		if !ok1 || !ok2 {
			return n, end
		}
		if emit != nil {
			emit(h<<4 | l)
		}
		n++
		end = k + 2
		j = end
		if j < len(text) {
			switch text[j] {
			case ' ', ':', ',', '-':
				j++
			}
		}
	}
}

// urlDecode decodes %XX escapes when the text has at least three of them.
func urlDecode(text string) *builder {
	count := 0
	for i := 0; i+2 < len(text); i++ {
		if text[i] == '%' {
			if _, ok := hexVal(text[i+1]); ok {
				if _, ok := hexVal(text[i+2]); ok {
					count++
				}
			}
		}
	}
	if count < 3 {
		return nil
	}
	b := newBuilder(len(text))
	for i := 0; i < len(text); {
		if text[i] == '%' && i+2 < len(text) {
			h, ok1 := hexVal(text[i+1])
			l, ok2 := hexVal(text[i+2])
			if ok1 && ok2 {
				b.addByte(h<<4|l, i)
				i += 3
				continue
			}
		}
		if text[i] == '+' {
			b.addByte(' ', i)
		} else {
			b.addByte(text[i], i)
		}
		i++
	}
	if !utf8.Valid(b.buf) || string(b.buf) == text {
		return nil
	}
	return b
}

// tagText collects the ASCII text hidden in Unicode tag characters, except
// emoji tag sequences (🏴 + lower-case letters/digits + CANCEL TAG, the
// subdivision flags).
func tagText(text string) *builder {
	var b *builder
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !Tag(r) {
			i += size
			continue
		}
		j, flag := tagRun(text, i)
		if !flag {
			for k := i; k < j; {
				r, size := utf8.DecodeRuneInString(text[k:])
				if r >= 0xE0020 && r <= 0xE007E {
					if b == nil {
						b = newBuilder(32)
					}
					b.addByte(byte(r-0xE0000), k)
				}
				k += size
			}
			if b != nil && len(b.buf) > 0 && b.buf[len(b.buf)-1] != ' ' {
				b.addByte(' ', j)
			}
		}
		i = j
	}
	if b == nil || len(b.buf) == 0 {
		return nil
	}
	return b
}

// TagRun returns the end of the run of tag characters starting at i and
// whether it is a legitimate emoji flag tag sequence.
func tagRun(text string, i int) (end int, flag bool) {
	j, n, spec := i, 0, true
	cancel := false
	for j < len(text) {
		r, size := utf8.DecodeRuneInString(text[j:])
		if !Tag(r) {
			break
		}
		j += size
		if r == 0xE007F {
			cancel = true
			break
		}
		n++
		c := r - 0xE0000
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			spec = false
		}
	}
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	flag = cancel && spec && n >= 2 && n <= 7 && prev == 0x1F3F4
	return j, flag
}

// FlagTagSequence reports whether the tag run at byte i of text is an
// emoji subdivision-flag sequence, and where the run ends.
func FlagTagSequence(text string, i int) (end int, ok bool) { return tagRun(text, i) }

// varselText decodes runs of ≥ 4 variation selectors as one byte each
// (the "emoji smuggling" trick), when the bytes read as text.
func varselText(text string) *builder {
	var b *builder
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !VariationSelector(r) {
			i += size
			continue
		}
		var dec []byte
		j := i
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !VariationSelector(r) {
				break
			}
			dec = append(dec, vsByte(r))
			j += size
		}
		if len(dec) >= 4 && plausible(dec) {
			if b == nil {
				b = newBuilder(len(dec) + 1)
			}
			b.addSpread(dec, i, j)
			b.addByte(' ', j)
		}
		i = j
	}
	return b
}
