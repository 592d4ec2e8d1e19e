package pii

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"rampart/internal/scan"
)

// cueKind says what a context cue introduces.
type cueKind uint8

const (
	cueName cueKind = iota + 1
	cueTitle
	cueDOB
	cuePassport
	cueStreet
	cueNameWeak // needs two name words, or one known given or family name
	cueAddress  // an address follows when it starts with a number
	cueCorner   // "the corner of A and B"
	cueNamePair // like cueNameWeak, but two name words suffice
	cueGreeting // "Hi Romilda," — one name word before a comma suffices
	cueUnit     // "apt.", "suite " …: for unitAddresses
	cuePO       // "po ": for the military-address pattern
)

// cues are matched case-insensitively with Aho-Corasick; street words
// trigger the address patterns on a window around them.
var cueList = []struct {
	word string
	kind cueKind
}{
	{"my name is ", cueName}, {"name: ", cueName}, {"name:\n", cueName}, {"dear ", cueName},
	{"signed, ", cueName}, {"signed,\n", cueName}, {"regards,\n", cueName}, {"regards, ", cueName},
	{"sincerely,\n", cueName}, {"sincerely, ", cueName}, {"yours truly,\n", cueName}, {"best,\n", cueName},
	{"i am ", cueName}, {"i'm ", cueName}, {"call me ", cueName}, {"contact person: ", cueName},
	{"customer: ", cueName}, {"patient: ", cueName}, {"employee: ", cueName}, {"full name ", cueName},
	{"je m'appelle ", cueName}, {"ich heiße ", cueName}, {"ich heisse ", cueName}, {"mein name ist ", cueName},
	{"me llamo ", cueName}, {"mi chiamo ", cueName}, {"meu nome é ", cueName}, {"mijn naam is ", cueName},
	{"je suis ", cueNamePair}, {"ich bin ", cueNamePair}, {"soy ", cueNamePair}, {"sono ", cueNamePair},
	{"eu sou ", cueNamePair}, {"ik ben ", cueNamePair},
	{"directed by ", cueNamePair}, {"starring ", cueNamePair}, {"says ", cueNamePair}, {"said ", cueNameWeak},
	{"named ", cueNamePair}, {"my kid ", cueNameWeak}, {"my son ", cueNameWeak}, {"my daughter ", cueNameWeak},
	{"hi ", cueGreeting}, {"hello ", cueGreeting}, {"hey ", cueGreeting}, {"founders: ", cueNameWeak},
	{"change it to ", cueNamePair}, {"called ", cueNamePair}, {"written by ", cueNamePair},
	{"name? ", cueNameWeak}, {"user: ", cueNameWeak}, {"features ", cueNameWeak}, {"by ", cueNameWeak},
	{"produced by ", cueNamePair}, {"add ", cueNameWeak}, {"with ", cueNameWeak},
	{"under ", cueNameWeak}, {"name is ", cueNamePair}, {"producer ", cueNamePair}, {"assistant to ", cueNamePair},
	{"speak to ", cueNamePair}, {"talk to ", cueNamePair}, {"ask ", cueNameWeak}, {"contact ", cueNameWeak},
	{"thanks ", cueNameWeak}, {"thank you ", cueNameWeak}, {"follow up with ", cueNamePair}, {"meet ", cueNameWeak},
	{"the corner of ", cueCorner}, {"lives at ", cueAddress}, {"live at ", cueAddress}, {"located at ", cueAddress}, {"address is ", cueAddress},
	{"address: ", cueAddress}, {"address:\t", cueAddress}, {"address:\n", cueAddress}, {"off at ", cueAddress},
	{"sent to ", cueAddress}, {"address with ", cueAddress}, {"is at ", cueAddress}, {"meet me at ", cueAddress},
	{"is on ", cueAddress}, {"lives on ", cueAddress}, {"moved to ", cueAddress}, {"ship to ", cueAddress},
	{"deliver to ", cueAddress}, {"office at ", cueAddress}, {"it is ", cueAddress}, {"adresse: ", cueAddress}, {"adresse : ", cueAddress},
	{"anschrift: ", cueAddress}, {"dirección: ", cueAddress}, {"indirizzo: ", cueAddress}, {"endereço: ", cueAddress},
	{"mr. ", cueTitle}, {"mr ", cueTitle}, {"mrs. ", cueTitle}, {"mrs ", cueTitle}, {"ms. ", cueTitle},
	{"ms ", cueTitle}, {"miss ", cueTitle}, {"dr. ", cueTitle}, {"prof. ", cueTitle}, {"sir ", cueTitle},
	{"madam ", cueTitle}, {"herr ", cueTitle}, {"frau ", cueTitle}, {"monsieur ", cueTitle}, {"madame ", cueTitle},
	{"mme ", cueTitle}, {"señor ", cueTitle}, {"señora ", cueTitle}, {"sr. ", cueTitle}, {"sra. ", cueTitle},
	{"signor ", cueTitle}, {"signora ", cueTitle},
	{"born on", cueDOB}, {"born ", cueDOB}, {"date of birth", cueDOB}, {"dob", cueDOB}, {"d.o.b", cueDOB},
	{"birthday", cueDOB}, {"birth date", cueDOB}, {"birthdate", cueDOB}, {"geboren am", cueDOB},
	{"né le", cueDOB}, {"née le", cueDOB}, {"né(e) le", cueDOB}, {"date de naissance", cueDOB}, {"fecha de nacimiento", cueDOB},
	{"nacido el", cueDOB}, {"nacida el", cueDOB}, {"data di nascita", cueDOB}, {"nato il", cueDOB}, {"nata il", cueDOB},
	{"data de nascimento", cueDOB}, {"nascido em", cueDOB}, {"nascida em", cueDOB}, {"geburtsdatum", cueDOB},
	{"geboortedatum", cueDOB}, {"geboren op", cueDOB}, {"data urodzenia", cueDOB},
	{"passport", cuePassport}, {"reisepass", cuePassport}, {"passeport", cuePassport}, {"pasaporte", cuePassport},
	{"passaporto", cuePassport}, {"passaporte", cuePassport}, {"paspoort", cuePassport}, {"paszport", cuePassport},
}

