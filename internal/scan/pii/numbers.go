package pii

import (
	"net/netip"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"rampart/internal/scan"
)

// Context words, matched in lower-cased text near a candidate.
var (
	phoneBefore = newWordSet("phone", "tel", "call", "mobile", "cell", "fax", "office", "reach", "answering",
		"whatsapp", "contact", "ring", "text me", "sms", "message", "registered", "desk", "landline", "home:", "work:", "reach me", "ph.", "ph:", "mob", "dial", "number", "nummer",
		"telefon", "teléfono", "telefone", "téléphone", "телефон", "handy", "portable", "cellulare",
		"tél", "appel", "ruf", "anruf", "mobil", "móvil", "llam", "chiam", "ligue", "ligar", "celular", "bel ", "bellen",
		"zadzwo", "komórk", "電話", "电话", "携帯", "手机", "手機", "座机", "연락처", "전화", "휴대폰", "핸드폰")
	phoneAfter = newWordSet("office", "fax", "mobile", "cell", "home", "work", "(m)", "(w)", "(h)")
	notPII     = newWordSet("order", "invoice", "tracking", "isbn", "issn", "ref", "ticket", "serial", "sku", "part no", "model", "version", "build", "case #", "po #", "confirmation", "transaction", "shipment", "parcel", "item",
		"license", "licence", "account", "acct", "member", "policy", "routing", "customer id", "employee id", "user id", "id:", "id #", "id number", "zip", "postcode", "postal code", "price", "total", "amount", "$", "€", "£")
	strongPhone = newWordSet("phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms")
	ssnWords    = newWordSet("ssn", "social security", "social sec", "ss#", "ss #", "tin", "taxpayer")
	versionCtx  = newWordSet("version", "ver.", "ver ", "release", "build", "firmware", "v.", "python", "node", "go1", "chrome", "firefox", "kernel", "ios ", "android", "oid",
		"chapter", "section", "§", "step", "clause", "article", "figure", "fig.", "table", "rule", "item", "paragraph")
	cardWords = newWordSet("card", "visa", "mastercard", "amex", "credit", "debit", "cc", "pan")
	passWords = newWordSet("passport", "reisepass", "passeport", "pasaporte", "passaporto", "passaporte", "paspoort", "paszport")
	dobWords  = newWordSet("born", "date of birth", "dob", "d.o.b", "birthday", "birth date", "birthdate", "geboren", "né le", "née le", "nacimiento", "nascimento", "nato il", "nata il",
		"naissance", "nascita", "geboortedatum", "geburtsdatum", "urodzeni", "nacido", "nacida", "nascido", "nascida")
)

// cluster is a run of digit groups joined by single separators.
type cluster struct {
	start, end int    // byte range in text, extension included
	digits     string // the digits only
	groups     []string
	seps       string // the separators between groups, in order
	plus       bool   // starts with "+"
	paren      bool   // contains "(" or ")"
	ext        bool   // has an extension (x123, ext. 123)
}

// numbers finds digit clusters and classifies each as a card, SSN, IP
// address, date (of birth), phone number or nothing.
func (d *detector) numbers() {
	t := d.text
	// Clusters start at a digit after a non-digit or at a "+" or "("
	// before a digit (prepare's nums, in text order).
	next := 0
	for _, p := range d.sc.nums {
		i := int(p)
		if i < next || i > 0 && (gluedBefore(t, i) || t[i-1] == '.' && i > 1 && isDigit(t[i-2])) {
			continue
		}
		var cl *cluster
		cl, next = d.readCluster(t, i)
		if cl == nil {
			continue
		}
		d.classify(cl)
	}
}

