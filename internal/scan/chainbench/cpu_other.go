//go:build !unix

package chainbench

import "time"

// CPUTime returns 0 where process CPU time is not measured; cpuMB/s is
// then not reported.
func CPUTime() time.Duration { return 0 }
