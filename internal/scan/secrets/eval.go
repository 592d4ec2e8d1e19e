package secrets

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"

	"rampart/internal/scan"
)

// EvalResult is the outcome of EvalFile.
type EvalResult struct {
	Positives int `json:"positives"`
	// RuleHits counts positives where the labelled rule fired; AnyHits
	// positives where any SECRET finding was reported.
	RuleHits  int     `json:"rule_hits"`
	AnyHits   int     `json:"any_hits"`
	Recall    float64 `json:"recall"`     // RuleHits / Positives
	AnyRecal  float64 `json:"any_recall"` // AnyHits / Positives
	Negatives int     `json:"negatives"`
	// FalsePositives counts negatives with any SECRET finding at all (the
	// strict measure); SameRuleFP negatives where the labelled rule fired.
	FalsePositives int      `json:"false_positives"`
	SameRuleFP     int      `json:"same_rule_false_positives"`
	FPRate         float64  `json:"fp_rate"`
	Missed         []string `json:"missed_rules,omitempty"`         // rule IDs of missed positives
	FPRules        []string `json:"false_positive_rules,omitempty"` // rules that fired on negatives
}

type example struct {
	Text   string `json:"text"`
	Label  int    `json:"label"`
	RuleID string `json:"rule_id"`
}

// Evaluate runs the default scanner over gitleaks-style examples
// ({"text","label","rule_id"} JSON Lines).
func Evaluate(r io.Reader) (EvalResult, error) {
	var res EvalResult
	sc, err := New(Settings{})
	if err != nil {
		return res, err
	}
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for in.Scan() {
		line++
		if len(in.Bytes()) == 0 {
			continue
		}
		var ex example
		if err := json.Unmarshal(in.Bytes(), &ex); err != nil {
			return res, fmt.Errorf("line %d: %w", line, err)
		}
		t := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: ex.Text}}}
		t.Prepare(nil)
		fs, err := sc.Scan(context.Background(), t)
		if err != nil {
			return res, err
		}
		same := slices.ContainsFunc(fs, func(f scan.Finding) bool { return f.Rule == ex.RuleID })
		if ex.Label == 1 {
			res.Positives++
			if same {
				res.RuleHits++
			} else {
				res.Missed = append(res.Missed, ex.RuleID)
			}
			if len(fs) > 0 {
				res.AnyHits++
			}
			continue
		}
		res.Negatives++
		if len(fs) > 0 {
			res.FalsePositives++
			res.FPRules = append(res.FPRules, ex.RuleID+"→"+fs[0].Rule)
		}
		if same {
			res.SameRuleFP++
		}
	}
	if err := in.Err(); err != nil {
		return res, err
	}
	if res.Positives > 0 {
		res.Recall = float64(res.RuleHits) / float64(res.Positives)
		res.AnyRecal = float64(res.AnyHits) / float64(res.Positives)
	}
	if res.Negatives > 0 {
		res.FPRate = float64(res.FalsePositives) / float64(res.Negatives)
	}
	return res, nil
}

// EvalFile evaluates the scanner on a gitleaks examples file
// (../shared/datasets/secrets/gitleaks_rule_examples.jsonl) and prints
// recall (the labelled rule fires on a positive) and the false-positive
// rate (any SECRET finding on a negative), as a table or as JSON.
func EvalFile(path string, w io.Writer, jsonOut bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := Evaluate(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "measure\tcount\tvalue\n")
	fmt.Fprintf(tw, "recall (labelled rule fires)\t%d/%d\t%.4f\n", res.RuleHits, res.Positives, res.Recall)
	fmt.Fprintf(tw, "recall (any SECRET)\t%d/%d\t%.4f\n", res.AnyHits, res.Positives, res.AnyRecal)
	fmt.Fprintf(tw, "false positives (any SECRET on a negative)\t%d/%d\t%.4f\n", res.FalsePositives, res.Negatives, res.FPRate)
	fmt.Fprintf(tw, "false positives (labelled rule fires)\t%d/%d\t%.4f\n", res.SameRuleFP, res.Negatives, float64(res.SameRuleFP)/float64(max(1, res.Negatives)))
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(res.Missed) > 0 {
		fmt.Fprintf(w, "missed: %v\n", res.Missed)
	}
	if len(res.FPRules) > 0 {
		fmt.Fprintf(w, "false positives (labelled rule→fired rule): %v\n", res.FPRules)
	}
	return nil
}
