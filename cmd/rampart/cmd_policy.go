package main

import (
	"errors"
	"fmt"
	"os"

	"rampart/internal/config"
	"rampart/internal/policy"
	_ "rampart/internal/scan/all"
)

func init() {
	register("policy", "validate a guardrail policy file", runPolicy)
}

func runPolicy(args []string) int {
	if len(args) < 1 || args[0] != "validate" {
		fmt.Fprintln(os.Stderr, "usage: rampart policy validate FILE")
		return 2
	}
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rampart policy validate FILE")
		return 2
	}
	set, err := policy.Load(args[1])
	if err != nil {
		var ps config.Problems
		if errors.As(err, &ps) {
			fmt.Fprintf(os.Stderr, "%s: %d problem(s):\n", args[1], len(ps))
			for _, p := range ps {
				fmt.Fprintf(os.Stderr, "  %s\n", p)
			}
			return 1
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", args[1], err)
		return 1
	}
	fmt.Printf("%s: ok (policy %q, %d input scanners, %d output scanners)\n", args[1], set.Default.Name,
		len(set.Default.Pipeline(1).Scanners), len(set.Default.Pipeline(2).Scanners))
	return 0
}
