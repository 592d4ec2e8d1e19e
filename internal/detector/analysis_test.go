package detector

import (
	"fmt"
	"os"
	"sort"
	"testing"
)

// TestDevAnalysis dumps dev errors of a freshly trained model (set
// RAMPART_ANALYSIS=1; needs ../shared/datasets).
func TestDevAnalysis(t *testing.T) {
	if os.Getenv("RAMPART_ANALYSIS") == "" {
		t.Skip("set RAMPART_ANALYSIS=1")
	}
	m, rep, err := Train(Options{Data: "../../../shared/datasets", Seed: 1, Log: os.Stderr, Epochs: envInt("EPOCHS"), HashBits: uint8(envInt("BITS"))})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("%+v\n", rep)
	dev, _ := LoadJSONL("../../../shared/datasets/injection/dev.jsonl")
	type row struct {
		s float64
		e Example
	}
	var rows []row
	by := map[string][2]int{}
	for _, e := range dev {
		s := m.Score(e.Text).Score
		k := fmt.Sprintf("%d %s %s", e.Label, e.Kind, e.Source)
		c := by[k]
		c[0]++
		if (s >= 0.5) != (e.Label == 1) {
			c[1]++
			rows = append(rows, row{s, e})
		}
		by[k] = c
	}
	var neg, pos []float64
	for _, e := range dev {
		z := m.Score(e.Text).Logit
		if e.Label == 1 {
			pos = append(pos, z)
		} else {
			neg = append(neg, z)
		}
	}
	sort.Float64s(neg)
	for _, fp := range []float64{0.01, 0.015, 0.02} {
		th := neg[int(float64(len(neg))*(1-fp))]
		n := 0
		for _, z := range pos {
			if z > th {
				n++
			}
		}
		fmt.Printf("recall at FPR %.3f: %.4f\n", fp, float64(n)/float64(len(pos)))
	}
	var ks []string
	for k := range by {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Printf("%-70s n=%4d err=%3d\n", k, by[k][0], by[k][1])
	}
	f, _ := os.Create("/tmp/inj/errors.txt")
	defer f.Close()
	for _, r := range rows {
		txt := r.e.Text
		if len(txt) > 600 {
			txt = txt[:300] + " ….. " + txt[len(txt)-300:]
		}
		fmt.Fprintf(f, "%.3f %d %s %s\n%q\n\n", r.s, r.e.Label, r.e.Kind, r.e.Source, txt)
	}
	for _, p := range []string{"../../internal/scan/injection/testdata/negatives.txt"} {
		_ = p
	}
}

func envInt(k string) int {
	var n int
	fmt.Sscan(os.Getenv(k), &n)
	return n
}
