package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// wordFlag says which word lists hold a lower-cased word. One map lookup
// answers every list a capitalized word is checked against (stop, street,
// title, organization, common, everyday-surname and ambiguous-name
// words), instead of one lowering and one lookup per list.
type wordFlag uint16

const (
	wStop wordFlag = 1 << iota
	wStreet
	wTitle
	wOrg
	wCommon
	wWordSurname
	wAmbiguous
)

// nameFlag says which case-sensitive gazetteers hold a word.
type nameFlag uint8

const (
	nGiven nameFlag = 1 << iota
	nSurname
)

var (
	lowerWordFlags = func() map[string]wordFlag {
		m := map[string]wordFlag{}
		for w := range stopWords {
			m[w] |= wStop
		}
		for _, w := range strings.Fields("street st avenue ave road rd lane drive court place way boulevard") {
			m[w] |= wStreet
		}
		for _, w := range strings.Fields("mr mrs ms miss dr prof sir herr frau mme m sr sra") {
			m[w] |= wTitle
		}
		for w := range orgWords {
			m[w] |= wOrg
		}
		for w := range commonWords {
			m[w] |= wCommon
		}
		for w := range wordSurnames {
			m[w] |= wWordSurname
		}
		for w := range ambiguousNames {
			m[w] |= wAmbiguous
		}
		return m
	}()
	exactNameFlags = func() map[string]nameFlag {
		m := map[string]nameFlag{}
		for w := range firstNames {
			m[w] |= nGiven
		}
		for w := range firstNamesExtra {
			m[w] |= nGiven
		}
		for w := range surnames {
			m[w] |= nSurname
		}
		return m
	}()
	// surnameSuffixesByLast indexes surnameSuffixes by their last byte.
	surnameSuffixesByLast = func() (t [256][]string) {
		for _, s := range surnameSuffixes {
			t[s[len(s)-1]] = append(t[s[len(s)-1]], s)
		}
		return t
	}()
	strongSuffixes       = []string{"ová", "ova", "dóttir", "dottir", "sson", "escu", "poulos", "enko", "ović", "ovic", "ević", "wicz", "shvili", "idze", "ovna", "ovich", "evich", "yev", "aev", "ayev"}
	strongSuffixesByLast = func() (t [256]bool) {
		for _, s := range strongSuffixes {
			t[s[len(s)-1]] = true
		}
		return t
	}()
)

// lowerFlags looks the lower-cased w up in lowerWordFlags.
func lowerFlags(w string) wordFlag {
	var buf [64]byte
	return lowerWordFlags[string(lowerWord(buf[:0], w))]
}

func ambiguousName(w string) bool { return lowerFlags(w)&wAmbiguous != 0 }

// hasLower reports a lower-case letter in w.
func hasLower(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if 'a' <= c && c <= 'z' {
			return true
		}
		if c >= utf8.RuneSelf {
			return strings.ContainsFunc(w[i:], unicode.IsLower)
		}
	}
	return false
}

// upperStart reports whether w starts with an upper-case letter.
func upperStart(w string) bool {
	if w == "" {
		return false
	}
	if c := w[0]; c < utf8.RuneSelf {
		return 'A' <= c && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}
