package pii

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"rampart/internal/scan"
)

var (
	// A street line of an address block: a number, one to five words,
	// then a house number ("583 Magrethevej 298", "91215 Harjukuja 54",
	// "0645 Reyes Católicos 17 Apt. 209"), or a number and a street word.
	streetLineRe = regexp.MustCompile(`^\d{1,6}[a-zA-Z]?,?[ \t]+(?:\d{1,5}[ \t]+)?(?:[\p{L}][\p{L}'’.\-]*[ \t]+){0,4}[\p{L}][\p{L}'’.\-]*(?:,?[ \t]+\d{1,5}[a-zA-Z]?\b\.?|[ \t]*$)`)
	// A street with a house number right before a unit, inside a line:
	// "… 51709 Spinatsch 94 Apt. 615 …".
	beforeUnitRe = regexp.MustCompile(`\b\d{1,6}[ \t]+(?:\d{1,5}[ \t]+)?(?:[\p{L}][\p{L}'’.\-]*[ \t]+){1,4}\d{1,5}[a-zA-Z]?\.?,?[ \t]+$`)
	// Continuation lines: a unit, a city, a region code, a country or
	// city with a postcode, a postcode alone.
	unitLineRe    = regexp.MustCompile(`^(?i:apt\.?|apartment|suite|ste\.?|unit|flat|floor|#)[ \t]*#?[ \t]*[\w-]{1,6}$`)
	placeLineRe   = regexp.MustCompile(`^[\p{L}][\p{L}'’.()\-]*(?:[ \t]+[\p{L}(][\p{L}'’.()\-]*){0,4}(?:,?[ \t]+(?:[A-Z]{2}[ \t]+)?\d{4,6}(?:-\d{4})?)?$`)
	regionLineRe  = regexp.MustCompile(`^,?[ \t]*[A-Z]{2}(?:[ \t]+\d{4,6})?$`)
	postcodeEnd   = regexp.MustCompile(`^(?:,?[ \t]*(?i:apt\.?|suite|unit|ste\.?)[ \t]*#?[\w-]{1,6})?(?:,[ \t]*[\p{L}][\p{L}'’.\- ]*){1,3}[ \t]+\d{4,6}\.?$`)
	postcodeRe    = regexp.MustCompile(`^\d{4,6}(?:-\d{4})?$`)
	militaryRe    = regexp.MustCompile(`(?i)\b(?:psc|unit|cmr)[ \t]+\d{3,5},?[ \t]+box[ \t]+\d{3,5}[ \t]*,?[ \t]*\n?[ \t]*(?:apo|fpo|dpo)[ \t]+a[aep][ \t]+\d{5}\b|\bus[ns]{1,2}[ \t]+\p{Lu}[\p{L}]+(?:[ \t]+\p{Lu}[\p{L}]+)?[ \t]*,?[ \t]*\n?[ \t]*fpo[ \t]+a[aep][ \t]+\d{5}\b`)
	inlineStartRe = regexp.MustCompile(`^(?:\d{1,6}[a-zA-Z]?,?[ \t]+(?:\d{1,5}[ \t]+)?\p{L}|(?i:p\.?\s?o\.?\s+box|psc|unit)\b|\p{Lu}[\p{L}'’.\-]*(?:[ \t]+\p{L}[\p{L}'’.\-]*){0,3}[ \t]+\d{1,5}\b)`)
)

// line is one line of the text without its quoting prefix ("> ", "??? ").
type line struct{ start, end int }

func (d *detector) lines() []line {
	t := d.text
	out := d.sc.lines[:0]
	defer func() { d.sc.lines = out }()
	for i := 0; i <= len(t); {
		j := strings.IndexByte(t[i:], '\n')
		if j < 0 {
			j = len(t) - i
		}
		s, e := i, i+j
		for s < e && (t[s] == ' ' || t[s] == '\t' || t[s] == '>' || t[s] == '?' || t[s] == '|' || t[s] == '*') {
			s++
		}
		for e > s && (t[e-1] == ' ' || t[e-1] == '\t' || t[e-1] == '\r') {
			e--
		}
		out = append(out, line{s, e})
		i += j + 1
	}
	return out
}

