package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"unicode/utf8"

	"rampart/internal/guard"
	"rampart/internal/policy"
	"rampart/internal/redact"
	"rampart/internal/scan"
	_ "rampart/internal/scan/all"
)

func init() {
	register("scan", "run the guardrails offline over JSON Lines on stdin", runScan)
}

type scanFinding struct {
	Type   string  `json:"type"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
	Score  float64 `json:"score"`
	Rule   string  `json:"rule,omitempty"`        // the scanner's rule, e.g. a gitleaks rule id
	Policy string  `json:"policy_rule,omitempty"` // the policy rule that decided the action
	Action string  `json:"action"`
}

type scanResult struct {
	Verdict   string             `json:"verdict"`
	Scores    map[string]float64 `json:"scores"`
	Findings  []scanFinding      `json:"findings"`
	Sanitized string             `json:"sanitized"`
	Error     string             `json:"error,omitempty"`
}

func runScan(args []string) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	policyPath := fs.String("policy", os.Getenv("RAMPART_POLICY"), "policy file (default: built-in balanced)")
	direction := fs.String("direction", "input", "input (prompts) or output (answers)")
	profile := fs.String("profile", "", "policy profile to apply instead of the default")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0), "parallel scanners")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := scan.Input
	switch *direction {
	case "input":
	case "output":
		dir = scan.Output
	default:
		fmt.Fprintf(os.Stderr, "rampart scan: --direction must be input or output\n")
		return 2
	}
	set, err := policy.Load(*policyPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "rampart scan: policy: %v\n", err)
		return 2
	}
	pol := set.Default
	if *profile != "" {
		p, ok := set.Profile(*profile)
		if !ok {
			fmt.Fprintf(os.Stderr, "rampart scan: unknown profile %q\n", *profile)
			return 2
		}
		pol = p
	}
	if err := scanStream(context.Background(), pol, dir, os.Stdin, os.Stdout, max(1, *workers)); err != nil {
		fmt.Fprintf(os.Stderr, "rampart scan: %v\n", err)
		return 1
	}
	return 0
}

// scanStream reads JSON Lines from r and writes one result per line to w,
// in input order, scanning with several workers.
func scanStream(ctx context.Context, pol *policy.Policy, dir scan.Direction, r io.Reader, w io.Writer, workers int) error {
	br := bufio.NewReaderSize(r, 1<<20)
	bw := bufio.NewWriterSize(w, 1<<20)
	defer bw.Flush()

	type job struct {
		n    int
		line []byte
		out  chan []byte
	}
	jobs := make(chan job, workers*4)
	order := make(chan chan []byte, workers*16)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- scanLine(ctx, pol, dir, j.n, j.line)
			}
		})
	}
	writeErr := make(chan error, 1)
	go func() {
		var err error
		for c := range order {
			b := <-c
			if err == nil {
				if _, err = bw.Write(b); err == nil {
					err = bw.WriteByte('\n')
				}
			}
		}
		writeErr <- err
	}()
	var readErr error
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			trimmed := trimSpace(line)
			if len(trimmed) > 0 {
				c := make(chan []byte, 1)
				order <- c
				jobs <- job{n: n, line: trimmed, out: c}
			}
		}
		if err != nil {
			if err != io.EOF {
				readErr = err
			}
			break
		}
	}
	close(jobs)
	wg.Wait()
	close(order)
	if err := <-writeErr; err != nil {
		return err
	}
	return readErr
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func scanLine(ctx context.Context, pol *policy.Policy, dir scan.Direction, n int, line []byte) []byte {
	var in struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(line, &in); err != nil || in.Text == nil {
		msg := fmt.Sprintf("line %d: want a JSON object with a string field \"text\"", n)
		return marshal(scanResult{Verdict: "error", Scores: map[string]float64{}, Findings: []scanFinding{}, Error: msg})
	}
	return marshal(ScanText(ctx, pol, dir, *in.Text))
}

// ScanText runs the policy over one text, as `rampart scan` reports it.
func ScanText(ctx context.Context, pol *policy.Policy, dir scan.Direction, text string) scanResult {
	if !utf8.ValidString(text) {
		text = toValidUTF8(text)
	}
	t := &scan.Text{Direction: dir, Segments: []scan.Segment{{Role: "user", Path: "text", Text: text}}}
	var d policy.Decision
	sanitized := text
	if dir == scan.Output {
		// Answers are rewritten as the gateway rewrites them: masks, and
		// links neutralized rather than masked.
		var outs []string
		d, outs = (&guard.Output{Policy: pol}).Check(ctx, t)
		sanitized = outs[0]
	} else {
		d = pol.Scan(ctx, t)
		if rw := guard.Rewrite(t, &d, redact.NewVault()); rw != nil {
			if s, ok := rw[0]; ok {
				sanitized = s
			}
		}
	}
	res := scanResult{Verdict: d.Action.Verdict(), Scores: map[string]float64{}, Findings: []scanFinding{}, Sanitized: sanitized}
	for k, v := range d.Scores {
		res.Scores[k] = round3(v)
	}
	starts, ends := runeCounter{text: text}, runeCounter{text: text}
	if isASCII(text) {
		starts.ascii, ends.ascii = true, true
	}
	for _, f := range d.Findings {
		res.Findings = append(res.Findings, scanFinding{
			Type: f.Type, Start: starts.at(f.Span.Start), End: ends.at(f.Span.End),
			Score: round3(f.Score), Rule: f.Finding.Rule, Policy: f.Rule, Action: f.Action.String(),
		})
	}
	for _, f := range d.Failures {
		res.Error = fmt.Sprintf("scanner %s failed: %v", f.Scanner, f.Err)
	}
	return res
}

// marshal encodes v as one JSON line without HTML escaping, so masks and
// placeholders (<EMAIL_1>) read as they are.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// runeCounter converts byte offsets of text (on rune boundaries, as spans
// are) to code-point offsets,
// counting on from the previous offset when they come in increasing order
// (findings are sorted by start), instead of from the start of the text.
type runeCounter struct {
	text           string
	ascii          bool
	byteAt, runeAt int
}

func (c *runeCounter) at(off int) int {
	off = max(0, min(off, len(c.text)))
	if c.ascii {
		return off
	}
	if off < c.byteAt {
		c.byteAt, c.runeAt = 0, 0
	}
	c.runeAt += utf8.RuneCountInString(c.text[c.byteAt:off])
	c.byteAt = off
	return c.runeAt
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

func toValidUTF8(s string) string {
	b := make([]rune, 0, len(s))
	for _, r := range s {
		b = append(b, r)
	}
	return string(b)
}
