// Package urls finds exfiltration channels in model answers: markdown
// images and links, reference-style link definitions and HTML <img>/<a>
// tags whose URL points off the policy's allow-list or carries data in its
// query, fragment or path (long or random-looking values, base64-like path
// segments, the request's pseudonym placeholders). It reports them as
// URL_EXFILTRATION with a replacement that removes only the URL, so the
// caller keeps the link text: "![alt](URL)" becomes "![alt]()",
// "[text](URL)" becomes "[text]". Raw URLs to hosts off the allow-list are
// reported as UNTRUSTED_URL, which a policy can flag.
package urls

import (
	"context"
	"math"
	"net/url"
	"regexp"
	"strings"

	"rampart/internal/scan"
)

// UntrustedURL is the finding type of a bare URL to a host off the
// allow-list.
const UntrustedURL = "UNTRUSTED_URL"

func init() {
	scan.Register(scan.Spec{
		Name:    "urls",
		Doc:     "Neutralizes markdown and HTML links and images that exfiltrate data or point off the allow-list.",
		Output:  true,
		Default: true,
		New: func(dec scan.Decoder) (scan.Scanner, error) {
			var s Settings
			if err := dec(&s); err != nil {
				return nil, err
			}
			return New(s)
		},
	})
}

// Settings is the `scanners.urls` block of a policy.
type Settings struct {
	// AllowedHosts lists hosts links and images may point to; "*.example.com"
	// matches every subdomain of example.com (not example.com itself).
	// Empty: no host is off the list, and only data-carrying URLs are
	// neutralized.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// MaxParamLen is the length from which a query or fragment value counts
	// as data (default 40).
	MaxParamLen int `yaml:"max_param_len"`
	// MinEntropy is the Shannon entropy in bits per character from which a
	// value of 16 or more characters counts as data (default 3.6).
	MinEntropy float64 `yaml:"min_entropy"`
}

// Scanner is the urls scanner.
type Scanner struct {
	exact    map[string]bool
	suffixes []string
	maxParam int
	entropy  float64
}

// New builds a scanner.
func New(s Settings) (*Scanner, error) {
	sc := &Scanner{exact: map[string]bool{}, maxParam: s.MaxParamLen, entropy: s.MinEntropy}
	if sc.maxParam <= 0 {
		sc.maxParam = 40
	}
	if sc.entropy <= 0 {
		sc.entropy = 3.6
	}
	for _, h := range s.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(h, "*."); ok {
			sc.suffixes = append(sc.suffixes, "."+rest)
			continue
		}
		sc.exact[h] = true
	}
	return sc, nil
}

// Name implements scan.Scanner.
func (*Scanner) Name() string { return "urls" }

// Holdback implements guard.Holdbacker. Long constructs are held by
// Pending and by findings that are still growing, not by this number.
func (*Scanner) Holdback() int { return 64 }

// lookback bounds how far before "](" the scanner looks for the "[" that
// tells a link from an image; it must stay below the stream holdback.
const lookback = 200

var (
	// "](" URL [title] ")": the tail of an inline markdown link or image.
	mdTail = regexp.MustCompile(`\]\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)`)
	// A reference definition: [label]: URL [title], alone on its line.
	refDef = regexp.MustCompile(`(?m)^[ \t]{0,3}\[[^\]\n]{1,200}\]:[ \t]*(<[^<>\n]*>|\S+)(?:[ \t]+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?[ \t]*$`)
	// HTML tags with a URL attribute.
	htmlURL = regexp.MustCompile(`(?i)<(img|a|source|video|audio|iframe|link|script)\b[^>]*?\b(src|href|srcset|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))`)
	rawURL  = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'()\[\]{}|\\^` + "`" + `]+`)
	// A pseudonym placeholder, plain or percent-encoded.
	placeholder = regexp.MustCompile(`(?i)<[A-Z][A-Z0-9_]*_\d+>|%3C[A-Z][A-Z0-9_]*_\d+%3E`)
)

// Scan implements scan.Scanner.
func (s *Scanner) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	var fs []scan.Finding
	for i, seg := range t.Segments {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs = append(fs, s.scanText(i, seg.Text)...)
	}
	return fs, nil
}

