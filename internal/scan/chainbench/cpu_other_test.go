//go:build !unix

package chainbench

import "time"

func cpuTime() time.Duration { return 0 }