// streetWords are street types in several languages. Entries ending in
// "*" are also suffixes of compound street names (Hauptstraße).
var streetWords = []string{
	"street", "st.", "st ", "avenue", "ave", "road", "rd.", "rd ", "boulevard", "blvd", "lane", "ln.", "drive", "dr ",
	"court", "ct.", "place", "pl.", "square", "way ", "terrace", "parkway", "pkwy", "circle", "highway", "hwy",
	"crescent", "close", "row ", "alley", "plaza", "trail", "pike", "suite", "apt", "apartment",
	"rue ", "chemin", "allée", "impasse", "quai ", "cours ", "calle ", "avenida", "camino", "carrer", "paseo",
	"plaza", "via ", "viale", "piazza", "corso", "largo", "vicolo", "rua ", "travessa", "praça", "estrada",
	"straße", "strasse", "str.", "gasse", "weg ", "allee", "platz", "ring ", "damm", "gatan", "vägen", "vej ",
	"gade", "straat", "laan", "gracht", "plein", "katu", "tie ", "utca", "ulica", "ul.", "út ", "kapu",
	"οδός", "λεωφ", "λ.", "αγ.", "улица", "ул.", "проспект",
}

// streetSuffixes are the streetWords that end compound names; a house
// number must follow them.
var streetSuffixes = map[string]bool{
	"straße": true, "strasse": true, "str.": true, "gasse": true, "weg ": true, "allee": true, "platz": true,
	"ring ": true, "damm": true, "gatan": true, "vägen": true, "vej ": true, "gade": true, "straat": true,
	"laan": true, "gracht": true, "plein": true, "katu": true, "tie ": true, "utca": true, "kapu": true,
}

// streetPlausible is the cheap test before the address patterns run: a
// street word at a word start (or a compound suffix followed by a house
// number) with a digit nearby on the same line.
func (d *detector) streetPlausible(suffix bool, s, e int) bool {
	t := d.text
	if suffix {
		i := e
		for i < len(t) && (t[i] == ' ' || t[i] == ',' || t[i] == '.') && i-e < 3 {
			i++
		}
		return i < len(t) && isDigit(t[i])
	}
	if s > 0 && isAlnum(t[s-1]) || e < len(t) && isAlnum(t[e-1]) && isAlnum(t[e]) {
		return false
	}
	// A capitalized (or numbered) word next to it: "Evergreen Terrace",
	// "5th Avenue", "Calle Mayor".
	if !capitalizedBefore(t, s) && !capitalizedAfter(t, e) {
		return false
	}
	from, to := max(0, s-60), min(len(t), e+40)
	if k := strings.LastIndexByte(t[from:s], '\n'); k >= 0 {
		from += k + 1
	}
	if k := strings.IndexByte(t[e:to], '\n'); k >= 0 {
		to = e + k
	}
	return strings.ContainsAny(t[from:to], "0123456789")
}

