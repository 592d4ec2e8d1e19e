package guard_test

import (
	"context"
	"regexp"
	"testing"

	"rampart/internal/policy"
	"rampart/internal/scan"
)

// testre is a small regex scanner registered only in tests, so these tests
// do not depend on the real secrets and pii scanners.
type testre struct{}

var testPatterns = []struct {
	typ string
	re  *regexp.Regexp
}{
	{scan.Secret, regexp.MustCompile(`\bsk-[A-Za-z0-9]{16,40}\b`)},
	{scan.Email, regexp.MustCompile(`\b[a-z][a-z0-9.]{0,20}@[a-z]{1,20}\.(?:com|org|net)\b`)},
	{scan.DeniedPhrase, regexp.MustCompile(`(?i)\bforbidden fruit\b`)},
}

func (testre) Name() string  { return "testre" }
func (testre) Holdback() int { return 64 }
func (testre) Scan(ctx context.Context, t *scan.Text) ([]scan.Finding, error) {
	var fs []scan.Finding
	for i, s := range t.Segments {
		for _, p := range testPatterns {
			for _, m := range p.re.FindAllStringIndex(s.Text, -1) {
				fs = append(fs, scan.Finding{Type: p.typ, Rule: "test", Score: 1, Span: scan.Span{Segment: i, Start: m[0], End: m[1]}})
			}
		}
	}
	return fs, nil
}

func init() {
	scan.Register(scan.Spec{
		Name: "testre", Doc: "Test-only regex scanner.", Input: true, Output: true, Default: false,
		New: func(scan.Decoder) (scan.Scanner, error) { return testre{}, nil },
	})
}

func testPolicy(t testing.TB, extra string) *policy.Policy {
	t.Helper()
	set, err := policy.Parse([]byte("extends: balanced\nscanners:\n  testre: on\n" + extra))
	if err != nil {
		t.Fatal(err)
	}
	return set.Default
}
