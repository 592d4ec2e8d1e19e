package secrets

import (
	"regexp"
	"strings"
	"unicode"
)

// ownRules are Rampart's additions to the gitleaks table: connection
// strings with passwords, password and API-key assignments with an entropy
// check, and bearer tokens. Private-key blocks and JWTs come from the
// gitleaks rules "private-key" and "jwt".
func ownRules() []*rule {
	return []*rule{
		{
			// scheme://user:password@host — postgres, mysql, mongodb+srv,
			// redis, amqp, jdbc:…, http basic auth, …
			id:          "connection-string-password",
			re:          regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.:-]{1,30}` + userinfoTail),
			anchored:    regexp.MustCompile(`^(?i:` + userinfoTail + `)`),
			lead:        schemeLead,
			secretGroup: 2,
			keywords:    []string{"://"},
			pre:         userinfoAfter,
			check:       func(secret, _, _ string) bool { return !isWeakPlaceholder(secret) },
			before:      64, after: 512,
		},
		{
			// ODBC/ADO.NET/JDBC key-value strings: Server=…;Password=…;
			id:          "connection-string-password",
			re:          regexp.MustCompile(`(?i)(?:^|[;?&\s"'])(?:password|pwd)\s*=\s*([^;&'"\s]{3,128})`),
			secretGroup: 1,
			keywords:    []string{"password", "pwd"},
			pre:         operatorAfter,
			check: func(secret, _, line string) bool {
				return !isWeakPlaceholder(secret) && connContext.MatchString(line)
			},
			before: 256, after: 256,
		},
		{
			// password = "…", db_pass: …, "my password is …"
			id:          "generic-password",
			re:          regexp.MustCompile(`(?i)(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?` + passwordTail),
			anchored:    regexp.MustCompile(`^(?i:` + passwordTail + `)`),
			lead:        identLead,
			secretGroup: 1,
			keywords:    []string{"pass", "pwd"},
			generic:     true,
			pre:         operatorAfter,
			check:       func(secret, _, _ string) bool { return passwordLike(secret) },
			before:      64, after: 256,
		},
		{
			// api_key: …, client_secret = …, access_token: …
			id:          "generic-secret-assignment",
			re:          regexp.MustCompile(`(?i)(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?` + assignmentTail),
			anchored:    regexp.MustCompile(`^(?i:` + assignmentTail + `)`),
			lead:        identLead,
			secretGroup: 1,
			// The first words of the name alternatives, so that the
			// anchored pattern can start at a keyword hit.
			keywords: []string{"api", "secret", "client", "access", "auth", "refresh", "token", "private"},
			generic:  true,
			pre:      operatorAfter,
			check:    func(secret, _, _ string) bool { return keyLike(secret) },
			before:   64, after: 384,
		},
		{
			// gitleaks' non-default Square OAuth secret rule.
			id:       "square-secret",
			re:       regexp.MustCompile(`\b(sq0csp-[0-9A-Za-z_\-]{43})(?:[\x60'"\s;]|\\[nr]|$)`),
			entropy:  2,
			keywords: []string{"sq0csp-"},
			before:   16, after: 128,
		},
		{
			// A pasted Google service-account key file (gitleaks'
			// non-default rule); its private key is reported too.
			id:       "gcp-service-account",
			re:       regexp.MustCompile(`"type"[ \t]*:[ \t]*"service_account"`),
			keywords: []string{"service_account"},
			before:   64, after: 64,
		},
		{
			id:          "bearer-token",
			re:          regexp.MustCompile(`(?i)\bbearer\s+([A-Za-z0-9_\-.~+/]{20,}=*)`),
			secretGroup: 1,
			keywords:    []string{"bearer"},
			generic:     true,
			check:       func(secret, _, _ string) bool { return keyLike(secret) },
			before:      16, after: 1024,
		},
	}
}

// The parts of the assignment rules from the name on; identLead checks
// what comes before it, `(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?`, by hand.
const (
	passwordTail   = `(?:password|passwd|passphrase|passcode|pwd|pass)["']?[ \t]{0,3}(?:=|:=|:|=>|[ \t]is\b)[ \t]{0,3}["'\x60]?([^\s"'\x60;,<>()\[\]{}]{6,128})`
	assignmentTail = `(?:api[_.-]?key|apikey|api[_.-]?secret|secret[_.-]?key|secret|client[_.-]?secret|access[_.-]?token|auth[_.-]?token|refresh[_.-]?token|token|private[_.-]?key)["']?[ \t]{0,3}(?:=|:=|:|=>)[ \t]{0,3}["'\x60]?([A-Za-z0-9_\-+/=.~]{12,256})`
)

// userinfoTail is the connection-string pattern from "://" on; schemeLead
// checks the scheme, `\b[a-z][a-z0-9+.:-]{1,30}`, by hand.
const userinfoTail = `://([^\s:/?#@'"<>]{1,128}):([^\s@/'"<>]{1,256})@[\w.\-\[\]%]`

// schemeLead returns the leftmost start of a scheme ending at k.
func schemeLead(s string, k int) (int, bool) {
	r := k
	for r > 0 && k-r < 31 && isSchemeByte(s[r-1]) {
		r--
	}
	for p := r; p <= k-2; p++ {
		if isLetter(s[p]) && (p == 0 || !isWordByte(s[p-1])) {
			return p, true
		}
	}
	return 0, false
}

func isSchemeByte(c byte) bool {
	return isAlnum(c) || c == '+' || c == '.' || c == ':' || c == '-'
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// identLead matches `(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?` ending at k, the
// longest form first as the regexp would, and returns its start.
func identLead(s string, k int) (int, bool) {
	if j := k - 1; j > 0 && (s[j] == '_' || s[j] == '.' || s[j] == '-') {
		i := j
		for i > 0 && j-i < 21 && isAlnum(s[i-1]) {
			i--
		}
		if n := j - i; n >= 1 && n <= 20 {
			if i == 0 {
				return 0, true
			}
			if !isWordByte(s[i-1]) {
				return i - 1, true
			}
		}
	}
	if k == 0 {
		return 0, true
	}
	if !isWordByte(s[k-1]) {
		return k - 1, true
	}
	return 0, false
}

func isAlnum(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

var connContext = regexp.MustCompile(`(?i)(?:server|data source|uid|user id|user|username|database|initial catalog|host|dsn|driver)\s*=|jdbc:|odbc`)

var (
	dottedIdent = regexp.MustCompile(`^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$`)
	hexOnly     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	uuidRe      = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	versionRe   = regexp.MustCompile(`^[vV]?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$`)
	hashContext = regexp.MustCompile(`(?i)sha-?(?:1|224|256|384|512)|md5|hash|checksum|digest|integrity|etag|commit|fingerprint|revision|\brev\b`)
	// Placeholders: ${VAR}, {{var}}, <your-key>, %(x)s, $VAR, %VAR%.
	templateRe = regexp.MustCompile(`\$\{|\{\{|<[^>]*>|%\(|^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$|^@[A-Za-z_]\w*@$`)
	maskRe     = regexp.MustCompile(`(?i)x{4,}|\*{3,}|#{4,}|•{3,}|…|\.{3,}|\.\.$|_{8,}`)
)

// placeholderWords mark documentation values, not secrets.
var placeholderWords = []string{
	"example", "your_", "your-", "yourkey", "yourtoken", "yoursecret", "yourpass",
	"changeme", "change_me", "change-me", "changeit", "placeholder", "replace_me",
	"replace-me", "replaceme", "redacted", "dummy", "insert_", "insert-", "<", "todo",
	"fixme", "notreal", "not_real", "not-a-real", "fake_", "sample_", "my_api_key",
	"my-api-key", "mysecret", "mypassword",
}

// isPlaceholder reports documentation placeholders, masks and template
// references. It runs for every rule.
func isPlaceholder(s string) bool {
	if (strings.ContainsAny(s, "${<%@") && templateRe.MatchString(s)) || masked(s) {
		return true
	}
	ls := strings.ToLower(s)
	for _, w := range placeholderWords {
		if strings.Contains(ls, w) {
			return true
		}
	}
	return sameChar(s)
}

// masked is maskRe.MatchString(s) without the regexp: runs of x (4), *
// (3), # (4), • (3), . (3), _ (8), an ellipsis, or ".." at the end.
func masked(s string) bool {
	if strings.HasSuffix(s, "..") || strings.Contains(s, "…") || strings.Contains(s, "•••") {
		return true
	}
	run, prev := 0, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 'X' {
			c = 'x'
		}
		if c == prev {
			run++
		} else {
			run, prev = 1, c
		}
		switch {
		case c == 'x' && run >= 4, c == '*' && run >= 3, c == '#' && run >= 4, c == '.' && run >= 3, c == '_' && run >= 8:
			return true
		}
	}
	return false
}

// isWeakPlaceholder also rejects the literal words people put in
// documentation connection strings ("user:password@").
func isWeakPlaceholder(s string) bool {
	switch strings.ToLower(strings.Trim(s, `"'`)) {
	case "password", "pass", "passwd", "pwd", "secret", "pw", "p@ssw0rd", "p@ssword",
		"test", "root", "admin", "user", "guest", "xxx", "***", "...", "****":
		return true
	}
	return isPlaceholder(s) || strings.HasPrefix(s, "$") || strings.HasPrefix(s, "%")
}

func sameChar(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] != s[0] {
			return false
		}
	}
	return true
}

// isHashLike reports a hex digest with hash context on its line.
func isHashLike(secret, line string) bool {
	switch len(secret) {
	case 32, 40, 56, 64, 96, 128:
	default:
		return false
	}
	return hexOnly.MatchString(secret) && hashContext.MatchString(line)
}

func isUUID(s string) bool    { return len(s) == 36 && uuidRe.MatchString(s) }
func isVersion(s string) bool { return versionRe.MatchString(s) }

type classes struct{ lower, upper, digit, symbol bool }

func classify(s string) (c classes, n int) {
	for _, r := range s {
		switch {
		case unicode.IsLower(r):
			c.lower = true
		case unicode.IsUpper(r):
			c.upper = true
		case unicode.IsDigit(r):
			c.digit = true
		default:
			c.symbol = true
		}
	}
	for _, b := range []bool{c.lower, c.upper, c.digit, c.symbol} {
		if b {
			n++
		}
	}
	return c, n
}

// passwordLike accepts values that look like a chosen password: letters
// plus digits or symbols, some variety, and not a code reference.
func passwordLike(s string) bool {
	if len(s) < 6 || isWeakPlaceholder(s) || dottedIdent.MatchString(s) {
		return false
	}
	c, _ := classify(s)
	if !(c.lower || c.upper) || !(c.digit || c.symbol) {
		return false
	}
	if c.symbol && !c.digit && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == "" {
		return false // snake_case or kebab-case identifier
	}
	return entropy(s) >= 2.3 && !isVersion(s)
}

// keyLike accepts random-looking tokens: long enough, mixed, high entropy.
func keyLike(s string) bool {
	if len(s) < 12 || isWeakPlaceholder(s) || dottedIdent.MatchString(s) {
		return false
	}
	c, n := classify(s)
	if !c.digit || !(c.lower || c.upper) || n < 2 {
		return false
	}
	return entropy(s) >= 3.0
}

// hasSequence reports an ascending run of n or more consecutive digits or
// letters ("123456", "abcdef"): typed by people, not generated.
func hasSequence(s string, n int) bool {
	run := 1
	for i := 1; i < len(s); i++ {
		a, b := s[i-1]|0x20, s[i]|0x20
		alnum := ('0' <= a && a <= '9') || ('a' <= a && a <= 'z')
		if alnum && b == a+1 {
			run++
			if run >= n {
				return true
			}
			continue
		}
		run = 1
	}
	return false
}

// operatorAfter: the keyword may continue as an identifier ("pass" in
// "password_hash"), then an optional quote, spaces, and = : > or " is ".
func operatorAfter(lower []byte, end int) bool {
	i := end
	for n := 0; i < len(lower) && n < 20 && (lower[i] == '_' || lower[i] == '-' || lower[i] == '.' || ('a' <= lower[i] && lower[i] <= 'z') || ('0' <= lower[i] && lower[i] <= '9')); n++ {
		i++
	}
	if i < len(lower) && (lower[i] == '"' || lower[i] == '\'') {
		i++
	}
	for n := 0; i < len(lower) && n < 3 && (lower[i] == ' ' || lower[i] == '\t'); n++ {
		i++
	}
	if i >= len(lower) {
		return false
	}
	return lower[i] == '=' || lower[i] == ':' || lower[i] == '>' || (lower[i] == 'i' && i+2 < len(lower) && lower[i+1] == 's' && lower[i+2] == ' ')
}

// userinfoAfter: "://" followed by user:password@ before any delimiter.
func userinfoAfter(lower []byte, end int) bool {
	colon := false
	for i := end; i < len(lower) && i < end+400; i++ {
		switch c := lower[i]; c {
		case ':':
			colon = true
		case '@':
			return colon
		case ' ', '\t', '\n', '\r', '/', '"', '\'', '<', '>':
			return false
		}
	}
	return false
}
