package detector_test

import (
	"fmt"
	"os"
	"testing"

	"rampart/internal/detector"
	"rampart/internal/scan/chainbench"
)

// TestEvalModelFile scores a model file ($RAMPART_MODEL) on dev, the lead's
// out-of-distribution set and the generated chain-benchmark corpus (set
// RAMPART_EVAL=1). Evaluation only: nothing here feeds training.
func TestEvalModelFile(t *testing.T) {
	if os.Getenv("RAMPART_EVAL") == "" {
		t.Skip("set RAMPART_EVAL=1 (and RAMPART_MODEL=path)")
	}
	path := os.Getenv("RAMPART_MODEL")
	if path == "" {
		path = "../scan/injection/model.bin"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := detector.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../../../shared/datasets/injection/dev.jsonl", "../../testdata/ood/all.jsonl"} {
		exs, err := detector.LoadJSONL(p)
		if err != nil {
			t.Fatal(err)
		}
		r := detector.Evaluate(m, exs, 0.5)
		fmt.Printf("%s: %+v\n", p, r)
		if os.Getenv("RAMPART_VERBOSE") != "" {
			for _, e := range exs {
				s := m.Score(e.Text).Score
				if (s >= 0.5) != (e.Label == 1) {
					fmt.Printf("  %.2f %d %.110q\n", s, e.Label, e.Text)
				}
			}
		}
	}
	for _, size := range []int{256, 1024, 4096} {
		c := chainbench.Corpus(size, 400)
		n := 0
		by := map[string]int{}
		for i, s := range c {
			if m.Score(s).Score >= 0.5 {
				n++
				by[chainbench.Kinds[i%len(chainbench.Kinds)]]++
			}
		}
		fmt.Printf("chainbench size %d: blocked %d/%d %v\n", size, n, len(c), by)
	}
}

func TestEvalChainWindows(t *testing.T) {
	if os.Getenv("RAMPART_EVAL") == "" {
		t.Skip("set RAMPART_EVAL=1")
	}
	b, err := os.ReadFile(os.Getenv("RAMPART_MODEL"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := detector.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range chainbench.Corpus(4096, 400) {
		r := m.Score(s)
		if r.Score >= 0.5 && !seen[s[r.Start:r.End]] {
			seen[s[r.Start:r.End]] = true
			fmt.Printf("%.2f %q\n", r.Score, s[r.Start:r.End])
		}
	}
}
