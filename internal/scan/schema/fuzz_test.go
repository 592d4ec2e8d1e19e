package schema

import (
	"testing"

	"rampart/internal/scan/scantest"
)

// FuzzSchema: see scantest.FuzzOutput.
func FuzzSchema(f *testing.F) { scantest.FuzzOutput(f, "schema") }
