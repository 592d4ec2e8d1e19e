package secrets

// valueAfter is a hand-written necessary condition for patterns of the
// shape keyword, name characters, operator, a few separators, value:
// gitleaks' generic-api-key and Rampart's assignment rule, whose
// anchored patterns fail on most keyword hits in code ("token = await
// getToken()", "key, _, value = …") after a costly backtracking search.
// The operator starts at the first operator byte after the hit (nothing
// before it may contain one); the value starts after at most maxSkip
// operator or separator bytes and is a run of at least minLen value
// bytes. Non-ASCII bytes count as value bytes: (?i) classes also match
// the Kelvin sign and the long s.
type valueAfter struct {
	lead    int     // the operator starts within lead bytes of the hit
	ops     byteSet // bytes an operator starts with
	skip    byteSet // operator and separator bytes before the value
	maxSkip int
	val     byteSet // value bytes
	minLen  int
}

func (v *valueAfter) ok(s string, k int) bool {
	j := k
	for j < len(s) && j-k <= v.lead && !v.ops.has(s[j]) {
		j++
	}
	if j >= len(s) || j-k > v.lead {
		return false
	}
	for t := j + 1; t <= j+1+v.maxSkip && t < len(s); t++ {
		n := 0
		for t+n < len(s) && n < v.minLen && v.val.has(s[t+n]) {
			n++
		}
		if n >= v.minLen {
			return true
		}
		if !v.skip.has(s[t]) {
			return false
		}
	}
	return false
}

func bytesOf(s string) byteSet {
	var b byteSet
	for i := 0; i < len(s); i++ {
		b.add(s[i])
	}
	return b
}

const (
	alnum   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	reSpace = "\t\n\f\r " // \s
)

func withHigh(b byteSet) byteSet {
	b.addRange(0x80, 0xff)
	return b
}

// genericAPIKeyRegex is the gitleaks pattern genericAPIKeyValue is
// written for; the check is used only while the table has it.
const genericAPIKeyRegex = `(?i)[\w.-]{0,50}?(?:access|auth|(?-i:[Aa]pi|API)|credential|creds|key|passw(?:or)?d|secret|token)(?:[ \t\w.-]{0,20})[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}([\w.=-]{10,150}|[a-z0-9][a-z0-9+/]{11,}={0,3})(?:[\x60'"\s;]|\\[nr]|$)`

// genericAPIKeyValue: keyword (≤ 10 bytes), [ \t\w.-]{0,20}, [\s'"]{0,3},
// an operator (≤ 4 bytes: :::=), [\x60'"\s=]{0,5}, then ≥ 10 bytes of
// [\w.=-] or [a-z0-9+/] (case-insensitive).
var genericAPIKeyValue = &valueAfter{
	lead:    10 + 3*20 + 3, // a (?i) \w may be a 3-byte Kelvin sign
	ops:     bytesOf("=>:|?,"),
	skip:    bytesOf("=>:|?," + "`'\"" + reSpace),
	maxSkip: 3 + 5,
	val:     withHigh(bytesOf(alnum + "_.=-+/")),
	minLen:  10,
}

// assignmentValue: a name of assignmentTail (≤ 14 bytes), ["']?,
// [ \t]{0,3}, = := : or =>, [ \t]{0,3}, ["'\x60]?, then ≥ 12 bytes of
// [A-Za-z0-9_\-+/=.~].
var assignmentValue = &valueAfter{
	lead:    3*14 + 1 + 3, // (?i) letters may be 3-byte Kelvin signs
	ops:     bytesOf("=:"),
	skip:    bytesOf("=>" + " \t" + "\"'`"),
	maxSkip: 1 + 3 + 1,
	val:     withHigh(bytesOf(alnum + "_-+/=.~")),
	minLen:  12,
}

// bearerValue: "bearer", \s+, then ≥ 20 bytes of [A-Za-z0-9_\-.~+/].
var bearerValue = &valueAfter{
	lead:    6,
	ops:     bytesOf(reSpace),
	skip:    bytesOf(reSpace),
	maxSkip: 1 << 20,
	val:     withHigh(bytesOf(alnum + "_-.~+/")),
	minLen:  20,
}
