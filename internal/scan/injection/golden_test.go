package injection

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"rampart/internal/normalize"
	"rampart/internal/scan"
	"rampart/internal/scan/chainbench"
)

// goldenTexts are the texts whose detector scores are recorded in
// testdata/scores.golden: every view (raw, normalized, decoded) of the dev
// split, the out-of-distribution eval set and the chain benchmark corpus.
func goldenTexts(t testing.TB) []string {
	t.Helper()
	var prompts []string
	for _, path := range []string{"../../../../shared/datasets/injection/dev.jsonl", "../../../testdata/ood/all.jsonl"} {
		f, err := os.Open(path)
		if err != nil {
			t.Skipf("%s not present", path)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var r struct{ Text string }
			if json.Unmarshal(sc.Bytes(), &r) == nil && r.Text != "" {
				prompts = append(prompts, r.Text)
			}
		}
		f.Close()
	}
	for _, size := range []int{1 << 10, 4 << 10, 64 << 10} {
		prompts = append(prompts, chainbench.Corpus(size, 64)...)
	}
	var out []string
	for _, p := range prompts {
		tx := &scan.Text{Segments: []scan.Segment{{Text: p}}}
		tx.Prepare(normalize.Views)
		for _, v := range tx.Views {
			out = append(out, v.Text)
		}
	}
	return out
}

// TestScoresGolden checks that the detector's results (score, jailbreak
// probability, logit, window) are bit-identical to the recorded ones, so a
// speed change cannot move a score. RAMPART_GOLDEN=1 rewrites the file.
func TestScoresGolden(t *testing.T) {
	m, err := Model()
	if err != nil {
		t.Fatal(err)
	}
	texts := goldenTexts(t)
	var b strings.Builder
	for _, s := range texts {
		r := m.Score(s)
		h := sha256.Sum256([]byte(s))
		fmt.Fprintf(&b, "%x %016x %016x %016x %d %d\n", h[:8], math.Float64bits(r.Score),
			math.Float64bits(r.Jailbreak), math.Float64bits(r.Logit), r.Start, r.End)
	}
	const path = "testdata/scores.golden"
	if os.Getenv("RAMPART_GOLDEN") == "1" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(b.String(), "\n")
	wl := strings.Split(string(want), "\n")
	if len(got) != len(wl) {
		t.Fatalf("%d results, %d recorded", len(got), len(wl))
	}
	bad := 0
	for i := range got {
		if got[i] != wl[i] {
			if bad++; bad <= 5 {
				t.Errorf("text %d: got %s, recorded %s", i, got[i], wl[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d results differ", bad, len(got))
	}
	t.Logf("%d texts identical", len(got)-1)
}
