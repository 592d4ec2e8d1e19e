package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"rampart/internal/detector"
)

func init() {
	register("train", "train the prompt-injection detector from labeled JSON Lines", runTrain)
}

func runTrain(args []string) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	data := fs.String("data", "../shared/datasets", "dataset directory (holds injection/train.jsonl, dev.jsonl, harmful_requests.jsonl)")
	out := fs.String("out", "internal/scan/injection/model.bin", "where to write the model")
	seed := fs.Uint64("seed", 1, "random seed (training is deterministic for a given seed and data)")
	bits := fs.Uint("bits", 18, "log2 of the hashed n-gram table")
	epochs := fs.Int("epochs", 10, "SGD epochs per round")
	deepBits := fs.Uint("deep-bits", 15, "log2 of the word-embedding table of the hidden layer")
	linear := fs.Bool("linear", false, "train the linear model alone (no hidden layer)")
	targetFP := fs.Float64("target-fpr", 0.019, "dev false-positive rate the 0.5 (balanced) threshold is placed at")
	restarts := fs.Int("restarts", 3, "random initializations per L2 strength (dev picks the model)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	opt := detector.Options{Data: *data, Seed: *seed, HashBits: uint8(*bits), Epochs: *epochs,
		DeepBits: uint8(*deepBits), Linear: *linear, Restarts: *restarts, TargetFP: *targetFP, Log: os.Stderr}
	if *quiet {
		opt.Log = nil
	}
	m, rep, err := detector.Train(opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart train:", err)
		return 1
	}
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		fmt.Fprintln(os.Stderr, "rampart train:", err)
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "rampart train:", err)
		return 1
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "rampart train:", err)
		return 1
	}
	j, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Printf("wrote %s (%d bytes)\n%s\n", *out, b.Len(), j)
	return 0
}
