// Command gen writes the chain benchmark's mixed prompts as JSON Lines
// ({"text": …}) for measuring `rampart scan` end to end:
//
//	go run ./internal/scan/chainbench/gen -size 4096 -n 2000 > /tmp/prompts.jsonl
//	time ./bin/rampart scan < /tmp/prompts.jsonl > /dev/null
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"rampart/internal/scan/chainbench"
)

func main() {
	size := flag.Int("size", 4096, "bytes per prompt")
	n := flag.Int("n", 1000, "number of prompts")
	flag.Parse()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	total := 0
	for _, p := range chainbench.Corpus(*size, *n) {
		if err := enc.Encode(map[string]string{"text": p}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		total += len(p)
	}
	fmt.Fprintf(os.Stderr, "%d prompts, %d bytes of text\n", *n, total)
}
