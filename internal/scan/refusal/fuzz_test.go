package refusal

import (
	"testing"

	"rampart/internal/scan/scantest"
)

// FuzzRefusal: see scantest.FuzzOutput.
func FuzzRefusal(f *testing.F) { scantest.FuzzOutput(f, "refusal") }
