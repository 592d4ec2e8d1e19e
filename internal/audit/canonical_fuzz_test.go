package audit

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzCanonical: whatever Canonical accepts comes out as valid JSON that
// Canonical maps to itself, so a re-serialized copy of a record hashes the
// same and any change of content does not.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{`{"b":1,"a":[true,null,"x"]}`, `{"s":"<\u2028>\n","n":1.5e-7,"i":-12}`, `[]`, `{"a":{"a":{}}}`, `{"a":1,"a":2}`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonical(in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Canonical(%q) = %q is not JSON", in, out)
		}
		again, err := Canonical(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q → %q → %q (%v)", in, out, again, err)
		}
	})
}
