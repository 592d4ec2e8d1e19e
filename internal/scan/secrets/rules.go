package secrets

import (
	"encoding/base64"
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
			// Go's MySQL driver DSN: user:password@tcp(host:port)/db.
			id:          "connection-string-password",
			re:          regexp.MustCompile(`([^\s:"'/@(=]{1,64}):([^\s@"']{3,128})@(?:tcp|unix)\(`),
			secretGroup: 2,
			keywords:    []string{"@tcp(", "@unix("},
			check:       func(secret, _, _ string) bool { return !isWeakPlaceholder(secret) },
			before:      200, after: 8,
		},
		{
			// curl -u user:password with characters gitleaks' pattern
			// leaves out (*, !, %, …).
			id:          "curl-auth-user",
			re:          regexp.MustCompile(`(?:^|\s)(?:-u|--user)(?:=|[ \t]{1,5})([^\s:'"$]{1,64}):([^\s'"$<>\[\](){}]{6,128})(?:\s|$)`),
			secretGroup: 2,
			keywords:    []string{"curl"},
			check:       func(secret, _, _ string) bool { return passwordLike(secret) },
			before:      0, after: 512,
		},
		{
			// A Telegram bot token anywhere, also in the API URL
			// (https://api.telegram.org/bot<token>/sendMessage): the bot
			// ID, a colon, and 35 characters starting with "AA".
			id:          "telegram-bot-api-token",
			re:          regexp.MustCompile(`(?:^|[^0-9])([0-9]{8,10}:AA[A-Za-z0-9_\-]{33})(?:[^A-Za-z0-9_\-]|$)`),
			secretGroup: 1,
			keywords:    []string{":aa"},
			pre:         digitsBefore(8),
			check:       func(secret, _, _ string) bool { return entropy(secret[strings.IndexByte(secret, ':')+1:]) >= 3.5 },
			before:      16, after: 40,
		},
		{
			// Authorization: Basic base64(user:password).
			id:          "basic-auth-header",
			re:          regexp.MustCompile(`(?i)\bbasic[ \t]+([A-Za-z0-9+/]{8,512}={0,2})(?:[^A-Za-z0-9+/=]|$)`),
			secretGroup: 1,
			keywords:    []string{"basic"},
			check:       func(secret, _, _ string) bool { return basicCredentials(secret) },
			before:      8, after: 520,
		},
		{
			// A secret as the default of an environment lookup:
			// os.environ.get("DB_PASSWORD", "…"), os.Getenv-style helpers.
			id:          "generic-secret-assignment",
			re:          regexp.MustCompile(`(?i)\b(?:getenv|environ\.get|env\.get|env)\(\s*["'][\w.-]*(?:pass|pwd|secret|token|key|credential)[\w.-]*["']\s*,\s*["'\x60]([^"'\x60\s]{6,256})["'\x60]`),
			secretGroup: 1,
			keywords:    []string{"getenv", "environ.get", "env.get", "env("},
			generic:     true,
			check:       func(secret, _, _ string) bool { return passwordLike(secret) || keyLike(secret) },
			before:      8, after: 400,
		},
		{
			// password = "…", db_pass: …, "my password is …"
			id:          "generic-password",
			re:          regexp.MustCompile(`(?i)(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?` + passwordTail),
			anchored:    regexp.MustCompile(`^(?i:` + passwordTail + `)`),
			lead:        identLead,
			secretGroup: 1,
			keywords:    []string{"pass", "pwd", "kennwort", "wachtwoord", "contrase", "senha"},
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
			value:    assignmentValue,
			check:    func(secret, _, _ string) bool { return keyLike(secret) },
			before:   64, after: 384,
		},
		camelRule("generic-password", camelPassword, `["']?[ \t]{0,3}(?:=|:=|:|=>)`+passwordValue, []string{"pass", "pwd"}, func(secret, _, _ string) bool { return passwordLike(secret) }),
		camelRule("generic-secret-assignment", camelSecret, assignmentRest, []string{"api", "secret", "client", "access", "auth", "refresh", "token", "private"}, func(secret, _, _ string) bool { return keyLike(secret) }),
		{
			// A .netrc entry: machine host login user password secret.
			id:          "generic-password",
			re:          regexp.MustCompile(`\bmachine[ \t]+\S+[ \t\n]+(?:login[ \t]+\S+[ \t\n]+)?password[ \t]+(\S{3,128})`),
			secretGroup: 1,
			keywords:    []string{"machine"},
			generic:     true,
			check:       func(secret, _, _ string) bool { return !isWeakPlaceholder(secret) },
			before:      0, after: 512,
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
			value:       bearerValue,
			generic:     true,
			check:       func(secret, _, _ string) bool { return keyLike(secret) },
			before:      16, after: 1024,
		},
	}
}