// readCluster reads digit groups starting at i. It returns nil when the
// run is glued to letters (an identifier, not a number).
//
// The cluster is the detector's scratch one, valid until the next call;
// its digits and separators are filled in only when classify can use them.
func (d *detector) readCluster(t string, i int) (*cluster, int) {
	cl := &d.cl
	*cl = cluster{start: i, groups: cl.groups[:0]}
	seps := d.seps[:0]
	defer func() { d.seps = seps }()
	nd := 0
	j := i
	if t[j] == '+' {
		cl.plus = true
		j++
	}
	for {
		if j < len(t) && t[j] == '(' {
			cl.paren = true
			j++
		}
		g := j
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j == g {
			break
		}
		cl.groups = append(cl.groups, t[g:j])
		nd += j - g
		cl.end = j
		if j < len(t) && t[j] == ')' {
			cl.paren = true
			j++
			cl.end = j
			if j < len(t) && isDigit(t[j]) {
				seps = append(seps, '~') // (579)888-3058
				continue
			}
		}
		// A separator (at most two characters, e.g. ") " or " - ")
		// continues the cluster only if a digit or "(" follows.
		k := j
		for k < len(t) && k-j < 3 && (t[k] == ' ' || t[k] == '-' || t[k] == '.' || t[k] == '/') {
			k++
		}
		if k == j || k >= len(t) || !(isDigit(t[k]) || t[k] == '(') || k-j > 2 && t[j:k] != " - " {
			break
		}
		seps = append(seps, sepClass(t[j:k]))
		j = k
	}
	if len(cl.groups) == 0 {
		return nil, j + 1
	}
	// Extension: x123, ext 123, ext. 123.
	e := cl.end
	for _, p := range extensions(t, e) {
		if w := t[e:min(len(t), e+len(p))]; strings.EqualFold(w, p) {
			k := e + len(p)
			g := k
			for k < len(t) && isDigit(t[k]) && k-g < 6 {
				k++
			}
			if k > g && (k == len(t) || !isAlnum(t[k])) {
				cl.end, cl.ext = k, true
			}
			break
		}
	}
	if cl.end < len(t) && gluedAfter(t, cl.end) {
		// Glued to letters or more digits: an identifier.
		k := cl.end
		for k < len(t) && isAlnum(t[k]) {
			k++
		}
		return nil, k
	}
	if cl.end < len(t)-1 && t[cl.end] == '.' && isDigit(t[cl.end+1]) {
		return nil, cl.end + 1 // e.g. a fifth dotted group
	}
	if len(cl.groups) == 1 {
		cl.digits = cl.groups[0] // in the text as they are
	} else if nd >= 6 || len(cl.groups) == 3 || len(cl.groups) == 4 {
		if v, ok := commonSeps[string(seps)]; ok {
			cl.seps = v
		} else {
			cl.seps = string(seps)
		}
		b := d.digits[:0]
		for _, g := range cl.groups {
			b = append(b, g...)
		}
		d.digits = b
		cl.digits = string(b)
	} else {
		cl.digits = t[cl.start : cl.start+nd] // only its length is read
	}
	return cl, max(cl.end, i+1)
}

// extensions are the extension markers readCluster tries after a number
// ending at e; each starts with "x", "e" (any case) or a space.
func extensions(t string, e int) []string {
	if e < len(t) {
		switch t[e] {
		case 'x', 'X', 'e', 'E', ' ':
			return extensionMarkers
		}
	}
	return nil
}

var extensionMarkers = []string{"x", " x", " ext. ", " ext ", "ext.", "ext", " x "}

// gluedAfter and gluedBefore report a letter or digit touching a number
// at i: an identifier such as "A1234" or "1234abc". Punctuation such as
// "、" and scripts written without spaces (Han, kana, Hangul: "电话13800138000")
// do not glue.
func gluedAfter(t string, i int) bool {
	if t[i] < 0x80 {
		return isAlnum(t[i])
	}
	r, _ := utf8.DecodeRuneInString(t[i:])
	return wordRune(r)
}

func gluedBefore(t string, i int) bool {
	if t[i-1] < 0x80 {
		return isAlnum(t[i-1])
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return wordRune(r)
}

func wordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || r == utf8.RuneError) && scriptRegion(r) == ""
}

// scriptRegion is the phone region a rune's script suggests: Hangul for
// Korea, kana for Japan, Han for China (kana, when present, wins).
func scriptRegion(r rune) string {
	switch {
	case r < 0x1100:
		return ""
	case unicode.Is(unicode.Hangul, r):
		return "KR"
	case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
		return "JP"
	case unicode.Is(unicode.Han, r):
		return "CN"
	}
	return ""
}

// textRegion is the region the text's script suggests, or "".
func textRegion(t string) string {
	region := ""
	for _, r := range t {
		switch scriptRegion(r) {
		case "":
		case "CN":
			region = "CN"
		case "JP":
			return "JP"
		case "KR":
			return "KR"
		}
	}
	return region
}

