package secrets

import "strings"

// StreamHoldback is the holdback a stream needs for this scanner's
// ordinary matches: single-token secrets and key = value assignments fit
// in it. Longer constructs are covered by Pending: a private-key block is
// held from its BEGIN line to its END line, and a long run of token
// characters (a JWT, a base64 blob) is held until it ends.
func (s *Scanner) StreamHoldback() int { return streamHoldback }

const streamHoldback = 512

// Pending implements guard.Pender: the offset from which text must stay
// held because a secret may still be growing there, or len(text).
func (s *Scanner) Pending(text string) int { return pending(text) }

func pending(text string) int {
	at := len(text)
	// A run of token characters still open at the end of the text (a
	// long API key or JWT that is still arriving). Short runs are within
	// the holdback anyway.
	k := len(text)
	for k > 0 && isTokenByte(text[k-1]) {
		k--
	}
	if len(text)-k >= streamHoldback/2 {
		at = k
	}
	// An armored block (-----BEGIN … -----) whose END line has not been
	// completed yet.
	if i := lastBegin(text); i >= 0 && i < at {
		rest := text[i+len("-----begin"):]
		j := indexFold(rest, "-----end")
		if j < 0 || !strings.Contains(rest[j+len("-----end"):], "-----") {
			at = i
		}
	}
	// A "-----BEG" cut off by the end of the text.
	for n := min(len(text), len("-----begi")); n >= len("-----"); n-- {
		if strings.EqualFold(text[len(text)-n:], "-----begin"[:n]) {
			at = min(at, len(text)-n)
			break
		}
	}
	return at
}

func isTokenByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' ||
		b == '+' || b == '/' || b == '=' || b == '_' || b == '-' || b == '.' || b == '~'
}

// lastBegin is the offset of the last "-----BEGIN" (any case) in text,
// or -1.
func lastBegin(text string) int {
	end := len(text)
	for end > 0 {
		i := strings.LastIndex(text[:end], "-----")
		if i < 0 {
			return -1
		}
		if rest := text[i+5:]; len(rest) >= 5 && strings.EqualFold(rest[:5], "begin") {
			return i
		}
		end = i + 4 // overlapping dashes: "------BEGIN"
	}
	return -1
}

// indexFold is strings.Index ignoring ASCII case for a lower-case sep.
func indexFold(s, sep string) int {
	for i := 0; i+len(sep) <= len(s); {
		j := strings.Index(s[i:], sep[:5]) // sep starts with "-----"
		if j < 0 {
			return -1
		}
		i += j
		if i+len(sep) <= len(s) && strings.EqualFold(s[i:i+len(sep)], sep) {
			return i
		}
		i++
	}
	return -1
}
