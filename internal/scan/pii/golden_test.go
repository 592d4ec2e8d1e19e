package pii

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"rampart/internal/normalize"
	"rampart/internal/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt")

// TestGolden scans every case of testdata/corpus.txt (cases separated by
// lines "----"; positives and near-misses) and compares the findings with
// testdata/golden.txt. Run with -update after a deliberate change.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/corpus.txt")
	if err != nil {
		t.Fatal(err)
	}
	sc := goldenScanner(t)
	var b strings.Builder
	for i, c := range strings.Split(string(data), "\n----\n") {
		c = strings.TrimSuffix(c, "\n")
		tx := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: c}}}
		tx.Prepare(normalize.Views)
		fs, err := sc.Scan(context.Background(), tx)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "case %d: %q\n", i, firstLine(c))
		for _, f := range fs {
			fmt.Fprintf(&b, "  %s %s [%d,%d) %q\n", f.Type, f.Rule, f.Span.Start, f.Span.End, c[f.Span.Start:f.Span.End])
		}
	}
	got := b.String()
	if *update {
		if err := os.WriteFile("testdata/golden.txt", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile("testdata/golden.txt")
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("golden mismatch at line %d:\n got: %s\nwant: %s", i+1, g, w)
			}
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "…"
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return s
}

func goldenScanner(t *testing.T) scan.Scanner {
	sc, err := New(Settings{})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