// The parts of the assignment rules from the name on; identLead checks
// what comes before it, `(?:^|[^\w])(?:[a-z0-9]{1,20}[_.-])?`, by hand.
const (
	passwordTail   = `(?:password|passwd|passphrase|passcode|passwort|passe|pwd|pass|kennwort|wachtwoord|contrase(?:ña|na)|senha)` + passwordRest
	passwordRest   = `["']?` + proseOperator + passwordValue
	passwordValue  = `[ \t]{0,3}["'\x60]?([^\s"'\x60;,<>()\[\]{}]{6,128})`
	assignmentTail = `(?:api[_.-]?key|apikey|api[_.-]?secret|secret[_.-]?key|secret|client[_.-]?secret|access[_.-]?token|auth[_.-]?token|refresh[_.-]?token|token|private[_.-]?key)` + assignmentRest
	assignmentRest = `["']?[ \t]{0,3}(?:=|:=|:|=>)[ \t]{0,3}["'\x60]?([A-Za-z0-9_\-+/=.~]{12,256})`

	// camelCase names: rootPassword, dbPwd, stripeApiKey, slackBotToken.
	camelPassword = `(?:Password|Passwd|Passphrase|Passcode|Pass|Pwd|PASSWORD|PASSWD|PASS|PWD)`
	camelSecret   = `(?:Api(?:Key|Secret)|APIKEY|API_KEY|Secret(?:Key)?|SECRET(?:_?KEY)?|ClientSecret|(?:Access|Auth|Refresh|Bot)?Token|TOKEN|PrivateKey)`
)

// camelRule matches a secret name that ends a camelCase identifier
// (rootPassword: "root" then the name with a capital), which identLead
// leaves out because no separator precedes the name.
func camelRule(id, names, rest string, keywords []string, check func(secret, _, _ string) bool) *rule {
	return &rule{
		id:          id,
		re:          regexp.MustCompile(`\b[a-z][a-zA-Z0-9]{0,30}?` + names + `(?i:` + rest + `)`),
		anchored:    regexp.MustCompile(`^` + names + `(?i:` + rest + `)`),
		lead:        camelLead,
		secretGroup: 1,
		keywords:    keywords,
		generic:     true,
		pre:         assignOperatorAfter,
		check:       check,
		before:      64, after: 384,
	}
}

// camelLead matches `\b[a-z][a-zA-Z0-9]{0,30}?` ending at k, where the
// name starts with a capital letter, and returns its start.
func camelLead(s string, k int) (int, bool) {
	if k == 0 || !('A' <= s[k] && s[k] <= 'Z') {
		return 0, false
	}
	i := k
	for i > 0 && k-i <= 31 && isAlnum(s[i-1]) {
		i--
	}
	if k-i < 1 || k-i > 31 || (i > 0 && isWordByte(s[i-1])) || !('a' <= s[i] && s[i] <= 'z') {
		return 0, false
	}
	return i, true
}

// proseOperator is what may stand between a password's name and its
// value: an assignment operator, or in prose a verb ("is", "est", "ist",
// "es", "é", …) after at most four words ("the password for the wifi is").
const proseOperator = `(?:[ \t]{0,3}(?:=|:=|:|=>)|(?:[ \t]+[\pL'\-]{1,20}){0,4}?[ \t]+(?:(?:is|est|ist|es|was|lautet)\b|é)[ \t:]*)`

