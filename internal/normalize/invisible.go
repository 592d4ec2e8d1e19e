package normalize

import "unicode"

// Fillers are letters or symbols that render as blank space and are used
// to hide text or pad it out. They are not Cf, so they are listed here.
var fillers = map[rune]bool{
	0x115F: true, // HANGUL CHOSEONG FILLER
	0x1160: true, // HANGUL JUNGSEONG FILLER
	0x3164: true, // HANGUL FILLER
	0xFFA0: true, // HALFWIDTH HANGUL FILLER
	0x2800: true, // BRAILLE PATTERN BLANK
	0x034F: true, // COMBINING GRAPHEME JOINER
	0x180E: true, // MONGOLIAN VOWEL SEPARATOR
	0x17B4: true, // KHMER VOWEL INHERENT AQ
	0x17B5: true, // KHMER VOWEL INHERENT AA
}

// Invisible reports whether r renders as nothing (or as blank space) and
// is dropped from the normalized view: format characters (Cf, which
// includes zero-width and bidi controls, the BOM and the tag block),
// variation selectors, other default-ignorable code points and fillers.
func Invisible(r rune) bool {
	if r < 0x80 {
		return false
	}
	if r <= 0xFFFF {
		return invisibleBMP[r>>6]&(1<<(r&63)) != 0
	}
	return invisible(r)
}

// invisibleBMP and confusableBMP are bitsets over the BMP, built once.
var invisibleBMP, confusableBMP [0x10000 / 64]uint64

func init() {
	for r := rune(0x80); r <= 0xFFFF; r++ {
		if invisible(r) {
			invisibleBMP[r>>6] |= 1 << (r & 63)
		}
	}
	for _, r := range confFrom {
		if r <= 0xFFFF {
			confusableBMP[r>>6] |= 1 << (r & 63)
		}
	}
}

func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) ||
		unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || fillers[r]
}

// Tag reports whether r is in the Unicode tag block (U+E0000–U+E007F),
// whose printable part mirrors ASCII and is used for "ASCII smuggling".
func Tag(r rune) bool { return r >= 0xE0000 && r <= 0xE007F }

// Bidi reports whether r is a bidirectional embedding, override or
// isolate control (or an implicit mark).
func Bidi(r rune) bool {
	switch {
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200E, r == 0x200F, r == 0x061C:
		return true
	}
	return false
}

// VariationSelector reports whether r is one of the 256 variation
// selectors. Runs of them can encode one byte each.
func VariationSelector(r rune) bool {
	return r >= 0xFE00 && r <= 0xFE0F || r >= 0xE0100 && r <= 0xE01EF
}

// vsByte returns the byte a variation selector encodes (FE00–FE0F → 0–15,
// E0100–E01EF → 16–255).
func vsByte(r rune) byte {
	if r <= 0xFE0F {
		return byte(r - 0xFE00)
	}
	return byte(r - 0xE0100 + 16)
}

// confusable returns the ASCII prototype of a lower-case rune, if any.
func confusable(r rune) (string, bool) {
	if r < 0x80 || r <= 0xFFFF && confusableBMP[r>>6]&(1<<(r&63)) == 0 {
		return "", false
	}
	lo, hi := 0, len(confFrom)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if confFrom[m] < r {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(confFrom) && confFrom[lo] == r {
		return confTo[lo], true
	}
	return "", false
}