func (k cueKind) name() bool {
	switch k {
	case cueName, cueTitle, cueNameWeak, cueNamePair, cueGreeting:
		return true
	}
	return false
}

// unitWords introduce a unit inside a line ("Apt. 5"), in the order
// unitAddresses tries them; "po " gates the military-address pattern.
var unitWords = []string{"apt.", "apt ", "suite ", "unit "}

// cueTries is the automaton over the cues, the street words, the unit
// words and "po ", with each pattern's kind, whether it is a compound
// street suffix and, for unit words, their index in unitWords. Patterns
// report every occurrence independently, so a text without digits uses
// the name cues only.
var cueTries = sync.OnceValue(func() cueTrie {
	var t cueTrie
	addWord := func(w string, k cueKind, suffix bool, unit int) {
		if slices.Contains(t.words, w) && k != cueStreet {
			panic("pii: duplicate cue " + w)
		}
		t.words = append(t.words, w)
		t.kinds = append(t.kinds, k)
		t.suffixes = append(t.suffixes, suffix)
		t.unit = append(t.unit, int8(unit))
	}
	for _, c := range cueList {
		addWord(c.word, c.kind, false, -1)
	}
	for _, w := range streetWords {
		addWord(w, cueStreet, streetSuffixes[w], -1)
	}
	for k, w := range unitWords {
		addWord(w, cueUnit, false, k)
	}
	addWord("po ", cuePO, false, -1)
	t.trie = newCueDFA(t.words)
	return t
})

type cueTrie struct {
	trie     *cueDFA
	words    []string
	kinds    []cueKind
	suffixes []bool
	unit     []int8
}

var (
	// A street line: number first (English, French, …) or number last
	// (German, Dutch, Nordic, Spanish, …), with an optional unit.
	streetNumFirst = regexp.MustCompile(`(?i:\b` + streetFirstA + `)|\b` + streetFirstB)
	// streetNumFirstAt is streetNumFirst without its leading \b, anchored:
	// address runs it at house numbers that start a word.
	streetNumFirstAt = regexp.MustCompile(`^(?:(?i:` + streetFirstA + `)|` + streetFirstB + `)`)
	streetNumLast    = regexp.MustCompile(`(?:\b(?i:rue|avenue|boulevard|chemin|calle|avenida|camino|carrer|paseo|plaza|via|viale|piazza|corso|largo|rua|travessa|praça|estrada|ulica|ul\.|utca|οδός|улица|ул\.)[ \t]+(?:(?i:de|du|des|la|le|l'|d'|del|di|della|da|do|dos|das|von|van)[ \t]+)*\p{Lu}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*){0,3}|\b\p{Lu}[\p{L}'’.-]*(?i:straße|strasse|str\.|gasse|weg|allee|platz|ring|damm|gatan|vägen|vej|gade|straat|laan|gracht|plein|katu|tie|utca|kapu|väg|veien|vegen|gata)|\b\p{Lu}[\p{L}'’.-]*[ \t]+(?i:straße|strasse|gasse|weg|allee|platz|utca|kapu|út))[ \t]*,?[ \t]+\d{1,5}[a-zA-Z]?\b\.?`)
	cityTailRe       = regexp.MustCompile(`^,?[ \t]+\p{Lu}[\p{L}.'’-]*(?:[ \t]+\p{Lu}[\p{L}.'’-]*){0,2},[ \t]*(?:[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?|[A-Z]{2}\b|\d{4,5})`)
	unitRe           = regexp.MustCompile(`^(?:,?[ \t]*|\n[ \t]*)(?i:apt\.?|apartment|suite|ste\.?|unit|#|flat|floor)[ \t]*#?[ \t]*[\w-]{1,6}`)
	// Textual dates after a DOB cue.
	// Month names: English, French, German, Spanish, Italian, Portuguese,
	// Dutch (by their first letters).
	dobText = regexp.MustCompile(`(?i)\b(?:\d{1,2}(?:st|nd|rd|th|er|º|\.)?[ \t]+(?:(?:of|de)[ \t]+)?` + months + `\.?,?[ \t]+(?:de[ \t]+)?\d{4}|` + months + `\.?[ \t]+\d{1,2}(?:st|nd|rd|th)?,?[ \t]+\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})\b`)
	months  = `(?:jan|feb|f[eé]v|mar|mär|maa|apr|avr|abr|ma[iy]|mei|mag|jun|jui|giu|jul|lug|aug|ao[uû]|ago|sep|set|oct|okt|ott|out|nov|dec|d[eé]c|dez|dic|ene|gen)\pL*`
	// Passport numbers: one to three letters or digits then digits
	// (US, UK, ES, IT), or 8–9 capitals and digits with at least two
	// digits (FR 19AB12345, DE C01X00T47).
	passportRe = regexp.MustCompile(`\b[A-Z0-9]{1,3}[0-9]{5,9}[A-Z0-9]?\b|\b[A-Z]{1,2}[0-9]{6,8}\b|\b(?:[0-9]{2}[A-Z]{2}[0-9]{5}|[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8})\b`)
)

