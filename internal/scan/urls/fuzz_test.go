package urls

import (
	"testing"

	"rampart/internal/scan/scantest"
)

// FuzzUrls: see scantest.FuzzOutput.
func FuzzUrls(f *testing.F) { scantest.FuzzOutput(f, "urls") }