// commonSeps are separator strings of two to four groups, kept so that
// readCluster does not allocate them.
var commonSeps = func() map[string]string {
	m := map[string]string{}
	var rec func(prefix string, n int)
	rec = func(prefix string, n int) {
		if len(prefix) >= 2 {
			m[prefix] = prefix
		}
		if n == 0 {
			return
		}
		for _, c := range " -./~" {
			rec(prefix+string(c), n-1)
		}
	}
	rec("", 3)
	return m
}()

func sepClass(s string) byte {
	switch s {
	case " ", "-", ".", "/":
		return s[0]
	}
	return '~' // mixed, e.g. ") " or " - "
}

func (d *detector) classify(cl *cluster) {
	n := len(cl.digits)
	s, e := cl.start, cl.end
	before := func(k int, words *wordSet) bool { return d.near(s-k, s, words) }
	uniform := len(cl.seps) == 0 || strings.Count(cl.seps, cl.seps[:1]) == len(cl.seps)
	if n < 6 && len(cl.groups) != 3 && len(cl.groups) != 4 {
		return // too short for any type (dates and IPs have 3 or 4 groups)
	}
	if before(24, notPII) && !before(16, strongPhone) && !before(24, cardWords) && !before(24, ssnWords) {
		return
	}
	// A date followed by a time (2015-12-22 04:34:22): the date part.
	if len(cl.groups) > 3 && len(cl.seps) > 2 && cl.seps[2] == ' ' && (cl.seps[:2] == "--" || cl.seps[:2] == "//" || cl.seps[:2] == "..") {
		head := &cluster{start: s, groups: cl.groups[:3], seps: cl.seps[:2]}
		if isDate(head) {
			head.end = s + len(cl.groups[0]) + len(cl.groups[1]) + len(cl.groups[2]) + 2
			cl = head
			e = cl.end
		}
	}

	// IPv4: four dotted groups, each 0-255, no leading zeros.
	if len(cl.groups) == 4 && cl.seps == "..." && !cl.plus && !cl.paren && !cl.ext {
		ok := true
		for _, g := range cl.groups {
			if len(g) > 3 || (len(g) > 1 && g[0] == '0') || atoi(g) > 255 {
				ok = false
			}
		}
		if ok {
			if !before(12, versionCtx) && !(s > 0 && (d.text[s-1] == 'v' || d.text[s-1] == 'V')) {
				d.add(scan.IPAddress, "ipv4", s, e, 0.95)
			}
			return
		}
	}

	// Dates: never PII by themselves; a date of birth with a cue.
	if isDate(cl) {
		if before(40, dobWords) {
			d.add(scan.DateOfBirth, "date-of-birth", s, e, 0.9)
		}
		return
	}

	// US SSN: 3-2-4, or 9 digits next to an SSN cue.
	if !cl.plus && !cl.paren && !cl.ext {
		if len(cl.groups) == 3 && len(cl.groups[0]) == 3 && len(cl.groups[1]) == 2 && len(cl.groups[2]) == 4 &&
			(cl.seps == "--" || (cl.seps == "  " && before(30, ssnWords))) {
			if !before(20, strongPhone) || before(30, ssnWords) {
				if validSSN(cl.groups[0], cl.groups[1], cl.groups[2]) {
					d.add(scan.USSSN, "ssn", s, e, 0.95)
				}
				return // an invalid SSN is not a phone number either
			}
		}
		if n == 9 && len(cl.groups) == 1 && before(30, ssnWords) && validSSN(cl.digits[:3], cl.digits[3:5], cl.digits[5:]) {
			d.add(scan.USSSN, "ssn", s, e, 0.9)
			return
		}
	}

	// Payment cards: 12-19 digits, one kind of separator, Luhn + IIN.
	if n >= 12 && n <= 19 && !cl.plus && !cl.paren && !cl.ext && uniform && (cl.seps == "" || cl.seps[0] == ' ' || cl.seps[0] == '-') {
		if validCard(cl.digits) {
			d.add(scan.CreditCard, cardBrand(cl.digits), s, e, 1)
			return
		}
		if before(30, cardWords) {
			return // a card number that fails its checksum is not PII
		}
	}

	// Passports: a number right after a passport cue.
	if before(30, passWords) && n >= 6 && n <= 10 && len(cl.groups) == 1 {
		d.add(scan.Passport, "passport", s, e, 0.9)
		return
	}

	// Three dotted groups of at most three digits (192.168.178, 1.20.3)
	// are a partial address or a version, not a phone number.
	if cl.seps == ".." && !cl.plus && !cl.paren && len(cl.groups[0]) <= 3 && len(cl.groups[1]) <= 3 && len(cl.groups[2]) <= 3 {
		return
	}
	d.phone(cl, before(40, phoneBefore) || d.near(e, e+16, phoneAfter))
}