func (s *Scanner) scanText(seg int, text string) []scan.Finding {
	var fs []scan.Finding
	var covered [][2]int // spans of URLs already judged inside constructs
	add := func(rule string, start, end, urlStart, urlEnd int, u string) {
		covered = append(covered, [2]int{urlStart, urlEnd})
		if why := s.judge(u); why != "" {
			fs = append(fs, scan.Finding{Type: scan.URLExfiltration, Rule: rule + "/" + why, Score: 1,
				Span: scan.Span{Segment: seg, Start: start, End: end}})
		}
	}
	if strings.Contains(text, "](") {
		for _, m := range mdTail.FindAllStringSubmatchIndex(text, -1) {
			u := unbracket(text[m[2]:m[3]])
			open := m[0] + 1 // the "("
			if isImage(text, m[0]) {
				// Keep the parentheses: "![alt]()" renders nothing.
				add("markdown-image", open+1, m[1]-1, m[2], m[3], u)
			} else {
				// Drop them: "[text]" stays as plain text.
				add("markdown-link", open, m[1], m[2], m[3], u)
			}
		}
	}
	if strings.Contains(text, "]:") {
		for _, m := range refDef.FindAllStringSubmatchIndex(text, -1) {
			u := unbracket(text[m[2]:m[3]])
			add("reference-definition", m[2], m[1], m[2], m[3], u)
		}
	}
	if strings.IndexByte(text, '<') >= 0 {
		for _, m := range htmlURL.FindAllStringSubmatchIndex(text, -1) {
			tag := strings.ToLower(text[m[2]:m[3]])
			for g := 6; g <= 10; g += 2 {
				if m[g] >= 0 {
					u := text[m[g]:m[g+1]]
					if strings.EqualFold(text[m[4]:m[5]], "srcset") {
						u, _, _ = strings.Cut(strings.TrimSpace(u), " ")
					}
					add("html-"+tag, m[g], m[g+1], m[g], m[g+1], u)
				}
			}
		}
	}
	if (len(s.exact) > 0 || len(s.suffixes) > 0) && mayHaveRawURL(text) {
		for _, m := range rawURL.FindAllStringIndex(text, -1) {
			if inside(covered, m[0]) {
				continue
			}
			u := strings.TrimRight(text[m[0]:m[1]], ".,;:!?")
			if h := host(u); h != "" && !s.allowed(h) {
				fs = append(fs, scan.Finding{Type: UntrustedURL, Rule: "raw-url", Score: 1,
					Span: scan.Span{Segment: seg, Start: m[0], End: m[0] + len(u)}})
			}
		}
	}
	return fs
}

// mayHaveRawURL reports whether text contains "http" or "www." in any
// case, without which rawURL cannot match: a literal prefilter that keeps
// the regexp off the common answer without links.
func mayHaveRawURL(text string) bool {
	for i := 0; i+4 <= len(text); i++ {
		switch text[i] | 0x20 {
		case 'h':
			if text[i+1]|0x20 == 't' && text[i+2]|0x20 == 't' && text[i+3]|0x20 == 'p' {
				return true
			}
		case 'w':
			if text[i+1]|0x20 == 'w' && text[i+2]|0x20 == 'w' && text[i+3] == '.' {
				return true
			}
		}
	}
	return false
}

// isImage reports whether the "]" at i closes an image's alt text: the
// matching "[" (within lookback bytes) is preceded by "!". When the "[" is
// too far away the construct is treated as an image, which removes only
// the URL.
func isImage(text string, i int) bool {
	depth := 0
	for j := i - 1; j >= 0 && j >= i-lookback; j-- {
		switch text[j] {
		case ']':
			depth++
		case '[':
			if depth == 0 {
				return j > 0 && text[j-1] == '!'
			}
			depth--
		case '\n':
			if j > 0 && text[j-1] == '\n' {
				return true // a blank line ends a paragraph
			}
		}
	}
	return true
}

// unbracket removes the angle brackets of "<URL>".
func unbracket(u string) string {
	if len(u) >= 2 && u[0] == '<' && u[len(u)-1] == '>' {
		return u[1 : len(u)-1]
	}
	return u
}

func inside(spans [][2]int, at int) bool {
	for _, s := range spans {
		if at >= s[0] && at < s[1] {
			return true
		}
	}
	return false
}

// judge returns why a link or image URL must go ("host", "data",
// "scheme"), or "" when it may stay.
func (s *Scanner) judge(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if placeholder.MatchString(raw) {
		return "data"
	}
	lower := strings.ToLower(raw)
	for _, bad := range []string{"javascript:", "vbscript:", "data:", "file:"} {
		if strings.HasPrefix(lower, bad) {
			return "scheme"
		}
	}
	h := host(raw)
	if h == "" {
		return "" // relative: stays on the page's own site
	}
	if !s.allowed(h) {
		return "host"
	}
	if s.carriesData(raw) {
		return "data"
	}
	return ""
}

