package denylist

// StreamHoldback implements guard.StreamHoldbacker: nothing when no
// phrase, keyword or regex is configured, otherwise the longest phrase or
// keyword (four bytes per rune) or the regex match bound.
func (s *Scanner) StreamHoldback() int {
	if s.trie == nil && len(s.regexes) == 0 {
		return 0
	}
	return s.holdback
}