// addressBlocks finds multi-line postal addresses: a street line followed
// by unit, city, region and country/postcode lines. The line above the
// block, when it reads as a name, is reported as PERSON.
func (d *detector) addressBlocks() int {
	t := d.text
	last := 0
	if d.hasCue(cuePO) {
		for _, loc := range militaryRe.FindAllStringIndex(t, -1) {
			d.add(scan.Address, "military-address", loc[0], loc[1], 0.9)
			last = max(last, loc[1])
		}
	}
	last = max(last, d.unitAddresses(last))
	if strings.IndexByte(t, '\n') < 0 {
		return last
	}
	ls := d.lines()
	for k := 0; k < len(ls); k++ {
		l := ls[k]
		if l.end-l.start < 5 || !isDigit(t[l.start]) {
			continue
		}
		loc := streetLineRe.FindStringIndex(t[l.start:l.end])
		if loc == nil {
			continue
		}
		end, cont := l.start+loc[1], 0
		if u := unitRe.FindStringIndex(t[end:l.end]); u != nil {
			end += u[1]
		}
		for m := k + 1; m < len(ls) && m <= k+5; m++ {
			c := ls[m]
			txt := t[c.start:c.end]
			if txt == "" {
				// One empty line may precede the country/postcode line.
				if m+1 >= len(ls) || m > 0 && ls[m-1].end <= ls[m-1].start || !postcodeOrCountry(t[ls[m+1].start:ls[m+1].end]) {
					break
				}
				continue
			}
			if len(txt) > 48 || !(unitLineRe.MatchString(txt) || regionLineRe.MatchString(txt) ||
				postcodeRe.MatchString(txt) || placeLineRe.MatchString(txt) && !strings.ContainsAny(txt, "@:")) {
				break
			}
			end, cont = c.end, cont+1
		}
		if cont == 0 && !strings.ContainsAny(t[l.start:end], "abcdefghijklmnopqrstuvwxyz") {
			continue
		}
		if cont == 0 && !d.addressContext(l.start) {
			// A lone "number words number" line needs a street word, a
			// unit, a trailing postcode or an address cue: "3 eggs and
			// 2" is not an address.
			rest := t[end:l.end]
			if postcodeEnd.MatchString(rest) {
				end = l.end
			} else if !hasStreetWord(lowerASCII(make([]byte, 0, 128), t[l.start:end])) && !unitRe.MatchString(t[l.start+loc[1]:l.end]) {
				continue
			}
		}
		d.add(scan.Address, "address-block", l.start, end, 0.8)
		last = max(last, end)
		d.nameAbove(ls, k)
		for k+1 < len(ls) && ls[k+1].start < end {
			k++
		}
	}
	return last
}

func postcodeOrCountry(s string) bool {
	return postcodeRe.MatchString(s) || placeLineRe.MatchString(s)
}

// addressContext reports an address cue on the lines before i.
func (d *detector) addressContext(i int) bool {
	var buf [40]byte
	w := lowerASCII(buf[:0], d.text[max(0, i-40):i])
	return strings.Contains(string(w), "address") || strings.Contains(string(w), "adresse") ||
		strings.Contains(string(w), "ship to") || strings.Contains(string(w), "located")
}

func hasStreetWord(lower []byte) bool {
	for _, w := range []string{" street", " st", " avenue", " ave", " road", " rd", " blvd", " boulevard", " lane",
		" drive", " way", " court", " place", " square", " terrace", "rue ", "calle ", "via ", "rua ", "straße",
		"strasse", "str.", "gasse", "weg ", "vej ", "gatan", "straat", "laan", "katu", "tie ", "utca", "ul."} {
		if strings.Contains(string(lower), w) {
			return true
		}
	}
	return false
}

// nameAbove reports the line above an address block (skipping one empty
// line and an organization line) when it reads as a person's name.
func (d *detector) nameAbove(ls []line, k int) {
	t := d.text
	for m, skipped := k-1, 0; m >= 0 && m >= k-3; m-- {
		l := ls[m]
		if l.end <= l.start {
			if skipped++; skipped > 1 {
				return
			}
			continue
		}
		words := strings.Fields(t[l.start:l.end])
		if len(words) >= 2 && len(words) <= 3 && !strings.ContainsAny(t[l.start:l.end], "0123456789@:,") {
			ok, known := true, false
			for i, w := range words {
				w = strings.TrimSuffix(w, ".")
				if utf8.RuneCountInString(w) == 1 && i > 0 && i < len(words)-1 {
					continue // a middle initial
				}
				if !nameWord(w) {
					ok = false
					break
				}
				known = known || givenName(w) || familyName(w)
			}
			// Above an empty line before the street line, a two- or
			// three-word line of name words is the addressee even when
			// no word is known (a company line comes right above).
			if ok && (known || m == k-2 && ls[k-1].end <= ls[k-1].start) {
				d.add(scan.Person, "name-address-block", l.start, l.end, 0.7)
				return
			}
		}
		if len(words) > 3 {
			return
		}
	}
}

// hasCue reports a match of a pattern of kind k.
func (d *detector) hasCue(k cueKind) bool {
	kinds := cueTries().kinds
	for _, ev := range d.sc.events {
		if kinds[ev.kind] == k {
			return true
		}
	}
	return false
}