// userinfoTail is the connection-string pattern from "://" on; schemeLead
// checks the scheme, `\b[a-z][a-z0-9+.:-]{1,30}`, by hand.
const userinfoTail = `://([^\s:/?#@'"<>]{0,128}):([^\s@/'"<>]{1,256})@[\w.\-\[\]%]`

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
	return placeholderSet.contains(s) || sameChar(s) || publishedExamples[s]
}

// placeholderSet finds placeholderWords in one pass.
var placeholderSet = newStopSet(placeholderWords)

// publishedExamples are credentials that vendors print in their public
// documentation (like AWS' AKIAIOSFODNN7EXAMPLE, which the placeholder
// words catch): Stripe's documented test-mode keys.
var publishedExamples = map[string]bool{
	"sk_test_4eC39HqLyjWDarjtT1zdp7dc": true,
	"sk_test_BQokikJOvBiI2HlWgH4olfQ2": true,
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
	return isPlaceholder(s) || strings.HasPrefix(s, "$") || printfVerb.MatchString(s) || yamlTag.MatchString(s)
}

var (
	// printfVerb: a format string stands in for the value ("%s", "%v").
	printfVerb = regexp.MustCompile(`^%[-+ #0-9.]*[sdvq]`)
	// yamlTag: a YAML local tag (!vault, !Ref, !env_var) names where the
	// value comes from.
	yamlTag = regexp.MustCompile(`^![A-Za-z][\w-]*$`)
)

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
	if w := strings.TrimRight(s, ".,!?:"); len(w) < len(s) {
		// A word ending a sentence ("Passwort ist abgelaufen.").
		if wc, _ := classify(w); !wc.digit && !wc.symbol {
			return false
		}
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
func operatorAfter(s string, end int) bool {
	i := end
	for n := 0; i < len(s) && n < 20 && (s[i] == '_' || s[i] == '-' || s[i] == '.' || isAlnum(s[i])); n++ {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		i++
	}
	for n := 0; i < len(s) && n < 3 && (s[i] == ' ' || s[i] == '\t'); n++ {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '=' || s[i] == ':' || s[i] == '>' {
		return true
	}
	return proseVerbAfter(s, i)
}

// assignOperatorAfter is operatorAfter without the prose verbs.
func assignOperatorAfter(s string, end int) bool {
	i := end
	for n := 0; i < len(s) && n < 20 && (s[i] == '_' || isAlnum(s[i])); n++ {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		i++
	}
	for n := 0; i < len(s) && n < 3 && (s[i] == ' ' || s[i] == '\t'); n++ {
		i++
	}
	return i < len(s) && (s[i] == '=' || s[i] == ':')
}

// proseVerbAfter reports whether one of proseOperator's verbs is among the next five
// words from i: "password for the wifi is …".
func proseVerbAfter(s string, i int) bool {
	for w := 0; w < 5; w++ {
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j == i && w > 0 {
			return false
		}
		k := j
		for k < len(s) && k-j <= 20 && (isLetter(s[k]) || s[k] >= 0x80 || s[k] == '\'' || s[k] == '-') {
			k++
		}
		if k == j {
			return false
		}
		if isVerb(s[j:k]) {
			return true
		}
		i = k
	}
	return false
}

// isVerb: one of proseOperator's verbs, ASCII case-insensitively.
func isVerb(w string) bool {
	for _, v := range [...]string{"is", "est", "ist", "es", "was", "lautet", "é"} {
		if len(w) == len(v) && hasPrefixFold(w, v) {
			return true
		}
	}
	return false
}

// userinfoAfter: "://" followed by user:password@ before any delimiter.
func userinfoAfter(s string, end int) bool {
	colon := false
	for i := end; i < len(s) && i < end+400; i++ {
		switch s[i] {
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

// digitsBefore: at least n digits end just before the keyword (":aa").
func digitsBefore(n int) func(string, int) bool {
	return func(s string, end int) bool {
		k := end - 3
		for i := 1; i <= n; i++ {
			if k-i < 0 || s[k-i] < '0' || s[k-i] > '9' {
				return false
			}
		}
		return true
	}
}

// basicCredentials reports whether s is base64 of "user:password" with a
// real-looking password.
func basicCredentials(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
			return false
		}
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" || len(pass) < 3 {
		return false
	}
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return !isWeakPlaceholder(pass)
}