// The two alternatives of streetNumFirst, each after a \b.
const (
	streetFirstA = `\d{1,5}[a-z]?(?:[ \t]*,)?[ \t]+(?:(?:rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|quai|place|route|calle|avenida|via|viale|piazza|corso|rua|avenida)[ \t]+(?:(?:de|du|des|la|le|l'|d'|del|di|della|da|do|dos|das)[ \t]+)*)?(?:\p{Lu}[\p{L}'’.-]*|\d{1,3}(?:st|nd|rd|th)|[a-z]+)(?:[ \t]+\p{Lu}[\p{L}'’.-]*){0,3}[ \t]+(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|square|sq|way|terrace|ter|parkway|pkwy|circle|cir|highway|hwy|crescent|close|row|alley|plaza|trail|pike|loop|run|path)\b\.?`
	streetFirstB = `\d{1,5}[a-z]?[ \t]*,?[ \t]+(?i:rue|avenue|boulevard|chemin|allée|impasse|quai|place|route|calle|avenida|via|viale|piazza|corso|rua)[ \t]+(?:(?i:de|du|des|la|le|l'|d'|del|di|della|da|do|dos|das)[ \t]+)*\p{Lu}[\p{L}'’.-]*(?:[ \t]+\p{Lu}[\p{L}'’.-]*){0,3}`
)

// cues runs the context-cued detectors.
func (d *detector) cues(hasDigit bool) {
	// Dates of birth, passports and addresses all need a digit.
	ct := cueTries()
	kinds, suffixes := ct.kinds, ct.suffixes
	en := d.s.enabled
	wantName := en[scan.Person]
	wantAddr := en[scan.Address] && hasDigit
	lastAddr := -1 // end of the last address found
	if wantAddr {
		lastAddr = d.addressBlocks()
	}
	wantDOB := en[scan.DateOfBirth] && hasDigit
	wantPass := en[scan.Passport] && hasDigit
	if !wantName && !wantAddr && !wantDOB && !wantPass {
		return
	}
	t := d.text
	for _, ev := range d.sc.events {
		pattern := int(ev.kind)
		if !hasDigit && !kinds[pattern].name() {
			continue
		}
		s, e := int(ev.end)-int(ev.n)+1, int(ev.end)+1
		switch kinds[pattern] {
		case cueName:
			if wantName && (s == 0 || !isAlnum(t[s-1])) {
				d.nameAfter(e, 0.8, 3)
			}
		case cueTitle:
			if wantName && (s == 0 || !isAlnum(t[s-1])) && t[s] >= 'A' && t[s] <= 'Z' {
				d.nameAfter(e, 0.85, 3)
			}
		case cueNameWeak, cueNamePair, cueGreeting:
			if wantName && (s == 0 || !isAlnum(t[s-1])) {
				d.nameAfterWeak(e, kinds[pattern])
			}
		case cueCorner:
			if wantAddr && s >= lastAddr {
				lastAddr = max(lastAddr, d.corner(s, e))
			}
		case cueAddress:
			if wantAddr && e >= lastAddr && (s == 0 || !isAlnum(t[s-1])) {
				lastAddr = max(lastAddr, d.addressAfter(e))
			}
		case cueDOB:
			if wantDOB {
				w := t[e:min(len(t), e+40)]
				if loc := dobText.FindStringIndex(w); loc != nil {
					d.add(scan.DateOfBirth, "date-of-birth", e+loc[0], e+loc[1], 0.9)
				}
			}
		case cuePassport:
			if wantPass {
				w := t[e:min(len(t), e+40)]
				if loc := passportRe.FindStringIndex(w); loc != nil {
					d.add(scan.Passport, "passport", e+loc[0], e+loc[1], 0.9)
				}
			}
		case cueStreet:
			if wantAddr && s >= lastAddr && d.streetPlausible(suffixes[pattern], s, e) {
				lastAddr = max(lastAddr, d.address(s, e))
			}
		}
	}
}

