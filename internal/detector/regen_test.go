package detector_test

import (
	"bytes"
	"os"
	"testing"

	"rampart/internal/detector"
)

// TestRegenerateModel checks that `rampart train` with its defaults
// (seed 1, ../shared/datasets) rebuilds the committed model file byte for
// byte (set RAMPART_REGEN=1; it trains six runs, several minutes on one
// core).
func TestRegenerateModel(t *testing.T) {
	if os.Getenv("RAMPART_REGEN") == "" {
		t.Skip("set RAMPART_REGEN=1 to retrain and compare with internal/scan/injection/model.bin")
	}
	want, err := os.ReadFile("../scan/injection/model.bin")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := detector.Train(detector.Options{Data: "../../../shared/datasets", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := m.Encode(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("retrained model (%d bytes) differs from model.bin (%d bytes): retrain with `rampart train` and commit both", got.Len(), len(want))
	}
}