// phone accepts a cluster as a phone number: international numbers that
// libphonenumber validates, common national layouts, or any plausible
// number next to a phone cue.
func (d *detector) phone(cl *cluster, cue bool) {
	n := len(cl.digits)
	if n < 6 || n > 15 || n == 6 && (!cue || len(cl.groups) < 3) {
		return
	}
	s, e := cl.start, cl.end
	raw := d.text[s:e]
	if cl.ext {
		// Validate without the extension.
		for _, sep := range []string{" ext", "ext", " x", "x", "X"} {
			if k := strings.LastIndex(raw, sep); k > 0 {
				raw = raw[:k]
				break
			}
		}
	}
	intl := cl.plus || strings.HasPrefix(cl.digits, "00")
	if intl {
		num := raw
		if !cl.plus {
			num = "+" + strings.TrimLeft(strings.TrimPrefix(raw, "00"), " -.")
		}
		if validPhone(num, "") {
			d.add(scan.Phone, "phone-intl", s, e, 0.95)
			return
		}
		if cue && len(cl.groups) > 1 || cl.plus && len(cl.groups) > 0 && n >= 10 {
			d.add(scan.Phone, "phone", s, e, 0.7)
		}
		return
	}
	if cue {
		d.add(scan.Phone, "phone", s, e, 0.85)
		return
	}
	// No cue: only layouts that are hard to mistake for other numbers.
	if nanpLayout(cl) {
		d.add(scan.Phone, "phone-nanp", s, e, 0.85)
		return
	}
	// Every layout below has at least two groups; libphonenumber is asked
	// once about the default region.
	if len(cl.groups) < 2 {
		return
	}
	if validPhone(raw, d.s.region) {
		if cl.digits[0] == '0' && n >= 9 && n <= 12 {
			d.add(scan.Phone, "phone-national", s, e, 0.75)
		} else {
			d.add(scan.Phone, "phone-region", s, e, 0.75)
		}
		return
	}
	// A CJK text: the national layout of the region its script suggests
	// (090-1234-5678 in Japanese, 010-1234-5678 in Korean).
	if len(cl.groups) >= 2 && cl.digits[0] == '0' && n >= 9 && n <= 12 {
		if r := d.textRegion(); r != "" && r != d.s.region {
			if validPhone(raw, r) {
				d.add(scan.Phone, "phone-national", s, e, 0.75)
			}
		}
	}
}

// validPhone reports whether libphonenumber parses num (for region) as a
// valid number. One call costs tens of microseconds, more than the rest
// of a 4 KB prompt's scan, and the same numbers come back: in every view
// of a text, in every turn of a conversation that is resent whole, in
// system prompts and templates. Answers are kept in a bounded cache.
func validPhone(num, region string) bool {
	var buf [64]byte
	if len(num)+len(region) >= len(buf) {
		return parseValid(num, region)
	}
	key := append(append(append(buf[:0], region...), '|'), num...)
	phoneCache.RLock()
	v, ok := phoneCache.m[string(key)]
	phoneCache.RUnlock()
	if ok {
		return v
	}
	v = parseValid(num, region)
	phoneCache.Lock()
	if len(phoneCache.m) >= phoneCacheSize {
		clear(phoneCache.m)
	}
	phoneCache.m[string(key)] = v
	phoneCache.Unlock()
	return v
}

func parseValid(num, region string) bool {
	p, err := phonenumbers.Parse(num, region)
	return err == nil && phonenumbers.IsValidNumber(p)
}

const phoneCacheSize = 4096

var phoneCache = struct {
	sync.RWMutex
	m map[string]bool
}{m: map[string]bool{}}

