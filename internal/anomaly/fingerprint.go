package anomaly

import (
	"unicode"
	"unicode/utf8"
)

// Print is what the Detector keeps of a prompt: three 64-bit hashes, never
// the text.
//
//   - Exact hashes the prompt's words, lowercased, with punctuation and
//     spacing ignored: two prompts count as the same prompt (for the
//     diversity estimate) when they differ only in case, spacing or
//     punctuation.
//   - Head and Tail hash the word count together with the first and the
//     second half of the words, every word that holds a digit replaced by
//     one placeholder. Prompts generated from one template that differ in
//     one slot (a counter, a name, a city) share one of the two halves,
//     whichever the slot is not in; prompts that differ only in numbers
//     share both. Prompts of fewer than three words have no template
//     (Head = Tail = 0).
type Print struct {
	Exact, Head, Tail uint64
}

// IsZero reports whether p carries no prompt.
func (p Print) IsZero() bool { return p == Print{} }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
	// mixed into the template hashes so that a template can never equal an
	// exact hash, and Head never equals Tail.
	headSeed = 0x9e3779b97f4a7c15
	tailSeed = 0xc2b2ae3d27d4eb4f
)

// MaxFingerprint bounds the work per prompt: only the first
// MaxFingerprint bytes of a longer prompt are fingerprinted.
const MaxFingerprint = 32 << 10

// Fingerprint computes the Print of a prompt. It does not allocate and
// reads the text twice; the text is not retained.
func Fingerprint(text string) Print {
	if len(text) > MaxFingerprint {
		text = text[:MaxFingerprint]
	}
	words := 0
	scanWords(text, func(string, bool) { words++ })
	if words == 0 {
		return Print{}
	}
	var p Print
	exact := uint64(fnvOffset)
	head, tail := uint64(fnvOffset)^headSeed, uint64(fnvOffset)^tailSeed
	head = mix(head, uint64(words))
	tail = mix(tail, uint64(words))
	half := words / 2
	i := 0
	scanWords(text, func(w string, digit bool) {
		// exact: lowercased word, then a separator; h: the word, or one
		// placeholder for a word that holds a digit.
		h := uint64(fnvOffset)
		for j := 0; j < len(w); j++ {
			c := w[j]
			if c >= utf8.RuneSelf {
				for _, r := range w[j:] {
					r = unicode.ToLower(r)
					exact = hashRune(exact, r)
					h = hashRune(h, r)
				}
				break
			}
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			exact = (exact ^ uint64(c)) * fnvPrime
			h = (h ^ uint64(c)) * fnvPrime
		}
		exact = (exact ^ ' ') * fnvPrime
		if digit {
			h = '#'
		}
		if i < half {
			head = mix(head, h)
		} else {
			tail = mix(tail, h)
		}
		i++
	})
	p.Exact = exact | 1 // never zero
	if words >= 3 {
		p.Head = fmix(head) | 1
		p.Tail = fmix(tail) | 1
	}
	return p
}

// scanWords calls fn for every run of letters, digits and marks in text,
// reporting whether the run holds a digit.
func scanWords(text string, fn func(w string, digit bool)) {
	start, digit := -1, false
	for i := 0; i < len(text); {
		c := text[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
		}
		isWord, isDigit := false, false
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			isWord = true
		case r >= '0' && r <= '9':
			isWord, isDigit = true, true
		case r < utf8.RuneSelf:
		case unicode.IsLetter(r) || unicode.IsMark(r):
			isWord = true
		case unicode.IsDigit(r):
			isWord, isDigit = true, true
		}
		if isWord {
			if start < 0 {
				start, digit = i, false
			}
			digit = digit || isDigit
		} else if start >= 0 {
			fn(text[start:i], digit)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		fn(text[start:], digit)
	}
}

func hashRune(h uint64, r rune) uint64 {
	if r < utf8.RuneSelf {
		return (h ^ uint64(r)) * fnvPrime
	}
	for r != 0 {
		h = (h ^ uint64(r&0xff)) * fnvPrime
		r >>= 8
	}
	return h
}

// mix folds v into h (order-sensitive).
func mix(h, v uint64) uint64 {
	h ^= fmix(v + 0x9e3779b97f4a7c15)
	return h * fnvPrime
}

// fmix is the 64-bit finalizer of MurmurHash3.
func fmix(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
