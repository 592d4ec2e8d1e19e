package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"rampart/internal/detector"
	"rampart/internal/policy"
	"rampart/internal/scan"
	_ "rampart/internal/scan/all"
	"rampart/internal/scan/pii"
	"rampart/internal/scan/secrets"
)

// evalKind reads the first line of a JSON Lines file and names its kind:
// "pii" (span labels), "secrets" (gitleaks rule examples) or "labels".
func evalKind(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "labels"
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	line, _ := br.ReadBytes('\n')
	var probe map[string]json.RawMessage
	if json.Unmarshal(line, &probe) != nil {
		return "labels"
	}
	if _, ok := probe["spans"]; ok {
		return "pii"
	}
	if _, ok := probe["rule_id"]; ok {
		return "secrets"
	}
	return "labels"
}

func evalExit(err error) int {
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart eval:", err)
		return 1
	}
	return 0
}

func init() {
	register("eval", "measure the default input chain on a labeled JSON Lines file", runEval)
}

type evalResult struct {
	File      string  `json:"file"`
	Policy    string  `json:"policy"`
	N         int     `json:"n"`
	Positives int     `json:"positives"`
	Negatives int     `json:"negatives"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	TN        int     `json:"tn"`
	FN        int     `json:"fn"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	FPR       float64 `json:"fpr"`
	AUC       float64 `json:"auc"`
	Threshold float64 `json:"threshold"`
	MBps      float64 `json:"mb_per_s"`
}

func runEval(args []string) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	pol := fs.String("policy", "", "policy file (default: the built-in balanced policy)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "Usage: rampart eval FILE.jsonl [--policy FILE] [--json]")
		fs.PrintDefaults()
	}
	// Accept flags before or after the file name.
	var files []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		args = fs.Args()
		if len(args) > 0 {
			files = append(files, args[0])
			args = args[1:]
		}
	}
	if len(files) != 1 {
		fs.Usage()
		return 2
	}
	// Span-labelled PII files and the gitleaks rule examples have their
	// own measures; everything else is {"text","label"}.
	switch evalKind(files[0]) {
	case "pii":
		return evalExit(pii.EvalFile(files[0], os.Stdout, *asJSON))
	case "secrets":
		return evalExit(secrets.EvalFile(files[0], os.Stdout, *asJSON))
	}
	exs, err := detector.LoadJSONL(files[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart eval:", err)
		return 1
	}
	set, err := policy.Load(*pol)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart eval:", err)
		return 1
	}
	p := set.Default
	ctx := context.Background()
	scores := make([]float64, len(exs))
	labels := make([]bool, len(exs))
	preds := make([]float64, len(exs))
	var bytes int
	start := time.Now()
	for i, e := range exs {
		t := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Role: "user", Path: "messages.0.content", Text: e.Text}}}
		d := p.Scan(ctx, t)
		bytes += len(e.Text)
		scores[i] = max(d.Scores["injection"], d.Scores["jailbreak"])
		labels[i] = e.Label == 1
		for _, f := range d.Findings {
			if (f.Type == scan.PromptInjection || f.Type == scan.Jailbreak) && f.Action == policy.Block {
				preds[i] = 1
			}
		}
	}
	el := time.Since(start)
	m := detector.Measure(preds, labels, 0.5)
	res := evalResult{
		File: files[0], Policy: p.Name, N: m.N, Positives: m.Pos, Negatives: m.Neg,
		TP: m.TP, FP: m.FP, TN: m.TN, FN: m.FN, Precision: m.Precision, Recall: m.Recall, FPR: m.FPR,
		AUC: detector.AUC(scores, labels), Threshold: p.Thresholds[scan.PromptInjection],
		MBps: float64(bytes) / 1e6 / el.Seconds(),
	}
	if *asJSON {
		j, _ := json.Marshal(res)
		fmt.Println(string(j))
		return 0
	}
	fmt.Printf("file       %s\npolicy     %s (threshold %.2f)\nexamples   %d (%d positive, %d negative)\n", res.File, res.Policy, res.Threshold, res.N, res.Positives, res.Negatives)
	fmt.Printf("precision  %.4f\nrecall     %.4f\nFPR        %.4f\nAUC        %.4f\nconfusion  tp=%d fp=%d tn=%d fn=%d\nthroughput %.1f MB/s\n", res.Precision, res.Recall, res.FPR, res.AUC, res.TP, res.FP, res.TN, res.FN, res.MBps)
	return 0
}
