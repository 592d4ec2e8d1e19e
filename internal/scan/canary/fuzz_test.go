package canary

import (
	"testing"

	"rampart/internal/scan/scantest"
)

// FuzzCanary: see scantest.FuzzOutput.
func FuzzCanary(f *testing.F) { scantest.FuzzOutput(f, "canary") }