// textRegion computes textRegion once per text, and only for texts with
// non-ASCII bytes.
func (d *detector) textRegion() string {
	if !d.regionDone {
		d.regionDone = true
		for i := 0; i < len(d.text); i++ {
			if d.text[i] >= 0x80 {
				d.region = textRegion(d.text[i:])
				break
			}
		}
	}
	return d.region
}

// nanpLayout: (212) 555-0100, 212-555-0100, 212.555.0100, 1-212-555-0100,
// 001-212-555-0100.
func nanpLayout(cl *cluster) bool {
	g := cl.groups
	if len(g) > 0 && (g[0] == "1" || g[0] == "001") && len(g) == 4 {
		g = g[1:]
	}
	if len(g) != 3 || len(g[0]) != 3 || len(g[1]) != 3 || len(g[2]) != 4 {
		return false
	}
	seps := cl.seps
	if len(seps) == 3 {
		seps = seps[1:]
	}
	return cl.paren || seps == "--" || seps == ".." || seps == "~-"
}

// isDate recognizes yyyy-mm-dd, dd/mm/yyyy, mm/dd/yy, dd.mm.yyyy and the
// like (three groups, a plausible month and day).
func isDate(cl *cluster) bool {
	if len(cl.groups) != 3 || cl.plus || cl.paren || (cl.seps != "--" && cl.seps != "//" && cl.seps != ".." && cl.seps != "  ") {
		return false
	}
	a, b, c := cl.groups[0], cl.groups[1], cl.groups[2]
	switch {
	case len(a) == 4 && len(b) <= 2 && len(c) <= 2:
		return atoi(b) >= 1 && atoi(b) <= 12 && atoi(c) >= 1 && atoi(c) <= 31
	case len(a) <= 2 && len(b) <= 2 && (len(c) == 4 || len(c) == 2):
		x, y := atoi(a), atoi(b)
		return x >= 1 && y >= 1 && ((x <= 31 && y <= 12) || (x <= 12 && y <= 31))
	}
	return false
}

func atoi(s string) int {
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v
}

// emails expands around every "@".
func (d *detector) emails() {
	t := d.text
	last := 0
	for {
		k := strings.IndexByte(t[last:], '@')
		if k < 0 {
			return
		}
		at := last + k
		last = at + 1
		// Local part and domain may hold non-ASCII letters (RFC 6531,
		// IDNA): jürgen@bücher.example, 用户@例子.广告.
		s := at
		for s > 0 {
			if c := t[s-1]; c < 0x80 {
				if !isLocal(c) {
					break
				}
				s--
				continue
			}
			r, size := utf8.DecodeLastRuneInString(t[:s])
			if !idnRune(r) {
				break
			}
			s -= size
		}
		for s < at && t[s] == '.' {
			s++
		}
		e := at + 1
		for e < len(t) {
			if c := t[e]; c < 0x80 {
				if !isAlnum(c) && c != '-' && c != '.' || c == '_' {
					break
				}
				e++
				continue
			}
			r, size := utf8.DecodeRuneInString(t[e:])
			if !idnRune(r) {
				break
			}
			e += size
		}
		for e > at+1 && (t[e-1] == '.' || t[e-1] == '-') {
			e--
		}
		if s == at || e == at+1 {
			continue
		}
		domain := t[at+1 : e]
		dot := strings.LastIndexByte(domain, '.')
		if dot <= 0 || strings.Contains(domain, "..") || utf8.RuneCountInString(domain[dot+1:]) < 2 {
			continue
		}
		tld := domain[dot+1:]
		if !allLetters(tld) || fileExtensions[strings.ToLower(tld)] {
			continue
		}
		// user@host:path is an scp-style remote (git@github.com:org/repo).
		if e+1 < len(t) && t[e] == ':' && (isAlnum(t[e+1]) || t[e+1] == '/' || t[e+1] == '~') {
			continue
		}
		d.add(scan.Email, "email", s, e, 1)
		last = e
	}
}

func isLocal(c byte) bool {
	return isAlnum(c) && c < 0x80 || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
}

