package normalize

import "strings"

// common are frequent English words and the words attacks use most. A
// text whose rot13 image contains more of them than the text itself is
// probably rot13-encoded.
var common = map[string]bool{}

// plainWords and rotWords index the common words by the (first, last)
// letters of the word and of its rot13 image, so counting costs a slice
// lookup per word and a byte compare on the few that share the pair.
var plainWords, rotWords [26 * 26][]string

func init() {
	defer func() {
		for w := range common {
			p := pairIndex(w[0], w[len(w)-1])
			plainWords[p] = append(plainWords[p], w)
			r := []byte(w)
			for k := range r {
				r[k] = rot13Byte(r[k])
			}
			p = pairIndex(r[0], r[len(r)-1])
			rotWords[p] = append(rotWords[p], string(r))
		}
	}()
	for _, w := range []string{
		"the", "and", "you", "your", "are", "is", "to", "of", "for", "with", "this", "that",
		"all", "now", "not", "what", "tell", "say", "me", "it", "in", "be", "from", "on",
		"ignore", "previous", "instructions", "system", "prompt", "password", "secret",
		"reveal", "print", "forget", "rules", "above", "disregard", "please", "print",
	} {
		common[w] = true
	}
}

// pairIndex indexes the (first, last) letters of a word; both are ASCII
// letters, so setting bit 5 lower-cases them.
func pairIndex(first, last byte) int {
	return int((first|0x20)-'a')*26 + int((last|0x20)-'a')
}

// rotGate reports whether the text reads better rot13-decoded: at least
// two words whose rot13 image is a common word, and more of them than
// words that are common as they stand. Words that are common as they
// stand are only counted when the first count reaches two.
func rotGate(text string) bool {
	rot := countWords(text, &rotWords, -1)
	return rot >= 2 && countWords(text, &plainWords, rot) < rot
}

// countWords counts the words of text (ASCII letter runs, any case) that
// are in table, stopping once the count reaches limit (when ≥ 0).
func countWords(text string, table *[26 * 26][]string, limit int) int {
	n := 0
	for i := 0; i < len(text); {
		if byteClass[text[i]]&clLetter == 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(text) && byteClass[text[j]]&clLetter != 0 {
			j++
		}
		for _, w := range table[pairIndex(text[i], text[j-1])] {
			if len(w) == j-i && equalFoldASCII(w, text[i:j]) {
				if n++; n == limit {
					return n
				}
				break
			}
		}
		i = j
	}
	return n
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func rot13Byte(c byte) byte {
	switch {
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+13)%26
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+13)%26
	}
	return c
}

// rot13 returns the rot13 image of the text when it reads better than the
// text itself.
// rot13 returns the text rot13-decoded; Views calls it when rotGate
// says the text reads better that way.
func rot13(text string) *builder {
	b := newBuilder(len(text))
	for i := 0; i < len(text); i++ {
		b.addByte(rot13Byte(text[i]), i)
	}
	return b
}

func leetChar(c byte) (byte, bool) {
	switch c {
	case '0':
		return 'o', true
	case '1', '!':
		return 'i', true
	case '3':
		return 'e', true
	case '4', '@':
		return 'a', true
	case '5', '$':
		return 's', true
	case '7', '+':
		return 't', true
	case '8':
		return 'b', true
	case '9':
		return 'g', true
	case '|':
		return 'l', true
	}
	return 0, false
}

func isLeetToken(c byte) bool {
	return byteClass[c]&(clLeet|clLetter) != 0 || c >= '0' && c <= '9'
}

// leetToken reports how many substitutions the token text[i:j] needs to
// read as letters, or -1 when it is not leetspeak (a number, a version,
// a word with a trailing digit).
//
// Tokens that are not words are not leetspeak either: longer than 32
// bytes, three substituted characters in a row ("S3cr3t" yes, "x4111y"
// no), more than two lower-to-upper case switches (random keys and base64
// such as "Nf8sK2mQ9vX7"), or the local@domain of an e-mail address.
func leetToken(text string, i, j int) int {
	if j-i > 32 {
		return -1
	}
	if j < len(text)-1 && text[j] == '.' && isLetter(text[j+1]) && strings.IndexByte(text[i:j], '@') > 0 {
		return -1
	}
	letters, subs, run, switches := 0, 0, 0, 0
	lower := false
	for k := i; k < j; k++ {
		c := text[k]
		if isLetter(c) {
			letters++
			run = 0
			up := c <= 'Z'
			if up && lower {
				if switches++; switches > 2 {
					return -1
				}
			}
			lower = !up
			continue
		}
		if _, ok := leetChar(c); !ok {
			return -1
		}
		if run++; run >= 3 {
			return -1
		}
		// A substitution counts only when a letter follows somewhere.
		for m := k + 1; m < j; m++ {
			if isLetter(text[m]) {
				subs++
				break
			}
		}
	}
	if letters < 2 {
		return -1
	}
	return subs
}

// leet returns the text with leetspeak tokens spelled out, when at least
// two substitutions are found.
func leet(text string) *builder {
	score := 0
	for i := 0; i < len(text); {
		if !isLeetToken(text[i]) {
			i++
			continue
		}
		j := i
		var seen uint8
		for j < len(text) && isLeetToken(text[j]) {
			seen |= byteClass[text[j]]
			j++
		}
		// Only tokens with both letters and substitutes can score.
		if seen&clLetter != 0 && seen&clLeet != 0 {
			if s := leetToken(text, i, j); s > 0 {
				score += min(s, 2)
			}
		}
		i = j
	}
	if score < 2 {
		return nil
	}
	b := newBuilder(len(text))
	for i := 0; i < len(text); {
		if !isLeetToken(text[i]) {
			b.addByte(lowerASCII(text[i]), i)
			i++
			continue
		}
		j := i
		for j < len(text) && isLeetToken(text[j]) {
			j++
		}
		sub := leetToken(text, i, j) > 0
		for k := i; k < j; k++ {
			c := lowerASCII(text[k])
			if l, ok := leetChar(c); ok && sub {
				c = l
			}
			b.addByte(c, k)
		}
		i = j
	}
	return b
}
