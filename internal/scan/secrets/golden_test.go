package secrets

import (
	"testing"

	"rampart/internal/scan"
	"rampart/internal/scan/scantest"
)

// TestGolden compares the findings on testdata/corpus.txt (positives and
// near-misses) with testdata/golden.txt; -update rewrites it.
func TestGolden(t *testing.T) { scantest.Golden(t, goldenScanner(t)) }

func goldenScanner(t *testing.T) scan.Scanner {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