// streetWindow is where an address around the street word t[s:e] can
// lie: up to 80 bytes before and 48 after it, within its line, on rune
// boundaries.
func streetWindow(t string, s, e int) (ws, we int) {
	ws = max(0, s-80)
	if k := strings.LastIndexByte(t[ws:s], '\n'); k >= 0 {
		ws += k + 1
	}
	for ws > 0 && ws < len(t) && !utf8.RuneStart(t[ws]) {
		ws++
	}
	we = min(len(t), e+48)
	if k := strings.IndexByte(t[e:we], '\n'); k >= 0 {
		we = e + k
	}
	for we < len(t) && !utf8.RuneStart(t[we]) {
		we++
	}
	return ws, we
}

// address tries the street patterns on a window around a street word and
// returns the end of the last address found (0 when none).
func (d *detector) address(s, e int) int {
	t := d.text
	ws, we := streetWindow(t, s, e)
	last := 0
	// No street match contains a character outside [\pL0-9 \t,.'’-] (a
	// "hard" one), so none crosses one: cutting the window just after the
	// last hard character before the street word and at the first one
	// after it keeps every match that involves the street word, and \b
	// sees a non-word character at both cuts either way.
	cs, ce := s, e
	for cs > ws && !hardStreetByte(t[cs-1]) {
		cs--
	}
	for ce < we && !hardStreetByte(t[ce]) {
		ce++
	}
	ws, we = cs, ce
	// Every streetNumFirst match starts with a house number at a word
	// start; street words hold no digits, so it starts before s. Try the
	// anchored pattern at each such number (the leftmost-first,
	// non-overlapping order of FindAll).
	for p := ws; p < s; p++ {
		if !isDigit(t[p]) || p > ws && isWordByte(t[p-1]) {
			continue
		}
		loc := d.streetFirstAt(t[p:we])
		if loc == nil {
			continue
		}
		if me := p + loc[1]; me > s {
			last = max(last, d.streetMatch(p, me))
		}
		p += loc[1] - 1
	}
	// Every streetNumLast match ends with a house number after the street
	// word, reached from it through name characters only, at most one
	// comma right before the number.
	if streetNumberFollows(t[e:we]) {
		for _, loc := range streetNumLast.FindAllStringIndex(t[ws:we], -1) {
			ms, me := ws+loc[0], ws+loc[1]
			if me <= s || ms >= e {
				continue // the match must involve this street word
			}
			last = max(last, d.streetMatch(ms, me))
		}
	}
	return last
}

// streetFirstAt runs streetNumFirstAt on s, remembering the answer for
// the rest of the Scan call: the views of a text repeat its addresses.
func (d *detector) streetFirstAt(s string) []int {
	if d.memo == nil {
		return streetNumFirstAt.FindStringIndex(s)
	}
	if loc, ok := d.memo.streetFirst[s]; ok {
		return loc
	}
	loc := streetNumFirstAt.FindStringIndex(s)
	if d.memo.streetFirst == nil {
		d.memo.streetFirst = map[string][]int{}
	}
	d.memo.streetFirst[s] = loc
	return loc
}

// streetMatch reports a street match [ms, me) with the unit and city
// tail that follow it and returns the end.
func (d *detector) streetMatch(ms, me int) int {
	t := d.text
	if u := unitRe.FindStringIndex(t[me:min(len(t), me+24)]); u != nil {
		me += u[1]
	}
	if c := cityTailRe.FindStringIndex(t[me:min(len(t), me+64)]); c != nil {
		me += c[1] // ", Springfield, IL 62704"
	}
	d.add(scan.Address, "street", ms, me, 0.8)
	return me
}

// hardStreetByte reports an ASCII character that no street match
// contains and that is not a word character.
func hardStreetByte(c byte) bool { return hardStreet[c] }

