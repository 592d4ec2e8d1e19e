package pii

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"unicode/utf8"

	"rampart/internal/scan"
)

// TypeScore is the evaluation of one finding type.
type TypeScore struct {
	Type      string `json:"type"`
	Gold      int    `json:"gold"`      // labelled spans
	Predicted int    `json:"predicted"` // reported spans
	// Found counts gold spans overlapped by a prediction of the same type;
	// Correct counts predictions overlapping a gold span of the same type.
	Found     int     `json:"found"`
	Correct   int     `json:"correct"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// datasetTypes maps the dataset's labels to finding types.
var datasetTypes = map[string]string{"SSN": scan.USSSN}

type record struct {
	Text  string `json:"text"`
	Spans []struct {
		Start int    `json:"start"`
		End   int    `json:"end"`
		Type  string `json:"type"`
	} `json:"spans"`
}

type span struct {
	start, end int
	typ        string
}

// Evaluate scores the default scanner on labelled JSON Lines ({"text",
// "spans":[{"start","end","type"}]}, code-point offsets). A prediction and a
// gold span match when they overlap by at least one character and have the
// same type.
func Evaluate(r io.Reader) ([]TypeScore, error) {
	sc, err := New(Settings{})
	if err != nil {
		return nil, err
	}
	scores := map[string]*TypeScore{}
	for _, t := range AllTypes {
		scores[t] = &TypeScore{Type: t}
	}
	in := bufio.NewScanner(r)
	in.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for in.Scan() {
		line++
		if len(in.Bytes()) == 0 {
			continue
		}
		var rec record
		if err := json.Unmarshal(in.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		byteOff := runeToByte(rec.Text)
		var gold []span
		for _, s := range rec.Spans {
			typ := s.Type
			if m, ok := datasetTypes[typ]; ok {
				typ = m
			}
			if scores[typ] == nil || s.Start < 0 || s.End >= len(byteOff) || s.Start > s.End {
				continue
			}
			gold = append(gold, span{byteOff[s.Start], byteOff[s.End], typ})
		}
		t := &scan.Text{Direction: scan.Input, Segments: []scan.Segment{{Text: rec.Text}}}
		t.Prepare(nil)
		fs, err := sc.Scan(context.Background(), t)
		if err != nil {
			return nil, err
		}
		for _, g := range gold {
			ts := scores[g.typ]
			ts.Gold++
			for _, f := range fs {
				if f.Type == g.typ && f.Span.Start < g.end && g.start < f.Span.End {
					ts.Found++
					break
				}
			}
		}
		for _, f := range fs {
			ts := scores[f.Type]
			if ts == nil {
				continue
			}
			ts.Predicted++
			for _, g := range gold {
				if f.Type == g.typ && f.Span.Start < g.end && g.start < f.Span.End {
					ts.Correct++
					break
				}
			}
		}
	}
	if err := in.Err(); err != nil {
		return nil, err
	}
	out := make([]TypeScore, 0, len(AllTypes))
	for _, t := range AllTypes {
		ts := scores[t]
		if ts.Predicted > 0 {
			ts.Precision = float64(ts.Correct) / float64(ts.Predicted)
		}
		if ts.Gold > 0 {
			ts.Recall = float64(ts.Found) / float64(ts.Gold)
		}
		if ts.Precision+ts.Recall > 0 {
			ts.F1 = 2 * ts.Precision * ts.Recall / (ts.Precision + ts.Recall)
		}
		out = append(out, *ts)
	}
	return out, nil
}

// runeToByte maps code-point offsets 0..n to byte offsets.
func runeToByte(s string) []int {
	offs := make([]int, 0, utf8.RuneCountInString(s)+1)
	for i := range s {
		offs = append(offs, i)
	}
	return append(offs, len(s))
}

// EvalFile scores the scanner on a labelled file such as
// ../shared/datasets/pii/dev.jsonl and prints a per-type precision,
// recall and F1 table (or JSON). Types absent from the file's labels show
// their prediction count only.
func EvalFile(path string, w io.Writer, jsonOut bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	scores, err := Evaluate(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if jsonOut {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(scores)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tgold\tpredicted\tprecision\trecall\tF1\t")
	for _, s := range scores {
		if s.Gold == 0 {
			fmt.Fprintf(tw, "%s\t-\t%d\t-\t-\t-\t\n", s.Type, s.Predicted)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t\n", s.Type, s.Gold, s.Predicted, s.Precision, s.Recall, s.F1)
	}
	return tw.Flush()
}