// host extracts the lower-case host of an absolute or protocol-relative
// URL ("www." counts as http).
func host(raw string) string {
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "//"):
		raw = "http:" + raw
	case strings.HasPrefix(lower, "www."):
		raw = "http://" + raw
	case strings.Contains(lower, "://"):
	default:
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable but absolute: take what sits between :// and the
		// next separator.
		rest := raw[strings.Index(raw, "://")+3:]
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = rest[i+1:]
		}
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			rest = rest[:i]
		}
		return strings.ToLower(rest)
	}
	return strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
}

func (s *Scanner) allowed(h string) bool {
	if len(s.exact) == 0 && len(s.suffixes) == 0 {
		return true
	}
	if s.exact[h] {
		return true
	}
	for _, suf := range s.suffixes {
		if strings.HasSuffix(h, suf) {
			return true
		}
	}
	return false
}

// carriesData looks for data smuggled in a URL: long or random-looking
// query and fragment values, base64-like or long hex path segments, and
// e-mail addresses.
func (s *Scanner) carriesData(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return len(raw) > 2*s.maxParam
	}
	if u.User != nil {
		return true
	}
	values := func(q string) []string {
		var vs []string
		for _, kv := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
			k, v, _ := strings.Cut(kv, "=")
			if dv, err := url.QueryUnescape(v); err == nil {
				v = dv
			}
			if dk, err := url.QueryUnescape(k); err == nil {
				k = dk
			}
			vs = append(vs, v, k)
		}
		return vs
	}
	for _, v := range append(values(u.RawQuery), values(u.Fragment)...) {
		if s.isData(v) {
			return true
		}
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if ds, err := url.PathUnescape(seg); err == nil {
			seg = ds
		}
		if strings.Contains(seg, "@") && strings.Contains(seg, ".") {
			return true
		}
		if i := strings.LastIndexByte(seg, '.'); i > 0 && len(seg)-i <= 5 {
			seg = seg[:i] // a file extension
		}
		if isHex(seg) && len(seg) >= 32 {
			return true
		}
		if len(seg) >= 24 && base64ish(seg) && classes(seg) >= 3 && entropy(seg) >= s.entropy {
			return true
		}
	}
	return false
}

func (s *Scanner) isData(v string) bool {
	switch {
	case len(v) >= s.maxParam:
		return true
	case strings.Contains(v, "@") && strings.Contains(v, "."):
		return true
	case strings.Contains(v, "[") && strings.Contains(v, "]"):
		return true // a mask such as [EMAIL]: the model is wiring up a leak
	case len(v) >= 16 && classes(v) >= 2 && entropy(v) >= s.entropy:
		return true
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}

func base64ish(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '+' || c == '/' || c == '=' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// classes counts the character classes in s: upper, lower, digit, other.
func classes(s string) int {
	var up, lo, di, ot int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			up = 1
		case 'a' <= c && c <= 'z':
			lo = 1
		case '0' <= c && c <= '9':
			di = 1
		default:
			ot = 1
		}
	}
	return up + lo + di + ot
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var n [256]int
	for i := 0; i < len(s); i++ {
		n[s[i]]++
	}
	var h float64
	for _, c := range n {
		if c > 0 {
			p := float64(c) / float64(len(s))
			h -= p * math.Log2(p)
		}
	}
	return h
}

// Replace implements guard.Replacer: a neutralized URL is removed, so the
// link or image text stays.
func (*Scanner) Replace(f scan.Finding, _ string) (string, bool) {
	if f.Type == scan.URLExfiltration {
		return "", true
	}
	return "", false
}

// Pending implements guard.Pender: it returns where an unfinished link,
// image, reference definition or HTML tag starts near the end of text, so
// a stream holds it until its URL is complete.
func (*Scanner) Pending(text string) int {
	at := len(text)
	// An inline link or image whose ")" has not arrived.
	if i := strings.LastIndex(text, "]("); i >= 0 && !strings.Contains(text[i:], ")") {
		at = min(at, i)
	}
	// A reference definition whose line has not ended.
	ls := strings.LastIndexByte(text, '\n') + 1
	if line := strings.TrimLeft(text[ls:], " \t"); strings.HasPrefix(line, "[") && (strings.Contains(line, "]:") || !strings.Contains(line, "]")) {
		at = min(at, ls)
	}
	// An HTML tag that has not closed.
	if i := strings.LastIndexByte(text, '<'); i >= 0 && !strings.Contains(text[i:], ">") {
		if rest := strings.ToLower(text[i+1:]); len(rest) < 8 || htmlStart.MatchString(rest) {
			at = min(at, i)
		}
	}
	return at
}

var htmlStart = regexp.MustCompile(`^(img|a|source|video|audio|iframe|link|script)\b`)

var _ scan.Scanner = (*Scanner)(nil)