var hardStreet = func() (t [256]bool) {
	for c := 0; c < utf8.RuneSelf; c++ {
		t[c] = !(isAlnum(byte(c)) || strings.IndexByte(" \t,.'-", byte(c)) >= 0)
	}
	return t
}()

// isWordByte: \b's word characters.
func isWordByte(c byte) bool { return c < utf8.RuneSelf && isAlnum(c) }

// streetNumberFollows reports whether s (the text after a street word)
// can lead to the house number that ends a streetNumLast match: name
// characters (letters, blanks, ' . -), at most one comma, blanks, a digit.
func streetNumberFollows(s string) bool {
	i := 0
	for i < len(s) && (s[i] >= utf8.RuneSelf || isLetter(s[i]) || s[i] == ' ' || s[i] == '\t' || s[i] == '\'' || s[i] == '.' || s[i] == '-') {
		i++
	}
	if i < len(s) && s[i] == ',' {
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	return i < len(s) && isDigit(s[i])
}

// nameAfter reads up to max capitalized words after a cue as a name.
func (d *detector) nameAfter(i int, score float64, maxWords int) {
	t := d.text
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	start, end, words := i, i, 0
	for words < maxWords && i < len(t) {
		r, size := utf8.DecodeRuneInString(t[i:])
		if !unicode.IsUpper(r) {
			break
		}
		j := i + size
		for j < len(t) {
			r2, s2 := utf8.DecodeRuneInString(t[j:])
			if !(unicode.IsLetter(r2) || r2 == '\'' || r2 == '’' || r2 == '-') {
				break
			}
			j += s2
		}
		word := t[i:j]
		if j < len(t) && identChar(t[j]) {
			// "name: DB_PASSWORD", "name: Api2": part of an identifier,
			// not a name.
			break
		}
		if title(word) {
			// "Dear Dr. Hoffmann": skip the title.
			if j < len(t) && t[j] == '.' {
				j++
			}
			for j < len(t) && t[j] == ' ' {
				j++
			}
			i, start, end = j, j, j
			continue
		}
		initial := false
		if j < len(t) && t[j] == '.' && j-i == size {
			j++ // middle initial "D."
			initial = true
		}
		if !initial && (stopWord(word) || j-i < 2) {
			break
		}
		words++
		end = j
		i = j
		if i < len(t) && t[i] == ' ' && i+1 < len(t) {
			i++
			continue
		}
		break
	}
	if words > 0 && end > start {
		d.add(scan.Person, "name-cue", start, end, score)
	}
}

// nameAfterWeak reads a name after a weak cue ("directed by", "hi",
// "says"): two or three name words, or one known given or family name.
func (d *detector) nameAfterWeak(i int, kind cueKind) {
	t := d.text
	for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
		i++
	}
	if i >= len(t) || t[i] < utf8.RuneSelf && !(t[i] >= 'A' && t[i] <= 'Z') {
		return
	}
	start, end, words, known := i, i, 0, false
	for words < 3 && i < len(t) {
		j := wordEnd(t, i)
		w := t[i:j]
		if j < len(t) && t[j] == '.' && utf8.RuneCountInString(w) == 1 && words > 0 {
			j++ // "Sari J. Paavolainen"
		} else if !nameWord(w) {
			break
		} else {
			known = known || givenName(w) || familyName(w)
		}
		if utf8.RuneCountInString(w) == 1 && words == 0 {
			break
		}
		words++
		end = j
		if j+1 < len(t) && t[j] == ' ' {
			i = j + 1
			continue
		}
		break
	}
	greeted := kind == cueGreeting && words == 1 && end < len(t) && (t[end] == ',' || t[end] == '!')
	if words >= 2 && (known || kind == cueNamePair) || words == 1 && known && !ambiguousName(t[start:end]) || greeted {
		d.add(scan.Person, "name-cue", start, end, 0.7)
	}
}

