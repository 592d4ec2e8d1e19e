package pii

// StreamHoldback implements guard.StreamHoldbacker: the longest value
// reported (a multi-line street address, an IBAN written in groups) fits
// in 128 bytes, so the stream window is the same as Holdback.
func (s *Scanner) StreamHoldback() int { return s.Holdback() }
