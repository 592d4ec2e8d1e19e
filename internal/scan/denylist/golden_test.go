package denylist

import (
	"testing"

	"rampart/internal/scan"
	"rampart/internal/scan/scantest"
)

// TestGolden compares the findings on testdata/corpus.txt (positives and
// near-misses) with testdata/golden.txt; -update rewrites it.
func TestGolden(t *testing.T) { scantest.Golden(t, goldenScanner(t)) }

func goldenScanner(t *testing.T) scan.Scanner {
	sc, err := New(Settings{
		Phrases: []string{"ignore previous instructions", "project falcon", "developer mode"},
		Regexes: []string{`(?i)\binternal-only-[a-z0-9]{4,}\b`},
		Topics: map[string][]string{
			"weapons": {"rifle", "ammunition", "silencer", "caliber"},
			"medical": {"diagnosis", "prescription", "dosage"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