// gazetteerNames reports capitalized words that read as names: a known
// given name followed by a capitalized surname (optionally after a middle
// initial), a capitalized word followed by a known or surname-shaped
// family name, and a known given name on its own unless it is also an
// everyday word.
func (d *detector) gazetteerNames() {
	t := d.text
	// Candidates are prepare's caps: word starts with an upper-case ASCII
	// letter or a non-ASCII byte, in text order; i is where the previous
	// one left off.
	i := 0
	for _, p := range d.sc.caps {
		if int(p) < i {
			continue
		}
		i = int(p)
		if c := t[i]; c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRuneInString(t[i:]); !unicode.IsUpper(r) {
				i += size
				continue
			}
		}
		j := wordEnd(t, i)
		w := t[i:j]
		if j < len(t) && identChar(t[j]) || i > 0 && identChar(t[i-1]) {
			// Part of an identifier ("Anna2024", "user_Maria"), not a name.
			i = j
			continue
		}
		given := givenName(w)
		// Unless w is a given name, every rule below needs it not to start
		// a sentence, where capitalization says nothing.
		if !given && (sentenceStart(t, i) || !nameWord(w)) {
			i = j
			continue
		}
		// The next word, after an optional middle initial.
		k := j
		if k+3 < len(t) && t[k] == ' ' && t[k+1] >= 'A' && t[k+1] <= 'Z' && (t[k+2] == '.' && t[k+3] == ' ' || t[k+2] == ' ') {
			if t[k+2] == '.' {
				k += 3
			} else {
				k += 2
			}
		}
		if k+1 < len(t) && t[k] == ' ' {
			e := wordEnd(t, k+1)
			last := t[k+1 : e]
			if e-(k+1) >= 2 && nameWord(last) && (given || familyName(last) && !sentenceStart(t, i) && !stopWord(w)) {
				// A third word: "Maria Gonzalez Ruiz".
				if e+2 < len(t) && t[e] == ' ' {
					if e2 := wordEnd(t, e+1); e2-(e+1) >= 2 && familyName(t[e+1:e2]) && nameWord(t[e+1:e2]) {
						e = e2
					}
				}
				d.add(scan.Person, "name-gazetteer", i, e, 0.75)
				i = e
				continue
			}
		}
		if given && !ambiguousName(w) && !followedByOrg(t, j) && !placeBefore(t, i) {
			d.add(scan.Person, "name-gazetteer", i, j, 0.6)
		} else if !given && !sentenceStart(t, i) && (strongSurname(w) || knownSurname(w)) && !followedByOrg(t, j) && !placeBefore(t, i) {
			d.add(scan.Person, "name-surname", i, j, 0.6)
		}
		i = j
	}
}

// placeBefore reports a preposition that introduces places ("from
// Dolores", "to Lauren Street").
func placeBefore(t string, i int) bool {
	p := t[max(0, i-6):i]
	for _, w := range []string{" from ", " to ", " in ", " at ", " on "} {
		if strings.HasSuffix(" "+p, w) {
			return true
		}
	}
	return false
}

// knownSurname reports a listed surname that is not also an everyday
// English word or a brand.
func knownSurname(w string) bool {
	return exactNameFlags[w]&nSurname != 0 && nameWord(w) && lowerFlags(w)&wWordSurname == 0
}

// nameLists extends PERSON findings over lists of capitalized words
// ("founders: Kónya, Becker and Vasquez") when one member is a name. A
// list of surnames only, not introduced by a colon, is a firm ("Jones,
// Mitchell and Williams"): its PERSON findings are dropped.
func (d *detector) nameLists() {
	t := d.text
	n := len(d.out)
	drop := map[int]bool{}
	for k := 0; k < n; k++ {
		m := d.out[k]
		if m.typ != scan.Person || drop[k] {
			continue
		}
		type item struct{ s, e int }
		items := []item{{m.start, m.end}}
		for e := m.end; ; {
			s, ok := listNext(t, e)
			if !ok {
				break
			}
			we := wordEnd(t, s)
			if we-s < 2 || !nameWord(t[s:we]) {
				break
			}
			items = append(items, item{s, we})
			e = we
		}
		for st := m.start; ; {
			s, ok := listPrev(t, st)
			if !ok {
				break
			}
			we := wordEnd(t, s)
			if we-s < 2 || !nameWord(t[s:we]) {
				break
			}
			items = append([]item{{s, we}}, items...)
			st = s
		}
		if len(items) < 2 {
			continue
		}
		first := items[0].s
		colon := first >= 2 && (t[first-1] == ':' || t[first-2] == ':')
		given := false
		for _, it := range items {
			for _, w := range strings.Fields(t[it.s:it.e]) {
				given = given || givenName(w) && !ambiguousName(w)
			}
		}
		if !given && !colon {
			for j := 0; j < n; j++ {
				if o := d.out[j]; o.typ == scan.Person && o.start >= first && o.end <= items[len(items)-1].e {
					drop[j] = true
				}
			}
			continue
		}
		for _, it := range items {
			w := t[it.s:it.e]
			if it.s != m.start && (givenName(w) || familyName(w)) && !ambiguousName(w) {
				d.add(scan.Person, "name-list", it.s, it.e, 0.55)
			}
		}
	}
	if len(drop) > 0 {
		out := d.out[:0]
		for j, o := range d.out {
			if !drop[j] {
				out = append(out, o)
			}
		}
		d.out = out
	}
}