// idnRune: a non-ASCII letter, digit or combining mark in an
// internationalized address.
func idnRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// allLetters: ASCII letters, or an internationalized TLD (letters and marks).
func allLetters(s string) bool {
	for _, r := range s {
		if r < 0x80 {
			if c := byte(r) | 0x20; c < 'a' || c > 'z' {
				return false
			}
		} else if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return s != ""
}

// fileExtensions are file-name endings that are not top-level domains:
// icon@2x.png, bundle@3x.webp are file names.
var fileExtensions = setOf(`png jpg jpeg gif svg webp ico bmp tif tiff avif heic css js mjs cjs jsx tsx json
	html htm xml yaml yml toml lock pdf txt tgz`)

// ibans finds CCkk followed by 11-30 alphanumerics, optionally in groups
// of four, and keeps those that pass the length table and mod-97.
func (d *detector) ibans() {
	t := d.text
	// Candidates are CCkk: two letters, two digits; the digits start a
	// number (prepare's nums).
	next := 0
	for _, p := range d.sc.nums {
		i := int(p) - 2
		if i < next || i+4 > len(t) || !isDigit(t[i+2]) || !isDigit(t[i+3]) || !isLetter(t[i]) || !isLetter(t[i+1]) || (i > 0 && isAlnum(t[i-1])) {
			continue
		}
		if end := d.iban(i); end > 0 {
			next = end
		}
	}
}

// iban reads an IBAN starting at i (CCkk) and reports it; it returns its
// end, or 0.
func (d *detector) iban(i int) int {
	t := d.text
	// Lower-case IBANs are accepted; the checksum is case-free.
	want, ok := ibanLengths[string([]byte{upper(t[i]), upper(t[i+1])})]
	if !ok {
		return 0
	}
	var buf [40]byte
	b := buf[:0]
	j := i
	end := i
	for j < len(t) && len(b) < want {
		c := t[j]
		switch {
		case isDigit(c) || isLetter(c):
			b = append(b, upper(c))
			j++
			end = j
		case c == ' ' && j+1 < len(t) && (isDigit(t[j+1]) || isLetter(t[j+1])):
			j++
		default:
			j = len(t) + 1
		}
	}
	if len(b) != want || (end < len(t) && isAlnum(t[end])) {
		return 0
	}
	if validIBAN(string(b)) {
		d.add(scan.IBAN, "iban", i, end, 1)
		return end
	}
	return 0
}

func isLetter(c byte) bool { return 'A' <= c|0x20 && c|0x20 <= 'z' }

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ipv6 parses runs of hex digits, colons and dots that contain at least
// two colons.
func (d *detector) ipv6() {
	t := d.text
	isHexColon := func(c byte) bool {
		return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f') || c == ':' || c == '.'
	}
	// A run starts at the first hex/colon/dot character of a maximal
	// sequence of them that does not follow a letter or digit and ends
	// with the sequence; only sequences with two colons can be addresses,
	// so the search jumps from colon to colon.
	for off := 0; off < len(t); {
		k := strings.IndexByte(t[off:], ':')
		if k < 0 {
			break
		}
		a, j := off+k, off+k+1
		for a > 0 && isHexColon(t[a-1]) {
			a--
		}
		for j < len(t) && isHexColon(t[j]) {
			j++
		}
		off = j
		if strings.Count(t[a:j], ":") < 2 {
			continue
		}
		i := a
		for i < j && i > 0 && isAlnum(t[i-1]) {
			i++
		}
		if i == j {
			continue
		}
		d.ipv6Run(t, i, j)
	}
}

// ipv6Run reports t[i:j], a run of hex digits and colons (trailing dots
// dropped), as an IP_ADDRESS when it ends at a word boundary, parses as
// IPv6, has a digit and at least three groups (two with "::").
func (d *detector) ipv6Run(t string, i, j int) {
	run := strings.TrimRight(t[i:j], ".")
	end := i + len(run)
	if strings.Count(run, ":") < 2 || end < len(t) && isAlnum(t[end]) {
		return
	}
	groups := 0
	digit := false
	for _, g := range strings.Split(run, ":") {
		if g != "" {
			groups++
		}
		digit = digit || strings.ContainsAny(g, "0123456789")
	}
	if a, err := netip.ParseAddr(run); err == nil && a.Is6() && digit && (groups >= 3 || strings.Contains(run, "::") && groups >= 2) {
		d.add(scan.IPAddress, "ipv6", i, end, 0.95)
	}
}