// unitAddresses finds "number street number Apt./Suite n" inside a line
// and reads on to the end of the sentence.
func (d *detector) unitAddresses(last int) int {
	t := d.text
	ct := cueTries()
	// Each unit word in turn, its occurrences (prepare's events) in text
	// order; none of them can overlap itself.
	for u := range unitWords {
		for _, ev := range d.sc.events {
			if ct.unit[ev.kind] != int8(u) {
				continue
			}
			k := int(ev.end) - int(ev.n) + 1
			if k < last || k > 0 && isAlnum(t[k-1]) {
				continue
			}
			ls := max(0, k-90)
			if n := strings.LastIndexByte(t[ls:k], '\n'); n >= 0 {
				ls += n + 1
			}
			for ls < k && !utf8.RuneStart(t[ls]) {
				ls++
			}
			loc := beforeUnitRe.FindStringIndex(t[ls:k])
			if loc == nil {
				continue
			}
			if e := d.sentenceEnd(ls+loc[0], 160); e > k {
				d.add(scan.Address, "address-unit", ls+loc[0], e, 0.8)
				last = e
			}
		}
	}
	return last
}

// sentenceEnd returns where an inline address starting at i ends: at
// "?", "!", ";", a sentence-ending period, an empty line, a trailing
// clause ("for", "and", "please" …) or after max bytes.
func (d *detector) sentenceEnd(i, limit int) int {
	t := d.text
	end, lines := i, 0
	for j := i; j < len(t) && j-i < limit; j++ {
		c := t[j]
		if c == '\n' {
			if lines++; lines > 4 || j+1 < len(t) && t[j+1] == '\n' {
				break
			}
		}
		if c == '?' || c == '!' || c == ';' || c == '(' || c == '"' {
			break
		}
		if c == '.' && (j+1 == len(t) || t[j+1] == ' ' && j+2 < len(t) && unicode.IsUpper(rune(t[j+2])) && !shortAbbrev(t, j)) {
			break
		}
		end = j + 1
	}
	for end > i && strings.IndexByte(" \t\n,.:", t[end-1]) >= 0 {
		end--
	}
	for _, stop := range []string{" for ", " and ", " which ", " where ", " but ", " because ", " when ", " that ", " by ", " before ", " until ", " please", " in case", " if ", " last ", " nan", " tomorrow", " today", " tonight", " next ", " at ", " on "} {
		if k := strings.Index(t[i:end], stop); k > 0 {
			end = i + k
		}
	}
	return end
}

// corner reads "the corner of <street> and <street>" (s is the cue's
// start, e its end); one of the streets must carry a number.
func (d *detector) corner(s, e int) int {
	t := d.text
	k := strings.Index(t[e:min(len(t), e+80)], " and ")
	if k <= 0 || strings.ContainsAny(t[e:e+k], ".?!\n") {
		return 0
	}
	end := d.sentenceEnd(e+k+5, 80)
	if end <= e+k+5 || !strings.ContainsAny(t[e:end], "0123456789") {
		return 0
	}
	d.add(scan.Address, "address-corner", s, end, 0.8)
	return end
}

// addressAfter reads an inline address after a cue such as "lives at":
// it must start with a number (or a PO box, or "Name 12") and runs to the
// end of the sentence. It returns the end of the address (0 when none).
func (d *detector) addressAfter(i int) int {
	t := d.text
	for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n') {
		i++
	}
	if i >= len(t) || t[i] < utf8.RuneSelf && !isDigit(t[i]) && !(t[i] >= 'A' && t[i] <= 'Z') && t[i] != 'p' && t[i] != 'u' {
		return 0
	}
	if !inlineStartRe.MatchString(t[i:min(len(t), i+64)]) {
		return 0
	}
	end, digits, lines := i, false, 0
	for j := i; j < len(t) && j-i < 140; j++ {
		c := t[j]
		if c == '\n' {
			if lines++; lines > 4 || j+1 < len(t) && t[j+1] == '\n' {
				break
			}
		}
		if c == '?' || c == '!' || c == ';' || c == '(' || c == '"' {
			break
		}
		if c == '.' && (j+1 == len(t) || t[j+1] == ' ' && j+2 < len(t) && unicode.IsUpper(rune(t[j+2])) && !shortAbbrev(t, j)) {
			break
		}
		if isDigit(c) {
			digits = true
		}
		end = j + 1
	}
	for end > i && strings.IndexByte(" \t\n,.:", t[end-1]) >= 0 {
		end--
	}
	if !digits || end-i < 6 {
		return 0
	}
	// Stop before a trailing clause: "for this card", "and", "which".
	for _, stop := range []string{" for ", " and ", " which ", " where ", " but ", " because ", " when ", " that ", " by ", " before ", " until ", " please", " in case", " if "} {
		if k := strings.Index(t[i:end], stop); k > 0 {
			end = i + k
		}
	}
	d.add(scan.Address, "address-cue", i, end, 0.8)
	return end
}

// shortAbbrev reports a period that ends an abbreviation such as "St.",
// "Str.", "Apt.", "ul.", "Av.".
func shortAbbrev(t string, dot int) bool {
	k := dot
	for k > 0 && isAlnum(t[k-1]) && t[k-1] < 0x80 {
		k--
	}
	return dot-k <= 3 && dot-k >= 1
}