// listNext returns the start of the next list item after end.
func listNext(t string, e int) (int, bool) {
	for _, sep := range []string{", and ", ", ", " and ", " & "} {
		if strings.HasPrefix(t[e:], sep) && e+len(sep) < len(t) {
			return e + len(sep), true
		}
	}
	return 0, false
}

// listPrev returns the start of the list item before start.
func listPrev(t string, s int) (int, bool) {
	for _, sep := range []string{", and ", ", ", " and ", " & "} {
		if strings.HasSuffix(t[:s], sep) {
			e := s - len(sep)
			b := e
			for b > 0 {
				r, size := utf8.DecodeLastRuneInString(t[:b])
				if !(unicode.IsLetter(r) || r == '\'' || r == '-') {
					break
				}
				b -= size
			}
			if b < e && wordEnd(t, b) == e {
				return b, true
			}
		}
	}
	return 0, false
}

// strongSurname reports endings that are (almost) only surnames.
func strongSurname(w string) bool {
	if len(w) < 6 {
		return false
	}
	if c := w[len(w)-1]; c < utf8.RuneSelf && !strongSuffixesByLast[lowerByte(c)] || utf8.RuneCountInString(w) < 6 || !nameWord(w) {
		return false
	}
	var buf [64]byte
	lw := string(lowerWord(buf[:0], w))
	for _, suf := range strongSuffixes {
		if strings.HasSuffix(lw, suf) {
			return !commonWord(lw)
		}
	}
	return false
}

// sentenceStart reports whether the word at i begins a sentence or line,
// where capitalization says nothing.
func sentenceStart(t string, i int) bool {
	k := i
	for k > 0 && (t[k-1] == ' ' || t[k-1] == '\t' || t[k-1] == '"' || t[k-1] == '\'' || t[k-1] == '(') {
		k--
	}
	return k == 0 || strings.IndexByte(".!?\n:>", t[k-1]) >= 0
}

// followedByOrg reports a capitalized organization word after a name
// ("Jordan Bank", "Florence Hospital").
func followedByOrg(t string, j int) bool {
	if j+1 >= len(t) || t[j] != ' ' {
		return false
	}
	e := wordEnd(t, j+1)
	return e > j+1 && orgWord(t[j+1:e])
}

func wordEnd(t string, i int) int {
	for i < len(t) {
		if c := t[i]; c < utf8.RuneSelf {
			if !asciiWordByte[c] {
				break
			}
			i++
			continue
		}
		r, s := utf8.DecodeRuneInString(t[i:])
		if !(unicode.IsLetter(r) || r == '\'' || r == '-') {
			break
		}
		i += s
	}
	return i
}

// asciiWordByte: the ASCII bytes wordEnd reads on (letters, ' and -).
var asciiWordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = unicode.IsLetter(rune(c)) || c == '\'' || c == '-'
	}
	return t
}()

// title: mr, mrs, ms, miss, dr, prof, sir, herr, frau, mme, m, sr, sra.
func title(w string) bool { return len(w) <= 6 && lowerFlags(w)&wTitle != 0 }

// lowerByte lower-cases an ASCII letter.
func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func capitalizedBefore(t string, s int) bool {
	i := s
	for i > 0 && (t[i-1] == ' ' || t[i-1] == '\t') {
		i--
	}
	j := i
	for j > 0 && t[j-1] != ' ' && t[j-1] != '\t' && t[j-1] != '\n' && i-j < 40 {
		j--
	}
	if j == i {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t[j:i])
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

func capitalizedAfter(t string, e int) bool {
	for e < len(t) && (t[e] == ' ' || t[e] == '\t') {
		e++
	}
	if e >= len(t) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t[e:])
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

// identChar reports whether b continues an identifier (snake_case, digits,
// dotted or slashed paths), which a person's name never does.
func identChar(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b == '/' || b == '\\' || b == '@' || b == '='
}
